"""Speaker tasks: a speaker is an event user (``event-users/invite``) who is a participant of a session."""

from __future__ import annotations

from typing import Any

from kaltura_events.client import SpeakerInput
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.models import EventUser
from tasks.runtime import api_task, events_client


@api_task(
    "list-event-users",
    endpoint="event-users/list",
    description="The people of one event, to invite only the speakers not there yet.",
)
def list_event_users(*, credentials: KalturaCredentials | None, event_id: int) -> list[EventUser]:
    client = events_client(credentials)
    return client.list_event_users(event_id)


@api_task(
    "invite-speaker",
    endpoint="event-users/invite",
    description="Make one speaker a user of the event, without sending an email.",
)
def invite_speaker(
    *,
    credentials: KalturaCredentials | None,
    event_id: int,
    email: str,
    first_name: str,
    last_name: str,
) -> EventUser:
    client = events_client(credentials)
    return client.invite_event_user(
        event_id, first_name=first_name, last_name=last_name, email=email, roles=("Speaker",)
    )


@api_task(
    "list-session-participants",
    endpoint="session-participants/list",
    description="The speakers and moderators of one session.",
)
def list_session_participants(
    *, credentials: KalturaCredentials | None, event_id: int, session_id: str
) -> dict[str, Any]:
    client = events_client(credentials)
    return client.list_session_participants(event_id, session_id)


@api_task(
    "add-session-speakers",
    endpoint="session-participants/add",
    description="Add up to 10 speakers to one session.",
)
def add_session_speakers(
    *, credentials: KalturaCredentials | None, event_id: int, session_id: str, speakers: list[SpeakerInput]
) -> None:
    client = events_client(credentials)
    client.add_session_participants(event_id, session_id, speakers=tuple(speakers))


@api_task(
    "remove-session-speakers",
    endpoint="session-participants/remove",
    description="Take speakers off one session; they stay users of the event.",
)
def remove_session_speakers(
    *, credentials: KalturaCredentials | None, event_id: int, session_id: str, user_ids: list[str]
) -> None:
    client = events_client(credentials)
    client.remove_session_participants(event_id, session_id, speaker_ids=tuple(user_ids))
