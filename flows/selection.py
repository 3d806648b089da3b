"""Turning an ``EventSelector`` into events: teardown and the attendance report share it."""

from __future__ import annotations

from kaltura_events.api.events import EventFilter
from kaltura_events.api.models import Event
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.labels import SERIES_LABEL_PREFIX
from kaltura_events.planning.selection import EventSelector, ended_before_bound
from tasks.events import list_events


def select_events(
    credentials: KalturaCredentials | None, selector: EventSelector
) -> tuple[list[int], list[Event]]:
    """Explicit ids are taken as given (some may be gone already); the other kinds are looked up."""
    kind = selector.kind
    if kind == "event_ids":
        assert selector.event_ids is not None
        return sorted(set(selector.event_ids)), []
    if kind == "series_key":
        event_filter = EventFilter(labels=(f"{SERIES_LABEL_PREFIX}{selector.series_key}",))
    elif kind == "label":
        assert selector.label is not None
        event_filter = EventFilter(labels=(selector.label,))
    else:
        assert selector.ended_before is not None
        event_filter = EventFilter(end_lte=ended_before_bound(selector.ended_before))
    events = list_events(credentials=credentials, event_filter=event_filter)
    if kind == "ended_before":
        bound = ended_before_bound(selector.ended_before)  # type: ignore[arg-type]
        events = [e for e in events if e.end_date < bound]
    return sorted(e.id for e in events), events
