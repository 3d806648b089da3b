"""The ``KALTURA_*`` variables Kaltura's guides use, and whether they name one complete way to get a KS.

Apart from the credentials Block, so a command can check them before it
imports Prefect (Prefect reads its own settings on import) and before it
starts a server: a forgotten export then costs one line, not a server start
and a traceback per task.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from kaltura_events.api.errors import AuthenticationError, InvalidArgumentError, KalturaError

ENV_FIELDS: dict[str, str] = {
    "KALTURA_REGION": "region",
    "KALTURA_EVENTS_API_URL": "events_api_url",
    "KALTURA_SERVICE_URL": "service_url",
    "KALTURA_APP_REGISTRY_URL": "app_registry_url",
    "KALTURA_USER_PROFILE_URL": "user_profile_url",
    "KALTURA_MESSAGING_URL": "messaging_url",
    "KALTURA_PARTNER_ID": "partner_id",
    "KALTURA_ADMIN_SECRET": "admin_secret",
    "KALTURA_USER_ID": "user_id",
    "KALTURA_KS": "ks",
    "KALTURA_APP_TOKEN_ID": "app_token_id",
    "KALTURA_APP_TOKEN": "app_token",
    "KALTURA_APP_TOKEN_HASH_TYPE": "app_token_hash_type",
}
"""Each variable and the credentials Block field it fills."""
ENV_VARS = tuple(ENV_FIELDS)
VARIABLE_OF = {name: var for var, name in ENV_FIELDS.items()}

_AUTH_MODES: dict[str, tuple[str, ...]] = {
    "a KS": ("ks",),
    "an admin secret": ("admin_secret", "partner_id", "user_id"),
    "an app token": ("app_token_id", "app_token", "partner_id", "user_id"),
}
"""Each way to get a KS, by the fields it needs; the first one is what chooses it."""

WHERE_TO_SET = (
    "Export KALTURA_PARTNER_ID, KALTURA_USER_ID and KALTURA_ADMIN_SECRET (or KALTURA_KS, or "
    "KALTURA_APP_TOKEN_ID + KALTURA_APP_TOKEN), or give the run a saved Kaltura Credentials Block "
    "(the flow's credentials parameter; `kaltura-events credentials save` makes one from these variables)"
)


class CredentialsError(KalturaError):
    """No usable credentials: what is missing or contradictory, and where to set it; never a value."""


def _auth_problem(present: set[str]) -> str | None:
    """What keeps the variables from naming exactly one complete way to get a KS, in a person's words."""
    chosen = [mode for mode, fields in _AUTH_MODES.items() if fields[0] in present]
    if "app_token" in present and "app_token_id" not in present:
        chosen.append("an app token")
    if not chosen:
        return (
            "no Kaltura credentials: none of KALTURA_KS, KALTURA_ADMIN_SECRET or KALTURA_APP_TOKEN_ID is set"
        )
    if len(chosen) > 1:
        named = [VARIABLE_OF[_AUTH_MODES[mode][0]] for mode in chosen]
        return f"{' and '.join(named)} are both set: keep the one way to get a KS you mean"
    missing = [VARIABLE_OF[name] for name in _AUTH_MODES[chosen[0]] if name not in present]
    if missing:
        return f"Kaltura credentials by {chosen[0]} also need {', '.join(missing)}, which is not set"
    return None


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The credentials Block's fields from the variables; raises CredentialsError naming what is missing."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {name: env[var] for var, name in ENV_FIELDS.items() if env.get(var)}
    problem = _auth_problem(set(values))
    if problem is not None:
        raise CredentialsError(f"{problem}. {WHERE_TO_SET}")
    if "partner_id" in values:
        try:
            values["partner_id"] = int(values["partner_id"])
        except ValueError:
            raise InvalidArgumentError("KALTURA_PARTNER_ID", values["partner_id"], "not an integer") from None
    return values


def setting(field: str) -> str:
    """A setting as both places name it (a run's credentials come from either): variable and Block field."""
    return f"{VARIABLE_OF[field]} (the Block's {field})"


_APP_TOKEN_REFUSALS: dict[str, str] = {
    "APP_TOKEN_NOT_ACTIVE": "app token {token_id} is disabled: re-enable it (appToken.update, status 2), "
    "or set KALTURA_APP_TOKEN_ID and KALTURA_APP_TOKEN to an active token",
    "EXPIRED_TOKEN": "app token {token_id} has expired: make a new one and set KALTURA_APP_TOKEN_ID and "
    "KALTURA_APP_TOKEN to it",
    "INVALID_APP_TOKEN_ID": "partner {partner_id} has no app token {token_id}: check "
    + setting("app_token_id")
    + " and KALTURA_PARTNER_ID",
    "INVALID_APP_TOKEN_HASH": "check "
    + setting("app_token")
    + " and KALTURA_APP_TOKEN_HASH_TYPE ({hash_type}) of app token {token_id}",
}
"""What to change for each refusal of ``appToken.startSession`` (KALTURA_APPTOKENS_API.md §10)."""
_APP_TOKEN_REFUSALS["APP_TOKEN_ID_NOT_FOUND"] = _APP_TOKEN_REFUSALS["INVALID_APP_TOKEN_ID"]


def refusal_advice(
    mode: str,
    *,
    partner_id: int | None = None,
    app_token_id: str | None = None,
    hash_type: str = "SHA256",
) -> Callable[[AuthenticationError], str]:
    """What to change when Kaltura refuses credentials of ``mode``: ``ks``, ``admin_secret`` or ``app_token``.

    The check that failed is the API's own words, which the refusal keeps;
    this names the setting to change, never its value: a secret, a token or a
    KS never appears, only the partner and the app token's id, which are not
    secrets and tell a person which account and token to look at.
    """

    def advise(refusal: AuthenticationError) -> str:
        said = refusal.api_message.lower()
        if mode == "ks":
            return (
                f"{setting('ks')} was given as a fixed KS, so it cannot be renewed; give a fresh one, or "
                "KALTURA_ADMIN_SECRET or KALTURA_APP_TOKEN_ID + KALTURA_APP_TOKEN to mint one"
            )
        if mode == "app_token":
            code = getattr(refusal, "code", "")
            template = _APP_TOKEN_REFUSALS.get(
                code,
                "a KS made just now from app token {token_id} was refused: check KALTURA_APP_TOKEN_ID, "
                "KALTURA_APP_TOKEN and KALTURA_PARTNER_ID ({partner_id})",
            )
            return template.format(token_id=app_token_id, partner_id=partner_id, hash_type=hash_type)
        if "expired" in said:
            # The signature passed, so the secret is right: a KS made here is expired at once only
            # when this machine's clock and Kaltura's disagree.
            return "a KS made just now was refused as expired: check this machine's clock"
        return f"check {setting('admin_secret')} for partner {partner_id}"

    return advise
