"""The series model, its plan and its diff: pure, so every convergence rule is checked alone."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from kaltura_events.models import Event
from kaltura_events.series import SPEC_LABEL_PREFIX, AllHandsSeries, diff, missing_sessions, plan
from tests.specs import weekly_all_hands

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def series(**overrides: Any) -> AllHandsSeries:
    return AllHandsSeries.model_validate(weekly_all_hands(**overrides))


def as_event(item: Any, event_id: int, labels: list[str] | None = None) -> Event:
    return Event(
        id=event_id,
        name=item.name,
        start_date=item.start_utc,
        end_date=item.end_utc,
        timezone="America/New_York",
        doors_open_date=item.doors_open_utc,
        labels=list(item.labels) if labels is None else labels,
    )


def test_a_year_of_mondays_is_52_occurrences_at_10_local() -> None:
    planned = plan(series(), NOW)
    assert len(planned) == 52
    assert {p.local_start.hour for p in planned} == {10}
    assert {p.start_utc.hour for p in planned} == {14, 15}
    first = planned[0]
    assert first.name == "Company All-Hands 2026-01-05"
    assert first.start_iso == "2026-01-05T15:00:00.000Z"
    assert first.doors_open_iso == "2026-01-05T14:45:00.000Z"
    assert [s.name for s in first.sessions] == ["Keynote", "Q&A"]
    assert "kev-series:all-hands" in first.labels
    assert any(label.startswith(SPEC_LABEL_PREFIX) for label in first.labels)


def test_converged_series_diffs_to_nothing() -> None:
    planned = plan(series(), NOW)
    observed = [as_event(p, i + 1) for i, p in enumerate(planned)]
    changes = diff(planned, observed, series(), NOW)
    assert (len(changes.create), len(changes.finish), len(changes.update), len(changes.unchanged)) == (
        0,
        0,
        0,
        52,
    )


def test_unlabeled_leftover_is_finished_not_recreated() -> None:
    planned = plan(series(), NOW)
    observed = [as_event(planned[0], 1, labels=[])]
    changes = diff(planned, observed, series(), NOW)
    assert len(changes.finish) == 1 and changes.finish[0][1].id == 1
    assert len(changes.create) == 51


def test_drifted_name_is_updated() -> None:
    planned = plan(series(), NOW)
    drifted = as_event(planned[0], 1).model_copy(update={"description": "edited by hand"})
    changes = diff(planned, [drifted], series(), NOW)
    assert [e.id for _, e in changes.update] == [1]


def test_changed_spec_marks_events_unfinished() -> None:
    old = plan(series(), NOW)
    observed = [as_event(p, i + 1) for i, p in enumerate(old)]
    new_spec = series(sessions=[{"name": "Keynote", "type": "LiveWebcast", "duration_minutes": 45}])
    changes = diff(plan(new_spec, NOW), observed, new_spec, NOW)
    assert len(changes.finish) == 52


def test_prune_takes_only_future_series_events_the_rule_no_longer_yields() -> None:
    planned = plan(series(), NOW)
    observed = [as_event(p, i + 1) for i, p in enumerate(planned)]
    biweekly = series(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", prune=True, starts_on="2026-01-05")
    changes = diff(plan(biweekly, NOW), observed, biweekly, NOW)
    assert len(changes.prune) == 26
    assert len(changes.unchanged) + len(changes.update) + len(changes.finish) == 26


def test_missing_sessions_by_name() -> None:
    item = plan(series(), NOW)[0]
    from kaltura_events.models import Session

    existing = [Session(id="1_a", name="Keynote", type="LiveWebcast")]
    assert [s.name for s in missing_sessions(item, existing)] == ["Q&A"]


def test_search_fragment_is_the_longest_literal() -> None:
    assert series().search_fragment() == "Company All-Hands"
    assert series(name="{date:%Y-%m-%d}").search_fragment() is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"rrule": "garbage"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;COUNT=0"}, "rrule"),
        ({"horizon_days": 3 * 365}, "horizon_days"),
        ({"template_id": None}, "template_id"),
        ({"source_event_id": 5}, "template_id"),
        (
            {
                "sessions": [
                    {"name": "Long", "type": "LiveWebcast", "offset_minutes": 50, "duration_minutes": 30}
                ]
            },
            "sessions",
        ),
        ({"sessions": [{"name": "Rerun", "type": "SimuLive"}]}, "source_entry_id"),
        ({"sessions": [{"name": "W", "type": "Webinar"}]}, "type"),
        ({"name": "All-hands {when}"}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"key": "Bad Key!"}, "key"),
        ({"labels": ["kev-series:other"]}, "labels"),
    ],
)
def test_bad_parameters_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        series(**overrides)
    assert field in str(caught.value)


def test_rule_with_no_occurrence_in_horizon_is_refused_before_any_call() -> None:
    from kaltura_events.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="rrule"):
        plan(series(until="2025-06-01", starts_on="2025-01-01"), NOW)
