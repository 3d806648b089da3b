"""What every API task shares: its retry rule, its client, and the limit on requests in flight.

Retry decisions come from ``kaltura_events.api.retry.is_retryable``, the same rule
the client applies inside each call, so a task retries only what the client
would. Retry-After stays in the client: Prefect cannot take a delay from an
exception.

Requests in flight are bounded twice: per flow run by a semaphore whose size
is a flow parameter, and across runs and workers by the Prefect global
concurrency limit ``kaltura-api`` when the server has one. The run's semaphore
is in a ContextVar that ``run_api_limit`` sets for the code it wraps; the
threads that work runs in get it with their copy of the context.

Each task run is named from its parameters (``api_task(run_name=...)``), so
the UI tells a year's 52 ``create-event`` runs apart.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from string import Formatter
from typing import Any, ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectNotFound
from prefect.futures import PrefectFuture
from prefect.logging import get_logger
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.tasks import TaskRunNameCallbackWithParameters

from kaltura_events.api.api_v3 import ApiV3Client
from kaltura_events.api.app_registry import AppRegistryClient
from kaltura_events.api.events import EventsClient
from kaltura_events.api.user_profile import UserProfileClient
from kaltura_events.credentials import KalturaCredentials

P = ParamSpec("P")
R = TypeVar("R")

GLOBAL_LIMIT_NAME = "kaltura-api"
DEFAULT_MAX_IN_FLIGHT = 8

logger = get_logger("kaltura_events.tasks")


RunName = Callable[[Mapping[str, Any]], str]
"""A task run's name from its parameters (the credentials left out), after ``"<task name>: "``."""

RUN_NAME_LIMIT = 120


def api_task(
    name: str, *, endpoint: str, description: str, run_name: str | RunName | None = None
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """A task for one API call: readable name, the endpoint in its UI description, never cached.

    No Prefect retries: the client is the one retry layer (README, "Errors and
    retries"). It honours Retry-After, looks before repeating an ambiguous
    write, and takes the run's request slot per attempt, so a call waiting out
    its backoff holds no slot. A second layer here would multiply the attempts.
    Caching is off for writes too: a cached create would hide an event deleted
    since, and re-running must always observe.

    ``run_name`` names each run from its parameters, so a year's series shows
    ``create-event: Company All-Hands March 2027`` rather than 52 runs called
    ``create-event-xxx``: a ``str.format`` template of the parameters, or a
    function of them. The credentials are never part of it: a template may not
    name them, and a function is not given them. Without ``run_name`` (a task
    with nothing to tell its runs apart) the run carries the task's name.
    """

    def decorate(fn: Callable[P, R]) -> Task[P, R]:
        if isinstance(run_name, str):
            _check_template(name, run_name, fn)
        return task(
            name=name,
            description=f"{endpoint}: {description}",
            cache_policy=NO_CACHE,
            persist_result=False,
            task_run_name=_RunNamer(name, run_name),
        )(fn)

    return decorate


def _check_template(name: str, template: str, fn: Callable[..., Any]) -> None:
    """Refuse, when the task is declared, a template naming an unknown parameter or the credentials."""
    known = set(inspect.signature(fn).parameters) - {"credentials"}
    for _, field_name, _, _ in Formatter().parse(template):
        if field_name is None:
            continue
        root = field_name.split(".")[0].split("[")[0]
        if root not in known:
            raise ValueError(f"run_name of task {name!r} names {root!r}, not one of {sorted(known)}")


class _RunNamer(TaskRunNameCallbackWithParameters):
    """Prefect calls it with the run's parameters (it has a ``parameters`` argument) as the run starts."""

    def __init__(self, name: str, run_name: str | RunName | None) -> None:
        self.name = name
        self.run_name = run_name

    def __call__(self, parameters: dict[str, Any]) -> str:
        if self.run_name is None:
            return self.name
        shown = {key: value for key, value in parameters.items() if key != "credentials"}
        template = self.run_name
        try:
            detail = template.format(**shown) if isinstance(template, str) else template(shown)
        except Exception as exc:  # a name is for people: it must never fail the call it names
            logger.warning("Task %r: no run name from its parameters (%s)", self.name, type(exc).__name__)
            return self.name
        if len(detail) > RUN_NAME_LIMIT:
            detail = detail[: RUN_NAME_LIMIT - 1] + "…"
        return f"{self.name}: {detail}"


def when(value: object) -> str:
    """A datetime parameter as a run name shows it: ``2027-03-04T15:00+00:00``."""
    return value.isoformat(timespec="minutes") if isinstance(value, datetime) else str(value)


def filter_summary(value: object) -> str:
    """A list filter (a dataclass) as its fields that are set: ``labels=kev-series:ab12, start_gte=...``."""
    if not is_dataclass(value) or isinstance(value, type):
        return str(value)
    parts = []
    for item in fields(value):
        field_value = getattr(value, item.name)
        if field_value is None or field_value == ():
            continue
        if isinstance(field_value, tuple):
            shown = ",".join(when(v) for v in field_value)
        else:
            shown = when(field_value)
        parts.append(f"{item.name}={shown}")
    return ", ".join(parts) or "everything"


def resolve(credentials: KalturaCredentials | None) -> KalturaCredentials:
    """The Block given, or the same settings from ``KALTURA_*`` environment variables."""
    return credentials if credentials is not None else KalturaCredentials.from_env()


def events_client(credentials: KalturaCredentials | None) -> EventsClient:
    """The shared client whose every HTTP attempt takes one of this run's request slots."""
    return resolve(credentials).get_events_client(slot=api_slot)


def api_v3_client(credentials: KalturaCredentials | None) -> ApiV3Client:
    return resolve(credentials).get_api_v3_client(slot=api_slot)


def app_registry_client(credentials: KalturaCredentials | None) -> AppRegistryClient:
    return resolve(credentials).get_app_registry_client(slot=api_slot)


def user_profile_client(credentials: KalturaCredentials | None) -> UserProfileClient:
    return resolve(credentials).get_user_profile_client(slot=api_slot)


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
