"""The receiver's settings, read once before it listens, so a missing one is one line and no server.

The path token and the Prefect API come from the environment only: a token
on the command line would sit in ``ps`` output and shell history. The admin
secret is resolved by the command (``webhooks serve``) from the credentials,
so this module stays free of Prefect, like the receiver that uses it.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from kaltura_events.api.errors import KalturaError
from kaltura_events.webhooks.signature import HASH_ALGOS, HashAlgo

TOKEN_ENV = "KALTURA_WEBHOOK_TOKEN"
PREFECT_API_URL_ENV = "PREFECT_API_URL"
PREFECT_API_KEY_ENV = "PREFECT_API_KEY"
PREFECT_AUTH_STRING_ENV = "PREFECT_API_AUTH_STRING"

DEFAULT_HASH_ALGO: HashAlgo = "sha256"
DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_PREFECT_TIMEOUT_SECONDS = 10.0
MIN_TOKEN_LENGTH = 16
LOGGER_NAME = "kaltura_events.webhooks"
"""The receiver's logger; ``webhooks serve`` gives it a handler at INFO."""
_TOKEN = re.compile(r"[A-Za-z0-9_\-.~]+")
"""Characters that survive a URL path unescaped, so the token in Kaltura's template is the token here."""


class WebhookConfigError(KalturaError):
    """A setting is missing or unusable; the message names the variable or option, never its value."""


@dataclass(frozen=True, kw_only=True)
class ReceiverConfig:
    """Everything the app needs; secrets are left out of ``repr`` so a logged config leaks nothing."""

    token: str = field(repr=False)
    admin_secret: str = field(repr=False)
    partner_id: int
    prefect_api_url: str
    hash_algo: HashAlgo = DEFAULT_HASH_ALGO
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    prefect_api_key: str | None = field(default=None, repr=False)
    prefect_auth_string: str | None = field(default=None, repr=False)
    prefect_timeout_seconds: float = DEFAULT_PREFECT_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        check_token(self.token)
        if not self.admin_secret:
            raise WebhookConfigError("the admin secret is empty")
        if self.hash_algo not in HASH_ALGOS:
            raise WebhookConfigError(f"--hash-algo must be one of {', '.join(HASH_ALGOS)}")
        if self.max_body_bytes < 1:
            raise WebhookConfigError("--max-body-bytes must be at least 1")
        if not 0 < self.prefect_timeout_seconds <= 120:
            raise WebhookConfigError("the Prefect timeout must be in (0, 120] seconds")
        object.__setattr__(self, "prefect_api_url", check_prefect_api_url(self.prefect_api_url))

    @property
    def claim_lease_seconds(self) -> float:
        """How old a pending delivery claim must be to belong to a request that died.

        A delivery makes three Prefect calls after its claim is dated (claim,
        event, record), each bounded by the timeout; one more for margin.
        """
        return 4 * self.prefect_timeout_seconds

    def authorization(self) -> str | None:
        """The Authorization header for the Prefect API, as Prefect's own client builds it (key first)."""
        if self.prefect_api_key:
            return f"Bearer {self.prefect_api_key}"
        if self.prefect_auth_string:
            return "Basic " + base64.b64encode(self.prefect_auth_string.encode()).decode()
        return None


def check_token(token: str) -> str:
    if len(token) < MIN_TOKEN_LENGTH or not _TOKEN.fullmatch(token):
        raise WebhookConfigError(
            f"{TOKEN_ENV} must be at least {MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 _ - . ~ "
            '(make one with: python -c "import secrets; print(secrets.token_urlsafe(32))")'
        )
    return token


def check_prefect_api_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise WebhookConfigError(
            f"{PREFECT_API_URL_ENV} must be an http(s) URL such as http://127.0.0.1:4200/api"
        )
    return url.rstrip("/")


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """The token and the Prefect settings from the environment; the first one missing is an error.

    Checked before the credentials are resolved: the credentials may be a
    Block, and loading one needs the Prefect API.
    """
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_ENV, "")
    if not token:
        raise WebhookConfigError(f"{TOKEN_ENV} is not set: the path token Kaltura's template URL ends with")
    check_token(token)
    api_url = env.get(PREFECT_API_URL_ENV, "")
    if not api_url:
        raise WebhookConfigError(
            f"{PREFECT_API_URL_ENV} is not set: the receiver hands events to that Prefect server "
            "(e.g. export PREFECT_API_URL=http://127.0.0.1:4200/api)"
        )
    return {
        "token": token,
        "prefect_api_url": check_prefect_api_url(api_url),
        "prefect_api_key": env.get(PREFECT_API_KEY_ENV) or None,
        "prefect_auth_string": env.get(PREFECT_AUTH_STRING_ENV) or None,
    }
