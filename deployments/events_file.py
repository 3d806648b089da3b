"""``kaltura-events plan|apply FILE``: run the sync-events-file flow from the command line.

``kaltura_events.cli`` starts this module as ``python -m deployments.events_file``
from the repository root, so the library never imports the flows. The flow
runs in this process against ``PREFECT_API_URL`` when it is set, otherwise
against a Prefect server started for the run (as ``make demo`` does: the
ephemeral per-process server printed ERROR lines on shutdown).

Exit codes, like ``terraform plan -detailed-exitcode``: 0 nothing to change
(or apply succeeded), 2 the plan has changes, 1 an error (the file, the API,
or an apply that did not finish).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pendulum

from deployments.local_server import PrefectServer
from kaltura_events.api.errors import InvalidArgumentError, KalturaError
from kaltura_events.environment import CredentialsError, settings_from_env
from kaltura_events.formats.events_file import EventsFileError, load_events_file, targets

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
API_LIMIT = 8


def _table(rows: list[dict[str, Any]]) -> str:
    headers = ("series", "occurrence", "action", "event_id", "name", "local_start", "people")
    cells = [[str(row.get(h) if row.get(h) is not None else "") for h in headers] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)).rstrip() for cell in cells]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    # Prefect reads its settings on import: import it only once the environment is final.
    from flows.sync_events_file import FileReport, sync_events_file

    dry_run = args.command == "plan"
    try:
        report = sync_events_file(
            path=args.file,
            dry_run=dry_run,
            calendar_dir=args.calendar_dir,
            max_api_in_flight=args.max_api_in_flight,
        )
    except (KalturaError, ValueError) as exc:
        print(f"kaltura-events {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    assert isinstance(report, FileReport)
    changed = [row for row in report.rows() if row["action"] != "unchanged"]
    if changed:
        print(_table(changed))
    print(report.summary())
    if args.markdown:
        Path(args.markdown).write_text(report.markdown() + "\n", encoding="utf-8")
    if report.failed:
        for failure in report.failed:
            print(f"failed: {failure}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_CHANGES if dry_run and report.changes() else EXIT_OK


def _ensure_local_limit() -> None:
    from kaltura_events.credentials import ensure_api_limit

    ensure_api_limit(API_LIMIT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kaltura-events", description=__doc__)
    parser.add_argument("command", choices=("plan", "apply"))
    parser.add_argument("file")
    parser.add_argument("--markdown", metavar="PATH", help="also write the plan as markdown here")
    parser.add_argument("--calendar-dir", metavar="DIR", help="write one .ics per series here")
    parser.add_argument("--max-api-in-flight", type=int, default=API_LIMIT)
    args = parser.parse_args(argv)
    try:
        # Checked before any server starts: a typo costs a second, not a server start.
        targets(load_events_file(args.file), args.file, pendulum.now("UTC"))
        # The flow reads the same variables; checked here, a missing export costs no server start.
        settings_from_env()
    except (EventsFileError, CredentialsError, InvalidArgumentError) as exc:
        print(f"kaltura-events {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    if os.environ.get("PREFECT_API_URL"):
        return run(args)
    print("PREFECT_API_URL is not set: starting a Prefect server for this run ...", file=sys.stderr)
    with PrefectServer() as server:
        os.environ.update(server.env())
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        _ensure_local_limit()
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
