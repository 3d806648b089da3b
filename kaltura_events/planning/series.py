"""A recurring all-hands series: its parameter model, its plan, and the diff against what exists.

Pure: no I/O, no Prefect. The flow observes, then hands the observation here
and applies what comes back, so the convergence rules can be tested alone.

Identity and completion live in three labels the flow writes in one update,
after the event's sessions exist:
- ``kev-series:{key}`` says the event belongs to the series;
- ``kev-occ:{original local date}`` says which occurrence it is, so a moved
  or renamed occurrence is still the same event;
- ``kev-spec:{hash}`` says it was fully provisioned from this exact spec.
An event with all three needs no ``sessions/list`` on a re-run. An event
without them (a run died between create and update) is found by its name
and start together and finished.

The rule's exceptions (skipped dates, holidays, extra dates, overrides) are
in :mod:`kaltura_events.planning.series_rules`; speakers in :mod:`kaltura_events.planning.speakers`.
"""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Any

import pendulum
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.fields import (
    CustomTemplateId,
    EventName,
    Label,
    PresetTemplate,
    SessionType,
    Visibility,
    Zone,
)
from kaltura_events.api.models import Event, Session
from kaltura_events.api.validation import format_iso
from kaltura_events.planning.audience import AudienceSpec, ResolvedAudience
from kaltura_events.planning.encore import EncoreSpec
from kaltura_events.planning.labels import (
    OCCURRENCE_LABEL_PREFIX,
    RESERVED_LABEL_PREFIXES,
    SERIES_LABEL_PREFIX,
    SPEC_LABEL_PREFIX,
    occurrence_in,
)
from kaltura_events.planning.people import email_key
from kaltura_events.planning.recurrence import Occurrence, expand, occurrence_on, validate_rrule
from kaltura_events.planning.series_rules import (
    MAX_EXTRA_DATES,
    MAX_OVERRIDES,
    MAX_SKIP_DATES,
    HolidayCalendar,
    OccurrenceOverride,
    check_exceptions,
    extra_occurrences,
    holidays_between,
    local_day_range,
    overrides_by_date,
    require_wall_clock,
    search_margin,
    wall_clock_schema,
)
from kaltura_events.planning.speakers import SpeakerSpec, check_speakers

MAX_HORIZON_DAYS = 730


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
    speakers: list[SpeakerSpec] = Field(
        default_factory=list,
        title="Speakers",
        description="People by email; each is invited to the event and added to this session.",
    )

    @model_validator(mode="after")
    def _simulive_needs_source(self) -> SessionSpec:
        if self.type == "SimuLive" and not self.source_entry_id:
            raise InvalidArgumentError(
                "source_entry_id", self.source_entry_id, "a SimuLive session needs a source entry"
            )
        check_speakers(self.speakers, f"sessions[{self.name}]")
        return self


def _check_name_pattern(pattern: str, field_name: str = "name") -> str:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
        pattern.format(date=pendulum.datetime(2026, 1, 5, 10, tz="UTC"), key="k")
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise InvalidArgumentError(field_name, pattern, f"not a valid name pattern ({exc})") from None
    unknown = [name for name in fields if name not in ("date", "key")]
    if unknown:
        raise InvalidArgumentError(
            field_name, pattern, f"unknown placeholder {{{unknown[0]}}}; use {{date}} or {{key}}"
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
        json_schema_extra=wall_clock_schema,
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
        description="Added to every occurrence; kev-series:, kev-spec:, kev-occ:, kev-encore: are reserved.",
    )
    sessions: list[SessionSpec] = Field(
        default_factory=list,
        max_length=20,
        title="Sessions",
        description="Made in every occurrence, in addition to the sessions the template adds.",
    )
    skip_dates: list[date] = Field(
        default_factory=list,
        max_length=MAX_SKIP_DATES,
        title="Skipped dates",
        description="Local dates the rule yields that must not happen, e.g. 2027-03-15 (EXDATE).",
    )
    holidays: HolidayCalendar | None = Field(
        default=None,
        title="Skip public holidays",
        description="A country (and optional subdivision) whose public holidays are skipped.",
    )
    extra_dates: list[date] = Field(
        default_factory=list,
        max_length=MAX_EXTRA_DATES,
        title="Extra dates",
        description="Local dates added to the rule, at the series' start time (RDATE).",
    )
    overrides: Annotated[list[OccurrenceOverride], BeforeValidator(overrides_by_date)] = Field(
        default_factory=list,
        max_length=MAX_OVERRIDES,
        title="Changed occurrences",
        description="One occurrence moved, renamed, re-described or cancelled, found by its original date.",
    )
    audience: AudienceSpec | None = Field(
        default=None,
        title="Audience",
        description="Who is invited to every occurrence: a CSV export and/or inline people.",
    )
    encore: EncoreSpec | None = Field(
        default=None,
        title="Encore",
        description="A replay of each occurrence's recording in another time zone, scheduled by the "
        "schedule-encore deployment when the recording is ready.",
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
        return require_wall_clock("start_time", value)

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
            if label.startswith(RESERVED_LABEL_PREFIXES):
                raise InvalidArgumentError(
                    "labels", label, "kev-series:, kev-spec:, kev-occ: and kev-encore: labels are reserved"
                )
        check_exceptions(self.skip_dates, self.extra_dates, self.overrides)
        for index, override in enumerate(self.overrides):
            if override.name is not None:
                _check_name_pattern(override.name, f"overrides[{index}].name")
            length = override.duration_minutes or self.duration_minutes
            for session in self.sessions:
                if session.offset_minutes + session.duration_minutes > length:
                    raise InvalidArgumentError(
                        f"overrides[{index}].duration_minutes",
                        length,
                        f"session {session.name!r} ends "
                        f"{session.offset_minutes + session.duration_minutes} min after start",
                    )
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
    horizon). A rule that yields nothing, or an override of a date in the
    horizon that is not an occurrence, is a parameter mistake reported before
    anything is written.
    """
    window = horizon(series, now)
    zone = series.timezone
    starts_on = series.starts_on or pendulum.instance(window.start).in_timezone(zone).date()
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
    _check_overrides_land(series, by_date, local_day_range(window.start, window.end, zone))

    changed = {o.original_date: o for o in series.overrides}
    planned: list[PlannedEvent] = []
    for day, occurrence in sorted(by_date.items()):
        override = changed.get(day)
        if override is not None and override.cancelled:
            continue
        final = _moved(series, day, occurrence, override)
        if window.start <= final.start_utc < window.end:
            planned.append(_planned(series, day, final, override, audience))
    if not planned:
        raise InvalidArgumentError(
            "rrule",
            series.rrule,
            f"yields no occurrence between {format_iso(window.start)} and {format_iso(window.end)} "
            f"(horizon_days={series.horizon_days}, starts_on={starts_on}, until={series.until}, "
            "after skip_dates, holidays, extra_dates and overrides)",
        )
    planned.sort(key=lambda p: p.start_utc)
    _check_distinct_starts(planned)
    return [
        PlannedEvent(**{**p.__dict__, "labels": (*p.labels, f"{SPEC_LABEL_PREFIX}{spec_hash(series, p)}")})
        for p in planned
    ]


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


@dataclass
class SeriesDiff:
    """What apply must do. ``finish`` events exist but lack sessions or the completion marker.

    ``stale`` holds future series events the plan no longer wants (their date
    was skipped, cancelled, or the rule changed) while ``prune`` is off: kept,
    and reported. With ``prune`` on they are in ``prune`` instead.
    """

    create: list[PlannedEvent] = field(default_factory=list)
    finish: list[tuple[PlannedEvent, Event]] = field(default_factory=list)
    update: list[tuple[PlannedEvent, Event]] = field(default_factory=list)
    unchanged: list[tuple[PlannedEvent, Event]] = field(default_factory=list)
    prune: list[Event] = field(default_factory=list)
    stale: list[Event] = field(default_factory=list)


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
    ``verify`` sends every matched event to ``finish``, so its sessions and
    people are read again even where its completion marker says it converged.
    """
    result = SeriesDiff()
    by_occurrence: dict[str, Event] = {}
    leftovers_by_key: dict[tuple[str, str], Event] = {}
    for event in sorted(observed, key=lambda e: e.id):
        label = event_occurrence_label(event)
        if label is not None:
            if series.series_label in event.labels:
                by_occurrence.setdefault(label, event)
            continue
        leftovers_by_key.setdefault(leftover_key(event), event)
    claimed: set[int] = set()
    for item in planned:
        found = by_occurrence.get(item.occurrence_label) or leftovers_by_key.get(item.leftover_key)
        if found is None or found.id in claimed:
            result.create.append(item)
            continue
        event = found
        claimed.add(event.id)
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


def sessions_left_behind(item: PlannedEvent, existing: list[Session]) -> list[str]:
    """Sessions on the event whose times or type differ from the spec, described for a person.

    The Events API has no call to change or delete a session, so a moved
    occurrence keeps its sessions at their old times. The flow cannot mend
    that; it must say so rather than report the occurrence as in order.
    Fields the API did not return are not compared.
    """
    planned = {s.name: s for s in item.sessions}
    found: list[str] = []
    for session in existing:
        spec = planned.get(session.name)
        if spec is None:
            continue
        differences = []
        if session.start_date is not None and session.start_date != spec.start_utc:
            differences.append(f"starts {format_iso(session.start_date)}, not {format_iso(spec.start_utc)}")
        if session.end_date is not None and session.end_date != spec.end_utc:
            differences.append(f"ends {format_iso(session.end_date)}, not {format_iso(spec.end_utc)}")
        if session.type != spec.type:
            differences.append(f"is {session.type}, not {spec.type}")
        if differences:
            found.append(f"session {session.name!r} {'; '.join(differences)}")
    return found
