"""The events side of the Events Platform: events, sessions, templates and duplication jobs.

It works on the service's :class:`Records` (people work on the same ones, from
``people.py``) under the platform's lock; methods take already-parsed arguments
from the handlers and return wire-ready dicts rendered under the lock, so a
response never mixes two states. The categories an event makes are API v3's:
they are made through that service's backend.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kaltura_events.emulator.changes import Change
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.failures import BadArgument
from kaltura_events.emulator.platform import Platform
from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend
from kaltura_events.emulator.services.events_platform.catalog import PRESET_TEMPLATES
from kaltura_events.emulator.services.events_platform.dates import write_iso
from kaltura_events.emulator.services.events_platform.models import (
    DuplicateJob,
    Event,
    EventUser,
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


@dataclass
class DuplicateSpec:
    """A parsed ``events/duplicate`` body; None fields keep the source's values."""

    source_event_id: int
    name: str | None = None
    timezone: str | None = None
    description: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    user_roles: tuple[str, ...] = ()


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

    def _announce(self, kind: str, subject: object, record: dict[str, Any]) -> None:
        self.platform.changes.announce(Change(SERVICE_NAME, kind, str(subject), record))

    def _check_order(self, start_field: str, start: datetime, end_field: str, end: datetime) -> None:
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
            self._check_order("startDate", start, "endDate", end)
            event = self._insert_event(
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
                self._insert_session(
                    event,
                    SessionSpec(
                        name=_TEMPLATE_SESSION_NAMES.get(session_type, session_type),
                        type=session_type,
                        source_entry_id=self.platform.new_entry_id() if session_type == "SimuLive" else None,
                    ),
                )
            if with_categories:
                self._make_event_categories(event.id)
            rendered = render_event(event, self.platform.partner_id)
            self._announce("event.created", event.id, rendered)
            return rendered

    def _insert_event(
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

    def _make_event_categories(self, event_id: int) -> None:
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
            self._check_order("startDate", start, "endDate", end)
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
            self._announce("event.updated", event.id, rendered)
            return rendered

    def delete_event(self, event_id: int) -> dict[str, Any]:
        """Remove the event, its sessions and users; its categories stay, as on the real platform."""
        with self.locked():
            event = self.records.event(event_id)
            rendered = render_event(event, self.platform.partner_id)
            self.records.remove_event(event_id)
            self._announce("event.deleted", event_id, rendered)
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
                self._insert_event(
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

    # -- duplication ----------------------------------------------------------

    def start_duplicate(self, spec: DuplicateSpec, outcome: str) -> str:
        """Start an ``events/duplicate`` job and return its id.

        DESIGN CHOICE: the copy is created, with its sessions (new ids) and its
        categories, when the job starts, and is listable at once, although the
        job reports ``wait`` (and no ``eventId``) until ``duplicate_seconds`` pass.
        So a client that got an ambiguous answer (a 500 after commit, a timeout)
        can still find the copy with ``events/list`` by name. ``outcome`` comes
        from the faults: "completed"; "failed" removes the copy, its sessions,
        users and categories when the job fails (so a failure leaves no debris
        the client could not attribute); "stuck" never leaves the waiting states.
        """
        with self.locked():
            source = self.records.event(spec.source_event_id, "sourceEventId")
            duration = source.end - source.start
            start, end = spec.start, spec.end
            if start is None and end is None:
                start, end = source.start, source.end
            elif start is None:
                assert end is not None
                start = end - duration
            elif end is None:
                end = start + duration
            self._check_order("event.startDate", start, "event.endDate", end)
            shift = start - source.start
            copy = self._insert_event(
                name=spec.name or source.name,
                description=source.description if spec.description is None else spec.description,
                start=start,
                end=end,
                timezone_name=spec.timezone or source.timezone,
                template_id=source.template_id,
                template_name=source.template_name,
                labels=source.labels,
            )
            copy.doors_open = None if source.doors_open is None else source.doors_open + shift
            copy.logo_entry_id, copy.banner_entry_id = source.logo_entry_id, source.banner_entry_id
            copied_users = self._copy_event_users(source.id, copy.id, spec.user_roles)
            for old in self.records.sessions[source.id].values():
                new = self._insert_session(
                    copy,
                    SessionSpec(
                        name=old.name,
                        type=old.type,
                        description=old.description,
                        visibility=old.visibility,
                        start=old.start + shift,
                        end=old.end + shift,
                        tags=list(old.tags),
                        is_manual_live=old.is_manual_live,
                        image_entry_id=old.image_entry_id,
                        source_entry_id=old.source_entry_id,
                    ),
                )
                new.speakers = {uid: slot for uid, slot in old.speakers.items() if uid in copied_users}
                new.moderators = [uid for uid in old.moderators if uid in copied_users]
            self._make_event_categories(copy.id)
            job_id = str(self.records.next_job_id)
            self.records.next_job_id += 1
            started = self.platform.clock()
            self.records.jobs[job_id] = DuplicateJob(
                id=job_id,
                source_event_id=source.id,
                event_id=copy.id,
                started_at=started,
                due_at=started + self.config.duplicate_seconds,
                outcome=outcome,
            )
            self.records.pending_jobs.add(job_id)
            self._announce("event.created", copy.id, render_event(copy, self.platform.partner_id))
            self._announce("duplicate.started", job_id, self._render_job(self.records.jobs[job_id]))
            return job_id

    def settle_jobs(self) -> None:
        """Move due duplication jobs to their outcome; the platform runs it before every locked access.

        A failed job takes its copy away, with the copy's sessions, users and categories.
        """
        if not self.records.pending_jobs:
            return
        now = self.platform.clock()
        for job_id in list(self.records.pending_jobs):
            job = self.records.jobs[job_id]
            if now < job.due_at:
                continue
            if job.outcome == "completed":
                job.state = "completed"
            elif job.outcome == "failed":
                job.state = "failed"
                self.records.remove_event(job.event_id)
                self.platform.backend(ApiV3Backend).discard(
                    self.records.event_categories.pop(job.event_id, [])
                )
            else:
                continue
            self.records.pending_jobs.discard(job_id)
            self._announce(f"duplicate.{job.state}", job_id, self._render_job(job))

    @staticmethod
    def _render_job(job: DuplicateJob) -> dict[str, Any]:
        return {
            "jobId": job.id,
            "sourceEventId": job.source_event_id,
            "eventId": job.event_id,
            "jobState": job.state,
            "outcome": job.outcome,
            "startedAt": job.started_at,
            "dueAt": job.due_at,
        }

    def _copy_event_users(self, source_id: int, target_id: int, roles: tuple[str, ...]) -> set[str]:
        """Copy the source's users holding any of ``roles`` (spec DuplicateUsersDto); lock held."""
        wanted = set(roles)
        now = self.now()
        copied = {
            user.id: EventUser(
                id=user.id,
                email=user.email,
                first_name=user.first_name,
                last_name=user.last_name,
                roles=list(user.roles),
                created_at=now,
                updated_at=now,
                title=user.title,
                company=user.company,
                bio=user.bio,
                image_entry_id=user.image_entry_id,
            )
            for user in self.records.event_users.get(source_id, {}).values()
            if wanted.intersection(user.roles)
        }
        self.records.event_users[target_id] = copied
        return set(copied)

    def duplicate_status(self, job_id: str) -> dict[str, Any]:
        with self.locked():
            job = self.records.jobs.get(job_id)
            if job is None:
                # spec DuplicateStatusEventResponseDto.jobState lists "unknown"; the guide (§5.6):
                # "Status cannot be determined". No source gives a 404 for a job id.
                return {"jobId": job_id, "jobState": "unknown", "status": "ok"}
            state = job.state
            if job.outcome == "stuck" and self.platform.clock() >= job.due_at:
                state = ("repeat", "paused", "wait")[job.polls_after_due % 3]
                job.polls_after_due += 1
            body: dict[str, Any] = {"jobId": job.id, "jobState": state}
            if state == "completed":
                body["eventId"] = str(job.event_id)
            body["status"] = "ok"
            return body

    # -- sessions -------------------------------------------------------------

    def _insert_session(self, event: Event, spec: SessionSpec) -> Session:
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
            self._check_order("session.startDate", start, "session.endDate", end)
            spec.start, spec.end = start, end
            rendered = render_session(self._insert_session(event, spec), self.platform.partner_id)
            self._announce("session.created", rendered["id"], rendered)
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
                "jobs": [self._render_job(job) for job in self.records.jobs.values()],
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
