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
from flows.reporting import publish
from flows.teardown_events import run_cleanup
from kaltura_events.client import EventFilter
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.errors import KalturaError
from kaltura_events.models import Event, Session
from kaltura_events.series import (
    SERIES_LABEL_PREFIX,
    AllHandsSeries,
    PlannedEvent,
    SeriesDiff,
    Window,
    diff,
    horizon,
    missing_sessions,
    plan,
)
from kaltura_events.validation import format_iso
from tasks.events import create_event, find_event, list_events, update_event
from tasks.runtime import DEFAULT_MAX_IN_FLIGHT, set_api_limit, thread_runner
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
    failed: list[str] = Field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        groups = (self.created, self.finished, self.updated, self.unchanged, self.pruned)
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


def _create_all(
    credentials: KalturaCredentials | None,
    series: AllHandsSeries,
    items: list[PlannedEvent],
    poll: PollSettings,
) -> tuple[list[tuple[PlannedEvent, Event]], list[str]]:
    if series.source_event_id is not None:
        requests = [
            DuplicationRequest(
                source_event_id=series.source_event_id,
                name=item.name,
                timezone=series.timezone,
                start=item.start_utc,
                end=item.end_utc,
                description=item.description or None,
            )
            for item in items
        ]
        outcomes = run_duplications(credentials, requests, poll)
        made: list[tuple[PlannedEvent, Event]] = []
        failures: list[str] = []
        for item, outcome in zip(items, outcomes, strict=True):
            if outcome.event_id is None:
                failures.append(f"{item.name}: {outcome.error}")
            else:
                made.append((item, _placeholder(item, outcome.event_id, series)))
        return made, failures
    futures = [
        (
            item,
            create_event.submit(
                credentials,
                item.name,
                series.create_template_id,
                item.start_utc,
                item.end_utc,
                series.timezone,
                item.description or None,
            ),
        )
        for item in items
    ]
    return _collect(futures)


def _placeholder(item: PlannedEvent, event_id: int, series: AllHandsSeries) -> Event:
    """A duplicated event, known by id; its fields are set by the update that follows."""
    return Event(
        id=event_id,
        name=item.name,
        start_date=item.start_utc,
        end_date=item.end_utc,
        timezone=series.timezone,
    )


def _collect(
    futures: list[tuple[PlannedEvent, PrefectFuture[Event]]],
) -> tuple[list[tuple[PlannedEvent, Event]], list[str]]:
    done: list[tuple[PlannedEvent, Event]] = []
    failures: list[str] = []
    for item, future in futures:
        future.wait()
        if future.state.is_completed():
            done.append((item, future.result()))
        else:
            failures.append(f"{item.name}: {future.state.message}")
    return done, failures


def _add_sessions(
    credentials: KalturaCredentials | None,
    new: list[tuple[PlannedEvent, Event]],
    unfinished: list[tuple[PlannedEvent, Event]],
) -> tuple[list[tuple[PlannedEvent, Event]], list[str]]:
    """Sessions for new events, and for unfinished ones the sessions they lack (looked up by name)."""
    listings = {event.id: list_sessions.submit(credentials, event.id) for _, event in unfinished}
    work: list[tuple[PlannedEvent, Event, list[Session]]] = [(item, event, []) for item, event in new]
    failures: list[str] = []
    for item, event in unfinished:
        future = listings[event.id]
        future.wait()
        if future.state.is_completed():
            work.append((item, event, future.result()))
        else:
            failures.append(f"{item.name}: {future.state.message}")
    session_futures: dict[int, list[PrefectFuture[Session]]] = {}
    for item, event, existing in work:
        session_futures[event.id] = [
            create_session.submit(
                credentials,
                event.id,
                s.name,
                s.type,
                s.start_utc,
                s.end_utc,
                s.visibility,
                s.description,
                s.source_entry_id,
            )
            for s in missing_sessions(item, existing)
        ]
    ready: list[tuple[PlannedEvent, Event]] = []
    for item, event, _ in work:
        for session_future in session_futures[event.id]:
            session_future.wait()
        broken = [f.state for f in session_futures[event.id] if not f.state.is_completed()]
        if broken:
            failures.append(f"{item.name}: session create failed: {broken[0].message}")
        else:
            ready.append((item, event))
    return ready, failures


def _update_all(
    credentials: KalturaCredentials | None, pairs: list[tuple[PlannedEvent, Event]]
) -> tuple[list[tuple[PlannedEvent, Event]], list[str]]:
    futures = [
        (
            item,
            update_event.submit(
                credentials,
                event.id,
                item.name if event.name != item.name else None,
                item.description if (event.description or "") != item.description else None,
                item.start_utc,
                item.end_utc,
                item.doors_open_utc,
                list(item.labels),
            ),
        )
        for item, event in pairs
    ]
    return _collect(futures)


def apply(
    credentials: KalturaCredentials | None, series: AllHandsSeries, changes: SeriesDiff, poll: PollSettings
) -> SeriesReport:
    report = SeriesReport(series_key=series.key, dry_run=False)
    created, failures = _create_all(credentials, series, changes.create, poll)
    ready, session_failures = _add_sessions(credentials, created, changes.finish)
    updated, update_failures = _update_all(credentials, ready + changes.update)
    created_ids = {event.id for _, event in created}
    finish_ids = {event.id for _, event in changes.finish}
    for item, event in updated:
        action = "created" if event.id in created_ids else "finished" if event.id in finish_ids else "updated"
        getattr(report, action).append(_row(action, item, event))
    report.unchanged = [_row("unchanged", item, event) for item, event in changes.unchanged]
    if changes.prune:
        outcome = run_cleanup(
            credentials, [e.id for e in changes.prune], clean_categories=True, sweep_orphans=False
        )
        gone = set(outcome.deleted_events) | set(outcome.events_already_gone)
        report.pruned = [_row("pruned", None, e) for e in changes.prune if e.id in gone]
        failures += [f"prune {what}: {why}" for what, why in outcome.left]
    report.failed = failures + session_failures + update_failures
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
        datetime | None, Field(title="Now (testing)", description="Leave empty; overrides the current time.")
    ] = None,
) -> SeriesReport:
    set_api_limit(max_api_in_flight)
    moment = (now or pendulum.now("UTC")).astimezone(pendulum.UTC)
    planned = plan(series, moment)
    window = horizon(series, moment)
    observed = observe(credentials, series, planned, window)
    changes = diff(planned, observed, series, moment)
    if dry_run:
        report = SeriesReport(series_key=series.key, dry_run=True)
        report.created = [_row("would create", item, None) for item in changes.create]
        report.finished = [_row("would finish", item, event) for item, event in changes.finish]
        report.updated = [_row("would update", item, event) for item, event in changes.update]
        report.unchanged = [_row("unchanged", item, event) for item, event in changes.unchanged]
        report.pruned = [_row("would prune", None, event) for event in changes.prune]
        publish(["schedule-all-hands", series.key, "plan"], report.rows(), _summary(report))
        return report
    report = apply(credentials, series, changes, poll)
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
    )
