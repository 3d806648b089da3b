"""A notification starts at most one run, whenever and however often it arrives; an upload starts none.

A real Prefect server with the encore deployment's trigger as prefect.yaml
declares it (the automation ``prefect deploy`` makes, on a deployment with
no worker: its runs stay scheduled and are counted), and the receiver as the
command a user runs. The server is restarted on the same port and database
part-way, which empties Prefect's in-memory memory of seen event ids: the
last step checks that an event posted again after that does start a run, so
the replays before it are refused by the receiver, not by luck.

The steps build on each other and run in order.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from deployments.local_server import PrefectServer, free_port
from kaltura_events.webhooks.ledger import variable_name
from kaltura_events.webhooks.notification import event_id
from tests.webhooks.running import receiver_env, running_receiver, wait_for_event
from tests.webhooks.samples import PARTNER_ID, TOKEN, entry_notification, json_body, signed_headers
from tests.webhooks.triggers import encore_automation

pytestmark = pytest.mark.slow

TEMPLATE = "KALTURA_EVENTS_ENTRY_READY"
SESSION = "1_live0001"
QUIET_SECONDS = 6.0
"""How long "no further run" is watched for: the trigger fires within a second or two here."""
RUN_WITHIN = 60.0


class Stack:
    """The server (restartable: own home, fixed port), its encore deployment, and the receiver's logs."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.server = PrefectServer(home=home, port=free_port())
        self.deployment_id = ""
        self.logs: list[Path] = []

    @property
    def api(self) -> str:
        return self.server.api_url

    def deploy_encore_trigger(self) -> None:
        flow = _post(f"{self.api}/flows/", {"name": "schedule-encore"})
        deployment = _post(
            f"{self.api}/deployments/",
            {"name": "company-all-hands", "flow_id": flow["id"], "enforce_parameter_schema": False},
        )
        self.deployment_id = deployment["id"]
        automation = encore_automation(self.deployment_id)  # type: ignore[arg-type]
        _post(f"{self.api}/automations/", automation.model_dump(mode="json"))

    def runs(self) -> list[dict[str, Any]]:
        answer = httpx.post(
            f"{self.api}/flow_runs/filter",
            json={"deployments": {"id": {"any_": [self.deployment_id]}}},
            timeout=30,
        )
        answer.raise_for_status()
        runs: list[dict[str, Any]] = answer.json()
        return runs

    def wait_for_runs(self, count: int) -> list[dict[str, Any]]:
        """Exactly ``count`` runs: reached within RUN_WITHIN, and still ``count`` after QUIET_SECONDS."""
        deadline = time.monotonic() + RUN_WITHIN
        while len(runs := self.runs()) < count:
            assert time.monotonic() < deadline, f"{len(runs)} runs after {RUN_WITHIN:g} s, wanted {count}"
            time.sleep(0.5)
        time.sleep(QUIET_SECONDS)
        runs = self.runs()
        assert len(runs) == count, [r["parameters"] for r in runs]
        return runs

    def receiver(self, name: str) -> Any:
        self.logs.append(self.home / f"receiver-{name}.log")
        return running_receiver(receiver_env(self.server), self.logs[-1])

    def logged(self) -> str:
        return "".join(path.read_text(errors="replace") for path in self.logs)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    home = Path(tempfile.mkdtemp(prefix="kaltura-events-replays-"))
    built = Stack(home)
    built.server.start()
    try:
        built.deploy_encore_trigger()
        yield built
    finally:
        built.server.stop()
        shutil.rmtree(home, ignore_errors=True)


def _post(url: str, body: Any) -> Any:
    """A setup call, tried again while the server answers 503 (SQLite busy on a loaded machine)."""
    for _ in range(10):
        answer = httpx.post(url, json=body, timeout=30)
        if answer.status_code != 503:
            answer.raise_for_status()
            return answer.json()
        time.sleep(1)
    answer.raise_for_status()


def recording(job: int, entry: str) -> bytes:
    return json_body(entry_notification(job, entry_id=entry, root_entry_id=SESSION, template=TEMPLATE))


def redeliver(receiver: str, body: bytes) -> None:
    """What Kaltura does with a notification until it hears 200: send it again, a while later."""
    for _ in range(10):
        if deliver(receiver, body) == [200]:
            return
        time.sleep(1)
    raise AssertionError("no 200 after 10 deliveries")


def deliver(receiver: str, body: bytes, copies: int = 1) -> list[int]:
    """Post ``copies`` identical requests at the same moment; their statuses."""
    start = threading.Barrier(copies)
    with httpx.Client(timeout=60) as client:

        def one(_: int) -> int:
            start.wait()
            return client.post(
                f"{receiver}/kaltura/{TOKEN}", content=body, headers=signed_headers(body)
            ).status_code

        with ThreadPoolExecutor(copies) as pool:
            return list(pool.map(one, range(copies)))


def test_identical_deliveries_at_once_start_one_run_each(stack: Stack) -> None:
    with stack.receiver("concurrent") as receiver:
        answers = {
            job: deliver(receiver, recording(job, f"1_rec{job}"), copies) for job, copies in ((1, 2), (2, 5))
        }
        for job, statuses in answers.items():
            assert set(statuses) <= {200, 503}, (job, statuses)
            # Those that heard 503 are Kaltura's retries later: each ends in 200.
            redeliver(receiver, recording(job, f"1_rec{job}"))
        runs = stack.wait_for_runs(2)
    assert sorted(r["parameters"]["entry_id"] for r in runs) == ["1_rec1", "1_rec2"]
    assert {r["parameters"]["root_entry_id"] for r in runs} == {SESSION}
    logged = stack.logged()
    for job in answers:
        posted = f"accepted job {job}, template {TEMPLATE}, object type 1, object 1_rec{job}: "
        assert logged.count(f"INFO:     {posted}kaltura.entry.ready on kaltura.entry.1_rec{job}\n") == 1, (
            logged
        )


def test_an_ordinary_upload_starts_no_run_and_a_recording_exactly_one(stack: Stack) -> None:
    upload = json_body(entry_notification(3, entry_id="1_upload3", template=TEMPLATE))
    with stack.receiver("upload") as receiver:
        redeliver(receiver, upload)
        redeliver(receiver, recording(4, "1_rec4"))
    events = wait_for_event(stack.api, str(event_id(PARTNER_ID, 3)))
    [posted] = [e for e in events if e["id"] == str(event_id(PARTNER_ID, 3))]
    assert posted["event"] == "kaltura.entry.ready"
    assert posted["resource"]["kaltura.entry.recording"] == "no"
    runs = stack.wait_for_runs(3)
    assert sorted(r["parameters"]["entry_id"] for r in runs) == ["1_rec1", "1_rec2", "1_rec4"]


def test_replays_after_restarting_prefect_and_the_receiver_start_no_run(stack: Stack) -> None:
    stack.server.stop()
    stack.server.start()
    replayed = stack.logged().count("delivered before: nothing posted")
    with stack.receiver("after-restart") as receiver:
        for job in (1, 2, 4):
            assert set(deliver(receiver, recording(job, f"1_rec{job}"), copies=2)) <= {200, 503}
            redeliver(receiver, recording(job, f"1_rec{job}"))
    stack.wait_for_runs(3)
    assert stack.logged().count("delivered before: nothing posted") >= replayed + 3
    ledger = httpx.get(f"{stack.api}/variables/name/{variable_name(PARTNER_ID, 4)}", timeout=30).json()
    assert ledger["value"] == {
        "state": "delivered",
        "at": ledger["value"]["at"],
        "event": "kaltura.entry.ready",
        "resource": "kaltura.entry.1_rec4",
    }
    assert ledger["tags"] == ["kaltura-notification"]


def test_without_the_ledger_the_restarted_server_would_have_started_a_run(stack: Stack) -> None:
    """The control: the same event posted straight to the server after its restart is a new run."""
    found = httpx.post(
        f"{stack.api}/events/filter",
        json={"filter": {"id": {"id": [str(event_id(PARTNER_ID, 4))]}}, "limit": 1},
        timeout=30,
    )
    found.raise_for_status()
    [event] = found.json()["events"]
    again = {key: event[key] for key in ("id", "occurred", "event", "resource", "related", "payload")}
    httpx.post(f"{stack.api}/events", content=json.dumps([again]), timeout=30).raise_for_status()
    assert len(stack.wait_for_runs(4)) == 4
