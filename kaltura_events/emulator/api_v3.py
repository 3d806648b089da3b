"""API v3 (``/api_v3/service/{service}/action/{action}``): sessions, app tokens, categories.

As on Kaltura, every answer is HTTP 200 and failures are ``KalturaAPIException``
objects; only the injected faults (a proxy's view) use other HTTP statuses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kaltura_events.emulator import kaltura_session
from kaltura_events.emulator.auth import check_v3_ks, verify_v3_ks
from kaltura_events.emulator.endpoints import API_V3_ENDPOINTS, api_v3_endpoint
from kaltura_events.emulator.failures import (
    INTERNAL_ERROR_MESSAGE,
    ApiV3Failure,
    api_v3_error_body,
    events_error,
)
from kaltura_events.emulator.forms import parse_params
from kaltura_events.emulator.kaltura_session import ADMIN_SESSION, USER_SESSION
from kaltura_events.emulator.middleware import request_context
from kaltura_events.emulator.runtime import Runtime

logger = logging.getLogger("kaltura_events.emulator")

Params = dict[str, Any]
V3Handler = Callable[[Runtime, Params, str], Awaitable[Any]]

DEFAULT_EXPIRY = 86400
"""KALTURA_SESSION_GUIDE.md §5.1: ``expiry`` defaults to 86400 seconds."""
WIDGET_PRIVILEGES = "widget:1,view:*"
"""kSessionBase::WIDGET_PRIVILEGE: what marks a KS as a widget session."""


def _missing(name: str) -> ApiV3Failure:
    """KALTURA_API_GETTING_STARTED.md §10: PROPERTY_VALIDATION_CANNOT_BE_NULL, "Required field missing"."""
    return ApiV3Failure(
        "PROPERTY_VALIDATION_CANNOT_BE_NULL", f"Missing parameter [{name}]", {"PROP_NAME": name}
    )


def _required(params: Params, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise _missing(name)
    return value


def _int(value: Any, name: str, default: int | None = None) -> int:
    if value is None or value == "":
        if default is None:
            raise _missing(name)
        return default
    try:
        if isinstance(value, bool):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise ApiV3Failure(
            "INVALID_FIELD_VALUE", f"Invalid value [{value}] for [{name}]", {"PROP_NAME": name}
        ) from None


def _object(params: Params, name: str) -> dict[str, Any]:
    value = params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise ApiV3Failure("INVALID_FIELD_VALUE", f"[{name}] must be an object", {"PROP_NAME": name})
    return value


def _session_type(value: Any, name: str = "type", default: int | None = None) -> int:
    """KALTURA_SESSION_GUIDE.md §5.1: ``type`` is 0 (USER) or 2 (ADMIN)."""
    session_type = _int(value, name, default)
    if session_type not in (USER_SESSION, ADMIN_SESSION):
        raise ApiV3Failure(
            "INVALID_FIELD_VALUE", f"Invalid session type [{session_type}]", {"PROP_NAME": name}
        )
    return session_type


async def session_start(runtime: Runtime, params: Params, endpoint: str) -> Any:
    """KALTURA_SESSION_GUIDE.md §5.1: secret, partnerId and type are required; the answer is the KS
    as a bare JSON string (format=1). A wrong secret or partner is refused with START_SESSION_ERROR,
    a code no reference names (the client's error map knows it)."""
    config = runtime.config
    secret = _required(params, "secret")
    partner_id = _int(params.get("partnerId"), "partnerId")
    session_type = _session_type(params.get("type"))
    if partner_id != config.partner_id or secret != config.admin_secret:
        raise ApiV3Failure(
            "START_SESSION_ERROR",
            f"Error while starting session for partner [{partner_id}]",
            {"PARTNER_ID": str(partner_id)},
        )
    expiry = _int(params.get("expiry"), "expiry", DEFAULT_EXPIRY)
    ks = kaltura_session.mint(
        config.admin_secret,
        config.partner_id,
        str(params.get("userId") or ""),
        session_type,
        expiry if expiry > 0 else DEFAULT_EXPIRY,
        str(params.get("privileges") or ""),
    )
    runtime.tokens.note(ks)
    return ks


async def start_widget_session(runtime: Runtime, params: Params, endpoint: str) -> Any:
    """KALTURA_SESSION_GUIDE.md §5.2: ``widgetId`` is ``_<partnerId>``; INVALID_WIDGET_ID otherwise
    (a code no reference names)."""
    config = runtime.config
    widget_id = str(_required(params, "widgetId"))
    if widget_id != f"_{config.partner_id}":
        raise ApiV3Failure("INVALID_WIDGET_ID", f"Invalid widget id [{widget_id}]", {"WIDGET_ID": widget_id})
    ks = kaltura_session.mint(
        config.admin_secret, config.partner_id, "0", USER_SESSION, DEFAULT_EXPIRY, WIDGET_PRIVILEGES
    )
    runtime.tokens.note(ks)
    return {
        "ks": ks,
        "partnerId": config.partner_id,
        "userId": "0",
        "objectType": "KalturaStartWidgetSessionResponse",
    }


async def app_token_start_session(runtime: Runtime, params: Params, endpoint: str) -> Any:
    """KALTURA_APPTOKENS_API.md §6.2, §6.3, §10: ``tokenHash`` = HASH(widget KS + token) with the token's
    hash type; the token's ``sessionUserId`` and ``sessionType`` override the request's, its
    ``sessionDuration`` caps ``expiry`` and its ``sessionPrivileges`` merge with the request's.
    An unknown token id answers INVALID_APP_TOKEN_ID, the code §10 names.
    """
    config = runtime.config
    widget_ks = str(_required(params, "ks"))
    verify_v3_ks(widget_ks, config, runtime.tokens)
    token_id = str(_required(params, "id"))
    token = runtime.tokens.app_token(token_id)
    if token is None:
        raise ApiV3Failure(
            "INVALID_APP_TOKEN_ID", f"Invalid application token id [{token_id}]", {"ID": token_id}
        )
    now = int(time.time())
    if token.expiry and token.expiry <= now:  # §4: "0 = never expires"
        raise ApiV3Failure("EXPIRED_TOKEN", f"Application token id [{token_id}] expired", {"ID": token_id})
    token_hash = str(_required(params, "tokenHash"))
    if token_hash.lower() != kaltura_session.token_hash(widget_ks, token.token, token.hash_type):
        raise ApiV3Failure("INVALID_APP_TOKEN_HASH", "Invalid application token hash", {})
    session_type = (
        token.session_type
        if token.session_type is not None
        else _session_type(params.get("type"), default=USER_SESSION)
    )
    user_id = token.session_user_id if token.session_user_id is not None else str(params.get("userId") or "")
    expiry = _int(params.get("expiry"), "expiry", DEFAULT_EXPIRY)
    expiry = expiry if expiry > 0 else DEFAULT_EXPIRY
    if token.session_duration:
        expiry = min(expiry, token.session_duration)
    privileges = ",".join(
        p for p in (token.session_privileges, str(params.get("sessionPrivileges") or "")) if p
    )
    ks = kaltura_session.mint(
        config.admin_secret, config.partner_id, user_id, session_type, expiry, privileges, now=now
    )
    runtime.tokens.note(ks)
    return {
        "ks": ks,
        "sessionType": session_type,
        "partnerId": config.partner_id,
        "userId": user_id,
        "expiry": now + expiry,
        "privileges": privileges,
        "objectType": "KalturaSessionInfo",
    }


async def category_list(runtime: Runtime, params: Params, endpoint: str) -> Any:
    check_v3_ks(params.get("ks"), runtime.config, runtime.tokens, endpoint)
    total, objects = runtime.store.list_categories(_object(params, "filter"), _object(params, "pager"))
    return {"totalCount": total, "objects": objects, "objectType": "KalturaCategoryListResponse"}


async def category_get(runtime: Runtime, params: Params, endpoint: str) -> Any:
    check_v3_ks(params.get("ks"), runtime.config, runtime.tokens, endpoint)
    return runtime.store.render_category_by_id(_int(params.get("id"), "id"))


async def category_add(runtime: Runtime, params: Params, endpoint: str) -> Any:
    check_v3_ks(params.get("ks"), runtime.config, runtime.tokens, endpoint)
    category = _object(params, "category")
    name = category.get("name")
    if not name:
        raise _missing("category:name")
    return runtime.store.add_category(str(name), _int(category.get("parentId"), "category:parentId", 0))


async def category_delete(runtime: Runtime, params: Params, endpoint: str) -> Any:
    """Deleting a category with children holds the partner's category lock for a while.

    The subtree goes at once; then the request keeps the lock for
    ``category_lock_seconds`` (an asyncio sleep, the loop keeps serving), and any
    ``category.delete`` arriving meanwhile gets ``CATEGORIES_LOCKED``.
    """
    check_v3_ks(params.get("ks"), runtime.config, runtime.tokens, endpoint)
    category_id = _int(params.get("id"), "id")
    store = runtime.store
    _, locked = store.delete_category(category_id)
    if locked:
        try:
            await runtime.pause(runtime.config.category_lock_seconds)
        finally:
            store.release_category_lock()
    return None


def _unknown_action(endpoint: str) -> ApiV3Failure:
    """KALTURA_API_GETTING_STARTED.md §10: SERVICE_DOES_NOT_EXISTS, or ACTION_DOES_NOT_EXISTS
    when the service is known."""
    service, _, action = endpoint.partition(".")
    if service.lower() in {name.split(".")[0].lower() for name in API_V3_ENDPOINTS}:
        return ApiV3Failure(
            "ACTION_DOES_NOT_EXISTS", f"Action [{action}] does not exist in [{service}]", {"ACTION": action}
        )
    return ApiV3Failure(
        "SERVICE_DOES_NOT_EXISTS", f"Service [{service}] does not exist", {"SERVICE": service}
    )


V3_HANDLERS: dict[str, V3Handler] = {
    "session.start": session_start,
    "session.startWidgetSession": start_widget_session,
    "appToken.startSession": app_token_start_session,
    "category.list": category_list,
    "category.get": category_get,
    "category.add": category_add,
    "category.delete": category_delete,
}


async def api_v3_route(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    endpoint = api_v3_endpoint(request.path_params["service"], request.path_params["action"])
    context = request_context(request.scope)
    try:
        handler = V3_HANDLERS.get(endpoint)
        if handler is None:
            raise _unknown_action(endpoint)
        try:
            params = parse_params(
                request.url.query, await request.body(), request.headers.get("content-type", "")
            )
        except ValueError:
            raise ApiV3Failure("INVALID_FIELD_VALUE", "The request body is not valid JSON", {}) from None
        return JSONResponse(await handler(runtime, params, endpoint))
    except ApiV3Failure as exc:
        if context is not None:
            context.api_code = exc.code
        return JSONResponse(api_v3_error_body(exc.code, str(exc), exc.args_map))
    except Exception:
        logger.exception("API v3 handler %s failed", endpoint)
        return events_error(500, INTERNAL_ERROR_MESSAGE)
