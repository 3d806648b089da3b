"""duplicate_event: stamp a new event out of a template event, and wait for the copy.

Re-running converges: the copy is looked up by name and start before a new
duplication starts, and an ambiguous failure of ``events/duplicate`` is
reconciled the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pendulum
from prefect import flow
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flows.duplication import DuplicationError, DuplicationRequest, PollSettings, run_duplications
from flows.parameters import ApiInFlight
from flows.refusals import ends_in_one_line
from flows.reporting import publish
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.events import EventFilter
from kaltura_events.api.fields import DuplicateRole, EventName, Label, Zone
from kaltura_events.api.validation import format_iso
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.recurrence import localize
from tasks.api_limit import DEFAULT_MAX_IN_FLIGHT, run_api_limit, thread_runner
from tasks.clients import resolve
from tasks.events import find_event, list_events, update_event

_LOCAL_DATE_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?$"


def _wall_clock_schema(schema: dict[str, Any]) -> None:
    """Publish a wall-clock date-time as a pattern instead of JSON Schema's ``format: date-time``.

    That format requires a UTC offset, which these values must not have, so the
    Prefect UI refused every value the model accepts. Validation is pydantic's,
    unchanged.
    """
    for part in (schema, *schema.get("anyOf", [])):
        if part.get("format") == "date-time":
            del part["format"]
            part["pattern"] = _LOCAL_DATE_TIME


class DuplicateSpec(BaseModel):
    """The source, and what the copy should be."""

    model_config = ConfigDict(extra="forbid")

    source_event_id: int | None = Field(
        default=None, gt=0, title="Source event id", description="The template event to copy; or a label."
    )
    source_label: Label | None = Field(
        default=None, title="Source label", description="A label carried by exactly one event: the template."
    )
    name: EventName = Field(
        title="New event name",
        description="Re-running with the same name and start finds the copy instead of making another.",
    )
    start: datetime = Field(
        title="Local start",
        description="Wall-clock date-time in the time zone below, e.g. 2026-12-01T10:00.",
        json_schema_extra=_wall_clock_schema,
    )
    timezone: Zone = Field(
        default="America/New_York", title="Time zone", description="IANA zone of the start and end."
    )
    end: datetime | None = Field(
        default=None,
        title="Local end",
        description="Wall-clock date-time; or give a duration.",
        json_schema_extra=_wall_clock_schema,
    )
    duration_minutes: int | None = Field(
        default=None,
        ge=5,
        le=7 * 1440,
        title="Duration (min)",
        description="Used when no end is given; 60 when neither is.",
    )
    description: str | None = Field(
        default=None, max_length=4000, title="Description", description="Empty keeps the source's."
    )
    labels: list[Label] = Field(
        default_factory=list, max_length=20, title="Labels", description="Labels set on the copy."
    )
    doors_open_minutes: int = Field(
        default=15,
        ge=0,
        le=240,
        title="Doors open before start (min)",
        description="Attendees may join this long before the start.",
    )
    copy_roles: list[DuplicateRole] = Field(
        default_factory=list,
        title="User roles to copy",
        description="Which of the source's user roles the copy keeps.",
    )
    poll: PollSettings = Field(
        default_factory=PollSettings,
        title="Polling",
        description="How often, and how long, to wait for the duplication job.",
    )

    @field_validator("start", "end")
    @classmethod
    def _local(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            raise InvalidArgumentError(
                "start", value.isoformat(), "give a local wall-clock time; the zone comes from timezone"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DuplicateSpec:
        if (self.source_event_id is None) == (self.source_label is None):
            raise InvalidArgumentError(
                "source_event_id",
                {"source_event_id": self.source_event_id, "source_label": self.source_label},
                "give exactly one of source_event_id or source_label",
            )
        if self.end is not None and self.duration_minutes is not None:
            raise InvalidArgumentError("end", self.end.isoformat(), "give end or duration_minutes, not both")
        if self.end is not None and self.end <= self.start:
            raise InvalidArgumentError(
                "end", self.end.isoformat(), f"must be after start={self.start.isoformat()}"
            )
        return self

    def start_utc(self) -> datetime:
        """Local times that occur twice or not at all follow the series' rule (recurrence.localize)."""
        return localize(self.start, self.timezone).in_timezone("UTC")

    def end_utc(self) -> datetime:
        if self.end is not None:
            return localize(self.end, self.timezone).in_timezone("UTC")
        return self.start_utc() + timedelta(minutes=self.duration_minutes or 60)


class DuplicateReport(BaseModel):
    event_id: int
    name: str
    source_event_id: int
    job_id: str | None
    outcome: str
    start_utc: str
    local_start: str


def resolve_source(credentials: KalturaCredentials | None, spec: DuplicateSpec) -> int:
    if spec.source_event_id is not None:
        return spec.source_event_id
    assert spec.source_label is not None
    matches = list_events(credentials=credentials, event_filter=EventFilter(labels=(spec.source_label,)))
    if len(matches) != 1:
        raise InvalidArgumentError(
            "source_label",
            spec.source_label,
            f"must match exactly one event, matched {len(matches)}: {[e.id for e in matches][:10]}",
        )
    return matches[0].id


@flow(
    name="duplicate-event",
    description="Duplicate a template event, wait for the copy, then set its labels and doors-open time.",
    task_runner=thread_runner(),
)
@ends_in_one_line
def duplicate_event(
    spec: DuplicateSpec,
    credentials: KalturaCredentials | None = None,
    max_api_in_flight: ApiInFlight = DEFAULT_MAX_IN_FLIGHT,
) -> DuplicateReport:
    """Duplicate a template event, wait for the copy, then set its labels and doors-open time.

    Prefect takes the parameter descriptions the UI shows from this Args section.

    Args:
        spec: The template event, and the name, time and labels of the copy.
        credentials: A saved Kaltura Credentials Block; empty uses the worker's KALTURA_* variables.
        max_api_in_flight: Most requests in flight from this run (at most that many kaltura-api slots).
    """
    credentials = resolve(credentials)
    with run_api_limit(max_api_in_flight):
        start, end = spec.start_utc(), spec.end_utc()
        source_id = resolve_source(credentials, spec)
        existing = find_event(credentials=credentials, name=spec.name, start=start)
        job_id: str | None = None
        if existing is not None:
            event_id, outcome = existing.id, "already existed"
        else:
            request = DuplicationRequest(
                source_event_id=source_id,
                name=spec.name,
                timezone=spec.timezone,
                start=start,
                end=end,
                description=spec.description,
                copy_roles=tuple(spec.copy_roles),
            )
            result = run_duplications(credentials, [request], spec.poll)[0]
            if result.event_id is None:
                raise DuplicationError(result.job_id or "?", result.state, result.error or "did not complete")
            event_id, job_id, outcome = result.event_id, result.job_id, result.state
        update_event(
            credentials=credentials,
            event_id=event_id,
            doors_open=start - timedelta(minutes=spec.doors_open_minutes),
            labels=list(spec.labels) or None,
        )
        report = DuplicateReport(
            event_id=event_id,
            name=spec.name,
            source_event_id=source_id,
            job_id=job_id,
            outcome=outcome,
            start_utc=format_iso(start),
            local_start=pendulum.instance(start).in_timezone(spec.timezone).to_iso8601_string(),
        )
        publish(
            ["duplicate-event", str(event_id)],
            [report.model_dump()],
            f"Event {event_id} '{spec.name}' from source {source_id}: {outcome}.",
        )
        return report
