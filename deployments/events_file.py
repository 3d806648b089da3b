"""``kaltura-events plan|apply|attendance FILE``: run the file's flows from the command line.

``plan`` and ``apply`` run sync-events-file; ``attendance`` runs
report-attendance for one series of the file (``--series KEY``) or all of it.

``kaltura_events.cli`` starts this module as ``python -m deployments.events_file``
from the repository root, so the library never imports the flows. The flow
runs in this process against the Prefect server Prefect itself finds
(``PREFECT_API_URL`` in the environment, then the active profile), otherwise
against a Prefect server started for the run (as ``make demo`` does: the
ephemeral per-process server printed ERROR lines on shutdown). Such a server
is this command's alone, so an apply then also takes a lock file per series
beside Prefect's home, which other commands on this machine respect.

Exit codes, like ``terraform plan -detailed-exitcode``: 0 nothing to change
(or apply converged everything), 2 the plan has changes (sessions a move left
behind count until a person moves them) or apply left something only a person
can fix (those sessions; one line says which events), 1 an error (the file,
the API, or an apply that did not finish, a duplicate it had to leave among
them). ``--markdown`` and ``--json`` write the same rows the table prints.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pendulum

from deployments.local_server import PrefectServer, configured_api_url, prefect_home
from deployments.machine_lock import MachineLockBusy, machine_locks
from deployments.quiet_refusals import refusals_off_the_console
from kaltura_events.api.errors import InvalidArgumentError, KalturaError
from kaltura_events.environment import CredentialsError, settings_from_env
from kaltura_events.formats.events_file import (
    EventsFile,
    EventsFileError,
    file_selector,
    load_events_file,
    targets,
)
from kaltura_events.formats.paths import shown, work_roots
from kaltura_events.planning.selection import EventSelector

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
API_LIMIT = 8
DEFAULT_LOCK_WAIT_SECONDS = 300.0
"""As flows/series_lock.py's; repeated so that a mistyped file costs no Prefect import."""
LOCKS_DIR_NAME = "kaltura-events-locks"


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """The plan's changed rows; a column blank in every row is left out, so a terminal stays readable."""
    shown = tuple(c for c in columns if c in ("series", "action") or any(row.get(c) for row in rows))
    return _columns(shown, rows)


def plan_json(report: Any) -> str:
    """``--json``: the rows the table and the markdown show, each change as field, before and after."""
    document = {
        "file": report.file,
        "dry_run": report.dry_run,
        "summary": report.summary(),
        "changes": report.changes(),
        "counts": report.counts(),
        "rows": [row for row in report.rows(structured=True) if row["action"] != "unchanged"],
        "failed": report.failed,
    }
    return json.dumps(document, indent=2, default=str) + "\n"


def _columns(headers: tuple[str, ...], rows: list[dict[str, Any]], problem: str | None = None) -> str:
    """Aligned columns; a row's ``problem``, when there is one, stands in for its empty cells."""
    if problem is not None:
        headers = (*headers, problem)
    cells = [[str(row.get(h) if row.get(h) is not None else "") for h in headers] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)).rstrip() for cell in cells]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    # Prefect reads its settings on import: import it only once the environment is final.
    from flows.sync_events_file import COLUMNS, FileReport, SyncIncomplete, sync_events_file

    dry_run = args.command == "plan"
    try:
        with refusals_off_the_console():
            report = sync_events_file(
                path=args.file,
                dry_run=dry_run,
                calendar_dir=args.calendar_dir,
                max_api_in_flight=args.max_api_in_flight,
                lock_wait_seconds=args.lock_wait,
            )
    except SyncIncomplete as exc:
        if exc.report is None:
            print(f"kaltura-events {args.command}: {exc}", file=sys.stderr)
            return EXIT_ERROR
        report = exc.report  # the run failed; what it could do is still worth printing
    except (KalturaError, ValueError) as exc:
        print(f"kaltura-events {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    assert isinstance(report, FileReport)
    changed = [row for row in report.rows() if row["action"] != "unchanged"]
    if changed:
        print(_table(changed, COLUMNS))
    print(report.summary())
    if args.markdown:
        Path(args.markdown).write_text(report.markdown() + "\n", encoding="utf-8")
    if getattr(args, "json", None):
        Path(args.json).write_text(plan_json(report), encoding="utf-8")
    if report.failed:
        for failure in report.failed:
            print(f"failed: {failure}", file=sys.stderr)
        return EXIT_ERROR
    if dry_run:
        return EXIT_CHANGES if report.changes() else EXIT_OK
    left = report.left_to_a_person()
    if left:
        print(f"kaltura-events apply: {left}", file=sys.stderr)
        return EXIT_CHANGES
    return EXIT_OK


def run_attendance(args: argparse.Namespace, selector: EventSelector) -> int:
    from flows.report_attendance import AttendanceReport, report_attendance

    try:
        with refusals_off_the_console():
            report = report_attendance(
                selector=selector,
                output_dir=args.output_dir,
                incremental=not args.full,
                max_api_in_flight=args.max_api_in_flight,
            )
    except (KalturaError, ValueError) as exc:
        print(f"kaltura-events attendance: {exc}", file=sys.stderr)
        return EXIT_ERROR
    assert isinstance(report, AttendanceReport)
    rows = [row.model_dump(exclude={"start", "name"}) for row in report.occurrences]
    print(_attendance_table(rows))
    print(report.summary())
    if report.chart:
        print(f"chart: {report.chart}")
    for path in report.files:
        if path != report.chart:
            print(f"csv: {path}")
    return EXIT_OK


def _attendance_table(rows: list[dict[str, Any]]) -> str:
    headers = (
        "occurrence",
        "event_id",
        "invited",
        "registered",
        "confirmed",
        "attended",
        "attended_of_registered",
    )
    return _columns(headers, rows, problem="problem")


def _note_missing_limit(command: str) -> None:
    """Once per command, before its run: what ``kaltura-events setup`` adds, when the server lacks it."""
    from tasks.api_limit import missing_limit_note

    note = missing_limit_note()
    if note is not None:
        print(f"kaltura-events {command}: note: {note}", file=sys.stderr)


def _ensure_local_limit() -> None:
    from kaltura_events.credentials import ensure_api_limit

    ensure_api_limit(API_LIMIT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kaltura-events", description=__doc__)
    parser.add_argument("command", choices=("plan", "apply", "attendance"))
    parser.add_argument("file")
    parser.add_argument("--series", metavar="KEY", help="attendance: one series (or event) of the file")
    parser.add_argument("--output-dir", "-o", metavar="DIR", help="attendance: where the CSVs and chart go")
    parser.add_argument("--full", action="store_true", help="attendance: read every profile again")
    parser.add_argument("--markdown", metavar="PATH", help="also write the plan as markdown here")
    parser.add_argument("--json", metavar="PATH", help="also write the plan's rows as JSON here (for tools)")
    parser.add_argument("--calendar-dir", metavar="DIR", help="write one .ics per series here")
    parser.add_argument("--max-api-in-flight", type=int, default=API_LIMIT)
    parser.add_argument("--lock-wait", type=float, default=DEFAULT_LOCK_WAIT_SECONDS, metavar="SECONDS")
    args = parser.parse_args(argv)
    selector: EventSelector | None = None
    try:
        # Checked before any server starts: a typo costs a second, not a server start.
        # Named as the flow names it: relative to where the command was run (the first work root).
        name = shown(Path(args.file).resolve(), work_roots())
        events_file = load_events_file(args.file, shown_as=name)
        targets(events_file, name, pendulum.now("UTC"))
        if args.command == "attendance":
            selector = file_selector(events_file, args.series)
        # The flow reads the same variables; checked here, a missing export costs no server start.
        settings_from_env()
    except (EventsFileError, CredentialsError, InvalidArgumentError) as exc:
        print(f"kaltura-events {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    # Prefect reads its settings once, on import: everything it should see is set before.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

    def chosen() -> int:
        return run_attendance(args, selector) if selector is not None else run(args)

    configured = configured_api_url()
    if configured:
        try:
            _note_missing_limit(args.command)
        except httpx.HTTPError as exc:
            print(
                f"kaltura-events {args.command}: the Prefect server at {configured} did not answer "
                f"({type(exc).__name__}): start it, or unset PREFECT_API_URL to run on a server of "
                "this command's own",
                file=sys.stderr,
            )
            return EXIT_ERROR
        return chosen()
    print(
        "No Prefect server configured (PREFECT_API_URL, in the environment or the active Prefect "
        "profile): starting one for this run ...",
        file=sys.stderr,
    )
    locks = _machine_lock_names(events_file, args) if args.command == "apply" else []
    if locks:
        print(
            f"kaltura-events: this apply's lock is a file under {LOCKS_DIR_NAME}/ in {prefect_home()}: "
            "commands on this machine wait for each other, runs on other machines cannot see it.",
            file=sys.stderr,
        )
    try:
        with (
            machine_locks(prefect_home() / LOCKS_DIR_NAME, locks, args.lock_wait),
            PrefectServer() as server,
            server.in_this_process(),
        ):
            _ensure_local_limit()
            return chosen()
    except MachineLockBusy as exc:
        print(f"kaltura-events {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _machine_lock_names(events_file: EventsFile, args: argparse.Namespace) -> list[str]:
    """The names the flow locks on a server, so the file locks and the server's agree on what they guard."""
    from flows.series_lock import file_lock, partner_of, series_lock
    from kaltura_events.credentials import KalturaCredentials

    partner = partner_of(KalturaCredentials.from_env())
    planned = targets(events_file, args.file, pendulum.now("UTC"))
    return [file_lock(partner, events_file.name), *(series_lock(partner, t.key) for t in planned)]


if __name__ == "__main__":
    sys.exit(main())
