"""What a refused credential's line tells a person to change, for each way to get a KS: no value, ever."""

from __future__ import annotations

import pytest

from kaltura_events.api.errors import AuthenticationError, CredentialsRefused, api_v3_error
from kaltura_events.environment import refusal_advice

PARTNER = 4815162
TOKEN_ID = "1_abcdef0123"


def said(refusal: AuthenticationError, mode: str) -> str:
    advise = refusal_advice(mode, partner_id=PARTNER, app_token_id=TOKEN_ID, hash_type="SHA512")
    return str(CredentialsRefused(refusal, advise(refusal)))


def test_a_bad_signature_names_the_admin_secret_and_the_partner() -> None:
    refusal = AuthenticationError("events/list", "the KS signature is invalid")
    assert said(refusal, "admin_secret") == (
        "events/list: HTTP 401: the KS signature is invalid: "
        f"check KALTURA_ADMIN_SECRET (the Block's admin_secret) for partner {PARTNER}"
    )


def test_a_session_start_refusal_names_the_admin_secret_too() -> None:
    refusal = api_v3_error("session.start", "START_SESSION_ERROR", "Error while starting session")
    assert isinstance(refusal, AuthenticationError)
    assert said(refusal, "admin_secret").endswith(
        f"check KALTURA_ADMIN_SECRET (the Block's admin_secret) for partner {PARTNER}"
    )


def test_a_ks_made_here_refused_as_expired_points_at_the_clock_not_the_secret() -> None:
    """The signature passed, so the secret is right; only the clocks can disagree."""
    line = said(AuthenticationError("events/list", "the KS has expired"), "admin_secret")
    assert line.endswith("a KS made just now was refused as expired: check this machine's clock")


def test_a_given_ks_says_it_cannot_be_renewed_and_what_mints_one() -> None:
    line = said(AuthenticationError("events/list", "the KS has expired"), "ks")
    assert line.startswith("events/list: HTTP 401: the KS has expired: KALTURA_KS (the Block's ks) was given")
    assert "KALTURA_ADMIN_SECRET or KALTURA_APP_TOKEN_ID + KALTURA_APP_TOKEN to mint one" in line


@pytest.mark.parametrize(
    ("code", "what_to_change"),
    [
        (
            "APP_TOKEN_NOT_ACTIVE",
            f"app token {TOKEN_ID} is disabled: re-enable it (appToken.update, status 2)",
        ),
        ("EXPIRED_TOKEN", f"app token {TOKEN_ID} has expired: make a new one"),
        (
            "INVALID_APP_TOKEN_ID",
            f"partner {PARTNER} has no app token {TOKEN_ID}: check KALTURA_APP_TOKEN_ID",
        ),
        (
            "APP_TOKEN_ID_NOT_FOUND",
            f"partner {PARTNER} has no app token {TOKEN_ID}: check KALTURA_APP_TOKEN_ID",
        ),
        (
            "INVALID_APP_TOKEN_HASH",
            "check KALTURA_APP_TOKEN (the Block's app_token) and KALTURA_APP_TOKEN_HASH_TYPE (SHA512)",
        ),
        (
            "INVALID_KS",
            f"a KS made just now from app token {TOKEN_ID} was refused: check KALTURA_APP_TOKEN_ID",
        ),
    ],
)
def test_each_app_token_refusal_names_the_token_and_what_to_change(code: str, what_to_change: str) -> None:
    refusal = api_v3_error("appToken.startSession", code, "refused")
    assert isinstance(refusal, AuthenticationError)
    line = said(refusal, "app_token")
    assert line.startswith(f"appToken.startSession: HTTP 401: {code}: refused: "), line
    assert what_to_change in line, line
