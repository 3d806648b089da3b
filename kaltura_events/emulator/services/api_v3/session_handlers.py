"""API v3 ``session`` and ``appToken``: how a client gets a KS.

As on Kaltura, every answer is HTTP 200 and failures are ``KalturaAPIException``
objects (``route.py`` renders them).
"""

from __future__ import annotations

from typing import Any

from kaltura_events.emulator import kaltura_session
from kaltura_events.emulator.auth import verify_v3_ks
from kaltura_events.emulator.failures import ApiV3Failure
from kaltura_events.emulator.kaltura_session import USER_SESSION
from kaltura_events.emulator.services.api_v3.app_tokens import ACTIVE
from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend
from kaltura_events.emulator.services.api_v3.params import Params, integer, required, session_type

DEFAULT_EXPIRY = 86400
"""KALTURA_SESSION_GUIDE.md §5.1: ``expiry`` defaults to 86400 seconds."""
WIDGET_PRIVILEGES = "widget:1,view:*"
"""kSessionBase::WIDGET_PRIVILEGE: what marks a KS as a widget session."""


async def session_start(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    """KALTURA_SESSION_GUIDE.md §5.1: secret, partnerId and type are required; the answer is the KS
    as a bare JSON string (format=1). A wrong secret or partner is refused with START_SESSION_ERROR,
    a code no reference names (the client's error map knows it)."""
    config = backend.platform.config
    secret = required(params, "secret")
    partner_id = integer(params.get("partnerId"), "partnerId")
    kind = session_type(params.get("type"))
    if partner_id != config.partner_id or secret != config.admin_secret:
        raise ApiV3Failure(
            "START_SESSION_ERROR",
            f"Error while starting session for partner [{partner_id}]",
            {"PARTNER_ID": str(partner_id)},
        )
    expiry = integer(params.get("expiry"), "expiry", DEFAULT_EXPIRY)
    user_id = str(params.get("userId") or "")
    ks = kaltura_session.mint(
        config.admin_secret,
        config.partner_id,
        user_id,
        kind,
        expiry if expiry > 0 else DEFAULT_EXPIRY,
        str(params.get("privileges") or ""),
    )
    backend.session_started(ks, user_id, kind)
    return ks


async def start_widget_session(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    """KALTURA_SESSION_GUIDE.md §5.2: ``widgetId`` is ``_<partnerId>``; INVALID_WIDGET_ID otherwise
    (a code no reference names)."""
    config = backend.platform.config
    widget_id = str(required(params, "widgetId"))
    if widget_id != f"_{config.partner_id}":
        raise ApiV3Failure("INVALID_WIDGET_ID", f"Invalid widget id [{widget_id}]", {"WIDGET_ID": widget_id})
    ks = kaltura_session.mint(
        config.admin_secret, config.partner_id, "0", USER_SESSION, DEFAULT_EXPIRY, WIDGET_PRIVILEGES
    )
    backend.session_started(ks, "0", USER_SESSION)
    return {
        "ks": ks,
        "partnerId": config.partner_id,
        "userId": "0",
        "objectType": "KalturaStartWidgetSessionResponse",
    }


async def app_token_start_session(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    """KALTURA_APPTOKENS_API.md §6.2, §6.3, §10: ``tokenHash`` = HASH(widget KS + token) with the token's
    hash type; the token's ``sessionUserId`` and ``sessionType`` override the request's, its
    ``sessionDuration`` caps ``expiry`` and its ``sessionPrivileges`` merge with the request's.
    An unknown token id answers INVALID_APP_TOKEN_ID, the code §10 names.
    """
    config = backend.platform.config
    widget_ks = str(required(params, "ks"))
    verify_v3_ks(widget_ks, config, backend.platform.ks_ledger)
    token_id = str(required(params, "id"))
    token = backend.app_tokens.get(token_id)
    if token is None:
        raise ApiV3Failure(
            "INVALID_APP_TOKEN_ID", f"Invalid application token id [{token_id}]", {"ID": token_id}
        )
    if token.status != ACTIVE:  # §10: "Token is disabled (status != 2)"
        raise ApiV3Failure(
            "APP_TOKEN_NOT_ACTIVE", f"Application token id [{token_id}] is not active", {"ID": token_id}
        )
    now = int(backend.platform.clock())
    if token.expiry and token.expiry <= now:  # §4: "0 = never expires"
        raise ApiV3Failure("EXPIRED_TOKEN", f"Application token id [{token_id}] expired", {"ID": token_id})
    token_hash = str(required(params, "tokenHash"))
    if token_hash.lower() != kaltura_session.token_hash(widget_ks, token.token, token.hash_type):
        raise ApiV3Failure("INVALID_APP_TOKEN_HASH", "Invalid application token hash", {})
    kind = (
        token.session_type
        if token.session_type is not None
        else session_type(params.get("type"), default=USER_SESSION)
    )
    user_id = token.session_user_id if token.session_user_id is not None else str(params.get("userId") or "")
    expiry = integer(params.get("expiry"), "expiry", DEFAULT_EXPIRY)
    expiry = expiry if expiry > 0 else DEFAULT_EXPIRY
    if token.session_duration:
        expiry = min(expiry, token.session_duration)
    privileges = ",".join(
        p for p in (token.session_privileges, str(params.get("sessionPrivileges") or "")) if p
    )
    ks = kaltura_session.mint(
        config.admin_secret, config.partner_id, user_id, kind, expiry, privileges, now=now
    )
    backend.session_started(ks, user_id, kind)
    return {
        "ks": ks,
        "sessionType": kind,
        "partnerId": config.partner_id,
        "userId": user_id,
        "expiry": now + expiry,
        "privileges": privileges,
        "objectType": "KalturaSessionInfo",
    }
