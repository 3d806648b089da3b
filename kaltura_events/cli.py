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
from typing import Any

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
        help="run the local Events Platform + API v3 emulator",
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


SUBCOMMANDS: list[Registrar] = [register_emulator]


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
