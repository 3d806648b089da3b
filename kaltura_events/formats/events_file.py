"""The events file (``kaltura-events.yaml``): series and standalone events as code.

Pure: no I/O beyond reading the file, no Prefect. Every error names the file,
the path inside it (``series[2].sessions[0].type``) and the value, and is
raised before anything is sent to Kaltura: loading validates with the same
pydantic models the flows take, then plans every series once, so a rule that
never yields an occurrence fails here too. One that yields none inside its
horizon (a yearly series, most of the year) is a note, not an error.

A standalone event is a one-occurrence series (``FREQ=DAILY;COUNT=1`` on its
date): it is created, duplicated, observed, finished and diffed by exactly the
series code, and carries the label ``kev-series:<key>``. Keys are therefore
unique across series and events.

Every event the file makes also carries ``kev-file:<name>``, so a series
removed from the file is still found (as orphaned) by that label, and nothing
without it is ever touched.

Every problem is reported at once (up to 50 shown), each placed in the file:
fixing one mistake per run made a file with five typos cost five runs. An
unknown field or zone comes with the close match, if there is one.
Audiences name CSV exports relative to the file's directory, and only inside
it (formats/paths.py); they are read when the file is planned, so a bad
export is refused with the rest.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from kaltura_events.api.errors import InvalidArgumentError, KalturaError
from kaltura_events.api.fields import CustomTemplateId, EventName, Label, PresetTemplate, Zone
from kaltura_events.formats.audience_csv import AudienceFileError, problems_text, resolve_audience
from kaltura_events.formats.message_bodies import read_bodies
from kaltura_events.formats.paths import Root
from kaltura_events.formats.yaml_positions import Position, Positions
from kaltura_events.planning.audience import AudienceSpec, ResolvedAudience
from kaltura_events.planning.messages import (
    DueSend,
    MessagesSpec,
    OccurrenceTimes,
    SeriesMessages,
    due_sends,
)
from kaltura_events.planning.recurrence import localize
from kaltura_events.planning.roster import Roster
from kaltura_events.planning.selection import EventSelector
from kaltura_events.planning.series import MAX_HORIZON_DAYS, AllHandsSeries, SessionSpec
from kaltura_events.planning.series_plan import NothingInHorizon, PlannedEvent, plan
from kaltura_events.planning.series_rules import wall_clock_schema

FILE_LABEL_PREFIX = "kev-file:"
DEFAULT_FILE_NAME = "kaltura-events.yaml"
_KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,47}$"
_LOCAL_DATE_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?$"


@dataclass(frozen=True)
class FileProblem:
    """One thing wrong, placed in the file: ``series[2].sessions[0].type``, and its line and column."""

    where: str
    reason: str
    value: Any = None
    position: Position | None = None
    unknown_key: bool = False
    """The problem is the key itself (an unknown field): pointed at by the key, not its value."""

    def line(self, file: str) -> str:
        shown = "" if self.value is None else f" (got {_short(self.value)})"
        at = "" if self.position is None else f":{self.position.line}:{self.position.column}"
        return f"{file}{at}: {self.where}: {self.reason}{shown}"

    def placed(self, positions: Positions | None) -> FileProblem:
        if self.position is not None or positions is None:
            return self
        return replace(self, position=positions.find(self.where, key=self.unknown_key))


class EventsFileError(KalturaError, ValueError):
    """The file is not a valid events file; names the file, line and column, path inside it and value.

    ``where``, ``reason`` and ``value`` are the first problem's; ``problems``
    holds every problem as a line, and the message shows them all (up to 50).
    """

    def __init__(
        self,
        file: str,
        where: str,
        reason: str,
        value: Any = None,
        *,
        more: Sequence[FileProblem] = (),
        position: Position | None = None,
    ) -> None:
        self.file = file
        self.where = where
        self.reason = reason
        self.value = value
        self.position = position
        first = FileProblem(where, reason, value, position)
        self.problems = [first.line(file), *(p.line(file) for p in more)]
        if len(self.problems) == 1:
            super().__init__(self.problems[0])
        else:
            super().__init__(f"{file}: {problems_text(self.problems, '')}")

    @classmethod
    def of(
        cls, file: str, problems: Sequence[FileProblem], positions: Positions | None = None
    ) -> EventsFileError:
        first, *more = (p.placed(positions) for p in problems)
        return cls(file, first.where, first.reason, first.value, more=more, position=first.position)


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _drop_offset(schema: dict[str, Any]) -> None:
    """A local wall-clock date-time: JSON Schema's ``date-time`` format would demand an offset."""
    schema.pop("format", None)
    schema["pattern"] = _LOCAL_DATE_TIME


class FileSeries(AllHandsSeries):
    """A series as the file declares it: the flows' model, with no default for when it happens.

    The UI form may start from 10:00 and 60 minutes; a file that leaves the
    time out would silently put the series at 10:00, which nobody reviewing
    the file sees. So the file must say it.
    """

    start_time: time = Field(
        title="Local start time",
        description="Wall-clock time in the zone, e.g. 10:00. Required in the file.",
        json_schema_extra=wall_clock_schema,
    )
    duration_minutes: int = Field(
        ge=5, le=1440, title="Duration (min)", description="Length of each occurrence. Required in the file."
    )
    messages: MessagesSpec | None = Field(
        default=None,
        title="Messages",
        description="Reminders and follow-ups of this series; replaces the file's messages block whole.",
    )


class StandaloneEvent(BaseModel):
    """One event on a given local date and time, from a template or by duplicating an event."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        title="Event key",
        description="Stable identity; the event carries the label kev-series:<key>. Unique in the file.",
        pattern=_KEY_PATTERN,
    )
    name: EventName = Field(title="Event name")
    start: datetime = Field(
        title="Local start",
        description="Wall-clock date-time in the time zone below, e.g. 2027-03-16T11:00.",
        json_schema_extra=_drop_offset,
    )
    timezone: Zone = Field(default="America/New_York", title="Time zone")
    duration_minutes: int = Field(ge=5, le=1440, title="Duration (min)", description="Required.")
    doors_open_minutes: int = Field(default=15, ge=0, le=240, title="Doors open before start (min)")
    template_id: PresetTemplate | None = Field(default=None, title="Preset template")
    custom_template_id: CustomTemplateId | None = Field(default=None, title="Custom template id")
    source_event_id: int | None = Field(
        default=None, gt=0, title="Source event id", description="Duplicate this event instead."
    )
    description: str = Field(default="", max_length=4000, title="Description")
    labels: list[Label] = Field(default_factory=list, max_length=19, title="Extra labels")
    sessions: list[SessionSpec] = Field(default_factory=list, max_length=20, title="Sessions")
    audience: AudienceSpec | None = Field(
        default=None,
        title="Audience",
        description="Who is invited: a CSV export (relative to this file) and/or inline people.",
    )
    messages: MessagesSpec | None = Field(
        default=None,
        title="Messages",
        description="Reminders and follow-ups of this event; replaces the file's messages block whole.",
    )

    @field_validator("start")
    @classmethod
    def _local(cls, value: datetime) -> datetime:
        if value.tzinfo is not None:
            raise InvalidArgumentError(
                "start", value.isoformat(), "give a local wall-clock time; the zone comes from timezone"
            )
        return value

    @model_validator(mode="after")
    def _as_series_is_valid(self) -> StandaloneEvent:
        """The series checks (one source, sessions inside the event) apply as they are."""
        try:
            self.as_series(horizon_days=1)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            cause = (error.get("ctx") or {}).get("error")
            if isinstance(cause, InvalidArgumentError):
                raise cause from None
            raise InvalidArgumentError(
                field_path(tuple(error["loc"])), error.get("input"), error["msg"]
            ) from None
        return self

    def start_utc(self) -> datetime:
        """Under the series' DST rule: the one occurrence of its series starts at this same instant."""
        return localize(self.start, self.timezone).in_timezone("UTC")

    def as_series(self, horizon_days: int) -> AllHandsSeries:
        return AllHandsSeries.model_validate(
            {
                **self.model_dump(exclude={"start", "messages"}),
                "rrule": "FREQ=DAILY;COUNT=1",
                "starts_on": self.start.date(),
                "until": self.start.date(),
                "start_time": self.start.time(),
                "horizon_days": horizon_days,
            }
        )


class TeamSection(BaseModel):
    """The account's team as the sync_team_members flow converges it."""

    model_config = ConfigDict(extra="forbid")

    members: Roster = Field(
        title="Members", description="Every team member: email, role, first and last name."
    )
    remove_unlisted: bool = Field(
        default=False,
        title="Remove unlisted members",
        description="Delete team members this list does not name; off leaves them alone.",
    )


class EventsFile(BaseModel):
    """Series and standalone events one flow run converges; the file's name marks what it made."""

    model_config = ConfigDict(extra="forbid", title="kaltura-events file")

    name: str = Field(
        title="File name",
        description="Identity of this file: its events carry kev-file:<name>. Do not change it.",
        pattern=_KEY_PATTERN,
        examples=["acme-events"],
    )
    prune_removed: bool = Field(
        default=False,
        title="Prune removed series",
        description="Delete the future events (and categories) of series no longer in this file. "
        "Off: they are only reported as orphaned.",
    )
    series: list[FileSeries] = Field(default_factory=list, title="Recurring series")
    events: list[StandaloneEvent] = Field(default_factory=list, title="Standalone events")
    team: TeamSection | None = Field(
        default=None, title="Team roster", description="The account's Events Platform team; optional."
    )
    messages: MessagesSpec | None = Field(
        default=None,
        title="Messages",
        description="Reminders and follow-ups of every series and event without a messages block of its own.",
    )

    @property
    def file_label(self) -> str:
        return f"{FILE_LABEL_PREFIX}{self.name}"

    _directory: Path | None = PrivateAttr(default=None)
    _positions: Positions | None = PrivateAttr(default=None)

    @property
    def directory(self) -> Path | None:
        """Where the file was loaded from: its audience CSVs are found there, whatever name errors use."""
        return self._directory


def json_schema() -> dict[str, Any]:
    """The file's JSON Schema, for editors (yaml-language-server) and CI checks."""
    schema = EventsFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


# -- loading ---------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """YAML 1.1 as PyYAML reads it, minus two traps.

    A duplicate mapping key is an error instead of the last one silently
    winning, and ``10:00`` stays the string "10:00" instead of the base-60
    integer 600 (which pydantic would read as 00:10).
    """


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", mark)
        seen[key] = True
    return loader.construct_mapping(node, deep=True)


def _int_or_clock(loader: _StrictLoader, node: yaml.ScalarNode) -> int | str:
    text = str(loader.construct_scalar(node))
    if ":" in text:
        return text
    return int(loader.construct_yaml_int(node))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _int_or_clock)


def field_path(loc: tuple[int | str, ...]) -> str:
    """('series', 2, 'sessions', 0, 'type') -> 'series[2].sessions[0].type'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _problems(exc: ValidationError, at: tuple[int | str, ...] = ()) -> list[FileProblem]:
    """Every error, placed in the file; ``at`` is where the validated object sits in it."""
    return [_problem(error, at) for error in exc.errors(include_url=False)]


def _problem(error: Any, at: tuple[int | str, ...]) -> FileProblem:
    loc = at + tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    where = field_path(loc)
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, InvalidArgumentError):
        inner = cause.field
        if inner and not where.endswith(inner.split("[")[0]):
            where = f"{where}.{inner}" if loc else inner
        hint = _zone_hint(where, cause.value)
        reason = cause.reason.partition(", such as ")[0] + hint if hint else cause.reason
        return FileProblem(where, reason, cause.value)
    value = error.get("input")
    shown = value if not isinstance(value, dict | list) else None
    if error["type"] == "extra_forbidden" and loc:
        return FileProblem(where, "unknown field" + _field_hint(loc), shown, unknown_key=True)
    if error["type"] == "missing":
        return FileProblem(where, "required: the file has no default for it")
    return FileProblem(where, error["msg"], shown)


def _hint(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"; did you mean {close[0]}?" if close else ""


def file_selector(events_file: EventsFile, key: str | None) -> EventSelector:
    """The events an attendance report of this file covers: one series (or event) by key, or all.

    An unknown key is refused naming it, before any call, with the closest key the file has.
    """
    if key is None:
        return EventSelector(label=events_file.file_label)
    keys = [series.key for series in events_file.series] + [event.key for event in events_file.events]
    if key not in keys:
        raise InvalidArgumentError(
            "--series", key, f"no series or event of {events_file.name} has this key" + _hint(key, keys)
        )
    return EventSelector(series_key=key)


def file_series(events_file: EventsFile, key: str) -> FileSeries:
    """The file's series with this key, for a flow that acts on one series of the file (an encore).

    An unknown key is refused naming it, with the closest series key; a
    standalone event's key too, since only series declare encores.
    """
    by_key = {series.key: series for series in events_file.series}
    if key in by_key:
        return by_key[key]
    if key in {event.key for event in events_file.events}:
        raise InvalidArgumentError(
            "series_key", key, f"is a standalone event of {events_file.name}, not a series"
        )
    raise InvalidArgumentError(
        "series_key", key, f"no series of {events_file.name} has this key" + _hint(key, list(by_key))
    )


def _field_hint(loc: tuple[int | str, ...]) -> str:
    model = _model_at(loc[:-1])
    if model is None or not isinstance(loc[-1], str):
        return ""
    return _hint(loc[-1], list(model.model_fields))


def _zone_hint(where: str, value: Any) -> str:
    if not where.endswith("timezone") or not isinstance(value, str):
        return ""
    return _hint(value, _zones())


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model whose fields sit at ``loc`` in the file (list indexes pass through)."""
    model: type[BaseModel] = EventsFile
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        inner = None if field is None else _model_in(field.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        return annotation if issubclass(annotation, BaseModel) else None
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _duplicate_keys(data: dict[Any, Any]) -> list[FileProblem]:
    """Keys name events across series and events; read from the raw data so they join the other errors."""
    seen: dict[str, str] = {}
    problems: list[FileProblem] = []
    for section in ("series", "events"):
        entries = data.get(section)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            key = entry.get("key") if isinstance(entry, dict) else None
            if not isinstance(key, str):
                continue
            where = f"{section}[{index}]"
            if key in seen:
                problems.append(
                    FileProblem(f"{where}.key", f"duplicate key; {seen[key]} has it already", key)
                )
            else:
                seen[key] = where
    return problems


def _read_yaml(text: str, file: str) -> tuple[Any, Positions]:
    """The data and where each of its keys and values sits; one parse gives both."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        data = None if root is None else loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        position = Position.of(mark) if mark else None
        raise EventsFileError(
            file, "(YAML)", f"not valid YAML: {exc.problem or exc.context}", position=position
        ) from None
    except yaml.YAMLError as exc:
        raise EventsFileError(file, "(YAML)", f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    return data, Positions.of(root)


def parse_events_file(text: str, file: str) -> EventsFile:
    """Parse and validate; ``file`` is only used to name the file in errors."""
    data, positions = _read_yaml(text, file)
    if not isinstance(data, dict):
        raise EventsFileError(
            file,
            "(top level)",
            "expected a mapping with name, series and events",
            type(data).__name__,
            position=positions.find(""),
        )
    problems: list[FileProblem] = []
    try:
        parsed = EventsFile.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc)
    problems += _duplicate_keys(data)
    if problems:
        raise EventsFileError.of(file, problems, positions)
    parsed._positions = positions
    return parsed


def load_events_file(path: str | Path, shown_as: str | None = None) -> EventsFile:
    """The file at ``path``, named ``shown_as`` in errors (by default as ``path`` is given)."""
    file = str(path) if shown_as is None else shown_as
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise EventsFileError(file, "(file)", f"cannot read: {exc.strerror or exc}") from None
    parsed = parse_events_file(text, file)
    parsed._directory = Path(path).resolve().parent
    return parsed


# -- what to converge ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One series of the file as the flow converges it: with the file label, and its plan.

    ``planned`` is empty for a standalone event already in the past, and for a
    series with no occurrence in its horizon (``note`` says when the next one
    is): either is left alone, and neither is a change or an error.
    """

    where: str
    kind: str
    series: AllHandsSeries
    planned: tuple[PlannedEvent, ...]
    note: str = ""
    messages: SeriesMessages | None = None
    """The reminders and follow-ups the file declares for this series (its own, else the file's)."""

    @property
    def key(self) -> str:
        return self.series.key

    def occurrence_times(self) -> list[OccurrenceTimes]:
        """Each planned occurrence as a send needs it: identity (its ``kev-occ:`` date) and UTC times."""
        return [
            OccurrenceTimes(self.key, p.original_date.isoformat(), p.start_utc, p.end_utc)
            for p in self.planned
        ]

    def due_sends(self) -> list[DueSend]:
        """Every send of every planned occurrence, earliest first; none without a messages block."""
        if self.messages is None:
            return []
        return due_sends(self.messages.spec, self.occurrence_times())


def _with_file_label(series: AllHandsSeries, label: str) -> AllHandsSeries:
    """The flows' model: a file series' messages block travels beside it, in its Target."""
    dumped = series.model_dump(exclude={"messages"})
    return AllHandsSeries.model_validate({**dumped, "labels": [*series.labels, label]})


def targets(events_file: EventsFile, file: str, now: datetime, base_dir: Path | None = None) -> list[Target]:
    """Every series and event of the file, planned at ``now``, each with its audience read.

    ``file`` names the file in errors. Audience CSVs are found relative to
    ``base_dir``, and refused outside it; by default the directory the file
    was loaded from (for a file parsed from text, the directory of ``file``). Every problem (a
    plan error, an unreadable export) is collected and raised at once,
    placed in the file.
    """
    base = Root.of(base_dir or events_file.directory or Path(file).parent, "the events file's folder")
    result: list[Target] = []
    problems: list[FileProblem] = []
    label = events_file.file_label
    default = _messages(events_file.messages, "messages", base, problems)
    for index, declared in enumerate(events_file.series):
        own = _messages(declared.messages, f"series[{index}].messages", base, problems)
        target = _target(declared, ("series", index), label, now, base, problems)
        if target is not None:
            result.append(replace(target, messages=default if declared.messages is None else own))
    for index, event in enumerate(events_file.events):
        where = f"events[{index}]"
        start = event.start_utc()
        ahead = (start - now).total_seconds() / 86400
        days = math.ceil(ahead) + 1
        if days > MAX_HORIZON_DAYS:
            problems.append(
                FileProblem(
                    f"{where}.start", f"more than {MAX_HORIZON_DAYS} days ahead", event.start.isoformat()
                )
            )
            continue
        target = _target(
            event.as_series(horizon_days=max(days, 1)),
            ("events", index),
            label,
            now,
            base,
            problems,
            past=start <= now,
        )
        own = _messages(event.messages, f"{where}.messages", base, problems)
        if target is not None:
            result.append(replace(target, messages=default if event.messages is None else own))
    if problems:
        raise EventsFileError.of(file, problems, events_file._positions)
    return result


def _target(
    series: AllHandsSeries,
    at: tuple[str, int],
    label: str,
    now: datetime,
    root: Root,
    problems: list[FileProblem],
    past: bool = False,
) -> Target | None:
    """One series planned; its problems are added to ``problems`` (then None), so the rest still run.

    A standalone event in the past is left alone: not planned, its audience not read.
    """
    where = field_path(at)
    kind = "series" if at[0] == "series" else "event"
    try:
        labeled = _with_file_label(series, label)
        if past:
            return Target(where, kind, labeled, ())
        audience, unread = _audience(labeled.audience, where, root)
        problems += unread
        planned = tuple(plan(labeled, now, audience=audience))
    except NothingInHorizon as exc:
        return None if unread else Target(where, kind, labeled, (), note=exc.note)
    except ValidationError as exc:
        problems += _problems(exc, at)
        return None
    except InvalidArgumentError as exc:
        problems.append(FileProblem(f"{where}.{exc.field}", exc.reason, exc.value))
        return None
    return None if unread else Target(where, kind, labeled, planned)


def _messages(
    spec: MessagesSpec | None, where: str, root: Root, problems: list[FileProblem]
) -> SeriesMessages | None:
    """A messages block with its bodies read; its problems added to ``problems``, placed under ``where``.

    The file's default block is read once, here, and its problems placed at
    ``messages``: a bad body shared by twelve series is one mistake, not twelve.
    """
    if spec is None:
        return None
    messages, unread = read_bodies(spec, [root])
    problems += [FileProblem(f"{where}.{p.field}", p.reason, p.value) for p in unread]
    return messages


def _audience(
    spec: AudienceSpec | None, where: str, root: Root
) -> tuple[ResolvedAudience | None, list[FileProblem]]:
    """The audience read, or its problems placed in the file: a CSV's under ``audience.csv``."""
    if spec is None:
        return None, []
    try:
        return resolve_audience(spec, [root]), []
    except AudienceFileError as exc:
        return None, [_audience_problem(where, problem) for problem in exc.problems]


def _audience_problem(where: str, problem: str) -> FileProblem:
    if problem.startswith(("audience.people[", "audience:", "audience.csv:")):  # not about a CSV's content
        place, _, reason = problem.partition(": ")
        return FileProblem(f"{where}.{place}", reason)
    return FileProblem(f"{where}.audience.csv", problem)
