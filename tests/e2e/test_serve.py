"""``python deployments/serve.py``: the same three deployments from one process, no work pool.

It runs on a server of its own: serving replaces work-pool deployments of
the same names, so it must not share the other tests' server.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deployments.local_server import PrefectServer
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.server import EmulatorProcess
from tests.e2e.conftest import (
    BackgroundCommand,
    Stack,
    emulator_variables,
    kaltura_events,
    prefect_home,
    run_command,
    sweep,
    without_kaltura,
)

pytestmark = pytest.mark.slow

NAMES = ("schedule-all-hands/weekly", "duplicate-event/default", "teardown-events/default")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, BackgroundCommand]]:
    log_dir = tmp_path_factory.mktemp("e2e-serve")
    home = prefect_home()
    server = PrefectServer(home=home)
    marker = f"PREFECT_HOME={home}"
    emulator = EmulatorProcess(EmulatorConfig(duplicate_seconds=0.3))
    serve: BackgroundCommand | None = None
    try:
        server.start()
        emulator.start()
        env = {**without_kaltura(server.env()), "COLUMNS": "200", "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
        kaltura_events({**env, **emulator_variables(emulator)}, "setup").check()
        serve = BackgroundCommand(
            [sys.executable, str(Path("deployments") / "serve.py")], env, log_dir / "serve.log"
        ).start()
        stack = Stack(server, emulator, env)
        deadline = time.monotonic() + 90
        while not _all_deployed(stack):
            if not serve.running or time.monotonic() > deadline:
                raise AssertionError(f"serve.py did not create the deployments:\n{serve.log()[-4000:]}")
            time.sleep(0.5)
        yield stack, serve
        stack.close()
    finally:
        if serve is not None:
            serve.stop()
        emulator.stop()
        server.stop()
        sweep(marker)
        shutil.rmtree(home, ignore_errors=True)


def _all_deployed(stack: Stack) -> bool:
    try:
        return all(stack.api.get(f"/deployments/name/{name}").status_code == 200 for name in NAMES)
    except httpx.HTTPError:
        return False


def test_serve_offers_the_same_three_deployments(served: tuple[Stack, BackgroundCommand]) -> None:
    stack, _ = served
    weekly = stack.deployment("schedule-all-hands/weekly")
    assert weekly["work_pool_name"] is None
    assert weekly["schedules"][0]["schedule"]["cron"] == "0 6 * * 1"
    assert weekly["schedules"][0]["schedule"]["timezone"] == "America/New_York"
    assert weekly["parameters"]["series"]["key"] == "company-all-hands"
    teardown = stack.deployment("teardown-events/default")
    assert (teardown["global_concurrency_limit"] or {}).get("limit") == 1
    for name in NAMES:
        assert "kaltura" in stack.deployment(name)["tags"]


def test_served_deployment_runs_from_ci(served: tuple[Stack, BackgroundCommand]) -> None:
    stack, serve = served
    stack.emulator.control.bulk_events(2, "Served", labels=["served"])

    result = stack.run_deployment("teardown-events/default", {"selector": {"label": "served"}}, timeout=120)

    assert result.returncode == 0, f"{result.output[-4000:]}\n{serve.log()[-4000:]}"
    response = stack.api.post(
        "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [result.flow_run_id]}}}
    )
    response.raise_for_status()
    assert [a["description"] for a in response.json()] == ["Dry run: 2 event(s) would be deleted."]
    assert len(stack.emulator.control.state()["events"]) == 2  # a dry run by default


def test_serve_stops_cleanly(served: tuple[Stack, BackgroundCommand]) -> None:
    _, serve = served
    assert serve.running
    serve.stop()
    assert not serve.running


def test_serve_refuses_to_take_over_work_pool_deployments(sqlite_stack: Stack) -> None:
    """On a server where `prefect deploy` made them, serving needs --replace (it would not switch cleanly)."""
    result = run_command([sys.executable, "deployments/serve.py"], sqlite_stack.env)
    assert result.returncode == 2
    assert "--replace" in result.stderr
    assert sqlite_stack.deployment("teardown-events/default")["work_pool_name"] == "kaltura-events"
