"""The App Registry's and User Profile's one URL shape and way of refusing (they share both).

Each is ``POST {prefix}<endpoint>`` with ``Authorization: Bearer <KS>`` and a
JSON body. Their guides' §13: an application error is a ``KalturaAPIException``
with HTTP 200, a validation error (a required field missing, a value outside
its enum) the same object with HTTP 400. A refused KS is answered as the
Events Platform answers it (401/403), since neither guide says how.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kaltura_events.emulator.auth import check_bearer_ks
from kaltura_events.emulator.endpoints import Endpoint
from kaltura_events.emulator.failures import (
    INTERNAL_ERROR_MESSAGE,
    ApiV3Failure,
    BadArgument,
    EventsApiFailure,
    api_v3_error_body,
)
from kaltura_events.emulator.kaltura_session import Session
from kaltura_events.emulator.platform import Platform
from kaltura_events.emulator.request_bodies import json_array_body, json_body
from kaltura_events.emulator.request_context import RequestContext, request_context

logger = logging.getLogger("kaltura_events.emulator")

B = TypeVar("B")
Body = dict[str, Any]


class JsonNull:
    """An answer of JSON ``null``, which is not the empty body that None answers."""


JSON_NULL = JsonNull()
"""What User Profile's ``getByFilter`` answers when nothing matches (its guide §8.2)."""


class JsonText(bytes):
    """An answer already serialized, as ``JSONResponse`` would have written it: a listing of 500
    profiles built from each profile's kept text instead of rendering and encoding them again."""


def json_text(value: Any) -> bytes:
    """``value`` as ``JSONResponse`` writes it, so a ``JsonText`` answer reads the same on the wire."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


Answer = Body | list[Any] | JsonNull | JsonText | None
Handler = Callable[[B, Any], Answer]
"""Takes the service's backend and the JSON body (an object, or a list for an endpoint named in
``array_bodies``); None answers an empty body (deletes), ``JSON_NULL`` a JSON ``null``."""
CallerHandler = Callable[[B, Any, Session], Answer]
"""A handler that acts for the user its KS names (the Messaging guide's "user-scoped KS", §10.2)."""

VALIDATION_ERROR = "VALIDATION_ERROR"
_CODE_BY_STATUS = {401: "INVALID_KS", 403: "SERVICE_FORBIDDEN", 404: "NOT_FOUND"}
"""Codes for refusals the guides give no code for; only ``VALIDATION_ERROR`` is theirs (§13)."""


def exception_body(code: str, message: str) -> Body:
    """Both guides' §13: ``{code, message, objectType: "KalturaAPIException"}``, no API v3 ``args``."""
    body = api_v3_error_body(code, message)
    body.pop("args")
    return body


def exception_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    body = exception_body(code, message)
    if field is not None:
        body["field"] = field
    return JSONResponse(body, status_code=status)


def microservice_routes(
    service_name: str,
    prefix: str,
    endpoints: tuple[Endpoint[Handler[B]], ...],
    current: Callable[[], B],
    platform_of: Callable[[B], Platform],
    *,
    any_ks: frozenset[str] = frozenset(),
    user_endpoints: tuple[Endpoint[CallerHandler[B]], ...] = (),
    array_bodies: frozenset[str] = frozenset(),
) -> list[BaseRoute]:
    """One route for the whole prefix, so an unknown path or method gets the service's own 404.

    ``any_ks`` names the endpoints that also take a non-ADMIN KS (their guides
    name an analytics permission for them, which the emulator does not model).
    ``user_endpoints`` act for the KS's user: any session type, but a user id
    is required (403 without one, as the Events Platform answers it).
    ``array_bodies`` names those whose body is a JSON array, not an object.
    """
    handlers = {endpoint.name: endpoint.handler for endpoint in endpoints}
    user_handlers = {endpoint.name: endpoint.handler for endpoint in user_endpoints}

    async def microservice_route(request: Request) -> Response:
        backend = current()
        platform = platform_of(backend)
        endpoint = request.path_params["path"].strip("/")
        handler = handlers.get(endpoint)
        user_handler = user_handlers.get(endpoint)
        if (handler is None and user_handler is None) or request.method != "POST":
            return exception_response(
                404, _CODE_BY_STATUS[404], f"Cannot {request.method} {prefix}{endpoint}"
            )
        context = request_context(request.scope) or RequestContext(endpoint, service_name, False)
        try:
            session = check_bearer_ks(
                request.headers.get("authorization"),
                platform.config,
                platform.ks_ledger,
                admin=endpoint not in any_ks and user_handler is None,
            )
            body = await (json_array_body if endpoint in array_bodies else json_body)(request)
            if user_handler is not None:
                if not session.user_id:
                    raise EventsApiFailure(403, f"{endpoint} needs a user-scoped KS (one with a user id)")
                return _response(user_handler(backend, body, session))
            assert handler is not None
            return _response(handler(backend, body))
        except BadArgument as exc:
            return exception_response(400, VALIDATION_ERROR, str(exc), exc.field)
        except ApiV3Failure as exc:
            context.api_code = exc.code
            return exception_response(200, exc.code, str(exc))
        except EventsApiFailure as exc:
            return exception_response(
                exc.http_status, _CODE_BY_STATUS.get(exc.http_status, "ERROR"), str(exc)
            )
        except Exception:
            logger.exception("%s handler %s failed", service_name, endpoint)
            return exception_response(500, "INTERNAL_ERROR", INTERNAL_ERROR_MESSAGE)

    return [Route(prefix + "{path:path}", microservice_route, methods=["POST", "GET", "PUT", "DELETE"])]


def _response(answer: Answer) -> Response:
    if answer is None:
        return Response(status_code=200)
    if isinstance(answer, JsonNull):
        return JSONResponse(None)
    if isinstance(answer, JsonText):
        return Response(bytes(answer), media_type="application/json")
    return JSONResponse(answer)
