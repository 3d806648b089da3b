"""Text that may hold a credential, made safe to show: the values sent, and anything shaped like a token.

Apart from ``answers`` (which reads HTTP answers) so that pure code, which
imports no httpx, can scrub what a service said before a person reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_REDACTED = "[redacted]"
_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-%]{32,}")
"""Anything this long without a break could be a KS, an app token or a secret: a KS is base64
of 100+ characters, admin secrets and app tokens are 32 hex digits. Shorter ids stay readable
(a custom template id is 24 hex digits and an error about one should show it)."""


_KEPT_SHAPES = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # an app GUID
    r"|[A-Z][A-Z0-9]*(_[A-Z0-9]+)+"  # an error code (USER_ALREADY_ASSOCIATED_TO_APP_GUID)
)
"""Long but never a secret: a KS is base64 (mixed case, no hyphen groups), a secret or token 32 hex
digits without hyphens. Errors naming an App Registry GUID or a long error code keep them."""


def _redact_token(match: re.Match[str]) -> str:
    return match.group(0) if _KEPT_SHAPES.fullmatch(match.group(0)) else _REDACTED


def scrub(text: str, sensitive: Iterable[str] = ()) -> str:
    """``text`` with the values we sent (KS, secret) and anything shaped like a token replaced."""
    for value in sensitive:
        if value:
            text = text.replace(value, _REDACTED)
    return _TOKEN.sub(_redact_token, text)
