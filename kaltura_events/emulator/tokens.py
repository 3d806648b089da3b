"""App tokens, and which KS the emulator has been told to treat as expired.

KS expiry control: ``/_emulator/expire-ks`` revokes every KS the emulator has
issued (``session.start``, ``startWidgetSession``, ``appToken.startSession``)
or seen on a request so far; each later request with one of them gets a 401
(``EXPIRED_KS`` on API v3), exactly as a KS past its expiry would. A KS built
afterwards (even one a client builds locally) has a fresh random part, so
it is a different string and is accepted: that is what a client's renewal does.
Only SHA-256 fingerprints are kept, never the KS itself.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from kaltura_events.emulator.kaltura_session import TOKEN_HASH_TYPES
from kaltura_events.emulator.models import AppToken, render_app_token


def _fingerprint(ks: str) -> str:
    return hashlib.sha256(ks.encode()).hexdigest()


class TokenBook:
    def __init__(self, seed: int, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._ids = random.Random(f"{seed}:app-tokens")
        self._tokens: dict[str, AppToken] = {}
        self._seen: set[str] = set()
        self._revoked: set[str] = set()

    def create_app_token(
        self,
        *,
        hash_type: str = "SHA256",
        session_type: int | None = None,
        session_user_id: str | None = None,
        expiry: int | None = None,
        session_duration: int | None = None,
        session_privileges: str = "",
    ) -> AppToken:
        """Make a token; its value is random (it is a secret) while its id follows the seed."""
        normalized = hash_type.upper()
        if normalized not in TOKEN_HASH_TYPES:
            raise ValueError(f"hashType must be one of {', '.join(TOKEN_HASH_TYPES)}, got {hash_type!r}")
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
            )
            self._tokens[token_id] = token
            return token

    def app_token(self, token_id: str) -> AppToken | None:
        with self._lock:
            return self._tokens.get(token_id)

    def note(self, ks: str) -> None:
        """Remember that ``ks`` was issued or used, so a later expire-ks covers it."""
        with self._lock:
            self._seen.add(_fingerprint(ks))

    def revoked(self, ks: str) -> bool:
        with self._lock:
            return _fingerprint(ks) in self._revoked

    def expire_all(self) -> int:
        """Treat every KS issued or seen so far as expired; returns how many that is."""
        with self._lock:
            self._revoked |= self._seen
            self._seen = set()
            return len(self._revoked)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "appTokens": [render_app_token(token) for token in self._tokens.values()],
                "expiredKsCount": len(self._revoked),
            }
