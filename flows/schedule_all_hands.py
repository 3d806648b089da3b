"""schedule_all_hands: keep a recurring all-hands series on the calendar over a rolling horizon.

plan (recurrence, pure) -> observe (label + date window, paged at 15) -> diff
-> apply in waves under the run's API limit: create, then sessions, then one
update that sets doors-open, labels and the completion marker. A converged
series costs only its list calls on a re-run; a run that died half-way is
finished by the next one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import pendulum
from prefect import flow
from prefect.futures import PrefectFuture
from pydantic import BaseModel, Field

from flows.duplication import DuplicationRequest, PollSettings, run_duplications
from flows.pipeline import Pipeline, value
from flows.reporting import publish
from flows.teardown_events import run_cleanup
from kaltura_events.client import EventFilter
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.errors import AuthenticationError, KalturaError
from kaltura_events.fields import AwareDatetime
from kaltura_events.models import Event, Session
from kaltura_events.series import (
    SERIES_LABEL_PREFIX,
    AllHandsSeries,
    PlannedEvent,
    PlannedSession,
    SeriesDiff,
    Window,
    diff,
    horizon,
    missing_sessions,
    plan,
    times_match,
)
from kaltura_events.validation import format_iso
from tasks.events import create_event, find_event, list_events, update_event
from tasks.runtime import DEFAULT_MAX_IN_FLIGHT, run_api_limit, thread_runner
from tasks.sessions import create_session, list_sessions


class OccurrenceRow(BaseModel):
    action: str
    event_id: int | None
    name: str
    local_start: str
    start_utc: str


class SeriesReport(BaseModel):
    series_key: str
    dry_run: bool
    created: list[OccurrenceRow] = Field(default_factory=list)
    updated: list[OccurrenceRow] = Field(default_factory=list)
    finished: list[OccurrenceRow] = Field(default_factory=list)
    unchanged: list[OccurrenceRow] = Field(default_factory=list)
    pruned: list[OccurrenceRow] = Field(default_factory=list)
    stale: list[OccurrenceRow] = Field(default_factory=list)
    """Future series events the plan no longer holds, kept because prune is off."""
    failed: list[str] = Field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        groups = (self.created, self.finished, self.updated, self.unchanged, self.pruned, self.stale)
        return [row.model_dump() for group in groups for row in group]


class SeriesIncomplete(KalturaError):
    pass


def _row(action: str, item: PlannedEvent | None, event: Event | None) -> OccurrenceRow:
    if item is not None:
        local, start, name = item.local_start.isoformat(), item.start_iso, item.name
    else:
        assert event is not None
        local = pendulum.instance(event.start_date).in_timezone(event.timezone).isoformat()
        start, name = format_iso(event.start_date), event.name
    return OccurrenceRow(
        action=action, event_id=event.id if event else None, name=name, local_start=local, start_utc=start
    )


def observe(
    credentials: KalturaCredentials | None,
    series: AllHandsSeries,
    planned: list[PlannedEvent],
    window: Window,
) -> list[Event]:
    """The series' events by label in the window; unlabeled leftovers of a crashed run by name.

    The label query's cost is the series' own size, whatever else the account
    holds. The name search runs only when planned occurrences are missing.
    """
    upper = None if series.prune else window.end
    labeled = list_events(
        credentials, EventFilter(labels=(series.series_label,), start_gte=window.start, start_lte=upper)
    )
    names = {e.name for e in labeled}
    starts = {format_iso(e.start_date) for e in labeled}
    missing = [p for p in planned if p.name not in names and p.start_iso not in starts]
    if not missing:
        return labeled
    found: list[Event] = []
    fragment = series.search_fragment()
    if fragment is not None:
        candidates = list_events(
            credentials, EventFilter(search_term=fragment, start_gte=window.start, start_lte=window.end)
        )
        wanted = {p.name for p in missing}
        found = [e for e in candidates if e.name in wanted]
    else:
        futures = [find_event.submit(credentials, p.name, p.start_utc) for p in missing]
        found = [e for e in (f.result() for f in futures) if e is not None]
    foreign = [e for e in found if any(label.startswith(SERIES_LABEL_PREFIX) for label in e.labels)]
    ids = {e.id for e in labeled}
    return labeled + [e for e in found if e not in foreign and e.id not in ids]


def _duplicate_all(
    credentials: KalturaCredentials | None,
    series: AllHandsSeries,
    items: list[PlannedEvent],
    poll: PollSettings,
) -> tuple[list[tuple[PlannedEvent, int]], dict[str, str]]:
    requests = [
        DuplicationRequest(
            source_event_id=series.source_event_id or 0,
            name=item.name,
            timezone=series.timezone,
            start=item.start_utc,
            end=item.end_utc,
            description=item.description or None,
        )
        for item in items
    ]
    made: list[tuple[PlannedEvent, int]] = []
    failures: dict[str, str] = {}
    for item, outcome in zip(items, run_duplications(credentials, requests, poll), strict=True):
        if outcome.event_id is None:
            failures[item.name] = str(outcome.error)
        else:
            made.append((item, outcome.event_id))
    return made, failures


class _Provisioner:
    """Each occurrence's chain (create -> its sessions -> one update) advances as soon as its last step lands.

    The update sets doors-open, labels and the completion marker, so it goes
    last: an event is marked complete only once its sessions exist.
    """

    def __init__(
        self, credentials: KalturaCredentials | None, series: AllHandsSeries, report: SeriesReport
    ) -> None:
        self.credentials = credentials
        self.series = series
        self.report = report
        self.failures: dict[str, str] = {}
        """What did not finish, by occurrence name: its first failed step's message."""
        self.refused: AuthenticationError | None = None
        self.pipe = Pipeline()

    def _stopped(self, item: PlannedEvent, future: PrefectFuture[Any]) -> bool:
        """Whether this chain ends here: its step failed, or a refused KS means no later call could pass."""
        if not future.state.is_completed():
            self.failures.setdefault(item.name, str(future.state.message))
            error = future.state.result(raise_on_failure=False)
            if isinstance(error, AuthenticationError):
                self.refused = error
            return True
        return self.refused is not None

    def create(self, item: PlannedEvent) -> None:
        future = create_event.submit(
            self.credentials,
            item.name,
            self.series.create_template_id,
            item.start_utc,
            item.end_utc,
            self.series.timezone,
            item.description or None,
        )

        def created(done: PrefectFuture[Event]) -> None:
            if not self._stopped(item, done):
                self.sessions(item, value(done).id, list(item.sessions), None, "created")

        self.pipe.add(future, created)

    def finish(self, item: PlannedEvent, event: Event) -> None:
        """Add the sessions the event lacks; when its times moved, move them first so the sessions fit."""

        def retimed(done: PrefectFuture[Event]) -> None:
            if not self._stopped(item, done):
                self.pipe.add(list_sessions.submit(self.credentials, event.id), listed)

        def listed(done: PrefectFuture[list[Session]]) -> None:
            if not self._stopped(item, done):
                self.sessions(item, event.id, missing_sessions(item, value(done)), event, "finished")

        if times_match(item, event):
            self.pipe.add(list_sessions.submit(self.credentials, event.id), listed)
        else:
            future = update_event.submit(
                self.credentials,
                event.id,
                None,
                None,
                item.start_utc,
                item.end_utc,
                item.doors_open_utc,
                None,
            )
            self.pipe.add(future, retimed)

    def sessions(
        self,
        item: PlannedEvent,
        event_id: int,
        sessions: list[PlannedSession],
        seen: Event | None,
        action: str,
    ) -> None:
        if not sessions:
            self.update(item, event_id, seen, action)
            return
        remaining = [len(sessions)]
        broken: list[bool] = []

        def landed(done: PrefectFuture[Session]) -> None:
            broken.append(self._stopped(item, done))
            remaining[0] -= 1
            if remaining[0] == 0 and not any(broken):
                self.update(item, event_id, seen, action)

        for s in sessions:
            future = create_session.submit(
                self.credentials,
                event_id,
                s.name,
                s.type,
                s.start_utc,
                s.end_utc,
                s.visibility,
                s.description,
                s.source_entry_id,
            )
            self.pipe.add(future, landed)

    def update(self, item: PlannedEvent, event_id: int, seen: Event | None, action: str) -> None:
        rename = seen is not None and seen.name != item.name
        redescribe = seen is not None and (seen.description or "") != item.description
        future = update_event.submit(
            self.credentials,
            event_id,
            item.name if rename else None,
            item.description if redescribe else None,
            item.start_utc,
            item.end_utc,
            item.doors_open_utc,
            list(item.labels),
        )

        def updated(done: PrefectFuture[Event]) -> None:
            if not self._stopped(item, done):
                getattr(self.report, action).append(_row(action, item, value(done)))

        self.pipe.add(future, updated)


def apply(
    credentials: KalturaCredentials | None, series: AllHandsSeries, changes: SeriesDiff, poll: PollSettings
) -> SeriesReport:
    report = SeriesReport(series_key=series.key, dry_run=False)
    work = _Provisioner(credentials, series, report)
    if series.source_event_id is None:
        for item in changes.create:
            work.create(item)
    else:
        duplicated, failures = _duplicate_all(credentials, series, changes.create, poll)
        work.failures.update(failures)
        for item, event_id in duplicated:
            work.sessions(item, event_id, list(item.sessions), None, "created")
    for item, event in changes.finish:
        work.finish(item, event)
    for item, event in changes.update:
        work.update(item, event.id, event, "updated")
    work.pipe.run()
    if work.refused is not None:
        raise work.refused
    report.unchanged = [_row("unchanged", item, event) for item, event in changes.unchanged]
    if changes.prune:
        outcome = run_cleanup(
            credentials, [e.id for e in changes.prune], clean_categories=True, sweep_orphans=False
        )
        gone = set(outcome.deleted_events) | set(outcome.events_already_gone)
        report.pruned = [_row("pruned", None, e) for e in changes.prune if e.id in gone]
        for event_id, why in outcome.failed_events.items():
            work.failures[f"prune event {event_id}"] = why
    report.failed = [f"{what}: {why}" for what, why in work.failures.items()]
    for rows in (report.created, report.finished, report.updated):
        rows.sort(key=lambda row: row.start_utc)
    return report


def converge_series(
    credentials: KalturaCredentials | None,
    series: AllHandsSeries,
    *,
    moment: datetime,
    dry_run: bool,
    poll: PollSettings,
) -> SeriesReport:
    """Plan, observe, diff and (unless ``dry_run``) apply one series; the caller holds the API limit.

    Failed occurrences are listed in ``report.failed``, not raised: a caller
    converging many series reports them together. A refused KS still raises.
    """
    planned = plan(series, moment)
    window = horizon(series, moment)
    observed = observe(credentials, series, planned, window)
    changes = diff(planned, observed, series, moment)
    stale = [_row("kept, not planned (prune is off)", None, event) for event in changes.stale]
    if not dry_run:
        applied = apply(credentials, series, changes, poll)
        applied.stale = stale
        return applied
    report = SeriesReport(series_key=series.key, dry_run=True, stale=stale)
    report.created = [_row("would create", item, None) for item in changes.create]
    report.finished = [_row("would finish", item, event) for item, event in changes.finish]
    report.updated = [_row("would update", item, event) for item, event in changes.update]
    report.unchanged = [_row("unchanged", item, event) for item, event in changes.unchanged]
    report.pruned = [_row("would prune", None, event) for event in changes.prune]
    return report


@flow(
    name="schedule-all-hands",
    description="Keep a recurring all-hands series on the calendar over a rolling horizon.",
    task_runner=thread_runner(),
)
def schedule_all_hands(
    series: AllHandsSeries,
    credentials: KalturaCredentials | None = None,
    dry_run: Annotated[
        bool, Field(title="Dry run", description="Compute and publish the plan; write nothing.")
    ] = False,
    max_api_in_flight: Annotated[
        int,
        Field(ge=1, le=64, title="API requests in flight", description="Per-run cap on concurrent requests."),
    ] = DEFAULT_MAX_IN_FLIGHT,
    poll: Annotated[
        PollSettings,
        Field(title="Duplication polling", description="Used when the series duplicates an event."),
    ] = PollSettings(),  # noqa: B008
    now: Annotated[
        AwareDatetime | None,
        Field(title="Now (testing)", description="Leave empty; overrides the current time."),
    ] = None,
) -> SeriesReport:
    """Keep a recurring all-hands series on the calendar over a rolling horizon.

    Prefect takes the parameter descriptions the UI shows from this Args section.

    Args:
        series: What should be on the calendar: the rule, the time zone and what each occurrence holds.
        credentials: A saved Kaltura Credentials Block; empty uses the worker's KALTURA_* variables.
        dry_run: Compute and publish the plan; write nothing.
        max_api_in_flight: Most requests in flight from this run; it holds that many kaltura-api slots.
        poll: How to wait for duplication jobs; used when the series duplicates an event.
        now: Leave empty; overrides the current time (for tests and backfills).
    """
    moment = (now or pendulum.now("UTC")).astimezone(pendulum.UTC)
    with run_api_limit(max_api_in_flight):
        report = converge_series(credentials, series, moment=moment, dry_run=dry_run, poll=poll)
    if dry_run:
        publish(["schedule-all-hands", series.key, "plan"], report.rows(), _summary(report))
        return report
    publish(["schedule-all-hands", series.key], report.rows(), _summary(report))
    if report.failed:
        raise SeriesIncomplete(
            f"{len(report.failed)} occurrence(s) not finished; re-run to converge: {report.failed[:5]}"
        )
    return report


def _summary(report: SeriesReport) -> str:
    verb = "Plan" if report.dry_run else "Series"
    return (
        f"{verb} {report.series_key}: {len(report.created)} created, {len(report.finished)} finished, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged, {len(report.pruned)} pruned."
        + (f" {len(report.stale)} no longer planned, kept (prune is off)." if report.stale else "")
    )
