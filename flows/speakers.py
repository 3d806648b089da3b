"""An occurrence's speakers made equal to its spec: one step of the occurrence's chain, top to bottom.

observe (the event's users and each session's participants, at once) ->
speaker_changes (pure) -> invite each missing person once and grant the
Speaker role -> add, update and remove participants, at most 10 per call.
A new event has no users or participants yet, so it skips the reads. Each
API call is its own task; a failed step raises, and the occurrence's unit
reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from flows.units import in_parallel
from kaltura_events.api.models import EventUser
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.people import email_key
from kaltura_events.planning.speakers import SessionParticipant, SpeakerChanges, SpeakerSpec, speaker_changes
from tasks.speakers import (
    add_session_speakers,
    grant_event_roles,
    invite_speaker,
    list_event_users,
    list_session_participants,
    remove_session_speakers,
    update_session_speakers,
)


@dataclass(frozen=True)
class SpeakerOutcome:
    invited: int
    added: int
    updated: int
    removed: int

    @property
    def writes(self) -> int:
        return self.invited + self.added + self.updated + self.removed


SessionSpeakers = tuple[str, Sequence[SpeakerSpec]]
"""A session's id and the speakers its spec names."""


def converge_speakers(
    credentials: KalturaCredentials | None,
    event_id: int,
    sessions: Sequence[SessionSpeakers],
    *,
    observed: bool,
) -> SpeakerOutcome:
    """Make each session's speakers exactly its spec's.

    ``observed`` says the event existed before this run, so people may be on
    it already (read them); a new event has nobody, and needs no reads.
    """
    if not observed and not any(speakers for _, speakers in sessions):
        return SpeakerOutcome(0, 0, 0, 0)
    users: list[EventUser] = []
    participants: list[list[SessionParticipant]] = [[] for _ in sessions]
    if observed:
        reads: list[Callable[[], Any]] = [
            partial(list_event_users, credentials=credentials, event_id=event_id)
        ]
        reads += [
            partial(list_session_participants, credentials=credentials, event_id=event_id, session_id=sid)
            for sid, _ in sessions
        ]
        users, *participants = in_parallel(reads)
    changes = [
        speaker_changes(speakers, present, users)
        for (_, speakers), present in zip(sessions, participants, strict=True)
    ]
    invited = _invite_and_grant(credentials, event_id, changes)
    writes: list[Callable[[], None]] = []
    for (session_id, _), change in zip(sessions, changes, strict=True):
        where = {"credentials": credentials, "event_id": event_id, "session_id": session_id}
        writes += [partial(add_session_speakers, **where, speakers=b) for b in change.add_batches(invited)]
        writes += [partial(update_session_speakers, **where, speakers=b) for b in change.update_batches()]
        writes += [partial(remove_session_speakers, **where, user_ids=b) for b in change.remove_batches()]
    in_parallel(writes)
    return SpeakerOutcome(
        invited=len(invited),
        added=sum(len(c.add) for c in changes),
        updated=sum(len(c.update) for c in changes),
        removed=sum(len(c.remove) for c in changes),
    )


def _invite_and_grant(
    credentials: KalturaCredentials | None, event_id: int, changes: Sequence[SpeakerChanges]
) -> dict[str, str]:
    """Each missing person invited once, though they speak in several sessions; user id by email."""
    people = {email_key(s.email): s for change in changes for s in change.invite}
    grants = {user_id: roles for change in changes for user_id, roles in change.grant}
    steps: list[Callable[[], Any]] = [
        partial(
            invite_speaker,
            credentials=credentials,
            event_id=event_id,
            email=s.email,
            first_name=s.first_name,
            last_name=s.last_name,
        )
        for s in people.values()
    ]
    steps += [
        partial(grant_event_roles, credentials=credentials, event_id=event_id, user_id=user_id, roles=roles)
        for user_id, roles in grants.items()
    ]
    done = in_parallel(steps)
    return {email_key(user.email): user.id for user in done[: len(people)]}
