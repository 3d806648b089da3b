"""Task runs a person can tell apart: each run is named from its parameters, read back from the Prefect API.

A year's series used to show 52 runs called ``create-event-xxx``. The names
come from ``api_task(run_name=...)`` (tasks/api_task.py); the credentials are
never part of one.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from uuid import UUID

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from kaltura_events.api.events import EventFilter
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from tasks.api_limit import run_api_limit, thread_runner
from tasks.categories import delete_category
from tasks.events import create_event, delete_event, list_events
from tasks.team_members import list_team_members

SERIES_NAME = "Company All-Hands March 2027"


@flow(task_runner=thread_runner())
def a_few_tasks(credentials: KalturaCredentials) -> int:
    with run_api_limit(4):
        event = create_event(
            credentials=credentials,
            name=SERIES_NAME,
            template_id="tm0000",
            start=datetime(2027, 3, 4, 15, 0, tzinfo=timezone.utc),
            end=datetime(2027, 3, 4, 16, 0, tzinfo=timezone.utc),
            timezone="America/New_York",
        )
        list_events.submit(
            credentials=credentials, event_filter=EventFilter(search_term="All-Hands")
        ).result()
        delete_category(credentials=credentials, category_id=987654, category_name="ep_agenda_123")
        delete_event(credentials=credentials, event_id=event.id)
        list_team_members(credentials=credentials)
    return event.id


def task_run_names(flow_run_id: UUID, expected: int, limit_seconds: float = 30.0) -> list[str]:
    """The names of the flow run's task runs once all ``expected`` have ended: the server records
    task runs from events, a little after they happen."""
    flow_runs = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    deadline = time.monotonic() + limit_seconds
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(flow_run_filter=flow_runs)
            ended = [run for run in runs if run.end_time is not None]
            if len(ended) >= expected or time.monotonic() > deadline:
                return sorted(run.name for run in runs)
            time.sleep(0.25)


def test_each_task_run_is_named_from_its_parameters(emu: EmulatorServer, creds: KalturaCredentials) -> None:
    state = a_few_tasks(creds, return_state=True)
    assert state.is_completed()
    event_id = state.result()
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    names = task_run_names(flow_run_id, expected=5)
    assert names == sorted(
        [
            f"create-event: {SERIES_NAME}",
            "list-events: search_term=All-Hands",
            "delete-category: ep_agenda_123",
            f"delete-event: event {event_id}",
            "list-team-members",
        ]
    )
    secret = creds.admin_secret.get_secret_value() if creds.admin_secret else ""
    assert secret and not any(secret in name for name in names)
