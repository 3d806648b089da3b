"""A report's times on the event's clock: the minute-cached text equals the plain conversion's, always.

``LocalTimes`` looks a zone's offset up once a minute and lays the text out
from the minute's; the files must read exactly as ``occurrence.local(moment)
.isoformat(timespec="milliseconds")`` writes them, across daylight-saving
changes (the minute of a change, the hour repeated), at millisecond edges,
in zones with half-hour and quarter-hour offsets or old offsets with seconds,
for times given in another offset, without one, or near the calendar's ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaltura_events.formats.local_times import LocalTimes
from kaltura_events.planning.attendance import Occurrence

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # a half-hour daylight-saving change
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30 / -02:30
    "Africa/Monrovia",  # -00:44:30 until 1972: an offset with seconds
    "Pacific/Apia",  # skipped a whole day in 2011
    "UTC",
    "No/Such_Zone",  # read as UTC
]
CHANGES = [
    datetime(2027, 3, 14, 7, tzinfo=timezone.utc),  # New York springs forward
    datetime(2027, 11, 7, 6, tzinfo=timezone.utc),  # and falls back
    datetime(2027, 3, 28, 1, tzinfo=timezone.utc),  # London
    datetime(2027, 4, 3, 15, tzinfo=timezone.utc),  # Lord Howe, 02:00 at +11:00
    datetime(1972, 1, 7, 0, 44, 30, tzinfo=timezone.utc),  # Monrovia's last change
    datetime(2011, 12, 30, 10, tzinfo=timezone.utc),  # Apia
]


@st.composite
def moments(draw: st.DrawFn) -> datetime | None:
    kind = draw(st.sampled_from(["near a change", "anywhere", "other offset", "no offset", "none", "edge"]))
    if kind == "none":
        return None
    if kind == "edge":
        return draw(st.sampled_from([datetime.min, datetime.max])).replace(tzinfo=timezone.utc)
    if kind == "anywhere":
        return draw(st.datetimes(timezones=st.just(timezone.utc)))
    base = draw(st.sampled_from(CHANGES))
    moment = base + timedelta(
        minutes=draw(st.integers(-90, 90)),
        seconds=draw(st.sampled_from([0, 1, 29, 30, 59])),
        microseconds=draw(st.sampled_from([0, 999, 1000, 499_999, 999_000, 999_999])),
    )
    if kind == "other offset":
        return moment.astimezone(timezone(timedelta(minutes=draw(st.integers(-14 * 60, 14 * 60)))))
    if kind == "no offset":
        return moment.replace(tzinfo=None)
    return moment


def _plain(occurrence: Occurrence, moment: datetime | None) -> str:
    return "" if moment is None else occurrence.local(moment).isoformat(timespec="milliseconds")


@settings(max_examples=300)
@given(zone=st.sampled_from(ZONES), many=st.lists(moments(), min_size=1, max_size=20))
def test_the_cached_text_is_the_plain_conversions(zone: str, many: list[datetime | None]) -> None:
    occurrence = Occurrence(1, "All-Hands", None, "2027-03-04", zone)
    clock = LocalTimes(occurrence)  # one clock for all: a cached minute must hold for every later time
    for moment in many:
        try:
            expected = _plain(occurrence, moment)
        except OverflowError:
            with pytest.raises(OverflowError):  # beyond the calendar on this clock, either way
                clock.text(moment)
            continue
        assert clock.text(moment) == expected, moment
