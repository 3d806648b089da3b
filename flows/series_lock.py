"""One writer per series (and per Prefect Variable): a global concurrency limit of 1 per name.

The Events API takes no idempotency key and no labels on create, so an event is
unlabelled from its creation until the run's last update: two runs converging
one series at once both see "missing" and both create. Exclusion is Prefect's
job, not ours: each series is a global concurrency limit of one slot, created on
first use, taken with a lease that Prefect renews while the run lives and that
expires on its own when the holder is killed. All of a run's names are taken in
one request, so a file run and a series run cannot deadlock on each other.

Prefect records who holds a lease but does not serve it back, so the holder
also writes its flow run's name and URL into a Prefect Variable beside the
limit: a waiting run says once whom it waits for, and a run that gives up
names the holder in its one-line error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import copy_context
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.objects import ConcurrencyLeaseHolder
from prefect.concurrency._asyncio import AcquireConcurrencySlotTimeoutError
from prefect.concurrency.sync import concurrency
from prefect.exceptions import MissingContextError, ObjectAlreadyExists, ObjectNotFound
from prefect.logging import get_logger, get_run_logger
from prefect.settings import PREFECT_CLIENT_MAX_RETRIES, temporary_settings
from prefect.variables import Variable

from kaltura_events.api.errors import KalturaError
from kaltura_events.credentials import KalturaCredentials

SERIES_LOCK_PREFIX = "kaltura-series"
FILE_LOCK_PREFIX = "kaltura-events-file"
VARIABLE_LOCK_PREFIX = "kaltura-variable"
VARIABLE_LOCK_WAIT_SECONDS = 240.0
"""A run holds a Variable's lock for one list call: short, but a busy server may be slow to grant
it (O1 saw a free lock take 14 s), and the watcher's next tick is 5 minutes away."""
DEFAULT_LOCK_WAIT_SECONDS = 300.0
LEASE_SECONDS_ENV = "KALTURA_EVENTS_LOCK_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 120.0
"""How long a killed holder keeps the lock. Prefect renews a live holder's lease at 75% of it,
and takes no lease shorter than 60 s."""
DELETE_ATTEMPTS = 10
"""A busy SQLite-backed server refuses a Variable's delete for as long as it is writing; ten
prompt attempts span about 2.5 s, as long as the first of Prefect's own retries waits."""
ANNOUNCE_AFTER_SECONDS = 1.0
"""How often a waiting run looks whether another run really holds a name (a slow server alone is no
holder): a run that got the lock within this long did not really wait, and says nothing."""

logger = get_logger("kaltura_events.flows.series_lock")


class SeriesBusy(KalturaError):
    """Another run held the series for longer than this run would wait; the message names it."""


@dataclass(frozen=True)
class LockWait:
    """What taking the lock cost: shown in the run's report, so a run that waited says so."""

    names: tuple[str, ...]
    waited_seconds: float
    holder: str | None
    """Who held it while this run waited (flow run name and URL), when it had to wait."""

    @property
    def note(self) -> str:
        if self.holder is None:
            return ""
        return f"waited {self.waited_seconds:.0f} s for {self.holder}"


def partner_of(credentials: KalturaCredentials) -> int:
    """The partner id locks are named for: a KS names its partner even when no partner id is given."""
    from kaltura_events.api.ks import ks_partner_id

    if credentials.partner_id is not None:
        return credentials.partner_id
    assert credentials.ks is not None, "credentials without partner_id carry a ready KS"
    return ks_partner_id(credentials.ks.get_secret_value())


def series_lock(partner_id: int, key: str) -> str:
    return f"{SERIES_LOCK_PREFIX}-{partner_id}-{key}"


def variable_lock(variable: str) -> str:
    """A Prefect Variable's own lock: a run reads, changes and writes it back whole."""
    return f"{VARIABLE_LOCK_PREFIX}-{variable}"


def file_lock(partner_id: int, file_name: str) -> str:
    """An events file's own lock: the orphans of series removed from it have no series key left."""
    return f"{FILE_LOCK_PREFIX}-{partner_id}-{file_name}"


def lease_seconds() -> float:
    raw = os.environ.get(LEASE_SECONDS_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_LEASE_SECONDS
    except ValueError:
        raise KalturaError(f"{LEASE_SECONDS_ENV} must be a number of seconds (got {raw!r})") from None
    if not 60 <= value <= 86400:
        raise KalturaError(f"{LEASE_SECONDS_ENV} must be between 60 and 86400 seconds (got {raw!r})")
    return value


def _holder_variable(name: str) -> str:
    """A Variable name for a limit name: Variables take letters, digits, dashes and underscores only."""
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{re.sub(r'[^a-z0-9_-]', '_', name.lower())[:200]}-holder-{digest}"


def _ensure_limits(names: Sequence[str]) -> None:
    """Create each series' limit of one slot on first use; an existing one is used as it is.

    Read first: two runs creating one name at once is rare, and the loser's 409 is
    logged by the server as an error.
    """
    with get_client(sync_client=True) as client:
        for name in names:
            try:
                client.read_global_concurrency_limit_by_name(name)
                continue
            except ObjectNotFound:
                pass
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
            except ObjectAlreadyExists:
                continue


def _this_run() -> tuple[ConcurrencyLeaseHolder | None, dict[str, Any]]:
    """The lease holder Prefect records, and the description a waiting run will print."""
    from prefect.runtime import flow_run

    since = datetime.now(timezone.utc).isoformat(timespec="seconds")
    run_id = flow_run.get_id()
    if run_id is None:
        return None, {"who": f"process {os.getpid()} on {socket.gethostname()}", "since": since}
    url = flow_run.get_flow_run_ui_url()
    who = f"flow run {flow_run.get_name()!r}" + (f" ({url})" if url else "")
    return ConcurrencyLeaseHolder(type="flow_run", id=UUID(run_id)), {"who": who, "since": since}


def _run_logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The flow run's logger, so that the wait shows in the run's logs in the UI; ours outside a run."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logger


def _holders(names: Sequence[str]) -> str | None:
    """Who holds these names now, as their holders recorded it; None while none of them is held
    (then only the server is slow to grant it)."""
    found: list[str] = []
    with get_client(sync_client=True) as client:
        for name in names:
            try:
                limit = client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                continue
            if limit.active_slots < limit.limit:
                continue
            value = Variable.get(_holder_variable(name), default=None)
            if isinstance(value, dict) and value.get("who"):
                found.append(f"{value['who']}, since {value.get('since', '?')}")
            else:
                found.append(f"a run that recorded no name ({name})")
    return "; ".join(dict.fromkeys(found)) or None


def _forget_holder(names: Sequence[str]) -> None:
    """A released lock names nobody: a later wait must not blame a run that finished long ago."""
    for name in names:
        try:
            _delete_variable(_holder_variable(name))
        except Exception as exc:  # a stale name misleads a message; it never breaks the lock
            logger.warning("Could not clear the holder of %s (%s)", name, type(exc).__name__)


def _delete_variable(variable: str) -> None:
    """Delete a Variable, asking again at once while the server answers 503.

    A SQLite-backed Prefect server reads a Variable, then deletes it, in one deferred
    transaction: when it is recording a run's task runs meanwhile (as at the end of every run),
    SQLite refuses the delete at once (503), and Prefect's client asks again only after 2 s,
    then 4 s. Measured in tests/flows, that was most runs, each holding its series those
    seconds longer. The refusal is immediate, so a prompt retry succeeds.
    """
    attempts = DELETE_ATTEMPTS
    with temporary_settings(updates={PREFECT_CLIENT_MAX_RETRIES: 0}), get_client(sync_client=True) as client:
        for attempt in range(1, attempts + 1):
            try:
                client.delete_variable_by_name(variable)
                return
            except ObjectNotFound:
                return
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 503 or attempt == attempts:
                    raise
            time.sleep(0.05 * attempt)


@contextmanager
def one_writer(
    names: Sequence[str], *, wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS
) -> Iterator[LockWait]:
    """Hold every one of ``names`` (one slot each) while the body observes and writes.

    Prefect asks again while the lock is busy (after the Retry-After its server
    sends, 30 s at most). While it waits, a thread looks every
    ``ANNOUNCE_AFTER_SECONDS`` whether another run really holds a name and then
    logs, once, who; past ``wait_seconds``, ``SeriesBusy`` names the holder and
    how to free a lock that is stuck.
    """
    wanted = sorted(set(names))
    if not wanted:
        yield LockWait((), 0.0, None)
        return
    _ensure_limits(wanted)
    holder, record = _this_run()
    busy_with: list[str] = []
    log = _run_logger()
    granted = threading.Event()

    def announce_once_held() -> None:
        while not granted.wait(ANNOUNCE_AFTER_SECONDS):
            try:
                who = _holders(wanted)
            except Exception:  # only a message: the wait goes on either way
                continue
            if who is not None and not granted.is_set():
                busy_with.append(who)
                log.warning(
                    "%s is being written by %s; waiting up to %.0f s", ", ".join(wanted), who, wait_seconds
                )
                return

    announcer = threading.Thread(target=copy_context().run, args=(announce_once_held,), daemon=True)
    started = time.monotonic()
    announcer.start()
    try:
        with concurrency(
            wanted,
            occupy=1,
            timeout_seconds=wait_seconds,
            lease_duration=lease_seconds(),
            strict=True,
            holder=holder,
            raise_on_lease_renewal_failure=True,
        ):
            granted.set()
            announcer.join()
            for name in wanted:
                Variable.set(_holder_variable(name), record, overwrite=True)
            try:
                yield LockWait(tuple(wanted), time.monotonic() - started, busy_with[0] if busy_with else None)
            finally:
                _forget_holder(wanted)
    except AcquireConcurrencySlotTimeoutError:
        raise SeriesBusy(
            f"{', '.join(wanted)} is being written by {_holders(wanted) or 'another run'}; gave up after "
            f"{time.monotonic() - started:.0f} s. Re-run once it finished, wait longer (lock_wait_seconds), "
            f"or, if that run is gone, free it: prefect gcl update {wanted[0]} --active-slots 0"
        ) from None
    finally:
        granted.set()
