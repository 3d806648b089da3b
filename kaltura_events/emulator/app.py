"""Assemble the emulator's ASGI application from the registered services."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.control import CONTROL_ROUTES
from kaltura_events.emulator.endpoints import Service
from kaltura_events.emulator.failures import events_error
from kaltura_events.emulator.middleware import FaultsAndStats
from kaltura_events.emulator.runtime import Runtime
from kaltura_events.emulator.services.registry import METRICS_PATH, SERVICES


async def _not_found(request: Request, exc: Exception) -> Response:
    return events_error(404, f"Cannot {request.method} {request.url.path}")


async def _metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    return PlainTextResponse(runtime.stats.prometheus())


def _service_routes(service: Service[Any], runtime: Runtime) -> list[BaseRoute]:
    def current() -> Any:
        return runtime.backend(service)

    return [*service.routes(current), *service.control_routes(current)]


def create_app(config: EmulatorConfig | None = None) -> FaultsAndStats:
    """The emulator as one ASGI app; ``.runtime`` gives in-process access to its state.

    Starlette rather than FastAPI: every body is parsed by hand so that a bad
    request gets the platform's error shape, never a framework's 422.
    """
    runtime = Runtime(config or EmulatorConfig())
    routes = [
        *(route for service in SERVICES for route in _service_routes(service, runtime)),
        Route(METRICS_PATH, _metrics, methods=["GET"]),
        *CONTROL_ROUTES,
    ]
    starlette = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    starlette.state.runtime = runtime
    return FaultsAndStats(starlette, runtime)
