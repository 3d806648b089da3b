"""An occurrence's people made equal to its spec: the audience and the speakers, one observation, one diff.

observe (the event's users and each session's participants, at once) ->
people_changes (pure) -> invite the missing, update changed roles and
details, remove unlisted attendees only when asked and within the guard ->
speaker_changes per session -> add, update and remove participants, at most
10 per call. A new event has no users or participants yet, so it skips the
reads. A failed call or a removal refused by the guard raises once every
write has run, so the occurrence is not marked complete and the next run
looks again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from flows.units import in_parallel
from kaltura_events.api.errors import KalturaError
from kaltura_events.api.models import EventUser
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.audience import (
    PeopleChanges,
    ResolvedAudience,
    WantedUser,
    people_changes,
    wanted_users,
)
from kaltura_events.planning.people import email_key
from kaltura_events.planning.speakers import (
    SPEAKER_EVENT_ROLE,
    SessionParticipant,
    SpeakerSpec,
    batches,
    speaker_changes,
)
from tasks.api_task import untraversed
from tasks.people import (
    PersonOutcome,
    invite_event_users,
    people_per_task,
    remove_event_users,
    update_event_users,
)
from tasks.speakers import (
    add_session_speakers,
    list_event_users,
    list_session_participants,
    remove_session_speakers,
    update_session_speakers,
)

SessionSpeakers = tuple[str, Sequence[SpeakerSpec]]
"""A session's id and the speakers its spec names."""


class PeopleIncomplete(KalturaError):
    """Some people of an event were not invited, updated or removed, or the removal guard refused."""


@dataclass(frozen=True, slots=True)
class PersonRow:
    """What happened to one person on one event, for the run's people table."""

    email: str
    action: str
    user_id: str | None
    error: str | None = None


@dataclass
class PeopleOutcome:
    invited: int = 0
    updated: int = 0
    removed: int = 0
    emails: int = 0
    """Invitation emails Kaltura was asked to send (audience people with send_invitations)."""
    speakers_added: int = 0
    speakers_updated: int = 0
    speakers_removed: int = 0
    rows: list[PersonRow] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return (
            self.invited
            + self.updated
            + self.removed
            + self.speakers_added
            + self.speakers_updated
            + self.speakers_removed
        )

    @property
    def note(self) -> str:
        if not (self.invited or self.updated or self.removed):
            return ""
        return f"people: +{self.invited} ~{self.updated} -{self.removed}, {self.emails} emails"


def wanted_people(
    audience: ResolvedAudience | None, sessions: Sequence[SessionSpeakers]
) -> dict[str, WantedUser]:
    speakers = [(s.email, s.first_name, s.last_name) for _, spec in sessions for s in spec]
    return wanted_users(audience, speakers, SPEAKER_EVENT_ROLE)


def emails_sent(invited: Sequence[WantedUser], audience: ResolvedAudience | None) -> int:
    return sum(1 for p in invited if p.listed) if audience is not None and audience.send_invitations else 0


def plan_people(
    credentials: KalturaCredentials | None,
    event_id: int | None,
    audience: ResolvedAudience | None,
    sessions: Sequence[SessionSpeakers],
) -> PeopleOutcome:
    """What a run would do to an event's people, for a dry run: reads only, and none for a new event."""
    wanted = wanted_people(audience, sessions)
    users: list[EventUser] = []
    if event_id is not None and wanted:
        users = list_event_users(credentials=credentials, event_id=event_id)
    changes = people_changes(wanted, users, audience)
    return PeopleOutcome(
        invited=len(changes.invite),
        updated=len(changes.update),
        removed=len(changes.remove),
        emails=emails_sent(changes.invite, audience),
    )


def converge_people(
    credentials: KalturaCredentials | None,
    event_id: int,
    sessions: Sequence[SessionSpeakers],
    audience: ResolvedAudience | None,
    *,
    observed: bool,
) -> PeopleOutcome:
    """Make the event's users the audience and speakers, and each session's speakers exactly its spec's.

    ``observed`` says the event existed before this run, so people may be on
    it already (read them); a new event has nobody, and needs no reads.
    """
    wanted = wanted_people(audience, sessions)
    if not observed and not wanted:
        return PeopleOutcome()
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
    changes = people_changes(wanted, users, audience)
    outcome, failures = _apply_people(credentials, event_id, changes, audience)
    invited = {email_key(r.email): r.user_id for r in outcome.rows if r.action == "invite" and r.user_id}
    ids = {**changes.user_ids, **invited}
    writes: list[Callable[[], None]] = []
    for (session_id, speakers), present in zip(sessions, participants, strict=True):
        change = speaker_changes(speakers, present)
        where = {"credentials": credentials, "event_id": event_id, "session_id": session_id}
        if any(email_key(s.email) not in ids for s in change.add):
            continue  # their invite failed, and is reported: adding them would only fail again
        writes += [partial(add_session_speakers, **where, speakers=b) for b in change.add_batches(ids)]
        writes += [partial(update_session_speakers, **where, speakers=b) for b in change.update_batches()]
        writes += [partial(remove_session_speakers, **where, user_ids=b) for b in change.remove_batches()]
        outcome.speakers_added += len(change.add)
        outcome.speakers_updated += len(change.update)
        outcome.speakers_removed += len(change.remove)
    in_parallel(writes)
    if changes.refused_removals and audience is not None:
        failures.append(
            f"event {event_id}: {changes.refused_removals} attendees are no longer listed, more than "
            f"max_removals={audience.max_removals}; none removed (a truncated or empty export must never "
            "empty an audience: check the source, or raise max_removals)"
        )
    if failures:
        raise PeopleIncomplete("; ".join(failures))
    return outcome


def _apply_people(
    credentials: KalturaCredentials | None,
    event_id: int,
    changes: PeopleChanges,
    audience: ResolvedAudience | None,
) -> tuple[PeopleOutcome, list[str]]:
    """Invites, updates and removals in pages of calls, all pages at once; every person's outcome kept."""
    send = audience is not None and audience.send_invitations
    where = {"credentials": credentials, "event_id": event_id}
    steps: list[tuple[str, Callable[[], list[PersonOutcome]]]] = []
    steps += [
        ("invite", partial(invite_event_users, **where, people=untraversed(page), send_invitations=send))
        for page in batches(changes.invite, people_per_task(len(changes.invite)))
    ]
    steps += [
        ("update", partial(update_event_users, **where, updates=untraversed(page)))
        for page in batches(changes.update, people_per_task(len(changes.update)))
    ]
    steps += [
        ("remove", partial(remove_event_users, **where, users=untraversed(page)))
        for page in batches(changes.remove, people_per_task(len(changes.remove)))
    ]
    pages = in_parallel([step for _, step in steps])
    outcome = PeopleOutcome()
    failures: list[str] = []
    invited_ok: set[str] = set()
    for (action, _), results in zip(steps, pages, strict=True):
        for result in results:
            if result.error is not None:
                failures.append(f"{action} {result.email}: {result.error}")
                outcome.rows.append(PersonRow(result.email, action, None, result.error))
                continue
            outcome.rows.append(PersonRow(result.email, action, result.user_id))
            if action == "invite":
                outcome.invited += 1
                invited_ok.add(email_key(result.email))
            elif action == "update":
                outcome.updated += 1
            else:
                outcome.removed += 1
    outcome.emails = emails_sent([p for p in changes.invite if p.key in invited_ok], audience)
    return outcome, failures[:20] + ([f"and {len(failures) - 20} more"] if len(failures) > 20 else [])
