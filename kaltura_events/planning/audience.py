"""Who is invited to an occurrence: the audience spec, the people it resolves to, and the diff.

Pure: the CSV export is read in :mod:`kaltura_events.formats.audience_csv`;
here the resolved people are compared with an event's observed users. One
observation and one diff serve the audience and the speakers together, so a
speaker who is also in the audience is invited once and keeps both roles.

Identity is the lowercased, trimmed email. Removal is opt-in, touches only
people whose sole role is ``Attendees`` (``event-users/delete`` would strip a
speaker's or moderator's session roles too), and stops at a cap: a truncated
or empty export must never empty an audience.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.models import EventUser
from kaltura_events.planning.people import Email, PersonName, email_key

ATTENDEE_ROLE = "Attendees"
PERSON_FIELDS = ("email", "first_name", "last_name", "title", "company")
PersonField = Literal["email", "first_name", "last_name", "title", "company"]
MAX_TEXT_LENGTH = 256
DEFAULT_MAX_REMOVALS = 10


class AudiencePerson(BaseModel):
    """One invitee, as an HR or CRM export or an inline entry gives them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Email = Field(title="Email", description="Identifies the person (compared case-insensitively).")
    first_name: PersonName = Field(title="First name", description="As the event shows it.")
    last_name: PersonName = Field(title="Last name", description="As the event shows it.")
    title: str = Field(
        default="", max_length=MAX_TEXT_LENGTH, title="Job title", description="Optional; kept up to date."
    )
    company: str = Field(
        default="", max_length=MAX_TEXT_LENGTH, title="Company", description="Optional; kept up to date."
    )

    @property
    def key(self) -> str:
        return email_key(self.email)


class AudienceSpec(BaseModel):
    """Who is invited to every occurrence: a CSV export, inline people, or both."""

    model_config = ConfigDict(extra="forbid")

    csv: str | None = Field(
        default=None,
        title="CSV file",
        description="An HR or CRM export with a header row; relative to the events file and inside its "
        "folder (for a flow parameter: inside the worker's work root, by default its working directory).",
        examples=["audiences/all-employees.csv"],
    )
    people: list[AudiencePerson] = Field(
        default_factory=list,
        max_length=5000,
        title="People",
        description="Inline invitees, beside or instead of the CSV; a person in both must match it.",
    )
    columns: dict[PersonField, str] = Field(
        default_factory=dict,
        json_schema_extra={"default": {}},  # the UI form opens prefilled only where a default is published
        title="CSV columns",
        description="The export's header for each field where it differs, e.g. {email: 'E-mail Address'}.",
    )
    send_invitations: bool = Field(
        default=False,
        title="Send invitation emails",
        description="Off: Kaltura is told to skip the email (skipEmail), so nobody is emailed by surprise.",
    )
    remove_unlisted: bool = Field(
        default=False,
        title="Remove unlisted attendees",
        description="Remove attendees no longer listed; speakers and moderators are never removed.",
    )
    max_removals: int = Field(
        default=DEFAULT_MAX_REMOVALS,
        ge=0,
        le=100_000,
        title="Most removals per event",
        description="An event that would lose more attendees than this is refused, not emptied.",
    )

    @field_validator("columns")
    @classmethod
    def _headers_not_blank(cls, value: dict[PersonField, str]) -> dict[PersonField, str]:
        for name, header in value.items():
            if not header.strip():
                raise InvalidArgumentError(f"columns.{name}", header, "a column header is not blank")
        return value


@dataclass(frozen=True)
class ResolvedAudience:
    """The people an audience spec names, read and merged, with the options that govern the diff."""

    people: tuple[AudiencePerson, ...]
    send_invitations: bool = False
    remove_unlisted: bool = False
    max_removals: int = DEFAULT_MAX_REMOVALS

    @property
    def digest(self) -> str:
        """Joins the occurrence's completion marker: a changed export makes each occurrence re-converge."""
        body = {
            "people": sorted((p.key, p.first_name, p.last_name, p.title, p.company) for p in self.people),
            "send": self.send_invitations,
            "remove": self.remove_unlisted,
            "cap": self.max_removals,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class WantedUser:
    """One person the event should have, with every role the spec gives them there."""

    email: str
    first_name: str
    last_name: str
    roles: frozenset[str]
    title: str = ""
    company: str = ""
    listed: bool = False
    """In the audience: their names, title and company are the spec's and kept up to date."""

    @property
    def key(self) -> str:
        return email_key(self.email)


def wanted_users(
    audience: ResolvedAudience | None, speakers: Iterable[tuple[str, str, str]], speaker_role: str
) -> dict[str, WantedUser]:
    """Audience and speakers as one set of event users by email; ``speakers`` are (email, first, last).

    A speaker in the audience is one person holding both roles, with the
    audience's title and company; their names stay the speaker spec's, which
    the session page shows.
    """
    wanted: dict[str, WantedUser] = {}
    for person in audience.people if audience is not None else ():
        wanted[person.key] = WantedUser(
            email=person.email.strip(),
            first_name=person.first_name,
            last_name=person.last_name,
            roles=frozenset({ATTENDEE_ROLE}),
            title=person.title,
            company=person.company,
            listed=True,
        )
    for email, first, last in speakers:
        key = email_key(email)
        known = wanted.get(key)
        if known is None:
            wanted[key] = WantedUser(email.strip(), first, last, frozenset({speaker_role}))
        else:
            roles = known.roles | {speaker_role}
            wanted[key] = WantedUser(email.strip(), first, last, roles, known.title, known.company, True)
    return wanted


@dataclass(frozen=True)
class UserUpdate:
    """An existing event user to change: every role they keep (an update replaces the set) and fields."""

    user_id: str
    email: str
    roles: tuple[str, ...] | None = None
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    company: str | None = None


@dataclass
class PeopleChanges:
    """What one event needs so its users are the spec's; nothing here is a removal past the guard."""

    invite: list[WantedUser] = field(default_factory=list)
    update: list[UserUpdate] = field(default_factory=list)
    remove: list[EventUser] = field(default_factory=list)
    refused_removals: int = 0
    """Attendees the spec no longer lists, not removed because there were more than ``max_removals``."""
    user_ids: dict[str, str] = field(default_factory=dict)
    """The id of every wanted person already on the event, by email key."""

    @property
    def empty(self) -> bool:
        return not (self.invite or self.update or self.remove)


def people_changes(
    wanted: Mapping[str, WantedUser], users: Sequence[EventUser], audience: ResolvedAudience | None
) -> PeopleChanges:
    """Compare the wanted people with the event's observed users, by email.

    Roles are only ever added here: a person keeps every role they hold (a
    speaker of an earlier spec stays a speaker), and removal is a separate,
    guarded decision that applies only to people whose sole role is Attendees.
    """
    changes = PeopleChanges()
    present: dict[str, EventUser] = {}
    for user in users:
        present.setdefault(email_key(user.email), user)
    for key, person in wanted.items():
        found = present.get(key)
        if found is None:
            changes.invite.append(person)
            continue
        changes.user_ids[key] = found.id
        update = _update_for(person, found)
        if update is not None:
            changes.update.append(update)
    if audience is not None and audience.remove_unlisted:
        unlisted = [
            user for key, user in present.items() if key not in wanted and set(user.roles) <= {ATTENDEE_ROLE}
        ]
        if len(unlisted) > audience.max_removals:
            changes.refused_removals = len(unlisted)
        else:
            changes.remove = sorted(unlisted, key=lambda u: email_key(u.email))
    return changes


def _update_for(person: WantedUser, user: EventUser) -> UserUpdate | None:
    roles = set(user.roles) | person.roles
    fields: dict[str, str | None] = {}
    if person.listed:
        fields = {
            "first_name": person.first_name if user.first_name != person.first_name else None,
            "last_name": person.last_name if user.last_name != person.last_name else None,
            "title": person.title if (user.title or "") != person.title else None,
            "company": person.company if (user.company or "") != person.company else None,
        }
    new_roles = tuple(sorted(roles)) if roles != set(user.roles) else None
    if new_roles is None and not any(value is not None for value in fields.values()):
        return None
    return UserUpdate(user.id, user.email, new_roles, **fields)
