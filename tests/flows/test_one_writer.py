"""One writer per series: runs of one series that overlap still leave each occurrence one event.

The emulator answers with latency so that the runs really overlap: without the
lock, two runs both see every occurrence missing and both create it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound
from prefect.variables import Variable

from flows import series_lock as series_lock_module
from flows.schedule_all_hands import SeriesReport, schedule_all_hands
from flows.series_lock import SeriesBusy, one_writer, partner_of, series_lock
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.planning.series import AllHandsSeries
from tests.invariants import series_problems
from tests.specs import weekly_all_hands

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def _spec(key: str) -> dict[str, Any]:
    return weekly_all_hands(key=key, horizon_days=42, name="Weekly All-Hands")


def _at_once(*runs: Callable[[], SeriesReport]) -> list[SeriesReport | BaseException]:
    """Start every run in its own thread at the same moment; each one's report or exception."""
    results: list[SeriesReport | BaseException] = [RuntimeError("did not finish")] * len(runs)
    start = threading.Barrier(len(runs))

    def go(index: int, run: Callable[[], SeriesReport]) -> None:
        start.wait()
        try:
            results[index] = run()
        except BaseException as exc:
            results[index] = exc

    threads = [threading.Thread(target=go, args=(i, run)) for i, run in enumerate(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def _creates(emu: EmulatorServer) -> int:
    """Events the emulator made: a create that committed counts, whatever its answer was."""
    return int(emu.control.stats()["writes"].get("events/create", {}).get("committed", 0))


def _held(name: str) -> int:
    with get_client(sync_client=True) as client:
        try:
            return int(client.read_global_concurrency_limit_by_name(name).active_slots)
        except ObjectNotFound:
            return 0


def test_a_run_started_while_another_writes_waits_then_finds_nothing_to_do(
    emu: EmulatorServer, creds: KalturaCredentials
) -> None:
    """The second run starts once the first holds the series (so they surely overlap), waits,
    says whom it waited for, and finds every occurrence made: one event each, six creates in all.

    1.5 s a request keeps the first run writing for several seconds, longer than the second
    run's own start takes on a loaded machine (at 300 ms it sometimes found the lock free).
    """
    emu.control.set_faults([], latency_ms=1500)
    spec = _spec("overlap-two")
    series = AllHandsSeries.model_validate(spec)
    name = series_lock(partner_of(creds), "overlap-two")
    first: list[SeriesReport | BaseException] = []

    def run_first() -> None:
        try:
            first.append(schedule_all_hands(series, creds, now=NOW))
        except BaseException as exc:
            first.append(exc)

    thread = threading.Thread(target=run_first)
    thread.start()
    deadline = time.monotonic() + 60
    while _held(name) == 0 and not first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not first, "the first run ended before the test saw it hold the series"
    second = schedule_all_hands(series, creds, now=NOW)
    thread.join(timeout=300)
    assert isinstance(first[0], SeriesReport), first
    assert len(first[0].created) == 6 and not first[0].waited
    assert second.created == [] and len(second.unchanged) == 6
    assert second.waited.startswith("waited") and "flow run" in second.waited
    assert series_problems(emu.control.state(), spec, NOW) == []
    assert _creates(emu) == 6


def test_a_run_that_waits_too_long_fails_in_one_line_naming_the_holder(
    emu: EmulatorServer, creds: KalturaCredentials
) -> None:
    spec = _spec("held-elsewhere")
    name = series_lock(partner_of(creds), "held-elsewhere")
    with one_writer([name]), pytest.raises(SeriesBusy) as raised:
        schedule_all_hands(AllHandsSeries.model_validate(spec), creds, now=NOW, lock_wait_seconds=2)
    message = str(raised.value)
    assert "\n" not in message
    assert "is being written by process" in message and "--active-slots 0" in message
    assert emu.control.stats()["requests"] == {}, "a run that never got the lock sends nothing"


def test_a_dry_run_takes_no_lock(emu: EmulatorServer, creds: KalturaCredentials) -> None:
    """A plan only reads: it must not wait behind a long apply, nor keep one waiting."""
    spec = _spec("plan-while-held")
    with one_writer([series_lock(partner_of(creds), "plan-while-held")]):
        report = schedule_all_hands(
            AllHandsSeries.model_validate(spec), creds, now=NOW, dry_run=True, lock_wait_seconds=0
        )
    assert len(report.created) == 6 and not report.waited


def test_the_lock_is_free_again_after_each_run(emu: EmulatorServer, creds: KalturaCredentials) -> None:
    spec = _spec("freed")
    schedule_all_hands(AllHandsSeries.model_validate(spec), creds, now=NOW)
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(series_lock(partner_of(creds), "freed"))
    assert (limit.limit, limit.active_slots) == (1, 0)
    assert series_lock_module._holders([limit.name]) is None, "a finished run is blamed for nothing"
    assert Variable.get(series_lock_module._holder_variable(limit.name), default=None) is None


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(st.booleans(), min_size=2, max_size=3),
    latency=st.sampled_from([50, 200]),
)
def test_any_mix_of_overlapping_runs_leaves_each_occurrence_once(
    emu: EmulatorServer, creds: KalturaCredentials, plans: list[bool], latency: int
) -> None:
    """Applies and plans of one series started together, in any mix: the account holds the
    series exactly once and every apply succeeded, whichever got the lock first."""
    emu.control.reset()
    emu.control.set_faults([], latency_ms=latency)
    spec = _spec("overlap-mix")
    series = AllHandsSeries.model_validate(spec)
    results = _at_once(
        *((lambda dry=dry: schedule_all_hands(series, creds, now=NOW, dry_run=dry)) for dry in plans)
    )
    assert all(isinstance(r, SeriesReport) for r in results), results
    if not all(plans):
        assert series_problems(emu.control.state(), spec, NOW) == []
        assert _creates(emu) == 6
    else:
        assert _creates(emu) == 0


@pytest.mark.parametrize("seed", [3, 8])
def test_overlapping_runs_under_mixed_faults_make_each_occurrence_once(
    emu: EmulatorServer, creds: KalturaCredentials, seed: int
) -> None:
    """The reliability suite's chaos (20% of calls fail: 500s before and after commit, timeouts,
    resets, 429s) with two runs of the series at once: the lock and the client's look-before-retry
    together still leave each occurrence one event."""
    emu.control.reset(hang_seconds=0.15)
    emu.control.set_faults(
        [{"endpoint": "*", "kind": "mixed", "rate": 0.2, "retry_after": 0.02}], seed=seed, latency_ms=30
    )
    chaotic = creds.model_copy(update={"request_timeout_seconds": 0.05 + 0.03, "max_retries": 9})
    spec = _spec(f"overlap-chaos-{seed}")
    series = AllHandsSeries.model_validate(spec)
    results = _at_once(
        lambda: schedule_all_hands(series, chaotic, now=NOW),
        lambda: schedule_all_hands(series, chaotic, now=NOW),
    )
    assert all(isinstance(r, SeriesReport) for r in results), results
    emu.control.clear_faults()
    assert series_problems(emu.control.state(), spec, NOW) == []
