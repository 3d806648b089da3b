"""The attendance report as files people open: one CSV per occurrence, a series summary, a matrix.

The per-occurrence files are also the report's memory: an incremental run
reads only profiles updated since the last one and lays them over the
people these files list, so they are written whole, atomically, and read
back exactly as written.

Names come from registration forms, so cells are written spreadsheet-safe
(``csv_files``) and read back as they were.

Times are written on the event's own clock (ISO 8601 with its offset, the
zone in the summary's ``timezone`` column): a 10:00 New York town hall reads
10:00, not 15:00.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.validation import parse_iso_datetime
from kaltura_events.formats.csv_files import (
    cell,
    name_part,
    uncell,
    write_atomically,
    write_cells_atomically,
    write_csv_atomically,
)
from kaltura_events.formats.local_times import LocalTimes
from kaltura_events.planning.attendance import Attendance, Occurrence, SeriesReport, rate

OCCURRENCE_COLUMNS = ("email", "name", "status", "first_attended_at", "updated_at")
SUMMARY_COLUMNS = (
    "occurrence",
    "event_id",
    "name",
    "start",
    "timezone",
    "invited",
    "profiles",
    "registered",
    "confirmed",
    "attended",
    "attended_of_registered",
    "attended_of_invited",
    "problem",
)
MATRIX_FILE = "attendance-matrix.csv"
SUMMARY_FILE = "attendance-summary.csv"
CHART_FILE = "attendance-chart.png"


def occurrence_file(occurrence: Occurrence) -> str:
    """``occurrence-2027-03-04-event-12.csv``: sorts in series order, and names the event."""
    label = name_part(occurrence.label, "event")
    return f"occurrence-{label}-event-{occurrence.event_id}.csv"


def _when(occurrence: Occurrence, value: datetime | None) -> str:
    """On the event's clock, to the millisecond the services keep, so a file reads back exactly."""
    return occurrence.local(value).isoformat(timespec="milliseconds") if value is not None else ""


def _count(value: int | None) -> str:
    return "" if value is None else str(value)


def occurrence_rows(occurrence: Occurrence, people: Mapping[str, Attendance]) -> Iterator[tuple[str, ...]]:
    """By email, made as they are written: the cells of ``OCCURRENCE_COLUMNS``."""
    when = LocalTimes(occurrence).text
    status_cell = functools.lru_cache(maxsize=64)(cell)
    for _, seen in sorted(people.items()):
        yield (
            cell(seen.email),
            cell(seen.name),
            status_cell(seen.status),
            when(seen.first_attended_at),
            when(seen.updated_at),
        )


def matrix_rows(report: SeriesReport) -> Iterator[tuple[str, ...]]:
    """``report.matrix()`` as cells."""
    status_cell = functools.lru_cache(maxsize=64)(cell)
    for email, name, *statuses, attended in report.matrix():
        yield (cell(email), cell(name), *[status_cell(status) for status in statuses], attended)


def summary_rows(report: SeriesReport) -> list[dict[str, str]]:
    rows = []
    for item in report.occurrences:
        counts = item.counts
        occurrence = item.occurrence
        rows.append(
            {
                "occurrence": occurrence.label,
                "event_id": str(occurrence.event_id),
                "name": occurrence.name,
                "start": _when(occurrence, occurrence.start),
                "timezone": occurrence.timezone if occurrence.start is not None else "",
                "invited": _count(item.invited),
                "profiles": _count(counts.profiles if counts else None),
                "registered": _count(counts.registered if counts else None),
                "confirmed": _count(counts.confirmed if counts else None),
                "attended": _count(counts.attended if counts else None),
                "attended_of_registered": rate(counts.attended_of_registered) if counts else "",
                "attended_of_invited": rate(item.attended_of_invited),
                "problem": item.problem or "",
            }
        )
    return rows


def write_report_files(directory: Path, report: SeriesReport, chart_png: bytes) -> list[Path]:
    """Every file of one report; the paths written, in the order a person would open them."""
    written = []
    summary = directory / SUMMARY_FILE
    write_csv_atomically(summary, SUMMARY_COLUMNS, summary_rows(report))
    written.append(summary)
    chart = directory / CHART_FILE
    write_atomically(chart, chart_png)
    written.append(chart)
    matrix_columns = ["email", "name", *report.columns(), "attended"]
    matrix = directory / MATRIX_FILE
    write_cells_atomically(matrix, matrix_columns, matrix_rows(report))
    written.append(matrix)
    for item in report.occurrences:
        if not item.people_read:
            continue
        path = directory / occurrence_file(item.occurrence)
        write_cells_atomically(path, OCCURRENCE_COLUMNS, occurrence_rows(item.occurrence, item.people))
        written.append(path)
    return written


def read_occurrence_file(path: Path) -> dict[str, Attendance] | None:
    """The people an earlier report listed for an occurrence; None when there is no such file.

    A file that is not one of ours is refused, naming it: laying a fresh read
    over a wrong picture would report people who were never there.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if tuple(reader.fieldnames or ()) != OCCURRENCE_COLUMNS:
        expected = ", ".join(OCCURRENCE_COLUMNS)
        raise InvalidArgumentError(
            "output_dir", path.name, f"in {path.parent} is not an attendance file (columns {expected})"
        )
    people: dict[str, Attendance] = {}
    for line, row in enumerate(reader, start=2):
        try:
            values = {key: uncell(row[key] or "") for key in OCCURRENCE_COLUMNS}
            people[values["email"]] = Attendance(
                email=values["email"],
                name=values["name"],
                status=values["status"],
                first_attended_at=_parse(values["first_attended_at"]),
                updated_at=_parse(values["updated_at"]),
            )
        except (KeyError, TypeError, InvalidArgumentError) as exc:
            where = f"{path.name}:{line}"
            raise InvalidArgumentError("output_dir", where, f"unreadable row ({exc})") from None
    return people


def _parse(value: str) -> datetime | None:
    return parse_iso_datetime("updated_at", value) if value else None
