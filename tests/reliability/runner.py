"""Flows in a child process: the crash-resume victim and the end-to-end run the secret scan reads.

``python -m tests.reliability.runner p1 SPEC_JSON [--gated]`` runs schedule_all_hands
with credentials from ``KALTURA_*`` (the CI path), so the test can SIGKILL it
anywhere. ``python -m tests.reliability.runner e2e OUT_DIR`` runs all three
flows, successes and failures, with every logger at DEBUG into a file, and
writes the text of every exception it saw; the scan reads both.

The parent puts ``PREFECT_*`` (its server) and ``KALTURA_*`` in the
environment: no secret is ever on a command line.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def as_json(value: Any) -> Any:
    """Parameters go in as plain JSON, as a deployment or the UI sends them; the flow validates them."""
    return value


def run_p1(spec: dict[str, Any], *, gated: bool) -> int:
    """With ``gated``, import everything first and wait for a line on stdin: the parent starts the
    next victim while it is still busy with the last one, and only times the run itself."""
    from flows.schedule_all_hands import schedule_all_hands

    if gated:
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return 0
    schedule_all_hands(series=as_json(spec), now=NOW)
    return 0


class _Exceptions:
    """Every exception the scenario caught, as text: message, repr and traceback."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def attempt(self, label: str, step: Callable[[], object]) -> None:
        try:
            step()
            print(f"{label}: ok", flush=True)
        except Exception as exc:
            self.texts.append(f"== {label}\n{exc!s}\n{exc!r}\n" + "".join(traceback.format_exception(exc)))
            print(f"{label}: {type(exc).__name__}", flush=True)


def run_e2e(out: Path) -> int:
    """All three flows against the emulator: the happy paths, faults, and the failures users meet."""
    out.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(out / "debug.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s %(message)s"))
    for name in ("", "prefect._internal", "prefect.extra"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    for name in ("httpx", "httpcore", "kaltura_events", "prefect", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG)

    from pydantic import SecretStr

    from flows.duplicate_event import duplicate_event
    from flows.schedule_all_hands import schedule_all_hands
    from flows.teardown_events import teardown_events
    from kaltura_events.api.ks import build_ks_v2
    from kaltura_events.credentials import KalturaCredentials
    from kaltura_events.emulator.control_client import EmulatorControl

    env = os.environ
    control = EmulatorControl(env["REL_EMULATOR_URL"])
    admin = KalturaCredentials.from_env().model_copy(update={"retry_base_delay_seconds": 0.01})
    token = control.create_app_token("SHA256", session_user_id=env["KALTURA_USER_ID"], session_type=2)
    (out / "app_token.txt").write_text(str(token["token"]))
    by_token = KalturaCredentials(
        events_api_url=env["KALTURA_EVENTS_API_URL"],
        service_url=env["KALTURA_SERVICE_URL"],
        partner_id=int(env["KALTURA_PARTNER_ID"]),
        user_id=env["KALTURA_USER_ID"],
        app_token_id=str(token["id"]),
        app_token=SecretStr(str(token["token"])),
        retry_base_delay_seconds=0.01,
    )
    # A saved Block: deployments pass it by reference, and its secrets are stored by Prefect.
    by_token.save("rel-app-token", overwrite=True)
    saved: KalturaCredentials = KalturaCredentials.load("rel-app-token")  # type: ignore[assignment]
    ks = build_ks_v2(env["KALTURA_ADMIN_SECRET"], int(env["KALTURA_PARTNER_ID"]), env["KALTURA_USER_ID"])
    (out / "ks.txt").write_text(ks)
    fixed = KalturaCredentials(
        events_api_url=env["KALTURA_EVENTS_API_URL"],
        service_url=env["KALTURA_SERVICE_URL"],
        ks=SecretStr(ks),
        retry_base_delay_seconds=0.01,
    )
    series: dict[str, Any] = {
        "key": "e2e-series",
        "name": "E2E All-Hands {date:%Y-%m-%d}",
        "template_id": "tm0000",
        "timezone": "Europe/Berlin",
        "rrule": "FREQ=WEEKLY;BYDAY=TU",
        "start_time": "09:30",
        "horizon_days": 35,
        "sessions": [{"name": "Main", "type": "LiveWebcast", "duration_minutes": 45}],
    }
    seen = _Exceptions()
    control.set_faults([{"endpoint": "*", "kind": "mixed", "rate": 0.15, "retry_after": 0.1}], seed=7)
    seen.attempt(
        "series via saved app-token block",
        lambda: schedule_all_hands(series=as_json(series), credentials=saved, now=NOW),
    )
    seen.attempt(
        "series re-run via admin secret",
        lambda: schedule_all_hands(series=as_json(series), credentials=admin, now=NOW),
    )
    control.clear_faults()
    source = admin.get_events_client().create_event(
        name="E2E template",
        template_id="tm2000",
        start=NOW + timedelta(days=60),
        end=NOW + timedelta(days=60, hours=1),
        timezone="UTC",
    )
    copy: dict[str, Any] = {
        "source_event_id": source.id,
        "name": "E2E copy",
        "start": "2030-03-04T10:00:00",
        "timezone": "UTC",
        "duration_minutes": 30,
        "poll": {"intervals_seconds": [0.5], "timeout_seconds": 20},
    }
    seen.attempt("duplicate", lambda: duplicate_event(spec=as_json(copy), credentials=admin))
    control.set_faults([{"endpoint": "events/duplicate", "kind": "duplicate_fail"}])
    failing = {**copy, "name": "E2E copy that fails", "start": "2030-03-05T10:00:00"}
    seen.attempt("duplicate job fails", lambda: duplicate_event(spec=as_json(failing), credentials=by_token))
    control.clear_faults()
    seen.attempt(
        "bad input",
        lambda: teardown_events(selector=as_json({"event_ids": ["12a"]}), credentials=admin, dry_run=False),
    )
    seen.attempt(
        "blast radius",
        lambda: teardown_events(
            selector=as_json({"series_key": "e2e-series"}), credentials=admin, max_events=1, dry_run=False
        ),
    )
    seen.attempt(
        "teardown dry run",
        lambda: teardown_events(selector=as_json({"series_key": "e2e-series"}), credentials=saved),
    )
    seen.attempt(
        "teardown",
        lambda: teardown_events(
            selector=as_json({"series_key": "e2e-series"}), credentials=saved, dry_run=False
        ),
    )
    fixed.get_events_client().list_events_page()  # the emulator has now seen the fixed KS
    control.expire_ks()
    seen.attempt(
        "fixed KS expired", lambda: schedule_all_hands(series=as_json(series), credentials=fixed, now=NOW)
    )
    seen.attempt(
        "renewed after expiry",
        lambda: teardown_events(selector=as_json({"label": "none"}), credentials=admin),
    )
    (out / "exceptions.txt").write_text("\n".join(seen.texts), encoding="utf-8")
    control.close()
    return 0


def main(argv: list[str]) -> int:
    if len(argv) in (2, 3) and argv[0] == "p1":
        return run_p1(json.loads(argv[1]), gated=argv[2:] == ["--gated"])
    if len(argv) == 2 and argv[0] == "e2e":
        return run_e2e(Path(argv[1]))
    print("usage: python -m tests.reliability.runner p1 SPEC_JSON [--gated] | e2e OUT_DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
