"""The kaltura-api global limit: a run holds its share for its API work and hands it back while it waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextvars import copy_context

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

from flows.units import run_units
from tasks.api_limit import GLOBAL_LIMIT_NAME, api_idle, api_slot, held_slots, run_api_limit


@pytest.fixture
def global_limit() -> Iterator[int]:
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=GLOBAL_LIMIT_NAME, limit=3))
    try:
        yield 3
    finally:
        with get_client(sync_client=True) as client:
            client.delete_global_concurrency_limit_by_name(GLOBAL_LIMIT_NAME)


def active_slots() -> int:
    with get_client(sync_client=True) as client:
        return int(client.read_global_concurrency_limit_by_name(GLOBAL_LIMIT_NAME).active_slots)


def slots_once_settled(expected: int, timeout: float = 10.0) -> int:
    """The slots held once the run's part has had time to follow (it grows in the background)."""
    deadline = time.monotonic() + timeout
    while (held := active_slots()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return held


@flow
def holds_and_waits(max_in_flight: int) -> list[int]:
    seen = []
    with run_api_limit(max_in_flight) as granted:
        seen += [granted, slots_once_settled(granted)]
        with api_idle():
            seen.append(active_slots())
        seen.append(slots_once_settled(granted))
    seen.append(active_slots())
    return seen


def test_share_is_capped_by_the_limit_and_released_while_idle(global_limit: int) -> None:
    granted, holding, idle, again, after = holds_and_waits(8)
    assert granted == global_limit, "a run never takes more than the whole limit"
    assert (holding, idle, again, after) == (3, 0, 3, 0)


def test_without_a_global_limit_the_run_keeps_its_own_bound() -> None:
    @flow
    def own_bound() -> int:
        with run_api_limit(5) as granted:
            return granted

    assert own_bound() == 5


@flow
def units_that_wait(rounds: int) -> list[int]:
    """Three units that only wait, again and again, as duplication polls do inside sync_events_file."""
    seen: list[int] = []

    def poll() -> int:
        for _ in range(rounds):
            with api_idle():
                seen.append(active_slots())
        return rounds

    with run_api_limit(8) as granted:
        slots_once_settled(granted)
        results = run_units({f"unit-{i}": poll for i in range(3)})
    assert not results.failed, results.messages()
    return seen


def test_concurrent_units_keep_the_share_while_one_waits(global_limit: int) -> None:
    """The others may be sending requests meanwhile; and two threads taking the share back at once
    would each occupy the whole limit, the second forever (the demo hung on it)."""
    seen = units_that_wait(5)
    assert seen == [global_limit] * 15
    assert active_slots() == 0


@flow
def busy_until(done: threading.Event, gauge: list[int]) -> int:
    """A long run: its requests keep every slot it holds busy until the short run has had its turn."""

    def requests() -> None:
        while not done.is_set():
            with api_slot():
                gauge.append(1)
                time.sleep(0.02)
                gauge.pop()

    with run_api_limit(8) as granted:
        workers = [threading.Thread(target=copy_context().run, args=(requests,)) for _ in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return granted


@flow
def short_run() -> int:
    with run_api_limit(8), api_slot():
        return held_slots()


def test_a_short_run_gets_a_slot_while_a_long_one_is_at_work(global_limit: int) -> None:
    """The long run holds the whole limit until another run arrives, then shrinks to its part:
    the short run gets its slot while the long one still works, and the slots held never exceed
    the limit."""
    done = threading.Event()
    gauge: list[int] = []
    peak = [0]
    stop_watching = threading.Event()

    def watch() -> None:
        while not stop_watching.is_set():
            peak[0] = max(peak[0], active_slots())
            time.sleep(0.05)

    long_result: list[int] = []
    long_run = threading.Thread(target=lambda: long_result.append(busy_until(done, gauge)))
    watcher = threading.Thread(target=watch)
    long_run.start()
    watcher.start()
    deadline = time.monotonic() + 60
    while active_slots() < global_limit and time.monotonic() < deadline:
        time.sleep(0.05)
    assert active_slots() == global_limit, "the long run alone takes the whole limit"
    held = short_run()
    assert long_run.is_alive(), "the short run got its slot only after the long one ended"
    done.set()
    long_run.join(timeout=60)
    stop_watching.set()
    watcher.join()
    assert held >= 1 and long_result == [global_limit]
    assert peak[0] <= global_limit
    assert active_slots() == 0, "every slot is handed back"
