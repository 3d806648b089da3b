"""Deterministic fault injection: which request fails, and how.

Each endpoint draws from its own ``random.Random`` seeded with (seed, endpoint),
so whether the 7th ``events/create`` fails does not depend on how many
``events/list`` calls happened in between: a test can replay a failure by seed.
Every matching rule draws on every request (even after its ``times`` ran out),
so adding a cap never shifts the other rules' draws.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

from kaltura_events.emulator.request_context import Injection
from kaltura_events.emulator.services.registry import RULE_TARGETS, WRITE_ENDPOINTS

BEFORE_COMMIT = ("error_before_commit", "rate_limit", "rate_limit_reached", "unavailable")
AFTER_COMMIT = ("error_after_commit", "timeout_after_commit", "reset")
DUPLICATE_JOB = ("duplicate_fail", "duplicate_stuck")
MIXED_KINDS = ("error_before_commit", "error_after_commit", "timeout_after_commit", "reset", "rate_limit")
KINDS = (*BEFORE_COMMIT, *AFTER_COMMIT, *DUPLICATE_JOB, "mixed")
DUPLICATE_ENDPOINT = "events/duplicate"


@dataclass(frozen=True)
class FaultRule:
    """``{"endpoint", "kind", "rate"?, "retry_after"?, "times"?}``; ``rate`` defaults to 1 (always)."""

    endpoint: str
    kind: str
    rate: float = 1.0
    retry_after: float = 1.0
    times: int | None = None

    def applies_to(self, endpoint: str) -> bool:
        if self.kind in DUPLICATE_JOB and endpoint != DUPLICATE_ENDPOINT:
            return False
        if self.endpoint == "*":
            return True
        if self.endpoint == "writes":
            return endpoint in WRITE_ENDPOINTS
        return self.endpoint == endpoint

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_rule(raw: Any) -> FaultRule:
    """Read one rule, refusing unknown keys, endpoints and kinds so a typo cannot pass silently."""
    if not isinstance(raw, dict):
        raise ValueError(f"a fault rule is an object, got {raw!r}")
    unknown = sorted(set(raw) - {"endpoint", "kind", "rate", "retry_after", "times"})
    if unknown:
        raise ValueError(f"unknown fault rule key(s): {', '.join(unknown)}")
    endpoint, kind = raw.get("endpoint"), raw.get("kind")
    if endpoint not in RULE_TARGETS:
        raise ValueError(f'fault rule endpoint {endpoint!r} is not an API endpoint, "*" or "writes"')
    if kind not in KINDS:
        raise ValueError(f"fault rule kind {kind!r} is not one of {', '.join(KINDS)}")
    rate = raw.get("rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise ValueError(f"fault rule rate must be a number from 0 to 1, got {rate!r}")
    retry_after = raw.get("retry_after", 1.0)
    if isinstance(retry_after, bool) or not isinstance(retry_after, int | float) or retry_after < 0:
        raise ValueError(f"fault rule retry_after must be a non-negative number, got {retry_after!r}")
    times = raw.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 0):
        raise ValueError(f"fault rule times must be a non-negative integer, got {times!r}")
    return FaultRule(str(endpoint), str(kind), float(rate), float(retry_after), times)


def parse_rules(raw: Any) -> list[FaultRule]:
    if not isinstance(raw, list):
        raise ValueError(f"fault rules are a list, got {raw!r}")
    return [parse_rule(item) for item in raw]


class FaultInjector:
    def __init__(
        self, rules: list[FaultRule], seed: int, latency_ms: float = 0.0, jitter_ms: float = 0.0
    ) -> None:
        self.rules = list(rules)
        self.seed = seed
        self.latency_ms = latency_ms
        self.jitter_ms = jitter_ms
        self._lock = threading.Lock()
        self._rngs: dict[str, random.Random] = {}
        self._latency_rng = random.Random(f"{seed}:latency")
        self._injected = [0] * len(self.rules)

    def draw(self, endpoint: str) -> Injection | None:
        """The first matching rule whose draw falls under its rate (and has injections left) wins."""
        with self._lock:
            rng = self._rngs.get(endpoint)
            if rng is None:
                rng = self._rngs[endpoint] = random.Random(f"{self.seed}:{endpoint}")
            chosen: Injection | None = None
            for index, rule in enumerate(self.rules):
                if not rule.applies_to(endpoint):
                    continue
                roll = rng.random()
                pick = rng.random() if rule.kind == "mixed" else 0.0
                if chosen is not None or roll >= rule.rate:
                    continue
                if rule.times is not None and self._injected[index] >= rule.times:
                    continue
                kind = (
                    MIXED_KINDS[min(int(pick * len(MIXED_KINDS)), len(MIXED_KINDS) - 1)]
                    if rule.kind == "mixed"
                    else rule.kind
                )
                self._injected[index] += 1
                chosen = Injection(kind, rule.retry_after, index)
            return chosen

    def latency_seconds(self) -> float:
        """latency_ms +/- jitter_ms, drawn from the seed; never negative."""
        if self.latency_ms <= 0 and self.jitter_ms <= 0:
            return 0.0
        with self._lock:
            jitter = self._latency_rng.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms > 0 else 0.0
        return max(0.0, self.latency_ms + jitter) / 1000.0

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "seed": self.seed,
                "latency_ms": self.latency_ms,
                "jitter_ms": self.jitter_ms,
                "rules": [
                    dict(rule.as_dict(), injected=count)
                    for rule, count in zip(self.rules, self._injected, strict=True)
                ],
            }
