"""Scale-out: Prefect server on PostgreSQL, two process workers, ten concurrent series runs.

The ``kaltura-api`` global concurrency limit is set to 4. All ten runs must
complete, every series must be exact, and the emulator must never have seen
more than 4 requests in flight at once: the limit holds across runs and
workers, not just inside one run.

PostgreSQL is expected on 127.0.0.1:5432 with trust auth (override with
KALTURA_EVENTS_POSTGRES_DSN). Without it the test skips and says why, unless
KALTURA_EVENTS_REQUIRE_POSTGRES=1 (CI sets it), which makes that a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from kaltura_events.emulator.config import EmulatorConfig
from tests.e2e.conftest import Stack, deployed_stack
from tests.e2e.test_deployments_e2e import NOW, assert_series_exact

pytestmark = pytest.mark.slow

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
API_LIMIT = 4
RUNS = 10


def _admin_dsn() -> str:
    return os.environ.get("KALTURA_EVENTS_POSTGRES_DSN", DEFAULT_DSN)


def _database_dsn(admin_dsn: str, name: str) -> str:
    parts = urlsplit(admin_dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(dsn: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _unavailable(reason: str) -> None:
    parts = urlsplit(_admin_dsn())  # host and port only: a DSN may carry a password
    message = f"PostgreSQL is unreachable at {parts.hostname}:{parts.port or 5432}: {reason}"
    if os.environ.get("KALTURA_EVENTS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{message} (KALTURA_EVENTS_REQUIRE_POSTGRES=1 makes this a failure)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    """A fresh, uniquely named database (SQLAlchemy URL), dropped afterwards."""
    admin = _admin_dsn()
    name = f"kaltura_events_e2e_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach or use the server means "not available here"
        _unavailable(f"{type(exc).__name__}: {exc}")
    try:
        yield _database_dsn(admin, name).replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def postgres_stack(postgres_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Two workers that each run at most 5 flow runs, so ten runs need both of them."""
    with deployed_stack(
        tmp_path_factory.mktemp("e2e-postgres"),
        database_url=postgres_database,
        workers=2,
        worker_limit=5,
        api_limit=API_LIMIT,
        # Some latency, so concurrent requests overlap and the limit is really exercised.
        emulator_config=EmulatorConfig(latency_ms=40),
    ) as stack:
        yield stack


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


def test_ten_series_on_two_workers_under_one_api_limit(postgres_stack: Stack, tmp_path: Path) -> None:
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
