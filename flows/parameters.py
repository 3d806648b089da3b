"""Flow parameters every flow shares, declared once so the UI shows them alike everywhere."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from flows.duplication import PollSettings
from kaltura_events.api.fields import AwareDatetime

ApiInFlight = Annotated[
    int,
    Field(ge=1, le=64, title="API requests in flight", description="Per-run cap on concurrent requests."),
]
"""The run's share of the ``kaltura-api`` limit: most requests in flight from this run."""

NowForTesting = Annotated[
    AwareDatetime | None,
    Field(title="Now (testing)", description="Leave empty; overrides the current time."),
]
"""A fixed 'now' for tests and backfills; a zone is required, so no naive time is read as UTC."""

DuplicationPolling = Annotated[
    PollSettings,
    Field(
        title="Duplication polling",
        description="How often and how long to wait for a duplication job; used where an event is copied.",
    ),
]
"""For schedule_all_hands and sync_events_file; duplicate_event's spec holds its own."""

Verify = Annotated[
    bool,
    Field(
        title="Verify",
        description="Re-read every event's sessions and people, even where its completion marker says "
        "it converged (costs one event-users/list per event).",
    ),
]
"""A converged occurrence is otherwise recognised from its labels alone, with no reads."""

LockWaitSeconds = Annotated[
    float,
    Field(
        ge=0,
        le=86400,
        title="Wait for the series lock (s)",
        description="How long to wait while another run writes the same series; then fail naming it.",
    ),
]
"""One writer per series (flows/series_lock.py): a second run waits this long, then fails in one line."""
