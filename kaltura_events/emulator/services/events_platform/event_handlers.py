"""Events Platform handlers for events, duplication and sessions, in the OpenAPI spec's shapes.

Each reads its body with the emulator's own field checks (``fields.py``, written
from the spec's types, required lists and enums) and asks the event book;
README.md lists every rule and its source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kaltura_events.emulator.failures import BadArgument
from kaltura_events.emulator.fields import (
    optional_bool,
    optional_choice,
    optional_choices,
    optional_date,
    optional_object,
    optional_str,
    optional_str_list,
    optional_zone,
    pager_bounds,
    require_bool,
    require_choice,
    require_date,
    require_event_id,
    require_object,
    require_str,
    require_zone,
    required_str,
)
from kaltura_events.emulator.request_context import RequestContext
from kaltura_events.emulator.services.events_platform.backend import EventsPlatformBackend
from kaltura_events.emulator.services.events_platform.catalog import (
    DUPLICATE_ROLES,
    EVENT_ORDERS,
    EVENTS_PAGE_DEFAULT,
    EVENTS_PAGE_MAX,
    SESSION_TYPES,
    VISIBILITIES,
)
from kaltura_events.emulator.services.events_platform.duplication import DuplicateSpec
from kaltura_events.emulator.services.events_platform.event_book import EventQuery, SessionSpec
from kaltura_events.emulator.services.events_platform.route import Body

# -- events -------------------------------------------------------------------


def create_event(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    """spec CreateEventRequestDto: templateId, name, startDate, endDate, timezone required."""
    template_id = require_str("templateId", body.get("templateId"))
    backend.events.require_template(template_id)
    name = require_str("name", body.get("name"))
    start = require_date("startDate", body.get("startDate"))
    end = require_date("endDate", body.get("endDate"))
    zone = require_zone("timezone", body.get("timezone"))
    description = optional_str(body, "description") or ""
    event = backend.events.create_event(
        name=name, description=description, start=start, end=end, timezone_name=zone, template_id=template_id
    )
    return {"event": event, "status": "ok"}


def update_event(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    """spec UpdateEventRequestDto: only ``id`` is required; absent fields stay (guide §5.3)."""
    event_id = require_event_id("id", body.get("id"))
    changes: dict[str, Any] = {}
    readers: tuple[tuple[str, str, Callable[[Body, str], Any]], ...] = (
        ("name", "name", optional_str),
        ("description", "description", optional_str),
        ("startDate", "start", optional_date),
        ("endDate", "end", optional_date),
        ("doorsOpenDate", "doors_open", optional_date),
        ("timezone", "timezone", optional_zone),
        ("labels", "labels", optional_str_list),
        ("logoEntryId", "logo_entry_id", optional_str),
        ("bannerEntryId", "banner_entry_id", optional_str),
    )
    for key, attribute, read in readers:
        value = read(body, key)
        if value is not None:
            changes[attribute] = value
    return {"event": backend.events.update_event(event_id, changes), "status": "ok"}


def delete_event(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    return {"event": backend.events.delete_event(require_event_id("id", body.get("id"))), "status": "ok"}


def _event_query(body: Body) -> EventQuery:
    """spec ListEventFilterDto."""
    raw = optional_object(body, "filter")
    query = EventQuery()
    if raw.get("idIn") is not None:
        if not isinstance(raw["idIn"], list):
            raise BadArgument("filter.idIn", raw["idIn"], "expected a list of event ids")
        query.id_in = {require_event_id("filter.idIn", value) for value in raw["idIn"]}
    templates = optional_str_list(raw, "templateIdIn", "filter.templateIdIn")
    query.template_in = None if templates is None else set(templates)
    query.search = (optional_str(raw, "searchTerm", "filter.searchTerm") or "").strip().lower()
    labels = optional_str_list(raw, "labels", "filter.labels")
    query.labels = None if labels is None else set(labels)
    query.start_gte = optional_date(raw, "startDateGreaterThanOrEqual", "filter.startDateGreaterThanOrEqual")
    query.start_lte = optional_date(raw, "startDateLessOrEqualThan", "filter.startDateLessOrEqualThan")
    query.end_gte = optional_date(raw, "endDateGreaterThanOrEqual", "filter.endDateGreaterThanOrEqual")
    query.end_lte = optional_date(raw, "endDateLessOrEqualThan", "filter.endDateLessOrEqualThan")
    return query


def list_events(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    """A single-space ``searchTerm`` matches everything, as the guide promises (§5.2)."""
    query = _event_query(body)
    skip, limit = pager_bounds(
        body,
        default_limit=EVENTS_PAGE_DEFAULT,
        max_limit=EVENTS_PAGE_MAX,
        offset_mode=backend.platform.config.offset_mode,
    )
    order = require_choice("orderBy", body.get("orderBy", "-createdAt"), EVENT_ORDERS)
    total, events = backend.events.list_events(query, skip, limit, order)
    return {"events": events, "totalCount": total, "status": "ok"}


def duplicate_event(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    """Accepts the spec's ``{sourceEventId, event}`` and the guides' bare ``{sourceEventId}``
    (reference README.md); ``event`` needs name and timezone, ``duplicateUsers`` needs roles and
    skipEmail (spec EventDto.required, DuplicateUsersDto.required)."""
    spec = DuplicateSpec(source_event_id=require_event_id("sourceEventId", body.get("sourceEventId")))
    if body.get("event") is not None:
        event = require_object("event", body["event"])
        spec.name = require_str("event.name", event.get("name"))
        spec.timezone = require_zone("event.timezone", event.get("timezone"))
        spec.description = optional_str(event, "description", "event.description")
        spec.start = optional_date(event, "startDate", "event.startDate")
        spec.end = optional_date(event, "endDate", "event.endDate")
    if body.get("duplicateUsers") is not None:
        users = require_object("duplicateUsers", body["duplicateUsers"])
        if users.get("roles") is None:
            raise BadArgument("duplicateUsers.roles", None, "is required")
        roles = optional_choices(users, "roles", DUPLICATE_ROLES, "duplicateUsers.roles") or []
        require_bool(users, "skipEmail", "duplicateUsers.skipEmail")
        spec.user_roles = tuple(roles)
    kind = context.injection.kind if context.injection else None
    outcome = {"duplicate_fail": "failed", "duplicate_stuck": "stuck"}.get(kind or "", "completed")
    return {"jobId": backend.duplications.start(spec, outcome), "status": "ok"}


def duplicate_status(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    return backend.duplications.status(required_str(body, "jobId"))


# -- sessions -------------------------------------------------------------------


def create_session(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    """spec CreateSessionRequestDto / CreateSessionDto: eventId, session, session.name and .type required."""
    event_id = require_event_id("eventId", body.get("eventId"))
    raw = require_object("session", body.get("session"))
    spec = SessionSpec(
        name=require_str("session.name", raw.get("name")),
        type=require_choice("session.type", raw.get("type"), SESSION_TYPES),
        description=optional_str(raw, "description", "session.description") or "",
        visibility=optional_choice(raw, "visibility", VISIBILITIES, "session.visibility") or "published",
        start=optional_date(raw, "startDate", "session.startDate"),
        end=optional_date(raw, "endDate", "session.endDate"),
        tags=optional_str_list(raw, "tags", "session.tags") or [],
        is_manual_live=bool(optional_bool(raw, "isManualLive", "session.isManualLive")),
        image_entry_id=optional_str(raw, "imageUrlEntryId", "session.imageUrlEntryId"),
        source_entry_id=optional_str(raw, "sourceEntryId", "session.sourceEntryId"),
    )
    return {"session": backend.events.create_session(event_id, spec), "status": "ok"}


def list_sessions(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    return {
        "sessions": backend.events.list_sessions(require_event_id("eventId", body.get("eventId"))),
        "status": "ok",
    }


def speaker_list(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    event_id = require_event_id("eventId", body.get("eventId"))
    session_id = require_str("sessionId", body.get("sessionId"))
    return {"speakers": backend.people.speaker_list(event_id, session_id), "status": "ok"}
