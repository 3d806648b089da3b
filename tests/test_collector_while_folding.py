"""While listings are folded the collector's young generation is larger, and afterwards as it was.

Folds overlap (12 occurrences' profiles and users at once, in threads), so
the threshold is raised by the first and put back by the last, whatever
order they end in; a fold that raises puts it back too.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from kaltura_events.api.collector import YOUNG_THRESHOLD
from kaltura_events.api.errors import IncompleteListingError
from kaltura_events.api.paging import fold_pages


@pytest.fixture(autouse=True)
def default_threshold() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_overlapping_folds_raise_it_once_and_the_last_puts_it_back() -> None:
    inside: list[int] = []
    first_started, second_ended = threading.Event(), threading.Event()

    def slow(number: int) -> tuple[list[int], int]:
        first_started.set()
        second_ended.wait(5)
        inside.append(gc.get_threshold()[0])
        return [number], 1

    def quick(number: int) -> tuple[list[int], int]:
        inside.append(gc.get_threshold()[0])
        return [number], 1

    one = threading.Thread(
        target=fold_pages, args=("a/list", slow, lambda _: None), kwargs={"page_size": 5, "key": str}
    )
    one.start()
    first_started.wait(5)
    fold_pages("b/list", quick, lambda _: None, page_size=5, key=str)  # ends while the first still folds
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    second_ended.set()
    one.join(5)
    assert inside == [YOUNG_THRESHOLD, YOUNG_THRESHOLD]
    assert gc.get_threshold() == (700, 10, 10)


def test_a_fold_that_fails_puts_it_back() -> None:
    with pytest.raises(IncompleteListingError):
        fold_pages("a/list", lambda number: ([], 3), lambda _: None, page_size=5, key=str)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_collector_turned_off_stays_off() -> None:
    gc.set_threshold(0, 10, 10)
    seen: list[int] = []
    fold_pages(
        "a/list",
        lambda number: ([number], 1),
        lambda _: seen.append(gc.get_threshold()[0]),
        page_size=5,
        key=str,
    )
    assert seen == [0] and gc.get_threshold() == (0, 10, 10)
