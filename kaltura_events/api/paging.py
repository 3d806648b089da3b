"""One paging helper for every list endpoint: first page, then the rest at once, each id once, summed.

The first page says how many items there are, so the remaining offsets are
known and fetched concurrently (a 52-event series costs one round trip plus
one, not four). Whatever the pages bring is de-duplicated by id and must add
up to ``totalCount``: a partial picture would make a caller create what
already exists, so it raises instead.
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from kaltura_events.api.collector import fewer_collections
from kaltura_events.api.errors import IncompleteListingError

T = TypeVar("T")

PAGE_CONCURRENCY = 8
"""Pages in flight at once for one listing; the run's request slots bound the total beyond this."""

FetchPage = Callable[[int], tuple[Sequence[T], int]]
"""Page number (0 first) -> (items on that page, the totalCount that page reported)."""


def collect_pages(
    endpoint: str,
    fetch: FetchPage[T],
    *,
    page_size: int,
    key: Callable[[T], Hashable],
    concurrency: int = PAGE_CONCURRENCY,
) -> list[T]:
    """Every item, in page order, each key once; IncompleteListingError unless they add up."""
    items: list[T] = []
    fold_pages(endpoint, fetch, items.extend, page_size=page_size, key=key, concurrency=concurrency)
    return items


def fold_pages(
    endpoint: str,
    fetch: FetchPage[T],
    consume: Callable[[list[T]], object],
    *,
    page_size: int,
    key: Callable[[T], Hashable],
    concurrency: int = PAGE_CONCURRENCY,
) -> int:
    """Each page's new items (each key once) handed to ``consume`` in page order as the pages
    arrive; how many there were. IncompleteListingError unless they add up.

    A caller that folds the items into what it needs (counts, a table) holds
    at most one wave of pages, not the whole listing. Pages after the first
    go out in waves of ``concurrency``; a short page in a wave ends the paging
    (a server that reads the offset as a page index answers empty pages, and
    a bogus ``totalCount`` must not fan out without end). Each page runs in a
    copy of the caller's context, so whatever the caller's context carries
    (Prefect's run context, and through it the run's request slot) holds for
    the page's requests too. Raising in ``consume`` ends the paging.
    """
    seen: set[Hashable] = set()

    def keep(page: Sequence[T]) -> None:
        fresh = []
        for item in page:
            item_key = key(item)
            if item_key not in seen:
                seen.add(item_key)
                fresh.append(item)
        consume(fresh)

    with fewer_collections():  # young pages die young (kaltura_events/api/collector.py)
        first, total = fetch(0)
        keep(first)
        total = _rest(fetch, keep, first, total, page_size, concurrency)
    if len(seen) != total:
        raise IncompleteListingError(endpoint, len(seen), total)
    return len(seen)


def _rest(
    fetch: FetchPage[T],
    keep: Callable[[Sequence[T]], None],
    first: Sequence[T],
    total: int,
    page_size: int,
    concurrency: int,
) -> int:
    """The pages after the first, in waves, each handed to ``keep`` in order; the largest totalCount."""
    pages = math.ceil(total / page_size)
    if len(first) >= page_size and pages > 1:
        with ThreadPoolExecutor(max_workers=min(concurrency, pages - 1)) as pool:
            next_page = 1
            while next_page < pages:
                wave = range(next_page, min(pages, next_page + concurrency))
                futures: list[Future[tuple[Sequence[T], int]]] = [
                    pool.submit(contextvars.copy_context().run, fetch, number) for number in wave
                ]
                short = False
                try:
                    for future in futures:
                        page, reported = future.result()
                        keep(page)
                        total = max(total, reported)
                        short = short or len(page) < page_size
                finally:
                    for future in futures:
                        future.cancel()
                next_page = wave.stop
                if short:
                    break
                pages = max(pages, math.ceil(total / page_size))
    return total
