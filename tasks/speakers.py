"""Event-user and session-participant tasks: what it takes to put a speaker on a session."""

from __future__ import annotations

from kaltura_events.client import SpeakerInput
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.models import EventUser
from kaltura_events.speakers import SPEAKER_EVENT_ROLE, SessionParticipant, participants_from
from tasks.runtime import api_slot, api_task, events_client


@api_task("list-event-users")
def list_event_users(credentials: KalturaCredentials | None, event_id: int) -> list[EventUser]:
    client = events_client(credentials)
    with api_slot():
        return client.list_event_users(event_id)


@api_task("invite-speaker")
def invite_speaker(
    credentials: KalturaCredentials | None, event_id: int, email: str, first_name: str, last_name: str
) -> EventUser:
    """Inviting an email that is already an event user adds the role (no duplicate), so a retry is safe."""
    client = events_client(credentials)
    with api_slot():
        return client.invite_event_user(
            event_id,
            first_name=first_name,
            last_name=last_name,
            email=email,
            roles=(SPEAKER_EVENT_ROLE,),
        )


@api_task("grant-event-roles")
def grant_event_roles(
    credentials: KalturaCredentials | None, event_id: int, user_id: str, roles: tuple[str, ...]
) -> EventUser:
    client = events_client(credentials)
    with api_slot():
        return client.update_event_user(event_id, user_id, roles=roles)


@api_task("list-session-participants")
def list_session_participants(
    credentials: KalturaCredentials | None, event_id: int, session_id: str
) -> list[SessionParticipant]:
    client = events_client(credentials)
    with api_slot():
        return participants_from(client.list_session_participants(event_id, session_id))


@api_task("add-session-speakers")
def add_session_speakers(
    credentials: KalturaCredentials | None, event_id: int, session_id: str, speakers: tuple[SpeakerInput, ...]
) -> None:
    client = events_client(credentials)
    with api_slot():
        client.add_session_participants(event_id, session_id, speakers=speakers)


@api_task("update-session-speakers")
def update_session_speakers(
    credentials: KalturaCredentials | None, event_id: int, session_id: str, speakers: tuple[SpeakerInput, ...]
) -> None:
    client = events_client(credentials)
    with api_slot():
        client.update_session_participants(event_id, session_id, speakers=speakers)


@api_task("remove-session-speakers")
def remove_session_speakers(
    credentials: KalturaCredentials | None, event_id: int, session_id: str, user_ids: tuple[str, ...]
) -> None:
    client = events_client(credentials)
    with api_slot():
        client.remove_session_participants(event_id, session_id, speaker_ids=user_ids)
