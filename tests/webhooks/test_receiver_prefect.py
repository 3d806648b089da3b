"""`kaltura-events webhooks serve` on a real Prefect server: one event per notification, none per refusal.

One Prefect server for the module (a start costs 5-10 s); the receiver runs
as the command a user runs, in its own process, configured only through the
environment the README documents.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deployments.local_server import PrefectServer, free_port
from kaltura_events.webhooks.notification import event_id
from tests.webhooks.running import (
    kaltura_events,
    receiver_env,
    running_receiver,
    serve_command,
    wait_for_event,
)
from tests.webhooks.samples import (
    FORM,
    PARTNER_ID,
    TOKEN,
    entry_notification,
    form_body,
    json_body,
    signed_headers,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prefect() -> Iterator[PrefectServer]:
    with PrefectServer() as server:
        yield server


@pytest.fixture(scope="module")
def receiver(prefect: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kaltura-events webhooks serve` (sha256, the default) configured by KALTURA_* variables: its URL."""
    with running_receiver(receiver_env(prefect), tmp_path_factory.mktemp("receiver") / "receiver.log") as url:
        yield url


def test_one_event_for_a_notification_delivered_twice_and_none_for_each_refusal(
    prefect: PrefectServer, receiver: str
) -> None:
    url = f"{receiver}/kaltura/{TOKEN}"
    valid = json_body(entry_notification(9001))

    def body(job: int) -> bytes:
        """Each refusal its own job id: one let through would be an event of its own, not a duplicate."""
        return json_body(entry_notification(job))

    big = entry_notification(9016)
    big["object"]["description"] = "x" * (300 * 1024)
    not_a_notification = form_body(None, entryId="1_abc123", status="2", eventNotificationJobId="9017")
    refusals: dict[str, tuple[str, bytes, dict[str, str], int]] = {
        "no signature": (url, body(9010), {"Content-Type": "application/json"}, 401),
        "wrong secret": (url, body(9011), signed_headers(body(9011), secret="not-the-admin-secret"), 401),
        "body changed after signing": (
            url,
            body(9012).replace(b"All-hands", b"All-hands!"),
            signed_headers(body(9012)),
            401,
        ),
        "sha1 when sha256 is pinned": (
            url,
            body(9013),
            signed_headers(body(9013), algo="sha1", header_algo="sha1"),
            401,
        ),
        "no algorithm header (sha1)": (
            url,
            body(9014),
            signed_headers(body(9014), algo="sha1", header_algo=None),
            401,
        ),
        "wrong path token": (f"{receiver}/kaltura/x{TOKEN}", body(9015), signed_headers(body(9015)), 404),
        "oversized body": (url, json_body(big), signed_headers(json_body(big)), 413),
        "form that is not a notification": (
            url,
            not_a_notification,
            signed_headers(not_a_notification, content_type=FORM),
            400,
        ),
    }
    with httpx.Client(timeout=30) as client:
        for case, (target, content, headers, status) in refusals.items():
            answer = client.post(target, content=content, headers=headers)
            assert answer.status_code == status, f"{case}: {answer.status_code} {answer.text}"
        for _ in range(2):
            answer = client.post(url, content=valid, headers=signed_headers(valid))
            assert answer.status_code == 200, answer.text

    wanted = str(event_id(PARTNER_ID, 9001))
    wait_for_event(prefect.api_url, wanted)
    time.sleep(6)  # one more persister flush: a duplicate or a refused one would show by now
    events = [e for e in kaltura_events(prefect.api_url) if 9000 <= e["payload"].get("job_id", 0) < 9100]
    assert [event["id"] for event in events] == [wanted]
    [event] = events
    assert event["event"] == "kaltura.entry.ready"
    assert event["resource"]["prefect.resource.id"] == "kaltura.entry.1_abc123"
    assert event["payload"]["job_id"] == 9001
    assert {r["prefect.resource.id"] for r in event["related"]} == {
        f"kaltura.partner.{PARTNER_ID}",
        "kaltura.notification-template.26970222",
    }


def test_a_receiver_whose_prefect_is_down_answers_503(prefect: PrefectServer, tmp_path: Path) -> None:
    """The whole command, with PREFECT_API_URL on a closed port: Kaltura is told to come back later."""
    env = receiver_env(prefect, PREFECT_API_URL=f"http://127.0.0.1:{free_port()}/api")
    body = json_body(entry_notification(9100))
    with running_receiver(env, tmp_path / "receiver.log") as receiver:
        answer = httpx.post(
            f"{receiver}/kaltura/{TOKEN}", content=body, headers=signed_headers(body), timeout=30
        )
    assert answer.status_code == 503


def test_the_admin_secret_can_come_from_a_saved_credentials_block(
    prefect: PrefectServer, tmp_path: Path
) -> None:
    env = receiver_env(prefect)
    saved = subprocess.run(
        [sys.executable, "-m", "kaltura_events.cli", "credentials", "save", "hooks"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert saved.returncode == 0, saved.stderr
    del env["KALTURA_ADMIN_SECRET"]
    body = json_body(entry_notification(9200))
    with running_receiver(env, tmp_path / "receiver.log", "--credentials", "hooks") as receiver:
        answer = httpx.post(
            f"{receiver}/kaltura/{TOKEN}", content=body, headers=signed_headers(body), timeout=30
        )
    assert answer.status_code == 200, answer.text
    wait_for_event(prefect.api_url, str(event_id(PARTNER_ID, 9200)))


def test_without_an_admin_secret_or_a_saved_block_serve_exits_1_with_one_line(prefect: PrefectServer) -> None:
    env = receiver_env(prefect)
    del env["KALTURA_ADMIN_SECRET"]
    done = subprocess.run(
        serve_command(free_port()), env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "cannot load the Kaltura Credentials Block 'kaltura'" in lines[0]
    assert "KALTURA_ADMIN_SECRET" in lines[0]
    assert TOKEN not in lines[0]
