"""An RFC 5545 calendar per series, made from the plan (not from Kaltura's state).

One VEVENT per planned occurrence; skipped occurrences are not in the plan and
so not in the feed.

* UID: ``<series key>-<original local date>@kaltura-events``, stable across
  runs. The original date is the occurrence's local date as the rule yields it.
* DTSTART/DTEND in the series' zone (TZID), with the matching VTIMEZONE.
* SEQUENCE, the rule: each VEVENT carries ``X-KEV-SPEC``, the occurrence's
  spec hash (the one its ``kev-spec:`` label holds, covering name, times,
  sessions). Writing over an existing feed keeps an occurrence's SEQUENCE
  when its hash is unchanged and raises it by one when it changed; a new
  occurrence starts at 0. The previous feed is the only state, so the result
  is deterministic given it.
* DESCRIPTION: the series description, and the Kaltura event id when known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from kaltura_events.formats.events_file import Target
from kaltura_events.planning.labels import SPEC_LABEL_PREFIX
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import PlannedEvent

PRODID = "-//kaltura-events//events as code//EN"
SPEC_PROPERTY = "X-KEV-SPEC"

EventIdLookup = Callable[[str, datetime], int | None]
"""(series key, planned UTC start) -> the Kaltura event id, when known."""


def occurrence_uid(series_key: str, occurrence: PlannedEvent) -> str:
    """By the original date, so an occurrence an override moves keeps its UID and raises its SEQUENCE."""
    day = occurrence.original_date or occurrence.local_start.date()
    return f"{series_key}-{day:%Y%m%d}@kaltura-events"


def _spec(occurrence: PlannedEvent) -> str:
    return next(
        (
            label[len(SPEC_LABEL_PREFIX) :]
            for label in occurrence.labels
            if label.startswith(SPEC_LABEL_PREFIX)
        ),
        "",
    )


def previous_sequences(ics: bytes | None) -> dict[str, tuple[int, str]]:
    """UID -> (SEQUENCE, spec hash) of a feed written before; empty when there is none."""
    if not ics:
        return {}
    found: dict[str, tuple[int, str]] = {}
    for component in Calendar.from_ical(ics).walk("VEVENT"):
        found[str(component["UID"])] = (
            int(component.get("SEQUENCE", 0)),
            str(component.get(SPEC_PROPERTY, "")),
        )
    return found


def series_calendar(
    series: AllHandsSeries,
    planned: Iterable[PlannedEvent],
    *,
    stamp: datetime,
    previous: bytes | None = None,
    event_id: EventIdLookup | None = None,
) -> bytes:
    """The series' feed; ``stamp`` is DTSTAMP (the run's moment), ``previous`` the feed it replaces."""
    zone = ZoneInfo(series.timezone)
    before = previous_sequences(previous)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", series.key)
    calendar.add("x-wr-timezone", series.timezone)
    for occurrence in planned:
        uid = occurrence_uid(series.key, occurrence)
        spec = _spec(occurrence)
        sequence, old_spec = before.get(uid, (0, spec))
        if old_spec != spec:
            sequence += 1
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", occurrence.start_utc.astimezone(zone))
        event.add("dtend", occurrence.end_utc.astimezone(zone))
        event.add("summary", occurrence.name)
        event.add("sequence", sequence)
        event.add("status", "CONFIRMED")
        known = event_id(series.key, occurrence.start_utc) if event_id else None
        text = occurrence.description
        if known is not None:
            text = f"{text}\n\nKaltura event id: {known}".strip()
        if text:
            event.add("description", text)
        event.add(SPEC_PROPERTY, spec)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def write_calendars(
    directory: Path,
    planned: Iterable[Target],
    stamp: datetime,
    event_id: EventIdLookup | None = None,
    only: str | None = None,
) -> list[Path]:
    """``<directory>/<key>.ics`` for each target (or only the one keyed ``only``), over the previous feed."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for target in planned:
        if only is not None and target.key != only:
            continue
        path = directory / f"{target.key}.ics"
        previous = path.read_bytes() if path.exists() else None
        path.write_bytes(
            series_calendar(target.series, target.planned, stamp=stamp, previous=previous, event_id=event_id)
        )
        written.append(path)
    return written
