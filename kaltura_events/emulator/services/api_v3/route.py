"""API v3's one URL shape (``/api_v3/service/{service}/action/{action}``) and its way of refusing.

Every answer is HTTP 200 and a refusal is a ``KalturaAPIException``
(KALTURA_API_GETTING_STARTED.md §10); only an unexpected crash answers 500
the Events Platform's way, as a front end would.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kaltura_events.emulator.endpoints import Endpoint
from kaltura_events.emulator.failures import (
    INTERNAL_ERROR_MESSAGE,
    ApiV3Failure,
    api_v3_error_body,
    events_error,
)
from kaltura_events.emulator.request_context import request_context
from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend
from kaltura_events.emulator.services.api_v3.forms import parse_params
from kaltura_events.emulator.services.api_v3.params import Params

logger = logging.getLogger("kaltura_events.emulator")

PREFIX = "/api_v3/service/"
V3Handler = Callable[[ApiV3Backend, Params, str], Awaitable[Any]]


class ActionTable:
    """The declared actions, found the way API v3 finds them: case-insensitively."""

    def __init__(self, endpoints: tuple[Endpoint[V3Handler], ...]) -> None:
        self._by_lower = {endpoint.name.lower(): endpoint for endpoint in endpoints}
        self._services = {endpoint.name.split(".")[0].lower() for endpoint in endpoints}

    def name(self, service: str, action: str) -> str:
        """ "apptoken.startsession" is "appToken.startSession": stats and faults use one spelling."""
        raw = f"{service}.{action}"
        found = self._by_lower.get(raw.lower())
        return raw if found is None else found.name

    def name_of_path(self, path: str) -> str:
        """The endpoint a path under ``PREFIX`` counts as; a path of another shape counts as itself."""
        parts = path[len(PREFIX) :].strip("/").split("/")
        if len(parts) == 3 and parts[1] == "action":
            return self.name(parts[0], parts[2])
        return path

    def handler(self, name: str) -> V3Handler:
        found = self._by_lower.get(name.lower())
        if found is None:
            raise self._unknown(name)
        return found.handler

    def _unknown(self, name: str) -> ApiV3Failure:
        """KALTURA_API_GETTING_STARTED.md §10: SERVICE_DOES_NOT_EXISTS, or ACTION_DOES_NOT_EXISTS
        when the service is known."""
        service, _, action = name.partition(".")
        if service.lower() in self._services:
            return ApiV3Failure(
                "ACTION_DOES_NOT_EXISTS",
                f"Action [{action}] does not exist in [{service}]",
                {"ACTION": action},
            )
        return ApiV3Failure(
            "SERVICE_DOES_NOT_EXISTS", f"Service [{service}] does not exist", {"SERVICE": service}
        )


def api_v3_routes(table: ActionTable, current: Callable[[], ApiV3Backend]) -> list[BaseRoute]:
    async def api_v3_route(request: Request) -> Response:
        backend = current()
        endpoint = table.name(request.path_params["service"], request.path_params["action"])
        context = request_context(request.scope)
        try:
            handler = table.handler(endpoint)
            try:
                params = parse_params(
                    request.url.query, await request.body(), request.headers.get("content-type", "")
                )
            except ValueError:
                raise ApiV3Failure("INVALID_FIELD_VALUE", "The request body is not valid JSON", {}) from None
            return JSONResponse(await handler(backend, params, endpoint))
        except ApiV3Failure as exc:
            if context is not None:
                context.api_code = exc.code
            return JSONResponse(api_v3_error_body(exc.code, str(exc), exc.args_map))
        except Exception:
            logger.exception("API v3 handler %s failed", endpoint)
            return events_error(500, INTERNAL_ERROR_MESSAGE)

    return [Route(PREFIX + "{service}/action/{action}", api_v3_route, methods=["POST", "GET"])]
