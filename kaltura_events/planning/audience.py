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
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kaltura_events.api.errors import InvalidArgumentError
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
    first_name: PersonName = Field(title="First name")
    last_name: PersonName = Field(title="Last name")
    title: str = Field(default="", max_length=MAX_TEXT_LENGTH, title="Job title")
    company: str = Field(default="", max_length=MAX_TEXT_LENGTH, title="Company")

    @property
    def key(self) -> str:
        return email_key(self.email)


class AudienceSpec(BaseModel):
    """Who is invited to every occurrence: a CSV export, inline people, or both."""

    model_config = ConfigDict(extra="forbid")

    csv: str | None = Field(
        default=None,
        title="CSV file",
        description="An HR or CRM export with a header row; relative to the events file (or the working "
        "directory for a flow parameter).",
        examples=["audiences/all-employees.csv"],
    )
    people: list[AudiencePerson] = Field(
        default_factory=list, max_length=5000, title="People", description="Inline invitees."
    )
    columns: dict[PersonField, str] = Field(
        default_factory=dict,
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
