"""A refused credential ends a flow run with one line: the state message names the check and what to change.

A wrong admin secret, a given KS that expired and a disabled app token, each
against the emulator under a real flow run. The refusal is never retried: the
first call meets it (a minted KS gets its one renewal) and the run ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from flows.schedule_all_hands import schedule_all_hands
from kaltura_events.api.errors import CredentialsRefused
from kaltura_events.api.ks import ADMIN, build_ks_v2
from kaltura_events.credentials import KalturaCredentials, close_cached_clients
from kaltura_events.emulator.server import EmulatorServer
from tests.specs import weekly_all_hands

WRONG_SECRET = "not-the-admin-secret"


def credentials(emu: EmulatorServer, **variables: str) -> KalturaCredentials:
    """The emulator's variables with one way to get a KS replaced by ``variables``, as a user exports them."""
    exports = {k: v for k, v in emu.exports.items() if k != "KALTURA_ADMIN_SECRET"}
    return KalturaCredentials.from_env({**exports, **variables})


def wrong_secret(emu: EmulatorServer) -> tuple[KalturaCredentials, str]:
    return credentials(emu, KALTURA_ADMIN_SECRET=WRONG_SECRET), WRONG_SECRET


def expired_ks(emu: EmulatorServer) -> tuple[KalturaCredentials, str]:
    two_hours_ago = time.time() - 7200
    ks = build_ks_v2(emu.admin_secret, emu.partner_id, emu.user_id, expiry_seconds=3600, now=two_hours_ago)
    return credentials(emu, KALTURA_KS=ks, KALTURA_PARTNER_ID="", KALTURA_USER_ID=""), ks


def disabled_app_token(emu: EmulatorServer) -> tuple[KalturaCredentials, str]:
    token = emu.control.create_app_token("SHA256", session_user_id=emu.user_id, session_type=ADMIN, status=1)
    given = credentials(emu, KALTURA_APP_TOKEN_ID=token["id"], KALTURA_APP_TOKEN=token["token"])
    return given, token["token"]


Arrange = Callable[[EmulatorServer], tuple[KalturaCredentials, str]]


@pytest.mark.parametrize(
    ("arrange", "check", "what_to_change", "requests"),
    [
        pytest.param(
            wrong_secret,
            "events/list: HTTP 401: the KS signature is invalid",
            "check KALTURA_ADMIN_SECRET (the Block's admin_secret) for partner {partner}",
            {"events/list": {"401": 2}},  # the KS, then the one renewal; no retry
            id="wrong-admin-secret",
        ),
        pytest.param(
            expired_ks,
            "events/list: HTTP 401: the KS has expired",
            "KALTURA_KS (the Block's ks) was given as a fixed KS, so it cannot be renewed",
            {"events/list": {"401": 1}},
            id="expired-ks",
        ),
        pytest.param(
            disabled_app_token,
            "appToken.startSession: HTTP 401: APP_TOKEN_NOT_ACTIVE",
            "app token {token_id} is disabled: re-enable it",
            {
                "session.startWidgetSession": {"200": 1},
                "appToken.startSession": {"200:APP_TOKEN_NOT_ACTIVE": 1},
            },
            id="disabled-app-token",
        ),
    ],
)
def test_a_refused_credential_is_the_flow_runs_one_line_state_message(
    emu: EmulatorServer,
    arrange: Arrange,
    check: str,
    what_to_change: str,
    requests: dict[str, dict[str, int]],
) -> None:
    given, secret = arrange(emu)
    emu.control.reset_stats()

    try:
        state = schedule_all_hands(weekly_all_hands(), given, return_state=True)
    finally:
        close_cached_clients()

    assert state.is_failed()
    message = state.message or ""
    assert "\n" not in message and message.startswith(check), message
    assert what_to_change.format(partner=emu.partner_id, token_id=given.app_token_id) in message, message
    assert secret not in message
    with pytest.raises(CredentialsRefused) as raised:
        state.result()
    assert str(raised.value) == message, "a caller and the UI read the same line"
    assert emu.control.stats()["requests"] == requests
