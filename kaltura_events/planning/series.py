"""A recurring all-hands series as its users write it: the model flows, the UI form and the file share.

Pure: no I/O, no Prefect. What the series plans is :mod:`kaltura_events.planning.series_plan`;
how a plan meets what exists is :mod:`kaltura_events.planning.series_diff`. The rule's
exceptions (skipped dates, holidays, extra dates, overrides) are in
:mod:`kaltura_events.planning.series_rules`; speakers in :mod:`kaltura_events.planning.speakers`.
"""

from __future__ import annotations

import string
from datetime import date, time
from typing import Annotated

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
from kaltura_events.planning.audience import AudienceSpec
from kaltura_events.planning.encore import EncoreSpec
from kaltura_events.planning.labels import (
    RESERVED_LABEL_PREFIXES,
    SERIES_LABEL_PREFIX,
)
from kaltura_events.planning.recurrence import validate_rrule
from kaltura_events.planning.series_rules import (
    MAX_EXTRA_DATES,
    MAX_OVERRIDES,
    MAX_SKIP_DATES,
    HolidayCalendar,
    OccurrenceOverride,
    check_exceptions,
    overrides_by_date,
    require_wall_clock,
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
                    "labels",
                    label,
                    "kev-series:, kev-spec:, kev-held:, kev-occ: and kev-encore: labels are reserved",
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
