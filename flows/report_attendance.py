"""report_attendance: who registered and who came, per occurrence and across a series.

Kaltura keeps attendance in the User Profile service: an event's attendees
are the profiles of its App Registry app. The run maps events to apps (one
call per 15 events), reads each app's profiles and each event's users at once
under the run's API limit, counts each occurrence's funnel from
``reports/eventDataStats`` (so the counts are complete even when the run read
only what changed) and who was invited from the event's users
(``event-users/list``, folded into their names as the pages arrive), and
publishes a table, a chart and CSV files.

Each source that fails, or does not answer for an event, is a problem on that
occurrence's row, with its column left empty; the other occurrences and
columns are still reported, and the run then fails naming them.

Incremental: with an output directory, a series keeps a watermark per event
in a Prefect Variable, and the next run reads only profiles updated since
(``updatedAtGreaterThanOrEqual``, inclusive, as the guide advises) and lays
them over the people the last run's per-occurrence CSV lists. An event with
no such file, or no watermark, is read whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.futures import PrefectFuture, wait
from prefect.logging import get_run_logger
from prefect.variables import Variable
from pydantic import BaseModel, Field

from flows.parameters import ApiInFlight
from flows.refusals import ends_in_one_line
from flows.reporting import artifact_key, publish
from flows.selection import select_events
from flows.series_lock import one_writer, variable_lock
from kaltura_events.api.attendance_models import App
from kaltura_events.api.collector import fewer_collections
from kaltura_events.api.errors import CredentialsRefused, InvalidArgumentError, KalturaError
from kaltura_events.api.events import EventFilter
from kaltura_events.api.models import Event
from kaltura_events.api.validation import format_iso, parse_iso_datetime
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.formats.attendance_chart import attendance_chart, data_uri
from kaltura_events.formats.attendance_files import (
    CHART_FILE,
    occurrence_file,
    read_occurrence_file,
    summary_rows,
    write_report_files,
)
from kaltura_events.formats.paths import output_folder
from kaltura_events.planning.attendance import (
    Invited,
    Occurrence,
    OccurrenceReport,
    PeopleColumn,
    PeopleTable,
    SeriesReport,
    observed_counts,
    rate,
)
from kaltura_events.planning.labels import SERIES_LABEL_PREFIX
from kaltura_events.planning.selection import EventSelector
from kaltura_events.planning.series_diff import occurrence_of
from kaltura_events.planning.speakers import batches
from tasks.api_limit import DEFAULT_MAX_IN_FLIGHT, run_api_limit, thread_runner
from tasks.attendance import (
    APPS_PER_CALL,
    FoldedRead,
    count_attendance,
    find_event_apps,
    fold_event_users,
    fold_profiles,
)
from tasks.clients import resolve
from tasks.events import list_events

NO_APP = "no app in the App Registry for this event"
NO_EVENT = "no such event"
NO_STATS = "no counts: reports/eventDataStats had no row for app {guid}, and not all its profiles were read"
WATERMARK_PREFIX = "kaltura-attendance-"


class OccurrenceRow(BaseModel):
    """One occurrence; a count is None where its source did not answer, and ``problem`` says why."""

    occurrence: str
    event_id: int
    name: str
    start: datetime | None
    """On the event's clock (its ``timezone``)."""
    timezone: str = "UTC"
    invited: int | None = None
    """The event's users (Events Platform ``event-users/list``)."""
    profiles: int | None = None
    """The event app's User Profile profiles, whatever their status; the funnel's top."""
    registered: int | None = None
    confirmed: int | None = None
    attended: int | None = None
    attended_of_registered: str = ""
    attended_of_invited: str = ""
    profiles_read: int = 0
    problem: str | None = None


class AttendanceReport(BaseModel):
    """What the run found; ``files`` are where a person opens the report."""

    selected: list[int]
    occurrences: list[OccurrenceRow]
    people: int
    invited: int
    profiles: int
    registered: int
    attended: int
    files: list[str] = Field(default_factory=list)
    chart: str | None = None

    def summary(self) -> str:
        problems = sum(1 for row in self.occurrences if row.problem)
        text = (
            f"{len(self.occurrences)} occurrence(s), {self.people} people: {self.invited} invited, "
            f"{self.profiles} profiles, {self.registered} registered, {self.attended} attended"
        )
        return text + (f"; {problems} occurrence(s) not read in full" if problems else "")


def watermark_name(series_key: str) -> str:
    """A Variable name for a series key, one to one: Variable names allow no dots."""
    return WATERMARK_PREFIX + series_key.replace("_", "__").replace(".", "_d")


def _events_title(selector: EventSelector, event_ids: Sequence[int]) -> str:
    if selector.kind == "ended_before" and selector.ended_before is not None:
        return f"events ended before {selector.ended_before.isoformat()}"
    return "events " + ", ".join(str(i) for i in sorted(set(event_ids)))


def _subject(selector: EventSelector, event_ids: Sequence[int]) -> list[str]:
    """What the run reports, for its artifact keys: runs of different series or events never share one."""
    if selector.series_key:
        return ["series", selector.series_key]
    if selector.label:
        return ["label", selector.label]
    if selector.kind == "ended_before" and selector.ended_before is not None:
        return ["ended-before", selector.ended_before.isoformat()]
    return ["events", *(str(i) for i in sorted(set(event_ids)))]


def _label(event: Event) -> str:
    return occurrence_of(event) or str(event.id)


def _occurrences(
    credentials: KalturaCredentials, selector: EventSelector, event_ids: list[int], events: list[Event]
) -> tuple[list[Occurrence], list[int]]:
    """The selected events in series order, and the ids given that no event answers to."""
    if selector.kind == "event_ids":
        found: list[Event] = []
        for chunk in batches(event_ids, APPS_PER_CALL):
            found += list_events(credentials=credentials, event_filter=EventFilter(id_in=chunk))
        events = [e for e in found if e.id in set(event_ids)]
    elif selector.kind == "series_key" and not events:
        raise InvalidArgumentError(
            "selector.series_key",
            selector.series_key,
            f"no event carries the label {SERIES_LABEL_PREFIX}{selector.series_key}",
        )
    occurrences = sorted(
        (
            Occurrence(e.id, e.name, e.start_date, _label(e), e.timezone)
            for e in {e.id: e for e in events}.values()
        ),
        key=lambda o: (o.start or datetime.min.replace(tzinfo=timezone.utc), o.event_id),
    )
    missing = sorted(set(event_ids) - {o.event_id for o in occurrences})
    return occurrences, missing


def _find_apps(credentials: KalturaCredentials, event_ids: Sequence[int]) -> dict[int, App]:
    futures = [
        find_event_apps.submit(credentials=credentials, event_ids=list(chunk))
        for chunk in batches(event_ids, APPS_PER_CALL)
    ]
    apps: dict[int, App] = {}
    for future in futures:
        apps.update(future.result())
    return apps


def _count(
    credentials: KalturaCredentials, guids: Sequence[str]
) -> list[tuple[list[str], PrefectFuture[dict[str, dict[str, int]]]]]:
    """Submitted before the profile reads: one call each, it would otherwise wait behind every page."""
    return [
        (list(chunk), count_attendance.submit(credentials=credentials, app_guids=list(chunk)))
        for chunk in batches(guids, APPS_PER_CALL)
    ]


def _counted(
    counting: Sequence[tuple[list[str], PrefectFuture[dict[str, dict[str, int]]]]],
) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    """The counts per app GUID, and why an app has none: one failed call loses only its own apps."""
    counted: dict[str, dict[str, int]] = {}
    unread: dict[str, str] = {}
    for guids, future in counting:
        try:
            counted.update(future.result())
        except CredentialsRefused:
            raise  # no call can pass: the run ends in its one line, not one problem per app
        except KalturaError as exc:
            unread.update((guid, f"counts not read: {exc}") for guid in guids)
    return counted, unread


@dataclass
class _Memory:
    """What the last run left: per-event watermarks and, in the output directory, who it saw."""

    variable: str | None
    watermarks: dict[int, datetime]

    @staticmethod
    def locks(selector: EventSelector, incremental: bool, output: Path | None) -> list[str]:
        if not (incremental and output is not None and selector.series_key):
            return []
        return [variable_lock(watermark_name(selector.series_key))]

    @classmethod
    def load(cls, selector: EventSelector, incremental: bool, output: Path | None) -> _Memory:
        if not (incremental and output is not None and selector.series_key):
            return cls(None, {})
        name = watermark_name(selector.series_key)
        stored = Variable.get(name, default=None)
        marks: dict[int, datetime] = {}
        if isinstance(stored, dict):
            for event_id, when in (stored.get("updated_since") or {}).items():
                try:
                    marks[int(event_id)] = parse_iso_datetime("updated_since", when)
                except (ValueError, InvalidArgumentError):
                    continue
        return cls(name, marks)

    def save(self, reports: Sequence[OccurrenceReport], newest: dict[int, datetime]) -> None:
        if self.variable is None:
            return
        marks = dict(self.watermarks)
        for report in reports:
            event_id = report.occurrence.event_id
            if event_id in newest:
                marks[event_id] = max(newest[event_id], marks.get(event_id, newest[event_id]))
        value = {"updated_since": {str(k): format_iso(v) for k, v in sorted(marks.items())}}
        Variable.set(self.variable, value, overwrite=True)


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|")


def _markdown(title: str, report: AttendanceReport, png: bytes, files: Sequence[Path]) -> str:
    lines = [
        f"# Attendance: {title}",
        "",
        report.summary(),
        "",
        f"![Registered and attended]({data_uri(png)})",
    ]
    columns = ["occurrence", "event", "start", "invited", "profiles", "registered", "confirmed"]
    columns += ["attended", "att./reg.", "att./inv.", "problem"]
    lines += ["", "| " + " | ".join(columns) + " |", "|---|---|---|" + "---:|" * 7 + "---|"]
    for row in report.occurrences:
        start = f"{row.start:%Y-%m-%d %H:%M} {row.timezone}" if row.start else None
        cells = [row.occurrence, row.event_id, start, row.invited, row.profiles, row.registered]
        cells += [row.confirmed, row.attended, row.attended_of_registered, row.attended_of_invited]
        cells.append(row.problem)
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    if files:
        lines += ["", "Files: " + ", ".join(f"`{path}`" for path in files)]
    return "\n".join(lines)


def _rows(series: SeriesReport) -> list[OccurrenceRow]:
    rows = []
    for item in series.occurrences:
        counts = item.counts
        occurrence = item.occurrence
        rows.append(
            OccurrenceRow(
                occurrence=occurrence.label,
                event_id=occurrence.event_id,
                name=occurrence.name,
                start=occurrence.local(occurrence.start) if occurrence.start else None,
                timezone=occurrence.timezone,
                invited=item.invited,
                profiles=counts.profiles if counts else None,
                registered=counts.registered if counts else None,
                confirmed=counts.confirmed if counts else None,
                attended=counts.attended if counts else None,
                attended_of_registered=rate(counts.attended_of_registered) if counts else "",
                attended_of_invited=rate(item.attended_of_invited),
                profiles_read=item.profiles_read,
                problem=item.problem,
            )
        )
    return rows


@flow(
    name="report-attendance",
    description="Who registered and who came, per occurrence and across a series: a table, a chart, CSVs.",
    task_runner=thread_runner(),
)
@ends_in_one_line
def report_attendance(
    selector: EventSelector,
    credentials: KalturaCredentials | None = None,
    output_dir: Annotated[
        str | None,
        Field(
            title="Output directory",
            description="Where the CSVs and the chart go, inside the worker's work root; also what makes "
            "runs incremental.",
        ),
    ] = None,
    incremental: Annotated[
        bool,
        Field(
            title="Incremental",
            description="Read only profiles updated since the last run of this series (needs the output "
            "directory); totals stay complete.",
        ),
    ] = True,
    max_api_in_flight: ApiInFlight = DEFAULT_MAX_IN_FLIGHT,
) -> AttendanceReport:
    """Who registered and who came, per occurrence and across a series.

    Args:
        selector: Which events: a series key, event ids, a label (an events file's label) or an end date.
        credentials: A saved Kaltura Credentials Block; empty uses the worker's KALTURA_* variables.
        output_dir: Where the CSVs and the chart go, inside the worker's work root; also what makes runs
            incremental.
        incremental: Read only profiles updated since the last run of this series; totals stay complete.
        max_api_in_flight: Most requests this run has in flight at once.
    """
    logger = get_run_logger()
    # Checked before any call; inside the work root only, since the folder is also read (the last
    # run's CSVs).
    output = output_folder(output_dir, "output_dir")
    credentials = resolve(credentials)
    credentials.resolved_attendance_urls()  # a URL no rule gives fails here, before any call
    # Two reports of one series at once would read and advance one watermark and write one set of
    # files: the Variable is read and written under its own lock (a report of event ids keeps none).
    with one_writer(_Memory.locks(selector, incremental, output)):
        memory = _Memory.load(selector, incremental, output)
        with run_api_limit(max_api_in_flight):
            event_ids, events = select_events(credentials, selector)
            occurrences, missing = _occurrences(credentials, selector, event_ids, events)
            apps = _find_apps(credentials, [o.event_id for o in occurrences])
            counting = _count(credentials, [apps[o.event_id].id for o in occurrences if o.event_id in apps])
            # Each event's users folded into the names the report needs as their pages arrive: 12
            # occurrences of a 50,000-person invitation were 600,000 models held at once.
            invited = {o.event_id: Invited() for o in occurrences}
            invitees = {
                o.event_id: fold_event_users.submit(
                    credentials=credentials, event_id=o.event_id, into=invited[o.event_id]
                )
                for o in occurrences
            }
            reports: list[OccurrenceReport] = []
            # Profiles are folded into one table as their pages arrive, never held as models: a year
            # of a 50,000-person all-hands is 600,000 of them.
            table = PeopleTable(len(occurrences))
            columns: dict[int, PeopleColumn] = {}
            reads: dict[int, PrefectFuture[FoldedRead]] = {}
            previous: set[int] = set()
            for index, occurrence in enumerate(occurrences):
                app = apps.get(occurrence.event_id)
                reports.append(OccurrenceReport(occurrence, problems=[] if app else [NO_APP]))
                if app is None:
                    continue
                column = columns[occurrence.event_id] = table.column(index)
                earlier = read_occurrence_file(output / occurrence_file(occurrence)) if output else None
                since = memory.watermarks.get(occurrence.event_id) if earlier is not None else None
                if since is not None and earlier is not None:
                    previous.add(occurrence.event_id)
                    column.fold(earlier.values())
                del earlier
                reads[occurrence.event_id] = fold_profiles.submit(
                    credentials=credentials,
                    event_id=occurrence.event_id,
                    app_guid=app.id,
                    into=column,
                    updated_since=since,
                )
            pending: list[PrefectFuture[Any]] = [*reads.values(), *invitees.values()]
            wait(pending + [future for _, future in counting])
        counted, uncounted = _counted(counting)
        newest: dict[int, datetime] = {}
        failures: list[str] = []

        def failed(report: OccurrenceReport, problem: str) -> None:
            report.problems.append(problem)
            failures.append(f"event {report.occurrence.event_id}: {problem}")

        for report in reports:
            event_id = report.occurrence.event_id
            names: dict[str, str] = {}
            try:
                report.invited = invitees[event_id].result()
            except CredentialsRefused:
                raise
            except KalturaError as exc:
                failed(report, f"invited not read: {exc}")
            else:
                names = invited.pop(event_id).names
            if event_id not in reads:
                continue
            folded: FoldedRead | None = None
            try:
                folded = reads[event_id].result()
            except CredentialsRefused:
                raise
            except KalturaError as exc:
                failed(report, f"profiles not read: {exc}")
                columns[event_id].clear()  # half a read is no picture of who came
            if folded is not None:
                column = columns[event_id]
                column.name_from(names)
                report.profiles_read = folded.read
                report.people = column
                report.people_read = True
                if folded.newest is not None:
                    newest[event_id] = folded.newest
                elif event_id in memory.watermarks:
                    newest[event_id] = memory.watermarks[event_id]
            guid = apps[event_id].id
            if guid in uncounted:
                failed(report, uncounted[guid])
                continue
            fully_read = folded.read if folded is not None and event_id not in previous else None
            report.counts = observed_counts(counted.get(guid), fully_read)
            if report.counts is None:
                failed(report, NO_STATS.format(guid=guid))
        for event_id in missing:
            reports.append(
                OccurrenceReport(Occurrence(event_id, "", None, str(event_id)), problems=[NO_EVENT])
            )
        series = SeriesReport(reports)
        title = selector.series_key or selector.label or _events_title(selector, event_ids)
        png = attendance_chart(reports, f"Registered and attended: {title}")
        with fewer_collections():  # 600,000 rows made and written, each let go at once
            files = write_report_files(output, series, png) if output else []
        totals = series.totals()
        result = AttendanceReport(
            selected=[r.occurrence.event_id for r in reports],
            occurrences=_rows(series),
            people=len(series.people()),
            invited=series.invited(),
            profiles=totals.profiles,
            registered=totals.registered,
            attended=totals.attended,
            files=[str(path) for path in files],
            chart=next((str(p) for p in files if p.name == CHART_FILE), None),
        )
        memory.save([r for r in reports if r.people_read], newest)
        subject = _subject(selector, event_ids)
        publish(["attendance", *subject], summary_rows(series), result.summary())
        create_markdown_artifact(
            markdown=_markdown(title, result, png, files),
            key=artifact_key("attendance", *subject, "chart"),
            description=result.summary(),
        )
        for failure in failures:
            logger.error("Attendance not read for %s", failure)
        if files:
            logger.info("Attendance files in %s", output)
        if failures:
            short = len({failure.split(":", 1)[0] for failure in failures})
            raise AttendanceIncomplete(f"{short} occurrence(s) not read in full: " + "; ".join(failures))
    return result


class AttendanceIncomplete(KalturaError):
    """Some occurrence's profiles, counts or users went unread; the report has the rest, and says which."""
