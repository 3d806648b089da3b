"""A run's request slots under resizes: never more in flight than allowed, and no request left waiting.

The slots wake one waiting request per answer (tasks/api_limit.py
``_Requests``). A lost wakeup would leave a request waiting forever while a
slot is free, so the property runs generated interleavings of requests and
resizes and checks that every request ends, and that after the last resize
the run never has more in flight than its new size once the old ones drained.
A size of 0 is a run that handed its slots back while it only waits.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.api_limit import _Requests

NO_REQUEST_LEFT_WAITING_SECONDS = 5.0


@settings(max_examples=25, deadline=None)
@given(
    requests=st.integers(min_value=1, max_value=40),
    threads=st.integers(min_value=1, max_value=24),
    sizes=st.lists(st.integers(min_value=0, max_value=8), max_size=5).map(lambda s: [*s, 1 + len(s) % 8]),
    hold_ms=st.integers(min_value=0, max_value=3),
)
def test_every_request_ends_and_none_beyond_the_size(
    requests: int, threads: int, sizes: list[int], hold_ms: int
) -> None:
    slots = _Requests(sizes[0])
    guard = threading.Lock()
    peak_after_last: list[int] = [0]
    last_applied = threading.Event()
    final = sizes[-1]

    def request(_: int) -> None:
        with slots:
            with guard:
                if last_applied.is_set():
                    peak_after_last[0] = max(peak_after_last[0], slots.in_flight)
            time.sleep(hold_ms / 1000)

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(request, i) for i in range(requests)]
        for size in sizes[1:]:
            slots.resize(size)
            time.sleep(0.001)
        slots.drain_to(final)
        last_applied.set()
        done, waiting = wait(futures, timeout=NO_REQUEST_LEFT_WAITING_SECONDS)
        if waiting:
            with slots._slot_free:  # let them end, whatever resize does, so the failure is reported
                slots.capacity = requests
                slots._slot_free.notify_all()
        assert not waiting, f"{len(waiting)} of {requests} requests still waiting with {final} slot(s)"
        for future in done:
            future.result()
    assert peak_after_last[0] <= final
    assert slots.in_flight == 0
