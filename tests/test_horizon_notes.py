"""A series with no occurrence inside its horizon is a note, not an error; a rule that never yields one is."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.formats.events_file import EventsFileError, parse_events_file, targets
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import NothingInHorizon, plan

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)

FILE = """\
name: acme-events
series:
  - key: weekly
    name: "Weekly {date:%Y-%m-%d}"
    template_id: tm0000
    rrule: FREQ=WEEKLY;BYDAY=MO
    start_time: "10:00"
    duration_minutes: 60
  - key: midsummer
    name: "Midsummer party {date:%Y}"
    template_id: tm0000
    rrule: FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=15
    start_time: "16:00"
    duration_minutes: 120
"""


def series(**fields: object) -> AllHandsSeries:
    base: dict[str, object] = {
        "key": "s1",
        "name": "S {date:%Y-%m-%d}",
        "template_id": "tm0000",
        "timezone": "Europe/Berlin",
        "start_time": "10:00",
    }
    return AllHandsSeries.model_validate({**base, **fields})


def test_yearly_series_beyond_the_horizon_is_a_note_and_the_others_still_plan() -> None:
    weekly, midsummer = targets(parse_events_file(FILE, "f.yaml"), "f.yaml", NOW)
    assert len(weekly.planned) == 12 and weekly.note == ""
    assert midsummer.planned == ()
    assert midsummer.note == "next occurrence 2027-06-15, beyond horizon_days: 90"


def test_series_that_ended_is_a_note() -> None:
    with pytest.raises(NothingInHorizon) as caught:
        plan(series(starts_on="2026-01-05", until="2026-06-30", rrule="FREQ=WEEKLY;BYDAY=MO"), NOW)
    assert caught.value.note == "the series ended: last occurrence 2026-06-29, none from now on"


@pytest.mark.parametrize(
    "fields",
    [
        {"starts_on": "2027-01-05", "until": "2027-01-08", "rrule": "FREQ=WEEKLY;BYDAY=MO"},
        {"rrule": "FREQ=DAILY;COUNT=1", "starts_on": "2027-01-05", "skip_dates": ["2027-01-05"]},
        {"rrule": "FREQ=YEARLY;BYMONTH=1;BYYEARDAY=200"},
    ],
)
def test_rule_that_never_yields_an_occurrence_is_an_error(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidArgumentError, match="never yields an occurrence") as caught:
        plan(series(**fields), NOW)
    assert not isinstance(caught.value, NothingInHorizon)


def test_never_is_still_an_error_in_the_file() -> None:
    text = FILE.replace("BYMONTHDAY=15", "BYMONTHDAY=15\n    until: 2026-06-30")
    with pytest.raises(EventsFileError, match=r"f\.yaml:12:12: series\[1\]\.rrule: never yields"):
        targets(parse_events_file(text, "f.yaml"), "f.yaml", NOW)


@settings(max_examples=60, deadline=None)
@given(
    month=st.integers(min_value=1, max_value=12),
    day=st.integers(min_value=1, max_value=28),
    days_from=st.integers(min_value=0, max_value=365 * 3),
    horizon_days=st.integers(min_value=1, max_value=200),
)
def test_next_occurrence_is_the_first_one_past_the_horizon(
    month: int, day: int, days_from: int, horizon_days: int
) -> None:
    """Whatever the day: the plan holds the occurrence, or the note names the next one, which a longer
    horizon then plans first."""
    now = NOW + timedelta(days=days_from)
    spec = series(rrule=f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}", horizon_days=horizon_days)
    try:
        planned = plan(spec, now)
    except NothingInHorizon as nothing:
        assert nothing.next_date is not None and nothing.next_date.month == month
        assert nothing.next_date.day == day
        longer = plan(spec.model_copy(update={"horizon_days": 730}), now)
        assert longer[0].original_date == nothing.next_date
        assert longer[0].start_utc >= now + timedelta(days=horizon_days)
        return
    assert [(p.original_date.month, p.original_date.day) for p in planned] == [(month, day)]
    assert planned[0].original_date >= date(2026, 1, 1)
