"""The live parts of one emulator (config, platform, service backends, faults, stats), swapped whole.

A reset replaces the objects instead of clearing them in place, so a request
that was already running finishes against the world it started in and cannot
leak into the next test.
"""

from __future__ import annotations

import threading
from typing import Any, TypeVar

from kaltura_events.emulator.changes import ChangeFeed
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.endpoints import Backend, Service
from kaltura_events.emulator.faults import FaultInjector, parse_rules
from kaltura_events.emulator.platform import Platform
from kaltura_events.emulator.services.registry import SERVICES
from kaltura_events.emulator.stats import Stats

B = TypeVar("B", bound=Backend)


class Runtime:
    def __init__(self, config: EmulatorConfig) -> None:
        self.base_config = config
        self.changes = ChangeFeed()
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._install(config)

    def _install(self, config: EmulatorConfig) -> None:
        faults = FaultInjector(parse_rules(config.faults), config.seed, config.latency_ms, config.jitter_ms)
        platform = Platform(config, self.changes, self._closing)
        backends: dict[str, Backend] = {}
        for service in SERVICES:
            backend = service.backend(platform)
            platform.install(backend)
            backends[service.name] = backend
        with self._lock:
            retired: Platform | None = getattr(self, "platform", None)
            self.config = config
            self.platform = platform
            self._backends = backends
            self.faults = faults
            self.stats = Stats()
        if retired is not None:
            retired.retire()

    def backend(self, service: Service[B]) -> B:
        """The service's backend in the current world (a reset replaces it)."""
        found: Any = self._backends[service.name]
        return found

    def snapshot(self) -> dict[str, Any]:
        """Everything the services hold, for ``/_emulator/state``."""
        snapshot: dict[str, Any] = {}
        for backend in self._backends.values():
            snapshot.update(backend.snapshot())
        return {**snapshot, **self.platform.snapshot()}

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
            self.platform.config = config
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
