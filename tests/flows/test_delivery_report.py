"""report_sends inside a real flow run: one table row per send, the CSVs under the run's output folder.

The sends go through MessagingClient (the send flow is another module's); what
is checked here is what a person reads afterwards: the table artifact, whose
counts are the outbox's, and the CSV of whom each send did not reach.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from prefect import flow

from flows.delivery_report import SendsReport, report_sends
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.planning.delivery import SendRecord
from tasks.api_limit import run_api_limit, thread_runner
from tests.message_sends import Fate, messaging_client, outbox_of, people_with, prepare, send

REMINDER = "kev-msg:town-hall:2027-01-05:reminder-before-24h-invited"
THANKS = "kev-msg:town-hall:2027-01-05:thanks-after-2h-attended"


@flow(name="report-sends-test", task_runner=thread_runner(), validate_parameters=False)
def reporting(
    credentials: KalturaCredentials, sends: Sequence[SendRecord], output_dir: str | None
) -> SendsReport:
    with run_api_limit(8):
        return report_sends(credentials, sends, output_dir=output_dir)


def record(session: str, audience: int, unsubscribed: int = 0, skipped: bool = False) -> SendRecord:
    _, series, occurrence, name = session.split(":")
    return SendRecord(session, series, occurrence, name, name.split("-")[0], audience, unsubscribed, skipped)


def two_sends(emu: EmulatorServer) -> dict[str, list[Fate]]:
    fates: dict[str, list[Fate]] = {
        REMINDER: ["delivered", "delivered", "bounce", "delivered", "unknown"],
        THANKS: ["delivered", "bounce", "bounce"],
    }
    with messaging_client(emu) as messaging:
        for number, (session, mix) in enumerate(fates.items()):
            people = people_with(mix, prefix=f"s{number}-")
            prepare(emu, people)
            send(emu, messaging, session, people)
    return fates


def artifact_rows(key: str) -> list[dict[str, Any]]:
    from prefect.artifacts import Artifact

    found: Any = Artifact.get(key)
    assert found is not None, key
    rows: list[dict[str, Any]] = json.loads(found.data)
    return rows


def test_the_table_counts_are_the_outbox_and_the_csvs_list_the_bounced(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    fates = two_sends(emu)
    sends = [record(REMINDER, 6, unsubscribed=1), record(THANKS, 3)]
    out = tmp_path / "messages"

    report = reporting(creds, sends, str(out))

    rows = {row["send"]: row for row in artifact_rows("delivery-town-hall")}
    assert len(rows) == 2
    for session, mix in fates.items():
        outbox = Counter(m["status"] for m in outbox_of(emu, session))
        row = rows[session.rsplit(":", 1)[1]]
        assert row["delivered"] == outbox["delivered"] == mix.count("delivered")
        assert row["bounced"] == outbox["bounce"] == mix.count("bounce")
        assert row["sent"] == len(mix)
        assert row["errors"] == mix.count("unknown")
        assert row["opened"] == "" and row["problem"] == ""
    assert rows["reminder-before-24h-invited"]["to"] == 6
    assert rows["reminder-before-24h-invited"]["unsubscribed (not sent)"] == 1
    assert [Path(f).relative_to(out).as_posix() for f in report.delivery.files] == [
        "town-hall/2027-01-05/undelivered-reminder-before-24h-invited.csv",
        "town-hall/2027-01-05/undelivered-thanks-after-2h-attended.csv",
    ]
    thanks = Path(report.delivery.files[1]).read_text(encoding="utf-8").splitlines()
    assert thanks == [
        "email,user_id,status,error,detail",
        "s1-1@example.com,s1-1@example.com,bounce,,",
        "s1-2@example.com,s1-2@example.com,bounce,,",
    ]
    # No link token (the MagicLink each person got) and no credential in what a person reads.
    links = {t for m in emu.control.outbox() for t in re.findall(r"token=([0-9a-f]+)", m["body"])}
    readable = json.dumps(artifact_rows("delivery-town-hall")) + "".join(
        Path(f).read_text(encoding="utf-8") for f in report.delivery.files
    )
    assert links and not any(token in readable for token in links)
    assert emu.admin_secret not in readable

    again = reporting(creds, sends, str(out))
    assert again.delivery == report.delivery, "a re-run reports the same and rewrites the same files"


def test_an_output_dir_outside_the_work_root_is_refused_before_any_call(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    emu.control.reset_stats()
    with pytest.raises(InvalidArgumentError, match=r"^output_dir='\.\./\.\./.*refused"):
        reporting(creds, [record(REMINDER, 1)], "../../../delivery")
    assert emu.control.stats()["requests"] == {}


def test_sends_whose_reads_fail_are_problem_rows_not_a_crash(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    """The sends went out already: a report that cannot read them says so per send, and still publishes."""
    two_sends(emu)
    emu.control.set_faults([{"endpoint": "message/stats", "kind": "error_before_commit"}])
    report = reporting(creds, [record(REMINDER, 5), record(THANKS, 3)], None)
    assert [send.session for send in report.unread] == [REMINDER, THANKS]
    assert report.delivery.sends == []
    rows = artifact_rows("delivery-town-hall")
    assert [row["send"] for row in rows] == ["reminder-before-24h-invited", "thanks-after-2h-attended"]
    assert all(row["problem"].startswith("not read: message/stats") for row in rows), rows
    assert report.summary() == "no send to report; 2 send(s) not read"


def test_the_same_send_twice_is_refused_naming_it(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^sends\[1\]\.session="):
        reporting(creds, [record(REMINDER, 1), record(REMINDER, 1)], None)
