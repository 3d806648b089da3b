"""schedule_encore: when a session's recording is ready, schedule its replay for the series' other zone.

Started by a deployment trigger on ``kaltura.entry.ready`` (deployments/prefect.yaml),
with the recording's entry id from the event. The series comes from an events
file (``path``, and ``series_key`` or every series there with an ``encore:``),
the file sync-events-file converges, so an encore written in the file is
the one replayed; or from the deployment's own ``series`` parameter, the same
spec the weekly deployment keeps on the calendar (one YAML anchor). Either
way the encore settings and the audience are declared once.

recording -> rootEntryId (``baseEntry.get``, skipped when the notification
carried it) -> the series' events (``events/list`` by ``kev-series:``) -> the
one whose session is that root entry (``sessions/list``, nearest events
first) -> its ``kev-occ:`` date -> plan the replay (pure) -> observe
(``events/list`` by ``kev-encore:``; an unlabeled leftover by name and
start) -> create or finish: event, SimuLive session with the recording as
``sourceEntryId``, audience invited, then the labels last, so a labeled
replay is a finished one.

Converged, not only deduplicated: the receiver posts each notification once
(its ledger answers a redelivery or a replay without posting), but a second
notification for the same recording, or a second template firing, starts a
second run. That run observes the replay the first made and does nothing.
The deployment's concurrency limit of 1 keeps two such runs from observing
"nothing yet" at the same moment; without it, both could create.

An ordinary upload starts no run (the trigger matches only entries whose
``kaltura.entry.recording`` label is not "no"). A recording that is not of
this series (another series', a clip) completes with "not ours".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Literal

import pendulum
from prefect import flow
from prefect.logging import get_run_logger
from pydantic import BaseModel, Field

from flows.parameters import ApiInFlight, LockWaitSeconds, NowForTesting
from flows.people import converge_people
from flows.refusals import ends_in_one_line
from flows.reporting import publish
from flows.series_lock import DEFAULT_LOCK_WAIT_SECONDS, one_writer, partner_of, series_lock
from flows.units import in_parallel
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.events import EventFilter
from kaltura_events.api.models import Event, Session
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.formats.audience_csv import resolve_audience
from kaltura_events.formats.events_file import file_series, load_events_file
from kaltura_events.formats.paths import Root, inside, shown, work_roots
from kaltura_events.planning.audience import ResolvedAudience
from kaltura_events.planning.encore import Original, PlannedReplay, original_date_of, plan_replay
from kaltura_events.planning.labels import RESERVED_LABEL_PREFIXES
from kaltura_events.planning.series import AllHandsSeries
from tasks.api_limit import DEFAULT_MAX_IN_FLIGHT, run_api_limit, thread_runner
from tasks.clients import resolve
from tasks.entries import get_entry
from tasks.events import create_event, find_event, list_events, update_event
from tasks.sessions import create_session, list_sessions

SESSION_LOOKUPS_AT_ONCE = 8
"""``sessions/list`` calls per wave while looking for the recorded session."""

Action = Literal["created", "finished", "already scheduled", "not ours", "no encore", "too late"]


class EncoreReport(BaseModel):
    """What the run decided about one recording; the run's table artifact is this, one row."""

    action: Action
    entry_id: str
    series_key: str
    reason: str = ""
    original_event_id: int | None = None
    occurrence: str | None = None
    replay_event_id: int | None = None
    replay_name: str | None = None
    replay_local_start: str | None = None
    replay_start_utc: str | None = None
    people: str = ""


def find_recorded_event(
    credentials: KalturaCredentials | None,
    series: AllHandsSeries,
    session_id: str,
    near: datetime,
) -> Event | None:
    """The series event holding the session ``session_id``, or None when no event of the series does.

    The Events API has no lookup of an event by session, so the series' events
    are listed once and their sessions read nearest first (to ``near``: the
    recording's creation, else now), a wave at a time, stopping at the first
    wave that holds it.
    """
    events = list_events(credentials=credentials, event_filter=EventFilter(labels=(series.series_label,)))
    ordered = sorted(events, key=lambda e: abs((e.start_date - near).total_seconds()))
    for first in range(0, len(ordered), SESSION_LOOKUPS_AT_ONCE):
        wave = ordered[first : first + SESSION_LOOKUPS_AT_ONCE]
        found = in_parallel([partial(list_sessions, credentials=credentials, event_id=e.id) for e in wave])
        for event, sessions in zip(wave, found, strict=True):
            if any(s.id == session_id for s in sessions):
                return event
    return None


def observe_replay(
    credentials: KalturaCredentials | None, replay: PlannedReplay
) -> tuple[Event | None, bool]:
    """The replay if it exists, and whether it is finished (labeled); a leftover of a dead run is unfinished.

    Labels are written last, so a labeled replay is complete. A run that died
    before that left an unlabeled event, found by its exact name and start and
    finished; an event carrying another series' or replay's labels is never adopted.
    """
    labeled = list_events(credentials=credentials, event_filter=EventFilter(labels=(replay.encore_label,)))
    mine = sorted((e for e in labeled if replay.is_this(e.labels)), key=lambda e: e.id)
    if mine:
        return mine[0], True
    leftover = find_event(credentials=credentials, name=replay.name, start=replay.start_utc)
    if leftover is not None and not any(
        label.startswith(RESERVED_LABEL_PREFIXES) for label in leftover.labels
    ):
        return leftover, False
    return None, False


def make_replay(
    credentials: KalturaCredentials | None,
    replay: PlannedReplay,
    audience: ResolvedAudience | None,
    found: Event | None,
) -> tuple[Event, str]:
    """Create (or finish) the replay: event, its SimuLive session, its audience, then the labels."""
    existing: list[Session] = []
    if found is None:
        event_id = create_event(
            credentials=credentials,
            name=replay.name,
            template_id=replay.template_id,
            start=replay.start_utc,
            end=replay.end_utc,
            timezone=replay.timezone,
        ).id
    else:
        event_id = found.id
        existing = list_sessions(credentials=credentials, event_id=event_id)
    if not any(s.name == replay.session_name for s in existing):
        create_session(
            credentials=credentials,
            event_id=event_id,
            name=replay.session_name,
            session_type="SimuLive",
            start=replay.start_utc,
            end=replay.end_utc,
            source_entry_id=replay.recording_entry_id,
        )
    people = converge_people(credentials, event_id, [], audience, observed=found is not None)
    event = update_event(
        credentials=credentials,
        event_id=event_id,
        start=replay.start_utc,
        end=replay.end_utc,
        labels=list(replay.labels),
    )
    return event, people.note


@dataclass(frozen=True)
class Candidate:
    """A series whose recordings this run may replay, and the roots its audience CSV is read inside."""

    series: AllHandsSeries
    roots: tuple[Root, ...]


def candidates(series: AllHandsSeries | None, path: str | None, series_key: str | None) -> list[Candidate]:
    """The series a run replays: the inline one, or the events file's (one by key, or all with an encore).

    Refused before any request, naming the parameter: both sources or neither,
    a file outside the work root, a key the file does not hold (with the
    closest one), or a standalone event's key. A file's audience CSVs are read
    inside its folder, as sync-events-file reads them; an inline series' inside
    the work root.
    """
    if (series is None) == (path is None):
        raise InvalidArgumentError(
            "series", {"series": series is not None, "path": path}, "give exactly one of series or path"
        )
    if series is not None:
        if series_key is not None:
            raise InvalidArgumentError("series_key", series_key, "only with path; series names its own key")
        return [Candidate(series, work_roots())]
    assert path is not None
    roots = work_roots()
    file = inside(path, "path", roots)
    events_file = load_events_file(file, shown_as=shown(file, roots))
    folder = (Root.of(events_file.directory or file.parent, "the events file's folder"),)
    if series_key is None:
        return [Candidate(s, folder) for s in events_file.series if s.encore is not None]
    return [Candidate(file_series(events_file, series_key), folder)]


@flow(
    name="schedule-encore",
    description="When a session's recording is ready, schedule its SimuLive replay in the encore's zone.",
    task_runner=thread_runner(),
)
@ends_in_one_line
def schedule_encore(
    entry_id: Annotated[str, Field(title="Recording entry id", description="The entry that became ready.")],
    series: AllHandsSeries | None = None,
    path: Annotated[
        str | None,
        Field(
            title="Events file",
            description="A kaltura-events.yaml (from the repository root) whose series are replayed; "
            "instead of series.",
        ),
    ] = None,
    series_key: Annotated[
        str | None,
        Field(
            title="Series key",
            description="The file's series to replay; empty: every series of the file with an encore.",
        ),
    ] = None,
    root_entry_id: Annotated[
        str | None,
        Field(
            title="Root entry id",
            description="The recorded session's id, when the notification carried it; empty: read it.",
        ),
    ] = None,
    credentials: KalturaCredentials | None = None,
    max_api_in_flight: ApiInFlight = DEFAULT_MAX_IN_FLIGHT,
    lock_wait_seconds: LockWaitSeconds = DEFAULT_LOCK_WAIT_SECONDS,
    now: NowForTesting = None,
) -> EncoreReport:
    """Schedule the replay of a series occurrence whose recording is ready.

    Args:
        entry_id: The recording entry that became ready (from the kaltura.entry.ready event).
        series: The series whose occurrences are replayed: its encore settings and audience; or give path.
        path: An events file whose series (with an encore:) are replayed, instead of series.
        series_key: With path: the one series of the file to replay; empty: each with an encore.
        root_entry_id: The recorded session's id (the entry's rootEntryId); empty: read with baseEntry.get.
        credentials: A saved Kaltura Credentials Block; empty uses the worker's KALTURA_* variables.
        max_api_in_flight: Most requests in flight from this run (at most that many kaltura-api slots).
        lock_wait_seconds: While another run writes the series, wait this long, then fail naming it.
        now: Leave empty; overrides the current time (for tests).
    """
    logger = get_run_logger()
    moment = (now or pendulum.now("UTC")).astimezone(pendulum.UTC)
    among = candidates(series, path, series_key)
    report = _decide(
        entry_id, among, root_entry_id, credentials, max_api_in_flight, lock_wait_seconds, moment
    )
    rows = [report.model_dump(exclude_none=True)]
    publish(["schedule-encore", report.series_key], rows, _summary(report))
    if report.action in ("not ours", "no encore", "too late"):
        logger.info("Nothing to do for entry %s: %s", entry_id, report.reason)
    return report


def _decide(
    entry_id: str,
    among: list[Candidate],
    root_entry_id: str | None,
    credentials: KalturaCredentials | None,
    max_api_in_flight: int,
    lock_wait_seconds: float,
    moment: datetime,
) -> EncoreReport:
    keys = ", ".join(repr(c.series.key) for c in among) or "(none)"
    shown = among[0].series.key if len(among) == 1 else keys
    report = EncoreReport(action="not ours", entry_id=entry_id, series_key=shown)
    with_encore = [c for c in among if c.series.encore is not None]
    if not with_encore:
        report.action, report.reason = "no encore", f"series {keys} has no encore settings"
        return report
    credentials = resolve(credentials)
    with run_api_limit(max_api_in_flight):
        near = moment
        root = root_entry_id
        if not root:
            entry = get_entry(credentials=credentials, entry_id=entry_id)
            root = entry.root_entry_id
            if entry.created_at:
                near = pendulum.from_timestamp(entry.created_at)
        if not root or root == entry_id:
            report.reason = "the entry is not a session's recording"
            return report
        found = None
        for candidate in with_encore:
            event = find_recorded_event(credentials, candidate.series, root, near)
            if event is not None:
                found = candidate, event
                break
    if found is None:
        report.reason = f"session {root} is in no event of series {keys}"
        return report
    candidate, event = found
    series = candidate.series
    assert series.encore is not None
    report.series_key = series.key
    audience = resolve_audience(series.audience, candidate.roots) if series.audience is not None else None
    report.original_event_id = event.id
    original = Original(
        event.id, event.name, event.start_date, event.end_date, event.timezone, tuple(event.labels)
    )
    if original_date_of(original, series.key) is None:
        report.reason = f"event {event.id} carries no kev-occ: label (a half-made occurrence)"
        return report
    replay = plan_replay(series.key, series.encore, original, entry_id)
    report.occurrence = replay.original_date.isoformat()
    report.replay_name = replay.name
    report.replay_local_start = replay.local_start.isoformat()
    report.replay_start_utc = replay.start_iso
    # The series' one writer from here: two notifications of one recording would both see no replay.
    # Taken outside the API limit: a run waiting for the series must hold no request slots.
    lock = series_lock(partner_of(credentials), series.key)
    with one_writer([lock], wait_seconds=lock_wait_seconds), run_api_limit(max_api_in_flight):
        existing, finished = observe_replay(credentials, replay)
        if existing is not None and finished:
            report.action, report.replay_event_id = "already scheduled", existing.id
            return report
        if existing is None and replay.start_utc <= moment:
            report.action = "too late"
            report.reason = f"the replay's start {replay.local_start.isoformat()} has passed"
            return report
        made, report.people = make_replay(credentials, replay, audience, existing)
    report.action = "created" if existing is None else "finished"
    report.replay_event_id = made.id
    return report


def _summary(report: EncoreReport) -> str:
    if report.replay_event_id is not None:
        return (
            f"Encore of {report.series_key} {report.occurrence}: {report.action}, event "
            f"{report.replay_event_id} at {report.replay_local_start} (recording {report.entry_id})."
        )
    return f"Encore of {report.series_key}: {report.action} for entry {report.entry_id}. {report.reason}"
