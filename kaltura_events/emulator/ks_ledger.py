"""Which KS the emulator has issued or seen, and which it has been told to treat as expired.

A KS is the partner's credential on every service, so the ledger belongs to
the platform, not to the service that issued it. ``/_emulator/expire-ks``
revokes every KS issued (``session.start``, ``startWidgetSession``,
``appToken.startSession``) or seen on a request so far; each later request
with one of them gets a 401 (``EXPIRED_KS`` on API v3), exactly as a KS past
its expiry would. A KS built afterwards (even one a client builds locally) has
a fresh random part, so it is a different string and is accepted: that is what
a client's renewal does. Only SHA-256 fingerprints are kept, never the KS itself.
"""

from __future__ import annotations

import hashlib
import threading


def _fingerprint(ks: str) -> str:
    return hashlib.sha256(ks.encode()).hexdigest()


class KsLedger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._revoked: set[str] = set()

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

    def expired_count(self) -> int:
        with self._lock:
            return len(self._revoked)
