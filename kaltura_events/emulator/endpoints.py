"""How a service and its endpoints are declared: once, so every list is derived and none kept by hand.

The registry (``services/registry.py``) lists the services; from their
declarations come the handler tables, the endpoints a fault rule may name,
the write set that faults and stats share, the routes, and the endpoint table
in README.md (a test compares the two).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

from starlette.routing import BaseRoute

from kaltura_events.emulator.platform import Platform

H = TypeVar("H")


class Access(Enum):
    """Whether a call may change state: writes are what "writes" fault rules and write stats count."""

    READ = "read"
    WRITE = "write"


class ErrorStyle(Enum):
    """How refusals look on the wire."""

    EVENTS_JSON = "events-json"
    """An HTTP 4xx/5xx with ``{"status", "message", "field"}`` (Events Platform spec)."""
    API_V3_EXCEPTION = "api-v3-exception"
    """HTTP 200 with ``{"objectType": "KalturaAPIException", "code", "message", "args"}`` (API v3)."""
    KALTURA_EXCEPTION = "kaltura-exception"
    """A ``KalturaAPIException`` with HTTP 200 for an application error and HTTP 400 for a validation
    error (App Registry and User Profile, their guides' §13)."""


@dataclass(frozen=True)
class Endpoint(Generic[H]):
    """One call of one service; faults and stats call it by ``name`` ("events/create", "category.list")."""

    name: str
    path: str
    access: Access
    errors: ErrorStyle
    handler: H

    @property
    def writes(self) -> bool:
        return self.access is Access.WRITE


class Backend(Protocol):
    """A service's state: built empty on a platform, emptied by ``reset()``, shown by ``snapshot()``."""

    def reset(self) -> None: ...

    def snapshot(self) -> dict[str, Any]: ...


BackendT = TypeVar("BackendT", bound=Backend)


@dataclass(frozen=True)
class Service(Generic[BackendT]):
    """One Kaltura service: where it is mounted, what it answers, and the backend behind it."""

    name: str
    prefix: str
    """Every request path under it starts so ("/api/v1/"); faults and stats count those requests."""
    endpoints: tuple[Endpoint[Any], ...]
    backend: Callable[[Platform], BackendT]
    routes: Callable[[Callable[[], BackendT]], list[BaseRoute]]
    """The service's routes, given how to find the current backend (a reset replaces it)."""
    control_routes: Callable[[Callable[[], BackendT]], list[BaseRoute]]
    """Its ``/_emulator/*`` endpoints that arrange its records for a test (never faulted or counted)."""
    endpoint_for: Callable[[str], str]
    """The endpoint name a request path (under ``prefix``) counts as, known or not."""
