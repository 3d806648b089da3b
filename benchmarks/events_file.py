"""Events as code at scale: ``sync_events_file`` over 20 series of 26 occurrences (520 events).

E1 applies the file to an empty account; its bound is P1's, ``max(2·L, calls·L/8)``
over the calls the run must make. E2 plans the converged file again and counts
its list calls: one label query per series (two pages of 15 each for 26
events), plus the file-label query that finds removed series (520 events, 35
pages).

Run alone with ``python -m benchmarks.events_file``; ``events_file_scenarios``
takes the shared ``Bench`` of ``make bench``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from benchmarks.standalone import run_alone

if TYPE_CHECKING:
    from benchmarks.scenarios import Bench, ScenarioResult

SERIES = 20
OCCURRENCES = 26
LATENCY_MS = 50.0
DAYS = ("MO", "TU", "WE", "TH", "FR")


def events_file(series: int = SERIES) -> dict[str, Any]:
    """20 weekly series on different days and hours: 26 occurrences each in 182 days from 2030-01-01."""
    return {
        "name": "bench-events",
        "series": [
            {
                "key": f"bench-series-{i:02d}",
                "name": f"Bench series {i:02d} {{date:%Y-%m-%d}}",
                "template_id": "tm0000",
                "timezone": "America/New_York",
                "rrule": f"FREQ=WEEKLY;BYDAY={DAYS[i % len(DAYS)]}",
                "start_time": f"{8 + i // len(DAYS):02d}:00",
                "duration_minutes": 60,
                "horizon_days": 182,
            }
            for i in range(series)
        ],
    }


def events_file_scenarios(bench: Bench, path: Path) -> tuple[ScenarioResult, ScenarioResult]:
    from benchmarks.bounds import concurrent_bound
    from benchmarks.scenarios import (
        CONCURRENCY,
        NOW,
        ScenarioResult,
        calls_by_endpoint,
        list_calls,
        write_calls,
    )
    from flows.sync_events_file import ORPHAN_QUERY_PARTS, sync_events_file
    from kaltura_events.formats.events_file import load_events_file, targets

    path.write_text(yaml.safe_dump(events_file(), sort_keys=False))
    planned = targets(load_events_file(path), str(path), NOW)
    total = sum(len(t.planned) for t in planned)
    if total != SERIES * OCCURRENCES:
        raise RuntimeError(f"the benchmark file plans {total} occurrences, not {SERIES * OCCURRENCES}")

    def run(dry_run: bool) -> Any:
        return sync_events_file(
            path=str(path),
            credentials=bench.credentials,
            dry_run=dry_run,
            max_api_in_flight=CONCURRENCY,
            now=NOW,
            return_state=True,
        )

    e1 = ScenarioResult(
        "E1",
        f"sync_events_file: {SERIES} series x {OCCURRENCES} occurrences from nothing",
        goal="ratio ≤ 1.25",
    )
    e2 = ScenarioResult(
        "E2",
        "plan the converged file again",
        goal=f"0 writes; list calls ≤ {SERIES} label queries' pages + the file-label query's",
    )
    e2_ok = True
    for _ in range(bench.repeats):
        bench.emu.control.reset()
        e1.timings.append(bench.timed(lambda: run(False)))
        stats = bench.emu.control.stats()
        e1.calls = calls_by_endpoint(stats)
        made = [e for e in bench.emu.control.state()["events"] if "kev-file:bench-events" in e["labels"]]
        if len(made) != total:
            raise RuntimeError(f"the account holds {len(made)} of the file's events, expected {total}")

        bench.emu.control.reset_stats()
        e2.timings.append(bench.timed(lambda: run(True)))
        stats = bench.emu.control.stats()
        e2.calls = calls_by_endpoint(stats)
        pages_per_series = -(-OCCURRENCES // 15)
        allowed = SERIES * pages_per_series + ORPHAN_QUERY_PARTS + -(-total // 15)
        e2_ok = e2_ok and write_calls(stats) == 0 and list_calls(e2.calls) <= allowed
    calls = sum(e1.calls.values())
    e1.bound = concurrent_bound(calls, bench.latency, CONCURRENCY)
    e1.bound_formula = f"max(2·L, {calls} calls·L/{CONCURRENCY})"
    e1.met = (e1.ratio_median() or 0) <= 1.25
    pages = list_calls(e2.calls)
    e2.bound = concurrent_bound(pages, bench.latency, CONCURRENCY)
    e2.bound_formula = f"max(2·L, {pages} calls·L/{CONCURRENCY})"
    e2.notes.append(
        f"{pages} list calls for {SERIES} series: {SERIES} label queries of {-(-OCCURRENCES // 15)} pages, "
        f"and the file-label query (orphan detection) over {total} events in {ORPHAN_QUERY_PARTS} date "
        "windows read at once"
    )
    e2.met = e2_ok
    return e1, e2


def main(argv: Sequence[str] | None = None) -> int:
    return run_alone(
        lambda bench, tmp: events_file_scenarios(bench, tmp / "kaltura-events.yaml"),
        __doc__ or "",
        argv,
        LATENCY_MS,
    )


if __name__ == "__main__":
    sys.exit(main())
