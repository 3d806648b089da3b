"""Runs that follow what happens: Kaltura notification -> receiver -> Prefect event -> trigger -> run.

One Prefect server (SQLite) and one process worker for the module, deployed
with ``prefect deploy`` from deployments/prefect.yaml, so the triggers under
test are the file's. Around them, as a user runs them: the emulator (which
delivers signed notifications and retries them), ``kaltura-events webhooks
serve`` and ``kaltura-events webhooks register``.

The steps build on each other and run in order:
1. a series with an encore is made through ``schedule-all-hands/weekly``, and
   ``schedule-encore/company-all-hands`` is pointed at the same series (its
   parameters patched, as editing the YAML anchor and deploying again would);
2. a session's recording becomes ready -> exactly one schedule-encore run,
   COMPLETED, and exactly one replay playing that recording to the audience;
3. the same notification again (re-posted, same job id) and the recording
   finished again (the "replaced" template) -> still one run, one replay;
4. the Prefect server down while a recording becomes ready -> the receiver
   answers 503, the emulator retries, and once the server is back (same port,
   same database) one run follows; then the first notification replayed
   (Prefect's memory of seen event ids went with the restart) and an
   ordinary upload's notification -> both answered 200, no run;
5. a ``kaltura.event.ended`` event posted by hand -> one report-attendance run
   for that event.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from deployments.local_server import free_port
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.webhooks.signature import ALGO_HEADER, SIGNATURE_HEADER, sign
from tests.e2e.conftest import (
    TERMINAL,
    BackgroundCommand,
    Stack,
    deployed_stack,
    emulator_variables,
    kaltura_events,
)

pytestmark = pytest.mark.slow

NOW = "2031-03-03T12:00:00Z"
ENCORE = "schedule-encore/company-all-hands"
ENDED = "report-attendance/event-ended"
KEY = "e2e-encore"
SERIES: dict[str, Any] = {
    "key": KEY,
    "name": "E2E Encore All-Hands {date:%Y-%m-%d}",
    "template_id": "tm0000",
    "timezone": "America/New_York",
    "rrule": "FREQ=WEEKLY;BYDAY=MO",
    "start_time": "10:00",
    "duration_minutes": 60,
    "horizon_days": 15,
    "sessions": [{"name": "Keynote", "type": "LiveWebcast", "duration_minutes": 60}],
    "audience": {
        "people": [
            {"email": "ana@example.com", "first_name": "Ana", "last_name": "Lee"},
            {"email": "bo@example.com", "first_name": "Bo", "last_name": "Tan"},
        ]
    },
    "encore": {"timezone": "Asia/Singapore", "start_time": "10:00", "days_after": 1},
}
QUIET_SECONDS = 6.0
"""How long "nothing more happens" is watched for: a trigger fires within a second or two here."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The module's own server, worker and emulator: step 4 stops and restarts this server."""
    config = EmulatorConfig(
        duplicate_seconds=0.3, notification_retry_base_seconds=1.0, notification_max_attempts=10
    )
    with deployed_stack(tmp_path_factory.mktemp("e2e-events"), emulator_config=config) as built:
        yield built


@pytest.fixture(scope="module")
def receiver(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``kaltura-events webhooks serve`` on a free port, and our templates registered to point at it."""
    token = secrets.token_urlsafe(24)
    port = free_port()
    url = f"http://127.0.0.1:{port}/kaltura/{token}"
    env = {**stack.env, **emulator_variables(stack.emulator), "KALTURA_WEBHOOK_TOKEN": token}
    command = BackgroundCommand(
        [sys.executable, "-m", "kaltura_events.cli", "webhooks", "serve", "--port", str(port)],
        env,
        tmp_path_factory.mktemp("receiver") / "receiver.log",
    ).start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert command.running and time.monotonic() < deadline, command.log()
            time.sleep(0.2)
        registered = kaltura_events(
            {**env, "KALTURA_EVENTS_WEBHOOK_URL": url}, "webhooks", "register"
        ).check()
        assert token not in registered.output and "KALTURA_EVENTS_ENTRY_READY" in registered.output
        yield url
    finally:
        command.stop()
        assert token not in command.log(), "the receiver logged its token"


def _runs(stack: Stack, deployment: str) -> list[dict[str, Any]]:
    deployment_id = stack.deployment(deployment)["id"]
    response = stack.api.post("/flow_runs/filter", json={"deployments": {"id": {"any_": [deployment_id]}}})
    response.raise_for_status()
    runs: list[dict[str, Any]] = response.json()
    return runs


def _state(run: dict[str, Any]) -> str:
    return str((run.get("state") or {}).get("type"))


def wait_for_runs(stack: Stack, deployment: str, count: int, timeout: float = 120.0) -> list[dict[str, Any]]:
    """Wait until the deployment has ``count`` runs, all finished; more than ``count`` fails at once."""
    deadline = time.monotonic() + timeout
    while True:
        runs = _runs(stack, deployment)
        assert len(runs) <= count, f"{len(runs)} runs of {deployment}, wanted {count}"
        if len(runs) == count and all(_state(r) in TERMINAL for r in runs):
            return runs
        if time.monotonic() > deadline:
            states = [_state(r) for r in runs]
            raise AssertionError(f"{deployment}: runs {states} after {timeout:g} s\n{stack.worker_logs()}")
        time.sleep(1.0)


def replays(stack: Stack) -> list[dict[str, Any]]:
    return [e for e in stack.emulator.control.state()["events"] if f"kev-encore:{KEY}" in e["labels"]]


def occurrences(stack: Stack) -> list[tuple[dict[str, Any], str]]:
    """The series' events by start, each with its Keynote session id."""
    state = stack.emulator.control.state()
    events = sorted(
        (e for e in state["events"] if f"kev-series:{KEY}" in e["labels"]), key=lambda e: e["startDate"]
    )
    return [
        (e, next(s["id"] for s in state["sessions"][str(e["id"])] if s["name"] == "Keynote")) for e in events
    ]


def deliver(receiver: str, stack: Stack, body: bytes) -> int:
    """Sign ``body`` as Kaltura does and post it; while the answer is 503, again, as Kaltura would."""
    headers = {
        SIGNATURE_HEADER: sign(stack.emulator.admin_secret, body, "sha256"),
        ALGO_HEADER: "sha256",
        "Content-Type": "application/json",
    }
    for _ in range(10):
        status = httpx.post(receiver, content=body, headers=headers, timeout=30).status_code
        if status != 503:
            return status
        time.sleep(1)
    return status


def test_recordings_become_replays_and_ended_events_reports(stack: Stack, receiver: str) -> None:
    started = time.monotonic()
    emulator = stack.emulator.control

    # 1. The series, and the encore deployment pointed at it.
    made = stack.run_deployment("schedule-all-hands/weekly", {"series": SERIES, "now": NOW})
    assert made.returncode == 0, made.output[-3000:]
    encore = stack.deployment(ENCORE)
    patched = stack.api.patch(
        f"/deployments/{encore['id']}", json={"parameters": {**encore["parameters"], "series": SERIES}}
    )
    patched.raise_for_status()
    (first, first_session), (second, second_session), *_ = occurrences(stack)

    # 2. A recording becomes ready: one run, one replay.
    recording = emulator.finish_recording(first_session)
    [delivery] = emulator.wait_for_notifications(1, timeout=30)
    assert delivery["state"] == "delivered", delivery
    [run] = wait_for_runs(stack, ENCORE, 1)
    assert _state(run) == "COMPLETED", stack.worker_logs()
    assert run["parameters"]["entry_id"] == recording["id"]
    assert run["parameters"]["root_entry_id"] == first_session
    [replay] = replays(stack)
    assert replay["name"] == f"{first['name']} (encore)" and replay["timezone"] == "Asia/Singapore"
    assert f"kev-occ:{first['startDate'][:10]}" in replay["labels"]
    state = emulator.state()
    [session] = state["sessions"][str(replay["id"])]
    assert session["type"] == "SimuLive" and session["sourceEntry"]["id"] == recording["id"]
    assert {u["email"] for u in state["eventUsers"][str(replay["id"])]} == {
        "ana@example.com",
        "bo@example.com",
    }

    # 3. The same notification again, and the recording replaced: still one run, one replay.
    template = next(
        t for t in state["notificationTemplates"] if t["systemName"] == "KALTURA_EVENTS_ENTRY_READY"
    )
    body = json.dumps(
        {
            "object": {
                "objectType": "KalturaMediaEntry",
                "id": recording["id"],
                "status": 2,
                "rootEntryId": first_session,
            },
            "eventObjectType": 1,
            "eventType": 3,
            "eventNotificationJobId": delivery["jobId"],
            "templateId": template["id"],
            "templateSystemName": "KALTURA_EVENTS_ENTRY_READY",
            "objectType": "KalturaHttpNotification",
        }
    ).encode()
    assert deliver(receiver, stack, body) == 200
    emulator.finish_recording(first_session)
    replaced = emulator.wait_for_notifications(2, timeout=30)
    assert [d["state"] for d in replaced] == ["delivered", "delivered"]
    time.sleep(QUIET_SECONDS)
    assert len(wait_for_runs(stack, ENCORE, 1)) == 1
    assert len(replays(stack)) == 1

    # 4. The Prefect server down while the next recording becomes ready.
    stack.server.stop()
    stack.close()
    emulator.finish_recording(second_session)
    deadline = time.monotonic() + 30
    while not any(
        a.get("statusCode") == 503 for d in emulator.notifications()[2:] for a in d.get("attempts", [])
    ):
        assert time.monotonic() < deadline, emulator.notifications()
        time.sleep(0.2)
    stack.server.start()
    [*_, late] = emulator.wait_for_notifications(3, timeout=90)
    assert late["state"] == "delivered" and len(late["attempts"]) >= 2, late
    runs = wait_for_runs(stack, ENCORE, 2)
    assert sorted(_state(r) for r in runs) == ["COMPLETED", "COMPLETED"], stack.worker_logs()
    assert sorted(r["name"] for r in replays(stack)) == sorted(
        f"{e['name']} (encore)" for e in (first, second)
    )
    upload = json.loads(body)
    upload["eventNotificationJobId"] += 1000
    upload["object"] |= {"id": "0_upload01", "rootEntryId": "0_upload01"}
    assert deliver(receiver, stack, body) == 200
    assert deliver(receiver, stack, json.dumps(upload).encode()) == 200
    time.sleep(QUIET_SECONDS)
    assert len(wait_for_runs(stack, ENCORE, 2)) == 2

    # 5. An event ended (the watcher's event, posted by hand): one report for it.
    ended = {
        "id": str(uuid.uuid4()),
        "occurred": datetime.now(timezone.utc).isoformat(),
        "event": "kaltura.event.ended",
        "resource": {"prefect.resource.id": f"kaltura.event.{first['id']}"},
        "payload": {},
    }
    stack.api.post("/events", json=[ended]).raise_for_status()
    [report] = wait_for_runs(stack, ENDED, 1)
    assert _state(report) == "COMPLETED", stack.worker_logs()
    assert report["parameters"]["selector"] == {"event_ids": [first["id"]]}
    print(f"event-driven steps took {time.monotonic() - started:.0f} s")
