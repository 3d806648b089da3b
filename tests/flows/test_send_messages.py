"""Each due reminder and follow-up reaches each person once: re-runs, a 500 that still sent, windows.

Counted in the emulator's outbox, which holds every email the Messaging
service rendered. Events are placed relative to the moment the test starts
(the flow reads the clock, never a parameter).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pendulum
import pytest

from flows.send_messages import SendReport, send_messages
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawEventsApi
from tests.messaging_series import (
    SEND_NAMES,
    People,
    make_occurrence,
    received,
    session,
    unsubscribe,
    write_events_file,
)


def run_sends(path: Path, credentials: KalturaCredentials) -> SendReport:
    report = send_messages(str(path), credentials=credentials)
    assert isinstance(report, SendReport)
    return report


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def test_follow_ups_reach_the_attended_and_the_absent_once_and_a_rerun_sends_nothing(
    emu: EmulatorServer, events_api: RawEventsApi, creds: KalturaCredentials, tmp_path: Path
) -> None:
    path = write_events_file(tmp_path)
    people = People(12, unsubscribed=frozenset({0, 1}))
    unsubscribe(emu.control, people)
    make_occurrence(events_api, emu.control, "2027-01-05", now() - timedelta(hours=4), people)

    report = run_sends(path, creds)
    by_send = {row.send: row for row in report.rows}
    assert by_send["thanks-after-2h-attended"].state == "sent"
    assert (
        by_send["thanks-after-2h-attended"].sent == 3
        and by_send["thanks-after-2h-attended"].unsubscribed == 1
    )
    assert by_send["missed-after-2h-absent"].sent == 3
    assert by_send["reminder-before-24h-invited"].state == "missed"
    assert by_send["reminder-before-15m-registered"].state == "missed"
    counts = received(emu.control)
    assert all(n == 1 for n in counts.values()), counts
    for send in ("thanks-after-2h-attended", "missed-after-2h-absent"):
        got = {address for (label, address) in counts if label == session("2027-01-05", send)}
        assert got == people.expected(send)

    emu.control.reset_stats()
    again = run_sends(path, creds)
    assert "message/send" not in emu.control.stats()["requests"]
    assert {r.send: r.state for r in again.rows}["thanks-after-2h-attended"] == "done"
    assert received(emu.control) == counts


@pytest.mark.parametrize("kind", ["error_after_commit"])
def test_a_send_that_failed_after_it_sent_is_never_repeated(
    emu: EmulatorServer, events_api: RawEventsApi, creds: KalturaCredentials, tmp_path: Path, kind: str
) -> None:
    path = write_events_file(tmp_path)
    people = People(9)
    make_occurrence(events_api, emu.control, "2027-01-05", now() + timedelta(minutes=10), people, invite=True)
    emu.control.set_faults([{"endpoint": "message/send", "kind": kind}])
    report = run_sends(path, creds)
    emu.control.clear_faults()
    assert {r.send for r in report.rows} == set(SEND_NAMES[:2])
    again = run_sends(path, creds)
    counts = received(emu.control)
    assert all(n == 1 for n in counts.values()), counts
    for send in SEND_NAMES[:2]:
        got = {address for (label, address) in counts if label == session("2027-01-05", send)}
        assert got == people.expected(send)
    assert all(r.state == "done" for r in again.rows), again.rows


@pytest.mark.slow
def test_twelve_occurrences_of_300_people_each_get_each_due_follow_up_once(
    emu: EmulatorServer, events_api: RawEventsApi, creds: KalturaCredentials, tmp_path: Path
) -> None:
    path = write_events_file(tmp_path)
    people = People(300, unsubscribed=frozenset(range(0, 300, 25)))
    unsubscribe(emu.control, people)
    occurrences = [f"2027-01-{day:02d}" for day in range(1, 13)]
    for occurrence in occurrences:
        make_occurrence(events_api, emu.control, occurrence, now() - timedelta(hours=3, minutes=30), people)

    report = run_sends(path, creds)
    assert report.failed == []
    counts = received(emu.control)
    assert max(counts.values()) == 1
    for occurrence in occurrences:
        for send in SEND_NAMES[2:]:
            got = {address for (label, address) in counts if label == session(occurrence, send)}
            assert got == people.expected(send), (occurrence, send)
    left = {email for (_, email) in counts} & {f"p{i:04d}@acme.example" for i in people.unsubscribed}
    assert left == set(), "nobody who left the group gets mail"
    totals = report.totals()
    assert totals["sent"] == len(counts) == 12 * (96 + 96)
    assert totals["skipped (missed)"] == 12 * 2, "both reminders of each occurrence: their windows closed"
    assert totals["unsubscribed"] == 12 * (4 + 4)

    emu.control.reset_stats()
    again = run_sends(path, creds)
    assert "message/send" not in emu.control.stats()["requests"]
    assert again.totals()["already sent"] == len(counts) and again.totals()["sent"] == 0


def test_a_send_whose_window_closed_is_reported_and_never_sent_late(
    emu: EmulatorServer, events_api: RawEventsApi, creds: KalturaCredentials, tmp_path: Path
) -> None:
    """Occurrences a day apart: the last three days' follow-ups go; the one whose 72 h closed an hour
    ago is reported; one older still is no longer looked at."""
    path = write_events_file(tmp_path)
    people = People(6)
    ends = {f"2027-01-{day:02d}": now() - timedelta(hours=3 + 24 * day) for day in range(5)}
    for occurrence, end in ends.items():
        make_occurrence(events_api, emu.control, occurrence, end - timedelta(hours=1), people)
    report = run_sends(path, creds)
    follow_ups = {(r.occurrence, r.send): r.state for r in report.rows if "after" in r.send}
    assert follow_ups == {
        **{(f"2027-01-{day:02d}", send): "sent" for day in range(3) for send in SEND_NAMES[2:]},
        **{("2027-01-03", send): "missed" for send in SEND_NAMES[2:]},
    }
    sessions = {label for (label, _) in received(emu.control)}
    assert sessions == {session(f"2027-01-{day:02d}", send) for day in range(3) for send in SEND_NAMES[2:]}
    missed = next(r for r in report.rows if r.occurrence == "2027-01-03")
    assert "not sent late" in missed.note and "America/New_York" in missed.note


def test_a_reminder_names_the_event_its_local_start_and_links_to_its_site(
    emu: EmulatorServer, events_api: RawEventsApi, creds: KalturaCredentials, tmp_path: Path
) -> None:
    path = write_events_file(tmp_path)
    start = now() + timedelta(minutes=10)
    event_id = make_occurrence(events_api, emu.control, "2027-01-05", start, People(3), invite=True)
    domain = events_api.ok("events/list", {"filter": {"idIn": [event_id]}})["events"][0]["publicDomain"]
    run_sends(path, creds)
    [first, *_] = [m for m in emu.control.outbox() if m["session"].endswith("reminder-before-24h-invited")]
    local = pendulum.instance(start).in_timezone("America/New_York").format("YYYY-MM-DD HH:mm")
    assert first["subject"] == "Soon: Town hall 2027-01-05"
    assert f"starts {local} America/New_York" in first["body"]
    site = domain if domain.startswith("https://") else f"https://{domain}"
    assert f"<a href='{site}/?token=" in first["body"], "the join link is a MagicLink to the event's site"
    assert f"<a href='{site}/unsubscribe'>Unsubscribe</a>" in first["body"]
    assert first["from"] == "events@acme.example" and first["fromName"] == "Acme Events"


def test_a_series_key_the_file_lacks_is_refused_naming_it(creds: KalturaCredentials, tmp_path: Path) -> None:
    path = write_events_file(tmp_path)
    state = send_messages(str(path), series_key="town-hal", credentials=creds, return_state=True)
    assert state.is_failed()
    with pytest.raises(InvalidArgumentError, match=r"series_key.*town-hal.*town-hall"):
        state.result()


def test_each_send_is_reported_with_the_addresses_it_did_not_reach(
    emu: EmulatorServer, events_api: RawEventsApi, creds: KalturaCredentials, tmp_path: Path
) -> None:
    path = write_events_file(tmp_path)
    people = People(9, unsubscribed=frozenset({0}))
    unsubscribe(emu.control, people)
    make_occurrence(events_api, emu.control, "2027-01-05", now() - timedelta(hours=4), people)
    attended = sorted(people.expected("thanks-after-2h-attended"))
    emu.control.mark_bouncing(attended[:1])

    report = send_messages(str(path), credentials=creds, output_dir=str(tmp_path / "delivery"))
    assert isinstance(report, SendReport) and report.delivery is not None
    rows = {row["send"]: row for row in report.delivery.rows()}
    thanks = rows["thanks-after-2h-attended"]
    assert (thanks["sent"], thanks["bounced"], thanks["delivered"]) == (
        len(attended),
        1,
        len(attended) - 1,
    )
    assert rows["reminder-before-24h-invited"]["skipped"] == "window passed: not sent"
    [csv_file] = report.delivery.delivery.files
    assert attended[0] in Path(csv_file).read_text(encoding="utf-8")
    assert Path(csv_file).resolve().is_relative_to((tmp_path / "delivery").resolve())


def test_an_output_folder_outside_the_work_root_is_refused_before_any_send(
    emu: EmulatorServer, events_api: RawEventsApi, creds: KalturaCredentials, tmp_path: Path
) -> None:
    path = write_events_file(tmp_path)
    make_occurrence(events_api, emu.control, "2027-01-05", now() - timedelta(hours=4), People(3))
    emu.control.reset_stats()
    with pytest.raises(InvalidArgumentError, match="output_dir"):
        send_messages(str(path), credentials=creds, output_dir="/etc/kaltura-out")
    assert emu.control.stats()["requests"] == {}


@pytest.mark.parametrize("kind", ["error_after_commit", "error_before_commit"])
def test_chunks_sent_at_once_are_each_accounted_for_and_nobody_gets_two(
    emu: EmulatorServer,
    events_api: RawEventsApi,
    creds: KalturaCredentials,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    """Chunks of 2 for 9 people: two chunks fail, the others go. A failure after the send is found in
    the session and counted as sent; one before it leaves the send failed, and the next run sends
    exactly those people, once."""
    monkeypatch.setattr("flows.send_messages.RECIPIENTS_PER_SEND", 2)
    path = write_events_file(tmp_path)
    people = People(9)
    make_occurrence(events_api, emu.control, "2027-01-05", now() + timedelta(minutes=10), people, invite=True)
    emu.control.set_faults([{"endpoint": "message/send", "kind": kind, "times": 2}])
    state = send_messages(str(path), credentials=creds, return_state=True)
    emu.control.clear_faults()
    counts = received(emu.control)
    assert all(n == 1 for n in counts.values()), counts
    first_run = len(counts)
    if kind == "error_after_commit":
        assert state.is_completed()
        report = state.result()
        assert isinstance(report, SendReport)
        for row in report.rows:
            assert (row.state, row.sent) == ("sent", len(people.expected(row.send))), row
    else:
        assert state.is_failed(), "two chunks that sent nothing leave the run unfinished"
    again = run_sends(path, creds)
    counts = received(emu.control)
    assert all(n == 1 for n in counts.values()), counts
    for send in SEND_NAMES[:2]:
        got = {address for (label, address) in counts if label == session("2027-01-05", send)}
        assert got == people.expected(send)
    # The chunks go out at once, so which two the faults meet is the order they reach the service: a
    # chunk of 2 or a send's last chunk of 1. The re-run sends exactly whom the first run missed.
    unsent = len(counts) - first_run
    if kind == "error_after_commit":
        assert unsent == 0
    else:
        assert 0 < unsent <= 2 * 2, unsent
    assert sum(r.sent for r in again.rows) == unsent, again.rows
