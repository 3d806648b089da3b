"""The garbage collector's youngest generation made larger while a listing is folded page by page,
or a report's rows are made and written.

A page of 500 profiles is about 2,000 dicts as parsed. With the collector's
default threshold (a collection every 700 new container objects) every page
met two or three young collections while it was still in use, in its own
thread or another's, and was promoted with its dicts to the oldest
generation; each full collection then walked the whole process. At 12
listings x 20,000 profiles that was a quarter of the flow process's CPU
(1.37 CPU-s of 6.0 in full collections); with 20,000 a page dies young and it
was 0.17 s. Writing R2's 600,000 rows under it as well took the collector's
CPU over the whole run from 1.43 s to 0.54 s. Only how often the collector
runs changes: what it collects, and when reference counting frees the rest,
does not.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 20_000
"""New container objects between young collections while any such work runs (CPython's default 700)."""


class _Collector:
    """Counts the blocks under way: the first one raises the threshold, the last one puts it back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blocks = 0
        self._saved: tuple[int, int, int] | None = None

    @contextmanager
    def fewer_collections(self) -> Iterator[None]:
        with self._lock:
            if self._blocks == 0:
                threshold = gc.get_threshold()
                if 0 < threshold[0] < YOUNG_THRESHOLD:  # 0 (collection off) or a larger one is left alone
                    self._saved = threshold
                    gc.set_threshold(YOUNG_THRESHOLD, threshold[1], threshold[2])
            self._blocks += 1
        try:
            yield
        finally:
            with self._lock:
                self._blocks -= 1
                if self._blocks == 0 and self._saved is not None:
                    gc.set_threshold(*self._saved)
                    self._saved = None


fewer_collections = _Collector().fewer_collections
"""``with fewer_collections():`` around a paged fold or a report's writing; blocks may overlap, in any
threads."""
