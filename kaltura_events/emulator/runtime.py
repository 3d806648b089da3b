"""The live parts of one emulator (config, state, faults, stats), swappable as a whole.

A reset replaces the objects instead of clearing them in place, so a request
that was already running finishes against the world it started in and cannot
leak into the next test.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.faults import FaultInjector, parse_rules
from kaltura_events.emulator.people import People
from kaltura_events.emulator.state import State
from kaltura_events.emulator.stats import Stats
from kaltura_events.emulator.store import Store
from kaltura_events.emulator.tokens import TokenBook

_PAUSE_STEP = 0.05


class Runtime:
    def __init__(self, config: EmulatorConfig) -> None:
        self.base_config = config
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self.generation = 0
        self._install(config)

    def _install(self, config: EmulatorConfig) -> None:
        faults = FaultInjector(parse_rules(config.faults), config.seed, config.latency_ms, config.jitter_ms)
        state = State(config)
        with self._lock:
            self.config = config
            self.state = state
            self.store = Store(state)
            self.people = People(state)
            self.tokens = TokenBook(config.seed)
            self.faults = faults
            self.stats = Stats()
            self.generation += 1

    def reset(self, overrides: dict[str, Any] | None = None) -> EmulatorConfig:
        """Back to the start-up config (plus ``overrides``) with empty state, stats and faults.

        Requests still sleeping in an injected hang are woken, so they do not
        answer into the next test.
        """
        config = self.base_config.replace(**(overrides or {}))
        self._install(config)
        return config

    def set_faults(
        self,
        rules: list[dict[str, Any]],
        seed: int | None = None,
        latency_ms: float | None = None,
        jitter_ms: float | None = None,
    ) -> dict[str, Any]:
        """Replace the fault rules; the random streams restart, so a seed replays from here."""
        changes: dict[str, Any] = {"faults": list(rules)}
        for name, value in (("seed", seed), ("latency_ms", latency_ms), ("jitter_ms", jitter_ms)):
            if value is not None:
                changes[name] = value
        config = self.config.replace(**changes)
        injector = FaultInjector(parse_rules(config.faults), config.seed, config.latency_ms, config.jitter_ms)
        with self._lock:
            self.config = config
            self.state.config = config
            self.faults = injector
        return injector.describe()

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = Stats()

    @property
    def closing(self) -> bool:
        return self._closing.is_set()

    def begin_shutdown(self) -> None:
        """Wake every injected hang and lock hold so the server can stop promptly; thread-safe."""
        self._closing.set()

    def resume(self) -> None:
        """Undo :meth:`begin_shutdown` when a stopped server is started again."""
        self._closing.clear()

    async def pause(self, seconds: float) -> bool:
        """Sleep without blocking the loop; cut short by shutdown or a reset. True if it ran fully."""
        generation = self.generation
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if self._closing.is_set() or self.generation != generation:
                return False
            await asyncio.sleep(min(_PAUSE_STEP, remaining))
