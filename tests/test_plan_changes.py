"""The plan row's field changes, pure: how an observed event stands against its occurrence's spec.

Generated series (tests/properties/series_strategies.py) give the planned
occurrences; the observed events are built from them, so each case knows
exactly which fields it changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kaltura_events.api.models import Event, Session
from kaltura_events.planning.changes import (
    Standing,
    held_marker,
    needs_sessions,
    occurrence_changes,
    session_changes,
    standing,
)
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import PlannedEvent, plan
from tests.properties.series_strategies import series_specs

OLD_MARKER = "kev-spec:0000000000"


def observed(item: PlannedEvent, zone: str, **changes: Any) -> Event:
    """The event as a complete apply of ``item`` leaves it, then ``changes``."""
    fields: dict[str, Any] = {
        "id": 7,
        "name": item.name,
        "description": item.description,
        "start_date": item.start_utc,
        "end_date": item.end_utc,
        "doors_open_date": item.doors_open_utc,
        "timezone": zone,
        "labels": list(item.labels),
    }
    return Event.model_validate({**fields, **changes})


def occurrences(case: tuple[dict[str, Any], datetime]) -> tuple[list[PlannedEvent], str]:
    spec, now = case
    return plan(AllHandsSeries.model_validate(spec), now), spec["timezone"]


def without_marker(item: PlannedEvent) -> list[str]:
    return [label for label in item.labels if not label.startswith("kev-spec:")]


@settings(max_examples=30, deadline=None)
@given(case=series_specs(), hours=st.integers(min_value=1, max_value=5))
def test_a_complete_event_needs_no_read_and_a_moved_one_names_its_times(
    case: tuple[dict[str, Any], datetime], hours: int
) -> None:
    items, zone = occurrences(case)
    for item in items:
        same = observed(item, zone)
        assert standing(item, same) is Standing.COMPLETE
        assert not needs_sessions(item, same) and occurrence_changes(item, same, zone) == []

        shift = timedelta(hours=hours)
        moved = observed(
            item,
            zone,
            start_date=item.start_utc - shift,
            end_date=item.end_utc - shift,
            doors_open_date=item.doors_open_utc - shift,
            labels=[*without_marker(item), OLD_MARKER],
        )
        assert standing(item, moved) is Standing.OLDER_SPEC and needs_sessions(item, moved)
        changes = occurrence_changes(item, moved, zone)
        assert [c.field for c in changes] == ["start", "end", "doors-open"]
        assert all(c.converges and c.before != c.after for c in changes)


@settings(max_examples=30, deadline=None)
@given(case=series_specs())
def test_only_an_event_without_any_marker_is_unfinished(case: tuple[dict[str, Any], datetime]) -> None:
    items, zone = occurrences(case)
    for item in items:
        renamed = observed(item, zone, name="Renamed by hand", labels=[*without_marker(item), OLD_MARKER])
        assert standing(item, renamed) is Standing.OLDER_SPEC
        assert not needs_sessions(item, renamed), "the name explains the change: no session read"
        [change] = occurrence_changes(item, renamed, zone)
        assert (change.field, change.before, change.after) == ("name", '"Renamed by hand"', f'"{item.name}"')

        bare = observed(item, zone, labels=[])
        assert standing(item, bare) is Standing.UNFINISHED and needs_sessions(item, bare)
        [labels] = occurrence_changes(item, bare, zone)
        assert labels.field == "labels" and labels.before == "(none)"

        held = observed(item, zone, labels=[*without_marker(item), held_marker(item)])
        assert standing(item, held) is Standing.HELD and needs_sessions(item, held)
        assert occurrence_changes(item, held, zone) == [], "the held marker is no label change"


def test_sessions_left_behind_cannot_converge_and_missing_ones_are_added() -> None:
    spec = {
        "key": "pure",
        "name": "Weekly Sync",
        "template_id": "tm0000",
        "timezone": "Europe/Paris",
        "rrule": "FREQ=WEEKLY",
        "start_time": "11:00",
        "horizon_days": 7,
        "sessions": [{"name": "Keynote", "duration_minutes": 30}, {"name": "Q&A", "duration_minutes": 15}],
    }
    [item] = plan(AllHandsSeries.model_validate(spec), datetime.fromisoformat("2027-01-04T00:00:00+00:00"))
    keynote = item.sessions[0]
    hour = timedelta(hours=1)
    left = Session(
        id="1",
        name="Keynote",
        type="LiveWebcast",
        start_date=keynote.start_utc - hour,
        end_date=keynote.end_utc - hour,
    )
    added, behind = session_changes(item, [left], "Europe/Paris")
    assert (added.field, added.after, added.converges) == ("sessions added", "Q&A", True)
    assert behind.field == "session 'Keynote' (cannot follow a move)" and not behind.converges
    assert behind.before == "2027-01-04T10:00+01:00 to 2027-01-04T10:30+01:00"
    assert behind.after == "2027-01-04T11:00+01:00 to 2027-01-04T11:30+01:00"
