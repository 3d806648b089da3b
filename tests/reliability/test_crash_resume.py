"""Crash-resume: P1 in a child process, SIGKILLed at 10 points of its run, then run again.

The kill points are counts of API requests the emulator has seen, spread from
the first list call to the last updates, so the process dies during observe,
amid creates, between an event's sessions and its update, and near the end.
A SIGKILL leaves no chance to clean up; whatever it left half done, the next
run must find and finish, and the account must hold the exact series, once.

Each victim is started ahead of its test and waits, fully imported, for "go":
its start-up then overlaps the previous test's resume run instead of adding to it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

from deployments.local_server import PrefectServer
from flows.schedule_all_hands import schedule_all_hands
from flows.series_lock import partner_of, series_lock
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.config import DEFAULT_USER_ID
from kaltura_events.emulator.server import EmulatorProcess
from kaltura_events.formats.paths import WORK_ROOT_ENV
from tests.invariants import series_problems
from tests.reliability.support import NOW, SecretBook, p1_spec, wait_for_server

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SPEC = p1_spec(key="crash-series", name="Weekly All-Hands")
"""One name for all 52 occurrences: what a leftover is, only its identity or its exact start can say."""
TOTAL_REQUESTS = 210
"""2 list calls, 52 creates, 104 session creates and 52 updates."""
KILL_AFTER = (1, 12, 33, 54, 75, 96, 117, 138, 159, 180)
"""Requests seen before the kill: from the observe step to the last updates."""
LATENCY_MS = 20.0


def child_env(server: PrefectServer, emulator: EmulatorProcess) -> dict[str, str]:
    """The server's PREFECT_* and the KALTURA_* a CI job would set; secrets only in the environment."""
    env = server.env()
    env.update(
        PYTHONPATH=str(ROOT),
        KALTURA_EVENTS_API_URL=emulator.events_api_url,
        KALTURA_SERVICE_URL=emulator.service_url,
        KALTURA_PARTNER_ID=str(emulator.partner_id),
        KALTURA_USER_ID=DEFAULT_USER_ID,
        KALTURA_ADMIN_SECRET=emulator.admin_secret,
    )
    return env


@dataclass
class Victim:
    process: subprocess.Popen[bytes]
    output: IO[bytes]

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        self.process.stdin.flush()

    def end(self) -> str:
        """Kill (if still alive) and return everything it printed."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.output.seek(0)
        text = self.output.read().decode(errors="replace")
        self.output.close()
        return text


class Victims:
    """Starts the next victim early, so its imports run while the current test resumes."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.waiting: Victim | None = None

    def start(self) -> Victim:
        output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by Victim.end, after the process
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.runner", "p1", json.dumps(SPEC), "--gated"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        return Victim(process, output)

    def take(self) -> Victim:
        victim, self.waiting = self.waiting or self.start(), None
        return victim

    def prepare_next(self) -> None:
        self.waiting = self.start()

    def close(self) -> None:
        if self.waiting is not None:
            self.waiting.end()


@pytest.fixture(scope="module")
def victims(prefect_server: PrefectServer, emulator: EmulatorProcess) -> Iterator[Victims]:
    pool = Victims(child_env(prefect_server, emulator))
    try:
        yield pool
    finally:
        pool.close()


def kill_when(emulator: EmulatorProcess, victim: Victim, requests: int) -> dict[str, int]:
    """SIGKILL the victim once the emulator has seen ``requests`` requests; returns the stats then."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stats = emulator.control.stats()
        if stats["total_requests"] >= requests:
            victim.process.send_signal(signal.SIGKILL)
            victim.process.wait(30)
            return {"requests": int(stats["total_requests"]), "committed": int(stats["writes_committed"])}
        if victim.process.poll() is not None:
            pytest.fail(f"the run ended (status {victim.process.returncode}) before {requests} requests")
        time.sleep(0.002)
    pytest.fail(f"the emulator never saw {requests} requests")


def free_the_dead_runs_lock(creds: KalturaCredentials, series_key: str) -> None:
    """The victim died holding its series. An operator who knows that frees the lock as the README
    says (`prefect gcl update NAME --active-slots 0`) instead of waiting out its lease; waiting it
    out is tests/e2e/test_overlapping_runs.py's case, and would cost each of these kills minutes."""
    with get_client(sync_client=True) as client:
        client.update_global_concurrency_limit(
            series_lock(partner_of(creds), series_key), GlobalConcurrencyLimitUpdate(active_slots=0)
        )


def settle(emulator: EmulatorProcess) -> None:
    """Let requests the dead process left in flight finish on the server side."""
    deadline = time.monotonic() + 10
    while emulator.control.stats()["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.parametrize("kill_after", KILL_AFTER)
def test_p1_killed_anywhere_converges_on_the_next_run(
    kill_after: int,
    emu: EmulatorProcess,
    victims: Victims,
    prefect_server: PrefectServer,
    creds: KalturaCredentials,
    book: SecretBook,
) -> None:
    emu.control.reset(latency_ms=LATENCY_MS)
    wait_for_server(prefect_server.api_url)
    victim = victims.take()
    victim.go()
    try:
        at_kill = kill_when(emu, victim, kill_after)
    finally:
        book.output(f"crash victim, kill after {kill_after}", victim.end())
    if kill_after != KILL_AFTER[-1]:
        victims.prepare_next()
    settle(emu)
    free_the_dead_runs_lock(creds, SPEC["key"])
    assert at_kill["committed"] < TOTAL_REQUESTS - 2, "the kill must land before the run finished"
    before_resume = emu.control.state()
    emu.control.set_faults([], latency_ms=0)  # the crash is what matters; the resume may go fast
    emu.control.reset_stats()

    state = schedule_all_hands(series=SPEC, credentials=creds, now=NOW, return_state=True)

    assert state.is_completed(), state.message
    assert series_problems(emu.control.state(), SPEC, NOW) == []
    stats = emu.control.stats()
    created_before = len(before_resume["events"])
    assert stats["writes"].get("events/create", {}).get("committed", 0) == 52 - created_before


AUDIENCE_SIZE = 150


def test_a_run_killed_amid_its_invites_is_finished_with_nobody_invited_twice(
    emu: EmulatorProcess,
    prefect_server: PrefectServer,
    emulator: EmulatorProcess,
    creds: KalturaCredentials,
    book: SecretBook,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two occurrences, 150 people each from a CSV; SIGKILLed half-way through the 300 invites."""
    export = tmp_path / "people.csv"
    export.write_text(
        "email,first_name,last_name\n"
        + "".join(f"person{i}@example.com,Person,{i}\n" for i in range(AUDIENCE_SIZE)),
        encoding="utf-8",
    )
    spec = p1_spec(
        key="crash-audience", name="Weekly All-Hands", horizon_days=14, audience={"csv": str(export)}
    )
    emu.control.reset(latency_ms=LATENCY_MS)
    wait_for_server(prefect_server.api_url)
    # The export lives in tmp_path: that is the work root of both runs, the killed one and the next.
    monkeypatch.setenv(WORK_ROOT_ENV, str(tmp_path))
    output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by Victim.end
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.runner", "p1", json.dumps(spec)],
        cwd=ROOT,
        env={**child_env(prefect_server, emulator), WORK_ROOT_ENV: str(tmp_path)},
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    victim = Victim(process, output)
    try:
        kill_when_invited(emu, victim, AUDIENCE_SIZE)
    finally:
        book.output("crash victim amid invites", victim.end())
    settle(emu)
    free_the_dead_runs_lock(creds, spec["key"])
    invited_before = sum(len(users) for users in emu.control.state()["eventUsers"].values())
    assert AUDIENCE_SIZE <= invited_before < 2 * AUDIENCE_SIZE, "the kill landed amid the invites"
    emu.control.set_faults([], latency_ms=0)
    emu.control.reset_stats()

    state = schedule_all_hands(series=spec, credentials=creds, now=NOW, return_state=True)

    assert state.is_completed(), state.message
    after = emu.control.state()
    assert series_problems(after, spec, NOW) == []
    wanted = {f"person{i}@example.com" for i in range(AUDIENCE_SIZE)}
    assert len(after["eventUsers"]) == 2
    for users in after["eventUsers"].values():
        assert {u["email"] for u in users} == wanted
        assert all(u["invitations"] == 1 for u in users), "nobody is invited twice"


def kill_when_invited(emulator: EmulatorProcess, victim: Victim, invites: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = emulator.control.stats()["writes"].get("event-users/invite", {}).get("committed", 0)
        if done >= invites:
            victim.process.send_signal(signal.SIGKILL)
            victim.process.wait(30)
            return
        if victim.process.poll() is not None:
            pytest.fail(f"the run ended (status {victim.process.returncode}) before {invites} invites")
        time.sleep(0.002)
    pytest.fail(f"the emulator never saw {invites} invites")
