"""The diff's matching rules on generated series and generated observations (pure, many examples).

Whatever the names: an occurrence with a labeled event is matched to it; an
unlabeled event is adopted only where its exact name and start are a planned
occurrence's; an event with a planned name at another start (or a planned
start under another name) is never adopted; no event is claimed twice; every
occurrence left unmatched is created. So a converged series is all
``unchanged`` and a series with names that repeat still has one event each.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kaltura_events.api.models import Event
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_diff import diff
from kaltura_events.planning.series_plan import plan
from tests.properties.series_strategies import observed_event, series_specs


@settings(max_examples=300)
@given(case=series_specs(), data=st.data())
def test_each_occurrence_is_matched_by_identity_or_exact_leftover_else_created(
    case: tuple[dict[str, Any], datetime], data: st.DataObject
) -> None:
    spec, now = case
    series = AllHandsSeries.model_validate(spec)
    planned = plan(series, now)
    fate = data.draw(
        st.lists(
            st.sampled_from(("labeled", "leftover", "decoy", "absent")),
            min_size=len(planned),
            max_size=len(planned),
        )
    )
    observed: list[Event] = []
    expected_match: dict[str, int] = {}
    for index, (item, what) in enumerate(zip(planned, fate, strict=True)):
        event_id = index + 1
        if what == "labeled":
            observed.append(observed_event(event_id, item, labels=list(item.labels)))
            expected_match[item.occurrence_label] = event_id
        elif what == "leftover":
            observed.append(observed_event(event_id, item, labels=[]))
            expected_match[item.occurrence_label] = event_id
        elif what == "decoy":
            observed.append(observed_event(event_id, item, labels=[], shift=timedelta(minutes=7)))

    changes = diff(planned, observed, series, now)

    matched = {
        item.occurrence_label: event.id
        for item, event in (*changes.finish, *changes.update, *changes.unchanged)
    }
    assert matched == expected_match
    assert sorted(p.occurrence_label for p in changes.create) == sorted(
        p.occurrence_label for p in planned if p.occurrence_label not in expected_match
    )
    assert {e.id for _, e in changes.unchanged} == {
        expected_match[p.occurrence_label] for p, what in zip(planned, fate, strict=True) if what == "labeled"
    }
