"""Duplicates and prunes on generated observations: one event stays per occurrence, nobody's event is deleted.

Each planned occurrence is drawn absent, held by one event (labelled, moved,
or an unlabelled leftover), or claimed by two or three (labelled twins, a
leftover beside a labelled one, an old version's event with only the series
label); events of occurrences the plan no longer holds are added, and every
event gets people beyond the plan, attendance, both or neither. After the
diff and the repair decision: every occurrence has exactly one event to keep
(or is created), the keep rule holds, and no event anyone is on is deleted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from kaltura_events.api.models import Event
from kaltura_events.planning.duplicates import Occupancy, decide, split_prune
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_diff import diff
from kaltura_events.planning.series_plan import PlannedEvent, plan
from tests.properties.series_strategies import observed_event, series_specs

SINGLE = ("labelled", "moved", "leftover")
CLAIMANT = ("labelled", "moved", "leftover", "series only")
OCCUPANCY = st.sampled_from(
    (Occupancy(), Occupancy(), Occupancy(registered=3), Occupancy(attended=1), Occupancy(2, 2))
)


def _claimant(event_id: int, item: PlannedEvent, series: AllHandsSeries, kind: str) -> Event:
    """An event that claims ``item``: by its labels (maybe moved since), or by its exact name and start."""
    shift = timedelta(hours=2) if kind == "moved" else timedelta()
    labels = {
        "labelled": list(item.labels),
        "moved": list(item.labels),
        "leftover": [],
        "series only": [series.series_label],
    }[kind]
    return observed_event(event_id, item, labels=labels, shift=shift)


def _unplanned(event_id: int, series: AllHandsSeries, now: datetime, day: int) -> Event:
    """A future event of the series for an occurrence the plan does not hold."""
    start = now + timedelta(days=day, hours=1)
    return Event(
        id=event_id,
        name=f"Gone {day}",
        start_date=start,
        end_date=start + timedelta(minutes=30),
        labels=[series.series_label, f"kev-occ:1999-01-{day:02d}"],
    )


@settings(max_examples=200)
@given(case=series_specs(), prune=st.booleans(), data=st.data())
def test_each_occurrence_keeps_one_event_and_no_event_with_people_is_deleted(
    case: tuple[dict[str, Any], datetime], prune: bool, data: st.DataObject
) -> None:
    spec, now = case
    series = AllHandsSeries.model_validate({**spec, "prune": prune})
    planned = plan(series, now)
    ids = iter(data.draw(st.permutations(range(1, 200))))
    observed: list[Event] = []
    claimants: dict[str, set[int]] = {}
    for item in planned:
        fate = data.draw(st.sampled_from(("absent", "one", "two", "three")))
        if fate == "absent":
            continue
        if fate == "one":
            kinds = [data.draw(st.sampled_from(SINGLE))]
        else:
            count = 2 if fate == "two" else 3
            kinds = data.draw(st.lists(st.sampled_from(CLAIMANT), min_size=count, max_size=count))
            if all(k == "leftover" for k in kinds):
                kinds[0] = "labelled"  # two bare leftovers are never both observed: observe adopts one
        made = [_claimant(next(ids), item, series, kind) for kind in kinds]
        observed += made
        claimants[item.occurrence_label] = {e.id for e in made}
    gone = [_unplanned(next(ids), series, now, day) for day in range(1, data.draw(st.integers(0, 3)) + 1)]
    observed += gone
    occupancy = {e.id: data.draw(OCCUPANCY) for e in observed}

    changes = diff(planned, observed, series, now)
    repairs = [decide(d, occupancy) for d in changes.duplicates]
    free, held = split_prune(changes.prune, occupancy)
    for repair in repairs:
        event("duplicate refused" if repair.refused else "duplicate mended")
    if held:
        event("prune refused")

    kept: dict[str, int] = {item.occurrence_label: e.id for item, e in changes.finish + changes.update}
    kept.update({item.occurrence_label: e.id for item, e in changes.unchanged})
    kept.update({r.item.occurrence_label: r.keep.id for r in repairs})
    assert kept.keys() == claimants.keys(), "every occurrence with an event keeps exactly one"
    assert {p.occurrence_label for p in changes.create} == {p.occurrence_label for p in planned} - set(
        claimants
    ), "every other occurrence is created"
    for label, keep in kept.items():
        assert keep in claimants[label]

    deleted = [e.id for r in repairs for e in r.delete] + [e.id for e in free]
    assert len(deleted) == len(set(deleted))
    assert not set(deleted) & set(kept.values())
    assert all(occupancy[i].empty for i in deleted), "no event anyone is on is deleted"
    for repair in repairs:
        label = repair.item.occurrence_label
        assert {e.id for e in (repair.keep, *repair.others)} == claimants[label] and len(claimants[label]) > 1
        people = [occupancy[i].people for i in claimants[label]]
        assert occupancy[repair.keep.id].people == max(people)
        if occupancy[repair.keep.id].people == min(people):
            assert repair.keep.id == min(claimants[label]), "on a tie the oldest stays"
        left = claimants[label] - {e.id for e in repair.delete}
        if repair.refused:
            assert left == claimants[label], "a refused occurrence deletes nothing"
            assert any(not occupancy[e.id].empty for e in repair.others)
        else:
            assert left == {repair.keep.id}, "a mended occurrence ends with one event"

    claimed = set().union(*claimants.values()) if claimants else set()
    unplanned = {e.id for e in gone}
    assert {e.id for e in (*changes.prune, *changes.stale)} == unplanned, "prune and stale: unplanned only"
    assert not {e.id for e in (*changes.prune, *changes.stale)} & claimed
    assert {e.id for e in held} == {i for i in unplanned if prune and not occupancy[i].empty}
