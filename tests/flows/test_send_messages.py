"""Each due reminder and follow-up reaches each person once: re-runs, a 500 that still sent, windows.

Counted in the emulator's outbox, which holds every email the Messaging
service rendered. Events are placed relative to the moment the test starts
(the flow reads the clock, never a parameter).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from prefect import flow

from flows.send_messages import SendReport, send_series
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawEventsApi
from tasks.api_limit import run_api_limit, thread_runner
from tests.messaging_series import (
    SEND_NAMES,
    SERIES,
    AppTemplates,
    People,
    make_occurrence,
    received,
    series_messages,
    session,
    unsubscribe,
)


@flow(task_runner=thread_runner())
def run_sends(credentials: KalturaCredentials, templates: AppTemplates) -> SendReport:
    report = SendReport(file="test")
    with run_api_limit(8):
        done = send_series(credentials, SERIES, series_messages(), templates)
    report.rows, report.waiting = done.rows, done.waiting
    return report


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def test_follow_ups_reach_the_attended_and_the_absent_once_and_a_rerun_sends_nothing(
    emu: EmulatorServer, events_api: RawEventsApi, creds: KalturaCredentials
) -> None:
    people = People(12, unsubscribed=frozenset({0, 1}))
    unsubscribe(emu.control, people)
    make_occurrence(events_api, emu.control, "2027-01-05", now() - timedelta(hours=4), people)
    templates = AppTemplates(creds)

    report = run_sends(creds, templates)
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
    again = run_sends(creds, templates)
    assert "message/send" not in emu.control.stats()["requests"]
    assert {r.send: r.state for r in again.rows}["thanks-after-2h-attended"] == "done"
    assert received(emu.control) == counts


@pytest.mark.parametrize("kind", ["error_after_commit"])
def test_a_send_that_failed_after_it_sent_is_never_repeated(
    emu: EmulatorServer, events_api: RawEventsApi, creds: KalturaCredentials, kind: str
) -> None:
    people = People(9)
    make_occurrence(events_api, emu.control, "2027-01-05", now() + timedelta(minutes=10), people, invite=True)
    templates = AppTemplates(creds)
    emu.control.set_faults([{"endpoint": "message/send", "kind": kind}])
    report = run_sends(creds, templates)
    emu.control.clear_faults()
    assert {r.send for r in report.rows} == set(SEND_NAMES[:2])
    again = run_sends(creds, templates)
    counts = received(emu.control)
    assert all(n == 1 for n in counts.values()), counts
    for send in SEND_NAMES[:2]:
        got = {address for (label, address) in counts if label == session("2027-01-05", send)}
        assert got == people.expected(send)
    assert all(r.state == "done" for r in again.rows), again.rows
