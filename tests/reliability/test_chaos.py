"""Chaos: P1 and its teardown under seeds of 20% mixed faults, checked against the platform's state.

Every API endpoint fails 20% of the time, drawn from the seed: 500 before
commit, 500 after commit (the write happened), a timeout after commit, a
dropped connection, and 429 with Retry-After. After each seed the account
holds exactly the 52 planned events with their sessions and doors-open times
and no duplicate; the teardown under the same faults leaves none of their
categories. Retries start at 10 ms, a timeout is 50 ms and Retry-After 20 ms,
so the seeds fit in CI; the retry and reconcile logic is the production one, with ten attempts a call.

``make test`` runs CHAOS_SEEDS seeds (10); ``make fuzz`` runs 20. A seed draws each endpoint's
faults from that endpoint's own stream, so which kind hits which call is fixed per seed. Over the
first attempts of one run (52 event creates, 104 session creates, 52 updates, 52 deletes), seeds
0-9 together inject 95-221 faults per endpoint and every kind at every one of them; seeds 10-19
add more of the same kinds at other calls, no kind at any endpoint that 0-9 miss.
"""

from __future__ import annotations

import os

import pytest

from deployments.local_server import PrefectServer
from flows.schedule_all_hands import schedule_all_hands
from flows.teardown_events import teardown_events
from kaltura_events.credentials import close_cached_clients
from kaltura_events.emulator.faults import MIXED_KINDS
from kaltura_events.emulator.server import EmulatorProcess
from tests.invariants import series_problems
from tests.reliability.conftest import credentials_for
from tests.reliability.support import NOW, categories_of, p1_spec, wait_for_server

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

SEEDS = range(int(os.environ.get("CHAOS_SEEDS", "10")))
FIXED_NAME = {"name": "Weekly All-Hands"}
"""Odd seeds name every occurrence alike, as most teams name a meeting: identity alone tells them apart."""
FAULTS = [{"endpoint": "*", "kind": "mixed", "rate": 0.2, "retry_after": 0.02}]
TIMEOUT_SECONDS = 0.05
HANG_SECONDS = 0.15
MAX_RETRIES = 9
"""The client is the one retry layer. With every call failing 20% of the time, a seed's ~600 calls
need ten attempts each (0.2**10 per call) so that none runs out of them by chance; the default four
suit a platform that fails far less often. The fault handling under test is the same either way."""


def injected(stats: dict[str, object]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    faults = stats["faults_injected"]
    assert isinstance(faults, dict)
    for by_kind in faults.values():
        for kind, count in by_kind.items():
            kinds[kind] = kinds.get(kind, 0) + count
    return kinds


@pytest.mark.parametrize("seed", SEEDS)
def test_p1_and_teardown_are_exact_under_mixed_faults(
    seed: int, emu: EmulatorProcess, prefect_server: PrefectServer
) -> None:
    spec = p1_spec(key=f"chaos-{seed}", **FIXED_NAME if seed % 2 else {})
    emu.control.reset(hang_seconds=HANG_SECONDS)
    emu.control.set_faults(FAULTS, seed=seed)
    creds = credentials_for(emu, request_timeout_seconds=TIMEOUT_SECONDS, max_retries=MAX_RETRIES)
    try:
        state = schedule_all_hands(series=spec, credentials=creds, now=NOW, return_state=True)
        assert state.is_completed(), state.message
        after_p1 = emu.control.state()
        kinds = injected(emu.control.stats())
        assert set(kinds) == set(MIXED_KINDS), f"seed {seed} did not exercise every fault kind: {kinds}"
        assert series_problems(after_p1, spec, NOW) == []
        assert len(after_p1["events"]) == 52

        wait_for_server(prefect_server.api_url)
        emu.control.reset_stats()
        event_ids = {int(e["id"]) for e in after_p1["events"]}
        assert len(categories_of(after_p1, event_ids)) == 7 * 52
        torn = teardown_events(
            selector={"series_key": spec["key"]},
            credentials=creds,
            dry_run=False,
            max_events=52,
            return_state=True,
        )
        assert torn.is_completed(), torn.message
        after_teardown = emu.control.state()
        assert sum(injected(emu.control.stats()).values()) > 0
        assert after_teardown["events"] == []
        assert categories_of(after_teardown, event_ids) == []
        assert [c["fullName"] for c in after_teardown["categories"]] == []
    finally:
        close_cached_clients()
        wait_for_server(prefect_server.api_url)
