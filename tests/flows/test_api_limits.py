"""The kaltura-api global limit: a run holds its share for its API work and hands it back while it waits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

from flows.units import run_units
from tasks.api_limit import GLOBAL_LIMIT_NAME, api_idle, run_api_limit


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


@flow
def holds_and_waits(max_in_flight: int) -> list[int]:
    seen = []
    with run_api_limit(max_in_flight) as granted:
        seen += [granted, active_slots()]
        with api_idle():
            seen.append(active_slots())
        seen.append(active_slots())
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

    with run_api_limit(8):
        results = run_units({f"unit-{i}": poll for i in range(3)})
    assert not results.failed, results.messages()
    return seen


def test_concurrent_units_keep_the_share_while_one_waits(global_limit: int) -> None:
    """The others may be sending requests meanwhile; and two threads taking the share back at once
    would each occupy the whole limit, the second forever (the demo hung on it)."""
    seen = units_that_wait(5)
    assert seen == [global_limit] * 15
    assert active_slots() == 0
