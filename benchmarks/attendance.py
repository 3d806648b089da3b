"""Attendance at scale: R1 reports 12 occurrences with 2,000 profiles each (24,000 profiles).

The series' 12 events are made by schedule_all_hands (so each registers its
App Registry app), then 2,000 people per event are given a profile through
the emulator's control endpoint, in mixed statuses. R1 times
report_attendance reading them all (a full read: no output directory) at
L = 50 ms with 8 requests in flight. Its calls: the events' list, one
``app-registry/list`` for the 12 ids, 4 pages of 500 profiles per event, one
``event-users/list`` per event (who was invited), and one
``reports/eventDataStats``. The ratio is to ``calls·L/8``, as the issue
states it, though the calls form a chain at least 4 round trips long (events,
apps, a first page, the rest). The flow process's peak memory over the run
must stay under 500 MiB. R1 also checks the report's counts against the
emulator's state.

Run alone with ``python -m benchmarks.attendance``; ``attendance_scenarios``
takes the shared ``Bench`` of ``make bench``.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.standalone import run_alone

if TYPE_CHECKING:
    from benchmarks.scenarios import Bench, ScenarioResult

OCCURRENCES = 12
PROFILES = 2000
LATENCY_MS = 50.0
PEAK_MIB = 500.0
STATUSES = ("invited", "registered", "confirmed", "attended", "participated", "unregistered")
NOW = datetime(2027, 1, 1, 12, tzinfo=timezone.utc)


def attendance_scenarios(bench: Bench, workdir: Path) -> tuple[ScenarioResult]:
    from benchmarks.bounds import concurrent_bound
    from benchmarks.memory import peak_memory
    from benchmarks.scenarios import CONCURRENCY, ScenarioResult, calls_by_endpoint
    from flows.report_attendance import report_attendance
    from flows.schedule_all_hands import schedule_all_hands
    from kaltura_events.planning.attendance import Counts
    from kaltura_events.planning.selection import EventSelector
    from kaltura_events.planning.series import AllHandsSeries

    r1 = ScenarioResult(
        "R1",
        f"attendance of {OCCURRENCES} occurrences x {PROFILES:,} profiles",
        goal=f"counts equal the emulator's; peak < {PEAK_MIB:.0f} MiB",
    )
    bench.emu.control.reset()
    made = schedule_all_hands(
        series=AllHandsSeries.model_validate(
            {
                "key": "bench-attendance",
                "name": "Company All-Hands {date:%Y-%m-%d}",
                "template_id": "tm0000",
                "timezone": "America/New_York",
                "rrule": "FREQ=WEEKLY;BYDAY=TH",
                "start_time": "10:00",
                "horizon_days": 7 * OCCURRENCES,
            }
        ),
        credentials=bench.credentials,
        now=NOW,
    )
    events = [row.event_id for row in made.created if row.event_id is not None]
    expected: dict[int, Counts] = {}
    for index, event_id in enumerate(events):
        by_status: dict[str, list[str]] = {}
        for number in range(PROFILES):
            status = STATUSES[(number + index) % len(STATUSES)]
            by_status.setdefault(status, []).append(f"person{number:05d}@example.com")
        for status, emails in by_status.items():
            bench.emu.control.mark_attendance(event_id, emails, status)
        expected[event_id] = Counts.from_statuses(Counter({s: len(e) for s, e in by_status.items()}))
    ok = len(events) == OCCURRENCES
    for _ in range(bench.repeats):
        bench.emu.control.reset_stats()
        with peak_memory() as memory:
            timing = bench.timed(
                lambda: report_attendance(
                    selector=EventSelector(series_key="bench-attendance"),
                    credentials=bench.credentials,
                    return_state=True,
                ),
                settle_limit=60.0,
            )
        r1.timings.append(timing)
        r1.peak_mib = max(r1.peak_mib or 0.0, memory.peak_mib)
        r1.calls = calls_by_endpoint(bench.emu.control.stats())
        ok = ok and memory.peak_mib < PEAK_MIB
    report = report_attendance(EventSelector(series_key="bench-attendance"), bench.credentials)
    for row in report.occurrences:
        counts = expected.get(row.event_id)
        ok = (
            ok
            and counts is not None
            and (row.profiles, row.registered, row.attended)
            == (
                counts.profiles,
                counts.registered,
                counts.attended,
            )
        )
    calls = sum(r1.calls.values())
    r1.bound = concurrent_bound(calls, bench.latency, CONCURRENCY)
    r1.bound_formula = f"max(2·L, {calls} calls·L/{CONCURRENCY})"
    r1.notes.append(
        f"{sum(r.profiles_read for r in report.occurrences):,} profiles read; the calls form a chain of at "
        f"least 4 round trips (events, apps, a first page, the other pages): 4·L = {4 * bench.latency:.3f} s"
    )
    r1.met = ok
    return (r1,)


def main(argv: Sequence[str] | None = None) -> int:
    return run_alone(attendance_scenarios, __doc__ or "", argv, LATENCY_MS)


if __name__ == "__main__":
    sys.exit(main())
