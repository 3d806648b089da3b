"""Runs that overlap stay exact: applies of one events file from the CLI, the UI and a trigger at once.

A real Prefect server on PostgreSQL with two process workers, the emulator in
its own process answering slowly (hundreds of ms a call, as the live service
may), so the runs really overlap. Every check reads the emulator's own state:
exactly one event per occurrence, no session twice, and the run that had to
wait says so and for whom.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from flows.series_lock import series_lock
from kaltura_events.formats.events_file import load_events_file, targets
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import plan
from tests.e2e.conftest import (
    REPO_ROOT,
    BackgroundCommand,
    Completed,
    Stack,
    emulator_variables,
    kaltura_events,
    without_prefect,
)
from tests.invariants import series_problems

pytestmark = pytest.mark.slow

FILE = "tests/e2e/files/overlap.yaml"
KEY = "overlap-weekly"
SLOW_MS = 700
"""Each call this slow, an apply of the file's nine occurrences takes several seconds."""


def _series(now: datetime) -> AllHandsSeries:
    """The series as the flow converges it: with the file's own label."""
    [target] = targets(load_events_file(REPO_ROOT / FILE), FILE, now)
    return target.series


def _occurrences(now: datetime) -> int:
    return len(plan(_series(now), now))


def _problems(stack: Stack, now: datetime) -> list[str]:
    return series_problems(stack.emulator.control.state(), _series(now), now)


def _lock(stack: Stack) -> str:
    return series_lock(int(stack.emulator.exports["KALTURA_PARTNER_ID"]), KEY)


def _held(stack: Stack, name: str) -> int:
    response = stack.api.get(f"/v2/concurrency_limits/{name}")
    return int(response.json()["active_slots"]) if response.status_code == 200 else 0


def _wait_until_held(stack: Stack, name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while _held(stack, name) == 0:
        assert time.monotonic() < deadline, f"nobody took {name} within {timeout:g} s\n{stack.worker_logs()}"
        time.sleep(0.2)


def _creates(stack: Stack) -> int:
    writes = stack.emulator.control.stats()["writes"]
    return int(writes.get("events/create", {}).get("committed", 0))


def _flow_run_logs(stack: Stack, flow_run_id: str) -> str:
    response = stack.api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}})
    response.raise_for_status()
    return "\n".join(entry["message"] for entry in response.json())


@pytest.fixture
def slow_emulator(postgres_stack: Stack) -> Iterator[Stack]:
    control = postgres_stack.emulator.control
    control.reset()
    control.set_faults([], latency_ms=SLOW_MS)
    try:
        yield postgres_stack
    finally:
        control.reset()


def _apply_env(stack: Stack, **extra: str) -> dict[str, str]:
    return {**stack.env, **emulator_variables(stack.emulator), **extra}


def _in_threads(*commands: list[str], env: dict[str, str], timeout: float = 300) -> list[Completed]:
    results: list[Completed | None] = [None] * len(commands)

    def run(index: int, args: list[str]) -> None:
        results[index] = kaltura_events(env, *args, timeout=timeout)

    threads = [threading.Thread(target=run, args=(i, list(c))) for i, c in enumerate(commands)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 30)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def test_a_cli_apply_beside_a_ui_run_and_a_triggered_run_makes_each_occurrence_once(
    slow_emulator: Stack,
) -> None:
    """The UI's run starts first; the CLI apply starts while it holds the series, and a third run
    (what a deployment trigger starts) queues behind the deployment's concurrency limit."""
    stack = slow_emulator
    now = datetime.now(timezone.utc)
    parameters = {"path": FILE, "dry_run": False}
    from_ui = stack.create_flow_run("sync-events-file/default", parameters)
    from_trigger = stack.create_flow_run("sync-events-file/default", parameters)
    _wait_until_held(stack, _lock(stack))
    cli = kaltura_events(_apply_env(stack), "apply", FILE, timeout=300)
    runs = stack.wait_for_runs([from_ui, from_trigger], timeout=300)
    assert cli.returncode == 0, cli.output[-4000:]
    for run in runs.values():
        assert run["state"]["type"] == "COMPLETED", (run["state"], stack.worker_logs())
    assert _problems(stack, now) == []
    assert _creates(stack) == _occurrences(now)
    assert "waited" in cli.stdout and "for flow run" in cli.stdout, cli.output[-3000:]
    assert "0 were created" in cli.stdout, "the CLI found every occurrence made by the run it waited for"


def test_two_cli_applies_with_the_server_only_in_the_prefect_profile(
    slow_emulator: Stack, tmp_path: Path
) -> None:
    """`prefect config set PREFECT_API_URL=...` and nothing in the environment: both commands use that
    server (no server of their own), so its lock keeps them apart."""
    stack = slow_emulator
    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text(
        f'active = "mine"\n\n[profiles.mine]\nPREFECT_API_URL = "{stack.server.api_url}"\n'
    )
    env = {**without_prefect(_apply_env(stack)), "PREFECT_HOME": str(home)}
    now = datetime.now(timezone.utc)
    first, second = _in_threads(["apply", FILE], ["apply", FILE], env=env)
    for result in (first, second):
        assert result.returncode == 0, result.output[-4000:]
        assert "starting one for this run" not in result.output
    assert _problems(stack, now) == []
    assert _creates(stack) == _occurrences(now)
    waited = [r for r in (first, second) if "waited" in r.stdout]
    assert len(waited) == 1, (first.output[-2000:], second.output[-2000:])


def test_two_cli_applies_with_no_server_configured_wait_for_each_other_on_this_machine(
    slow_emulator: Stack, tmp_path: Path
) -> None:
    """Each starts a Prefect server of its own, whose locks the other cannot see: the lock file
    beside Prefect's home keeps them apart, and each says that other machines cannot see it."""
    stack = slow_emulator
    env = {**without_prefect(_apply_env(stack)), "PREFECT_HOME": str(tmp_path / "prefect-home")}
    now = datetime.now(timezone.utc)
    first, second = _in_threads(["apply", FILE], ["apply", FILE], env=env)
    for result in (first, second):
        assert result.returncode == 0, result.output[-4000:]
        assert "runs on other machines cannot see it" in result.stderr
    assert _problems(stack, now) == []
    assert _creates(stack) == _occurrences(now)
    assert sum("another command here holds" in r.stderr for r in (first, second)) == 1


def test_a_holder_killed_mid_apply_frees_the_series_when_its_lease_ends(
    slow_emulator: Stack, tmp_path: Path
) -> None:
    """SIGKILL leaves the lock held (nothing releases it); the next apply waits for the lease to
    run out, then finishes what the dead run left: each occurrence once."""
    stack = slow_emulator
    now = datetime.now(timezone.utc)
    env = _apply_env(stack, KALTURA_EVENTS_LOCK_LEASE_SECONDS="60")
    cli = [sys.executable, "-m", "kaltura_events.cli"]
    doomed = BackgroundCommand([*cli, "apply", FILE], env, tmp_path / "doomed.log").start()
    try:
        _wait_until_held(stack, _lock(stack))
        deadline = time.monotonic() + 120
        while _creates(stack) < 2:
            assert time.monotonic() < deadline and doomed.running, doomed.log()[-3000:]
            time.sleep(0.1)
        doomed.kill()
    finally:
        doomed.stop()
    assert _held(stack, _lock(stack)) == 1, "a killed holder cannot hand the lock back"
    started = time.monotonic()
    after = kaltura_events(env, "apply", FILE, "--lock-wait", "240", timeout=400)
    took = time.monotonic() - started
    assert after.returncode == 0, after.output[-4000:]
    assert "waited" in after.stdout, after.output[-3000:]
    assert took >= 30, "the series was taken before the dead run's lease could have ended"
    assert _problems(stack, now) == []
