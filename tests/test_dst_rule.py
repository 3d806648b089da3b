"""One rule for local times that occur twice or not at all, on every path that pins a local time.

A series occurrence, a standalone event of the events file and duplicate_event's
copy all go through ``recurrence.localize``; this proves they agree, on the
days clocks change in zones with 60- and 30-minute changes, north and south.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.duplicate_event import DuplicateSpec
from kaltura_events.formats.events_file import parse_events_file, targets
from kaltura_events.planning.recurrence import expand, localize, occurrence_on

ZONES = ("America/New_York", "Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe", "America/Santiago")
YEARS = (2027, 2028)


@cache
def change_days() -> tuple[tuple[str, date], ...]:
    """Each (zone, local date) on which the zone's UTC offset changes."""
    found = []
    for zone in ZONES:
        tz = ZoneInfo(zone)
        day = date(YEARS[0], 1, 1)
        while day.year <= YEARS[-1]:
            morning = datetime.combine(day, time(0), tz).utcoffset()
            night = datetime.combine(day + timedelta(days=1), time(0), tz).utcoffset()
            if morning != night:
                found.append((zone, day))
            day += timedelta(days=1)
    return tuple(found)


def _file(zone: str, local: datetime) -> str:
    return (
        "name: dst\nevents:\n  - key: one-event\n    name: One\n    template_id: tm0000\n"
        f"    timezone: {zone}\n    start: '{local.isoformat(timespec='minutes')}'\n"
        "    duration_minutes: 30\n"
    )


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(change_days()), st.integers(min_value=0, max_value=24 * 4 - 1))
def test_every_path_pins_a_local_time_to_the_same_instant(change: tuple[str, date], quarter: int) -> None:
    zone, day = change
    wall = time(quarter // 4, 15 * (quarter % 4))
    local = datetime.combine(day, wall)
    now = datetime.combine(day - timedelta(days=3), time(12), timezone.utc)

    pinned = localize(local, zone).in_timezone("UTC")
    occurrence = occurrence_on(day, wall, 30, zone).start_utc
    [weekly] = expand(
        "FREQ=WEEKLY",
        zone,
        wall,
        30,
        starts_on=day,
        window_start=now,
        window_end=now + timedelta(days=5),
    )
    [event] = targets(parse_events_file(_file(zone, local), "f.yaml"), "f.yaml", now)
    copy = DuplicateSpec.model_validate(
        {"source_event_id": 1, "name": "Copy", "start": local.isoformat(), "timezone": zone}
    )
    starts = {pinned, occurrence, weekly.start_utc, event.planned[0].start_utc, copy.start_utc()}
    assert len(starts) == 1, (zone, local, starts)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(change_days()), st.integers(min_value=0, max_value=24 * 4 - 1))
def test_the_rule_first_of_a_repeated_time_and_later_for_a_skipped_one(
    change: tuple[str, date], quarter: int
) -> None:
    """A repeated wall time is its earlier instant; a skipped one moves forward by the gap."""
    zone, day = change
    tz = ZoneInfo(zone)
    local = datetime.combine(day, time(quarter // 4, 15 * (quarter % 4)))
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    pinned = localize(local, zone)
    as_utc = pinned.in_timezone("UTC")
    if first.utcoffset() == second.utcoffset():
        assert as_utc == first.astimezone(timezone.utc)
    elif first.utcoffset() > second.utcoffset():  # type: ignore[operator]
        assert as_utc == first.astimezone(timezone.utc), "the first of the two instants"
    else:  # a gap: the wall time never shows; moved forward by the gap's length
        gap = second.utcoffset() - first.utcoffset()  # type: ignore[operator]
        assert pinned.naive() == local + gap
