"""Event-user reads and session-participant tasks: what it takes to put a speaker on a session.

Invites and role grants are the event's people tasks (tasks/people.py), shared with the audience.
"""

from __future__ import annotations

from kaltura_events.api.models import EventUser, SpeakerInput
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.speakers import SessionParticipant, participants_from
from tasks.api_task import api_task
from tasks.clients import events_client


@api_task(
    "list-event-users",
    endpoint="event-users/list",
    description="The people of one event, to invite, update or remove only whom the spec changes.",
    run_name="event {event_id}",
)
def list_event_users(*, credentials: KalturaCredentials | None, event_id: int) -> list[EventUser]:
    client = events_client(credentials)
    return client.list_event_users(event_id)


@api_task(
    "list-session-participants",
    endpoint="session-participants/list",
    description="The speakers and moderators of one session.",
    run_name="session {session_id} of event {event_id}",
)
def list_session_participants(
    *, credentials: KalturaCredentials | None, event_id: int, session_id: str
) -> list[SessionParticipant]:
    client = events_client(credentials)
    return participants_from(client.list_session_participants(event_id, session_id))


@api_task(
    "add-session-speakers",
    endpoint="session-participants/add",
    description="Add up to 10 speakers to one session.",
    run_name=lambda p: f"{len(p['speakers'])} to session {p['session_id']} of event {p['event_id']}",
)
def add_session_speakers(
    *,
    credentials: KalturaCredentials | None,
    event_id: int,
    session_id: str,
    speakers: tuple[SpeakerInput, ...],
) -> None:
    client = events_client(credentials)
    client.add_session_participants(event_id, session_id, speakers=speakers)


@api_task(
    "update-session-speakers",
    endpoint="session-participants/update",
    description="Change the role or order of up to 10 speakers of one session.",
    run_name=lambda p: f"{len(p['speakers'])} in session {p['session_id']} of event {p['event_id']}",
)
def update_session_speakers(
    *,
    credentials: KalturaCredentials | None,
    event_id: int,
    session_id: str,
    speakers: tuple[SpeakerInput, ...],
) -> None:
    client = events_client(credentials)
    client.update_session_participants(event_id, session_id, speakers=speakers)


@api_task(
    "remove-session-speakers",
    endpoint="session-participants/remove",
    description="Take up to 10 speakers off one session; they stay event users.",
    run_name=lambda p: f"{len(p['user_ids'])} from session {p['session_id']} of event {p['event_id']}",
)
def remove_session_speakers(
    *, credentials: KalturaCredentials | None, event_id: int, session_id: str, user_ids: tuple[str, ...]
) -> None:
    client = events_client(credentials)
    client.remove_session_participants(event_id, session_id, speaker_ids=user_ids)
