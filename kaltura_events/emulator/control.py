"""``/_emulator/*``: what tests use to reset, break and inspect the emulator as a whole.

No KS is needed here and nothing here is counted in the stats or touched by
faults: these are the test's hands, not the client's. What arranges one
service's records (templates, app tokens, ...) is in that service's ``control.py``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kaltura_events.emulator.control_requests import control_route, json_object
from kaltura_events.emulator.runtime import Runtime


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def reset(request: Request) -> Response:
    """Empty state, stats and faults; config back to start-up values plus the body's overrides."""
    config = _runtime(request).reset(await json_object(request))
    return JSONResponse({"status": "ok", "config": config.public_dict()})


async def state(request: Request) -> Response:
    runtime = _runtime(request)
    return JSONResponse(
        {
            "config": runtime.config.public_dict(),
            **runtime.snapshot(),
            "faults": runtime.faults.describe(),
        }
    )


async def faults(request: Request) -> Response:
    """Replace the fault rules (``{"rules": []}`` clears them); seed and latency are optional."""
    body = await json_object(request)
    rules = body.get("rules", [])
    described = _runtime(request).set_faults(
        rules, seed=body.get("seed"), latency_ms=body.get("latency_ms"), jitter_ms=body.get("jitter_ms")
    )
    return JSONResponse({"status": "ok", **described})


async def stats(request: Request) -> Response:
    return JSONResponse(_runtime(request).stats.snapshot())


async def reset_stats(request: Request) -> Response:
    _runtime(request).reset_stats()
    return JSONResponse({"status": "ok"})


async def expire_ks(request: Request) -> Response:
    """Every KS issued or seen so far now gets 401 / EXPIRED_KS; new ones still work."""
    return JSONResponse({"status": "ok", "expired": _runtime(request).platform.ks_ledger.expire_all()})


CONTROL_ROUTES: list[Route] = [
    control_route("health", health, "GET"),
    control_route("reset", reset, "POST"),
    control_route("state", state, "GET"),
    control_route("faults", faults, "POST"),
    control_route("stats", stats, "GET"),
    control_route("stats/reset", reset_stats, "POST"),
    control_route("expire-ks", expire_ks, "POST"),
]
"""The emulator's own control endpoints; each service adds those that arrange its records."""
