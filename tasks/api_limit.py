"""The bound on requests in flight: per flow run, and across runs and workers.

Per flow run by a semaphore whose size is a flow parameter, and across runs and
workers by the Prefect global concurrency limit ``kaltura-api`` when the server
has one. The run's semaphore is in a ContextVar that ``run_api_limit`` sets for
the code it wraps; the threads that work runs in get it with their copy of the context.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
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
# 9 s. Taking one per API call would cost more than the calls. So a run holds
# some slots of ``kaltura-api`` for a while, one lease each, and its own
# semaphore of that many bounds its requests: the runs' slots never add up to
# more than the limit, so neither do their requests.
#
# How many a run holds follows how many runs are at work: each run also holds
# one slot of ``kaltura-api-runs`` (a limit nobody reaches) while it lives, and
# every REBALANCE_SECONDS it shrinks to its fair part of the limit, so a short
# run started beside a 24,000-invite one gets a slot within seconds instead of
# after it. A run alone grows back to its ``max_in_flight``.

RUNS_LIMIT_NAME = "kaltura-api-runs"
RUNS_LIMIT_SIZE = 100_000
"""Counts the runs sharing ``kaltura-api``; never the bound, so nobody waits on it."""
REBALANCE_SECONDS = 1.0
ACQUIRE_POLL_SECONDS = 0.25
LEASE_SECONDS = 60.0
"""Prefect's shortest lease: a killed run's slots come back within a minute (plus the server's
lease sweep). The run renews its leases at half of it."""

MISSING_LIMIT_NOTE = (
    f"this Prefect server has no global concurrency limit {GLOBAL_LIMIT_NAME!r}, so each run bounds only "
    "its own requests (max_api_in_flight) and runs at once add up against Kaltura; `kaltura-events setup` "
    "adds it (one request limit every run and worker shares), with the work pool, the credentials Block "
    "type and, from KALTURA_* variables, the credentials Block"
)
"""Said once per process: by a command before its runs (``missing_limit_note``), else by the first run."""

_told_missing = [False]


def _missing_once() -> str | None:
    if _told_missing[0]:
        return None
    _told_missing[0] = True
    return MISSING_LIMIT_NOTE


def _read_limit() -> Any:
    """The server's ``kaltura-api`` limit; ObjectNotFound when it has none."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(GLOBAL_LIMIT_NAME)


def missing_limit_note() -> str | None:
    """What ``kaltura-events setup`` adds, when this server lacks ``kaltura-api``; None when it has it.

    A command prints it once, before its runs, and the runs then stay quiet
    about it: a user sees one note naming the step that fixes it, not a
    warning per run.
    """
    try:
        _read_limit()
    except ObjectNotFound:
        return _missing_once()
    return None


def _global_limit_size() -> int | None:
    try:
        limit = _read_limit()
    except ObjectNotFound:
        note = _missing_once()
        if note is not None:
            logger.warning("%s", note)
        return None
    return int(limit.limit) if limit.active and limit.limit > 0 else None


class _Requests:
    """This run's request slots: a semaphore whose size follows the run's part of ``kaltura-api``.

    A request that ends wakes one waiting request, not all of them: with 64
    task threads waiting on 8 slots, waking every waiter on each answer cost
    0.7 ms of CPU per request (measured), held under the GIL the flow needs.
    Only the rebalancer waits for the run to drain, on a condition of its own.
    """

    def __init__(self, capacity: int) -> None:
        lock = threading.Lock()
        self._slot_free = threading.Condition(lock)
        self._drained = threading.Condition(lock)
        self.capacity = capacity
        self.in_flight = 0

    def __enter__(self) -> None:
        with self._slot_free:
            self._slot_free.wait_for(lambda: self.in_flight < self.capacity)
            self.in_flight += 1

    def __exit__(self, *_: object) -> None:
        with self._slot_free:
            self.in_flight -= 1
            self._slot_free.notify()
            self._drained.notify_all()

    def resize(self, capacity: int) -> None:
        """Let at most ``capacity`` requests start from now on; those in flight finish."""
        with self._slot_free:
            self.capacity = capacity
            self._slot_free.notify_all()

    def drain_to(self, capacity: int) -> None:
        """Wait until no more than ``capacity`` requests are in flight (a slot is given back only then)."""
        with self._drained:
            self._drained.wait_for(lambda: self.in_flight <= capacity)


class _Slots:
    """This run's slots of ``kaltura-api``, one lease each, resized to its fair part by a thread."""

    def __init__(self, limit_size: int, wanted: int, requests: _Requests) -> None:
        from prefect.client.orchestration import get_client

        self.limit_size = limit_size
        self.wanted = wanted
        self.requests = requests
        self.leases: list[tuple[UUID, float]] = []
        """(lease id, when it was last renewed) of each slot held."""
        self.presence: tuple[UUID, float] | None = None
        """This run's slot of ``kaltura-api-runs``: it counts the run among those sharing the limit."""
        self.idle = False
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        """Set to rebalance now rather than at the next tick."""
        self._client = get_client(sync_client=True)
        self._thread: threading.Thread | None = None

    # -- leases, through Prefect's client (a refused slot is a 423, not an error to log)
    def _lease(self, name: str) -> UUID | None:
        try:
            response = self._client.increment_concurrency_slots_with_lease(
                names=[name], slots=1, mode="concurrency", lease_duration=LEASE_SECONDS
            )
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 423:
                return None
            raise
        body = response.json()
        if not body.get("limits"):
            raise ObjectNotFound(http_exc=Exception(f"no global concurrency limit named {name!r}"))
        return UUID(body["lease_id"])

    def _release(self, lease_id: UUID) -> None:
        try:
            self._client.release_concurrency_slots_with_lease(lease_id)
        except Exception as exc:  # the lease ends by itself; a failed release only delays that
            logger.warning("Could not hand back a %s slot (%s); its lease expires", GLOBAL_LIMIT_NAME, exc)

    def _fair_part(self) -> int:
        """The slots this run may hold now: the limit split between the runs at work, at least one."""
        runs = self._client.read_global_concurrency_limit_by_name(RUNS_LIMIT_NAME).active_slots
        return max(1, self.limit_size // max(1, int(runs)))

    def _target(self) -> int:
        return 0 if self.idle else min(self.wanted, self._fair_part())

    # -- lifecycle
    def start(self) -> None:
        self._client.__enter__()
        try:
            presence = self._lease(RUNS_LIMIT_NAME)
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):
                self._client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=RUNS_LIMIT_NAME, limit=RUNS_LIMIT_SIZE)
                )
            presence = self._lease(RUNS_LIMIT_NAME)
        self.presence = (presence, time.monotonic()) if presence is not None else None
        self.take_first()
        self._thread = threading.Thread(target=self._rebalance, name="kaltura-api-slots", daemon=True)
        self._thread.start()

    def take_first(self) -> None:
        """Block until this run holds a slot, then grow to its part: a run can always make progress."""
        announced = False
        while True:
            with self._lock:
                if self.leases:
                    break
                lease = self._lease(GLOBAL_LIMIT_NAME)
                if lease is not None:
                    self.leases.append((lease, time.monotonic()))
                    self.requests.resize(1)
                    break
            if not announced:
                announced = True
                logger.info("All %d %s slots are in use: waiting for one", self.limit_size, GLOBAL_LIMIT_NAME)
            time.sleep(ACQUIRE_POLL_SECONDS)
        # The first request need not wait for the rest of the run's part: the thread grows it now.
        self._wake.set()

    def resize(self) -> None:
        """Hand slots back down to this run's part, or take free ones up to it."""
        with self._lock:
            target = self._target()
            while len(self.leases) > target:
                self.requests.resize(len(self.leases) - 1)
                self.requests.drain_to(len(self.leases) - 1)
                self._release(self.leases.pop()[0])
            while len(self.leases) < target:
                taken = self._lease(GLOBAL_LIMIT_NAME)
                if taken is None:
                    break
                self.leases.append((taken, time.monotonic()))
                self.requests.resize(len(self.leases))

    def _renew_due(self) -> None:
        """Renew each lease at half its life; one the server no longer knows is a slot no longer held."""
        now = time.monotonic()
        with self._lock:
            if self.presence is not None and now - self.presence[1] >= LEASE_SECONDS / 2:
                self._client.renew_concurrency_lease(self.presence[0], LEASE_SECONDS)
                self.presence = (self.presence[0], now)
            kept: list[tuple[UUID, float]] = []
            for lease, renewed in self.leases:
                if now - renewed < LEASE_SECONDS / 2:
                    kept.append((lease, renewed))
                    continue
                try:
                    self._client.renew_concurrency_lease(lease, LEASE_SECONDS)
                    kept.append((lease, now))
                except httpx.HTTPStatusError as exc:
                    if exc.response.status_code != 410:
                        raise
                    logger.warning("A %s slot's lease expired; this run holds one less", GLOBAL_LIMIT_NAME)
            if len(kept) < len(self.leases):
                self.requests.resize(len(kept))
                self.requests.drain_to(len(kept))
            self.leases = kept

    def _rebalance(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(REBALANCE_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._renew_due()
                self.resize()
            except Exception as exc:  # the next round tries again; the leases outlive a few misses
                logger.warning("Could not rebalance %s slots (%s)", GLOBAL_LIMIT_NAME, exc)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self.requests.resize(0)
            for lease, _ in self.leases:
                self._release(lease)
            self.leases.clear()
            if self.presence is not None:
                self._release(self.presence[0])
                self.presence = None
        self._client.__exit__(None, None, None)

    def hand_back(self) -> None:
        """While the run only waits: every slot back, so others use them meanwhile."""
        with self._lock:
            self.idle = True
        self.resize()

    def take_back(self) -> None:
        with self._lock:
            self.idle = False
        self.take_first()


_sharing_units: ContextVar[bool] = ContextVar("kaltura_events_sharing_units", default=False)


@contextmanager
def among_concurrent_units() -> Iterator[None]:
    """Mark the calls made here as one of several units at work at once (flows/units.py sets it).

    While other units may be sending requests, a unit that only waits must not
    hand the run's slots back: ``api_idle`` keeps them.
    """
    token = _sharing_units.set(True)
    try:
        yield
    finally:
        _sharing_units.reset(token)


@dataclass(frozen=True)
class _RunLimit:
    """One flow run's bound on requests in flight, and its slots of ``kaltura-api`` (None without it)."""

    requests: _Requests
    slots: _Slots | None


_run_limit: ContextVar[_RunLimit | None] = ContextVar("kaltura_events_run_limit", default=None)
"""Set by ``run_api_limit`` for the code it wraps. Threads see it when they run in a copy of the
context: Prefect's ThreadPoolTaskRunner copies it into each task it submits, flows/units.py into
each unit and step, the client's paging into each page fetch."""

_outside_a_run = threading.BoundedSemaphore(DEFAULT_MAX_IN_FLIGHT)
"""Calls made outside any ``run_api_limit`` (a task called on its own, a script): one bound for them all."""


def held_slots() -> int:
    """How many ``kaltura-api`` slots this run holds now (its own bound when the server has no limit)."""
    limit = _run_limit.get()
    if limit is None:
        return 0
    return len(limit.slots.leases) if limit.slots is not None else limit.requests.capacity


@contextmanager
def run_api_limit(max_in_flight: int) -> Iterator[int]:
    """Bound this flow run's requests in flight; yields the most it may have in flight.

    It returns once the run holds one slot; the run's part of the limit follows
    within a rebalance, so its first request waits for no one's share but its own.
    """
    size = _global_limit_size()
    if size is None:
        requests = _Requests(max_in_flight)
        token = _run_limit.set(_RunLimit(requests, None))
        try:
            yield max_in_flight
        finally:
            _run_limit.reset(token)
        return
    requests = _Requests(0)
    slots = _Slots(size, max_in_flight, requests)
    token = _run_limit.set(_RunLimit(requests, slots))
    slots.start()
    try:
        yield min(max_in_flight, size)
    finally:
        slots.stop()
        _run_limit.reset(token)


@contextmanager
def api_idle() -> Iterator[None]:
    """Hand this run's ``kaltura-api`` slots back while it only waits (a duplication poll interval).

    A run that polls a job for minutes would otherwise keep other runs from
    the API. Among concurrent units the slots stay: the others still use them.
    """
    limit = _run_limit.get()
    if limit is None or limit.slots is None or _sharing_units.get():
        yield
        return
    limit.slots.hand_back()
    try:
        yield
    finally:
        limit.slots.take_back()


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
