"""The convergence invariant on generated series, against the emulator as a real server.

For any valid series: one apply leaves exactly one event per planned
occurrence, each carrying its identity label (tests/invariants.py), the
report claims exactly those events, and the next plan reports no change.
``make test`` runs a few seeded examples; ``make fuzz`` runs many more
(HYPOTHESIS_PROFILE=fuzz).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import given

from flows.schedule_all_hands import schedule_all_hands
from kaltura_events.credentials import KalturaCredentials, close_cached_clients
from kaltura_events.emulator.server import EmulatorServer
from tests.invariants import planned_occurrences, series_problems
from tests.properties.series_strategies import series_specs

CHANGES = ("created", "finished", "updated", "pruned")


@given(case=series_specs())
def test_apply_makes_one_event_per_occurrence_and_the_next_plan_is_empty(
    case: tuple[dict[str, Any], datetime], emulator: EmulatorServer, emulator_credentials: KalturaCredentials
) -> None:
    spec: Any = case[0]
    now = case[1]
    emulator.control.reset()
    planned = planned_occurrences(spec, now)
    try:
        report = schedule_all_hands(spec, emulator_credentials, now=now)
        state = emulator.control.state()
        assert series_problems(state, spec, now) == []
        assert len(state["events"]) == len(planned)
        made = [row.event_id or 0 for row in report.created]
        assert sorted(made) == sorted(e["id"] for e in state["events"]), "the report names each event once"

        again = schedule_all_hands(spec, emulator_credentials, dry_run=True, now=now)
        assert all(not getattr(again, group) for group in CHANGES), again.rows()
        assert len(again.unchanged) == len(planned)
    finally:
        close_cached_clients()
