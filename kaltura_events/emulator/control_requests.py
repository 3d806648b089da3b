"""Reading a ``/_emulator/*`` request, and answering 400 when the test's own request is wrong.

Shared by the emulator's own control endpoints (``control.py``) and those a
service adds to arrange its records (``services/<name>/control.py``), so every
control endpoint refuses a bad request the same way.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kaltura_events.emulator.failures import ApiV3Failure, BadArgument

CONTROL_PREFIX = "/_emulator"
"""Never counted in the stats, never touched by faults: these are the test's hands, not the client's."""


class ControlError(Exception):
    """A malformed control request: 400 with the reason."""


async def json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ControlError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def int_field(body: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = body.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ControlError(f"{name} must be an integer")
    return value


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"status": "error", "message": message}, status_code=400)


def control_route(path: str, handler: Callable[[Request], Awaitable[Response]], method: str) -> Route:
    """``/_emulator/<path>``, answering 400 with the reason for any refusal of the test's request."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except (ControlError, ValueError, BadArgument) as exc:
            return _bad(str(exc))
        except ApiV3Failure as exc:
            return _bad(f"{exc.code}: {exc}")

    guarded.__doc__ = handler.__doc__
    return Route(f"{CONTROL_PREFIX}/{path}", guarded, methods=[method])


B = TypeVar("B")


def backend_control_route(
    path: str, handler: Callable[[B, dict[str, Any]], dict[str, Any]], current: Callable[[], B]
) -> Route:
    """A service's POST control endpoint: its handler takes the current backend and the JSON body."""

    async def endpoint(request: Request) -> Response:
        return JSONResponse(handler(current(), await json_object(request)))

    endpoint.__doc__ = handler.__doc__
    return control_route(path, endpoint, "POST")
