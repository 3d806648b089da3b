"""Text that may hold a credential, made safe to show: the values sent, a link's query values, and
anything shaped like a token.

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


_QUERY = re.compile(r"\?[^\s<>\"#]+")
"""A link's query, from its ``?`` up to what no link holds (space, double quote, angle bracket)
or its fragment. Its values are masked whatever their length: a MagicLink's token logs its
reader in, an API v3 URL may carry ``ks=``, and neither need be long enough to look like a
token. An apostrophe may be part of a value, so it ends none: a last value takes the ``'``
closing an HTML attribute, or a full stop after a link in prose, with it rather than leave a
part of itself behind."""


def _mask_query(match: re.Match[str]) -> str:
    """Each ``name=value`` keeps its name; an item without ``=`` (``?)`` after a question in prose,
    a flag) has no value and stays."""
    items = match.group(0)[1:].split("&")
    masked = [f"{item.partition('=')[0]}={_REDACTED}" if "=" in item else item for item in items]
    return "?" + "&".join(masked)


def _redact_token(match: re.Match[str]) -> str:
    return match.group(0) if _KEPT_SHAPES.fullmatch(match.group(0)) else _REDACTED


def scrub(text: str, sensitive: Iterable[str] = ()) -> str:
    """``text`` with the values we sent (KS, secret), every link's query values and anything shaped
    like a token replaced."""
    for value in sensitive:
        if value:
            text = text.replace(value, _REDACTED)
    return _TOKEN.sub(_redact_token, _QUERY.sub(_mask_query, text))
