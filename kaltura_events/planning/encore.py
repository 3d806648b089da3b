"""An encore: one occurrence's recording replayed as a SimuLive event, for another time zone.

Pure: the flow observes the original occurrence and the recording, hands them
here, and gets back the replay to make.

Identity. A replay carries ``kev-encore:{key}`` and the original's
``kev-occ:{date}``, never ``kev-series:``: it is not an occurrence, so the
series' runs neither adopt nor prune it, its attendance is not mixed into the
series', and ``teardown-events`` with ``label: kev-encore:{key}`` finds every
replay of the series. One replay per (series, occurrence), whatever
recording or notification asked for it.

How the replay is made. The Events API has no call to change a session, and
a template's own SimuLive session (tm3000's) gets no source entry at
creation, so the replay is made from a blank template by default and its one
SimuLive session by ``sessions/create`` with ``sourceEntryId`` = the
recording (spec ``CreateSessionDto.sourceEntryId``: "For Simulive session
types, the VOD entry").
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pendulum
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.fields import EventName, Zone
from kaltura_events.api.validation import MAX_NAME_LENGTH, PRESET_TEMPLATES, format_iso
from kaltura_events.planning.labels import (
    ENCORE_LABEL_PREFIX,
    OCCURRENCE_LABEL_PREFIX,
    SERIES_LABEL_PREFIX,
    occurrence_in,
)
from kaltura_events.planning.recurrence import occurrence_on
from kaltura_events.planning.series_rules import require_wall_clock, wall_clock_schema

BLANK_TEMPLATE = "tm0000"
REPLAY_TEMPLATES = ("tm0000", "tm3000")
"""Presets a replay may be made from: blank, or Simulive (KALTURA_EVENTS_PLATFORM_API.md §8).

The others add live rooms (MeetingEntry, LiveWebcast) that a replay has no use for.
"""
_CUSTOM_TEMPLATE = "0123456789abcdef"
MAX_DAYS_AFTER = 60
NAME_PLACEHOLDERS = ("name", "date")


class EncoreSpec(BaseModel):
    """When and how each occurrence is replayed: a local time in another zone, some days later."""

    model_config = ConfigDict(extra="forbid")

    timezone: Zone = Field(
        title="Encore time zone",
        description="IANA zone of the audience the replay is for, e.g. Asia/Singapore.",
    )
    start_time: time = Field(
        default=time(10, 0),
        title="Encore local start time",
        description="Wall-clock time in the encore's zone, e.g. 10:00.",
        json_schema_extra=wall_clock_schema,
    )
    days_after: int = Field(
        default=1,
        ge=0,
        le=MAX_DAYS_AFTER,
        title="Days after the original",
        description="The replay is on the original's local date plus this many days.",
    )
    template_id: str | None = Field(
        default=None,
        title="Replay template",
        description="tm0000 (blank, the default), tm3000 (Simulive) or a 24-hex custom template id.",
    )
    name: EventName = Field(
        default="{name} (encore)",
        title="Replay name pattern",
        description="May use the original's {name} and its local {date}, e.g. '{name} (APAC replay)'.",
    )

    @field_validator("start_time")
    @classmethod
    def _naive_time(cls, value: time) -> time:
        return require_wall_clock("encore.start_time", value)

    @field_validator("template_id")
    @classmethod
    def _replay_template(cls, value: str | None) -> str | None:
        if value is None or value in REPLAY_TEMPLATES:
            return value
        if value in PRESET_TEMPLATES:
            raise InvalidArgumentError(
                "encore.template_id",
                value,
                f"adds live sessions a replay has no use for; use {' or '.join(REPLAY_TEMPLATES)} "
                "or a custom template",
            )
        if len(value) == 24 and all(c in _CUSTOM_TEMPLATE for c in value):
            return value
        raise InvalidArgumentError(
            "encore.template_id", value, "expected tm0000, tm3000 or a 24-hex custom template id"
        )

    @field_validator("name")
    @classmethod
    def _name_pattern(cls, value: str) -> str:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
            value.format(name="n", date=pendulum.datetime(2026, 1, 5, 10, tz="UTC"))
        except (ValueError, KeyError, IndexError, AttributeError) as exc:
            raise InvalidArgumentError("encore.name", value, f"not a valid name pattern ({exc})") from None
        unknown = [f for f in fields if f not in NAME_PLACEHOLDERS]
        if unknown:
            raise InvalidArgumentError(
                "encore.name", value, f"unknown placeholder {{{unknown[0]}}}; use {{name}} or {{date}}"
            )
        return value

    @property
    def create_template_id(self) -> str:
        return self.template_id or BLANK_TEMPLATE


@dataclass(frozen=True)
class Original:
    """The occurrence as observed: the event whose session was recorded."""

    event_id: int
    name: str
    start_utc: datetime
    end_utc: datetime
    timezone: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class PlannedReplay:
    """The replay event as it should exist, with its one SimuLive session."""

    series_key: str
    original_event_id: int
    original_date: date
    """The occurrence's identity (its ``kev-occ:`` date), which the replay shares."""
    name: str
    timezone: str
    local_start: datetime
    start_utc: datetime
    end_utc: datetime
    template_id: str
    recording_entry_id: str
    labels: tuple[str, ...]

    @property
    def session_name(self) -> str:
        """The SimuLive session's name: the replay's own, so a re-run finds it by name."""
        return self.name

    @property
    def encore_label(self) -> str:
        return f"{ENCORE_LABEL_PREFIX}{self.series_key}"

    @property
    def occurrence_label(self) -> str:
        return f"{OCCURRENCE_LABEL_PREFIX}{self.original_date.isoformat()}"

    @property
    def start_iso(self) -> str:
        return format_iso(self.start_utc)

    def is_this(self, labels: list[str] | tuple[str, ...]) -> bool:
        """An observed event is this replay: it carries both identity labels."""
        return self.encore_label in labels and self.occurrence_label in labels


def original_date_of(original: Original, series_key: str) -> date | None:
    """The occurrence date an event's labels name, or None when it is not an occurrence of the series."""
    if f"{SERIES_LABEL_PREFIX}{series_key}" not in original.labels:
        return None
    written = occurrence_in(original.labels)
    if written is None:
        return None
    try:
        return date.fromisoformat(written)
    except ValueError:
        return None


def plan_replay(
    series_key: str, spec: EncoreSpec, original: Original, recording_entry_id: str
) -> PlannedReplay:
    """The replay of ``original``: its local date plus ``days_after``, at ``start_time`` in the encore's zone.

    The day is the original's actual local date (after any override moved
    it), the length the original's, and local times that do not exist or occur
    twice follow the series' DST rule (:func:`recurrence.occurrence_on`). A
    replay that would start before the original ends is a parameter mistake
    (``days_after`` too small for the zones), named before anything is made.
    """
    day = original_date_of(original, series_key)
    if day is None:
        raise InvalidArgumentError(
            "event",
            original.event_id,
            f"is not an occurrence of series {series_key!r} (no kev-series/kev-occ labels)",
        )
    local = pendulum.instance(original.start_utc).in_timezone(original.timezone)
    minutes = max(1, round((original.end_utc - original.start_utc).total_seconds() / 60))
    replay = occurrence_on(
        local.date() + timedelta(days=spec.days_after), spec.start_time, minutes, spec.timezone
    )
    if replay.start_utc < original.end_utc:
        raise InvalidArgumentError(
            "encore.days_after",
            spec.days_after,
            f"the replay would start {replay.local_start.isoformat()}, before the original ends "
            f"({format_iso(original.end_utc)}); replay more days after",
        )
    name = spec.name.format(name=original.name, date=local)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgumentError("encore.name", name, f"is longer than {MAX_NAME_LENGTH} characters")
    return PlannedReplay(
        series_key=series_key,
        original_event_id=original.event_id,
        original_date=day,
        name=name,
        timezone=spec.timezone,
        local_start=replay.local_start,
        start_utc=replay.start_utc,
        end_utc=replay.end_utc,
        template_id=spec.create_template_id,
        recording_entry_id=recording_entry_id,
        labels=(f"{ENCORE_LABEL_PREFIX}{series_key}", f"{OCCURRENCE_LABEL_PREFIX}{day.isoformat()}"),
    )
