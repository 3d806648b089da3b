"""sync_events_file: converge every series and event of a ``kaltura-events.yaml`` in one run.

The file is loaded and every series planned before any request, so a bad
file fails naming its field. Then each series runs ``converge_series`` (plan,
observe, diff, apply: the schedule_all_hands code, unchanged) in its own
thread, all under the run's one API limit, beside one query for the file's
label that finds the events of series removed from the file. A dry run is the
same path with ``dry_run`` passed down: it is the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any, cast

import pendulum
from prefect import flow
from prefect.artifacts import create_link_artifact, create_markdown_artifact
from prefect.logging import get_run_logger
from pydantic import BaseModel, Field

from flows.duplication import PollSettings
from flows.file_messages import SendRow, TemplatesReport, converge_file_templates, upcoming_sends
from flows.parameters import ApiInFlight, DuplicationPolling, LockWaitSeconds, NowForTesting, Verify
from flows.refusals import ends_in_one_line
from flows.reporting import artifact_key, publish
from flows.schedule_all_hands import SeriesReport, converge_series, publish_people
from flows.series_lock import DEFAULT_LOCK_WAIT_SECONDS, file_lock, one_writer, partner_of, series_lock
from flows.sync_team_members import RosterReport, converge_roster, summarize_roster
from flows.teardown_events import run_cleanup
from flows.units import in_parallel, run_units
from kaltura_events.api.errors import KalturaError
from kaltura_events.api.events import EventFilter
from kaltura_events.api.models import Event
from kaltura_events.api.validation import format_iso
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.formats.calendar_feed import write_calendars
from kaltura_events.formats.events_file import EventsFile, Target, load_events_file, targets
from kaltura_events.formats.paths import inside, shown, work_roots
from kaltura_events.planning.labels import SERIES_LABEL_PREFIX
from kaltura_events.planning.series_diff import occurrence_of
from tasks.api_limit import DEFAULT_MAX_IN_FLIGHT, run_api_limit, thread_runner
from tasks.clients import resolve
from tasks.events import list_events

CHANGE_GROUPS = ("created", "finished", "updated", "pruned")
COLUMNS = ("series", "occurrence", "action", "event_id", "name", "local_start", "changes", "people", "note")
"""A plan row's cells, in the order the terminal, the markdown, the artifact and ``--json`` give them."""


class OrphanRow(BaseModel):
    series_key: str
    occurrence: str
    event_id: int
    name: str
    local_start: str
    action: str


class TargetReport(BaseModel):
    """One series or standalone event of the file, as converge_series reported it."""

    where: str
    kind: str
    report: SeriesReport | None = None
    past: bool = False
    note: str = ""
    """Why a target is left alone though it is no error, e.g. its next occurrence is beyond the horizon."""


class FileReport(BaseModel):
    file: str
    name: str
    dry_run: bool
    prune_removed: bool
    targets: list[TargetReport] = Field(default_factory=list)
    orphans: list[OrphanRow] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)
    calendars: list[str] = Field(default_factory=list)
    team: RosterReport | None = None
    templates: list[TemplatesReport] = Field(default_factory=list)
    """Each series' email templates, converged (or to converge) in its occurrences' apps."""
    sends: list[SendRow] = Field(default_factory=list)
    """Upcoming sends, announced: they happen at their time (send-messages), never on apply."""
    waited: str = ""
    """Whom this run waited for before it could write the file's series (empty: it did not wait)."""

    def counts(self) -> dict[str, int]:
        totals = dict.fromkeys((*CHANGE_GROUPS, "unchanged", "duplicates", "held"), 0)
        for target in self.targets:
            if target.report is not None:
                for group in totals:
                    totals[group] += len(getattr(target.report, group))
        totals["orphaned"] = len(self.orphans)
        return totals

    def changes(self) -> int:
        """What a plan would do (or an apply did): the count ``plan`` turns into exit code 2.

        A duplicated occurrence counts whether apply would mend it or leave it
        to a person: either way the plan is not clean. So do sessions left at
        their old times, until a person moves them.
        """
        counts = self.counts()
        removed = counts["orphaned"] if self.prune_removed else 0
        team = len(self.team.created) + len(self.team.updated) + len(self.team.deleted) if self.team else 0
        changed = sum(counts[group] for group in CHANGE_GROUPS)
        templates = sum(t.writes() for t in self.templates)  # sends are announced, not changes
        return changed + counts["duplicates"] + counts["held"] + removed + team + templates

    def left_to_a_person(self) -> str:
        """After an apply, what no re-run can converge: one line saying what to fix and where, or "".

        Sessions a move left at their old times are the case today: the Events
        API has no call to move one, so the run did all it could, yet the file
        is not what Kaltura holds. ``apply`` turns this line into exit code 2,
        so a green run never hides it. Each held row's note names its event too.
        """
        held = [row for t in self.targets if t.report is not None for row in t.report.held]
        if not held:
            return ""
        events = ", ".join(str(row.event_id) for row in held)
        return (
            f"{len(held)} occurrence(s) have sessions the Events API cannot move: move them in Kaltura's "
            f"Events admin, event(s) {events} (each row's note shows the times); every plan shows them "
            "until they match"
        )

    def rows(self, *, structured: bool = False) -> list[dict[str, Any]]:
        """One row per occurrence (or orphan, or team member), with :data:`COLUMNS`.

        ``structured`` keeps each field change as ``{field, before, after,
        converges}`` for ``--json``; otherwise they are one readable cell.
        """
        empty: Any = [] if structured else ""
        rows: list[dict[str, Any]] = []
        for target in self.targets:
            if target.past:
                key = target.report.series_key if target.report else target.where
                action = f"note: {target.note}" if target.note else "left alone (past)"
                rows.append(_cells(empty, series=key, action=action))
            elif target.report is not None:
                for row in target.report.rows(structured=structured):
                    rows.append(_cells(empty, series=target.report.series_key, **row))
        rows += [
            _cells(
                empty,
                series=o.series_key,
                action=o.action,
                occurrence=o.occurrence,
                event_id=o.event_id,
                name=o.name,
                local_start=o.local_start,
            )
            for o in self.orphans
        ]
        if self.team is not None:
            rows += [
                _cells(empty, series="team", action=m.action, name=m.email)
                for m in (*self.team.created, *self.team.updated, *self.team.deleted)
            ]
        verb = {"create": "created", "update": "updated", "delete": "deleted"}
        for templates in self.templates:
            for change in templates.changes:
                done = f"would {change.action}" if self.dry_run else verb[change.action]
                rows.append(
                    _cells(
                        empty,
                        series=templates.series_key,
                        action=f"{done} template {change.name} in {change.apps} event app"
                        + ("" if change.apps == 1 else "s"),
                        note=change.note,
                    )
                )
        rows += [
            _cells(
                empty,
                series=s.series_key,
                occurrence=s.occurrence,
                action=f"{'would' if self.dry_run else 'will'} send {s.text}",
            )
            for s in self.sends
        ]
        return rows

    def summary(self) -> str:
        counts = self.counts()
        verb = "would be" if self.dry_run else "were"
        changed = ", ".join(f"{counts[g]} {verb} {g}" for g in CHANGE_GROUPS)
        orphan_fate = ("would be deleted" if self.dry_run else "deleted") if self.prune_removed else "kept"
        team = f" Team: {summarize_roster(self.team)}" if self.team else ""
        waited = f" It {self.waited} first." if self.waited else ""
        duplicates = (
            f" {counts['duplicates']} occurrence(s) claimed by more than one event: see the duplicate rows."
            if counts["duplicates"]
            else ""
        )
        held = (
            f" {counts['held']} occurrence(s) with sessions the API cannot move: see the notes."
            if counts["held"]
            else ""
        )
        return (
            f"{self.file}: {changed}; {counts['unchanged']} left alone; "
            f"{counts['orphaned']} orphaned ({orphan_fate}).{duplicates}{held}{team}{self._messages()}"
            f"{waited}"
        )

    def _messages(self) -> str:
        """Templates written and sends ahead, and events whose app the App Registry does not know yet."""
        if not self.templates and not self.sends:
            return ""
        writes = sum(t.writes() for t in self.templates)
        verb = "would be written" if self.dry_run else "written"
        text = f" Templates: {writes} {verb}; {len(self.sends)} send(s) ahead, each at its time."
        unknown = [e for t in self.templates for e in t.unknown]
        if unknown:
            text += (
                f" {len(unknown)} event(s) not yet in the App Registry ({', '.join(map(str, unknown[:5]))}"
                f"{', ...' if len(unknown) > 5 else ''}): their templates come with a later run."
            )
        return text

    def markdown(self) -> str:
        """The plan for a pull-request comment: changes in full, unchanged events counted per series."""
        title = "Plan" if self.dry_run else "Applied"
        lines = [f"### kaltura-events {title.lower()}: `{self.file}`", "", self.summary(), ""]
        changed = [r for r in self.rows() if r["action"] != "unchanged"]
        if changed:
            lines += [
                "| Series | Occurrence | Action | Event id | Name | Local start | Changes | People | Note |",
                "|---|---|---|---|---|---|---|---|---|",
            ]
            lines += [
                f"| {r['series']} | {r['occurrence']} | {r['action']} | {r['event_id'] or ''} | "
                f"{_cell(r['name'])} | {r['local_start']} | {_cell(r['changes'])} | {_cell(r['people'])} | "
                f"{_cell(r['note'])} |"
                for r in changed
            ]
            lines.append("")
        same = {t.report.series_key: len(t.report.unchanged) for t in self.targets if t.report}
        unchanged = ", ".join(f"{key}: {n}" for key, n in same.items() if n)
        if unchanged:
            lines += [f"Unchanged: {unchanged}.", ""]
        if self.orphans and not self.prune_removed:
            lines += [
                "Orphaned events belong to series no longer in the file; set `prune_removed: true` "
                "to delete them and their categories.",
                "",
            ]
        if self.calendars:
            lines += ["Calendars: " + ", ".join(f"`{path}`" for path in self.calendars), ""]
        if self.failed:
            lines += ["**Failed:**", *[f"- {_cell(f)}" for f in self.failed], ""]
        if not self.dry_run and self.left_to_a_person():
            lines += [f"**Left to a person:** {_cell(self.left_to_a_person())}.", ""]
        return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _cells(empty: Any, **given: Any) -> dict[str, Any]:
    """A row with every column, in :data:`COLUMNS` order; what ``given`` lacks is blank."""
    return {
        column: given.get(column, empty if column == "changes" else None if column == "event_id" else "")
        for column in COLUMNS
    }


class SyncIncomplete(KalturaError):
    """Something of the file could not be planned or applied; the run fails, a plan's too.

    ``report`` is the rest of the work, so the CLI still prints the plan it
    could make beside what failed (only in-process: it does not survive pickling).
    """

    def __init__(self, message: str, report: FileReport | None = None) -> None:
        super().__init__(message)
        self.report = report


ORPHAN_QUERY_PARTS = 8
TEAM_UNIT = "team:"
"""The team's unit key beside the series' own; a colon is in no series key, so they cannot collide."""
ORPHAN_DELETE_FAILED = "orphaned: delete failed"


def find_orphans(
    credentials: KalturaCredentials | None,
    events_file: EventsFile,
    planned: list[Target],
    moment: datetime,
) -> list[Event]:
    """Future events this file made (its label) whose series is no longer in the file.

    Only events carrying the file's label are candidates, so nothing the file
    did not make is ever reported, let alone deleted. The query holds every
    future event of the file, so it is split into date windows read at once:
    its pages are otherwise read one after another (each offset follows the
    last) and would be the longest chain of a converged run.
    """
    keys = {t.key for t in planned}
    last = max((p.start_utc for t in planned for p in t.planned), default=moment)
    step = (last - moment) / ORPHAN_QUERY_PARTS
    edges = [moment + step * i for i in range(ORPHAN_QUERY_PARTS)] if step.total_seconds() > 0 else [moment]
    windows = [
        EventFilter(
            labels=(events_file.file_label,),
            start_gte=start,
            start_lte=edges[i + 1] if i + 1 < len(edges) else None,
        )
        for i, start in enumerate(edges)
    ]
    pages = in_parallel([partial(list_events, credentials=credentials, event_filter=w) for w in windows])
    made = {e.id: e for events in pages for e in events}
    return [
        e
        for e in made.values()
        if _series_key(e) not in keys and e.start_date.astimezone(pendulum.UTC) > moment
    ]


def _series_key(event: Event) -> str | None:
    return next(
        (
            label[len(SERIES_LABEL_PREFIX) :]
            for label in event.labels
            if label.startswith(SERIES_LABEL_PREFIX)
        ),
        None,
    )


def converge_file(
    credentials: KalturaCredentials | None,
    events_file: EventsFile,
    file: str,
    planned: list[Target],
    *,
    moment: datetime,
    dry_run: bool,
    poll: PollSettings,
    verify: bool = False,
) -> FileReport:
    """Every series is a unit, all at once beside the team; the caller holds the API limit.

    The orphan query pages through every event under the file's label, so it
    runs once the series are done: paged while an apply adds events under that
    label, its ``totalCount`` moves and the client refuses the partial listing
    (the E1 benchmark showed it when the query ran beside the series).
    """
    report = FileReport(
        file=file, name=events_file.name, dry_run=dry_run, prune_removed=events_file.prune_removed
    )
    live = {t.key: t for t in planned if t.planned}
    units: dict[str, Callable[[], object]] = {
        key: partial(
            converge_series,
            credentials,
            t.series,
            moment=moment,
            dry_run=dry_run,
            poll=poll,
            audience=t.planned[0].audience,
            verify=verify,
        )
        for key, t in live.items()
    }
    if events_file.team is not None:
        team = events_file.team
        units[TEAM_UNIT] = partial(
            converge_roster, credentials, team.members, remove_unlisted=team.remove_unlisted, dry_run=dry_run
        )
    results = run_units(units)
    orphans = find_orphans(credentials, events_file, planned, moment)
    failures = results.messages()
    if TEAM_UNIT in results.done:
        report.team = cast(RosterReport, results.done[TEAM_UNIT])
        report.failed += [f"team: {f}" for f in report.team.failed]
    elif TEAM_UNIT in failures:
        report.failed.append(f"team: {failures[TEAM_UNIT]}")
    for target in planned:
        entry = TargetReport(
            where=target.where, kind=target.kind, past=target.key not in live, note=target.note
        )
        done = results.done.get(target.key)
        entry.report = (
            cast(SeriesReport, done)
            if done is not None
            else SeriesReport(series_key=target.key, dry_run=dry_run)
        )
        report.failed += [f"{target.key}: {f}" for f in entry.report.failed]
        if target.key in failures:
            report.failed.append(f"{target.key}: {failures[target.key]}")
        report.targets.append(entry)
    done_series = {k: cast(SeriesReport, r) for k, r in results.done.items() if k != TEAM_UNIT}
    report.templates = converge_file_templates(credentials, planned, done_series, dry_run=dry_run)
    report.failed += [f"{t.series_key}: {f}" for t in report.templates for f in t.failed]
    report.sends = [row for t in planned if t.key in live for row in upcoming_sends(t, moment)]
    report.orphans = _handle_orphans(credentials, events_file, orphans, dry_run)
    report.failed += [
        f"{o.series_key}: orphaned event {o.event_id} not deleted"
        for o in report.orphans
        if o.action == ORPHAN_DELETE_FAILED
    ]
    return report


def file_locks(
    credentials: KalturaCredentials, events_file: EventsFile, planned: list[Target], dry_run: bool
) -> list[str]:
    """Every series the file writes, and the file itself (its orphans belong to no series it still
    names); a plan only reads and takes none."""
    if dry_run:
        return []
    partner = partner_of(credentials)
    return [file_lock(partner, events_file.name), *(series_lock(partner, t.key) for t in planned)]


def _handle_orphans(
    credentials: KalturaCredentials | None, events_file: EventsFile, orphans: list[Event], dry_run: bool
) -> list[OrphanRow]:
    gone: set[int] = set()
    if orphans and events_file.prune_removed and not dry_run:
        outcome = run_cleanup(
            credentials, [e.id for e in orphans], clean_categories=True, sweep_orphans=False, known=orphans
        )
        gone = set(outcome.deleted_events) | set(outcome.events_already_gone)
    if not events_file.prune_removed:
        action = "orphaned (kept)"
    else:
        action = "orphaned: would delete" if dry_run else "orphaned: deleted"
    rows = []
    for event in sorted(orphans, key=lambda e: (_series_key(e) or "", e.start_date)):
        failed = events_file.prune_removed and not dry_run and event.id not in gone
        rows.append(
            OrphanRow(
                series_key=_series_key(event) or "?",
                occurrence=occurrence_of(event) or "",
                event_id=event.id,
                name=event.name,
                local_start=pendulum.instance(event.start_date).in_timezone(event.timezone).isoformat(),
                action=ORPHAN_DELETE_FAILED if failed else action,
            )
        )
    return rows


@flow(
    name="sync-events-file",
    description="Converge every series and event of a kaltura-events.yaml; a dry run is the plan.",
    task_runner=thread_runner(),
)
@ends_in_one_line
def sync_events_file(
    path: Annotated[
        str,
        Field(
            title="Events file",
            description="Path of the kaltura-events.yaml, inside the worker's work root (by default the "
            "repository root).",
        ),
    ] = "examples/kaltura-events.yaml",
    credentials: KalturaCredentials | None = None,
    dry_run: Annotated[
        bool, Field(title="Dry run (plan)", description="Compute and publish the plan; write nothing.")
    ] = True,
    calendar_dir: Annotated[
        str | None,
        Field(
            title="Calendar directory",
            description="Write one .ics per series here (a web server's path), inside the worker's "
            "work root.",
        ),
    ] = None,
    calendar_url: Annotated[
        str | None,
        Field(
            title="Calendar URL",
            description="Where a web server serves the calendar directory; each feed is a link artifact.",
            pattern=r"^https?://",
        ),
    ] = None,
    max_api_in_flight: ApiInFlight = DEFAULT_MAX_IN_FLIGHT,
    poll: DuplicationPolling = PollSettings(),  # noqa: B008
    verify: Verify = False,
    lock_wait_seconds: LockWaitSeconds = DEFAULT_LOCK_WAIT_SECONDS,
    now: NowForTesting = None,
) -> FileReport:
    """Converge every series and event of a kaltura-events.yaml; a dry run is the plan.

    Prefect takes the parameter descriptions the UI shows from this Args section.

    Args:
        path: Path of the kaltura-events.yaml, inside the worker's work root (by default the repository root).
        credentials: A saved Kaltura Credentials Block; empty uses the worker's KALTURA_* variables.
        dry_run: Compute and publish the plan (what would be created, updated, pruned); write nothing.
        calendar_dir: Write one .ics calendar per series into this directory, inside the worker's work root.
        calendar_url: The URL a web server serves calendar_dir at; each feed is published as a link artifact.
        max_api_in_flight: Most requests in flight from this run, across all its series.
        poll: How often and how long to wait for a duplication job; used where an event is copied.
        verify: Re-read every event's sessions and people, even where the completion marker says converged.
        lock_wait_seconds: While another run writes one of the file's series, wait this long, then fail.
        now: Leave empty; overrides the current time (for tests and backfills).
    """
    moment = (now or pendulum.now("UTC")).astimezone(pendulum.UTC)
    roots = work_roots()
    file = inside(path, "path", roots)
    calendars = inside(calendar_dir, "calendar_dir", roots) if calendar_dir is not None else None
    name = shown(file, roots)
    events_file = load_events_file(file, shown_as=name)
    planned = targets(events_file, name, moment)
    credentials = resolve(credentials)
    with one_writer(
        file_locks(credentials, events_file, planned, dry_run), wait_seconds=lock_wait_seconds
    ) as lock:
        with run_api_limit(max_api_in_flight):
            report = converge_file(
                credentials,
                events_file,
                name,
                planned,
                moment=moment,
                dry_run=dry_run,
                poll=poll,
                verify=verify,
            )
        report.waited = lock.note
    if calendars is not None:
        ids = {
            (t.key, row.start_utc): row.event_id
            for t, entry in zip(planned, report.targets, strict=True)
            if entry.report is not None
            for row in (
                *entry.report.created,
                *entry.report.finished,
                *entry.report.updated,
                *entry.report.held,
                *entry.report.unchanged,
            )
        }
        written = write_calendars(
            calendars, planned, moment, lambda key, start: ids.get((key, format_iso(start)))
        )
        report.calendars = [str(p) for p in written]
        if calendar_url is not None:
            for feed in written:
                create_link_artifact(
                    link=f"{calendar_url.rstrip('/')}/{feed.name}",
                    link_text=feed.name,
                    key=artifact_key("calendar", events_file.name, feed.stem),
                    description=f"Calendar feed of {feed.stem}",
                )
    key = artifact_key("sync-events-file", events_file.name, "plan" if dry_run else "")
    create_markdown_artifact(markdown=report.markdown(), key=key, description=report.summary())
    publish(
        ["sync-events-file", events_file.name, "table" if not dry_run else "plan-table"],
        report.rows(),
        report.summary(),
    )
    if not dry_run:
        publish_people(
            ["sync-events-file", events_file.name, "people"],
            [p for t in report.targets if t.report is not None for p in t.report.people],
        )
    if not dry_run and report.left_to_a_person():
        # Logged, not Failed: a re-run cannot move a session, and "failed; re-run" would send the
        # reader the wrong way. The run's log and its markdown artifact carry the line; the CLI exits 2.
        get_run_logger().warning("Left to a person: %s", report.left_to_a_person())
    if report.failed:  # a plan that could not be made fails too: a green dry run would say "nothing to do"
        done = "could not be planned" if dry_run else "not finished; re-run to converge"
        raise SyncIncomplete(f"{len(report.failed)} item(s) {done}: {report.failed[:5]}", report)
    return report
