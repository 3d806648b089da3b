"""The Events Platform's records, and how each is rendered on the wire.

Records keep datetimes and typed fields; rendering happens in one place per
DTO so every response carries all the fields the OpenAPI spec marks required.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kaltura_events.emulator.dates import write_iso

THUMBNAIL_BASE = "https://cfvod.kaltura.com/p/{partner_id}/thumbnail/entry_id/{entry_id}"


def public_domain(partner_id: int) -> str:
    return f"https://{partner_id}-1.events.emulator.localhost"


def thumbnail_url(partner_id: int, entry_id: str | None) -> str:
    return THUMBNAIL_BASE.format(partner_id=partner_id, entry_id=entry_id) if entry_id else ""


@dataclass
class Event:
    id: int
    name: str
    description: str
    start: datetime
    end: datetime
    timezone: str
    template_id: str
    template_name: str
    created_at: datetime
    updated_at: datetime
    labels: list[str] = field(default_factory=list)
    doors_open: datetime | None = None
    """None means "when the event starts", so moving the start moves the doors."""
    logo_entry_id: str | None = None
    banner_entry_id: str | None = None

    def doors_open_at(self) -> datetime:
        return self.start if self.doors_open is None else self.doors_open


def render_event(event: Event, partner_id: int) -> dict[str, Any]:
    """PublicEventDto with every required field."""
    return {
        "id": event.id,
        "publicDomain": public_domain(partner_id),
        "name": event.name,
        "description": event.description,
        "startDate": write_iso(event.start),
        "endDate": write_iso(event.end),
        "timezone": event.timezone,
        "logoUrl": thumbnail_url(partner_id, event.logo_entry_id),
        "bannerImageUrl": thumbnail_url(partner_id, event.banner_entry_id),
        "labels": list(event.labels),
        "createdAt": write_iso(event.created_at),
        "updatedAt": write_iso(event.updated_at),
        "languages": ["en"],
        "isRegistrationOpen": True,
        "doorsOpenDate": write_iso(event.doors_open_at()),
        "templateId": event.template_id,
        "templateName": event.template_name,
    }


@dataclass
class SpeakerSlot:
    """A user's place on a session's speaker list."""

    order: int | float = 0
    is_hidden: bool = False
    role: str = "simpleSpeaker"


@dataclass
class Session:
    id: str
    event_id: int
    name: str
    type: str
    description: str
    visibility: str
    start: datetime
    end: datetime
    created_at: datetime
    updated_at: datetime
    tags: list[str] = field(default_factory=list)
    is_manual_live: bool = False
    image_entry_id: str | None = None
    source_entry_id: str | None = None
    speakers: dict[str, SpeakerSlot] = field(default_factory=dict)
    moderators: list[str] = field(default_factory=list)


def render_session(session: Session, partner_id: int) -> dict[str, Any]:
    """PublicSessionDto with every required field."""
    body: dict[str, Any] = {
        "id": session.id,
        "createdAt": write_iso(session.created_at),
        "updatedAt": write_iso(session.updated_at),
        "type": session.type,
        "visibility": session.visibility,
        "name": session.name,
        "description": session.description,
        "startDate": write_iso(session.start),
        "endDate": write_iso(session.end),
        "thumbnailUrl": thumbnail_url(partner_id, session.image_entry_id or session.id),
        "tags": list(session.tags),
        "rsvpCount": 0,
    }
    if session.source_entry_id:
        body["sourceEntry"] = {
            "id": session.source_entry_id,
            "status": "ready",
            "createdAt": write_iso(session.created_at),
        }
    return body


@dataclass
class TeamMember:
    id: str
    email: str
    first_name: str
    last_name: str
    role: str
    created_at: datetime
    updated_at: datetime
    disabled: bool = False


def render_team_member(member: TeamMember) -> dict[str, Any]:
    return {
        "id": member.id,
        "firstName": member.first_name,
        "lastName": member.last_name,
        "email": member.email,
        "role": member.role,
        "disabled": member.disabled,
        "createdAt": write_iso(member.created_at),
        "updatedAt": write_iso(member.updated_at),
    }


@dataclass
class EventUser:
    id: str
    email: str
    first_name: str
    last_name: str
    roles: list[str]
    created_at: datetime
    updated_at: datetime
    title: str = ""
    company: str = ""
    bio: str = ""
    image_entry_id: str | None = None
    status: str = "Invited"
    invitations: int = 0
    """Committed invites of this email (the emulator's own count, for tests; not in any answer)."""
    emails_sent: int = 0
    """Of those, sent without skipEmail: the invitation emails Kaltura would have sent."""


def render_event_user(user: EventUser, partner_id: int) -> dict[str, Any]:
    return {
        "id": user.id,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.email,
        "title": user.title,
        "company": user.company,
        "bio": user.bio,
        "roles": list(user.roles),
        "thumbnailUrl": thumbnail_url(partner_id, user.image_entry_id),
        "createdAt": write_iso(user.created_at),
        "updatedAt": write_iso(user.updated_at),
        "status": user.status,
    }


def render_speaker(user: EventUser, slot: SpeakerSlot, partner_id: int, public_domain: str) -> dict[str, Any]:
    """PublicSpeakerDto (sessions/speakerList): every field is required, so blanks are ""."""
    return {
        "id": user.id,
        "email": user.email,
        "order": slot.order,
        "isHidden": slot.is_hidden,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "profileLink": f"{public_domain}/speakers/{user.id}",
        "title": user.title,
        "bio": user.bio,
        "thumbnailUrl": thumbnail_url(partner_id, user.image_entry_id),
    }


def render_participant(user: EventUser, partner_id: int, slot: SpeakerSlot | None = None) -> dict[str, Any]:
    """PublicSessionParticipantDto: a speaker when ``slot`` is given, else a moderator."""
    body: dict[str, Any] = {
        "id": user.id,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.email,
        "title": user.title,
        "bio": user.bio,
        "thumbnailUrl": thumbnail_url(partner_id, user.image_entry_id),
        "type": "moderator" if slot is None else "speaker",
    }
    if slot is not None:
        body.update(order=slot.order, isHidden=slot.is_hidden, sessionRole=slot.role)
    return body


@dataclass
class DuplicateJob:
    """An ``events/duplicate`` job; ``outcome`` is fixed at start, the state follows the clock."""

    id: str
    source_event_id: int
    event_id: int
    started_at: float
    due_at: float
    outcome: str
    """"completed", "failed" or "stuck" (from the duplicate_fail / duplicate_stuck faults)."""
    state: str = "wait"
    polls_after_due: int = 0
