"""Event tasks: one API call each. An ambiguous create is looked up by the client before it is retried."""

from __future__ import annotations

from datetime import datetime

from kaltura_events.api.errors import NotFoundError
from kaltura_events.api.events import DuplicateStarted, EventFilter
from kaltura_events.api.models import DuplicateJob, Event
from kaltura_events.credentials import KalturaCredentials
from tasks.announce import announce, event_deleted, event_duplicated, event_written
from tasks.api_task import api_task, filter_summary, when
from tasks.clients import events_client


@api_task(
    "create-event",
    endpoint="events/create",
    description="Create one event from a template; an ambiguous failure is looked up by name and start.",
    run_name="{name}",
)
def create_event(
    *,
    credentials: KalturaCredentials | None,
    name: str,
    template_id: str,
    start: datetime,
    end: datetime,
    timezone: str,
    description: str | None = None,
    planned_labels: tuple[str, ...] = (),
) -> Event:
    """``planned_labels``: what a later update will label the event; only its Prefect event reads them."""
    event = events_client(credentials).create_event(
        name=name,
        template_id=template_id,
        start=start,
        end=end,
        timezone=timezone,
        description=description,
    )
    announce(event_written("created", event, labels=planned_labels or None))
    return event


@api_task(
    "update-event",
    endpoint="events/update",
    description="Set an event's times, doors-open, labels and the completion marker.",
    run_name=lambda p: f"event {p['event_id']}" + (f" ({p['name']})" if p.get("name") else ""),
)
def update_event(
    *,
    credentials: KalturaCredentials | None,
    event_id: int,
    name: str | None = None,
    description: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    doors_open: datetime | None = None,
    labels: list[str] | None = None,
) -> Event:
    client = events_client(credentials)
    event = client.update_event(
        event_id,
        name=name,
        description=description,
        start=start,
        end=end,
        doors_open=doors_open,
        labels=labels,
    )
    announce(event_written("updated", event))
    return event


@api_task(
    "delete-event",
    endpoint="events/delete",
    description="Delete one event; already gone counts as done.",
    run_name="event {event_id}",
)
def delete_event(
    *,
    credentials: KalturaCredentials | None,
    event_id: int,
    name: str | None = None,
    labels: tuple[str, ...] = (),
) -> bool:
    """True when deleted now, False when it was already gone: both leave the same state.

    ``name`` and ``labels`` (as observed before the delete) only go into the
    Prefect event, so an automation can still tell which series lost it.
    """
    client = events_client(credentials)
    try:
        client.delete_event(event_id)
    except NotFoundError:
        return False
    announce(event_deleted(event_id, name=name, labels=labels))
    return True


@api_task(
    "list-events",
    endpoint="events/list",
    description="Events matching a narrow filter, every page inside the task.",
    run_name=lambda p: filter_summary(p["event_filter"]),
)
def list_events(*, credentials: KalturaCredentials | None, event_filter: EventFilter) -> list[Event]:
    """Pages inside one task: a task run costs milliseconds, a page costs one round trip."""
    client = events_client(credentials)
    return client.list_all_events(event_filter)


@api_task(
    "find-event",
    endpoint="events/list",
    description="The event an earlier run may have made: exact name, same start.",
    run_name=lambda p: f"{p['name']} at {when(p['start'])}",
)
def find_event(*, credentials: KalturaCredentials | None, name: str, start: datetime) -> Event | None:
    client = events_client(credentials)
    return client.find_event_by_name_and_start(name, start)


@api_task(
    "duplicate-event",
    endpoint="events/duplicate",
    description="Start copying a template event; answers with the job to poll.",
    run_name="{name} from event {source_event_id}",
)
def duplicate_event(
    *,
    credentials: KalturaCredentials | None,
    source_event_id: int,
    name: str,
    timezone: str,
    start: datetime | None = None,
    end: datetime | None = None,
    description: str | None = None,
    copy_roles: tuple[str, ...] = (),
) -> DuplicateStarted:
    """An earlier ambiguous call's copy is announced here; a job's copy, by the poll that sees it done."""
    started = events_client(credentials).duplicate_event(
        source_event_id,
        name=name,
        timezone=timezone,
        start=start,
        end=end,
        description=description,
        copy_roles=copy_roles,
    )
    if started.adopted_event is not None:
        announce(
            event_duplicated(
                started.adopted_event.id,
                name=started.adopted_event.name,
                source_event_id=source_event_id,
                job_id=None,
            )
        )
    return started


@api_task(
    "get-duplicate-status",
    endpoint="events/duplicateStatus",
    description="One poll of a duplication job.",
    run_name="job {job_id}",
)
def get_duplicate_status(
    *,
    credentials: KalturaCredentials | None,
    job_id: str,
    name: str | None = None,
    source_event_id: int | None = None,
) -> DuplicateJob:
    """The poll that sees the job completed announces the copy; the caller stops polling a finished job.

    ``name`` and ``source_event_id`` (what the duplication asked for) only go into that Prefect event.
    """
    client = events_client(credentials)
    job = client.duplicate_status(job_id)
    if job.job_state == "completed" and job.event_id is not None:
        announce(event_duplicated(job.event_id, name=name, source_event_id=source_event_id, job_id=job_id))
    return job
