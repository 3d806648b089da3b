"""What the Events Platform holds: events, sessions, jobs, templates, team members and event users.

Plain data with lookups that raise the platform's 404s; the event book and
people change it under the platform's lock, and only through them.
"""

from __future__ import annotations

from dataclasses import dataclass

from kaltura_events.emulator.failures import Missing
from kaltura_events.emulator.services.events_platform.models import (
    DuplicateJob,
    Event,
    EventUser,
    Session,
    TeamMember,
)

SERVICE_NAME = "events_platform"


@dataclass(frozen=True)
class Template:
    name: str
    session_types: tuple[str, ...]


class Records:
    def __init__(self, first_event_id: int) -> None:
        self.next_event_id = first_event_id
        self.next_job_id = 1
        self.events: dict[int, Event] = {}
        self.sessions: dict[int, dict[str, Session]] = {}
        self.event_categories: dict[int, list[int]] = {}
        """The API v3 categories each event made, by id (a failed copy takes its own away)."""
        self.jobs: dict[str, DuplicateJob] = {}
        self.pending_jobs: set[str] = set()
        self.custom_templates: dict[str, Template] = {}
        self.team: dict[str, TeamMember] = {}
        self.event_users: dict[int, dict[str, EventUser]] = {}
        self.users_version = 0
        """Bumped by every change to an event's users, so a kept listing of them is used only while
        nothing has changed."""

    def event(self, event_id: int, field_name: str = "id") -> Event:
        event = self.events.get(event_id)
        if event is None:
            raise Missing(field_name, event_id, "event")
        return event

    def session(self, event_id: int, session_id: str) -> Session:
        session = self.sessions.get(event_id, {}).get(session_id)
        if session is None:
            raise Missing("sessionId", session_id, f"session of event {event_id}")
        return session

    def remove_event(self, event_id: int) -> None:
        """The event with its sessions and users; its categories stay, as the guide says they do."""
        self.events.pop(event_id, None)
        self.sessions.pop(event_id, None)
        self.event_users.pop(event_id, None)
        self.users_version += 1
