"""Where a run's time goes: a profile of the flow's thread, the requests as the client saw
them, and the CPU each process spent.

One extra, untimed run is made for this: recording requests and profiling
both slow a run down, so they never touch the timed figures. The three views
answer different questions. pyinstrument shows what the flow's own thread
does (submit, wait, callbacks); the request timeline shows whether the API
limit was kept full and how much longer than ``L`` each call took; the CPU
split shows whether the machine, not the API, was the limit.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaltura_events.api import transport


@dataclass
class RequestLog:
    """(start, end, endpoint) of every request the clients of this process sent."""

    calls: list[tuple[float, float, str]] = field(default_factory=list)

    def summary(self, began: float, ended: float, latency: float, concurrency: int) -> list[str]:
        if not self.calls:
            return ["no requests recorded"]
        calls = sorted(self.calls)
        durations = sorted(end - start for start, end, _ in calls)
        first, last = calls[0][0], max(end for _, end, _ in calls)
        span = last - first
        busy = sum(durations)
        in_flight = _in_flight_seconds(calls)
        full = in_flight.get(concurrency, 0.0)
        mean = statistics.mean(durations)
        return [
            f"{len(calls)} requests; as the client saw them: mean {mean * 1000:.1f} ms, "
            f"p50 {durations[len(durations) // 2] * 1000:.1f} ms, "
            f"p90 {durations[int(len(durations) * 0.9)] * 1000:.1f} ms (L = {latency * 1000:.0f} ms)",
            f"first request {first - began:.3f} s after the flow call began; "
            f"last answer {ended - last:.3f} s before it returned; requests spanned {span:.3f} s",
            f"API limit use over that span: {busy / (concurrency * span):.0%} "
            f"({concurrency} in flight for {full:.3f} s of it)",
            "seconds at each number in flight: "
            + ", ".join(f"{n}: {seconds:.3f}" for n, seconds in sorted(in_flight.items())),
        ]


def _in_flight_seconds(calls: list[tuple[float, float, str]]) -> dict[int, float]:
    edges = sorted([(start, 1) for start, _, _ in calls] + [(end, -1) for _, end, _ in calls])
    seconds: dict[int, float] = {}
    level, previous = 0, edges[0][0]
    for moment, step in edges:
        seconds[level] = seconds.get(level, 0.0) + moment - previous
        level, previous = level + step, moment
    return seconds


@contextmanager
def recording_requests() -> Iterator[RequestLog]:
    """Time every ``Transport.post`` (both clients use it) while the block runs."""
    log = RequestLog()
    original = transport.Transport.post

    def timed_post(self: transport.Transport, endpoint: str, url: str, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(self, endpoint, url, **kwargs)
        finally:
            log.calls.append((start, time.perf_counter(), endpoint))

    transport.Transport.post = timed_post  # type: ignore[method-assign]
    try:
        yield log
    finally:
        transport.Transport.post = original  # type: ignore[method-assign]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its direct children (Linux /proc; 0.0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for each in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def profile_run(
    run: Callable[[], Any],
    *,
    latency: float,
    concurrency: int,
    other_processes: dict[str, int],
) -> str:
    """Run once under pyinstrument and the request recorder; return the report as text."""
    from pyinstrument import Profiler

    before = {name: process_cpu_seconds(pid) for name, pid in other_processes.items()}
    profiler = Profiler(interval=0.001)
    with recording_requests() as requests:
        cpu0, began = time.process_time(), time.perf_counter()
        profiler.start()
        try:
            run()
        finally:
            profiler.stop()
        ended, cpu = time.perf_counter(), time.process_time() - cpu0
    spent = {name: process_cpu_seconds(pid) - before[name] for name, pid in other_processes.items()}
    lines = [
        f"wall {ended - began:.3f} s for the whole flow call (run creation and teardown included)",
        "CPU spent meanwhile: "
        + ", ".join(
            [f"this process {cpu:.2f} s (all its threads)"]
            + [f"{name} {seconds:.2f} s" for name, seconds in spent.items()]
        )
        + f"; the machine has {os.cpu_count()} cores",
        *requests.summary(began, ended, latency, concurrency),
        "",
        "pyinstrument, the flow's own thread (tasks run on the pool's threads, not shown):",
        profiler.output_text(
            unicode=True, color=False, show_all=False, processor_options={"filter_threshold": 0.02}
        ),
    ]
    return "\n".join(lines)
