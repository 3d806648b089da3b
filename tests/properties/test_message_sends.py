"""Each person receives each due message at most once, and exactly once where a run came in its window.

A generated schedule is a list of runs, each at a moment relative to the
occurrence (before anything is due, in the reminders' window, after the
start, in the follow-ups' window, after it closed), each perhaps with a fault
on every ``message/send`` of that run, and perhaps two runs at once. The flow
reads the clock, so "a run at that moment" is the occurrence moved, before
the run, to where the moment falls now; its identity (the ``kev-occ:`` label,
hence every session label) stays.

The faults are the ways a send's record could be lost if there were one
outside the service: ``error_after_commit`` and ``reset`` answer a send that
happened with an error or nothing, as a run killed between its send and
whatever it would have written next would see it; ``error_before_commit`` is
a send that did not happen. The only record is the session label, written
with the send, so the next run's listing accounts for each.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial

from hypothesis import given
from hypothesis import strategies as st
from prefect import flow

from flows.send_messages import SendReport, send_all
from kaltura_events.api.ks import ADMIN, build_ks_v2
from kaltura_events.credentials import KalturaCredentials, close_cached_clients
from kaltura_events.emulator.config import DEFAULT_USER_ID
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawEventsApi
from kaltura_events.planning.messages import OccurrenceTimes, due_sends
from tasks.api_limit import thread_runner
from tasks.message_templates import converge_templates
from tests.messaging_series import (
    SEND_NAMES,
    SERIES,
    People,
    iso,
    make_occurrence,
    received,
    series_messages,
    session,
    unsubscribe,
)

OCCURRENCE = "2027-03-04"
START_FROM_NOW = {
    "early": timedelta(hours=30),
    "reminders": timedelta(minutes=10),
    "started": timedelta(minutes=-10),
    "follow_ups": timedelta(hours=-4),
    "closed": timedelta(hours=-4 - 72),
}
"""Where the occurrence (an hour long) starts, from the run's moment, for each position."""
IN_WINDOW = {
    "reminder-before-24h-invited": "reminders",
    "reminder-before-15m-registered": "reminders",
    "thanks-after-2h-attended": "follow_ups",
    "missed-after-2h-absent": "follow_ups",
}
FAULTS = (None, "error_after_commit", "reset", "error_before_commit")


@dataclass(frozen=True)
class Step:
    position: str
    fault: str | None
    twice: bool


POSITIONS = ("reminders", "follow_ups", "reminders", "follow_ups", "early", "started", "closed")
"""Windows twice as often as the moments around them: repeats inside a window are what can go wrong."""
steps = st.lists(
    st.builds(Step, st.sampled_from(POSITIONS), st.sampled_from(FAULTS), st.booleans()),
    min_size=2,
    max_size=3,
)


@flow(task_runner=thread_runner())
def run_sends(credentials: KalturaCredentials) -> SendReport:
    """The send flow's own core, locks included, without its file: one series, these messages."""
    messages = series_messages()
    return send_all(credentials, [(SERIES, messages)], partial(converge_templates, credentials), file="p")


def _move(api: RawEventsApi, event_id: int, position: str) -> None:
    start = datetime.now(timezone.utc) + START_FROM_NOW[position]
    body = {"id": event_id, "startDate": iso(start), "endDate": iso(start + timedelta(hours=1))}
    api.ok("events/update", body)


def _run(credentials: KalturaCredentials, twice: bool) -> None:
    """One run, or two started together; a run that fails (a fault it could not account for) is fine:
    the property is about what people received."""
    runs = 2 if twice else 1
    barrier = threading.Barrier(runs)

    def go() -> None:
        barrier.wait()
        run_sends(credentials, return_state=True)

    threads = [threading.Thread(target=go) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)


@given(schedule=steps, count=st.integers(2, 6), unsubscribed=st.sets(st.integers(0, 5), max_size=2))
def test_each_person_gets_each_due_message_at_most_once_and_once_if_a_run_came_in_time(
    schedule: list[Step],
    count: int,
    unsubscribed: set[int],
    emulator: EmulatorServer,
    emulator_credentials: KalturaCredentials,
) -> None:
    emulator.control.reset()
    people = People(count, unsubscribed=frozenset(i for i in unsubscribed if i < count))
    unsubscribe(emulator.control, people)
    try:
        admin_ks = build_ks_v2(
            emulator.admin_secret, emulator.partner_id, DEFAULT_USER_ID, session_type=ADMIN
        )
        with RawEventsApi(emulator.events_api_url, admin_ks) as api:
            event_id = make_occurrence(
                api, emulator.control, OCCURRENCE, datetime.now(timezone.utc), people, invite=True
            )
            for step in schedule:
                _move(api, event_id, step.position)
                faults = [] if step.fault is None else [{"endpoint": "message/send", "kind": step.fault}]
                emulator.control.set_faults(faults)
                _run(emulator_credentials, step.twice)
            emulator.control.clear_faults()
        counts = received(emulator.control)
        assert all(n == 1 for n in counts.values()), f"a second copy: {counts}"
        for send in SEND_NAMES:
            got = {address for (label, address) in counts if label == session(OCCURRENCE, send)}
            assert got <= people.expected(send), f"{send} reached someone it should not: {got}"
            clean = any(s.position == IN_WINDOW[send] and s.fault is None for s in schedule)
            in_window = any(s.position == IN_WINDOW[send] for s in schedule)
            if clean:
                assert got == people.expected(send), f"{send}: a clean run in its window, yet {got}"
            if not in_window:
                assert got == set(), f"{send} went outside its window: {got}"
    finally:
        close_cached_clients()


def test_the_positions_fall_where_the_model_says() -> None:
    """The schedule's positions, checked against the pure model, so the property tests what it says."""
    spec = series_messages().spec
    for position, offset in START_FROM_NOW.items():
        now = datetime(2030, 1, 1, tzinfo=timezone.utc)
        start = now + offset
        sends = due_sends(spec, [OccurrenceTimes(SERIES, OCCURRENCE, start, start + timedelta(hours=1))])
        due = {d.send.name for d in sends if d.state(now) == "due"}
        assert due == {name for name, window in IN_WINDOW.items() if window == position}, position
