"""The duplication poll schedule, by arithmetic: when polls fall and what a job's length costs.

``run_duplications`` sleeps ``interval(n)`` before poll ``n``, so poll ``n``
falls at the sum of the first ``n + 1`` waits. These tests check the issue's
goals on that schedule alone, without any clock.
"""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from flows.duplication import PollSettings


def poll_times(poll: PollSettings) -> list[float]:
    """When each poll falls, in seconds after the job started, up to the timeout."""
    times = itertools.accumulate(poll.interval(n) for n in itertools.count())
    return list(itertools.takewhile(lambda t: t <= poll.timeout_seconds + poll.max_interval_seconds, times))


def first_poll_after(poll: PollSettings, job_seconds: float) -> tuple[int, float]:
    """(status calls made, moment of the poll that sees the job done) for a job of that length."""
    for count, moment in enumerate(poll_times(poll), start=1):
        if moment >= job_seconds:
            return count, moment
    raise AssertionError(f"no poll after {job_seconds} s within the timeout {poll.timeout_seconds} s")


def test_default_waits_grow_like_fibonacci_up_to_the_cap() -> None:
    poll = PollSettings()
    assert [poll.interval(n) for n in range(11)] == [1, 1, 2, 3, 5, 8, 13, 21, 30, 30, 30]


def test_seven_second_job_is_noticed_within_two_seconds_of_its_end() -> None:
    _, seen_at = first_poll_after(PollSettings(), 7.0)
    assert seen_at - 7.0 <= 2.0


def test_five_minute_job_costs_at_most_twenty_status_calls() -> None:
    calls, seen_at = first_poll_after(PollSettings(timeout_seconds=600), 300.0)
    assert calls <= 20
    assert seen_at - 300.0 <= 30.0, "never later than the longest wait"


@pytest.mark.parametrize("job_seconds", [0.5, 7.5, 45.0, 299.0])
def test_a_finished_job_is_never_noticed_later_than_the_longest_wait(job_seconds: float) -> None:
    poll = PollSettings(max_interval_seconds=10.0)
    _, seen_at = first_poll_after(poll, job_seconds)
    assert 0 <= seen_at - job_seconds <= 10.0


def test_first_wait_growth_and_cap_are_settings() -> None:
    doubling = PollSettings(first_interval_seconds=0.5, growth="doubling", max_interval_seconds=3.0)
    assert [doubling.interval(n) for n in range(6)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    constant = PollSettings(first_interval_seconds=2.0, growth="constant")
    assert [constant.interval(n) for n in range(3)] == [2.0, 2.0, 2.0]
    assert PollSettings(growth="doubling").interval(10_000) == 30.0


def test_explicit_waits_override_the_growing_schedule() -> None:
    poll = PollSettings(intervals_seconds=[5, 10, 30])
    assert [poll.interval(n) for n in range(5)] == [5, 10, 30, 30, 30]


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"first_interval_seconds": 0}, "first_interval_seconds"),
        ({"first_interval_seconds": 5, "max_interval_seconds": 2}, "max_interval_seconds"),
        ({"growth": "exponential"}, "growth"),
        ({"intervals_seconds": []}, "intervals_seconds"),
        ({"intervals_seconds": [1, -2]}, "intervals_seconds"),
    ],
)
def test_bad_settings_name_the_field(settings: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        PollSettings.model_validate(settings)
