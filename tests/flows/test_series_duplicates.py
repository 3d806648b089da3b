"""Two events for one occurrence, made by hand as overlapping runs once made them, against the emulator.

The plan names both; apply keeps the event people used (else the older) and
deletes the other with its categories only when nobody beyond the plan is on
it; otherwise it leaves both and fails, saying who is where. A prune never
deletes an event people registered to. Checked against the platform's own
state, and a second run after a repair is clean.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.schedule_all_hands import SeriesIncomplete, SeriesReport, schedule_all_hands
from flows.sync_events_file import FileReport, sync_events_file
from kaltura_events.api.events import EventFilter, EventsClient
from kaltura_events.api.models import Event
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from tests.invariants import series_problems

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
WRITES = ("events/create", "events/update", "events/delete", "sessions/create", "event-users/invite")
PLANNED_PERSON = "ana@example.com"
GUEST = "guest@example.org"


def spec(**changes: Any) -> Any:
    """Three Monday occurrences in Berlin, one session, one invitee; as a deployment sends it (a dict)."""
    return {
        "key": "dups",
        "name": "Weekly Sync {date:%d %B}",
        "template_id": "tm0000",
        "timezone": "Europe/Berlin",
        "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "start_time": "10:00",
        "duration_minutes": 30,
        "horizon_days": 20,
        "sessions": [{"name": "Update", "type": "LiveWebcast", "duration_minutes": 30}],
        "audience": {"people": [{"email": PLANNED_PERSON, "first_name": "Ana", "last_name": "Lee"}]},
        **changes,
    }


def client(creds: KalturaCredentials) -> EventsClient:
    return creds.get_events_client()


def events(creds: KalturaCredentials) -> list[Event]:
    """The series' events as the platform holds them, oldest first."""
    return sorted(client(creds).iter_events(EventFilter(labels=("kev-series:dups",))), key=lambda e: e.id)


def twin(creds: KalturaCredentials, original: Event) -> Event:
    """A second event for ``original``'s occurrence, as an overlapping run made it: name, start, labels."""
    api = client(creds)
    made = api.create_event(
        name=original.name,
        template_id="tm0000",
        start=original.start_date,
        end=original.end_date,
        timezone=original.timezone,
    )
    api.invite_event_user(made.id, first_name="Ana", last_name="Lee", email=PLANNED_PERSON)
    return api.update_event(made.id, labels=list(original.labels))


def invite_guest(creds: KalturaCredentials, event_id: int) -> None:
    """Someone the plan does not invite: what a person did, which no run may lose."""
    client(creds).invite_event_user(event_id, first_name="Gus", last_name="Tee", email=GUEST)


def emails_on(emu: EmulatorServer, event_id: int) -> set[str]:
    return {u["email"].lower() for u in emu.control.state()["eventUsers"].get(str(event_id), [])}


def categories_of(emu: EmulatorServer, event_id: int) -> list[str]:
    return [
        c["fullName"]
        for c in emu.control.state()["categories"]
        if c["fullName"].startswith(f"{event_id}EP") or c["fullName"].endswith(f"_{event_id}")
    ]


def writes(emu: EmulatorServer) -> int:
    requests = emu.control.stats()["requests"]
    return sum(sum(requests.get(w, {}).values()) for w in WRITES)


def assert_clean(report: SeriesReport) -> None:
    assert len(report.unchanged) == 3, report.rows()
    assert not (report.duplicates or report.created or report.finished or report.updated)
    assert not (report.pruned or report.stale or report.failed)


def test_plan_names_both_and_apply_deletes_the_empty_extra_keeping_the_older(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    schedule_all_hands(spec(), creds, now=NOW)
    original = events(creds)[0]
    extra = twin(creds, original)
    assert categories_of(emu, extra.id), "the platform made categories for the extra event"
    emu.control.reset_stats()

    plan = schedule_all_hands(spec(), creds, now=NOW, dry_run=True)
    assert writes(emu) == 0
    [row] = plan.duplicates
    assert row.action.startswith("duplicate") and row.event_id == original.id
    assert f"keep {original.id}" in row.action and f"delete {extra.id}" in row.action
    assert f"{original.id}: nobody beyond the plan" in row.people
    assert f"{extra.id}: nobody beyond the plan" in row.people
    assert not plan.stale and not plan.pruned, "a duplicate is not an occurrence the plan dropped"

    report = schedule_all_hands(spec(), creds, now=NOW)
    assert [e.id for e in events(creds)].count(extra.id) == 0 and original.id in [e.id for e in events(creds)]
    assert categories_of(emu, extra.id) == [], "the extra event's categories went with it"
    assert [r.action for r in report.duplicates] == [f"duplicate: kept {original.id}, deleted {extra.id}"]
    assert series_problems(emu.control.state(), spec(), NOW) == []
    assert_clean(schedule_all_hands(spec(), creds, now=NOW, dry_run=True))


def test_the_event_someone_registered_to_is_the_one_kept(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    schedule_all_hands(spec(), creds, now=NOW)
    original = events(creds)[1]
    extra = twin(creds, original)
    invite_guest(creds, extra.id)

    plan = schedule_all_hands(spec(), creds, now=NOW, dry_run=True)
    [row] = plan.duplicates
    assert f"keep {extra.id}" in row.action and f"delete {original.id}" in row.action
    assert f"{extra.id}: 1 registered beyond the plan, 0 attended" in row.people

    schedule_all_hands(spec(), creds, now=NOW)
    left = [e.id for e in events(creds)]
    assert extra.id in left and original.id not in left
    assert emails_on(emu, extra.id) == {PLANNED_PERSON, GUEST}
    assert series_problems(emu.control.state(), spec(), NOW) == [], "the kept event was finished"
    assert_clean(schedule_all_hands(spec(), creds, now=NOW, dry_run=True))


def test_people_on_both_events_leave_both_and_fail_the_run_saying_who_is_where(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    schedule_all_hands(spec(), creds, now=NOW)
    original = events(creds)[0]
    extra = twin(creds, original)
    invite_guest(creds, extra.id)
    emu.control.mark_attendance(original.id, [PLANNED_PERSON], "attended")

    plan = schedule_all_hands(spec(), creds, now=NOW, dry_run=True)
    [row] = plan.duplicates
    assert row.action == f"duplicate: {original.id}, {extra.id} would be left, people on more than one"
    assert f"{original.id}: 0 registered beyond the plan, 1 attended" in row.people

    with pytest.raises(SeriesIncomplete) as refused:
        schedule_all_hands(spec(), creds, now=NOW)
    message = str(refused.value)
    assert f"events {original.id}, {extra.id} all claim this occurrence" in message
    assert "teardown_events" in message
    left = [e.id for e in events(creds)]
    assert original.id in left and extra.id in left and len(left) == 4, "nothing deleted"
    assert emails_on(emu, extra.id) == {PLANNED_PERSON, GUEST}


def test_prune_deletes_an_empty_event_and_refuses_one_people_registered_to(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    schedule_all_hands(spec(prune=True), creds, now=NOW)
    first, second, third = events(creds)
    invite_guest(creds, second.id)
    dropped = spec(prune=True, skip_dates=[d.start_date.date().isoformat() for d in (second, third)])

    plan = schedule_all_hands(dropped, creds, now=NOW, dry_run=True)
    rows = {r.event_id: r for r in plan.pruned}
    assert rows[third.id].action == "would prune" and rows[third.id].people == "nobody beyond the plan"
    assert rows[second.id].action == "would refuse to prune: people on it"
    assert rows[second.id].people == "1 registered beyond the plan, 0 attended"

    with pytest.raises(SeriesIncomplete) as refused:
        schedule_all_hands(dropped, creds, now=NOW)
    assert f"prune event {second.id}: not pruned" in str(refused.value)
    assert [e.id for e in events(creds)] == [first.id, second.id]
    assert emails_on(emu, second.id) == {PLANNED_PERSON, GUEST}


def test_the_events_file_plan_shows_the_duplicate_and_counts_it_as_a_change(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    path = tmp_path / "kaltura-events.yaml"
    path.write_text(yaml.safe_dump({"name": "dups-file", "series": [spec()]}))
    applied = sync_events_file(str(path), creds, dry_run=False, now=NOW)
    assert isinstance(applied, FileReport) and not applied.failed
    original = events(creds)[2]
    extra = twin(creds, original)

    plan = sync_events_file(str(path), creds, dry_run=True, now=NOW)
    assert isinstance(plan, FileReport)
    [row] = [r for r in plan.rows() if r["action"].startswith("duplicate")]
    assert f"keep {original.id}" in row["action"] and f"delete {extra.id}" in row["action"]
    assert plan.changes() == 1, "plan exits 2 on a duplicate, never 0"
    assert f"| {row['action']} |" in plan.markdown()
    assert "claimed by more than one event" in plan.summary()
