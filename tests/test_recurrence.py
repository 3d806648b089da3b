"""Recurrence: local wall-clock times survive DST, and the one DST rule holds in every zone."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pendulum
import pytest

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.planning.recurrence import Occurrence, RecurrenceError, expand, validate_rrule

UTC = timezone.utc


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def run(
    rule: str,
    zone: str,
    start: time,
    *,
    starts_on: date,
    window: tuple[datetime, datetime],
    duration: int = 60,
    until: date | None = None,
) -> list[Occurrence]:
    return expand(
        rule,
        zone,
        start,
        duration,
        starts_on=starts_on,
        window_start=window[0],
        window_end=window[1],
        until=until,
    )


# --- the all-hands case -----------------------------------------------------------------------------


def test_weekly_monday_stays_at_ten_local_across_both_new_york_changes() -> None:
    occ = run(
        "FREQ=WEEKLY;BYDAY=MO",
        "America/New_York",
        time(10, 0),
        starts_on=date(2026, 2, 1),
        window=(utc(2026, 2, 1), utc(2026, 12, 1)),
    )
    assert occ, "expected Mondays"
    assert all(o.local_start.weekday() == 0 for o in occ)
    assert all((o.local_start.hour, o.local_start.minute) == (10, 0) for o in occ)
    assert all(o.local_start.timezone_name == "America/New_York" for o in occ)
    assert all(o.start_utc.timezone_name == "UTC" for o in occ)
    assert all(o.end_utc - o.start_utc == timedelta(minutes=60) for o in occ)

    for o in occ:
        daylight = date(2026, 3, 8) < o.local_date < date(2026, 11, 1)
        assert o.start_utc.hour == (14 if daylight else 15), o
    hours = [o.start_utc.hour for o in occ]
    # Both transitions are crossed: standard -> daylight -> standard.
    assert hours[0] == 15 and hours[-1] == 15 and 14 in hours
    assert occ[0].local_date == pendulum.date(2026, 2, 2)
    assert occ[-1].local_date == pendulum.date(2026, 11, 30)
    assert [o.start_utc for o in occ if o.local_date in (date(2026, 3, 2), date(2026, 3, 9))] == [
        pendulum.datetime(2026, 3, 2, 15),
        pendulum.datetime(2026, 3, 9, 14),
    ]
    assert [o.start_utc for o in occ if o.local_date in (date(2026, 10, 26), date(2026, 11, 2))] == [
        pendulum.datetime(2026, 10, 26, 14),
        pendulum.datetime(2026, 11, 2, 15),
    ]
    # Sorted, distinct, and exactly one per week.
    starts = [o.start_utc for o in occ]
    assert starts == sorted(set(starts))
    assert len(occ) == 44


def test_january_and_july_utc_hours() -> None:
    def first(day: date) -> Occurrence:
        return run(
            "FREQ=DAILY",
            "America/New_York",
            time(10, 0),
            starts_on=day,
            window=(utc(2026, 1, 1), utc(2027, 1, 1)),
        )[0]

    assert first(date(2026, 1, 15)).start_utc == pendulum.datetime(2026, 1, 15, 15)
    assert first(date(2026, 7, 15)).start_utc == pendulum.datetime(2026, 7, 15, 14)


def test_monthly_first_tuesday() -> None:
    occ = run(
        "FREQ=MONTHLY;BYDAY=1TU",
        "America/New_York",
        time(9, 30),
        starts_on=date(2026, 1, 1),
        window=(utc(2026, 1, 1), utc(2027, 1, 1)),
    )
    assert [o.local_date for o in occ] == [
        date(2026, 1, 6),
        date(2026, 2, 3),
        date(2026, 3, 3),
        date(2026, 4, 7),
        date(2026, 5, 5),
        date(2026, 6, 2),
        date(2026, 7, 7),
        date(2026, 8, 4),
        date(2026, 9, 1),
        date(2026, 10, 6),
        date(2026, 11, 3),
        date(2026, 12, 1),
    ]
    assert all(o.local_start.weekday() == 1 and o.local_start.day <= 7 for o in occ)


def test_byday_refers_to_the_local_date_not_the_utc_date() -> None:
    # 20:00 Monday in Los Angeles is already Tuesday in UTC.
    occ = run(
        "FREQ=WEEKLY;BYDAY=MO",
        "America/Los_Angeles",
        time(20, 0),
        starts_on=date(2026, 6, 1),
        window=(utc(2026, 6, 1), utc(2026, 6, 20)),
    )
    assert [o.local_date for o in occ] == [date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15)]
    assert [o.start_utc.date() for o in occ] == [date(2026, 6, 2), date(2026, 6, 9), date(2026, 6, 16)]


# --- the DST rule -----------------------------------------------------------------------------------


def test_spring_forward_gap_moves_forward_by_the_gap() -> None:
    occ = run(
        "FREQ=DAILY",
        "America/New_York",
        time(2, 30),
        starts_on=date(2026, 3, 7),
        window=(utc(2026, 3, 7), utc(2026, 3, 10)),
    )
    by_day: dict[date, Occurrence] = {o.local_date: o for o in occ}
    assert by_day[date(2026, 3, 7)].start_utc == pendulum.datetime(2026, 3, 7, 7, 30)  # 02:30 EST
    change = by_day[date(2026, 3, 8)]
    assert (change.local_start.hour, change.local_start.minute) == (3, 30)
    assert change.local_start.utcoffset() == timedelta(hours=-4)  # EDT
    assert change.start_utc == pendulum.datetime(2026, 3, 8, 7, 30)
    assert by_day[date(2026, 3, 9)].start_utc == pendulum.datetime(2026, 3, 9, 6, 30)  # 02:30 EDT
    assert len(occ) == 3


def test_fall_back_repeat_takes_the_first_daylight_instant() -> None:
    occ = run(
        "FREQ=DAILY",
        "America/New_York",
        time(1, 30),
        starts_on=date(2026, 10, 31),
        window=(utc(2026, 10, 31), utc(2026, 11, 3)),
    )
    by_day: dict[date, Occurrence] = {o.local_date: o for o in occ}
    change = by_day[date(2026, 11, 1)]
    assert change.start_utc == pendulum.datetime(2026, 11, 1, 5, 30)
    assert change.local_start.utcoffset() == timedelta(hours=-4)  # still EDT
    assert (change.local_start.hour, change.local_start.minute) == (1, 30)
    assert by_day[date(2026, 10, 31)].start_utc == pendulum.datetime(2026, 10, 31, 5, 30)
    assert by_day[date(2026, 11, 2)].start_utc == pendulum.datetime(2026, 11, 2, 6, 30)  # EST
    assert len(occ) == 3


def test_pendulum_defaults_alone_would_pick_the_later_repeat() -> None:
    # Why recurrence.py chooses explicitly: pendulum's default fold resolves a repeated
    # time to the second (standard-time) instant, the opposite of our documented rule.
    default = pendulum.datetime(2026, 11, 1, 1, 30, tz="America/New_York")
    assert default.in_tz("UTC") == pendulum.datetime(2026, 11, 1, 6, 30)


def test_half_hour_gap_moves_by_half_an_hour() -> None:
    # Lord Howe Island springs forward 30 minutes at 02:00 local.
    occ = run(
        "FREQ=DAILY;COUNT=1",
        "Australia/Lord_Howe",
        time(2, 15),
        starts_on=date(2026, 10, 4),
        window=(utc(2026, 9, 1), utc(2026, 11, 1)),
    )
    assert len(occ) == 1
    assert (occ[0].local_start.hour, occ[0].local_start.minute) == (2, 45)
    assert occ[0].local_start.utcoffset() == timedelta(hours=11)


# --- other zones ------------------------------------------------------------------------------------


def test_europe_london_moves_between_gmt_and_bst() -> None:
    occ = run(
        "FREQ=WEEKLY;BYDAY=TH",
        "Europe/London",
        time(9, 0),
        starts_on=date(2026, 3, 1),
        window=(utc(2026, 3, 1), utc(2026, 11, 10)),
    )
    assert all(o.local_start.hour == 9 for o in occ)
    by_day: dict[date, int] = {o.local_date: o.start_utc.hour for o in occ}
    assert by_day[date(2026, 3, 26)] == 9  # GMT
    assert by_day[date(2026, 4, 2)] == 8  # BST from 29 March
    assert by_day[date(2026, 10, 22)] == 8
    assert by_day[date(2026, 10, 29)] == 9  # GMT again from 25 October


def test_asia_kolkata_has_no_dst() -> None:
    occ = run(
        "FREQ=WEEKLY;BYDAY=WE",
        "Asia/Kolkata",
        time(18, 0),
        starts_on=date(2026, 1, 1),
        window=(utc(2026, 1, 1), utc(2027, 1, 1)),
    )
    assert len(occ) == 52
    assert {(o.start_utc.hour, o.start_utc.minute) for o in occ} == {(12, 30)}
    assert all(o.local_start.utcoffset() == timedelta(hours=5, minutes=30) for o in occ)


def test_australia_sydney_southern_hemisphere() -> None:
    # Sydney is on daylight time (UTC+11) in January and standard time (UTC+10) in July;
    # it falls back on 5 April 2026 and springs forward on 4 October 2026.
    occ = run(
        "FREQ=MONTHLY;BYMONTHDAY=15",
        "Australia/Sydney",
        time(10, 0),
        starts_on=date(2026, 1, 1),
        window=(utc(2026, 1, 1), utc(2027, 1, 1)),
    )
    assert len(occ) == 12
    assert all(o.local_start.hour == 10 and o.local_start.day == 15 for o in occ)
    utc_hours = {o.local_date.month: o.start_utc.hour for o in occ}
    assert utc_hours[1] == 23 and utc_hours[3] == 23  # 10:00 AEDT is 23:00 the day before
    assert utc_hours[4] == 0 and utc_hours[7] == 0 and utc_hours[9] == 0  # AEST
    assert utc_hours[10] == 23 and utc_hours[12] == 23
    assert occ[0].start_utc == pendulum.datetime(2026, 1, 14, 23)


def test_australia_sydney_gap_and_repeat_follow_the_same_rule() -> None:
    gap = run(
        "FREQ=DAILY;COUNT=1",
        "Australia/Sydney",
        time(2, 30),
        starts_on=date(2026, 10, 4),
        window=(utc(2026, 1, 1), utc(2027, 1, 1)),
    )
    assert (gap[0].local_start.hour, gap[0].local_start.utcoffset()) == (3, timedelta(hours=11))
    repeat = run(
        "FREQ=DAILY;COUNT=1",
        "Australia/Sydney",
        time(2, 30),
        starts_on=date(2026, 4, 5),
        window=(utc(2026, 1, 1), utc(2027, 1, 1)),
    )
    assert repeat[0].local_start.utcoffset() == timedelta(hours=11)  # first: still daylight time
    assert repeat[0].start_utc == pendulum.datetime(2026, 4, 4, 15, 30)


# --- anchoring, cut-offs and windows ----------------------------------------------------------------


def test_count_is_anchored_at_starts_on() -> None:
    occ = run(
        "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
        "America/New_York",
        time(10, 0),
        starts_on=date(2026, 2, 1),  # a Sunday: not itself an occurrence
        window=(utc(2026, 2, 10), utc(2027, 1, 1)),
    )
    # The series is 2, 9 and 16 February; a window opening on the 10th sees only the last.
    assert [o.local_date for o in occ] == [date(2026, 2, 16)]


def test_interval_is_anchored_at_starts_on() -> None:
    def fortnightly(starts_on: date) -> list[date]:
        occ = run(
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
            "America/New_York",
            time(10, 0),
            starts_on=starts_on,
            window=(utc(2026, 6, 1), utc(2026, 7, 1)),
        )
        return [o.local_date for o in occ]

    assert fortnightly(date(2026, 1, 5)) == [date(2026, 6, 8), date(2026, 6, 22)]
    assert fortnightly(date(2026, 1, 12)) == [date(2026, 6, 1), date(2026, 6, 15), date(2026, 6, 29)]


def test_nothing_before_starts_on() -> None:
    occ = run(
        "FREQ=DAILY",
        "Europe/London",
        time(12, 0),
        starts_on=date(2026, 5, 10),
        window=(utc(2026, 5, 1), utc(2026, 5, 12)),
    )
    assert [o.local_date for o in occ] == [date(2026, 5, 10), date(2026, 5, 11)]


def test_until_is_an_inclusive_local_date() -> None:
    occ = run(
        "FREQ=DAILY",
        "America/New_York",
        time(23, 0),  # 23:00 local is already the next day in UTC
        starts_on=date(2026, 5, 1),
        window=(utc(2026, 5, 1), utc(2026, 6, 1)),
        until=date(2026, 5, 3),
    )
    assert [o.local_date for o in occ] == [date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)]
    assert occ[-1].start_utc == pendulum.datetime(2026, 5, 4, 3)


def test_until_before_starts_on_gives_nothing() -> None:
    occ = run(
        "FREQ=DAILY",
        "America/New_York",
        time(10, 0),
        starts_on=date(2026, 5, 10),
        window=(utc(2026, 1, 1), utc(2027, 1, 1)),
        until=date(2026, 5, 9),
    )
    assert occ == []


@pytest.mark.parametrize(
    ("until_part", "last"),
    [
        ("UNTIL=20260503", date(2026, 5, 3)),  # a bare date includes its day
        ("UNTIL=20260503T100000", date(2026, 5, 3)),  # floating: local wall time, inclusive
        ("UNTIL=20260503T095959", date(2026, 5, 2)),
        ("UNTIL=20260503T140000Z", date(2026, 5, 3)),  # UTC: 10:00 EDT is 14:00Z
        ("UNTIL=20260503T135959Z", date(2026, 5, 2)),
    ],
)
def test_until_inside_the_rule(until_part: str, last: date) -> None:
    occ = run(
        f"FREQ=DAILY;{until_part}",
        "America/New_York",
        time(10, 0),
        starts_on=date(2026, 5, 1),
        window=(utc(2026, 1, 1), utc(2027, 1, 1)),
    )
    assert occ[0].local_date == date(2026, 5, 1)
    assert occ[-1].local_date == last


def test_window_is_half_open() -> None:
    def starts(lo: datetime, hi: datetime) -> list[pendulum.DateTime]:
        occ = run("FREQ=DAILY", "America/New_York", time(10, 0), starts_on=date(2026, 1, 5), window=(lo, hi))
        return [o.start_utc for o in occ]

    at_start = utc(2026, 1, 6, 15)  # 10:00 EST on the 6th
    # The start bound is included, the end bound is not.
    assert starts(at_start, utc(2026, 1, 8, 15)) == [at_start, pendulum.datetime(2026, 1, 7, 15)]
    assert starts(at_start, at_start) == []
    tick = timedelta(microseconds=1)
    assert starts(at_start + tick, at_start + timedelta(days=1) + tick) == [pendulum.datetime(2026, 1, 7, 15)]
    # Consecutive windows never report an occurrence twice.
    edges = [utc(2026, 1, 5), utc(2026, 1, 7, 15), utc(2026, 1, 9, 15), utc(2026, 1, 12)]
    pieces = [s for lo, hi in itertools.pairwise(edges) for s in starts(lo, hi)]
    assert pieces == starts(edges[0], edges[-1])
    assert len(pieces) == len(set(pieces)) == 7


def test_window_accepts_any_aware_datetime() -> None:
    ny = pendulum.timezone("America/New_York")
    occ = run(
        "FREQ=DAILY",
        "America/New_York",
        time(10, 0),
        starts_on=date(2026, 1, 1),
        window=(
            datetime(2026, 1, 2, 10, tzinfo=ny),
            pendulum.datetime(2026, 1, 3, 10, tz="America/New_York"),
        ),
    )
    assert [o.local_date for o in occ] == [date(2026, 1, 2)]


def test_occurrence_helpers() -> None:
    occ = run(
        "FREQ=DAILY;COUNT=1",
        "Asia/Kolkata",
        time(1, 0),  # 01:00 IST is 19:30 UTC the day before
        starts_on=date(2026, 3, 1),
        window=(utc(2026, 1, 1), utc(2027, 1, 1)),
        duration=90,
    )[0]
    assert isinstance(occ.local_date, pendulum.Date)
    assert occ.local_date == date(2026, 3, 1)
    assert occ.start_utc.date() == date(2026, 2, 28)
    assert occ.end_utc == pendulum.datetime(2026, 2, 28, 21, 0)
    assert occ.doors_open_utc(15) == pendulum.datetime(2026, 2, 28, 19, 15)
    assert occ.doors_open_utc(0) == occ.start_utc
    with pytest.raises(RecurrenceError):
        occ.doors_open_utc(-5)
    with pytest.raises(AttributeError):
        occ.start_utc = occ.end_utc  # type: ignore[misc]


def test_duration_is_real_time_across_a_change() -> None:
    occ = run(
        "FREQ=DAILY;COUNT=1",
        "America/New_York",
        time(1, 0),
        starts_on=date(2026, 3, 8),
        window=(utc(2026, 1, 1), utc(2027, 1, 1)),
        duration=120,
    )[0]
    assert occ.end_utc - occ.start_utc == timedelta(hours=2)
    assert occ.end_utc.in_tz("America/New_York").hour == 4  # 01:00 EST + 2h = 04:00 EDT


# --- validate_rrule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "garbage",
        "FREQ=WEEKLY;COUNT=0",
        "FREQ=HOURLY",
        "FREQ=MINUTELY",
        "FREQ=SECONDLY",
        "BYDAY=MO",
        "DTSTART:20260101T000000\nRRULE:FREQ=DAILY",
        "",
        "FREQ=FORTNIGHTLY",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;INTERVAL=0",
        "FREQ=WEEKLY;COUNT=-1",
        "FREQ=WEEKLY;COUNT=2;UNTIL=20270101",
        "FREQ=WEEKLY;BYDAY=MO;BYDAY=TU",
        "FREQ=WEEKLY;;BYDAY=MO",
        "FREQ=WEEKLY;FOO=1",
        "FREQ=DAILY;BYHOUR=9",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MONTHLY;BYMONTHDAY=32",
        "FREQ=WEEKLY;UNTIL=2027-01-01",
        "FREQ=WEEKLY;UNTIL=20270231",
        "RRULE:FREQ=DAILY\nEXDATE:20260101T000000",
    ],
)
def test_validate_rrule_rejects(bad: str) -> None:
    with pytest.raises(RecurrenceError) as info:
        validate_rrule(bad, field="schedule.rrule")
    assert info.value.field == "schedule.rrule"
    assert info.value.value == bad
    assert str(info.value).startswith(f"schedule.rrule={bad!r}: ")


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("FREQ=WEEKLY;COUNT=0", "COUNT"),
        ("FREQ=HOURLY", "finer than a day"),
        ("BYDAY=MO", "FREQ is required"),
        ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "DTSTART"),
    ],
)
def test_validate_rrule_says_why(bad: str, words: str) -> None:
    with pytest.raises(RecurrenceError, match=words) as info:
        validate_rrule(bad)
    assert str(info.value).startswith(f"rrule={bad!r}: ")


def test_validate_rrule_garbage_message_names_field_and_value() -> None:
    with pytest.raises(RecurrenceError) as info:
        validate_rrule("garbage")
    assert "rrule='garbage'" in str(info.value)
    assert isinstance(info.value, InvalidArgumentError) and isinstance(info.value, ValueError)


def test_validate_rrule_rejects_non_strings() -> None:
    with pytest.raises(RecurrenceError):
        validate_rrule(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("RRULE:FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO"),
        ("FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO"),
        ("rrule:freq=monthly;byday=1tu", "FREQ=MONTHLY;BYDAY=1TU"),
        ("  FREQ=DAILY; INTERVAL=2 ", "FREQ=DAILY;INTERVAL=2"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"),
        ("FREQ=WEEKLY;UNTIL=20261231T235959Z", "FREQ=WEEKLY;UNTIL=20261231T235959Z"),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"),
    ],
)
def test_validate_rrule_accepts_and_normalises(given: str, normal: str) -> None:
    assert validate_rrule(given) == normal
    assert validate_rrule(normal) == normal


# --- expand's own argument checks -------------------------------------------------------------------


def test_expand_rejects_bad_arguments() -> None:
    good = {
        "rule": "FREQ=DAILY",
        "timezone": "America/New_York",
        "start_time": time(10, 0),
        "duration_minutes": 60,
        "starts_on": date(2026, 1, 1),
        "window_start": utc(2026, 1, 1),
        "window_end": utc(2026, 2, 1),
    }
    assert len(expand(**good)) == 31  # type: ignore[arg-type]
    cases = [
        ("rule", "FREQ=HOURLY", "rrule"),
        ("timezone", "Mars/Olympus", "timezone"),
        ("timezone", "EST+5", "timezone"),
        ("start_time", time(10, 0, tzinfo=UTC), "start_time"),
        ("duration_minutes", 0, "duration_minutes"),
        ("duration_minutes", True, "duration_minutes"),
        ("starts_on", datetime(2026, 1, 1, 10), "starts_on"),
        ("window_start", datetime(2026, 1, 1), "window_start"),
        ("window_end", utc(2025, 12, 1), "window_end"),
    ]
    for name, value, field in cases:
        with pytest.raises(InvalidArgumentError) as info:
            expand(**{**good, name: value})  # type: ignore[arg-type]
        assert info.value.field == field, (name, value)
    with pytest.raises(RecurrenceError) as info:
        expand(**good, until=datetime(2026, 1, 5, 0, tzinfo=UTC))  # type: ignore[arg-type]
    assert info.value.field == "until"


def test_module_does_not_import_prefect() -> None:
    # The scheduling maths must be usable (and testable) without the orchestrator.
    code = "import sys, kaltura_events.planning.recurrence; sys.exit('prefect' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], check=False)
    assert done.returncode == 0
