"""A series as people run it: holidays and skipped dates, an extra date, one occurrence changed.

The expected calendar comes from an independent RFC 5545 engine
(icalendar + recurring-ical-events) fed the same rule as EXDATE, RDATE and
RECURRENCE-ID components, and from the ``holidays`` library; the flow's own
planner is never the oracle.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import icalendar
import pendulum
import recurring_ical_events

from flows.schedule_all_hands import schedule_all_hands
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from tests.specs import weekly_all_hands

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
ZONE = ZoneInfo("America/New_York")
WRITES = ("events/create", "events/update", "events/delete", "sessions/create", "events/duplicate")
SKIPS = ["2026-03-02", "2027-11-01"]  # one just before the March change, one on the November one
EXTRA = "2026-11-04"  # a Wednesday, three days after the November change
MOVED_DAY = ("2026-06-08", "2026-06-10")  # Monday -> Wednesday, same time
MOVED_TIME = ("2026-03-09", "14:30")  # the first Monday on daylight time
CANCELLED = "2027-03-15"


def calls(emu: EmulatorServer) -> Counter[str]:
    return Counter(
        {endpoint: sum(by_status.values()) for endpoint, by_status in emu.control.stats()["requests"].items()}
    )


def series_events(emu: EmulatorServer, key: str) -> list[dict[str, Any]]:
    return [e for e in emu.control.state()["events"] if f"kev-series:{key}" in e["labels"]]


def local(event: dict[str, Any]) -> datetime:
    start = pendulum.parse(event["startDate"])
    assert isinstance(start, pendulum.DateTime)
    return start.in_timezone("America/New_York").naive()


def occurrence_of(event: dict[str, Any]) -> str:
    [label] = [label for label in event["labels"] if label.startswith("kev-occ:")]
    return label.removeprefix("kev-occ:")


def spec_of(**changes: Any) -> Any:
    """As a run's parameters arrive: plain JSON, validated by the flow."""
    return weekly_all_hands(**changes)


def two_years(**changes: Any) -> Any:
    spec = weekly_all_hands(
        key="people-all-hands",
        horizon_days=730,
        sessions=[{"name": "Keynote", "type": "LiveWebcast", "offset_minutes": 0, "duration_minutes": 45}],
        holidays={"country": "US"},
        skip_dates=SKIPS,
        extra_dates=[EXTRA],
        overrides={
            MOVED_DAY[0]: {"date": MOVED_DAY[1]},
            MOVED_TIME[0]: {"start_time": MOVED_TIME[1]},
            CANCELLED: {"cancelled": True},
        },
    )
    spec.update(changes)
    return spec


def expected_local_starts() -> dict[str, datetime]:
    """Original date -> local start, computed by recurring-ical-events from an equivalent VEVENT."""
    us = holidays.country_holidays("US", years=[2026, 2027, 2028])
    holiday_mondays = [d for d in us if d.weekday() == 0]
    calendar = icalendar.Calendar()
    master = icalendar.Event()
    master.add("uid", "all-hands@test")
    master.add("dtstart", datetime(2026, 1, 5, 10, 0, tzinfo=ZONE))
    master.add("duration", timedelta(minutes=60))
    master.add("rrule", {"freq": "weekly", "byday": "MO"})
    exdates = [*holiday_mondays, *(date.fromisoformat(d) for d in [*SKIPS, CANCELLED])]
    for day in exdates:
        master.add("exdate", datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZONE))
    extra = date.fromisoformat(EXTRA)
    master.add("rdate", datetime(extra.year, extra.month, extra.day, 10, 0, tzinfo=ZONE))
    calendar.add_component(master)
    for original, start in (
        (MOVED_DAY[0], datetime.fromisoformat(f"{MOVED_DAY[1]}T10:00")),
        (MOVED_TIME[0], datetime.fromisoformat(f"{MOVED_TIME[0]}T{MOVED_TIME[1]}")),
    ):
        moved = icalendar.Event()
        moved.add("uid", "all-hands@test")
        moved.add("recurrence-id", datetime.fromisoformat(f"{original}T10:00").replace(tzinfo=ZONE))
        moved.add("dtstart", start.replace(tzinfo=ZONE))
        moved.add("duration", timedelta(minutes=60))
        calendar.add_component(moved)
    end = NOW + timedelta(days=730)
    found = recurring_ical_events.of(calendar).between(NOW, end)
    result: dict[str, datetime] = {}
    for component in found:
        start = component["DTSTART"].dt.astimezone(ZONE).replace(tzinfo=None)
        recurrence = component.get("RECURRENCE-ID")
        original = recurrence.dt.date() if recurrence is not None else start.date()
        result[original.isoformat()] = start
    return result


def test_two_year_series_with_exceptions_lands_exactly_and_reruns_with_list_calls_only(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    expected = expected_local_starts()
    assert len(expected) == 91, "104 Mondays - 11 Monday holidays - 2 skips - 1 cancelled + 1 extra"

    report = schedule_all_hands(two_years(), creds, now=NOW)
    assert len(report.created) == 91 and not report.failed

    events = series_events(emu, "people-all-hands")
    assert len(emu.control.state()["events"]) == len(events) == 91
    got = {occurrence_of(e): local(e) for e in events}
    assert got == expected
    assert got[MOVED_DAY[0]] == datetime(2026, 6, 10, 10, 0)
    assert got[MOVED_TIME[0]] == datetime(2026, 3, 9, 14, 30)
    assert got[EXTRA] == datetime(2026, 11, 4, 10, 0)
    assert not {"2026-01-19", "2027-07-05", CANCELLED, *SKIPS} & set(got), "holidays and skips absent"
    utc_hours = Counter(pendulum.parse(e["startDate"]).hour for e in events)  # type: ignore[union-attr]
    assert {14, 15} <= set(utc_hours), "both sides of the DST changes"
    for event in events:
        sessions = emu.control.state()["sessions"][str(event["id"])]
        assert [s["name"] for s in sessions] == ["Keynote"]
        assert sessions[0]["startDate"][:16] == pendulum.parse(event["startDate"]).format(  # type: ignore[union-attr]
            "YYYY-MM-DDTHH:mm"
        )

    emu.control.reset_stats()
    again = schedule_all_hands(two_years(), creds, now=NOW)
    assert len(again.unchanged) == 91 and not (again.created or again.updated or again.finished)
    assert calls(emu) == Counter({"events/list": 7}), "91 events are 7 pages of 15: list calls only"


def test_moving_an_occurrence_by_override_updates_the_same_event(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    spec = spec_of(key="move-me", horizon_days=28, sessions=[])
    schedule_all_hands(spec, creds, now=NOW)
    before = {occurrence_of(e): e for e in series_events(emu, "move-me")}
    assert sorted(before) == ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]

    emu.control.reset_stats()
    moved: Any = {
        **spec,
        "overrides": [
            {
                "original_date": "2026-01-12",
                "date": "2026-01-14",
                "start_time": "16:00",
                "name": "Moved {date:%d %b}",
            }
        ],
    }
    report = schedule_all_hands(moved, creds, now=NOW)
    after = {occurrence_of(e): e for e in series_events(emu, "move-me")}
    assert {k: e["id"] for k, e in after.items()} == {k: e["id"] for k, e in before.items()}
    event = after["2026-01-12"]
    assert local(event) == datetime(2026, 1, 14, 16, 0) and event["name"] == "Moved 14 Jan"
    assert [row.event_id for row in report.finished + report.updated] == [event["id"]]
    used = calls(emu)
    assert (used["events/create"], used["events/delete"]) == (0, 0)

    emu.control.reset_stats()
    schedule_all_hands(moved, creds, now=NOW)
    assert not any(calls(emu)[w] for w in WRITES), "the moved series is converged"


def test_a_newly_skipped_date_is_reported_without_prune_and_deleted_with_it(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    spec = spec_of(key="skip-me", horizon_days=28, sessions=[])
    schedule_all_hands(spec, creds, now=NOW)
    victim = next(e for e in series_events(emu, "skip-me") if occurrence_of(e) == "2026-01-19")

    kept = schedule_all_hands(
        spec_of(key="skip-me", horizon_days=28, sessions=[], skip_dates=["2026-01-19"]), creds, now=NOW
    )
    assert [row.event_id for row in kept.stale] == [victim["id"]]
    assert victim["id"] in {e["id"] for e in series_events(emu, "skip-me")}, "kept without prune"
    assert len(kept.unchanged) == 3

    pruned = schedule_all_hands(spec_of(**spec, skip_dates=["2026-01-19"], prune=True), creds, now=NOW)
    assert [row.event_id for row in pruned.pruned] == [victim["id"]]
    assert sorted(occurrence_of(e) for e in series_events(emu, "skip-me")) == [
        "2026-01-05",
        "2026-01-12",
        "2026-01-26",
    ]


def test_a_holiday_with_an_existing_event_is_pruned_like_any_unplanned_date(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    """2026-01-19 is Martin Luther King Jr. Day: turning US holidays on removes that occurrence."""
    spec = spec_of(key="holiday", horizon_days=28, sessions=[])
    schedule_all_hands(spec, creds, now=NOW)
    report = schedule_all_hands(spec_of(**spec, holidays={"country": "US"}, prune=True), creds, now=NOW)
    assert [row.local_start[:10] for row in report.pruned] == ["2026-01-19"]
    assert len(series_events(emu, "holiday")) == 3


def test_a_moved_occurrence_reports_the_sessions_the_api_cannot_move(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    keynote = {"name": "Keynote", "type": "LiveWebcast", "offset_minutes": 0, "duration_minutes": 30}
    spec = spec_of(key="move-sessions", horizon_days=14, sessions=[keynote])
    schedule_all_hands(spec, creds, now=NOW)
    [event] = [e for e in series_events(emu, "move-sessions") if occurrence_of(e) == "2026-01-12"]
    [session] = emu.control.state()["sessions"][str(event["id"])]

    moved: Any = {**spec, "overrides": [{"original_date": "2026-01-12", "start_time": "16:00"}]}
    emu.control.reset_stats()
    report = schedule_all_hands(moved, creds, now=NOW)

    assert emu.control.state()["sessions"][str(event["id"])] == [session], "no session made twice"
    assert calls(emu)["sessions/create"] == 0
    [row] = report.held
    assert row.event_id == event["id"] and not report.failed and not report.finished
    assert [c.describe() for c in row.changes] == [
        "start: 2026-01-12T10:00-05:00 -> 2026-01-12T16:00-05:00",
        "end: 2026-01-12T11:00-05:00 -> 2026-01-12T17:00-05:00",
        "doors-open: 2026-01-12T09:45-05:00 -> 2026-01-12T15:45-05:00",
        "session 'Keynote' (cannot follow a move): 2026-01-12T10:00-05:00 to 2026-01-12T10:30-05:00"
        " -> 2026-01-12T16:00-05:00 to 2026-01-12T16:30-05:00",
    ]
    assert "cannot move a session" in row.note and f"event {event['id']}" in row.note
    assert [r.note for r in report.unchanged] == [""]

    emu.control.reset_stats()
    plan = schedule_all_hands(moved, creds, dry_run=True, now=NOW)
    [held] = plan.held
    assert [c.describe() for c in held.changes] == [row.changes[-1].describe()], "only the sessions remain"
    assert not (plan.created or plan.finished or plan.updated) and len(plan.unchanged) == 1
    assert calls(emu)["sessions/list"] == 1, "sessions are read for the held event only"

    again = schedule_all_hands(moved, creds, now=NOW)
    assert [r.event_id for r in again.held] == [event["id"]]
    assert not {"events/update", "sessions/create"} & set(calls(emu)), "nothing rewritten while held"
