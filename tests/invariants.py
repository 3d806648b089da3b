"""The invariant every series run must leave behind, read from the platform's own state.

Exactly one event per planned occurrence, found by its identity (the series
label and the ``kev-occ:`` label of its original local date), never by its
name: a series may give every occurrence the same name. Each such event runs
at the planned times with the planned doors-open time and holds exactly the
planned sessions, once each (a template may add sessions of its own); no other
event of the series exists, and no unlabeled event
sits at a planned start under a planned name (a leftover never finished).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from kaltura_events.api.validation import format_iso
from kaltura_events.formats.audience_csv import resolve_audience
from kaltura_events.formats.paths import work_roots
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import PlannedEvent, plan


def iso(value: str | None) -> str | None:
    """An emulator date in the one ISO form the planner uses, for comparison."""
    if value is None:
        return None
    return format_iso(datetime.fromisoformat(value.replace("Z", "+00:00")))


def planned_occurrences(spec: dict[str, Any] | AllHandsSeries, now: datetime) -> list[PlannedEvent]:
    """The plan as the flow makes it: with the series' audience read as the flow reads it."""
    series = spec if isinstance(spec, AllHandsSeries) else AllHandsSeries.model_validate(spec)
    audience = resolve_audience(series.audience, work_roots()) if series.audience is not None else None
    return plan(series, now, audience)


def series_problems(state: dict[str, Any], spec: dict[str, Any] | AllHandsSeries, now: datetime) -> list[str]:
    """Everything that keeps the account from holding the series exactly; empty when it does."""
    series = spec if isinstance(spec, AllHandsSeries) else AllHandsSeries.model_validate(spec)
    wanted = {p.occurrence_label: p for p in planned_occurrences(series, now)}
    problems: list[str] = []
    by_identity: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in state["events"]:
        labels = event.get("labels") or []
        if series.series_label not in labels:
            if (event["name"], iso(event.get("startDate"))) in {p.leftover_key for p in wanted.values()}:
                problems.append(f"unlabeled event {event['id']} {event['name']!r} at a planned start")
            continue
        occ = [label for label in labels if label.startswith("kev-occ:")]
        if len(occ) != 1:
            problems.append(f"event {event['id']} {event['name']!r} has occurrence labels {occ}")
            continue
        by_identity[occ[0]].append(event)
    for identity, events in by_identity.items():
        if identity not in wanted:
            problems.append(f"unplanned occurrence {identity}: events {[e['id'] for e in events]}")
        elif len(events) > 1:
            problems.append(f"{len(events)} events for {identity}: {[e['id'] for e in events]}")
    missing = sorted(set(wanted) - set(by_identity))
    if missing:
        problems.append(f"{len(missing)} of {len(wanted)} occurrence(s) missing, e.g. {missing[:3]}")
    for identity, item in wanted.items():
        for event in by_identity.get(identity, [])[:1]:
            problems += _event_problems(state, event, item)
    return problems


def _event_problems(state: dict[str, Any], event: dict[str, Any], item: PlannedEvent) -> list[str]:
    where = f"event {event['id']} ({item.occurrence_label}, {event['name']!r})"
    problems: list[str] = []
    if event["name"] != item.name:
        problems.append(f"{where} is named {event['name']!r}, not {item.name!r}")
    if iso(event.get("startDate")) != item.start_iso or iso(event.get("endDate")) != item.end_iso:
        problems.append(f"{where} runs {event.get('startDate')}..{event.get('endDate')}")
    if iso(event.get("doorsOpenDate")) != item.doors_open_iso:
        problems.append(f"{where} doors open {event.get('doorsOpenDate')}, not {item.doors_open_iso}")
    if set(event.get("labels") or []) != set(item.labels):
        problems.append(f"{where} has labels {sorted(event.get('labels') or [])}, not {sorted(item.labels)}")
    named = {s.name for s in item.sessions}
    sessions = [s for s in state["sessions"].get(str(event["id"]), []) if s["name"] in named]
    got = sorted((s["name"], s["type"], iso(s.get("startDate")), iso(s.get("endDate"))) for s in sessions)
    expected = sorted((s.name, s.type, format_iso(s.start_utc), format_iso(s.end_utc)) for s in item.sessions)
    if got != expected:
        problems.append(f"{where} has sessions {got}, expected {expected}")
    return problems
