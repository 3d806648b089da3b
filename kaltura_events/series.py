"""A recurring all-hands series: its parameter model, its plan, and the diff against what exists.

Pure: no I/O, no Prefect. The flow observes, then hands the observation here
and applies what comes back, so the convergence rules can be tested alone.

Identity and completion live in two labels the flow writes in one update,
after the event's sessions exist:
- ``kev-series:{key}`` says the event belongs to the series;
- ``kev-spec:{hash}`` says it was fully provisioned from this exact spec.
An event with both needs no ``sessions/list`` on a re-run. An event without
them (a run died between create and update) is found by name and finished.
"""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pendulum
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kaltura_events.errors import InvalidArgumentError
from kaltura_events.fields import (
    CustomTemplateId,
    EventName,
    Label,
    PresetTemplate,
    SessionType,
    Visibility,
    Zone,
)
from kaltura_events.models import Event, Session
from kaltura_events.recurrence import Occurrence, expand, validate_rrule
from kaltura_events.validation import format_iso

SERIES_LABEL_PREFIX = "kev-series:"
SPEC_LABEL_PREFIX = "kev-spec:"
MAX_HORIZON_DAYS = 730
_WALL_CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


def _wall_clock_time_schema(schema: dict[str, Any]) -> None:
    """Publish a wall-clock time as HH:MM[:SS] instead of JSON Schema's ``format: time``.

    That format requires a UTC offset, which a wall-clock time must not have, so
    the Prefect UI refused every start time (the default 10:00 included).
    Validation is pydantic's, unchanged.
    """
    schema.pop("format", None)
    schema["pattern"] = _WALL_CLOCK_TIME


class SessionSpec(BaseModel):
    """One session inside every occurrence, placed relative to the event's start."""

    model_config = ConfigDict(extra="forbid")

    name: EventName = Field(title="Session name", description="Shown on the event page.")
    type: SessionType = Field(
        default="LiveWebcast",
        title="Session type",
        description="LiveWebcast, MeetingEntry (interactive room), SimuLive, LiveKME or VirtualLearningRoom.",
    )
    offset_minutes: int = Field(
        default=0,
        ge=0,
        title="Starts after event start (min)",
        description="Minutes between the event's start and the session's.",
    )
    duration_minutes: int = Field(
        default=60,
        ge=1,
        le=1440,
        title="Duration (min)",
        description="Length of the session; it must end within the event.",
    )
    visibility: Visibility = Field(
        default="published", title="Visibility", description="Who sees the session on the event page."
    )
    description: str = Field(
        default="", max_length=4000, title="Description", description="Shown with the session."
    )
    source_entry_id: str | None = Field(
        default=None,
        title="Source entry id",
        description="The VOD entry a SimuLive session plays; required for SimuLive.",
    )

    @model_validator(mode="after")
    def _simulive_needs_source(self) -> SessionSpec:
        if self.type == "SimuLive" and not self.source_entry_id:
            raise InvalidArgumentError(
                "source_entry_id", self.source_entry_id, "a SimuLive session needs a source entry"
            )
        return self


def _check_name_pattern(pattern: str) -> str:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
        pattern.format(date=pendulum.datetime(2026, 1, 5, 10, tz="UTC"), key="k")
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise InvalidArgumentError("name", pattern, f"not a valid name pattern ({exc})") from None
    unknown = [name for name in fields if name not in ("date", "key")]
    if unknown:
        raise InvalidArgumentError(
            "name", pattern, f"unknown placeholder {{{unknown[0]}}}; use {{date}} or {{key}}"
        )
    return pattern


class AllHandsSeries(BaseModel):
    """What should be on the calendar: a rule, a zone and what each occurrence holds."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        title="Series key",
        description="Stable identity of the series; its events carry the label kev-series: plus the key.",
        pattern=r"^[a-z0-9][a-z0-9._-]{1,47}$",
        examples=["company-all-hands"],
    )
    name: EventName = Field(
        title="Event name pattern",
        description="May use the occurrence's local date, e.g. 'All-hands {date:%B %Y}'.",
        examples=["Company All-Hands {date:%Y-%m-%d}"],
    )
    template_id: PresetTemplate | None = Field(
        default=None, title="Preset template", description="tm0000 blank ... tm4000 room + webcast."
    )
    custom_template_id: CustomTemplateId | None = Field(
        default=None,
        title="Custom template id",
        description="A 24-hex custom template id instead of a preset.",
    )
    source_event_id: int | None = Field(
        default=None,
        gt=0,
        title="Source event id",
        description="Make each occurrence by duplicating this event instead of from a template.",
    )
    timezone: Zone = Field(
        default="America/New_York", title="Time zone", description="IANA zone of the series."
    )
    rrule: str = Field(
        default="FREQ=WEEKLY;BYDAY=MO",
        title="Recurrence rule",
        description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO or FREQ=MONTHLY;BYDAY=1TU.",
    )
    start_time: time = Field(
        default=time(10, 0),
        title="Local start time",
        description="Wall-clock time in the zone, e.g. 10:00.",
        json_schema_extra=_wall_clock_time_schema,
    )
    duration_minutes: int = Field(
        default=60, ge=5, le=1440, title="Duration (min)", description="Length of each occurrence."
    )
    doors_open_minutes: int = Field(
        default=15,
        ge=0,
        le=240,
        title="Doors open before start (min)",
        description="Attendees may join this long before the start.",
    )
    horizon_days: int = Field(
        default=90,
        ge=1,
        le=MAX_HORIZON_DAYS,
        title="Horizon (days)",
        description="How far ahead to keep filled.",
    )
    starts_on: date | None = Field(
        default=None,
        title="Series starts on",
        description="Anchor of the rule (matters for INTERVAL and COUNT). Empty: the horizon's first day.",
    )
    until: date | None = Field(
        default=None, title="Series ends on", description="Last local date, inclusive."
    )
    description: str = Field(
        default="", max_length=4000, title="Event description", description="Shown on each occurrence's page."
    )
    labels: list[Label] = Field(
        default_factory=list,
        max_length=20,
        title="Extra labels",
        description="Added to every occurrence; kev-series: and kev-spec: labels are reserved.",
    )
    sessions: list[SessionSpec] = Field(
        default_factory=list,
        max_length=20,
        title="Sessions",
        description="Made in every occurrence, in addition to the sessions the template adds.",
    )
    prune: bool = Field(
        default=False,
        title="Prune",
        description="Delete future series events the rule no longer yields (categories included).",
    )

    @field_validator("rrule")
    @classmethod
    def _rrule(cls, value: str) -> str:
        return validate_rrule(value, "rrule")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_name_pattern(value)

    @field_validator("start_time")
    @classmethod
    def _naive_time(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise InvalidArgumentError(
                "start_time", value.isoformat(), "a local wall-clock time has no offset"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> AllHandsSeries:
        sources = [
            n
            for n in ("template_id", "custom_template_id", "source_event_id")
            if getattr(self, n) is not None
        ]
        if len(sources) != 1:
            raise InvalidArgumentError(
                "template_id",
                {n: getattr(self, n) for n in ("template_id", "custom_template_id", "source_event_id")},
                "give exactly one of template_id, custom_template_id or source_event_id",
            )
        for index, session in enumerate(self.sessions):
            if session.offset_minutes + session.duration_minutes > self.duration_minutes:
                raise InvalidArgumentError(
                    f"sessions[{index}]",
                    session.name,
                    f"ends {session.offset_minutes + session.duration_minutes} min after start, "
                    f"outside the {self.duration_minutes}-minute event",
                )
        if len({s.name for s in self.sessions}) != len(self.sessions):
            raise InvalidArgumentError(
                "sessions", [s.name for s in self.sessions], "session names must be unique"
            )
        if self.until is not None and self.starts_on is not None and self.until < self.starts_on:
            raise InvalidArgumentError(
                "until", self.until.isoformat(), f"is before starts_on={self.starts_on}"
            )
        for label in self.labels:
            if label.startswith(("kev-series:", "kev-spec:")):
                raise InvalidArgumentError("labels", label, "kev-series: and kev-spec: labels are reserved")
        return self

    @property
    def series_label(self) -> str:
        return f"{SERIES_LABEL_PREFIX}{self.key}"

    @property
    def create_template_id(self) -> str:
        return self.custom_template_id or self.template_id or "tm0000"

    def search_fragment(self) -> str | None:
        """The longest literal piece of the name pattern: one search finds every occurrence by name."""
        pieces = [literal.strip() for literal, *_ in string.Formatter().parse(self.name) if literal.strip()]
        best = max(pieces, key=len, default="")
        return best if len(best) >= 3 else None


@dataclass(frozen=True)
class PlannedSession:
    name: str
    type: str
    start_utc: datetime
    end_utc: datetime
    visibility: str
    description: str
    source_entry_id: str | None


@dataclass(frozen=True)
class PlannedEvent:
    """One occurrence as it should exist."""

    name: str
    local_start: datetime
    start_utc: datetime
    end_utc: datetime
    doors_open_utc: datetime
    description: str
    labels: tuple[str, ...]
    sessions: tuple[PlannedSession, ...]

    @property
    def start_iso(self) -> str:
        return format_iso(self.start_utc)

    @property
    def end_iso(self) -> str:
        return format_iso(self.end_utc)

    @property
    def doors_open_iso(self) -> str:
        return format_iso(self.doors_open_utc)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def horizon(series: AllHandsSeries, now: datetime) -> Window:
    end = now + timedelta(days=series.horizon_days)
    return Window(now.astimezone(timezone.utc), end.astimezone(timezone.utc))


def spec_hash(series: AllHandsSeries, occurrence: PlannedEvent) -> str:
    """A short digest of everything the flow writes, so a changed spec is noticed."""
    body: dict[str, Any] = {
        "name": occurrence.name,
        "start": occurrence.start_iso,
        "end": occurrence.end_iso,
        "doors": occurrence.doors_open_iso,
        "description": occurrence.description,
        "labels": sorted(series.labels),
        "sessions": [
            (s.name, s.type, format_iso(s.start_utc), format_iso(s.end_utc)) for s in occurrence.sessions
        ],
        "source": [series.create_template_id, series.source_event_id],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:10]


def plan(series: AllHandsSeries, now: datetime) -> list[PlannedEvent]:
    """Every occurrence in the horizon, each with its full intended state.

    A rule that yields nothing in the horizon is a parameter mistake, reported
    before anything is written.
    """
    window = horizon(series, now)
    starts_on = series.starts_on or pendulum.instance(window.start).in_timezone(series.timezone).date()
    occurrences = expand(
        series.rrule,
        series.timezone,
        series.start_time,
        series.duration_minutes,
        starts_on=starts_on,
        window_start=window.start,
        window_end=window.end,
        until=series.until,
    )
    if not occurrences:
        raise InvalidArgumentError(
            "rrule",
            series.rrule,
            f"yields no occurrence between {format_iso(window.start)} and {format_iso(window.end)} "
            f"(horizon_days={series.horizon_days}, starts_on={starts_on}, until={series.until})",
        )
    planned = [_planned(series, occurrence) for occurrence in occurrences]
    return [
        PlannedEvent(**{**p.__dict__, "labels": (*p.labels, f"{SPEC_LABEL_PREFIX}{spec_hash(series, p)}")})
        for p in planned
    ]


def _planned(series: AllHandsSeries, occurrence: Occurrence) -> PlannedEvent:
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
        )
        for s in series.sessions
    )
    return PlannedEvent(
        name=series.name.format(date=occurrence.local_start, key=series.key),
        local_start=occurrence.local_start,
        start_utc=start,
        end_utc=occurrence.end_utc,
        doors_open_utc=occurrence.doors_open_utc(series.doors_open_minutes),
        description=series.description,
        labels=(*series.labels, series.series_label),
        sessions=sessions,
    )


@dataclass
class SeriesDiff:
    """What apply must do. ``finish`` events exist but lack sessions or the completion marker."""

    create: list[PlannedEvent] = field(default_factory=list)
    finish: list[tuple[PlannedEvent, Event]] = field(default_factory=list)
    update: list[tuple[PlannedEvent, Event]] = field(default_factory=list)
    unchanged: list[tuple[PlannedEvent, Event]] = field(default_factory=list)
    prune: list[Event] = field(default_factory=list)


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


def diff(
    planned: list[PlannedEvent], observed: list[Event], series: AllHandsSeries, now: datetime
) -> SeriesDiff:
    """Match each planned occurrence to an observed event by name, else by start; classify the rest."""
    result = SeriesDiff()
    by_name: dict[str, Event] = {}
    by_start: dict[str, Event] = {}
    for event in sorted(observed, key=lambda e: e.id):
        by_name.setdefault(event.name, event)
        by_start.setdefault(format_iso(event.start_date), event)
    claimed: set[int] = set()
    for item in planned:
        found = by_name.get(item.name) or by_start.get(item.start_iso)
        if found is None or found.id in claimed:
            result.create.append(item)
            continue
        event = found
        claimed.add(event.id)
        marker = next(label for label in item.labels if label.startswith(SPEC_LABEL_PREFIX))
        if marker not in event.labels:
            result.finish.append((item, event))
        elif not fields_match(item, event):
            result.update.append((item, event))
        else:
            result.unchanged.append((item, event))
    if series.prune:
        result.prune = [
            e
            for e in observed
            if e.id not in claimed
            and series.series_label in e.labels
            and e.start_date.astimezone(timezone.utc) > now
        ]
    return result


def missing_sessions(item: PlannedEvent, existing: list[Session]) -> list[PlannedSession]:
    """Sessions of the spec not yet on the event, matched by name (template sessions are left alone)."""
    names = {s.name for s in existing}
    return [s for s in item.sessions if s.name not in names]
