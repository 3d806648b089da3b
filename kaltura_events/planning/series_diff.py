"""How a series' plan meets what exists: which occurrence each observed event is, and what apply must do.

Pure: no I/O, no Prefect. The flow observes, then hands the observation here and
applies what comes back, so the convergence rules can be tested alone. An event
without its labels (a run died between create and update) is found by its name
and start together and finished. Two events that claim one occurrence (runs
that overlapped, or a run of an older version) are a :class:`Duplicate`, for
:mod:`kaltura_events.planning.duplicates` to decide on: neither is converged,
and neither is taken for an occurrence the plan no longer holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from kaltura_events.api.models import Event, Session
from kaltura_events.api.validation import format_iso
from kaltura_events.planning.labels import (
    OCCURRENCE_LABEL_PREFIX,
    SPEC_LABEL_PREFIX,
    occurrence_in,
)
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import PlannedEvent, PlannedSession


@dataclass
class SeriesDiff:
    """What apply must do. ``finish`` events exist but lack the current spec's completion marker.

    That is work for apply (sessions, speakers, people, the final update),
    not what the plan row calls it: :mod:`kaltura_events.planning.changes`
    tells an update of an event complete for an older spec from one an
    earlier run left unfinished, and from one held for sessions left behind.

    ``stale`` holds future series events the plan no longer wants (their date
    was skipped, cancelled, or the rule changed) while ``prune`` is off: kept,
    and reported. With ``prune`` on they are in ``prune`` instead.
    ``duplicates`` holds the planned occurrences more than one event claims;
    they are in no other list.
    """

    create: list[PlannedEvent] = field(default_factory=list)
    finish: list[tuple[PlannedEvent, Event]] = field(default_factory=list)
    update: list[tuple[PlannedEvent, Event]] = field(default_factory=list)
    unchanged: list[tuple[PlannedEvent, Event]] = field(default_factory=list)
    prune: list[Event] = field(default_factory=list)
    stale: list[Event] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)


@dataclass(frozen=True)
class Duplicate:
    """One planned occurrence and every event that claims it, oldest (lowest id) first."""

    item: PlannedEvent
    events: tuple[Event, ...]

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(e.id for e in self.events)


def _same(a: datetime | None, b: datetime) -> bool:
    return a is not None and format_iso(a) == format_iso(b)


def times_match(planned: PlannedEvent, event: Event) -> bool:
    return _same(event.start_date, planned.start_utc) and _same(event.end_date, planned.end_utc)


def fields_match(planned: PlannedEvent, event: Event) -> bool:
    return (
        event.name == planned.name
        and times_match(planned, event)
        and _same(event.doors_open_date, planned.doors_open_utc)
        and (event.description or "") == planned.description
        and set(event.labels) == set(planned.labels)
    )


def leftover_key(event: Event) -> tuple[str, str]:
    """An observed event's name and start, as :attr:`PlannedEvent.leftover_key` gives them."""
    return (event.name, format_iso(event.start_date))


def spec_marker(item: PlannedEvent) -> str:
    """The ``kev-spec:`` label an occurrence carries once fully provisioned from this exact spec."""
    return next(label for label in item.labels if label.startswith(SPEC_LABEL_PREFIX))


def is_complete(item: PlannedEvent, event: Event) -> bool:
    """The event carries the occurrence's completion marker and every field the plan sets."""
    return spec_marker(item) in event.labels and fields_match(item, event)


def event_occurrence_label(event: Event) -> str | None:
    return next((label for label in event.labels if label.startswith(OCCURRENCE_LABEL_PREFIX)), None)


def occurrence_of(event: Event) -> str | None:
    """The original local date an event's ``kev-occ:`` label names, as the report shows it."""
    return occurrence_in(event.labels)


def diff(
    planned: list[PlannedEvent],
    observed: list[Event],
    series: AllHandsSeries,
    now: datetime,
    *,
    verify: bool = False,
) -> SeriesDiff:
    """Match each planned occurrence to an observed event; classify the rest.

    By its occurrence label first, whatever its name or start now are, so a
    moved occurrence is the same event. Events without such a label (left by
    a run that died before its final update) are matched by name and start
    together, never by name alone: a series may give every occurrence the
    same name. An event labelled for an occurrence the plan no longer holds is
    never adopted by another: it is pruned, or kept and reported as stale.
    Where several events claim one occurrence (by its label, or an unlabelled
    one by its name and start), the occurrence is a duplicate: none of them is
    pruned or converged here, since which one to keep depends on who
    registered to each. ``verify`` sends every matched event to ``finish``, so its sessions and
    people are read again even where its completion marker says it converged.
    """
    result = SeriesDiff()
    wanted = {item.occurrence_label for item in planned}
    by_leftover_key = {item.leftover_key: item.occurrence_label for item in planned}
    claims: dict[str, list[Event]] = {label: [] for label in wanted}
    for event in sorted(observed, key=lambda e: e.id):
        label = event_occurrence_label(event)
        if label is None:
            label = by_leftover_key.get(leftover_key(event))
        elif series.series_label not in event.labels:
            continue
        if label in claims:
            claims[label].append(event)
    claimed = {event.id for events in claims.values() for event in events}
    for item in planned:
        found = claims[item.occurrence_label]
        if not found:
            result.create.append(item)
            continue
        if len(found) > 1:
            result.duplicates.append(Duplicate(item, tuple(found)))
            continue
        [event] = found
        if verify or spec_marker(item) not in event.labels:
            result.finish.append((item, event))
        elif not fields_match(item, event):
            result.update.append((item, event))
        else:
            result.unchanged.append((item, event))
    leftovers = [
        e
        for e in observed
        if e.id not in claimed
        and series.series_label in e.labels
        and e.start_date.astimezone(timezone.utc) > now
    ]
    if series.prune:
        result.prune = leftovers
    else:
        result.stale = leftovers
    return result


def missing_sessions(item: PlannedEvent, existing: list[Session]) -> list[PlannedSession]:
    """Sessions of the spec not yet on the event, matched by name (template sessions are left alone)."""
    names = {s.name for s in existing}
    return [s for s in item.sessions if s.name not in names]
