"""Everything the emulated platform holds, and the behaviour the guides describe.

One re-entrant lock guards all of it, so an event, its template sessions and
its categories appear together or not at all, whichever thread or request asks.
Methods take already-parsed arguments (the API front ends parse with
``kaltura_events.validation``) and return wire-ready dicts rendered under the
lock, so a response never mixes two states.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from kaltura_events.emulator.categories import CategoryTree
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.failures import CategoriesLocked, Missing
from kaltura_events.emulator.models import (
    DuplicateJob,
    Event,
    Session,
    public_domain,
    render_category,
    render_event,
    render_session,
)
from kaltura_events.emulator.people import People
from kaltura_events.errors import InvalidArgumentError
from kaltura_events.validation import PRESET_TEMPLATES, TEMPLATE_NAMES, format_iso, require_order

_ENTRY_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
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


class Store:
    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._clock = clock
        self._lock = threading.RLock()
        self._ids = random.Random(f"{config.seed}:ids")
        self._entry_ids: set[str] = set()
        self._next_event_id = config.first_event_id
        self._next_job_id = 1
        self._created_seq = 0
        self.events: dict[int, Event] = {}
        self.sessions: dict[int, dict[str, Session]] = {}
        self._event_categories: dict[int, list[int]] = {}
        self.categories = CategoryTree(clock)
        self.jobs: dict[str, DuplicateJob] = {}
        self._pending_jobs: set[str] = set()
        self.custom_templates: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.category_lock_held = False
        self.people = People(self)

    # -- plumbing -----------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the state lock with duplication jobs brought up to date first."""
        with self._lock:
            self._settle_jobs()
            yield

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), tz=timezone.utc)

    def public_domain(self) -> str:
        return public_domain(self.config.partner_id)

    def new_entry_id(self) -> str:
        """An entry id like Kaltura's ("1_a0b1c2d3"), deterministic from the seed, never reused."""
        while True:
            candidate = "1_" + "".join(self._ids.choice(_ENTRY_ALPHABET) for _ in range(8))
            if candidate not in self._entry_ids:
                self._entry_ids.add(candidate)
                return candidate

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

    # -- templates ----------------------------------------------------------

    def template(self, template_id: str) -> tuple[str, tuple[str, ...]]:
        """(name, session types) of a preset or registered custom template."""
        if template_id in PRESET_TEMPLATES:
            return TEMPLATE_NAMES[template_id], PRESET_TEMPLATES[template_id]
        found = self.custom_templates.get(template_id)
        if found is None:
            raise InvalidArgumentError("templateId", template_id, "unknown template")
        return found

    def add_template(self, template_id: str, session_types: tuple[str, ...], name: str) -> dict[str, Any]:
        with self.locked():
            self.custom_templates[template_id] = (name, session_types)
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
            template_name, session_types = self.template(template_id)
            event = self._insert_event(
                name=name,
                description=description,
                start=start,
                end=end,
                timezone_name=timezone_name,
                template_id=template_id,
                template_name=template_name,
                labels=labels or [],
            )
            for session_type in session_types:
                self._insert_session(
                    event,
                    SessionSpec(
                        name=_TEMPLATE_SESSION_NAMES.get(session_type, session_type),
                        type=session_type,
                        source_entry_id=self.new_entry_id() if session_type == "SimuLive" else None,
                    ),
                )
            if with_categories:
                self._make_event_categories(event.id)
            return render_event(event, self.config.partner_id)

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
            id=self._next_event_id,
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
        self._next_event_id += 1
        self.events[event.id] = event
        self.sessions[event.id] = {}
        return event

    def _make_event_categories(self, event_id: int) -> None:
        """The categories the real platform makes per event, and leaves behind on delete."""
        tree = self.categories
        root, _ = tree.ensure_path(f"{event_id}EP{self._ids.getrandbits(24):06x}")
        for child in _EVENT_SUBTREE:
            tree.ensure_path(f"{root.full_name}>{child}")
        agenda, _ = tree.ensure_path(f"ep_agenda_{event_id}")
        private, _ = tree.ensure_path(f"ep_private_{event_id}")
        media, _ = tree.ensure_path(f"{MEDIA_ACCOUNT_CATEGORY}>ep_media_event_{event_id}")
        self._event_categories[event_id] = [root.id, agenda.id, private.id, media.id]

    def update_event(self, event_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply a partial update; the result must still be a coherent event or nothing changes.

        When the start moves and ``doorsOpenDate`` is not in the request, the doors
        keep their offset from the start (a recurring event's "doors 15 minutes early").
        """
        with self.locked():
            event = self.event(event_id)
            start = changes.get("start", event.start)
            end = changes.get("end", event.end)
            require_order("startDate", start, "endDate", end)
            if "doors_open" in changes:
                doors: datetime | None = changes["doors_open"]
            elif event.doors_open is not None:
                doors = event.doors_open + (start - event.start)
            else:
                doors = None
            if doors is not None and doors > start:
                raise InvalidArgumentError(
                    "doorsOpenDate", format_iso(doors), f"must not be after startDate={format_iso(start)}"
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
            return render_event(event, self.config.partner_id)

    def delete_event(self, event_id: int) -> dict[str, Any]:
        """Remove the event, its sessions and users; its categories stay, as on the real platform."""
        with self.locked():
            event = self.event(event_id)
            rendered = render_event(event, self.config.partner_id)
            self._remove_event(event_id)
            return rendered

    def _remove_event(self, event_id: int) -> None:
        self.events.pop(event_id, None)
        self.sessions.pop(event_id, None)
        self.people.forget_event(event_id)

    def list_events(
        self, query: EventQuery, skip: int, limit: int, order: str
    ) -> tuple[int, list[dict[str, Any]]]:
        """Filter first, then sort only the matches: a narrow filter over 10,000 events stays cheap."""
        with self.locked():
            matches = [event for event in self.events.values() if query.matches(event)]
            direction, order_field = order[0], order[1:]
            key: Callable[[Event], Any] = {
                "name": lambda e: (e.name.lower(), e.id),
                "startDate": lambda e: (e.start, e.id),
                "createdAt": lambda e: (e.created_at, e.id),
            }[order_field]
            matches.sort(key=key, reverse=direction == "-")
            page = matches[skip : skip + limit]
            return len(matches), [render_event(event, self.config.partner_id) for event in page]

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
            template_name, _ = self.template(template_id)
            now = self.now()
            first = self._next_event_id
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
            return {"count": count, "firstId": first, "lastId": self._next_event_id - 1}

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
            source = self.event(spec.source_event_id, "sourceEventId")
            duration = source.end - source.start
            start, end = spec.start, spec.end
            if start is None and end is None:
                start, end = source.start, source.end
            elif start is None:
                assert end is not None
                start = end - duration
            elif end is None:
                end = start + duration
            require_order("event.startDate", start, "event.endDate", end)
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
            copied_users = self.people.copy_event_users(source.id, copy.id, spec.user_roles)
            for old in self.sessions[source.id].values():
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
            job_id = str(self._next_job_id)
            self._next_job_id += 1
            started = self._clock()
            self.jobs[job_id] = DuplicateJob(
                id=job_id,
                source_event_id=source.id,
                event_id=copy.id,
                started_at=started,
                due_at=started + self.config.duplicate_seconds,
                outcome=outcome,
            )
            self._pending_jobs.add(job_id)
            return job_id

    def _settle_jobs(self) -> None:
        """Move due jobs to their outcome; runs on every access, so no background task is needed."""
        if not self._pending_jobs:
            return
        now = self._clock()
        for job_id in list(self._pending_jobs):
            job = self.jobs[job_id]
            if now < job.due_at:
                continue
            if job.outcome == "completed":
                job.state = "completed"
            elif job.outcome == "failed":
                job.state = "failed"
                self._remove_event(job.event_id)
                for category_id in self._event_categories.pop(job.event_id, []):
                    if category_id in self.categories.by_id:
                        self.categories.delete(category_id)
            else:
                continue
            self._pending_jobs.discard(job_id)

    def duplicate_status(self, job_id: str) -> dict[str, Any]:
        with self.locked():
            job = self.jobs.get(job_id)
            if job is None:
                raise Missing("jobId", job_id, "duplication job")
            state = job.state
            if job.outcome == "stuck" and self._clock() >= job.due_at:
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
            id=self.new_entry_id(),
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
        self.sessions[event.id][session.id] = session
        return session

    def create_session(self, event_id: int, spec: SessionSpec) -> dict[str, Any]:
        with self.locked():
            event = self.event(event_id, "eventId")
            start = event.start if spec.start is None else spec.start
            end = event.end if spec.end is None else spec.end
            if start < event.start or start >= event.end:
                raise InvalidArgumentError(
                    "session.startDate",
                    format_iso(start),
                    f"must be within the event ({format_iso(event.start)} to {format_iso(event.end)})",
                )
            if end > event.end:
                raise InvalidArgumentError(
                    "session.endDate",
                    format_iso(end),
                    f"must not be after the event's end {format_iso(event.end)}",
                )
            require_order("session.startDate", start, "session.endDate", end)
            spec.start, spec.end = start, end
            return render_session(self._insert_session(event, spec), self.config.partner_id)

    def list_sessions(self, event_id: int) -> list[dict[str, Any]]:
        with self.locked():
            self.event(event_id, "eventId")
            return [render_session(s, self.config.partner_id) for s in self.sessions[event_id].values()]

    # -- categories -----------------------------------------------------------

    def render_category_by_id(self, category_id: int) -> dict[str, Any]:
        with self.locked():
            category = self.categories.get(category_id)
            return render_category(
                category, self.config.partner_id, self.categories.direct_children_count(category_id)
            )

    def list_categories(
        self, filters: dict[str, Any], pager: dict[str, Any]
    ) -> tuple[int, list[dict[str, Any]]]:
        with self.locked():
            total, page = self.categories.list(filters, pager)
            return total, [
                render_category(c, self.config.partner_id, self.categories.direct_children_count(c.id))
                for c in page
            ]

    def add_category(self, name: str, parent_id: int) -> dict[str, Any]:
        with self.locked():
            category = self.categories.add(name, parent_id)
            return render_category(category, self.config.partner_id, 0)

    def ensure_category_path(self, full_name: str) -> tuple[dict[str, Any], int]:
        with self.locked():
            leaf, made = self.categories.ensure_path(full_name)
            children = self.categories.direct_children_count(leaf.id)
            return render_category(leaf, self.config.partner_id, children), made

    def delete_category(self, category_id: int) -> tuple[list[int], bool]:
        """Delete a subtree; returns (ids removed, whether the caller now holds the category lock).

        A delete of a category with children takes the partner-wide lock; the
        caller holds it for ``category_lock_seconds`` and then calls
        :meth:`release_category_lock`. Any delete meanwhile is refused.
        """
        with self.locked():
            if self.category_lock_held:
                raise CategoriesLocked()
            has_children = self.categories.direct_children_count(self.categories.get(category_id).id) > 0
            removed = self.categories.delete(category_id)
            if has_children:
                self.category_lock_held = True
            return removed, has_children

    def release_category_lock(self) -> None:
        with self._lock:
            self.category_lock_held = False

    # -- inspection -----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything held, for ``/_emulator/state`` (no secrets are held here)."""
        with self.locked():
            pid = self.config.partner_id
            return {
                "events": [render_event(e, pid) for e in self.events.values()],
                "sessions": {
                    str(eid): [render_session(s, pid) for s in sessions.values()]
                    for eid, sessions in self.sessions.items()
                },
                "categories": [
                    render_category(c, pid, self.categories.direct_children_count(c.id))
                    for c in self.categories.by_id.values()
                ],
                "jobs": [
                    {
                        "jobId": job.id,
                        "sourceEventId": job.source_event_id,
                        "eventId": job.event_id,
                        "jobState": job.state,
                        "outcome": job.outcome,
                        "startedAt": job.started_at,
                        "dueAt": job.due_at,
                    }
                    for job in self.jobs.values()
                ],
                "templates": {
                    **{
                        tid: {"name": TEMPLATE_NAMES[tid], "sessions": list(types)}
                        for tid, types in PRESET_TEMPLATES.items()
                    },
                    **{
                        tid: {"name": name, "sessions": list(types)}
                        for tid, (name, types) in self.custom_templates.items()
                    },
                },
                "nextEventId": self._next_event_id,
                "categoryLockHeld": self.category_lock_held,
                **self.people.snapshot(),
            }
