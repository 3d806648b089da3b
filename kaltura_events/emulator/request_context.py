"""What the faults-and-stats layer and a service's handler share about one request.

Its own module so that services and the middleware both depend on it and
never on each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Scope

CONTEXT_KEY = "kaltura_emulator.context"


@dataclass(frozen=True)
class Injection:
    """The fault chosen for one request."""

    kind: str
    retry_after: float
    rule_index: int


@dataclass
class RequestContext:
    endpoint: str
    service: str
    is_write: bool
    injection: Injection | None = None
    api_code: str | None = None
    """Set by the API v3 handler when it answers with a KalturaAPIException."""


def request_context(scope: Scope) -> RequestContext | None:
    context = scope.get(CONTEXT_KEY)
    return context if isinstance(context, RequestContext) else None
