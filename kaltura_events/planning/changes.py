"""What one occurrence's plan row says: each field that differs, before and after, in the series' zone.

Pure: no I/O, no Prefect. A reviewer approves a plan by reading it, so a row
must name every field apply would change and show the value it replaces:
a name edited by hand in Kaltura reads ``name: "Town Hall (moved)" -> "Town
Hall March 2027"``, not only the target. Sessions are compared only where the
flow read them (events whose times moved, or whose spec changed in nothing
visible on the event, or that an earlier run left unfinished); a converged
series costs no session reads.

The completion markers tell why an event differs: ``kev-spec:{hash}`` of the
current spec (complete: any difference is drift made by hand), of an older
spec (complete for that spec: an update), ``kev-held:{hash}`` (complete but
for sessions the API cannot move), or none (an earlier run died half-way:
unfinished).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import pendulum

from kaltura_events.api.models import Event, Session
from kaltura_events.api.validation import format_iso
from kaltura_events.planning.labels import HELD_LABEL_PREFIX, SPEC_LABEL_PREFIX
from kaltura_events.planning.series_diff import spec_marker
from kaltura_events.planning.series_plan import PlannedEvent

MARKER_PREFIXES = (SPEC_LABEL_PREFIX, HELD_LABEL_PREFIX)
SHOWN_TEXT = 60
"""Characters of a description a table cell shows; ``--json`` carries the whole value."""


@dataclass(frozen=True)
class FieldChange:
    """One field of one event: its value now and the value apply sets.

    ``converges`` is False for what the Events API cannot change (a session's
    times): the row stays in every plan until a person fixes it in Kaltura.
    """

    field: str
    before: str
    after: str
    converges: bool = True

    def describe(self) -> str:
        return f"{self.field}: {_short(self.before)} -> {_short(self.after)}"


class Standing(Enum):
    """How an observed event stands against its occurrence's spec, read from its markers."""

    COMPLETE = "complete"
    """Carries the current spec's marker."""
    OLDER_SPEC = "older spec"
    """Complete for a spec the file no longer holds: the difference is an update."""
    HELD = "held"
    """Complete for the current spec except sessions the API could not move."""
    UNFINISHED = "unfinished"
    """No marker at all: an earlier run stopped before its final update."""


def held_marker(item: PlannedEvent) -> str:
    """The label apply writes instead of the spec marker while sessions sit at their old times."""
    return HELD_LABEL_PREFIX + spec_marker(item)[len(SPEC_LABEL_PREFIX) :]


def complete_labels(item: PlannedEvent, *, held: bool) -> list[str]:
    """The labels of the final update: the spec marker, or the held one if sessions stayed behind."""
    if not held:
        return list(item.labels)
    return [held_marker(item) if label == spec_marker(item) else label for label in item.labels]


def standing(item: PlannedEvent, event: Event) -> Standing:
    labels = set(event.labels)
    if spec_marker(item) in labels:
        return Standing.COMPLETE
    if held_marker(item) in labels:
        return Standing.HELD
    if any(label.startswith(MARKER_PREFIXES) for label in labels):
        return Standing.OLDER_SPEC
    return Standing.UNFINISHED


def times_moved(item: PlannedEvent, event: Event) -> bool:
    return not (_same(event.start_date, item.start_utc) and _same(event.end_date, item.end_utc))


def needs_sessions(item: PlannedEvent, event: Event) -> bool:
    """Whether the plan must read this event's sessions to say what changes; never for a complete one.

    Sessions matter where the times moved (they cannot follow), where an
    earlier run left the event unfinished (which are missing), where apply
    held it for sessions left behind (are they fixed yet?), and where the spec
    changed in nothing the event itself shows (so the change is in its sessions).
    """
    kind = standing(item, event)
    if kind in (Standing.UNFINISHED, Standing.HELD):
        return True
    if kind is Standing.OLDER_SPEC:
        return times_moved(item, event) or not event_changes(item, event, _zone(event))
    return False


def event_changes(item: PlannedEvent, event: Event, zone: str) -> list[FieldChange]:
    """The fields of the event itself that apply would set, each with its value now."""
    found: list[FieldChange] = []
    if event.name != item.name:
        found.append(FieldChange("name", _quoted(event.name), _quoted(item.name)))
    if (event.description or "") != item.description:
        found.append(FieldChange("description", _quoted(event.description or ""), _quoted(item.description)))
    for field, now, planned in (
        ("start", event.start_date, item.start_utc),
        ("end", event.end_date, item.end_utc),
        ("doors-open", event.doors_open_date, item.doors_open_utc),
    ):
        if not _same(now, planned):
            found.append(FieldChange(field, local_time(now, zone), local_time(planned, zone)))
    have = {label for label in event.labels if not label.startswith(MARKER_PREFIXES)}
    want = {label for label in item.labels if not label.startswith(MARKER_PREFIXES)}
    if have != want:
        found.append(FieldChange("labels", _listed(sorted(have - want)), _listed(sorted(want - have))))
    return found


def session_changes(item: PlannedEvent, sessions: Iterable[Session], zone: str) -> list[FieldChange]:
    """Sessions apply adds, and sessions it cannot move (``converges`` False), each with both times.

    The Events API has no call to change or delete a session, so a moved
    occurrence keeps its sessions where they were: a person must move them in
    Kaltura. Sessions the spec does not name (a template's) are left alone,
    and fields the API did not return are not compared.
    """
    existing = list(sessions)
    names = {s.name for s in existing}
    added = [s.name for s in item.sessions if s.name not in names]
    found = [FieldChange("sessions added", "", ", ".join(added))] if added else []
    planned = {s.name: s for s in item.sessions}
    for session in existing:
        spec = planned.get(session.name)
        if spec is None:
            continue
        start = session.start_date or spec.start_utc
        end = session.end_date or spec.end_utc
        if not (_same(start, spec.start_utc) and _same(end, spec.end_utc)):
            found.append(
                FieldChange(
                    f"session {session.name!r} (cannot follow a move)",
                    local_span(start, end, zone),
                    local_span(spec.start_utc, spec.end_utc, zone),
                    converges=False,
                )
            )
        if session.type != spec.type:
            found.append(
                FieldChange(f"session {session.name!r} type", session.type, spec.type, converges=False)
            )
    return found


def occurrence_changes(
    item: PlannedEvent, event: Event, zone: str, sessions: list[Session] | None = None
) -> list[FieldChange]:
    """Every change of one occurrence: the event's fields, then its sessions where they were read."""
    found = event_changes(item, event, zone)
    if sessions is not None:
        found += session_changes(item, sessions, zone)
    return found


def blocked(changes: Iterable[FieldChange]) -> list[FieldChange]:
    """What only a person can change."""
    return [c for c in changes if not c.converges]


def describe(changes: Iterable[FieldChange]) -> str:
    return "; ".join(c.describe() for c in changes)


def local_time(moment: datetime | None, zone: str) -> str:
    """A time as the series' people read it: wall clock and offset in the series' zone."""
    if moment is None:
        return "(none)"
    return pendulum.instance(moment).in_timezone(zone).isoformat(timespec="minutes")


def local_span(start: datetime, end: datetime, zone: str) -> str:
    return f"{local_time(start, zone)} to {local_time(end, zone)}"


def _zone(event: Event) -> str:
    return event.timezone or "UTC"


def _same(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return format_iso(a) == format_iso(b)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def _listed(labels: list[str]) -> str:
    return ", ".join(labels) if labels else "(none)"


def _short(text: str) -> str:
    return text if len(text) <= SHOWN_TEXT else text[: SHOWN_TEXT - 1] + "…"
