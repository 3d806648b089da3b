"""Scale-out: Prefect server on PostgreSQL, two process workers, six concurrent series runs.

The ``kaltura-api`` global concurrency limit is set to 4. All six runs (more
than one worker takes, three times what the limit lets run at once) must
complete, every series must be exact, and the emulator must never have seen
more than 4 requests in flight at once: the limit holds across runs and
workers, not just inside one run.

The PostgreSQL stack comes from tests/e2e/postgres.py (the ``postgres_stack`` fixture).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.postgres import API_LIMIT
from tests.e2e.test_deployments_e2e import NOW, assert_series_exact

pytestmark = pytest.mark.slow

RUNS = 6
"""Ten proved nothing more than six, and each run is a flow-run process on the 2 cores."""


def _series(key: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": f"{key} {{date:%Y-%m-%d}}",
        "template_id": "tm0000",
        "timezone": "America/New_York",
        "rrule": "FREQ=WEEKLY;BYDAY=MO,TH",
        "start_time": "10:00",
        "horizon_days": 15,
        "sessions": [
            {"name": "Keynote", "type": "LiveWebcast", "duration_minutes": 30},
            {"name": "Q&A", "type": "MeetingEntry", "offset_minutes": 30, "duration_minutes": 30},
        ],
    }


def test_six_series_on_two_workers_under_one_api_limit(postgres_stack: Stack, tmp_path: Path) -> None:
    stack = postgres_stack
    stack.emulator.control.reset_stats()
    series = [_series(f"scale-{n:02d}") for n in range(RUNS)]
    # Each run asks for 2 of the 4 slots, so two runs proceed at a time and the rest queue on the limit.
    ids = [
        stack.create_flow_run("schedule-all-hands/weekly", {"series": s, "now": NOW, "max_api_in_flight": 2})
        for s in series
    ]

    runs = stack.wait_for_runs(ids, timeout=420)

    states = {run["name"]: (run["state"]["type"], run["state"]["message"]) for run in runs.values()}
    assert all(state == "COMPLETED" for state, _ in states.values()), f"{states}\n{stack.worker_logs()}"
    for spec in series:
        assert_series_exact(stack, spec)
    stats = stack.emulator.control.stats()
    print(f"{RUNS} runs: {stats['total_requests']} requests, at most {stats['max_in_flight']} in flight")
    assert stats["max_in_flight"] <= API_LIMIT, stats
    assert stats["max_in_flight"] >= 2, f"runs never overlapped: {stats}"
    for worker in stack.workers:
        assert "submitting flow run" in worker.log(), f"{worker.name} ran nothing:\n{worker.log()[-3000:]}"
