"""API v3 app tokens: made through ``/_emulator/app-tokens``, used by ``appToken.startSession``."""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Callable
from typing import Any

from kaltura_events.emulator.kaltura_session import TOKEN_HASH_TYPES
from kaltura_events.emulator.services.api_v3.models import AppToken, render_app_token

ACTIVE = 2
STATUSES = (1, 2, 3)
"""KALTURA_APPTOKENS_API.md §4: 1 disabled, 2 active, 3 deleted."""


class AppTokenBook:
    def __init__(self, seed: int, clock: Callable[[], float]) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._ids = random.Random(f"{seed}:app-tokens")
        self._tokens: dict[str, AppToken] = {}

    def create(
        self,
        *,
        hash_type: str = "SHA256",
        session_type: int | None = None,
        session_user_id: str | None = None,
        expiry: int | None = None,
        session_duration: int | None = None,
        session_privileges: str = "",
        status: int = ACTIVE,
    ) -> AppToken:
        """Make a token; its value is random (it is a secret) while its id follows the seed."""
        normalized = hash_type.upper()
        if normalized not in TOKEN_HASH_TYPES:
            raise ValueError(f"hashType must be one of {', '.join(TOKEN_HASH_TYPES)}, got {hash_type!r}")
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(map(str, STATUSES))} (AT §4), got {status!r}")
        with self._lock:
            token_id = f"1_{self._ids.getrandbits(40):010x}"
            token = AppToken(
                id=token_id,
                token=secrets.token_hex(16),
                hash_type=normalized,
                session_type=session_type,
                session_user_id=session_user_id,
                expiry=expiry,
                session_duration=session_duration,
                session_privileges=session_privileges,
                created_at=int(self._clock()),
                status=status,
            )
            self._tokens[token_id] = token
            return token

    def get(self, token_id: str) -> AppToken | None:
        with self._lock:
            return self._tokens.get(token_id)

    def snapshot(self) -> list[dict[str, Any]]:
        """Without the token values: they are secrets."""
        with self._lock:
            return [render_app_token(token) for token in self._tokens.values()]
