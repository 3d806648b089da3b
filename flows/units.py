"""Run a flow's units of work at once, each a plain function that calls its tasks top to bottom.

A unit (one occurrence, one duplication, one event to delete) is a function
that calls Prefect tasks directly, in the order the guide's curl sequence
gives, and returns what it made. Each unit runs in its own thread with a copy
of the flow run's context, so its task runs belong to the flow run and it
advances the moment its own step lands. The run's API limit, taken per
request by the client, bounds the requests of all units together; the
number of units at once only bounds threads.

Failure handling lives here, once: a unit that raises is recorded by its key
and the others go on; a refused KS (AuthenticationError) means no later call
can pass, so units not yet started are skipped and the error is raised once
every started unit has ended. Every unit ends in ``done`` or ``failed``, never
in neither: one ended by a BaseException (SystemExit from a library, say) is
recorded as failed like any other. Signals reach the main thread, not a
unit's, so nothing here swallows an interrupt; a unit that vanished without a
trace would let the run report less than it tried and still complete.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, TypeVar

from kaltura_events.api.errors import AuthenticationError
from tasks.api_limit import among_concurrent_units

R = TypeVar("R")

DEFAULT_UNITS_AT_ONCE = 32
STEPS_AT_ONCE = 32
"""Threads for one unit's steps. A step is one task of API calls, and no more than the run's API limit
(8 by default) are in flight; a 50,000-person audience was 2,000 invite pages per event, and a
thread for each held about 400 MB of stacks in the flow process."""
"""Threads, not requests: units mostly wait on the API limit, so a few times that limit keeps it busy."""


@dataclass
class UnitResults(Generic[R]):
    """What each unit returned, by key, and the error that ended each unit that did not finish."""

    done: dict[str, R] = field(default_factory=dict)
    failed: dict[str, BaseException] = field(default_factory=dict)

    def messages(self) -> dict[str, str]:
        return {key: str(error) or type(error).__name__ for key, error in self.failed.items()}


def _in_context(work: Callable[[], R]) -> Callable[[], R]:
    """Bind ``work`` to a copy of the caller's context: the flow run, its task runner, its API limit."""
    context = contextvars.copy_context()
    return lambda: context.run(work)


def run_units(
    units: Mapping[str, Callable[[], R]], *, at_once: int = DEFAULT_UNITS_AT_ONCE
) -> UnitResults[R]:
    """Run every unit, ``at_once`` at a time; record failures; stop starting new ones after a refused KS."""
    results: UnitResults[R] = UnitResults()
    if not units:
        return results
    refused: list[AuthenticationError] = []
    lock = threading.Lock()
    together = among_concurrent_units if len(units) > 1 else nullcontext

    def guarded(key: str, work: Callable[[], R]) -> None:
        if refused:
            with lock:
                results.failed[key] = refused[0]
            return
        try:
            with together():
                value = work()
        except BaseException as exc:
            with lock:
                if isinstance(exc, AuthenticationError):
                    refused.append(exc)
                results.failed[key] = exc
        else:
            with lock:
                results.done[key] = value

    with ThreadPoolExecutor(max_workers=min(at_once, len(units)), thread_name_prefix="unit") as pool:
        for key, work in units.items():
            pool.submit(_in_context(partial(guarded, key, work)))
    if refused:
        raise refused[0]
    return results


def in_parallel(steps: Sequence[Callable[[], R]], at_once: int = STEPS_AT_ONCE) -> list[R]:
    """A unit's independent steps (its sessions) at once, at most ``at_once`` of them; all end before
    the first error is raised.

    Waiting for every step keeps a failed unit from leaving calls running
    behind it, so a re-run observes a settled state.
    """
    if len(steps) <= 1:
        return [step() for step in steps]
    with ThreadPoolExecutor(max_workers=min(len(steps), at_once), thread_name_prefix="step") as pool:
        futures: list[Future[R]] = [pool.submit(_in_context(step)) for step in steps]
    return [future.result() for future in futures]
