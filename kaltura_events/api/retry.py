"""The one retry policy: what is retried, how long to wait, and what a failed write means.

Prefect tasks ask ``is_retryable`` through ``retry_condition_fn``; the clients
run ``run_with_retries`` around every call. Both read the same facts, so the
two layers can never disagree about what is worth another try.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kaltura_events.api.errors import (
    ConnectionFailedError,
    KalturaError,
    NotFoundError,
    OutcomeUnknownError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: 1 s, 2 s, 4 s by default; Retry-After wins when given."""

    max_retries: int = 3
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.2
    max_retry_after: float = 120.0

    def delay(self, attempt: int, exc: BaseException, rng: random.Random | None = None) -> float:
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, (int, float)) and retry_after >= 0:
            return float(min(retry_after, self.max_retry_after))
        nominal = min(self.base_delay * self.factor**attempt, self.max_delay)
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return max(0.0, nominal * spread)


def is_retryable(exc: BaseException) -> bool:
    """5xx, 429, timeouts, resets and category locks; never 400/401/403/404."""
    return isinstance(exc, KalturaError) and bool(getattr(exc, "retryable", False))


def is_ambiguous(exc: BaseException) -> bool:
    """A write that failed this way may have committed: look before writing again.

    A connection that was never opened sent nothing, so it is not ambiguous.
    An unreadable answer (a proxy's HTML page, a cut-off body) is: the server
    behind the proxy may have done the work, as after a 5xx.
    """
    if isinstance(exc, ConnectionFailedError) and getattr(exc, "before_send", False):
        return False
    return isinstance(exc, (ServerError, TransportError, UnexpectedResponseError))


def run_with_retries(
    attempt_once: Callable[[], T],
    *,
    policy: RetryPolicy,
    reconcile: Callable[[], T | None] | None = None,
    gone_is_done: bool = False,
    at_most_once: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run one API call under the policy.

    ``reconcile`` is how a write finds what an ambiguous failure may have made;
    it runs before each retry of that write and once more when retries run out,
    so a created-but-500 event is adopted instead of made twice. When the
    look-up itself fails, nobody knows whether the write happened, so it is
    not retried: the write's error is raised, naming the look-up's as its cause.
    ``gone_is_done`` makes a 404 after an ambiguous delete count as success:
    the earlier attempt did the work.
    ``at_most_once`` marks a write that has no look-up and must not be done
    twice: an ambiguous failure ends the call at once as OutcomeUnknownError,
    carrying this advice (where to look before writing again); failures that
    sent nothing (429, a connection never opened) are still retried.
    """
    attempt = 0
    ambiguous_before = False
    while True:
        try:
            return attempt_once()
        except NotFoundError:
            if gone_is_done and ambiguous_before:
                return None  # type: ignore[return-value]
            raise
        except KalturaError as exc:
            if not is_retryable(exc):
                raise
            ambiguous = is_ambiguous(exc)
            if ambiguous and at_most_once is not None:
                raise OutcomeUnknownError(exc, at_most_once) from exc
            ambiguous_before = ambiguous_before or ambiguous
            if attempt >= policy.max_retries:
                if ambiguous and reconcile is not None:
                    found = _look(reconcile, exc)
                    if found is not None:
                        return found
                raise
            sleep(policy.delay(attempt, exc))
            attempt += 1
            if ambiguous and reconcile is not None:
                found = _look(reconcile, exc)
                if found is not None:
                    return found


def _look(reconcile: Callable[[], T | None], write_failure: KalturaError) -> T | None:
    try:
        return reconcile()
    except KalturaError as lookup_failure:
        raise write_failure.while_looking(lookup_failure) from lookup_failure
