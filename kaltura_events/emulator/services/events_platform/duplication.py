"""``events/duplicate`` jobs: the copy made at once, the job finishing (or failing, or sticking) with time.

Apart from the event book because a job outlives its request: it moves on
whenever anyone looks at the platform (:meth:`Duplications.settle` runs before
every locked access), and a failed one takes its copy away again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend
from kaltura_events.emulator.services.app_registry.backend import AppRegistryBackend
from kaltura_events.emulator.services.events_platform.event_book import EventBook, SessionSpec
from kaltura_events.emulator.services.events_platform.models import DuplicateJob, EventUser, render_event


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


class Duplications:
    def __init__(self, book: EventBook) -> None:
        self.book = book
        self.platform = book.platform
        self.records = book.records

    def start(self, spec: DuplicateSpec, outcome: str) -> str:
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
        with self.platform.locked():
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
            self.book.check_order("event.startDate", start, "event.endDate", end)
            shift = start - source.start
            copy = self.book.insert_event(
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
                new = self.book.insert_session(
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
            self.book.make_event_categories(copy.id)
            job_id = str(self.records.next_job_id)
            self.records.next_job_id += 1
            started = self.platform.clock()
            self.records.jobs[job_id] = DuplicateJob(
                id=job_id,
                source_event_id=source.id,
                event_id=copy.id,
                started_at=started,
                due_at=started + self.platform.config.duplicate_seconds,
                outcome=outcome,
            )
            self.records.pending_jobs.add(job_id)
            self.book.announce("event.created", copy.id, render_event(copy, self.platform.partner_id))
            self.platform.backend(AppRegistryBackend).register_event_app(copy.id, copy.name)
            self.book.announce("duplicate.started", job_id, self._render_job(self.records.jobs[job_id]))
            return job_id

    def settle(self) -> None:
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
                self.platform.backend(AppRegistryBackend).discard_event_app(job.event_id)
            else:
                continue
            self.records.pending_jobs.discard(job_id)
            self.book.announce(f"duplicate.{job.state}", job_id, self._render_job(job))

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
        now = self.platform.now()
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
        self.records.users_version += 1
        return set(copied)

    def status(self, job_id: str) -> dict[str, Any]:
        with self.platform.locked():
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

    def snapshot(self) -> dict[str, Any]:
        with self.platform.locked():
            return {"jobs": [self._render_job(job) for job in self.records.jobs.values()]}
