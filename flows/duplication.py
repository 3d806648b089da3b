"""Start duplications and poll them to an end; shared by duplicate_event and source-event series.

Jobs are started together and polled together, one ``duplicateStatus`` per
pending job per round, with growing intervals (1, 1, 2, 3, 5, 8, 13, 21, 30, 30... s by default).
A job that ends neither completed nor failed within the timeout fails the run
with its id and last state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from kaltura_events.api.errors import InvalidArgumentError, KalturaError
from kaltura_events.credentials import KalturaCredentials
from tasks.api_limit import api_idle
from tasks.events import duplicate_event, get_duplicate_status

PollGrowth = Literal["fibonacci", "doubling", "constant"]


class PollSettings(BaseModel):
    """When to ask a duplication job's status: soon at first, then less and less often.

    Short jobs (seconds) are noticed soon after they end; long jobs (minutes)
    cost few status calls. With the defaults the waits are 1, 1, 2, 3, 5, 8, 13,
    21, 30, 30... s: a 7 s job is seen at its end, and a 5-minute job costs 17
    status calls.
    """

    timeout_seconds: float = Field(
        default=300.0,
        gt=0,
        le=6 * 3600,
        title="Poll timeout (s)",
        description="A duplication not finished by then fails the run, naming the job.",
    )
    first_interval_seconds: float = Field(
        default=1.0,
        gt=0,
        le=3600,
        title="First wait (s)",
        description="Wait before the first status poll; the waits grow from here.",
    )
    growth: PollGrowth = Field(
        default="fibonacci",
        title="Growth of the waits",
        description=(
            "fibonacci: each wait is the sum of the two before (1, 1, 2, 3, 5, 8... times the first); "
            "doubling: 1, 2, 4, 8... times the first; constant: always the first."
        ),
    )
    max_interval_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        title="Longest wait (s)",
        description="The waits stop growing here; a job that ends is noticed at most this late.",
    )
    intervals_seconds: list[Annotated[float, Field(gt=0)]] | None = Field(
        default=None,
        min_length=1,
        title="Explicit waits (s)",
        description="Leave empty for the growing schedule above. If given: these waits, the last repeating.",
    )

    @model_validator(mode="after")
    def _cap_not_below_first(self) -> PollSettings:
        if self.max_interval_seconds < self.first_interval_seconds:
            raise InvalidArgumentError(
                "max_interval_seconds",
                self.max_interval_seconds,
                f"must be at least first_interval_seconds ({self.first_interval_seconds:g})",
            )
        return self

    def interval(self, poll_number: int) -> float:
        """The wait before poll ``poll_number`` (0-based)."""
        if self.intervals_seconds is not None:
            return self.intervals_seconds[min(poll_number, len(self.intervals_seconds) - 1)]
        first, cap = self.first_interval_seconds, self.max_interval_seconds
        if self.growth == "constant":
            return first
        if self.growth == "doubling":
            # Past 2**64 the cap has long applied; the min keeps the power finite.
            return min(cap, first * 2.0 ** min(poll_number, 64))
        previous, current = 0.0, first
        for _ in range(poll_number):
            previous, current = current, min(cap, previous + current)
        return min(cap, current)


class DuplicationError(KalturaError):
    """A duplication job failed or did not finish in time; names the job and its last state."""

    def __init__(self, job_id: str, state: str, detail: str) -> None:
        self.job_id = job_id
        self.state = state
        super().__init__(f"duplication job {job_id} {detail} (last jobState={state!r})")


@dataclass(frozen=True)
class DuplicationRequest:
    source_event_id: int
    name: str
    timezone: str
    start: datetime | None
    end: datetime | None
    description: str | None
    copy_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class DuplicationOutcome:
    request: DuplicationRequest
    event_id: int | None
    job_id: str | None
    state: str
    error: str | None = None
    noticed_after_seconds: float = 0.0


def run_duplications(
    credentials: KalturaCredentials | None,
    requests: list[DuplicationRequest],
    poll: PollSettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[DuplicationOutcome]:
    """Start every duplication, then poll the pending ones together until each ends or time runs out."""
    started = [
        (
            request,
            duplicate_event.submit(
                credentials=credentials,
                source_event_id=request.source_event_id,
                name=request.name,
                timezone=request.timezone,
                start=request.start,
                end=request.end,
                description=request.description,
                copy_roles=request.copy_roles,
            ),
        )
        for request in requests
    ]
    outcomes: dict[int, DuplicationOutcome] = {}
    pending: dict[int, tuple[DuplicationRequest, str, str]] = {}
    for index, (request, start_future) in enumerate(started):
        result = start_future.result()
        if result.adopted_event is not None:
            outcomes[index] = DuplicationOutcome(request, result.adopted_event.id, None, "adopted")
        else:
            assert result.job_id is not None
            pending[index] = (request, result.job_id, "wait")
    began = time.monotonic()
    poll_number = 0
    while pending:
        elapsed = time.monotonic() - began
        if elapsed >= poll.timeout_seconds:
            break
        with api_idle():
            sleep(min(poll.interval(poll_number), max(0.0, poll.timeout_seconds - elapsed)))
        poll_number += 1
        futures = {
            i: get_duplicate_status.submit(
                credentials=credentials,
                job_id=job_id,
                name=request.name,
                source_event_id=request.source_event_id,
            )
            for i, (request, job_id, _) in pending.items()
        }
        for index, future in futures.items():
            request, job_id, _ = pending[index]
            job = future.result()
            if job.job_state == "completed" and job.event_id is not None:
                outcomes[index] = DuplicationOutcome(
                    request, job.event_id, job_id, "completed", noticed_after_seconds=time.monotonic() - began
                )
                del pending[index]
            elif job.job_state == "failed":
                outcomes[index] = DuplicationOutcome(
                    request, None, job_id, "failed", error=str(DuplicationError(job_id, "failed", "failed"))
                )
                del pending[index]
            else:
                pending[index] = (request, job_id, job.job_state)
    for index, (request, job_id, state) in pending.items():
        detail = f"did not finish within {poll.timeout_seconds:g} s"
        outcomes[index] = DuplicationOutcome(
            request, None, job_id, "timeout", error=str(DuplicationError(job_id, state, detail))
        )
    return [outcomes[i] for i in range(len(requests))]
