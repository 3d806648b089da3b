"""Speakers of a session: who the spec names, and what it takes to make the platform agree.

A speaker must be an event user with the Speaker role (``event-users/invite``)
before ``session-participants/add`` accepts them, and the participant calls
take at most 10 people each. :func:`speaker_changes` is the pure part: given
what a session should have and what was observed, it says which batched
add/update/remove calls to make. Inviting speakers and granting the role is
the event's one people diff, shared with the audience.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.models import ApiModel, SpeakerInput
from kaltura_events.api.validation import MAX_PARTICIPANTS_PER_CALL
from kaltura_events.planning.people import Email, PersonName, email_key

SPEAKER_ROLES = ("simpleSpeaker", "advancedSpeaker")
MAX_SPEAKERS_PER_SESSION = 50
SPEAKER_EVENT_ROLE = "Speaker"

SpeakerRole = Annotated[
    Literal["simpleSpeaker", "advancedSpeaker"],
    WithJsonSchema({"type": "string", "enum": list(SPEAKER_ROLES)}),
]
T = TypeVar("T")


class SpeakerSpec(BaseModel):
    """One person who speaks in a session, by email."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Email = Field(title="Email", description="Identifies the speaker; invited to the event by it.")
    first_name: PersonName = Field(title="First name", description="Shown on the session page.")
    last_name: PersonName = Field(title="Last name", description="Shown on the session page.")
    role: SpeakerRole = Field(
        default="simpleSpeaker",
        title="Speaker role",
        description="simpleSpeaker, or advancedSpeaker (may also manage the session's stage).",
    )
    order: int = Field(
        default=0, ge=0, le=1000, title="Order", description="Position among the session's speakers."
    )


def check_speakers(speakers: Sequence[SpeakerSpec], where: str) -> None:
    """One person, one role per session: the API holds a single sessionRole per participant."""
    if len(speakers) > MAX_SPEAKERS_PER_SESSION:
        raise InvalidArgumentError(
            f"{where}.speakers", len(speakers), f"at most {MAX_SPEAKERS_PER_SESSION} speakers per session"
        )
    seen: dict[str, SpeakerSpec] = {}
    for speaker in speakers:
        key = email_key(speaker.email)
        earlier = seen.get(key)
        if earlier is not None:
            roles = f"both {earlier.role} and {speaker.role}" if earlier.role != speaker.role else "twice"
            raise InvalidArgumentError(
                f"{where}.speakers", speaker.email, f"the same speaker is listed {roles}; give one role"
            )
        seen[key] = speaker


class SessionParticipant(ApiModel):
    """A speaker or moderator as ``session-participants/list`` returns them."""

    id: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    type: str = "speaker"
    order: int = 0
    is_hidden: bool = False
    session_role: str | None = None


def participants_from(payload: Mapping[str, Any]) -> list[SessionParticipant]:
    """The speakers of a ``session-participants/list`` answer (moderators are not the spec's business)."""
    return [SessionParticipant.model_validate(p) for p in payload.get("speakers") or []]


def batches(items: Iterable[T], size: int = MAX_PARTICIPANTS_PER_CALL) -> list[tuple[T, ...]]:
    """Split a list into calls the API accepts instead of refusing a long one."""
    listed = list(items)
    return [tuple(listed[i : i + size]) for i in range(0, len(listed), size)]


@dataclass
class SpeakerChanges:
    """What one session needs so its speakers are exactly the spec's.

    Who is an event user, and with which roles, is the event's people diff
    (:mod:`kaltura_events.planning.audience`); by the time these calls run,
    every speaker is an event user holding the Speaker role.
    """

    add: list[SpeakerSpec] = field(default_factory=list)
    """Not on the session yet; added once each has a user id."""
    update: list[SpeakerInput] = field(default_factory=list)
    """On the session with another role or order."""
    remove: list[str] = field(default_factory=list)
    """User ids on the session that the spec no longer names."""

    @property
    def empty(self) -> bool:
        return not (self.add or self.update or self.remove)

    def add_batches(self, user_ids: Mapping[str, str]) -> list[tuple[SpeakerInput, ...]]:
        """``session-participants/add`` calls of at most 10; ``user_ids`` maps email (any case) to user id."""
        ids = {email_key(k): v for k, v in user_ids.items()}
        missing = [s.email for s in self.add if email_key(s.email) not in ids]
        if missing:
            raise InvalidArgumentError("user_ids", missing, "no event user id for these speakers")
        inputs = [SpeakerInput(user_id=ids[email_key(s.email)], order=s.order, role=s.role) for s in self.add]
        return batches(inputs)

    def update_batches(self) -> list[tuple[SpeakerInput, ...]]:
        return batches(self.update)

    def remove_batches(self) -> list[tuple[str, ...]]:
        return batches(self.remove)


def speaker_changes(
    speakers: Sequence[SpeakerSpec], participants: Sequence[SessionParticipant]
) -> SpeakerChanges:
    """Compare a session's planned speakers with its observed participants.

    Matching is by email, case-insensitively. Speakers on the session that
    the spec does not name are removed: a spec session's speakers are the
    spec's (template sessions are never passed here).
    """
    changes = SpeakerChanges()
    on_session = {email_key(p.email): p for p in participants if p.type == "speaker"}
    wanted = {email_key(s.email) for s in speakers}
    for speaker in speakers:
        present = on_session.get(email_key(speaker.email))
        if present is None:
            changes.add.append(speaker)
        elif present.session_role != speaker.role or present.order != speaker.order:
            changes.update.append(SpeakerInput(user_id=present.id, order=speaker.order, role=speaker.role))
    changes.remove = [p.id for key, p in on_session.items() if key not in wanted]
    return changes
