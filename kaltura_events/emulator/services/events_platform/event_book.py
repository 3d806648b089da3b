"""The events side of the Events Platform: events, sessions and templates.

It works on the service's :class:`Records` (people work on the same ones, from
``people.py``; duplication jobs from ``duplication.py``) under the platform's
lock; methods take already-parsed arguments from the handlers and return
wire-ready dicts rendered under the lock, so a response never mixes two states.
The categories an event makes are API v3's: they are made through that
service's backend.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kaltura_events.emulator.changes import Change
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.dates import write_iso
from kaltura_events.emulator.failures import BadArgument
from kaltura_events.emulator.platform import Platform
from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend
from kaltura_events.emulator.services.app_registry.backend import AppRegistryBackend
from kaltura_events.emulator.services.events_platform.catalog import PRESET_TEMPLATES
from kaltura_events.emulator.services.events_platform.models import (
    Event,
    Session,
    render_event,
    render_session,
)
from kaltura_events.emulator.services.events_platform.records import SERVICE_NAME, Records, Template

_TEMPLATE_SESSION_NAMES = {
    "MeetingEntry": "Interactive room",
    "LiveWebcast": "Live webcast",
    "SimuLive": "Simulive session",
    "LiveKME": "Live broadcast",
    "VirtualLearningRoom": "Virtual classroom",
}
_EVENT_SUBTREE = ("Sessions", "Sessions>Recordings", "Media")
MEDIA_ACCOUNT_CATEGORY = "ep_media_account"


@dataclass
class EventQuery:
    """A parsed ``events/list`` filter; None means "do not filter on this"."""

    id_in: set[int] | None = None
    template_in: set[str] | None = None
    search: str = ""
    labels: set[str] | None = None
    start_gte: datetime | None = None
    start_lte: datetime | None = None
    end_gte: datetime | None = None
    end_lte: datetime | None = None

    def matches(self, event: Event) -> bool:
        return not (
            (self.id_in is not None and event.id not in self.id_in)
            or (self.template_in is not None and event.template_id not in self.template_in)
            or (self.search and self.search not in event.name.lower())
            or (self.labels is not None and not self.labels.intersection(event.labels))
            or (self.start_gte is not None and event.start < self.start_gte)
            or (self.start_lte is not None and event.start > self.start_lte)
            or (self.end_gte is not None and event.end < self.end_gte)
            or (self.end_lte is not None and event.end > self.end_lte)
        )


@dataclass
class SessionSpec:
    """A parsed ``sessions/create`` body; dates default to the event's."""

    name: str
    type: str
    description: str = ""
    visibility: str = "published"
    start: datetime | None = None
    end: datetime | None = None
    tags: list[str] = field(default_factory=list)
    is_manual_live: bool = False
    image_entry_id: str | None = None
    source_entry_id: str | None = None


class EventBook:
    def __init__(self, platform: Platform, records: Records) -> None:
        self.platform = platform
        self.records = records

    @property
    def config(self) -> EmulatorConfig:
        return self.platform.config

    def locked(self) -> AbstractContextManager[None]:
        return self.platform.locked()

    def now(self) -> datetime:
        return self.platform.now()

    def announce(self, kind: str, subject: object, record: dict[str, Any]) -> None:
        self.platform.changes.announce(Change(SERVICE_NAME, kind, str(subject), record))

    def check_order(self, start_field: str, start: datetime, end_field: str, end: datetime) -> None:
        """Only with ``check_date_order``: no reference says the platform refuses an end before a start."""
        if self.config.check_date_order and end <= start:
            raise BadArgument(end_field, write_iso(end), f"must be after {start_field}={write_iso(start)}")

    # -- templates ----------------------------------------------------------

    def template(self, template_id: str) -> Template:
        """A preset (guide §8) or a registered custom template; any other id names nothing to copy."""
        preset = PRESET_TEMPLATES.get(template_id)
        if preset is not None:
            return Template(*preset)
        found = self.records.custom_templates.get(template_id)
        if found is None:
            raise BadArgument(
                "templateId", template_id, "names no template (no preset tm0000..tm4000, no custom one)"
            )
        return found

    def require_template(self, template_id: str) -> None:
        with self.locked():
            self.template(template_id)

    def add_template(self, template_id: str, session_types: tuple[str, ...], name: str) -> dict[str, Any]:
        with self.locked():
            self.records.custom_templates[template_id] = Template(name, session_types)
            return {"id": template_id, "name": name, "sessions": list(session_types)}

    # -- events -------------------------------------------------------------

    def create_event(
        self,
        *,
        name: str,
        description: str,
        start: datetime,
        end: datetime,
        timezone_name: str,
        template_id: str,
        labels: list[str] | None = None,
        with_categories: bool = True,
    ) -> dict[str, Any]:
        """Create the event, the sessions its template adds, and the platform's categories."""
        with self.locked():
            template = self.template(template_id)
            self.check_order("startDate", start, "endDate", end)
            event = self.insert_event(
                name=name,
                description=description,
                start=start,
                end=end,
                timezone_name=timezone_name,
                template_id=template_id,
                template_name=template.name,
                labels=labels or [],
            )
            for session_type in template.session_types:
                self.insert_session(
                    event,
                    SessionSpec(
                        name=_TEMPLATE_SESSION_NAMES.get(session_type, session_type),
                        type=session_type,
                        source_entry_id=self.platform.new_entry_id() if session_type == "SimuLive" else None,
                    ),
                )
            if with_categories:
                self.make_event_categories(event.id)
            rendered = render_event(event, self.platform.partner_id)
            self.announce("event.created", event.id, rendered)
            self.platform.backend(AppRegistryBackend).register_event_app(event.id, event.name)
            return rendered

    def insert_event(
        self,
        *,
        name: str,
        description: str,
        start: datetime,
        end: datetime,
        timezone_name: str,
        template_id: str,
        template_name: str,
        labels: list[str],
        now: datetime | None = None,
    ) -> Event:
        """A bare event record (no sessions, no categories), for create, copy and bulk; the lock is held."""
        now = now or self.now()
        event = Event(
            id=self.records.next_event_id,
            name=name,
            description=description,
            start=start,
            end=end,
            timezone=timezone_name,
            template_id=template_id,
            template_name=template_name,
            created_at=now,
            updated_at=now,
            labels=list(labels),
        )
        self.records.next_event_id += 1
        self.records.events[event.id] = event
        self.records.sessions[event.id] = {}
        return event

    def make_event_categories(self, event_id: int) -> None:
        """The categories the real platform makes per event, and leaves behind on delete."""
        categories = self.platform.backend(ApiV3Backend)
        root = categories.ensure_path(f"{event_id}EP{self.platform.ids.getrandbits(24):06x}")
        for child in _EVENT_SUBTREE:
            categories.ensure_path(f"{root.full_name}>{child}")
        agenda = categories.ensure_path(f"ep_agenda_{event_id}")
        private = categories.ensure_path(f"ep_private_{event_id}")
        media = categories.ensure_path(f"{MEDIA_ACCOUNT_CATEGORY}>ep_media_event_{event_id}")
        self.records.event_categories[event_id] = [root.id, agenda.id, private.id, media.id]

    def update_event(self, event_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply a partial update: fields not in the request stay as they are (guide §5.3).

        A ``doorsOpenDate`` once set stays where it was put when the start moves;
        until set, it reads as the start.
        """
        with self.locked():
            event = self.records.event(event_id)
            start = changes.get("start", event.start)
            end = changes.get("end", event.end)
            doors = changes.get("doors_open", event.doors_open)
            self.check_order("startDate", start, "endDate", end)
            if doors is not None and self.config.check_date_order and doors > start:
                raise BadArgument(
                    "doorsOpenDate", write_iso(doors), f"must not be after startDate={write_iso(start)}"
                )
            event.start, event.end, event.doors_open = start, end, doors
            for key, attribute in (
                ("name", "name"),
                ("description", "description"),
                ("timezone", "timezone"),
                ("labels", "labels"),
                ("logo_entry_id", "logo_entry_id"),
                ("banner_entry_id", "banner_entry_id"),
            ):
                if key in changes:
                    setattr(event, attribute, changes[key])
            event.updated_at = self.now()
            rendered = render_event(event, self.platform.partner_id)
            self.announce("event.updated", event.id, rendered)
            return rendered

    def delete_event(self, event_id: int) -> dict[str, Any]:
        """Remove the event, its sessions and users; its categories stay, as on the real platform."""
        with self.locked():
            event = self.records.event(event_id)
            rendered = render_event(event, self.platform.partner_id)
            self.records.remove_event(event_id)
            self.announce("event.deleted", event_id, rendered)
            return rendered

    def list_events(
        self, query: EventQuery, skip: int, limit: int, order: str
    ) -> tuple[int, list[dict[str, Any]]]:
        """Filter first, then sort only the matches: a narrow filter over 10,000 events stays cheap."""
        with self.locked():
            matches = [event for event in self.records.events.values() if query.matches(event)]
            direction, order_field = order[0], order[1:]
            key: Callable[[Event], Any] = {
                "name": lambda e: (e.name.lower(), e.id),
                "startDate": lambda e: (e.start, e.id),
                "createdAt": lambda e: (e.created_at, e.id),
            }[order_field]
            matches.sort(key=key, reverse=direction == "-")
            page = matches[skip : skip + limit]
            return len(matches), [render_event(event, self.platform.partner_id) for event in page]

    def bulk_events(
        self,
        *,
        count: int,
        name_prefix: str,
        start: datetime,
        interval: timedelta,
        duration: timedelta,
        labels: list[str],
        template_id: str,
        timezone_name: str,
    ) -> dict[str, Any]:
        """Insert many events at once, without sessions or categories, for scale tests."""
        with self.locked():
            template_name = self.template(template_id).name
            now = self.now()
            first = self.records.next_event_id
            for index in range(count):
                begins = start + interval * index
                self.insert_event(
                    name=f"{name_prefix} {index + 1}",
                    description="",
                    start=begins,
                    end=begins + duration,
                    timezone_name=timezone_name,
                    template_id=template_id,
                    template_name=template_name,
                    labels=labels,
                    now=now,
                )
            return {"count": count, "firstId": first, "lastId": self.records.next_event_id - 1}

    # -- sessions -------------------------------------------------------------

    def insert_session(self, event: Event, spec: SessionSpec) -> Session:
        """A session record with dates defaulting to the event's; the lock is held."""
        now = self.now()
        start = event.start if spec.start is None else spec.start
        end = event.end if spec.end is None else spec.end
        session = Session(
            id=self.platform.new_entry_id(),
            event_id=event.id,
            name=spec.name,
            type=spec.type,
            description=spec.description,
            visibility=spec.visibility,
            start=start,
            end=end,
            created_at=now,
            updated_at=now,
            tags=list(spec.tags),
            is_manual_live=spec.is_manual_live,
            image_entry_id=spec.image_entry_id,
            source_entry_id=spec.source_entry_id,
        )
        self.records.sessions[event.id][session.id] = session
        return session

    def create_session(self, event_id: int, spec: SessionSpec) -> dict[str, Any]:
        """Dates default to the event's (the spec makes them optional).

        A session outside its event's times is accepted: the live platform was
        seen to take one made at the event's old times right after the event moved.
        """
        with self.locked():
            event = self.records.event(event_id, "eventId")
            start = event.start if spec.start is None else spec.start
            end = event.end if spec.end is None else spec.end
            self.check_order("session.startDate", start, "session.endDate", end)
            spec.start, spec.end = start, end
            rendered = render_session(self.insert_session(event, spec), self.platform.partner_id)
            self.announce("session.created", rendered["id"], rendered)
            return rendered

    def list_sessions(self, event_id: int) -> list[dict[str, Any]]:
        with self.locked():
            self.records.event(event_id, "eventId")
            return [
                render_session(s, self.platform.partner_id) for s in self.records.sessions[event_id].values()
            ]

    # -- inspection -----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything held, for ``/_emulator/state`` (no secrets are held here)."""
        with self.locked():
            pid = self.platform.partner_id
            return {
                "events": [render_event(e, pid) for e in self.records.events.values()],
                "sessions": {
                    str(eid): [render_session(s, pid) for s in sessions.values()]
                    for eid, sessions in self.records.sessions.items()
                },
                "templates": {
                    **{
                        tid: {"name": name, "sessions": list(types)}
                        for tid, (name, types) in PRESET_TEMPLATES.items()
                    },
                    **{
                        tid: {"name": template.name, "sessions": list(template.session_types)}
                        for tid, template in self.records.custom_templates.items()
                    },
                },
                "nextEventId": self.records.next_event_id,
            }
