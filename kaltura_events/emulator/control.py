"""``/_emulator/*``: what tests use to arrange, break and inspect the emulator.

No KS is needed here and nothing here is counted in the stats or touched by
faults: these are the test's hands, not the client's.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kaltura_events.emulator.failures import ApiV3Failure, BadArgument
from kaltura_events.emulator.runtime import Runtime
from kaltura_events.emulator.services.api_v3.service import API_V3
from kaltura_events.emulator.services.events_platform.catalog import SESSION_TYPES
from kaltura_events.emulator.services.events_platform.fields import require_date, require_zone
from kaltura_events.emulator.services.events_platform.service import EVENTS_PLATFORM

_CUSTOM_TEMPLATE = re.compile(r"^[0-9a-f]{24}$")
MAX_BULK_EVENTS = 200_000


class ControlError(Exception):
    """A malformed control request: 400 with the reason."""


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"status": "error", "message": message}, status_code=400)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _body(request: Request) -> dict[str, Any]:
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


def _int_field(body: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = body.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ControlError(f"{name} must be an integer")
    return value


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def reset(request: Request) -> Response:
    """Empty state, stats and faults; config back to start-up values plus the body's overrides."""
    config = _runtime(request).reset(await _body(request))
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
    body = await _body(request)
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


async def app_tokens(request: Request) -> Response:
    """Create an app token; the only place its value is ever shown."""
    body = await _body(request)
    user_id = body.get("sessionUserId")
    if user_id is not None and not isinstance(user_id, str):
        raise ControlError("sessionUserId must be a string")
    privileges = body.get("sessionPrivileges", "")
    if not isinstance(privileges, str):
        raise ControlError("sessionPrivileges must be a string")
    token = (
        _runtime(request)
        .backend(API_V3)
        .app_tokens.create(
            hash_type=str(body.get("hashType", "SHA256")),
            session_type=_int_field(body, "sessionType"),
            session_user_id=user_id,
            expiry=_int_field(body, "expiry"),
            session_duration=_int_field(body, "sessionDuration"),
            session_privileges=privileges,
        )
    )
    return JSONResponse(
        {
            "id": token.id,
            "token": token.token,
            "hashType": token.hash_type,
            "sessionType": token.session_type,
            "sessionUserId": token.session_user_id,
            "expiry": token.expiry,
            "sessionDuration": token.session_duration,
            "sessionPrivileges": token.session_privileges,
        }
    )


async def templates(request: Request) -> Response:
    """Register a custom (24-hex) template and the session types it adds."""
    body = await _body(request)
    template_id = body.get("id")
    if not isinstance(template_id, str) or not _CUSTOM_TEMPLATE.match(template_id):
        raise ControlError("id must be a 24-hex custom template id")
    sessions = body.get("sessions", [])
    if not isinstance(sessions, list) or any(kind not in SESSION_TYPES for kind in sessions):
        raise ControlError(f"sessions must be a list of {', '.join(SESSION_TYPES)}")
    name = body.get("name", "Custom template")
    if not isinstance(name, str):
        raise ControlError("name must be a string")
    events = _runtime(request).backend(EVENTS_PLATFORM).events
    return JSONResponse(events.add_template(template_id, tuple(sessions), name))


async def categories(request: Request) -> Response:
    """Create every missing level of ``fullName`` (``a>b>c``); answers with the leaf category."""
    body = await _body(request)
    full_name = body.get("fullName")
    if not isinstance(full_name, str) or not full_name:
        raise ControlError("fullName must be a non-empty string such as a>b>c")
    category, made = _runtime(request).backend(API_V3).ensure_category_path(full_name)
    return JSONResponse({"category": category, "created": made})


async def bulk_events(request: Request) -> Response:
    """Insert many events at once, without categories or template sessions (scale tests)."""
    body = await _body(request)
    count = _int_field(body, "count")
    if count is None or not 0 <= count <= MAX_BULK_EVENTS:
        raise ControlError(f"count must be an integer from 0 to {MAX_BULK_EVENTS}")
    labels = body.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise ControlError("labels must be a list of strings")
    prefix = body.get("namePrefix", "Bulk event")
    if not isinstance(prefix, str) or not prefix:
        raise ControlError("namePrefix must be a non-empty string")
    interval = _int_field(body, "intervalMinutes", 60) or 0
    duration = _int_field(body, "durationMinutes", 60) or 60
    events = _runtime(request).backend(EVENTS_PLATFORM).events
    start = (
        require_date("startDate", body["startDate"])
        if body.get("startDate") is not None
        else events.now().replace(microsecond=0) + timedelta(days=30)
    )
    result = events.bulk_events(
        count=count,
        name_prefix=prefix,
        start=start,
        interval=timedelta(minutes=interval),
        duration=timedelta(minutes=duration),
        labels=labels,
        template_id=str(body.get("templateId", "tm0000")),
        timezone_name=require_zone("timezone", body.get("timezone", "UTC")),
    )
    return JSONResponse({"status": "ok", **result})


async def expire_ks(request: Request) -> Response:
    """Every KS issued or seen so far now gets 401 / EXPIRED_KS; new ones still work."""
    return JSONResponse({"status": "ok", "expired": _runtime(request).platform.ks_ledger.expire_all()})


def _guarded(handler: Any) -> Any:
    async def guarded(request: Request) -> Response:
        try:
            response: Response = await handler(request)
            return response
        except (ControlError, ValueError, BadArgument) as exc:
            return _bad(str(exc))
        except ApiV3Failure as exc:
            return _bad(f"{exc.code}: {exc}")

    guarded.__doc__ = handler.__doc__
    return guarded


CONTROL_ROUTES = [
    Route("/_emulator/health", _guarded(health), methods=["GET"]),
    Route("/_emulator/reset", _guarded(reset), methods=["POST"]),
    Route("/_emulator/state", _guarded(state), methods=["GET"]),
    Route("/_emulator/faults", _guarded(faults), methods=["POST"]),
    Route("/_emulator/stats", _guarded(stats), methods=["GET"]),
    Route("/_emulator/stats/reset", _guarded(reset_stats), methods=["POST"]),
    Route("/_emulator/app-tokens", _guarded(app_tokens), methods=["POST"]),
    Route("/_emulator/templates", _guarded(templates), methods=["POST"]),
    Route("/_emulator/categories", _guarded(categories), methods=["POST"]),
    Route("/_emulator/bulk-events", _guarded(bulk_events), methods=["POST"]),
    Route("/_emulator/expire-ks", _guarded(expire_ks), methods=["POST"]),
]
