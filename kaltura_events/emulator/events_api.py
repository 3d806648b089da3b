"""The Events Platform API (``POST /api/v1/<path>``), answering in the OpenAPI spec's shapes.

Each handler reads its body with the emulator's own field checks (``fields.py``,
written from the spec's types, required lists and enums) and asks the store or
people; refusals become ``{"status", "message", "field"}`` with the HTTP status
the spec's status enum implies. README.md lists every rule and its source.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from kaltura_events.emulator.auth import check_events_ks
from kaltura_events.emulator.catalog import (
    DUPLICATE_ROLES,
    EVENT_ORDERS,
    EVENT_USER_ORDERS,
    EVENT_USER_ROLES,
    EVENTS_PAGE_DEFAULT,
    EVENTS_PAGE_MAX,
    PARTICIPANTS_PER_CALL,
    PEOPLE_PAGE_DEFAULT,
    SESSION_TYPES,
    SPEAKER_ROLES,
    TEAM_ROLES,
    VISIBILITIES,
)
from kaltura_events.emulator.failures import (
    INTERNAL_ERROR_MESSAGE,
    BadArgument,
    EventsApiFailure,
    Missing,
    events_error,
)
from kaltura_events.emulator.fields import (
    optional_bool,
    optional_choice,
    optional_choices,
    optional_date,
    optional_number,
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
from kaltura_events.emulator.middleware import RequestContext, request_context
from kaltura_events.emulator.people import SpeakerInput
from kaltura_events.emulator.runtime import Runtime
from kaltura_events.emulator.store import DuplicateSpec, EventQuery, SessionSpec

logger = logging.getLogger("kaltura_events.emulator")

Body = dict[str, Any]
Handler = Callable[[Runtime, Body, RequestContext], Body]

OK: Body = {"status": "ok"}


# -- events -------------------------------------------------------------------


def create_event(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    """spec CreateEventRequestDto: templateId, name, startDate, endDate, timezone required."""
    template_id = require_str("templateId", body.get("templateId"))
    runtime.store.require_template(template_id)
    name = require_str("name", body.get("name"))
    start = require_date("startDate", body.get("startDate"))
    end = require_date("endDate", body.get("endDate"))
    zone = require_zone("timezone", body.get("timezone"))
    description = optional_str(body, "description") or ""
    event = runtime.store.create_event(
        name=name, description=description, start=start, end=end, timezone_name=zone, template_id=template_id
    )
    return {"event": event, "status": "ok"}


def update_event(runtime: Runtime, body: Body, context: RequestContext) -> Body:
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
    return {"event": runtime.store.update_event(event_id, changes), "status": "ok"}


def delete_event(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    return {"event": runtime.store.delete_event(require_event_id("id", body.get("id"))), "status": "ok"}


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


def list_events(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    """A single-space ``searchTerm`` matches everything, as the guide promises (§5.2)."""
    query = _event_query(body)
    skip, limit = pager_bounds(
        body,
        default_limit=EVENTS_PAGE_DEFAULT,
        max_limit=EVENTS_PAGE_MAX,
        offset_mode=runtime.config.offset_mode,
    )
    order = require_choice("orderBy", body.get("orderBy", "-createdAt"), EVENT_ORDERS)
    total, events = runtime.store.list_events(query, skip, limit, order)
    return {"events": events, "totalCount": total, "status": "ok"}


def duplicate_event(runtime: Runtime, body: Body, context: RequestContext) -> Body:
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
    return {"jobId": runtime.store.start_duplicate(spec, outcome), "status": "ok"}


def duplicate_status(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    return runtime.store.duplicate_status(required_str(body, "jobId"))


# -- sessions -------------------------------------------------------------------


def create_session(runtime: Runtime, body: Body, context: RequestContext) -> Body:
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
    return {"session": runtime.store.create_session(event_id, spec), "status": "ok"}


def list_sessions(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    return {
        "sessions": runtime.store.list_sessions(require_event_id("eventId", body.get("eventId"))),
        "status": "ok",
    }


def speaker_list(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    event_id = require_event_id("eventId", body.get("eventId"))
    session_id = require_str("sessionId", body.get("sessionId"))
    return {"speakers": runtime.people.speaker_list(event_id, session_id), "status": "ok"}


# -- team members ---------------------------------------------------------------


def create_team_member(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    """spec CreateTeamRequestDto: email, role, firstName, lastName required; role from its enum."""
    member = runtime.people.create_team_member(
        email=require_str("email", body.get("email")),
        role=require_choice("role", body.get("role"), TEAM_ROLES),
        first_name=require_str("firstName", body.get("firstName")),
        last_name=require_str("lastName", body.get("lastName")),
    )
    return {"status": "ok", "teamMember": member}


def update_team_member(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    member_id = required_str(body, "id")
    changes: dict[str, Any] = {}
    for attribute, value in (
        ("first_name", optional_str(body, "firstName")),
        ("last_name", optional_str(body, "lastName")),
        ("role", optional_choice(body, "role", TEAM_ROLES)),
        ("disabled", optional_bool(body, "disabled")),
    ):
        if value is not None:
            changes[attribute] = value
    return {"status": "ok", "teamMember": runtime.people.update_team_member(member_id, changes)}


def delete_team_member(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    runtime.people.delete_team_member(required_str(body, "id"))
    return dict(OK)


def list_team_members(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    skip, limit = pager_bounds(
        body,
        default_limit=PEOPLE_PAGE_DEFAULT,
        max_limit=None,
        offset_mode=runtime.config.offset_mode,
    )
    total, members = runtime.people.list_team_members(skip, limit)
    return {"totalCount": total, "status": "ok", "teamMembers": members}


# -- event users ----------------------------------------------------------------


def _profile(body: Body) -> dict[str, Any]:
    profile: dict[str, Any] = {}
    for key, attribute in (("title", "title"), ("company", "company"), ("bio", "bio")):
        value = optional_str(body, key)
        if value is not None:
            profile[attribute] = value
    image = optional_str(body, "imageUrlEntryId")
    if image is not None:
        profile["image_entry_id"] = image
    roles = optional_choices(body, "roles", EVENT_USER_ROLES)
    if roles is not None:
        profile["roles"] = list(dict.fromkeys(roles))
    return profile


def invite_event_user(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    event_id = require_event_id("eventId", body.get("eventId"))
    first_name = require_str("firstName", body.get("firstName"))
    last_name = require_str("lastName", body.get("lastName"))
    email = require_str("email", body.get("email"))
    profile = _profile(body)
    optional_bool(body, "skipEmail")
    user = runtime.people.invite(event_id, email, first_name, last_name, **profile)
    return {"user": user, "status": "ok"}


def update_event_user(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    event_id = require_event_id("eventId", body.get("eventId"))
    user_id = required_str(body, "userId")
    changes = _profile(body)
    for key, attribute in (("firstName", "first_name"), ("lastName", "last_name")):
        value = optional_str(body, key)
        if value is not None:
            changes[attribute] = value
    return {"user": runtime.people.update_user(event_id, user_id, changes), "status": "ok"}


def delete_event_user(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    event_id = require_event_id("eventId", body.get("eventId"))
    runtime.people.delete_user(event_id, required_str(body, "userId"))
    return dict(OK)


def list_event_users(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    event_id = require_event_id("eventId", body.get("eventId"))
    raw = optional_object(body, "filter")
    roles = optional_choices(raw, "roles", EVENT_USER_ROLES, "filter.roles")
    ids = optional_str_list(raw, "idIn", "filter.idIn")
    skip, limit = pager_bounds(
        body,
        default_limit=PEOPLE_PAGE_DEFAULT,
        max_limit=None,
        offset_mode=runtime.config.offset_mode,
    )
    total, users = runtime.people.list_users(
        event_id,
        search=optional_str(raw, "searchTerm", "filter.searchTerm") or "",
        roles=None if roles is None else set(roles),
        id_in=None if ids is None else set(ids),
        skip=skip,
        limit=limit,
        order=require_choice("orderBy", body.get("orderBy", "-createdAt"), EVENT_USER_ORDERS),
    )
    return {"users": users, "totalCount": total, "status": "ok"}


# -- session participants ---------------------------------------------------------


def _speakers(body: Body, *, required: bool) -> list[SpeakerInput]:
    raw = body.get("speakers")
    if raw is None and not required:
        return []
    if not isinstance(raw, list):
        raise BadArgument("speakers", raw, "expected a list of speakers")
    if len(raw) > PARTICIPANTS_PER_CALL:
        raise BadArgument("speakers", f"{len(raw)} items", f"at most {PARTICIPANTS_PER_CALL} per call")
    speakers = []
    for index, item in enumerate(raw):
        entry = require_object(f"speakers[{index}]", item)
        speakers.append(
            SpeakerInput(
                user_id=required_str(entry, "userId", f"speakers[{index}].userId"),
                order=optional_number(entry, "order", f"speakers[{index}].order"),
                is_hidden=optional_bool(entry, "isHidden", f"speakers[{index}].isHidden"),
                role=optional_choice(entry, "role", SPEAKER_ROLES, f"speakers[{index}].role"),
            )
        )
    return speakers


def _target(body: Body) -> tuple[int, str]:
    return require_event_id("eventId", body.get("eventId")), require_str("sessionId", body.get("sessionId"))


def add_participants(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    event_id, session_id = _target(body)
    speakers = _speakers(body, required=False)
    moderators = optional_str_list(body, "moderatorIds", max_items=PARTICIPANTS_PER_CALL) or []
    runtime.people.add_participants(event_id, session_id, speakers, moderators)
    return dict(OK)


def remove_participants(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    event_id, session_id = _target(body)
    speakers = optional_str_list(body, "speakerIds", max_items=PARTICIPANTS_PER_CALL) or []
    moderators = optional_str_list(body, "moderatorIds", max_items=PARTICIPANTS_PER_CALL) or []
    runtime.people.remove_participants(event_id, session_id, speakers, moderators)
    return dict(OK)


def update_participants(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    event_id, session_id = _target(body)
    runtime.people.update_participants(event_id, session_id, _speakers(body, required=True))
    return dict(OK)


def list_participants(runtime: Runtime, body: Body, context: RequestContext) -> Body:
    event_id, session_id = _target(body)
    return {**runtime.people.list_participants(event_id, session_id), "status": "ok"}


HANDLERS: dict[str, Handler] = {
    "events/create": create_event,
    "events/update": update_event,
    "events/delete": delete_event,
    "events/list": list_events,
    "events/duplicate": duplicate_event,
    "events/duplicateStatus": duplicate_status,
    "sessions/create": create_session,
    "sessions/list": list_sessions,
    "sessions/speakerList": speaker_list,
    "team-members/create": create_team_member,
    "team-members/update": update_team_member,
    "team-members/delete": delete_team_member,
    "team-members/list": list_team_members,
    "event-users/invite": invite_event_user,
    "event-users/list": list_event_users,
    "event-users/update": update_event_user,
    "event-users/delete": delete_event_user,
    "session-participants/add": add_participants,
    "session-participants/remove": remove_participants,
    "session-participants/update": update_participants,
    "session-participants/list": list_participants,
}


async def _json_body(request: Request) -> Body:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadArgument("body", "<unparsable>", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadArgument("body", type(body).__name__, "the request body must be a JSON object")
    return body


async def events_endpoint(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    endpoint = request.path_params["path"].strip("/")
    handler = HANDLERS.get(endpoint)
    if handler is None or request.method != "POST":
        return events_error(404, f"Cannot {request.method} /api/v1/{endpoint}")
    context = request_context(request.scope) or RequestContext(endpoint, "events", False)
    try:
        check_events_ks(request.headers.get("authorization"), runtime.config, runtime.tokens)
        body = await _json_body(request)
        return JSONResponse(handler(runtime, body, context))
    except BadArgument as exc:
        return events_error(400, str(exc), exc.field)
    except Missing as exc:
        return events_error(404, str(exc), exc.field)
    except EventsApiFailure as exc:
        return events_error(exc.http_status, str(exc), exc.field)
    except Exception:
        logger.exception("events API handler %s failed", endpoint)
        return events_error(500, INTERNAL_ERROR_MESSAGE)


async def metrics_endpoint(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    return PlainTextResponse(runtime.stats.prometheus())
