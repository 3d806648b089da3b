"""Assemble the emulator's ASGI application."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kaltura_events.emulator.api_v3 import api_v3_route
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.control import CONTROL_ROUTES
from kaltura_events.emulator.events_api import events_endpoint, metrics_endpoint
from kaltura_events.emulator.failures import events_error
from kaltura_events.emulator.middleware import FaultsAndStats
from kaltura_events.emulator.runtime import Runtime


async def _not_found(request: Request, exc: Exception) -> Response:
    return events_error(404, f"Cannot {request.method} {request.url.path}")


def create_app(config: EmulatorConfig | None = None) -> FaultsAndStats:
    """The emulator as one ASGI app; ``.runtime`` gives in-process access to its state.

    Starlette rather than FastAPI: every body is parsed by hand so that a bad
    request gets the platform's error shape, never a framework's 422.
    """
    runtime = Runtime(config or EmulatorConfig())
    routes = [
        Route("/api/v1/{path:path}", events_endpoint, methods=["POST", "GET", "PUT", "DELETE"]),
        Route("/api_v3/service/{service}/action/{action}", api_v3_route, methods=["POST", "GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *CONTROL_ROUTES,
    ]
    starlette = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    starlette.state.runtime = runtime
    return FaultsAndStats(starlette, runtime)
