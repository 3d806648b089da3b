"""Our writes become Prefect events: one per write that succeeded, none for a failed one, none on a re-run.

Each case runs a real flow against the emulator and reads the events back
from the session's Prefect test server, by the flow run they relate to.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefect.events import Event as PrefectEvent

import tasks.announce as announce_module
from flows.schedule_all_hands import schedule_all_hands
from flows.teardown_events import teardown_events
from kaltura_events.api.models import Event
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from tasks.announce import Announcement, announce, event_written, to_json
from tests.prefect_events import events_of_run, named, related_ids
from tests.specs import weekly_all_hands

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
KEY = "pe-all-hands"


def spec(**changes: Any) -> Any:
    """A dict the flow validates into its series model, as a deployment passes it."""
    return weekly_all_hands(**{"key": KEY, "horizon_days": 28, "labels": ["all-hands"], **changes})


def emulator_event_ids(emu: EmulatorServer) -> set[int]:
    return {int(e["id"]) for e in emu.control.state()["events"]}


def test_each_write_of_a_series_is_one_event_with_its_series_and_run(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    state = schedule_all_hands(spec(), creds, now=NOW, return_state=True)
    assert state.is_completed()
    run_id = state.state_details.flow_run_id
    ids = emulator_event_ids(emu)
    assert len(ids) == 4
    events = events_of_run(run_id)

    created = named(events, "kaltura.event.created")
    assert sorted(e.resource.id for e in created) == sorted(f"kaltura.event.{i}" for i in ids)
    for event in created:
        assert related_ids(event, "series") == [f"kaltura.series.{KEY}"]
        assert related_ids(event, "flow-run") == [f"prefect.flow-run.{run_id}"]
        assert related_ids(event, "task-run"), "emitted inside the create-event task run"
        assert event.resource.name and event.resource.name.startswith("Company All-Hands")
        assert set(event.payload) >= {"event_id", "name", "start", "end", "labels", "series_key"}
        assert event.payload["series_key"] == KEY
    updated = named(events, "kaltura.event.updated")
    assert sorted(e.resource.id for e in updated) == sorted(f"kaltura.event.{i}" for i in ids)
    assert all(f"kev-series:{KEY}" in e.payload["labels"] for e in updated)
    sessions = named(events, "kaltura.session.created")
    assert len(sessions) == 8
    assert {related_ids(e, "event")[0] for e in sessions} == {f"kaltura.event.{i}" for i in ids}
    assert {e.event for e in events} == {
        "kaltura.event.created",
        "kaltura.event.updated",
        "kaltura.session.created",
    }

    again = schedule_all_hands(spec(), creds, now=NOW, return_state=True)
    assert again.is_completed()
    assert events_of_run(again.state_details.flow_run_id) == [], "a converged series writes nothing"


def test_a_failed_write_emits_nothing_for_it(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    emu.control.set_faults([{"endpoint": "events/update", "kind": "error_before_commit"}])
    state = schedule_all_hands(spec(), creds, now=NOW, return_state=True)
    assert state.is_failed()
    events = events_of_run(state.state_details.flow_run_id)
    assert len(named(events, "kaltura.event.created")) == 4, "the creates succeeded"
    assert named(events, "kaltura.event.updated") == [], "every update failed"

    emu.control.reset()
    emu.control.set_faults([{"endpoint": "events/create", "kind": "error_before_commit"}])
    failed = schedule_all_hands(spec(), creds, now=NOW, return_state=True)
    assert failed.is_failed() and emulator_event_ids(emu) == set()
    assert events_of_run(failed.state_details.flow_run_id) == []


def test_an_audience_page_is_one_event_of_counts_without_emails(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    people = [{"email": f"p{i}@example.com", "first_name": "P", "last_name": str(i)} for i in range(30)]
    series = spec(horizon_days=7, sessions=[], audience={"people": people})
    state = schedule_all_hands(series, creds, now=NOW, return_state=True)
    assert state.is_completed()
    events = named(events_of_run(state.state_details.flow_run_id), "kaltura.audience.changed")
    [event_id] = emulator_event_ids(emu)
    assert len(events) == 2, "30 invites are two task pages of at most 25"
    assert sorted(e.payload["invited"] for e in events) == [5, 25]
    assert {e.resource.id for e in events} == {f"kaltura.event.{event_id}"}
    assert all("@" not in repr(e.payload) for e in events)


def test_teardown_announces_each_deleted_event_with_its_series(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    schedule_all_hands(spec(horizon_days=7, sessions=[]), creds, now=NOW)
    [event_id] = emulator_event_ids(emu)
    state = teardown_events(
        {"series_key": KEY}, creds, dry_run=False, clean_categories=False, return_state=True
    )
    assert state.is_completed()
    [deleted] = named(events_of_run(state.state_details.flow_run_id), "kaltura.event.deleted")
    assert deleted.resource.id == f"kaltura.event.{event_id}"
    assert related_ids(deleted, "series") == [f"kaltura.series.{KEY}"]


def test_an_emission_error_is_a_warning_and_never_fails_the_write(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**_: Any) -> None:
        raise RuntimeError("events worker gone")

    monkeypatch.setattr(announce_module, "emit_event", broken)
    with caplog.at_level(logging.WARNING, logger="kaltura_events.tasks.announce"):
        announce(Announcement("kaltura.event.created", {"prefect.resource.id": "kaltura.event.1"}))
    assert "not emitted (RuntimeError)" in caplog.text


_TEXT = st.text(min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    event_id=st.integers(min_value=1, max_value=2**53),
    name=_TEXT,
    description=st.text(max_size=200),
    labels=st.lists(st.one_of(_TEXT, st.emails(), _TEXT.map(lambda t: f"kev-series:{t}")), max_size=6),
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(timezone.utc)
    ),
    action=st.sampled_from(["created", "updated"]),
)
def test_any_event_announces_its_id_and_no_address_or_description(
    event_id: int, name: str, description: str, labels: list[str], start: datetime, action: str
) -> None:
    event = Event(
        id=event_id,
        name=name,
        description=description,
        start_date=start,
        end_date=start + timedelta(hours=1),
        labels=labels,
    )
    announcement = event_written(action, event)
    body = to_json(announcement, occurred=datetime.now(timezone.utc))
    assert body["resource"]["prefect.resource.id"] == f"kaltura.event.{event_id}"
    assert body["event"] == f"kaltura.event.{action}"
    assert set(body["payload"]) <= {"event_id", "name", "start", "end", "timezone", "labels", "series_key"}
    assert not any("@" in label for label in body["payload"]["labels"])
    assert all(r["prefect.resource.role"] in ("series", "events-file") for r in body["related"])
    PrefectEvent.model_validate(body)
