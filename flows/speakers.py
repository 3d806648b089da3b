"""One session's speakers made equal to its spec: a step of an occurrence's chain, top to bottom.

observe (the session's participants and the event's users, side by side)
-> speaker_changes (pure) -> invite the missing people and grant the Speaker
role -> add, update and remove participants, at most 10 per call. Each API
call is its own task; this function waits on its own steps and raises the
first failure, so the caller handles failure in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prefect.futures import PrefectFuture

from flows.pipeline import value
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.speakers import SpeakerChanges, SpeakerSpec, speaker_changes
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


def _all(futures: Sequence[PrefectFuture[Any]]) -> list[Any]:
    """Every step's result, in order; the first failed step raises its own error."""
    for future in futures:
        future.wait()
    return [value(future) for future in futures]


def converge_session_speakers(
    credentials: KalturaCredentials | None, event_id: int, session_id: str, speakers: Sequence[SpeakerSpec]
) -> SpeakerOutcome:
    """Make the session's speakers exactly ``speakers``; a converged session costs its two list calls."""
    participants = list_session_participants.submit(
        credentials=credentials, event_id=event_id, session_id=session_id
    )
    users = list_event_users.submit(credentials=credentials, event_id=event_id)
    changes: SpeakerChanges = speaker_changes(speakers, *_all([participants, users]))
    if changes.empty:
        return SpeakerOutcome(0, 0, 0, 0)
    invites = [
        invite_speaker.submit(
            credentials=credentials,
            event_id=event_id,
            email=s.email,
            first_name=s.first_name,
            last_name=s.last_name,
        )
        for s in changes.invite
    ]
    grants = [
        grant_event_roles.submit(credentials=credentials, event_id=event_id, user_id=user_id, roles=roles)
        for user_id, roles in changes.grant
    ]
    invited = {user.email: user.id for user in _all(invites)}
    _all(grants)
    steps: list[PrefectFuture[None]] = [
        add_session_speakers.submit(
            credentials=credentials, event_id=event_id, session_id=session_id, speakers=batch
        )
        for batch in changes.add_batches(invited)
    ]
    steps += [
        update_session_speakers.submit(
            credentials=credentials, event_id=event_id, session_id=session_id, speakers=batch
        )
        for batch in changes.update_batches()
    ]
    steps += [
        remove_session_speakers.submit(
            credentials=credentials, event_id=event_id, session_id=session_id, user_ids=batch
        )
        for batch in changes.remove_batches()
    ]
    _all(steps)
    return SpeakerOutcome(
        invited=len(changes.invite),
        added=len(changes.add),
        updated=len(changes.update),
        removed=len(changes.remove),
    )
