"""Everything one emulated platform holds, under one lock, read by the store and by people alike.

The events side (``store``) and the people side (``people``) both take this
object and never each other, so imports run one way: both -> state. One
re-entrant lock guards all of it, so an event, its sessions, its users and its
categories change together or not at all, whichever request asks.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

from kaltura_events.emulator.categories import CategoryTree
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.failures import Missing
from kaltura_events.emulator.models import DuplicateJob, Event, EventUser, Session, TeamMember

_ENTRY_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Template:
    name: str
    session_types: tuple[str, ...]


class State:
    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.ids = random.Random(f"{config.seed}:ids")
        self.entry_ids: set[str] = set()
        self.next_event_id = config.first_event_id
        self.next_job_id = 1
        self.events: dict[int, Event] = {}
        self.sessions: dict[int, dict[str, Session]] = {}
        self.event_categories: dict[int, list[int]] = {}
        self.categories = CategoryTree(clock)
        self.jobs: dict[str, DuplicateJob] = {}
        self.pending_jobs: set[str] = set()
        self.custom_templates: dict[str, Template] = {}
        self.category_lock_held = False
        self.team: dict[str, TeamMember] = {}
        self.event_users: dict[int, dict[str, EventUser]] = {}

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the lock with duplication jobs brought up to date first."""
        with self.lock:
            self._settle_jobs()
            yield

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=timezone.utc)

    def new_entry_id(self) -> str:
        """An entry id like Kaltura's ("1_a0b1c2d3"), deterministic from the seed, never reused."""
        while True:
            candidate = "1_" + "".join(self.ids.choice(_ENTRY_ALPHABET) for _ in range(8))
            if candidate not in self.entry_ids:
                self.entry_ids.add(candidate)
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

    def remove_event(self, event_id: int) -> None:
        """The event with its sessions and users; its categories stay, as the guide says they do."""
        self.events.pop(event_id, None)
        self.sessions.pop(event_id, None)
        self.event_users.pop(event_id, None)

    def _settle_jobs(self) -> None:
        """Move due duplication jobs to their outcome; runs on every access, so no background task."""
        if not self.pending_jobs:
            return
        now = self.clock()
        for job_id in list(self.pending_jobs):
            job = self.jobs[job_id]
            if now < job.due_at:
                continue
            if job.outcome == "completed":
                job.state = "completed"
            elif job.outcome == "failed":
                job.state = "failed"
                self.remove_event(job.event_id)
                for category_id in self.event_categories.pop(job.event_id, []):
                    if category_id in self.categories.by_id:
                        self.categories.delete(category_id)
            else:
                continue
            self.pending_jobs.discard(job_id)
