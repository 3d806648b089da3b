"""Reading back, from the test Prefect server, the events a flow run emitted.

Events travel from the EventsWorker over a websocket to the server, which
persists them in batches: a test first drains the worker, then sends a
sentinel event of its own and waits until the server shows it. Everything
sent before the sentinel is then stored too, so "no events" is an answer,
not a race.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from prefect.client.orchestration import get_client
from prefect.events import emit_event
from prefect.events.filters import (
    EventFilter,
    EventIDFilter,
    EventNameFilter,
    EventRelatedFilter,
    EventResourceFilter,
)
from prefect.events.schemas.events import ReceivedEvent
from prefect.events.worker import EventsWorker

DEADLINE_SECONDS = 30.0


def _read(event_filter: EventFilter) -> list[ReceivedEvent]:
    found: list[ReceivedEvent] = []
    with get_client(sync_client=True) as client:
        page = client.read_events(event_filter, limit=50)
        found += page.events
        while page.next_page is not None:
            page = client.read_events_page(str(page.next_page))
            found += page.events
    return found


def settle() -> None:
    """Return once every event emitted so far in this process is stored on the server."""
    EventsWorker.drain_all(timeout=DEADLINE_SECONDS)
    marker = f"test.sentinel.{uuid.uuid4()}"
    emit_event(event="test.sentinel", resource={"prefect.resource.id": marker})
    EventsWorker.drain_all(timeout=DEADLINE_SECONDS)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not _read(EventFilter(resource=EventResourceFilter(id=[marker]))):
        assert time.monotonic() < deadline, "the Prefect server did not store the sentinel event"
        time.sleep(0.25)


def events_of_run(flow_run_id: uuid.UUID | str | None, prefix: str = "kaltura.") -> list[ReceivedEvent]:
    """The ``prefix`` events related to one flow run, oldest first."""
    assert flow_run_id is not None
    settle()
    return sorted(
        _read(
            EventFilter(
                event=EventNameFilter(prefix=[prefix]),
                related=EventRelatedFilter(id=[f"prefect.flow-run.{flow_run_id}"]),
            )
        ),
        key=lambda e: e.occurred,
    )


def events_by_id(ids: Sequence[uuid.UUID | str]) -> list[ReceivedEvent]:
    assert ids, "an empty id filter matches every event"
    settle()
    return _read(EventFilter(id=EventIDFilter(id=[uuid.UUID(str(i)) for i in ids])))


def named(events: Sequence[ReceivedEvent], name: str) -> list[ReceivedEvent]:
    return [e for e in events if e.event == name]


def related_ids(event: ReceivedEvent, role: str) -> list[str]:
    return [r.id for r in event.related if r.role == role]


def payload_text(event: ReceivedEvent | dict[str, Any]) -> str:
    payload = event.payload if isinstance(event, ReceivedEvent) else event["payload"]
    return repr(payload)
