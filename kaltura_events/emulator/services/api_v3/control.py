"""API v3's control endpoints: arranging app tokens and categories a test needs (``/_emulator/*``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from kaltura_events.emulator.control_requests import (
    ControlError,
    backend_control_route,
    control_route,
    int_field,
)
from kaltura_events.emulator.services.api_v3.app_tokens import ACTIVE
from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend


def app_tokens(backend: ApiV3Backend, body: dict[str, Any]) -> dict[str, Any]:
    """Create an app token; the only place its value is ever shown."""
    user_id = body.get("sessionUserId")
    if user_id is not None and not isinstance(user_id, str):
        raise ControlError("sessionUserId must be a string")
    privileges = body.get("sessionPrivileges", "")
    if not isinstance(privileges, str):
        raise ControlError("sessionPrivileges must be a string")
    status = int_field(body, "status")
    token = backend.app_tokens.create(
        hash_type=str(body.get("hashType", "SHA256")),
        session_type=int_field(body, "sessionType"),
        session_user_id=user_id,
        expiry=int_field(body, "expiry"),
        session_duration=int_field(body, "sessionDuration"),
        session_privileges=privileges,
        status=ACTIVE if status is None else status,
    )
    return {
        "id": token.id,
        "token": token.token,
        "hashType": token.hash_type,
        "sessionType": token.session_type,
        "sessionUserId": token.session_user_id,
        "expiry": token.expiry,
        "sessionDuration": token.session_duration,
        "sessionPrivileges": token.session_privileges,
        "status": token.status,
    }


def categories(backend: ApiV3Backend, body: dict[str, Any]) -> dict[str, Any]:
    """Create every missing level of ``fullName`` (``a>b>c``); answers with the leaf category."""
    full_name = body.get("fullName")
    if not isinstance(full_name, str) or not full_name:
        raise ControlError("fullName must be a non-empty string such as a>b>c")
    category, made = backend.ensure_category_path(full_name)
    return {"category": category, "created": made}


def api_v3_control_routes(current: Callable[[], ApiV3Backend]) -> list[BaseRoute]:
    async def notifications(request: Request) -> Response:
        """Every HTTP notification job so far, with its attempts, so a test can wait for deliveries."""
        return JSONResponse({"deliveries": current().notifications.snapshot()})

    return [
        backend_control_route("app-tokens", app_tokens, current),
        backend_control_route("categories", categories, current),
        control_route("notifications", notifications, "GET"),
    ]
