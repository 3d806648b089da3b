"""What a series run decides about events it might delete: duplicates of an occurrence, and prunes.

Between the diff and apply: read who is on each such event (only when the
diff found any), then decide with :mod:`kaltura_events.planning.duplicates`.
The plan shows the decisions; apply deletes only what they allow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.occupancy import events_planned_people, read_occupancy
from kaltura_events.api.models import Event
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.audience import ResolvedAudience
from kaltura_events.planning.duplicates import (
    HOW_TO_DELETE,
    Occupancy,
    Repair,
    decide,
    split_prune,
)
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_diff import SeriesDiff


@dataclass
class Triage:
    """Each duplicate's repair; the prunes a run may make, and those only a person may."""

    repairs: list[Repair] = field(default_factory=list)
    prune: list[Event] = field(default_factory=list)
    held: list[Event] = field(default_factory=list)
    occupancy: dict[int, Occupancy] = field(default_factory=dict)


def triage(
    credentials: KalturaCredentials | None,
    series: AllHandsSeries,
    changes: SeriesDiff,
    audience: ResolvedAudience | None,
) -> Triage:
    """Reads people only for duplicates and prunes; a converged series costs nothing here.

    A duplicate's events are measured against its occurrence's own plan; a
    prune's (an occurrence no longer planned) against the series' audience
    and every session's speakers.
    """
    planned: dict[int, frozenset[str]] = {}
    for duplicate in changes.duplicates:
        item = duplicate.item
        sessions = [("", s.speakers) for s in item.sessions]
        planned.update(events_planned_people(duplicate.events, item.audience, sessions))
    series_sessions = [("", tuple(s.speakers)) for s in series.sessions]
    planned.update(events_planned_people(changes.prune, audience, series_sessions))
    occupancy = read_occupancy(credentials, planned)
    free, held = split_prune(changes.prune, occupancy)
    return Triage(
        repairs=[decide(d, occupancy) for d in changes.duplicates],
        prune=free,
        held=held,
        occupancy=occupancy,
    )


def people_on(repair: Repair) -> str:
    """The people column of a duplicate row: each id and who is on it."""
    return "; ".join(f"{e.id}: {repair.occupancy[e.id].describe()}" for e in (repair.keep, *repair.others))


def duplicate_action(repair: Repair, *, dry_run: bool) -> str:
    """The action names every id itself: a reviewer reads it first, before the note that says why."""
    others = ", ".join(str(e.id) for e in repair.others)
    if repair.refused:
        left = ", ".join(str(e.id) for e in (repair.keep, *repair.others))
        return f"duplicate: {left} {'would be ' if dry_run else ''}left, people on more than one"
    if dry_run:
        return f"duplicate: would keep {repair.keep.id}, delete {others}"
    return f"duplicate: kept {repair.keep.id}, deleted {others}"


def refusal(repair: Repair) -> str:
    """The failure an apply reports for a duplicate it will not mend: which ids, who is on each."""
    ids = ", ".join(str(e.id) for e in (repair.keep, *repair.others))
    return f"events {ids} all claim this occurrence; {repair.note()}"


def held_prune(event: Event, occupancy: Occupancy) -> str:
    """The failure an apply reports for a prune it refuses."""
    return (
        f"not pruned: {occupancy.describe()} on event {event.id}, which the plan no longer holds; "
        f"only a person deletes what people registered to: delete it {HOW_TO_DELETE}"
    )
