"""The run's request bound is a ContextVar set by ``run_api_limit``; it reaches every thread the work runs in.

Prefect's ThreadPoolTaskRunner copies the context into each task it submits;
flows/units.py copies it into each unit. If either did not, the calls would
fall back to the bound for calls outside any run (DEFAULT_MAX_IN_FLIGHT), and
the peaks below would be higher.
"""

from __future__ import annotations

import threading
import time

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.units import run_units
from tasks import api_limit
from tasks.api_limit import DEFAULT_MAX_IN_FLIGHT, api_slot, run_api_limit, thread_runner

HOLD_SECONDS = 0.3


class Gauge:
    """Calls holding a request slot now, and the most at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def reset(self) -> None:
        with self.lock:
            self.now = self.peak = 0

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


gauge = Gauge()


@task(cache_policy=NO_CACHE, persist_result=False)
def one_request(hold: float = HOLD_SECONDS) -> None:
    """What the client does per HTTP attempt: take one of the run's slots."""
    with api_slot():
        gauge.enter()
        time.sleep(hold)
        gauge.leave()


@task(cache_policy=NO_CACHE, persist_result=False)
def limit_seen() -> int | None:
    limit = api_limit._run_limit.get()
    return None if limit is None else id(limit)


@flow(task_runner=thread_runner())
def submitted_tasks_see_the_limit(bound: int, calls: int) -> tuple[int | None, int | None, int | None]:
    outside = limit_seen.submit().result()
    with run_api_limit(bound):
        here = api_limit._run_limit.get()
        seen = limit_seen.submit().result()
        for future in [one_request.submit() for _ in range(calls)]:
            future.result()
    return (None if here is None else id(here)), seen, outside


def test_a_submitted_task_sees_the_run_limit_and_is_bounded_by_it() -> None:
    gauge.reset()
    here, seen, outside = submitted_tasks_see_the_limit(2, 6)
    assert here is not None and seen == here, "the task thread saw another limit than the flow set"
    assert outside is None, "outside run_api_limit a task sees no run limit"
    assert gauge.peak == 2
    assert api_limit._run_limit.get() is None


@flow(task_runner=thread_runner())
def units_submit_tasks(bound: int, units: int) -> None:
    def unit() -> None:
        for future in [one_request.submit() for _ in range(2)]:
            future.result()

    with run_api_limit(bound):
        results = run_units({f"unit-{i}": unit for i in range(units)}, at_once=units)
    assert not results.failed, results.messages()


def test_tasks_submitted_from_unit_threads_share_the_run_limit() -> None:
    gauge.reset()
    units_submit_tasks(3, 4)
    assert gauge.peak == 3


@flow(task_runner=thread_runner())
def no_run_limit(calls: int) -> None:
    for future in [one_request.submit(hold=1.0) for _ in range(calls)]:
        future.result()


def test_calls_outside_any_run_limit_share_one_default_bound() -> None:
    """Before, each unknown flow run got a semaphore of its own, kept in a module dict for ever."""
    gauge.reset()
    no_run_limit(DEFAULT_MAX_IN_FLIGHT + 4)
    assert gauge.peak == DEFAULT_MAX_IN_FLIGHT
