"""Reading a JSON request body the way the JSON services refuse a bad one: 400 naming ``body``.

Shared by the Events Platform, the App Registry and User Profile, whose
requests are JSON objects (the spec's ``requestBody`` schemas; the guides'
"JSON request/response bodies"), except User Profile's ``bulkAdd``, which
takes an array (KALTURA_USER_PROFILE_API.md §7).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from kaltura_events.emulator.failures import BadArgument


async def _parsed(request: Request) -> Any:
    """The body's JSON value; an empty body is ``None``."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadArgument("body", "<unparsable>", "the request body is not valid JSON") from None


async def json_body(request: Request) -> dict[str, Any]:
    """The body as an object; an empty body reads as ``{}`` (each handler then names what is missing)."""
    body = await _parsed(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadArgument("body", type(body).__name__, "the request body must be a JSON object")
    return body


async def json_array_body(request: Request) -> list[Any]:
    """The body as an array; an empty body reads as ``[]`` (the handler then says how many it takes)."""
    body = await _parsed(request)
    if body is None:
        return []
    if not isinstance(body, list):
        raise BadArgument("body", type(body).__name__, "the request body must be a JSON array")
    return body
