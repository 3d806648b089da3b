"""The bounds each benchmark is measured against, computed from the calls a scenario must make.

A bound is the time the API alone forces on a run: every call costs one
round trip ``L`` (the emulator's injected latency), and at most ``concurrency``
calls are in flight. Anything above it is ours (Prefect, the client, Python),
so the ratio measured/bound is the overhead a change can still remove.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeriesCalls:
    """What provisioning a blank-template series from nothing must send."""

    occurrences: int
    sessions_per_occurrence: int
    list_calls: int

    @property
    def creates(self) -> int:
        return self.occurrences

    @property
    def session_creates(self) -> int:
        return self.occurrences * self.sessions_per_occurrence

    @property
    def updates(self) -> int:
        return self.occurrences

    @property
    def total(self) -> int:
        return self.creates + self.session_creates + self.updates + self.list_calls

    def by_endpoint(self) -> dict[str, int]:
        return {
            "events/list": self.list_calls,
            "events/create": self.creates,
            "sessions/create": self.session_creates,
            "events/update": self.updates,
        }


def concurrent_bound(calls: int, latency: float, concurrency: int) -> float:
    """``max(2·L, calls·L/concurrency)``: P1's bound (an observe round trip, then the writes).

    The ``2·L`` floor is the shortest possible chain: one read, then one write.
    """
    if calls < 0 or latency < 0 or concurrency < 1:
        raise ValueError("calls and latency are >= 0 and concurrency >= 1")
    return max(2 * latency, calls * latency / concurrency)


def teardown_bound(category_deletes: int, event_deletes: int, latency: float, concurrency: int) -> float:
    """P3's bound: category deletes one after another (the partner's category lock allows no
    more), plus the event deletes at the API concurrency."""
    if category_deletes < 0 or event_deletes < 0 or latency < 0 or concurrency < 1:
        raise ValueError("counts and latency are >= 0 and concurrency >= 1")
    return category_deletes * latency + event_deletes * latency / concurrency


def ratio(measured: float, bound: float) -> float:
    return measured / bound if bound > 0 else float("inf")
