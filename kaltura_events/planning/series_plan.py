"""What a series should hold: each occurrence as it should exist, with the labels that identify it.

Pure: no I/O, no Prefect. Identity and completion live in three labels the flow
writes in one update, after the event's sessions exist:
- ``kev-series:{key}`` says the event belongs to the series;
- ``kev-occ:{original local date}`` says which occurrence it is, so a moved
  or renamed occurrence is still the same event;
- ``kev-spec:{hash}`` says it was fully provisioned from this exact spec.
An event with all three needs no ``sessions/list`` on a re-run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pendulum

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.validation import format_iso
from kaltura_events.planning.audience import ResolvedAudience
from kaltura_events.planning.labels import (
    OCCURRENCE_LABEL_PREFIX,
    SPEC_LABEL_PREFIX,
)
from kaltura_events.planning.people import email_key
from kaltura_events.planning.recurrence import Occurrence, expand, localize, occurrence_on
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_rules import (
    OccurrenceOverride,
    extra_occurrences,
    holidays_between,
    local_day_range,
    search_margin,
)
from kaltura_events.planning.speakers import SpeakerSpec


@dataclass(frozen=True)
class PlannedSession:
    name: str
    type: str
    start_utc: datetime
    end_utc: datetime
    visibility: str
    description: str
    source_entry_id: str | None
    speakers: tuple[SpeakerSpec, ...] = ()


@dataclass(frozen=True)
class PlannedEvent:
    """One occurrence as it should exist."""

    name: str
    """Display text only: nothing makes it unique, so it never identifies an occurrence."""
    local_start: datetime
    start_utc: datetime
    end_utc: datetime
    doors_open_utc: datetime
    description: str
    labels: tuple[str, ...]
    sessions: tuple[PlannedSession, ...]
    original_date: date
    """The local date the rule or extra_dates gave this occurrence, before any override moved it."""
    audience: ResolvedAudience | None = None
    """Who is invited, read from the series' audience spec before planning; None: the spec names none."""

    @property
    def occurrence_label(self) -> str:
        """``kev-occ:2027-03-14``: the event's identity, unchanged when an override moves or renames it.

        Units of work, their results and report rows are keyed by it: a series
        named without a date ("Weekly Team Sync") has one name for every
        occurrence, and keying by name once made one event where eight were planned.
        """
        return occurrence_label(self.original_date)

    @property
    def leftover_key(self) -> tuple[str, str]:
        """How an unlabeled event left by a crashed run is recognised: exact name and start, together."""
        return (self.name, self.start_iso)

    @property
    def start_iso(self) -> str:
        return format_iso(self.start_utc)

    @property
    def end_iso(self) -> str:
        return format_iso(self.end_utc)

    @property
    def doors_open_iso(self) -> str:
        return format_iso(self.doors_open_utc)


def occurrence_label(original_date: date) -> str:
    return f"{OCCURRENCE_LABEL_PREFIX}{original_date.isoformat()}"


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def horizon(series: AllHandsSeries, now: datetime) -> Window:
    """Plain UTC datetimes: a pendulum DateTime holding ``timezone.utc`` loses its zone in arithmetic."""
    start = datetime.fromtimestamp(now.timestamp(), tz=timezone.utc)
    return Window(start, start + timedelta(days=series.horizon_days))


def _speaker_key(speaker: SpeakerSpec) -> tuple[str, str, str, str, int]:
    return (email_key(speaker.email), speaker.first_name, speaker.last_name, speaker.role, speaker.order)


def spec_hash(series: AllHandsSeries, occurrence: PlannedEvent) -> str:
    """A short digest of everything an occurrence holds, so any change to it is noticed.

    Speakers and each session's full spec are in it, so a converged series
    is recognised from its labels alone and needs no session or speaker reads.
    """
    body: dict[str, Any] = {
        "name": occurrence.name,
        "start": occurrence.start_iso,
        "end": occurrence.end_iso,
        "doors": occurrence.doors_open_iso,
        "description": occurrence.description,
        "labels": sorted(label for label in occurrence.labels if not label.startswith(SPEC_LABEL_PREFIX)),
        "sessions": [
            (
                s.name,
                s.type,
                format_iso(s.start_utc),
                format_iso(s.end_utc),
                s.visibility,
                s.description,
                s.source_entry_id,
                sorted(_speaker_key(speaker) for speaker in s.speakers),
            )
            for s in occurrence.sessions
        ],
        "source": [series.create_template_id, series.source_event_id],
    }
    if occurrence.audience is not None:
        body["audience"] = occurrence.audience.digest
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:10]


def _plain(day: date) -> date:
    """pendulum's Date compares equal to a date but hashes alike only by value; keep one type in dicts."""
    return date(day.year, day.month, day.day)


LOOKAHEAD_YEARS = (1, 2, 4, 8, 16, 32)
"""Windows searched past the horizon for the next occurrence (63 years in all, doubling, so a rule
that matches rarely, such as 29 February on a Monday, is still found, and one that never matches
costs six scans, not one per year)."""


class NothingInHorizon(InvalidArgumentError):
    """The rule yields occurrences, only none inside the horizon: a note for the series, not a mistake.

    A yearly series (or one that ended) is fine on most days of the year; failing
    it would block every other series of a file and turn CI red on a day nobody
    edited anything. ``next_date`` is the next occurrence's local date beyond the
    horizon; None when the series ended (``last_date`` is then its last one).
    """

    def __init__(self, series: AllHandsSeries, next_date: date | None, last_date: date | None) -> None:
        self.next_date = next_date
        self.last_date = last_date
        if next_date is not None:
            note = f"next occurrence {next_date.isoformat()}, beyond horizon_days: {series.horizon_days}"
        else:
            note = f"the series ended: last occurrence {last_date}, none from now on"
        self.note = note
        super().__init__("rrule", series.rrule, f"no occurrence in the horizon; {note}")


def plan(
    series: AllHandsSeries, now: datetime, audience: ResolvedAudience | None = None
) -> list[PlannedEvent]:
    """Every occurrence in the horizon, each with its full intended state, sorted by start.

    ``audience`` is the series' audience spec as read (the caller reads its
    CSV: planning does no I/O); every occurrence invites it.

    The rule's local dates, minus skip_dates and holidays, plus extra_dates,
    then each override applied to the occurrence it names. An occurrence is
    in the plan when its final start is in the horizon, so one moved in from
    just outside appears and one moved out leaves (the flow observes only the
    horizon). No occurrence in the horizon raises :class:`NothingInHorizon`
    when the series has one later (or had one before): callers that plan many
    series report it as a note. A rule that never yields an occurrence, or an
    override of a date in the horizon that is not an occurrence, is a
    parameter mistake reported before anything is written.
    """
    window = horizon(series, now)
    zone = series.timezone
    starts_on = series.starts_on or pendulum.instance(window.start).in_timezone(zone).date()
    by_date = _occurrences(series, starts_on, window)
    _check_overrides_land(series, by_date, local_day_range(window.start, window.end, zone))
    planned = [
        _planned(series, day, final, override, audience)
        for day, final, override in _final(series, by_date, window)
    ]
    if not planned:
        _nothing_in_horizon(series, starts_on, window)
    planned.sort(key=lambda p: p.start_utc)
    _check_distinct_starts(planned)
    return [
        PlannedEvent(**{**p.__dict__, "labels": (*p.labels, f"{SPEC_LABEL_PREFIX}{spec_hash(series, p)}")})
        for p in planned
    ]


def _occurrences(series: AllHandsSeries, starts_on: date, window: Window) -> dict[date, Occurrence]:
    """Occurrences by original local date near ``window``: the rule, minus skips and holidays, plus extras."""
    zone = series.timezone
    margin = search_margin(series.overrides)
    occurrences = expand(
        series.rrule,
        zone,
        series.start_time,
        series.duration_minutes,
        starts_on=starts_on,
        window_start=window.start - margin,
        window_end=window.end + margin,
        until=series.until,
    )
    first_day, last_day = local_day_range(window.start - margin, window.end + margin, zone)
    extra = set(series.extra_dates)
    skipped = set(series.skip_dates) | (set(holidays_between(series.holidays, first_day, last_day)) - extra)
    by_date: dict[date, Occurrence] = {}
    for occurrence in occurrences:
        day = _plain(occurrence.local_date)
        if day not in skipped:
            by_date.setdefault(day, occurrence)
    wanted_extra = [day for day in sorted(extra) if first_day <= day <= last_day]
    by_date.update(
        extra_occurrences(wanted_extra, series.start_time, series.duration_minutes, zone, set(by_date))
    )
    return by_date


def _final(
    series: AllHandsSeries, by_date: dict[date, Occurrence], window: Window
) -> list[tuple[date, Occurrence, OccurrenceOverride | None]]:
    """Each occurrence after its override (cancelled ones dropped) whose final start is in ``window``."""
    changed = {o.original_date: o for o in series.overrides}
    kept = []
    for day, occurrence in sorted(by_date.items()):
        override = changed.get(day)
        if override is not None and override.cancelled:
            continue
        final = _moved(series, day, occurrence, override)
        if window.start <= final.start_utc < window.end:
            kept.append((day, final, override))
    return kept


def _nothing_in_horizon(series: AllHandsSeries, starts_on: date, window: Window) -> None:
    """Raise the note (a later or an earlier occurrence exists) or the mistake (none ever does)."""
    start = window.end
    for years in LOOKAHEAD_YEARS:
        later = Window(start, start + timedelta(days=366 * years))
        found = _final(series, _occurrences(series, starts_on, later), later)
        if found:
            raise NothingInHorizon(series, _plain(found[0][1].local_date), None)
        start = later.end
    anchor = localize(datetime.combine(starts_on, time()), series.timezone)
    before = Window(datetime.fromtimestamp(anchor.timestamp(), tz=timezone.utc), window.start)
    if before.start < before.end:
        found = _final(series, _occurrences(series, starts_on, before), before)
        if found:
            raise NothingInHorizon(series, None, _plain(found[-1][1].local_date))
    raise InvalidArgumentError(
        "rrule",
        series.rrule,
        f"never yields an occurrence: none from starts_on={starts_on} to {series.until or start.date()} "
        "(after skip_dates, holidays, extra_dates and overrides)",
    )


def _check_overrides_land(
    series: AllHandsSeries, by_date: dict[date, Occurrence], days: tuple[date, date]
) -> None:
    """An override inside the horizon must name a real occurrence; outside it, it waits its turn."""
    first, last = days
    for index, override in enumerate(series.overrides):
        if first <= override.original_date <= last and override.original_date not in by_date:
            raise InvalidArgumentError(
                f"overrides[{index}].original_date",
                override.original_date.isoformat(),
                f"is not an occurrence of the series ({series.rrule} plus extra_dates, "
                "minus skip_dates and holidays)",
            )


def _check_distinct_starts(planned: list[PlannedEvent]) -> None:
    seen: dict[str, PlannedEvent] = {}
    for item in planned:
        other = seen.get(item.start_iso)
        if other is not None:
            raise InvalidArgumentError(
                "overrides",
                [str(other.original_date), str(item.original_date)],
                f"two occurrences would start at {item.local_start.isoformat()}; move one elsewhere",
            )
        seen[item.start_iso] = item


def _moved(
    series: AllHandsSeries, day: date, occurrence: Occurrence, override: OccurrenceOverride | None
) -> Occurrence:
    if override is None or not (override.date or override.start_time or override.duration_minutes):
        return occurrence
    return occurrence_on(
        override.date or day,
        override.start_time or series.start_time,
        override.duration_minutes or series.duration_minutes,
        series.timezone,
    )


def _planned(
    series: AllHandsSeries,
    original: date,
    occurrence: Occurrence,
    override: OccurrenceOverride | None,
    audience: ResolvedAudience | None,
) -> PlannedEvent:
    start = occurrence.start_utc
    sessions = tuple(
        PlannedSession(
            name=s.name,
            type=s.type,
            start_utc=start + timedelta(minutes=s.offset_minutes),
            end_utc=start + timedelta(minutes=s.offset_minutes + s.duration_minutes),
            visibility=s.visibility,
            description=s.description,
            source_entry_id=s.source_entry_id,
            speakers=tuple(s.speakers),
        )
        for s in series.sessions
    )
    pattern = override.name if override is not None and override.name is not None else series.name
    description = (
        override.description
        if override is not None and override.description is not None
        else series.description
    )
    return PlannedEvent(
        name=pattern.format(date=occurrence.local_start, key=series.key),
        local_start=occurrence.local_start,
        start_utc=start,
        end_utc=occurrence.end_utc,
        doors_open_utc=occurrence.doors_open_utc(series.doors_open_minutes),
        description=description,
        labels=(*series.labels, series.series_label, occurrence_label(original)),
        sessions=sessions,
        original_date=original,
        audience=audience,
    )
