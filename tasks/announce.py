"""Prefect events for what our flows do in Kaltura, so automations can follow the writes.

Each write task calls ``announce`` once its client call has returned: a call
that raised announces nothing, and a delete that found the object already
gone announces nothing either (nothing happened). The event names, their
resources and payload keys are tabled in README.md ("Prefect events").

``announce`` goes through Prefect's ``emit_event``: the event joins the
process's EventsWorker queue and the worker sends it later, attaching the
flow run, task run, flow and deployment as related resources from the
context captured at the call. So it never waits for the server, and it never
fails the write it reports: any error is logged at WARNING and dropped. That
is the right trade for a record of a write that already happened; the
watcher (flows/watch_events.py) needs the opposite, so ``post_events``
sends synchronously and raises unless the server accepted every event.

Payloads are small and hold ids, names, times and labels: no secret, no
email (a label that looks like one is left out), no description.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pendulum
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext, TaskRunContext
from prefect.events import emit_event
from prefect.logging import get_logger

from kaltura_events.api.models import Event, Session, TeamMember
from kaltura_events.api.validation import format_iso
from kaltura_events.formats.events_file import FILE_LABEL_PREFIX
from kaltura_events.planning.labels import SERIES_LABEL_PREFIX

logger = get_logger("kaltura_events.tasks.announce")

Resource = dict[str, str]

SERIES_ROLE = "series"
EVENTS_FILE_ROLE = "events-file"
SOURCE_EVENT_ROLE = "source-event"
EVENT_ROLE = "event"


@dataclass(frozen=True)
class Announcement:
    """One Prefect event, before it is sent: built by pure functions so tests can read it."""

    event: str
    resource: Resource
    related: tuple[Resource, ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)
    id: uuid.UUID | None = None
    """A fixed id (the watcher's) makes a repeat the same event; None lets Prefect pick one."""
    occurred: datetime | None = None


def announce(announcement: Announcement) -> None:
    """Emit ``announcement`` through the EventsWorker; never raises, never waits for the server."""
    try:
        emit_event(
            event=announcement.event,
            resource=dict(announcement.resource),
            related=[dict(r) for r in announcement.related],
            payload=dict(announcement.payload),
            id=announcement.id,
            occurred=announcement.occurred,
        )
    except Exception as exc:  # a lost record must not fail the write it records
        logger.warning(
            "Prefect event %s for %s not emitted (%s)",
            announcement.event,
            announcement.resource.get("prefect.resource.id"),
            type(exc).__name__,
        )


# -- resources --------------------------------------------------------------------


def event_resource(event_id: int, name: str | None = None) -> Resource:
    resource = {"prefect.resource.id": f"kaltura.event.{event_id}"}
    if name:
        resource["prefect.resource.name"] = name
    return resource


def series_keys(labels: Iterable[str]) -> list[str]:
    return sorted(
        {label[len(SERIES_LABEL_PREFIX) :] for label in labels if label.startswith(SERIES_LABEL_PREFIX)}
    )


def labels_related(labels: Iterable[str]) -> tuple[Resource, ...]:
    """The series (``kev-series:``) and events file (``kev-file:``) an event's labels name."""
    labels = list(labels)
    related: list[Resource] = [
        {"prefect.resource.id": f"kaltura.series.{key}", "prefect.resource.role": SERIES_ROLE}
        for key in series_keys(labels)
    ]
    files = sorted(
        {label[len(FILE_LABEL_PREFIX) :] for label in labels if label.startswith(FILE_LABEL_PREFIX)}
    )
    related += [
        {"prefect.resource.id": f"kaltura.events-file.{name}", "prefect.resource.role": EVENTS_FILE_ROLE}
        for name in files
    ]
    return tuple(related)


def _shown_labels(labels: Iterable[str]) -> list[str]:
    """Labels are free text a user may have put an address in; those stay out of the event log."""
    return sorted(label for label in labels if "@" not in label)


def event_payload(event: Event, labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Id, name, times and labels: what an automation filters on, nothing else of the event."""
    shown = event.labels if labels is None else labels
    payload: dict[str, Any] = {
        "event_id": event.id,
        "name": event.name,
        "start": format_iso(event.start_date),
        "end": format_iso(event.end_date),
        "timezone": event.timezone,
        "labels": _shown_labels(shown),
    }
    keys = series_keys(payload["labels"])
    if keys:
        payload["series_key"] = keys[0]
    return payload


# -- what each write task announces -------------------------------------------------


def event_written(action: str, event: Event, *, labels: Sequence[str] | None = None) -> Announcement:
    """``kaltura.event.<action>`` for an event as the API returned it.

    ``labels`` stands in for the event's own when the write does not set them
    yet: a series creates its event bare and labels it in the final update,
    but the ``created`` event should already name the series.
    """
    shown = event.labels if labels is None else labels
    return Announcement(
        event=f"kaltura.event.{action}",
        resource=event_resource(event.id, event.name),
        related=labels_related(shown),
        payload=event_payload(event, shown),
    )


def event_deleted(event_id: int, *, name: str | None = None, labels: Sequence[str] = ()) -> Announcement:
    payload: dict[str, Any] = {"event_id": event_id}
    if name:
        payload["name"] = name
    return Announcement(
        event="kaltura.event.deleted",
        resource=event_resource(event_id, name),
        related=labels_related(labels),
        payload=payload,
    )


def event_duplicated(
    event_id: int, *, name: str | None, source_event_id: int | None, job_id: str | None
) -> Announcement:
    """The copy is the resource; the event it was copied from is related as ``source-event``."""
    related: tuple[Resource, ...] = ()
    if source_event_id is not None:
        related = ({**event_resource(source_event_id), "prefect.resource.role": SOURCE_EVENT_ROLE},)
    payload = {"event_id": event_id, "name": name, "source_event_id": source_event_id, "job_id": job_id}
    return Announcement(
        event="kaltura.event.duplicated",
        resource=event_resource(event_id, name),
        related=related,
        payload={k: v for k, v in payload.items() if v is not None},
    )


def session_created(session: Session, *, event_id: int, labels: Sequence[str] = ()) -> Announcement:
    payload: dict[str, Any] = {
        "session_id": session.id,
        "event_id": event_id,
        "name": session.name,
        "type": session.type,
    }
    if session.start_date is not None:
        payload["start"] = format_iso(session.start_date)
    if session.end_date is not None:
        payload["end"] = format_iso(session.end_date)
    return Announcement(
        event="kaltura.session.created",
        resource={
            "prefect.resource.id": f"kaltura.session.{session.id}",
            "prefect.resource.name": session.name,
        },
        related=({**event_resource(event_id), "prefect.resource.role": EVENT_ROLE}, *labels_related(labels)),
        payload=payload,
    )


def audience_changed(
    event_id: int, *, invited: int = 0, updated: int = 0, removed: int = 0, failed: int = 0
) -> Announcement:
    """Counts for one task's page of people: an event per person would cost more than the calls."""
    return Announcement(
        event="kaltura.audience.changed",
        resource=event_resource(event_id),
        payload={
            "event_id": event_id,
            "invited": invited,
            "updated": updated,
            "removed": removed,
            "failed": failed,
        },
    )


def team_member_written(action: str, member_id: str, *, role: str | None = None) -> Announcement:
    """No name or email: the member id is what Kaltura's own team page links by."""
    payload: dict[str, Any] = {"member_id": member_id}
    if role:
        payload["role"] = role
    return Announcement(
        event=f"kaltura.team_member.{action}",
        resource={"prefect.resource.id": f"kaltura.team-member.{member_id}"},
        payload=payload,
    )


def team_member_saved(action: str, member: TeamMember) -> Announcement:
    return team_member_written(action, member.id, role=member.role)


def category_deleted(category_id: int, *, full_name: str | None = None) -> Announcement:
    """Named like the receiver's event for Kaltura's own notification of the same delete."""
    resource = {"prefect.resource.id": f"kaltura.category.{category_id}"}
    payload: dict[str, Any] = {"category_id": category_id}
    if full_name:
        resource["prefect.resource.name"] = full_name
        payload["full_name"] = full_name
    return Announcement(event="kaltura.category.deleted", resource=resource, payload=payload)


# -- sent and confirmed --------------------------------------------------------------


def run_related() -> tuple[Resource, ...]:
    """The flow run and task run we are in: ``emit_event``'s worker adds them itself, a POST does not."""
    related: list[Resource] = []
    flow_context = FlowRunContext.get()
    task_context = TaskRunContext.get()
    flow_run = getattr(flow_context, "flow_run", None)
    if flow_run is not None:
        related.append(
            {
                "prefect.resource.id": f"prefect.flow-run.{flow_run.id}",
                "prefect.resource.role": "flow-run",
                "prefect.resource.name": flow_run.name,
            }
        )
    task_run = getattr(task_context, "task_run", None)
    if task_run is not None:
        related.append(
            {
                "prefect.resource.id": f"prefect.task-run.{task_run.id}",
                "prefect.resource.role": "task-run",
                "prefect.resource.name": task_run.name,
            }
        )
    return tuple(related)


def to_json(
    announcement: Announcement, *, occurred: datetime, extra_related: Sequence[Resource] = ()
) -> dict[str, Any]:
    """The body ``POST /api/events`` takes for one announcement."""
    return {
        "id": str(announcement.id or uuid.uuid4()),
        "occurred": format_iso(announcement.occurred or occurred),
        "event": announcement.event,
        "resource": dict(announcement.resource),
        "related": [dict(r) for r in (*announcement.related, *extra_related)],
        "payload": dict(announcement.payload),
    }


def post_events(announcements: Sequence[Announcement]) -> int:
    """Send the events in one ``POST /api/events`` and return once the server answered 2xx.

    Raises on any other answer or a connection error, so a caller that keeps
    a watermark advances it only for events the server has accepted.
    ``emit_event`` cannot promise that: its worker sends later, over a
    websocket, with no acknowledgement.
    """
    if not announcements:
        return 0
    now = pendulum.now("UTC")
    extra = run_related()
    body = [to_json(a, occurred=now, extra_related=extra) for a in announcements]
    with get_client(sync_client=True) as client:
        response = client.request("POST", "/events", json=body)
        response.raise_for_status()
    return len(body)


@task(
    name="post-prefect-events",
    description="POST /api/events: send events and wait for the Prefect server to accept them.",
    cache_policy=NO_CACHE,
    persist_result=False,
)
def post_prefect_events(announcements: list[Announcement]) -> int:
    """The watcher's delivery: a failure fails the run before its memory advances."""
    return post_events(announcements)
