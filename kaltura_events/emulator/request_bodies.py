"""Reading a JSON request body the way the JSON services refuse a bad one: 400 naming ``body``.

Shared by the Events Platform, the App Registry and User Profile, whose
requests are all JSON objects (the spec's ``requestBody`` schemas; the
guides' "JSON request/response bodies").
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from kaltura_events.emulator.failures import BadArgument


async def json_body(request: Request) -> dict[str, Any]:
    """The body as an object; an empty body reads as ``{}`` (each handler then names what is missing)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadArgument("body", "<unparsable>", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadArgument("body", type(body).__name__, "the request body must be a JSON object")
    return body
