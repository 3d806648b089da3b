"""What every emulated service of one partner shares: config, clock, ids, the lock, the KS ledger, changes.

On Kaltura the services are separate, but they serve one partner and see
each other's records where the guides say so (an event makes API v3
categories; later, an event registers its App Registry app). Here one lock
guards every backend, so an event and the categories it made change together
or not at all; a backend reaches another only through :meth:`Platform.backend`
and that backend's own methods, never through its records.

``/_emulator/reset`` builds a new platform rather than clearing this one, so a
request still running finishes against the world it started in.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, TypeVar

from kaltura_events.emulator.changes import ChangeFeed
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.ks_ledger import KsLedger

_ENTRY_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_PAUSE_STEP = 0.05

B = TypeVar("B")


class Platform:
    def __init__(
        self,
        config: EmulatorConfig,
        changes: ChangeFeed,
        closing: threading.Event,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.ids = random.Random(f"{config.seed}:ids")
        self.ks_ledger = KsLedger()
        self.changes = changes
        self._entry_ids: set[str] = set()
        self._closing = closing
        self._retired = threading.Event()
        self._catch_ups: list[Callable[[], None]] = []
        self._backends: dict[type[Any], Any] = {}

    @property
    def partner_id(self) -> int:
        return self.config.partner_id

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=timezone.utc)

    def new_entry_id(self) -> str:
        """An entry id like Kaltura's ("1_a0b1c2d3"), deterministic from the seed, never reused.

        Entries (sessions, media) are partner-wide on Kaltura, whichever service makes them.
        """
        while True:
            candidate = "1_" + "".join(self.ids.choice(_ENTRY_ALPHABET) for _ in range(8))
            if candidate not in self._entry_ids:
                self._entry_ids.add(candidate)
                return candidate

    # -- backends -----------------------------------------------------------

    def install(self, backend: object) -> None:
        """Make a service's backend findable by its class (the runtime installs each one)."""
        self._backends[type(backend)] = backend

    def backend(self, kind: type[B]) -> B:
        """Another service's backend, for the records the guides say a service sees across services."""
        found: B = self._backends[kind]
        return found

    # -- the one lock -------------------------------------------------------

    def catch_up_on_lock(self, catch_up: Callable[[], None]) -> None:
        """Run ``catch_up`` (with the lock held) before every locked access.

        Time-driven state (a duplication job that finishes after N seconds)
        moves on when someone looks, so no background task is needed, and it
        moves whichever service looks (a failed copy's categories vanish from
        ``category.list`` too).
        """
        self._catch_ups.append(catch_up)

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self.lock:
            for catch_up in self._catch_ups:
                catch_up()
            yield

    # -- waiting ------------------------------------------------------------

    def retire(self) -> None:
        """Replaced by a reset: wake this platform's sleepers so they do not answer into the next test."""
        self._retired.set()

    async def pause(self, seconds: float) -> bool:
        """Sleep without blocking the loop; cut short by shutdown or a reset. True if it ran fully."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if self._closing.is_set() or self._retired.is_set():
                return False
            await asyncio.sleep(min(_PAUSE_STEP, remaining))

    @property
    def retired(self) -> bool:
        return self._retired.is_set()

    @property
    def stopping(self) -> bool:
        """Retired by a reset or shutting down: background work of this platform should end."""
        return self._closing.is_set() or self._retired.is_set()

    def wait(self, seconds: float) -> bool:
        """:meth:`pause` for a background thread (notification retries). True if it ran fully."""
        deadline = time.monotonic() + seconds
        while not self.stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            self._retired.wait(min(_PAUSE_STEP, remaining))
        return False

    def snapshot(self) -> dict[str, Any]:
        return {"expiredKsCount": self.ks_ledger.expired_count()}
