"""The bound on requests in flight: per flow run, and across runs and workers.

Per flow run by a semaphore whose size is a flow parameter, and across runs and
workers by the Prefect global concurrency limit ``kaltura-api`` when the server
has one. The run's semaphore is in a ContextVar that ``run_api_limit`` sets for
the code it wraps; the threads that work runs in get it with their copy of the context.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectNotFound
from prefect.futures import PrefectFuture
from prefect.logging import get_logger
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

GLOBAL_LIMIT_NAME = "kaltura-api"
DEFAULT_MAX_IN_FLIGHT = 8

logger = get_logger("kaltura_events.tasks")

# -- limits ----------------------------------------------------------------------
#
# Prefect's global concurrency slots are leased through a server round trip and
# a single service thread: measured here, 40 acquisitions from 8 threads took
# 9 s. Taking one per API call would cost more than the calls. So a flow run
# takes its share of ``kaltura-api`` once, for the whole run, and its own
# semaphore of that size bounds its requests: the runs' shares never add up to
# more than the limit, so neither do their requests.

_warned_missing = [False]


def _global_limit_size() -> int | None:
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            limit = client.read_global_concurrency_limit_by_name(GLOBAL_LIMIT_NAME)
    except ObjectNotFound:
        if not _warned_missing[0]:
            _warned_missing[0] = True
            logger.warning(
                "No Prefect global concurrency limit named %r; only this run's own limit applies. "
                "Create it with `kaltura-events limits create` to bound several runs together.",
                GLOBAL_LIMIT_NAME,
            )
        return None
    return int(limit.limit) if limit.active and limit.limit > 0 else None


class _RunShare:
    """This run's slots of ``kaltura-api``, which it can hand back while it only waits."""

    def __init__(self, size: int | None, share: int) -> None:
        self.size = size
        self.share = share
        self._held: AbstractContextManager[None] | None = None
        self._lock = threading.Lock()
        """Two threads taking the share at once would each occupy it, and the second wait forever."""

    def hold(self) -> None:
        with self._lock:
            if self.size is not None and self._held is None:
                held = concurrency(GLOBAL_LIMIT_NAME, occupy=self.share, strict=False)
                held.__enter__()
                self._held = held

    def release(self) -> None:
        with self._lock:
            held, self._held = self._held, None
        if held is not None:
            held.__exit__(None, None, None)


_sharing_units: ContextVar[bool] = ContextVar("kaltura_events_sharing_units", default=False)


@contextmanager
def among_concurrent_units() -> Iterator[None]:
    """Mark the calls made here as one of several units at work at once (flows/units.py sets it).

    While other units may be sending requests, a unit that only waits must not
    hand the run's share back: ``api_idle`` keeps it.
    """
    token = _sharing_units.set(True)
    try:
        yield
    finally:
        _sharing_units.reset(token)


@dataclass(frozen=True)
class _RunLimit:
    """One flow run's bound on requests in flight, and its share of ``kaltura-api``."""

    requests: threading.BoundedSemaphore
    share: _RunShare


_run_limit: ContextVar[_RunLimit | None] = ContextVar("kaltura_events_run_limit", default=None)
"""Set by ``run_api_limit`` for the code it wraps. Threads see it when they run in a copy of the
context: Prefect's ThreadPoolTaskRunner copies it into each task it submits, flows/units.py into
each unit and step, the client's paging into each page fetch."""

_outside_a_run = threading.BoundedSemaphore(DEFAULT_MAX_IN_FLIGHT)
"""Calls made outside any ``run_api_limit`` (a task called on its own, a script): one bound for them all."""


@contextmanager
def run_api_limit(max_in_flight: int) -> Iterator[int]:
    """Bound this flow run's requests in flight; yields the bound actually granted."""
    size = _global_limit_size()
    share = _RunShare(size, max_in_flight if size is None else min(max_in_flight, size))
    token = _run_limit.set(_RunLimit(threading.BoundedSemaphore(share.share), share))
    share.hold()
    try:
        yield share.share
    finally:
        share.release()
        _run_limit.reset(token)


@contextmanager
def api_idle() -> Iterator[None]:
    """Hand this run's ``kaltura-api`` slots back while it only waits (a duplication poll interval).

    A run that polls a job for minutes would otherwise keep other runs from
    the API. Among concurrent units the share stays: the others still use it.
    """
    limit = _run_limit.get()
    if limit is None or _sharing_units.get():
        yield
        return
    limit.share.release()
    try:
        yield
    finally:
        limit.share.hold()


@contextmanager
def api_slot() -> Iterator[None]:
    """One of this run's request slots, held for one HTTP attempt (the client enters it per attempt)."""
    limit = _run_limit.get()
    with limit.requests if limit is not None else _outside_a_run:
        yield


def thread_runner() -> TaskRunner[PrefectFuture[Any]]:
    """Enough threads that the API limit, not the pool, bounds concurrency (the default pool is cpu+4)."""
    runner: TaskRunner[PrefectFuture[Any]] = ThreadPoolTaskRunner(max_workers=64)  # type: ignore[assignment]
    return runner
