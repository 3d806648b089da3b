"""A series converges whatever its events are called: the names users write, through the deployment.

Names are display text. "Weekly Team Sync" names every occurrence alike,
"Stand-up {date:%A}" repeats every week, and "{date:%B %Y}" repeats within a
month that also has an extra date. Each case runs with the parameters of the
``schedule-all-hands/weekly`` deployment in deployments/prefect.yaml, changed
only where the case says, and is checked against the platform's own state.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.schedule_all_hands import schedule_all_hands
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from tests.invariants import planned_occurrences, series_problems

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
PREFECT_YAML = Path(__file__).resolve().parents[2] / "deployments" / "prefect.yaml"
WRITES = ("events/create", "events/update", "events/delete", "sessions/create", "events/duplicate")


def deployment_series(**changes: Any) -> dict[str, Any]:
    """The weekly deployment's ``series`` parameter as prefect.yaml declares it, with ``changes``."""
    config = yaml.safe_load(PREFECT_YAML.read_text())
    [weekly] = [d for d in config["deployments"] if d["entrypoint"].endswith(":schedule_all_hands")]
    return {**weekly["parameters"]["series"], **changes}


CASES = {
    "one name for all": deployment_series(
        name="Weekly Team Sync", rrule="FREQ=WEEKLY;BYDAY=MO", horizon_days=56
    ),
    "weekday name over 14 days": deployment_series(
        name="Stand-up {date:%A}", rrule="FREQ=DAILY", horizon_days=14, sessions=[]
    ),
    "month name with an extra date in the month": deployment_series(
        name="Town Hall {date:%B %Y}",
        rrule="FREQ=MONTHLY;BYDAY=1TU",
        horizon_days=120,
        extra_dates=["2026-02-18"],
    ),
}


def writes(emu: EmulatorServer) -> int:
    requests = emu.control.stats()["requests"]
    return sum(sum(requests.get(w, {}).values()) for w in WRITES)


@pytest.mark.parametrize("spec", CASES.values(), ids=CASES.keys())
def test_every_occurrence_gets_its_own_event_and_the_rerun_changes_nothing(
    spec: Any, creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    planned = planned_occurrences(spec, NOW)
    assert len({p.name for p in planned}) < len(planned), "the case repeats a name"

    report = schedule_all_hands(spec, creds, now=NOW)
    assert series_problems(emu.control.state(), spec, NOW) == []
    assert len(emu.control.state()["events"]) == len(planned)
    created = [row.event_id for row in report.created]
    assert len(created) == len(set(created)) == len(planned), "the report claims only what it made"
    assert Counter(row.occurrence for row in report.created) == Counter(
        p.original_date.isoformat() for p in planned
    )

    emu.control.reset_stats()
    again = schedule_all_hands(spec, creds, now=NOW)
    assert len(again.unchanged) == len(planned) and not (again.created or again.finished or again.updated)
    assert writes(emu) == 0
    assert series_problems(emu.control.state(), spec, NOW) == []
