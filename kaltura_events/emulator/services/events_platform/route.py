"""The Events Platform's URL shape (``POST /api/v1/<endpoint>``) and its way of refusing.

Refusals are ``{"status", "message", "field"}`` with the HTTP status the spec's
status enum implies: 400 for a bad field, 404 for an id naming nothing, 401/403
for the KS. Bodies are parsed by hand, so a bad request gets the platform's
error shape, never a framework's 422.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kaltura_events.emulator.auth import check_events_ks
from kaltura_events.emulator.endpoints import Endpoint
from kaltura_events.emulator.failures import (
    INTERNAL_ERROR_MESSAGE,
    BadArgument,
    EventsApiFailure,
    Missing,
    events_error,
)
from kaltura_events.emulator.request_bodies import json_body
from kaltura_events.emulator.request_context import RequestContext, request_context
from kaltura_events.emulator.services.events_platform.backend import EventsPlatformBackend
from kaltura_events.emulator.services.events_platform.records import SERVICE_NAME

logger = logging.getLogger("kaltura_events.emulator")

PREFIX = "/api/v1/"
Body = dict[str, Any]
Handler = Callable[[EventsPlatformBackend, Body, RequestContext], Body]

OK: Body = {"status": "ok"}


def endpoint_of_path(path: str) -> str:
    """The endpoint a path under ``PREFIX`` counts as ("/api/v1/events/create/" is "events/create")."""
    return path[len(PREFIX) :].strip("/")


def events_platform_routes(
    endpoints: tuple[Endpoint[Handler], ...], current: Callable[[], EventsPlatformBackend]
) -> list[BaseRoute]:
    """One route for the whole prefix, so an unknown path or method gets the platform's own 404."""
    handlers = {endpoint.name: endpoint.handler for endpoint in endpoints}

    async def events_platform_route(request: Request) -> Response:
        backend = current()
        endpoint = request.path_params["path"].strip("/")
        handler = handlers.get(endpoint)
        if handler is None or request.method != "POST":
            return events_error(404, f"Cannot {request.method} {PREFIX}{endpoint}")
        context = request_context(request.scope) or RequestContext(endpoint, SERVICE_NAME, False)
        try:
            check_events_ks(
                request.headers.get("authorization"), backend.platform.config, backend.platform.ks_ledger
            )
            body = await json_body(request)
            return JSONResponse(handler(backend, body, context))
        except BadArgument as exc:
            return events_error(400, str(exc), exc.field)
        except Missing as exc:
            return events_error(404, str(exc), exc.field)
        except EventsApiFailure as exc:
            return events_error(exc.http_status, str(exc), exc.field)
        except Exception:
            logger.exception("events API handler %s failed", endpoint)
            return events_error(500, INTERNAL_ERROR_MESSAGE)

    return [Route(PREFIX + "{path:path}", events_platform_route, methods=["POST", "GET", "PUT", "DELETE"])]
