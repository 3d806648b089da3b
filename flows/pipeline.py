"""Start follow-up tasks the moment their predecessor finishes, from the flow's own thread.

Waves (all creates, then all sessions, then all updates) leave the API limit
idle while each wave's slowest call finishes. Passing futures as task
arguments avoids that, but Prefect then reads each upstream task run back
from its API. This keeps both costs away: it waits on the thread pool's own
futures and hands each finished task to a callback that may submit more.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any, TypeVar, cast

from prefect.futures import PrefectConcurrentFuture, PrefectFuture
from prefect.results import ResultRecord

R = TypeVar("R")

OnDone = Callable[[PrefectFuture[Any]], None]


class Pipeline:
    def __init__(self) -> None:
        self._pending: dict[concurrent.futures.Future[Any], tuple[PrefectConcurrentFuture[Any], OnDone]] = {}

    def add(self, future: PrefectFuture[Any], on_done: OnDone) -> None:
        if not isinstance(future, PrefectConcurrentFuture):
            raise TypeError("Pipeline needs the thread-pool task runner's futures")
        self._pending[future.wrapped_future] = (future, on_done)

    def run(self) -> None:
        """Until nothing is pending; callbacks run here, one at a time, so they need no locks."""
        while self._pending:
            done, _ = concurrent.futures.wait(
                list(self._pending), return_when=concurrent.futures.FIRST_COMPLETED
            )
            for wrapped in done:
                future, on_done = self._pending.pop(wrapped)
                future.wait()
                on_done(future)


def value(future: PrefectFuture[R]) -> R:
    """The finished task's return value, read from its state without a trip through Prefect's event loop.

    ``future.result()`` in sync code hops to Prefect's loop thread, which is busy
    emitting task events, and cost about 2 ms a call here. A completed task's
    value is already in memory: Prefect 3.9 wraps it in a ``ResultRecord``
    even when nothing is persisted. Any other state takes the regular path,
    which raises the task's error.
    """
    state = future.state
    if state.is_completed():
        data = state.data
        return cast(R, data.result if isinstance(data, ResultRecord) else data)
    return future.result()
