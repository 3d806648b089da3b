"""``kaltura-events`` command line.

Each subcommand is one ``register_*`` function that adds its parser and sets
``handler``; a new subcommand (``credentials save NAME``, say) lives in its own
module and only adds its register function to ``SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kaltura_events.formats.paths import Root

Registrar = Callable[[Any], None]
"""Takes the ``add_subparsers()`` object; registers one subcommand with ``handler`` set."""


def _read_faults(path: str) -> dict[str, Any]:
    """A faults file is a list of rules, or ``{"rules": [...], "seed"?, "latency_ms"?, "jitter_ms"?}``."""
    data = json.loads(Path(path).read_text())
    if isinstance(data, list):
        return {"rules": data}
    if isinstance(data, dict):
        return data
    raise ValueError(f"{path}: expected a list of fault rules or an object with 'rules'")


def run_emulator(args: argparse.Namespace) -> int:
    from kaltura_events.emulator.config import EmulatorConfig
    from kaltura_events.emulator.faults import parse_rules
    from kaltura_events.emulator.server import is_loopback, serve_forever

    if not is_loopback(args.host) and not args.allow_remote:
        print(
            f"refusing to listen on {args.host}: the emulator has no real security; "
            "use a loopback address or pass --allow-remote",
            file=sys.stderr,
        )
        return 2
    settings: dict[str, Any] = {
        "partner_id": args.partner_id,
        "admin_secret": args.admin_secret,
        "latency_ms": args.latency_ms,
        "jitter_ms": args.jitter_ms,
        "duplicate_seconds": args.duplicate_seconds,
        "category_lock_seconds": args.category_lock_seconds,
        "hang_seconds": args.hang_seconds,
        "offset_mode": args.offset_mode,
        "first_event_id": args.first_event_id,
        "seed": args.seed,
    }
    try:
        if args.faults:
            faults = _read_faults(args.faults)
            settings["faults"] = faults.get("rules", [])
            parse_rules(settings["faults"])
            for name in ("seed", "latency_ms", "jitter_ms"):
                if name in faults and name not in args.explicit:
                    settings[name] = faults[name]
        config = EmulatorConfig(**settings)
    except (OSError, ValueError) as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    try:
        return serve_forever(config, args.host, args.port)
    except OSError as exc:
        print(f"emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1


class _Explicit(argparse.Action):
    """Store the value and remember it was given, so a faults file does not override it."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        namespace.explicit = {*getattr(namespace, "explicit", set()), self.dest}


def register_emulator(subparsers: Any) -> None:
    from kaltura_events.emulator.config import (
        ADMIN_SECRET_ENV,
        DEFAULT_ADMIN_SECRET,
        DEFAULT_PARTNER_ID,
        OFFSET_MODES,
    )

    parser = subparsers.add_parser(
        "emulator",
        help="run the local Events Platform, API v3, App Registry, User Profile and Messaging emulator",
        description="Serve a local emulator of Kaltura's Events Platform API and API v3 until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    parser.add_argument("--partner-id", type=int, default=DEFAULT_PARTNER_ID)
    parser.add_argument(
        "--admin-secret",
        default=os.environ.get(ADMIN_SECRET_ENV, DEFAULT_ADMIN_SECRET),
        help=f"the emulator's admin secret (default ${ADMIN_SECRET_ENV} or {DEFAULT_ADMIN_SECRET!r})",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, action=_Explicit)
    parser.add_argument("--jitter-ms", type=float, default=0.0, action=_Explicit)
    parser.add_argument(
        "--duplicate-seconds", type=float, default=2.0, help="how long a duplication job waits"
    )
    parser.add_argument("--category-lock-seconds", type=float, default=0.5)
    parser.add_argument("--hang-seconds", type=float, default=30.0, help="how long a timeout fault hangs")
    parser.add_argument(
        "--offset-mode",
        choices=OFFSET_MODES,
        default="skip",
        help="pager.offset as a skip count or a page index",
    )
    parser.add_argument("--first-event-id", type=int, default=1)
    parser.add_argument("--faults", metavar="FILE", help="JSON fault rules (a list, or {rules, seed?, ...})")
    parser.add_argument(
        "--seed", type=int, default=0, action=_Explicit, help="seed for faults, latency and ids"
    )
    parser.set_defaults(handler=run_emulator, explicit=set())


# -- setup on a Prefect server -----------------------------------------------------
# Prefect is imported inside the handlers, so `kaltura-events emulator` stays fast;
# hence these copies of kaltura_events.credentials' defaults (a test keeps them equal).
DEFAULT_WORK_POOL = "kaltura-events"
DEFAULT_CREDENTIALS_NAME = "kaltura"
DEFAULT_API_LIMIT = 8
API_LIMIT_NAME = "kaltura-api"


def _setup_step(step: Callable[[], str]) -> int:
    """Run one setup step; a known failure is one line on stderr and status 1, never a traceback."""
    import httpx
    from pydantic import ValidationError

    from kaltura_events.api.errors import KalturaError

    try:
        print(step(), flush=True)
    except ValidationError as exc:
        # hide_input_in_errors on the Block: the lines name fields, never values.
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'credentials'}: {e['msg']}" for e in exc.errors()
        )
        print(
            f"kaltura-events: KALTURA_* variables do not make valid credentials: {reasons}", file=sys.stderr
        )
        return 1
    except (KalturaError, ValueError) as exc:
        print(f"kaltura-events: {exc}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"kaltura-events: the Prefect API did not answer as expected: {exc}", file=sys.stderr)
        return 1
    return 0


def _register_block_type() -> str:
    from kaltura_events.credentials import KalturaCredentials, register_block_type

    register_block_type()
    return f"Block type {KalturaCredentials.get_block_type_slug()}: registered"


def _save_credentials(name: str, overwrite: bool) -> str:
    from kaltura_events.credentials import KalturaCredentials, describe_credentials, save_credentials_from_env

    outcome, saved = save_credentials_from_env(name, overwrite=overwrite)
    slug = KalturaCredentials.get_block_type_slug()
    return f"Credentials {slug}/{name}: {outcome} ({describe_credentials(saved)})"


def _ensure_limit(limit: int) -> str:
    from kaltura_events.credentials import ensure_api_limit

    outcome = ensure_api_limit(limit)
    return f"Global concurrency limit {API_LIMIT_NAME}: {outcome} (limit {limit})"


def _ensure_pool(name: str) -> str:
    from kaltura_events.credentials import ensure_work_pool

    return f"Work pool {name}: {ensure_work_pool(name)} (type process)"


def register_blocks(subparsers: Any) -> None:
    parser = subparsers.add_parser("blocks", help="Prefect Block types of this project")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    register = actions.add_parser(
        "register",
        help="register the KalturaCredentials Block type on the Prefect server (safe to repeat)",
    )
    register.set_defaults(handler=lambda args: _setup_step(_register_block_type))


def register_credentials(subparsers: Any) -> None:
    parser = subparsers.add_parser("credentials", help="KalturaCredentials Block documents")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    save = actions.add_parser(
        "save",
        help="save KALTURA_* environment variables as a KalturaCredentials Block",
        description=(
            "Save the KALTURA_* environment variables (the ones Kaltura's guides use) as a "
            "KalturaCredentials Block document on the Prefect server. Saving the same settings again "
            "changes nothing; different settings under an existing name need --overwrite. "
            "Secrets are never printed."
        ),
    )
    save.add_argument(
        "name",
        nargs="?",
        default=DEFAULT_CREDENTIALS_NAME,
        help=f"Block document name (default {DEFAULT_CREDENTIALS_NAME!r}, the one prefect.yaml uses)",
    )
    save.add_argument("--overwrite", action="store_true", help="replace a Block saved with other settings")
    save.set_defaults(handler=lambda args: _setup_step(lambda: _save_credentials(args.name, args.overwrite)))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def register_limits(subparsers: Any) -> None:
    parser = subparsers.add_parser("limits", help="the Prefect global concurrency limit on Kaltura requests")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help=f"create the {API_LIMIT_NAME!r} global concurrency limit, or update its size",
        description=(
            f"Every Kaltura API call of every flow run holds one slot of {API_LIMIT_NAME!r}, so the "
            "limit bounds requests in flight across all runs and workers. Re-running updates the size."
        ),
    )
    create.add_argument(
        "--limit", type=_positive, default=DEFAULT_API_LIMIT, help=f"slots (default {DEFAULT_API_LIMIT})"
    )
    create.set_defaults(handler=lambda args: _setup_step(lambda: _ensure_limit(args.limit)))


def register_work_pool(subparsers: Any) -> None:
    parser = subparsers.add_parser("work-pool", help="the process work pool the deployments use")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create the process work pool unless it exists")
    create.add_argument("name", nargs="?", default=DEFAULT_WORK_POOL, help=f"default {DEFAULT_WORK_POOL!r}")
    create.set_defaults(handler=lambda args: _setup_step(lambda: _ensure_pool(args.name)))


def run_setup(args: argparse.Namespace) -> int:
    """Every step, each safe to repeat; credentials only when KALTURA_* variables are set."""
    from kaltura_events.environment import ENV_VARS

    steps: list[Callable[[], str]] = [
        lambda: _ensure_pool(args.work_pool),
        _register_block_type,
        lambda: _ensure_limit(args.limit),
    ]
    if any(os.environ.get(name) for name in ENV_VARS):
        steps.append(lambda: _save_credentials(args.credentials, args.overwrite))
    else:
        steps.append(
            lambda: (
                f"Credentials: skipped (no KALTURA_* variables set); later run "
                f"`kaltura-events credentials save {args.credentials}`, or create one in the UI"
            )
        )
    for step in steps:
        status = _setup_step(step)
        if status:
            return status
    return 0


def register_setup(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "setup",
        help="prepare a Prefect server: work pool, Block type, credentials and API limit (safe to repeat)",
        description=(
            "Create the process work pool, register the KalturaCredentials Block type, create the "
            "kaltura-api global concurrency limit, and save KALTURA_* variables as credentials when "
            "they are set. Running it again changes only what differs."
        ),
    )
    parser.add_argument("--work-pool", default=DEFAULT_WORK_POOL, help=f"default {DEFAULT_WORK_POOL!r}")
    parser.add_argument(
        "--credentials",
        default=DEFAULT_CREDENTIALS_NAME,
        metavar="NAME",
        help=f"Block document name (default {DEFAULT_CREDENTIALS_NAME!r})",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace credentials saved with other settings"
    )
    parser.add_argument(
        "--limit",
        type=_positive,
        default=DEFAULT_API_LIMIT,
        help=f"kaltura-api slots (default {DEFAULT_API_LIMIT})",
    )
    parser.set_defaults(handler=run_setup)


# -- events as code -----------------------------------------------------------------


def run_schema(args: argparse.Namespace) -> int:
    from kaltura_events.formats.events_file import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def register_schema(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="write the JSON Schema of kaltura-events.yaml (for editor completion and checks)",
        description="Write the events file's JSON Schema; point yaml-language-server at it with "
        "'# yaml-language-server: $schema=PATH' on the file's first line.",
    )
    parser.add_argument("-o", "--output", metavar="PATH", help="file to write (default: stdout)")
    parser.set_defaults(handler=run_schema)


def project_root() -> Path | None:
    """The checkout holding ``deployments/events_file.py``: this package's parent (an editable
    install, as ``make install`` makes), else the current directory."""
    for candidate in (Path(__file__).resolve().parents[1], Path.cwd()):
        if (candidate / "deployments" / "events_file.py").is_file():
            return candidate
    return None


def run_sync(args: argparse.Namespace) -> int:
    """Run the sync-events-file flow in a child process started in the project root.

    The library must not import the flows (layering); the child runs the
    top-level module ``deployments.events_file``, which may.
    """
    import subprocess

    root = project_root()
    if root is None:
        print(
            f"kaltura-events {args.command}: run it from the kaltura-events checkout "
            "(no deployments/events_file.py here or beside the installed package)",
            file=sys.stderr,
        )
        return 1
    from kaltura_events.api.errors import InvalidArgumentError
    from kaltura_events.formats.paths import WORK_ROOT_ENV, inside

    file = Path(args.file).resolve()
    command = [sys.executable, "-m", "deployments.events_file", args.command, str(file)]
    try:
        for option in ("markdown", "json", "calendar_dir", "output_dir"):
            if getattr(args, option, None):
                flag = f"--{option.replace('_', '-')}"
                command += [flag, str(inside(getattr(args, option), flag, [_current_directory()]))]
    except InvalidArgumentError as exc:
        print(f"kaltura-events {args.command}: {exc}", file=sys.stderr)
        return 1
    if getattr(args, "series", None):
        command += ["--series", args.series]
    if getattr(args, "full", False):
        command += ["--full"]
    command += ["--max-api-in-flight", str(args.max_api_in_flight)]
    if getattr(args, "lock_wait", None) is not None:
        command += ["--lock-wait", str(args.lock_wait)]
    # The child runs in the checkout; its flow's work root is this command's two roots, so the
    # outputs checked above and the events file are inside it (what the file names is checked
    # against the file's own folder by the file's loader).
    roots = os.pathsep.join((str(Path.cwd().resolve()), str(file.parent)))
    env = {**os.environ, WORK_ROOT_ENV: roots}
    return subprocess.run(command, cwd=root, env=env, check=False).returncode


def _current_directory() -> Root:
    """The root of what a command writes: ``-o reports/`` and the like stay below where it was run."""
    from kaltura_events.formats.paths import Root

    return Root.of(Path.cwd(), "the current directory")


def register_plan_apply(subparsers: Any) -> None:
    for name, summary in (
        ("plan", "show what applying FILE would change; exit 0 nothing, 2 changes, 1 error"),
        (
            "apply",
            "converge Kaltura to FILE: create, update, finish and prune; exit 0 done, "
            "2 a person must fix what the API cannot (sessions a move left), 1 error",
        ),
    ):
        parser = subparsers.add_parser(
            name,
            help=summary,
            description=f"{summary[0].upper()}{summary[1:]}. Runs the sync-events-file flow on the "
            "Prefect server your environment or active Prefect profile names (PREFECT_API_URL), "
            "otherwise on a Prefect server started for the run. Kaltura "
            "credentials come from the KALTURA_* variables.",
        )
        parser.add_argument("file", help="the events file, e.g. kaltura-events.yaml")
        parser.add_argument("--markdown", metavar="PATH", help="also write the plan as markdown (for a PR)")
        parser.add_argument(
            "--json", metavar="PATH", help="also write the plan's rows as JSON (for tools): the same content"
        )
        parser.add_argument("--calendar-dir", metavar="DIR", help="write one .ics per series into DIR")
        parser.add_argument(
            "--max-api-in-flight", type=_positive, default=DEFAULT_API_LIMIT, help="requests in flight"
        )
        parser.add_argument(
            "--lock-wait",
            type=float,
            metavar="SECONDS",
            help="apply: while another run writes one of the file's series, wait this long (default 300), "
            "then fail naming it",
        )
        parser.set_defaults(handler=run_sync, command=name)


def register_attendance(subparsers: Any) -> None:
    summary = "report who registered and who came to a series of FILE: a table, CSVs and a chart"
    parser = subparsers.add_parser(
        "attendance",
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}. Runs the report-attendance flow on the "
        "Prefect server your environment or active Prefect profile names (PREFECT_API_URL), "
        "otherwise on a Prefect server started for the run. Kaltura "
        "credentials come from the KALTURA_* variables.",
    )
    parser.add_argument("file", help="the events file, e.g. kaltura-events.yaml")
    parser.add_argument("--series", metavar="KEY", help="one series (or event) of the file; default: all")
    parser.add_argument("--output-dir", "-o", metavar="DIR", help="write the CSVs and the chart (PNG) here")
    parser.add_argument("--full", action="store_true", help="read every profile, not only those updated")
    parser.add_argument(
        "--max-api-in-flight", type=_positive, default=DEFAULT_API_LIMIT, help="requests in flight"
    )
    parser.set_defaults(handler=run_sync, command="attendance")


def run_ics(args: argparse.Namespace) -> int:
    """The feeds from the plan alone: no API call, no Prefect."""
    from datetime import datetime, timezone

    from kaltura_events.api.errors import InvalidArgumentError
    from kaltura_events.formats.calendar_feed import write_calendars
    from kaltura_events.formats.events_file import EventsFileError, load_events_file, targets
    from kaltura_events.formats.paths import inside

    now = datetime.now(timezone.utc)
    try:
        planned = targets(load_events_file(args.file), args.file, now)
    except EventsFileError as exc:
        print(f"kaltura-events ics: {exc}", file=sys.stderr)
        return 1
    if args.series is not None and args.series not in {t.key for t in planned}:
        print(f"kaltura-events ics: --series={args.series!r}: no such key in {args.file}", file=sys.stderr)
        return 1
    try:
        folder = inside(args.output_dir, "--output-dir", [_current_directory()])
    except InvalidArgumentError as exc:
        print(f"kaltura-events ics: {exc}", file=sys.stderr)
        return 1
    for path in write_calendars(folder, planned, now, only=args.series):
        print(path)
    return 0


def register_ics(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ics",
        help="write an RFC 5545 .ics calendar per series of FILE, from its plan",
        description="Write <DIR>/<key>.ics for each series and event of FILE: one VEVENT per planned "
        "occurrence, UIDs stable across runs, SEQUENCE raised when an occurrence changes (compared "
        "with the .ics already in DIR).",
    )
    parser.add_argument("file")
    parser.add_argument("--series", metavar="KEY", help="only this series")
    parser.add_argument("-o", "--output-dir", default="calendars", metavar="DIR", help="default: calendars")
    parser.set_defaults(handler=run_ics)


# -- Kaltura's HTTP notifications ----------------------------------------------------
WEBHOOK_URL_ENV = "KALTURA_EVENTS_WEBHOOK_URL"
"""The receiver URL may carry a token: from the environment it stays out of shell history and `ps`."""


def _api_v3_client(block: str | None) -> Any:
    """Credentials like the flows': a saved KalturaCredentials Block, else the KALTURA_* variables."""
    from kaltura_events.credentials import KalturaCredentials

    if block:
        from kaltura_events.credentials import require_prefect_api

        require_prefect_api()  # else Prefect would start a throw-away server that has no Blocks
        credentials: KalturaCredentials = KalturaCredentials.load(block)  # type: ignore[assignment]
    else:
        credentials = KalturaCredentials.from_env()
    return credentials.get_api_v3_client()


def _webhooks_step(args: argparse.Namespace) -> str:
    from kaltura_events.webhooks import registration

    client = _api_v3_client(args.credentials)
    if args.action == "register":
        outcomes = registration.register(client, args.url, args.hash_algo)
    elif args.action == "remove":
        outcomes = registration.remove(client)
    else:
        outcomes = registration.list_ours(client)
    if not outcomes:
        return f"No templates of ours ({registration.OURS}*)."
    return "\n".join(outcome.line() for outcome in outcomes)


def run_webhooks(args: argparse.Namespace) -> int:
    if args.action == "register" and not args.url:
        print(f"kaltura-events webhooks register: give --url or set {WEBHOOK_URL_ENV}", file=sys.stderr)
        return 2
    return _setup_step(lambda: _webhooks_step(args))


def register_webhooks(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "webhooks", help="Kaltura HTTP notifications: the receiver, and our templates"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    from kaltura_events.webhooks.serve import add_serve

    add_serve(actions, default_credentials=DEFAULT_CREDENTIALS_NAME)
    register = actions.add_parser(
        "register",
        help="clone, point and activate our notification templates (safe to repeat)",
        description="Clone Kaltura's 'Entry Status Equals' (recording ready) and 'Recorded Entry Content "
        "Replaced' system templates as KALTURA_EVENTS_* templates that POST signed JSON to URL, and "
        "activate them. Running it again changes only what differs. The URL is never printed whole.",
    )
    register.add_argument(
        "--url",
        default=os.environ.get(WEBHOOK_URL_ENV),
        help=f"the receiver's URL (default ${WEBHOOK_URL_ENV})",
    )
    register.add_argument("--hash-algo", choices=("sha1", "sha256", "sha512"), default="sha256")
    shown = actions.add_parser("list", help="show our notification templates (URL masked)")
    remove = actions.add_parser("remove", help="delete our notification templates, and only ours")
    for action in (register, shown, remove):
        action.add_argument(
            "--credentials",
            metavar="BLOCK",
            help="a saved KalturaCredentials Block (default: the KALTURA_* variables)",
        )
        action.set_defaults(handler=run_webhooks)


SUBCOMMANDS: list[Registrar] = [
    register_emulator,
    register_setup,
    register_credentials,
    register_blocks,
    register_limits,
    register_work_pool,
    register_schema,
    register_plan_apply,
    register_ics,
    register_attendance,
    register_webhooks,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kaltura-events", description="Kaltura virtual events as code.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in SUBCOMMANDS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
