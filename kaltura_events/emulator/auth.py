"""KS checks for both APIs, with the partner's admin secret as the only key, as Kaltura's servers do.

The order is KALTURA_SESSION_GUIDE.md's "KS Validation Flow": signature, then
expiry, then revocation (``/_emulator/expire-ks`` stands in for ``session.end``),
then the permission the API needs. Messages describe what is wrong with a KS
and never contain it.
"""

from __future__ import annotations

from kaltura_events.emulator import kaltura_session
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.failures import ApiV3Failure, EventsApiFailure
from kaltura_events.emulator.kaltura_session import ADMIN_SESSION, KsInvalid, Session
from kaltura_events.emulator.ks_ledger import KsLedger

_SCHEMES = ("bearer", "ks")


def ks_from_authorization(header: str | None) -> str | None:
    """The KS from ``Authorization: Bearer <KS>`` (spec securitySchemes.ks) or ``Authorization: ks <KS>``."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() not in _SCHEMES or not value.strip():
        return None
    return value.strip()


def verify_ks(ks: str, config: EmulatorConfig, ledger: KsLedger) -> Session:
    """Signature (with the claimed partner's secret), expiry and revocation; remember the KS."""
    partner_id = kaltura_session.partner_of(ks)
    if partner_id != config.partner_id:
        # The server picks the secret by the claimed partner; it has none for another one.
        raise KsInvalid(f"the KS belongs to partner {partner_id}, not {config.partner_id}")
    session = kaltura_session.verify(ks, config.admin_secret)
    if ledger.revoked(ks):
        raise KsInvalid("the KS has expired", expired=True)
    ledger.note(ks)
    return session


def check_events_ks(header: str | None, config: EmulatorConfig, ledger: KsLedger) -> Session:
    """KALTURA_EVENTS_PLATFORM_API.md §2, §3, §11: 401 for no, bad or expired KS;
    403 for a KS that is not ADMIN (type 2) or has no user id."""
    session = check_bearer_ks(header, config, ledger, admin=True, service="the Events Platform")
    if not session.user_id:
        raise EventsApiFailure(403, "the Events Platform needs a KS with a user id")
    return session


def check_bearer_ks(
    header: str | None,
    config: EmulatorConfig,
    ledger: KsLedger,
    *,
    admin: bool,
    service: str = "this service",
) -> Session:
    """KALTURA_APP_REGISTRY_API.md §3, KALTURA_USER_PROFILE_API.md §2: ``Authorization: Bearer <KS>``,
    an ADMIN KS (type 2) unless the endpoint also takes an analytics KS (``admin=False``). Unlike the
    Events Platform, no user id is required. The guides give no status or code for a refused KS: the
    emulator answers as the Events Platform does to the same header, 401 (no, bad or expired KS) and 403."""
    ks = ks_from_authorization(header)
    if ks is None:
        raise EventsApiFailure(401, "missing KS: send 'Authorization: Bearer <KS>'")
    try:
        session = verify_ks(ks, config, ledger)
    except KsInvalid as exc:
        raise EventsApiFailure(401, str(exc)) from None
    if admin and session.session_type != ADMIN_SESSION:
        raise EventsApiFailure(403, f"{service} needs an ADMIN KS (type 2)")
    return session


def forbidden(service_action: str) -> ApiV3Failure:
    message = f"The access to service [{service_action}] is forbidden"
    return ApiV3Failure("SERVICE_FORBIDDEN", message, {"SERVICE": service_action})


def check_v3_ks(ks: str | None, config: EmulatorConfig, ledger: KsLedger, service_action: str) -> Session:
    """KALTURA_CATEGORIES_AND_ENTITLEMENTS_API.md §3: category actions need an ADMIN KS (type 2);
    KALTURA_API_GETTING_STARTED.md §10: MISSING_KS when none is given, SERVICE_FORBIDDEN when the KS
    lacks the permission."""
    if not ks:
        raise ApiV3Failure("MISSING_KS", "Missing KS. Session not established", {})
    session = verify_v3_ks(ks, config, ledger)
    if session.session_type != ADMIN_SESSION:
        raise forbidden(service_action)
    return session


def verify_v3_ks(ks: str, config: EmulatorConfig, ledger: KsLedger) -> Session:
    """KALTURA_SESSION_GUIDE.md §9: INVALID_KS (malformed, bad signature) or EXPIRED_KS (past its TTL)."""
    try:
        return verify_ks(ks, config, ledger)
    except KsInvalid as exc:
        if exc.expired:
            raise ApiV3Failure("EXPIRED_KS", "KS has expired", {}) from None
        raise ApiV3Failure("INVALID_KS", f"Invalid KS: {exc}", {}) from None
