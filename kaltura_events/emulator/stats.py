"""Request counters: what a client really sent, and how many at once.

Benchmarks and reliability tests assert on these (no duplicate creates after
a 500, never more than N requests in flight), so counting happens in the
outermost layer, around faults and latency, exactly once per request.
A request that began before a stats reset is finished on the old counters,
so a reset never leaves a negative in-flight count behind.

``busy_seconds`` and ``active_seconds`` say how much of a client's time its
requests spent here: their sum over the stretch from the first request's
arrival to the last one's answer is the mean number of requests the server
was working on. A client that holds eight slots but keeps fewer here spends
the rest of each slot on its own side.
"""

from __future__ import annotations

import threading
import time
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started_at = time.time()
        self.requests: dict[str, dict[str, int]] = {}
        self.writes: dict[str, dict[str, int]] = {}
        self.faults: dict[str, dict[str, int]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.total = 0
        self.reads = 0
        self.write_requests = 0
        self.writes_committed = 0
        self.busy_seconds = 0.0
        self._first_began: float | None = None
        self._last_ended: float | None = None

    def begin(self, endpoint: str, is_write: bool) -> float:
        """Count the request in; returns its start, for ``end``."""
        began = time.perf_counter()
        with self._lock:
            if self._first_began is None:
                self._first_began = began
            self.total += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if is_write:
                self.write_requests += 1
                self.writes.setdefault(endpoint, {"attempted": 0, "committed": 0})["attempted"] += 1
            else:
                self.reads += 1
        return began

    def end(self, endpoint: str, status_key: str, is_write: bool, committed: bool, began: float) -> None:
        """``status_key``: the HTTP status ("200"), "200:<CODE>" for an API v3 exception, "reset"
        for a dropped connection, "timeout" when the client gave up during an injected hang."""
        ended = time.perf_counter()
        with self._lock:
            self.in_flight -= 1
            self.busy_seconds += ended - began
            self._last_ended = ended
            counts = self.requests.setdefault(endpoint, {})
            counts[status_key] = counts.get(status_key, 0) + 1
            if is_write and committed:
                self.writes_committed += 1
                self.writes.setdefault(endpoint, {"attempted": 0, "committed": 0})["committed"] += 1

    def fault(self, endpoint: str, kind: str) -> None:
        with self._lock:
            counts = self.faults.setdefault(endpoint, {})
            counts[kind] = counts.get(kind, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {endpoint: dict(counts) for endpoint, counts in self.requests.items()},
                "total_requests": self.total,
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
                "reads": self.reads,
                "write_requests": self.write_requests,
                "writes_committed": self.writes_committed,
                "writes": {endpoint: dict(counts) for endpoint, counts in self.writes.items()},
                "faults_injected": {endpoint: dict(counts) for endpoint, counts in self.faults.items()},
                "since": self.started_at,
                "busy_seconds": self.busy_seconds,
                "active_seconds": (
                    0.0
                    if self._first_began is None or self._last_ended is None
                    else self._last_ended - self._first_began
                ),
            }

    def prometheus(self) -> str:
        """The same counters in Prometheus text format, for ``GET /metrics``."""
        snap = self.snapshot()
        lines = ["# TYPE emulator_requests_total counter"]
        for endpoint, counts in sorted(snap["requests"].items()):
            for status, count in sorted(counts.items()):
                lines.append(f'emulator_requests_total{{endpoint="{endpoint}",status="{status}"}} {count}')
        lines.append("# TYPE emulator_faults_injected_total counter")
        for endpoint, counts in sorted(snap["faults_injected"].items()):
            for kind, count in sorted(counts.items()):
                lines.append(f'emulator_faults_injected_total{{endpoint="{endpoint}",kind="{kind}"}} {count}')
        for name in ("in_flight", "max_in_flight"):
            lines += [f"# TYPE emulator_{name} gauge", f"emulator_{name} {snap[name]}"]
        for name in ("reads", "write_requests", "writes_committed"):
            lines += [f"# TYPE emulator_{name}_total counter", f"emulator_{name}_total {snap[name]}"]
        return "\n".join(lines) + "\n"
