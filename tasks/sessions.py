"""Session tasks. A create reconciles by name through ``sessions/list`` on a Prefect retry."""

from __future__ import annotations

from datetime import datetime

from kaltura_events.api.models import Session, Speaker
from kaltura_events.credentials import KalturaCredentials
from tasks.announce import announce, session_created
from tasks.api_task import api_task
from tasks.clients import events_client


@api_task(
    "create-session",
    endpoint="sessions/create",
    description="Add one session to an event; an ambiguous failure is looked up by name before a retry.",
    run_name="{name} in event {event_id}",
)
def create_session(
    *,
    credentials: KalturaCredentials | None,
    event_id: int,
    name: str,
    session_type: str,
    start: datetime | None = None,
    end: datetime | None = None,
    visibility: str = "published",
    description: str | None = None,
    source_entry_id: str | None = None,
    event_labels: tuple[str, ...] = (),
) -> Session:
    """``event_labels`` (the event's, or those it will carry) only name the series in the Prefect event."""
    session = events_client(credentials).create_session(
        event_id,
        name=name,
        session_type=session_type,
        start=start,
        end=end,
        visibility=visibility,
        description=description or None,
        source_entry_id=source_entry_id,
    )
    announce(session_created(session, event_id=event_id, labels=event_labels))
    return session


@api_task(
    "list-sessions",
    endpoint="sessions/list",
    description="The sessions an event holds, to add only the missing ones.",
    run_name="event {event_id}",
)
def list_sessions(*, credentials: KalturaCredentials | None, event_id: int) -> list[Session]:
    client = events_client(credentials)
    return client.list_sessions(event_id)


@api_task(
    "list-speakers",
    endpoint="sessions/speakerList",
    description="The speakers of one session.",
    run_name="session {session_id} of event {event_id}",
)
def list_speakers(*, credentials: KalturaCredentials | None, event_id: int, session_id: str) -> list[Speaker]:
    client = events_client(credentials)
    return client.list_speakers(event_id, session_id)
