"""schedule_all_hands: keep a recurring all-hands series on the calendar over a rolling horizon.

plan (recurrence, pure) -> observe (label + date window, paged at 15) -> diff
-> apply in waves under the run's API limit: create, then sessions, then one
update that sets doors-open, labels and the completion marker. A converged
series costs only its list calls on a re-run; a run that died half-way is
finished by the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Annotated, Any

import pendulum
from prefect import flow
from prefect.logging import get_run_logger
from pydantic import BaseModel, Field

from flows.duplication import DuplicationRequest, PollSettings, run_duplications
from flows.parameters import ApiInFlight, DuplicationPolling, LockWaitSeconds, NowForTesting, Verify
from flows.people import PeopleOutcome, converge_people, plan_people
from flows.refusals import ends_in_one_line
from flows.reporting import publish
from flows.series_lock import DEFAULT_LOCK_WAIT_SECONDS, one_writer, partner_of, series_lock
from flows.series_repair import Triage, duplicate_action, held_prune, people_on, refusal, triage
from flows.teardown_events import run_cleanup
from flows.units import in_parallel, run_units
from kaltura_events.api.errors import KalturaError
from kaltura_events.api.events import EventFilter
from kaltura_events.api.models import Event, Session
from kaltura_events.api.validation import format_iso
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.formats.audience_csv import resolve_audience
from kaltura_events.formats.paths import work_roots
from kaltura_events.planning.audience import ResolvedAudience
from kaltura_events.planning.changes import (
    FieldChange,
    Standing,
    blocked,
    complete_labels,
    describe,
    event_changes,
    needs_sessions,
    occurrence_changes,
    session_changes,
    standing,
)
from kaltura_events.planning.labels import SERIES_LABEL_PREFIX
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_diff import (
    SeriesDiff,
    diff,
    event_occurrence_label,
    leftover_key,
    missing_sessions,
    occurrence_of,
)
from kaltura_events.planning.series_plan import PlannedEvent, PlannedSession, Window, horizon, plan
from tasks.api_limit import DEFAULT_MAX_IN_FLIGHT, run_api_limit, thread_runner
from tasks.clients import resolve
from tasks.events import create_event, find_event, list_events, update_event
from tasks.sessions import create_session, list_sessions


class OccurrenceRow(BaseModel):
    action: str
    occurrence: str
    """The occurrence's identity: its original local date (``kev-occ:``), unique in the series."""
    event_id: int | None
    name: str
    local_start: str
    start_utc: str
    changes: list[FieldChange] = Field(default_factory=list)
    """Each field apply sets (or set), with its value before, times in the series' zone."""
    note: str = ""
    """Why the row is there when its changes do not say, or what a person must do."""
    people: str = ""
    """What the run did (or would do) to the event's users: ``+invited ~updated -removed, N emails``."""

    def cells(self, *, structured: bool = False) -> dict[str, Any]:
        """The row as the table, markdown and ``--json`` show it; ``structured`` keeps each change apart."""
        row = self.model_dump()
        if not structured:
            row["changes"] = describe(self.changes)
        return row


class PersonChange(BaseModel):
    """One person on one occurrence's event: what the run did, so a person can be found in the UI."""

    occurrence: str
    event_id: int
    email: str
    action: str
    user_id: str | None
    error: str | None = None


class SeriesReport(BaseModel):
    series_key: str
    dry_run: bool
    created: list[OccurrenceRow] = Field(default_factory=list)
    updated: list[OccurrenceRow] = Field(default_factory=list)
    finished: list[OccurrenceRow] = Field(default_factory=list)
    unchanged: list[OccurrenceRow] = Field(default_factory=list)
    pruned: list[OccurrenceRow] = Field(default_factory=list)
    stale: list[OccurrenceRow] = Field(default_factory=list)
    """Future series events the plan no longer holds, kept because prune is off or people are on them."""
    duplicates: list[OccurrenceRow] = Field(default_factory=list)
    """Occurrences several events claim: which stays, which go, or why apply leaves them to a person."""
    held: list[OccurrenceRow] = Field(default_factory=list)
    """Occurrences whose sessions stayed at their old times after a move: only a person can move them."""
    failed: list[str] = Field(default_factory=list)
    people: list[PersonChange] = Field(default_factory=list)
    """Every invite, update and removal the run made, person by person."""
    waited: str = ""
    """Whom this run waited for before it could write the series (empty: it did not wait)."""

    def rows(self, *, structured: bool = False) -> list[dict[str, Any]]:
        groups = (
            self.duplicates,
            self.held,
            self.created,
            self.finished,
            self.updated,
            self.unchanged,
            self.pruned,
            self.stale,
        )
        return [row.cells(structured=structured) for group in groups for row in group]


class SeriesIncomplete(KalturaError):
    pass


@dataclass(frozen=True)
class Provisioned:
    """An occurrence's event after its unit, and what on it the API gives no way to mend."""

    event: Event
    left_behind: tuple[FieldChange, ...] = ()
    people: PeopleOutcome = field(default_factory=PeopleOutcome)
    added: tuple[str, ...] = ()
    """Sessions this unit made on an event that existed, by name."""


def _row(
    action: str,
    item: PlannedEvent | None,
    event: Event | None,
    note: str = "",
    people: str = "",
    changes: list[FieldChange] | None = None,
) -> OccurrenceRow:
    if item is not None:
        local, start, name = item.local_start.isoformat(), item.start_iso, item.name
        occurrence = item.original_date.isoformat()
    else:
        assert event is not None
        local = pendulum.instance(event.start_date).in_timezone(event.timezone).isoformat()
        start, name = format_iso(event.start_date), event.name
        occurrence = occurrence_of(event) or ""
    return OccurrenceRow(
        action=action,
        occurrence=occurrence,
        event_id=event.id if event else None,
        name=name,
        local_start=local,
        start_utc=start,
        changes=changes or [],
        note=note,
        people=people,
    )


def fix_by_hand(event: Event) -> str:
    """What a person does about sessions left behind; the event id, as no source documents a page URL."""
    return (
        f"the Events API cannot move a session: move these in Kaltura's Events admin, event {event.id}; "
        "every plan shows this row until they match"
    )


def _done_row(
    action: str, item: PlannedEvent, done: Provisioned, before: list[FieldChange] | None = None
) -> OccurrenceRow:
    """An applied occurrence: what changed on it, and what stayed behind for a person."""
    added = [FieldChange("sessions added", "", ", ".join(done.added))] if done.added else []
    changes = [*(before or []), *added, *done.left_behind]
    note = fix_by_hand(done.event) if done.left_behind else ""
    return _row(action, item, done.event, note, done.people.note, changes)


def observe(
    credentials: KalturaCredentials | None,
    series: AllHandsSeries,
    planned: list[PlannedEvent],
    window: Window,
) -> list[Event]:
    """The series' events by label in the window; unlabeled leftovers of a crashed run by name and start.

    The label query's cost is the series' own size, whatever else the account
    holds. An occurrence counts as present only when an event carries its
    ``kev-occ:`` label: every occurrence of "Weekly Team Sync" has that name,
    so a name says nothing about which one exists. The leftover search runs
    only when planned occurrences are missing, and adopts an unlabeled event
    only where its exact name and start are a missing occurrence's.
    """
    upper = None if series.prune else window.end
    labeled = list_events(
        credentials=credentials,
        event_filter=EventFilter(labels=(series.series_label,), start_gte=window.start, start_lte=upper),
    )
    present = {event_occurrence_label(e) for e in labeled}
    missing = [p for p in planned if p.occurrence_label not in present]
    if not missing:
        return labeled
    wanted = {p.leftover_key for p in missing}
    fragment = series.search_fragment()
    if fragment is not None:
        candidates = list_events(
            credentials=credentials,
            event_filter=EventFilter(search_term=fragment, start_gte=window.start, start_lte=window.end),
        )
        found = [e for e in candidates if leftover_key(e) in wanted]
    else:
        lookups = in_parallel(
            [partial(find_event, credentials=credentials, name=p.name, start=p.start_utc) for p in missing]
        )
        found = [e for e in lookups if e is not None]
    ids = {e.id for e in labeled}
    return labeled + [e for e in found if not _owned_by_a_series(e) and e.id not in ids]


def _owned_by_a_series(event: Event) -> bool:
    return any(label.startswith(SERIES_LABEL_PREFIX) for label in event.labels)


def _duplicate_all(
    credentials: KalturaCredentials | None,
    series: AllHandsSeries,
    items: list[PlannedEvent],
    poll: PollSettings,
) -> tuple[dict[str, int], dict[str, str]]:
    """Copies of the source event for ``items``, by occurrence; jobs are started and polled together."""
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
    made: dict[str, int] = {}
    failures: dict[str, str] = {}
    for item, outcome in zip(items, run_duplications(credentials, requests, poll), strict=True):
        if outcome.event_id is None:
            failures[item.occurrence_label] = str(outcome.error)
        else:
            made[item.occurrence_label] = outcome.event_id
    return made, failures


def provision_occurrence(
    credentials: KalturaCredentials | None,
    series: AllHandsSeries,
    item: PlannedEvent,
    *,
    found: Event | None = None,
    copy_id: int | None = None,
) -> Provisioned:
    """One occurrence in the guide's order: the event, its missing sessions, speakers, one final update.

    ``found`` is the event as observed (finish it); ``copy_id`` a fresh copy of
    the source event; neither means create it from the template. The final
    update sets times, doors-open, labels and the completion marker, so it
    goes last: an event is marked complete only once its sessions and
    speakers are in place. Sessions the spec now places elsewhere (a moved
    occurrence) stay where they are, as the API has no call to move one; they
    are logged and returned, and the report shows them.
    """
    existing: list[Session] = []
    left_behind: list[FieldChange] = []
    if found is not None:
        event_id = found.id
        existing = list_sessions(credentials=credentials, event_id=found.id)
        left_behind = blocked(session_changes(item, existing, series.timezone))
        if left_behind:
            get_run_logger().warning(
                "Event %s (%s): %s; the Events API has no call to change or delete a session,"
                " so change it in Kaltura's Events admin",
                event_id,
                item.name,
                describe(left_behind),
            )
    elif copy_id is not None:
        event_id = copy_id
    else:
        event = create_event(
            credentials=credentials,
            name=item.name,
            template_id=series.create_template_id,
            start=item.start_utc,
            end=item.end_utc,
            timezone=series.timezone,
            description=item.description or None,
            planned_labels=item.labels,
        )
        event_id = event.id
    missing = missing_sessions(item, existing)
    made = in_parallel([partial(_add_session, credentials, event_id, s, item.labels) for s in missing])
    session_ids = {s.name: s.id for s in (*existing, *made)}
    speakers = [(session_ids[s.name], s.speakers) for s in item.sessions]
    people = converge_people(credentials, event_id, speakers, item.audience, observed=found is not None)
    labels = complete_labels(item, held=bool(left_behind))
    if found is not None and set(found.labels) == set(labels) and not event_changes(item, found, "UTC"):
        event = found
    else:
        event = _final_update(credentials, item, event_id, found, labels)
    added = tuple(s.name for s in made) if found is not None else ()
    return Provisioned(event, tuple(left_behind), people, added)


def _update_only(credentials: KalturaCredentials | None, item: PlannedEvent, event: Event) -> Provisioned:
    return Provisioned(_final_update(credentials, item, event.id, event, list(item.labels)))


def _add_session(
    credentials: KalturaCredentials | None, event_id: int, session: PlannedSession, labels: tuple[str, ...]
) -> Session:
    return create_session(
        credentials=credentials,
        event_id=event_id,
        name=session.name,
        session_type=session.type,
        start=session.start_utc,
        end=session.end_utc,
        visibility=session.visibility,
        description=session.description,
        source_entry_id=session.source_entry_id,
        event_labels=labels,
    )


def _final_update(
    credentials: KalturaCredentials | None,
    item: PlannedEvent,
    event_id: int,
    seen: Event | None,
    labels: list[str],
) -> Event:
    """Times, doors-open and labels always; name and description only where the observed event differs.

    ``labels`` carry the spec marker, or the held marker where sessions stayed
    at their old times, so the next plan reads them again until a person moves them.
    """
    return update_event(
        credentials=credentials,
        event_id=event_id,
        name=item.name if seen is not None and seen.name != item.name else None,
        description=item.description
        if seen is not None and (seen.description or "") != item.description
        else None,
        start=item.start_utc,
        end=item.end_utc,
        doors_open=item.doors_open_utc,
        labels=labels,
    )


def apply(
    credentials: KalturaCredentials | None,
    series: AllHandsSeries,
    changes: SeriesDiff,
    poll: PollSettings,
    decided: Triage,
) -> SeriesReport:
    """Every occurrence that needs work is one unit; the units run at once under the run's API limit.

    The extra events of each duplicate ``decided`` allows to mend are deleted
    first; the mended occurrence's kept event is then finished like any
    observed one. Prunes come last, and only those nobody is on.
    """
    report = SeriesReport(series_key=series.key, dry_run=False)
    failures: dict[str, str] = {}
    units: dict[str, Callable[[], Provisioned]] = {}
    extra = [e for repair in decided.repairs for e in repair.delete]
    gone = _delete(credentials, extra, failures, "delete duplicate event")
    mended: list[tuple[PlannedEvent, Event]] = []
    for repair in decided.repairs:
        key = repair.item.occurrence_label
        row = _row(
            duplicate_action(repair, dry_run=False), repair.item, repair.keep, people=people_on(repair)
        )
        if repair.refused:
            failures[key] = refusal(repair)
        elif any(e.id not in gone for e in repair.delete):
            failures[key] = f"duplicate event(s) of {repair.keep.id} not deleted; re-run to mend"
            continue
        else:
            mended.append((repair.item, repair.keep))
            units[key] = partial(provision_occurrence, credentials, series, repair.item, found=repair.keep)
        report.duplicates.append(row)
    if series.source_event_id is None:
        for item in changes.create:
            units[item.occurrence_label] = partial(provision_occurrence, credentials, series, item)
    else:
        copies, copy_failures = _duplicate_all(credentials, series, changes.create, poll)
        failures.update(copy_failures)
        for item in changes.create:
            if item.occurrence_label in copies:
                units[item.occurrence_label] = partial(
                    provision_occurrence, credentials, series, item, copy_id=copies[item.occurrence_label]
                )
    for item, event in changes.finish:
        units[item.occurrence_label] = partial(provision_occurrence, credentials, series, item, found=event)
    for item, event in changes.update:
        units[item.occurrence_label] = partial(_update_only, credentials, item, event)
    results = run_units(units)
    done = _one_event_each(results.done, failures)
    report.created = [
        _done_row("created", item, done[item.occurrence_label])
        for item in changes.create
        if item.occurrence_label in done
    ]
    for item, seen in (*changes.finish, *mended, *changes.update):
        if item.occurrence_label in done:
            _file_applied(report, series, item, seen, done[item.occurrence_label])
    finished_items = [*changes.create, *(item for item, _ in (*changes.finish, *mended))]
    report.people = people_changes_of(
        [(item, done[item.occurrence_label]) for item in finished_items if item.occurrence_label in done]
    )
    failures.update(results.messages())
    report.unchanged = [_row("unchanged", item, event) for item, event in changes.unchanged]
    pruned = _delete(credentials, decided.prune, failures, "prune event")
    report.pruned = [
        _row("pruned", None, e, people=decided.occupancy[e.id].describe())
        for e in decided.prune
        if e.id in pruned
    ]
    for event in decided.held:
        occupancy = decided.occupancy[event.id]
        report.stale.append(
            _row("kept: people on it (prune refused)", None, event, people=occupancy.describe())
        )
        failures[f"prune event {event.id}"] = held_prune(event, occupancy)
    report.failed = [f"{what}: {why}" for what, why in failures.items()]
    for rows in (report.created, report.finished, report.updated, report.held):
        rows.sort(key=lambda row: row.start_utc)
    return report


def _file_applied(
    report: SeriesReport, series: AllHandsSeries, item: PlannedEvent, seen: Event, done: Provisioned
) -> None:
    """An observed occurrence after apply, in the group its plan row was: held, finished or updated."""
    before = event_changes(item, seen, series.timezone)
    kind = standing(item, seen)
    if done.left_behind:
        report.held.append(_done_row("updated; sessions need a person", item, done, before))
    elif kind is Standing.UNFINISHED:
        report.finished.append(_done_row("finished", item, done, before))
    elif kind is Standing.COMPLETE and not before:
        report.finished.append(_done_row("verified", item, done, before))
    else:
        report.updated.append(_done_row("updated", item, done, before))


def _delete(
    credentials: KalturaCredentials | None, events: list[Event], failures: dict[str, str], what: str
) -> set[int]:
    """Events with their categories, through the teardown's cleanup; the ids now gone."""
    if not events:
        return set()
    outcome = run_cleanup(
        credentials, [e.id for e in events], clean_categories=True, sweep_orphans=False, known=events
    )
    for event_id, why in outcome.failed_events.items():
        failures[f"{what} {event_id}"] = why
    return set(outcome.deleted_events) | set(outcome.events_already_gone)


def _one_event_each(done: dict[str, Provisioned], failures: dict[str, str]) -> dict[str, Provisioned]:
    """The units' results, minus any two occurrences that ended on one event: neither is reported done.

    Distinct starts and identity matching make this impossible by design; the
    check keeps the report from claiming N events where fewer exist if that
    design is ever broken, and the re-run that follows mends it.
    """
    owners: dict[int, list[str]] = {}
    for key, provisioned in done.items():
        owners.setdefault(provisioned.event.id, []).append(key)
    kept = dict(done)
    for event_id, keys in owners.items():
        if len(keys) > 1:
            for key in keys:
                del kept[key]
                failures[key] = f"event {event_id} also serves {', '.join(k for k in keys if k != key)}"
    return kept


def converge_series(
    credentials: KalturaCredentials | None,
    series: AllHandsSeries,
    *,
    moment: datetime,
    dry_run: bool,
    poll: PollSettings,
    audience: ResolvedAudience | None = None,
    verify: bool = False,
) -> SeriesReport:
    """Plan, observe, diff and (unless ``dry_run``) apply one series; the caller holds the API limit.

    ``audience`` is the series' audience as read from its spec (the caller
    reads the CSV, before any request). ``verify`` re-reads every event's
    sessions and people, even those whose completion marker says they converged.
    Failed occurrences are listed in ``report.failed``, not raised: a caller
    converging many series reports them together; a duplicate or prune that
    only a person may resolve is one of them. A refused KS still raises.
    """
    planned = plan(series, moment, audience)
    window = horizon(series, moment)
    observed = observe(credentials, series, planned, window)
    changes = diff(planned, observed, series, moment, verify=verify)
    decided = triage(credentials, series, changes, audience)
    stale = [_row("kept, not planned (prune is off)", None, event) for event in changes.stale]
    if not dry_run:
        applied = apply(credentials, series, changes, poll, decided)
        applied.stale[:0] = stale
        return applied
    report = SeriesReport(series_key=series.key, dry_run=True, stale=stale)
    report.duplicates = [
        _row(duplicate_action(r, dry_run=True), r.item, r.keep, note=r.note(), people=people_on(r))
        for r in decided.repairs
    ]
    report.created = [
        _row("would create", item, None, people=_people_plan(credentials, item, None))
        for item in changes.create
    ]
    _plan_observed(credentials, series, changes, report)
    report.unchanged = [_row("unchanged", item, event) for item, event in changes.unchanged]
    report.pruned = [
        _row("would prune", None, e, people=decided.occupancy[e.id].describe()) for e in decided.prune
    ] + [
        _row(
            "would refuse to prune: people on it",
            None,
            e,
            note=held_prune(e, decided.occupancy[e.id]),
            people=decided.occupancy[e.id].describe(),
        )
        for e in decided.held
    ]
    return report


def _plan_observed(
    credentials: KalturaCredentials | None, series: AllHandsSeries, changes: SeriesDiff, report: SeriesReport
) -> None:
    """The dry run's row for each observed occurrence apply would touch: every field before and after.

    Sessions are read only where :func:`needs_sessions` says the row depends on
    them, all at once; an event complete for the current spec costs no read.
    """
    reads = [event for item, event in changes.finish if needs_sessions(item, event)]
    found = in_parallel([partial(list_sessions, credentials=credentials, event_id=e.id) for e in reads])
    sessions = {event.id: listed for event, listed in zip(reads, found, strict=True)}
    for item, event in changes.finish:
        fields = occurrence_changes(item, event, series.timezone, sessions.get(event.id))
        people = _people_plan(credentials, item, event)
        kind = standing(item, event)
        if blocked(fields):
            action = "would update; " if len(blocked(fields)) < len(fields) else ""
            report.held.append(
                _row(f"{action}sessions need a person", item, event, fix_by_hand(event), people, fields)
            )
        elif kind is Standing.UNFINISHED:
            note = "left unfinished by an earlier run (no completion marker); apply completes it"
            report.finished.append(_row("would finish", item, event, note, people, fields))
        elif kind is Standing.HELD:
            note = "its sessions now match: apply marks it complete"
            report.updated.append(_row("would update", item, event, note, people, fields))
        elif kind is Standing.COMPLETE and not fields:
            report.finished.append(_row("would verify", item, event, "", people, fields))
        else:
            note = "" if fields else "the spec changed in sessions, speakers or audience only"
            report.updated.append(_row("would update", item, event, note, people, fields))
    for item, event in changes.update:
        fields = event_changes(item, event, series.timezone)
        note = "edited in Kaltura since it was applied: apply puts the file's values back"
        report.updated.append(_row("would update", item, event, note, changes=fields))
    for rows in (report.finished, report.updated, report.held):
        rows.sort(key=lambda row: row.start_utc)


def _people_plan(credentials: KalturaCredentials | None, item: PlannedEvent, event: Event | None) -> str:
    """A dry run's people column: counts from the event's users (none read for an event not made yet)."""
    sessions = [("", s.speakers) for s in item.sessions]
    outcome = plan_people(credentials, event.id if event else None, item.audience, sessions)
    return outcome.note


def people_changes_of(report_rows: list[tuple[PlannedEvent, Provisioned]]) -> list[PersonChange]:
    """One row per person per occurrence: 100,000 for a 50,000-person audience on two occurrences.

    Built without validation from values already typed, sharing one set of the fields given and one
    string per occurrence: a validated model kept its own set of 6 names, about a third of its size.
    """
    given = set(PersonChange.model_fields)  # every field: setting one later adds nothing to it
    changes = []
    for item, done in report_rows:
        occurrence = item.original_date.isoformat()
        changes += [
            PersonChange.model_construct(
                given,
                occurrence=occurrence,
                event_id=done.event.id,
                email=row.email,
                action=row.action,
                user_id=row.user_id,
                error=row.error,
            )
            for row in done.people.rows
        ]
    return changes


@flow(
    name="schedule-all-hands",
    description="Keep a recurring all-hands series on the calendar over a rolling horizon.",
    task_runner=thread_runner(),
)
@ends_in_one_line
def schedule_all_hands(
    series: AllHandsSeries,
    credentials: KalturaCredentials | None = None,
    dry_run: Annotated[
        bool, Field(title="Dry run", description="Compute and publish the plan; write nothing.")
    ] = False,
    max_api_in_flight: ApiInFlight = DEFAULT_MAX_IN_FLIGHT,
    poll: DuplicationPolling = PollSettings(),  # noqa: B008
    verify: Verify = False,
    lock_wait_seconds: LockWaitSeconds = DEFAULT_LOCK_WAIT_SECONDS,
    now: NowForTesting = None,
) -> SeriesReport:
    """Keep a recurring all-hands series on the calendar over a rolling horizon.

    Prefect takes the parameter descriptions the UI shows from this Args section.

    Args:
        series: What should be on the calendar: the rule, the time zone and what each occurrence holds.
        credentials: A saved Kaltura Credentials Block; empty uses the worker's KALTURA_* variables.
        dry_run: Compute and publish the plan; write nothing.
        max_api_in_flight: Most requests in flight from this run (at most that many kaltura-api slots).
        poll: How often and how long to wait for a duplication job; used where an event is copied.
        verify: Re-read every event's sessions and people, even where the completion marker says converged.
        lock_wait_seconds: While another run writes this series, wait this long, then fail naming it.
        now: Leave empty; overrides the current time (for tests and backfills).
    """
    moment = (now or pendulum.now("UTC")).astimezone(pendulum.UTC)
    audience = resolve_audience(series.audience, work_roots()) if series.audience is not None else None
    credentials = resolve(credentials)
    names = [] if dry_run else [series_lock(partner_of(credentials), series.key)]
    with one_writer(names, wait_seconds=lock_wait_seconds) as lock, run_api_limit(max_api_in_flight):
        report = converge_series(
            credentials, series, moment=moment, dry_run=dry_run, poll=poll, audience=audience, verify=verify
        )
    report.waited = lock.note
    if dry_run:
        publish(["schedule-all-hands", series.key, "plan"], report.rows(), _summary(report))
        return report
    publish(["schedule-all-hands", series.key], report.rows(), _summary(report))
    publish_people(["schedule-all-hands", series.key, "people"], report.people)
    if report.failed:
        raise SeriesIncomplete(
            f"{len(report.failed)} occurrence(s) not finished; re-run to converge: {report.failed[:5]}"
        )
    return report


def publish_people(key_parts: list[str], people: list[PersonChange]) -> None:
    """Every invite, update and removal, person by person: how the UI answers "what happened to Jane?"."""
    if people:
        failed = sum(1 for p in people if p.error)
        publish(
            key_parts,
            [p.model_dump() for p in people],
            f"{len(people)} change(s) to event users, {failed} failed.",
        )


def _summary(report: SeriesReport) -> str:
    noted = len(report.held)
    verb = "Plan" if report.dry_run else "Series"
    return (
        (f"{report.waited[0].upper()}{report.waited[1:]}. " if report.waited else "")
        + f"{verb} {report.series_key}: {len(report.created)} created, {len(report.finished)} finished, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged, {len(report.pruned)} pruned."
        + (f" {len(report.stale)} no longer planned, kept." if report.stale else "")
        + (
            f" {len(report.duplicates)} occurrence(s) claimed by more than one event: see the duplicate rows."
            if report.duplicates
            else ""
        )
        + (
            f" {noted} occurrence(s) need a change in Kaltura that the API cannot make: see the held rows."
            if noted
            else ""
        )
    )
