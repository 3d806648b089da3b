"""KS checks for both APIs, with the admin secret as the only key, as Kaltura's servers do.

Messages describe what is wrong with a KS and never contain it.
"""

from __future__ import annotations

from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.failures import ApiV3Failure, EventsApiFailure
from kaltura_events.emulator.tokens import TokenBook
from kaltura_events.errors import KsParseError
from kaltura_events.ks import ADMIN, KsInfo, ks_partner_id, parse_ks

_SCHEMES = ("bearer", "ks")


class KsRejected(Exception):
    def __init__(self, reason: str, *, expired: bool = False) -> None:
        self.expired = expired
        super().__init__(reason)


def ks_from_authorization(header: str | None) -> str | None:
    """The KS from ``Authorization: Bearer <KS>`` or ``Authorization: ks <KS>``."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() not in _SCHEMES or not value.strip():
        return None
    return value.strip()


def verify_ks(ks: str, config: EmulatorConfig, tokens: TokenBook) -> KsInfo:
    """Check partner, signature and expiry (including ``/_emulator/expire-ks``); remember the KS."""
    try:
        partner_id = ks_partner_id(ks)
    except KsParseError:
        raise KsRejected("the KS could not be parsed") from None
    if partner_id != config.partner_id:
        raise KsRejected(f"the KS belongs to partner {partner_id}, not {config.partner_id}")
    try:
        info = parse_ks(ks, config.admin_secret)
    except KsParseError:
        raise KsRejected("the KS signature is invalid") from None
    if info.expired() or tokens.revoked(ks):
        raise KsRejected("the KS has expired", expired=True)
    tokens.note(ks)
    return info


def check_events_ks(header: str | None, config: EmulatorConfig, tokens: TokenBook) -> KsInfo:
    """401 for no/bad/expired KS, 403 for a KS that is not ADMIN or has no user id."""
    ks = ks_from_authorization(header)
    if ks is None:
        raise EventsApiFailure(401, "missing KS: send 'Authorization: Bearer <KS>'")
    try:
        info = verify_ks(ks, config, tokens)
    except KsRejected as exc:
        raise EventsApiFailure(401, str(exc)) from None
    if info.session_type != ADMIN:
        raise EventsApiFailure(403, "the Events Platform needs an ADMIN KS (type 2)")
    if not info.user_id:
        raise EventsApiFailure(403, "the Events Platform needs a KS with a user id")
    return info


def check_v3_ks(ks: str | None, config: EmulatorConfig, tokens: TokenBook, service_action: str) -> KsInfo:
    """An ADMIN KS for API v3 services that need one; API v3 error codes otherwise."""
    if not ks:
        raise ApiV3Failure(
            "SERVICE_FORBIDDEN",
            f"The access to service [{service_action}] is forbidden",
            {"SERVICE": service_action},
        )
    info = verify_v3_ks(ks, config, tokens)
    if info.session_type != ADMIN:
        raise ApiV3Failure(
            "SERVICE_FORBIDDEN",
            f"The access to service [{service_action}] is forbidden",
            {"SERVICE": service_action},
        )
    return info


def verify_v3_ks(ks: str, config: EmulatorConfig, tokens: TokenBook) -> KsInfo:
    try:
        return verify_ks(ks, config, tokens)
    except KsRejected as exc:
        if exc.expired:
            raise ApiV3Failure("EXPIRED_KS", "KS has expired", {}) from None
        raise ApiV3Failure("INVALID_KS", f"Invalid KS: {exc}", {}) from None
