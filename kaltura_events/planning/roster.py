"""The account's team as a declared roster, and the diff that brings the account to it.

Pure: the flow lists the team, hands it here, and applies what comes back.
Members are matched by email, case-insensitively. Members the roster does
not list are someone else's business (another team's tooling, the account
owner) and are left alone unless the caller asks for ``remove_unlisted``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.models import TeamMember
from kaltura_events.api.validation import TEAM_ROLES
from kaltura_events.planning.people import Email, PersonName, email_key

MAX_ROSTER = 500

TeamRole = Annotated[
    Literal["Admin", "Organizer", "ContentManager"],
    WithJsonSchema({"type": "string", "enum": list(TEAM_ROLES)}),
]


class TeamMemberSpec(BaseModel):
    """One person on the account's Events Platform team."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Email = Field(title="Email", description="Identifies the member; their Kaltura login.")
    role: TeamRole = Field(
        title="Role", description="Admin, Organizer (manages events) or ContentManager (manages content)."
    )
    first_name: PersonName = Field(title="First name", description="As shown on the platform.")
    last_name: PersonName = Field(title="Last name", description="As shown on the platform.")


def _one_entry_per_person(members: list[TeamMemberSpec]) -> list[TeamMemberSpec]:
    seen: set[str] = set()
    for index, member in enumerate(members):
        key = email_key(member.email)
        if key in seen:
            raise InvalidArgumentError(
                f"roster[{index}].email", member.email, "is listed twice; one entry per person"
            )
        seen.add(key)
    return members


Roster = Annotated[list[TeamMemberSpec], Field(max_length=MAX_ROSTER), AfterValidator(_one_entry_per_person)]


@dataclass
class RosterDiff:
    """What the account needs so its team matches the roster."""

    create: list[TeamMemberSpec] = field(default_factory=list)
    update: list[tuple[TeamMemberSpec, TeamMember]] = field(default_factory=list)
    unchanged: list[tuple[TeamMemberSpec, TeamMember]] = field(default_factory=list)
    delete: list[TeamMember] = field(default_factory=list)
    """Unlisted members, only when ``remove_unlisted`` was asked for."""
    unlisted: list[TeamMember] = field(default_factory=list)
    """Unlisted members left alone."""
    kept_caller: list[TeamMember] = field(default_factory=list)
    """Unlisted, but the user the flow's KS is for: deleting it would lock the flow out."""

    @property
    def writes(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)


def member_changes(spec: TeamMemberSpec, member: TeamMember) -> dict[str, str]:
    """Only what differs, so an update sends no field that would not change."""
    wanted = {"role": spec.role, "first_name": spec.first_name, "last_name": spec.last_name}
    have = {"role": member.role, "first_name": member.first_name, "last_name": member.last_name}
    return {key: value for key, value in wanted.items() if have[key] != value}


def roster_diff(
    roster: list[TeamMemberSpec],
    existing: list[TeamMember],
    *,
    remove_unlisted: bool,
    caller: str | None = None,
) -> RosterDiff:
    """``caller`` is the user id of the flow's KS: never deleted, since that would lock the flow out."""
    result = RosterDiff()
    by_email: dict[str, TeamMember] = {}
    for member in sorted(existing, key=lambda m: m.id):
        by_email.setdefault(email_key(member.email), member)
    listed = set()
    for spec in roster:
        key = email_key(spec.email)
        listed.add(key)
        found = by_email.get(key)
        if found is None:
            result.create.append(spec)
        elif member_changes(spec, found):
            result.update.append((spec, found))
        else:
            result.unchanged.append((spec, found))
    others = [m for m in existing if email_key(m.email) not in listed]
    if remove_unlisted:
        for member in others:
            (result.kept_caller if _is_caller(member, caller) else result.delete).append(member)
    else:
        result.unlisted = others
    _refuse_losing_every_admin(result, existing)
    return result


def _is_caller(member: TeamMember, caller: str | None) -> bool:
    """The KS's user is matched on email or member id: accounts use either as the Kaltura user id."""
    return caller is not None and email_key(caller) in (email_key(member.email), member.id.strip().lower())


def _refuse_losing_every_admin(changes: RosterDiff, existing: list[TeamMember]) -> None:
    """Some Admin the team has now must stay an Admin; refuse otherwise, before any write.

    A member created in the same run does not count: a typo in the only
    Admin's email, with ``remove_unlisted``, would otherwise delete the real
    Admin and make the misspelt address one. Handing the role over takes two
    runs: add the new Admin, then remove the old.
    """
    if not any(m.role == "Admin" for m in existing):
        return
    staying: list[str | None] = [spec.role for spec, _ in (*changes.update, *changes.unchanged)]
    staying += [m.role for m in (*changes.unlisted, *changes.kept_caller)]
    if "Admin" not in staying:
        admins = sorted(m.email for m in existing if m.role == "Admin")
        raise InvalidArgumentError(
            "roster",
            admins,
            "every current Admin would be removed or demoted, leaving the team to Admins not yet"
            " created; keep one of them as Admin (hand the role over in two runs: add, then remove)",
        )
