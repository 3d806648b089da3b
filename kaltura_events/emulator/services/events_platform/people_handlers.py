"""Events Platform handlers for people: team members, event users, session speakers and moderators."""

from __future__ import annotations

from typing import Any

from kaltura_events.emulator.failures import BadArgument
from kaltura_events.emulator.fields import (
    optional_bool,
    optional_choice,
    optional_choices,
    optional_number,
    optional_object,
    optional_str,
    optional_str_list,
    pager_bounds,
    require_choice,
    require_event_id,
    require_object,
    require_str,
    required_str,
)
from kaltura_events.emulator.request_context import RequestContext
from kaltura_events.emulator.services.events_platform.backend import EventsPlatformBackend
from kaltura_events.emulator.services.events_platform.catalog import (
    EVENT_USER_ORDERS,
    EVENT_USER_ROLES,
    PARTICIPANTS_PER_CALL,
    PEOPLE_PAGE_DEFAULT,
    SPEAKER_ROLES,
    TEAM_ROLES,
)
from kaltura_events.emulator.services.events_platform.people import SpeakerInput
from kaltura_events.emulator.services.events_platform.route import OK, Body

# -- team members ---------------------------------------------------------------


def create_team_member(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    """spec CreateTeamRequestDto: email, role, firstName, lastName required; role from its enum."""
    member = backend.people.create_team_member(
        email=require_str("email", body.get("email")),
        role=require_choice("role", body.get("role"), TEAM_ROLES),
        first_name=require_str("firstName", body.get("firstName")),
        last_name=require_str("lastName", body.get("lastName")),
    )
    return {"status": "ok", "teamMember": member}


def update_team_member(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
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
    return {"status": "ok", "teamMember": backend.people.update_team_member(member_id, changes)}


def delete_team_member(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    backend.people.delete_team_member(required_str(body, "id"))
    return dict(OK)


def list_team_members(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    skip, limit = pager_bounds(
        body,
        default_limit=PEOPLE_PAGE_DEFAULT,
        max_limit=None,
        offset_mode=backend.platform.config.offset_mode,
    )
    total, members = backend.people.list_team_members(skip, limit)
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


def invite_event_user(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    event_id = require_event_id("eventId", body.get("eventId"))
    first_name = require_str("firstName", body.get("firstName"))
    last_name = require_str("lastName", body.get("lastName"))
    email = require_str("email", body.get("email"))
    profile = _profile(body)
    profile["skip_email"] = bool(optional_bool(body, "skipEmail"))  # spec default: false, so emailed
    user = backend.people.invite(event_id, email, first_name, last_name, **profile)
    return {"user": user, "status": "ok"}


def update_event_user(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    event_id = require_event_id("eventId", body.get("eventId"))
    user_id = required_str(body, "userId")
    changes = _profile(body)
    for key, attribute in (("firstName", "first_name"), ("lastName", "last_name")):
        value = optional_str(body, key)
        if value is not None:
            changes[attribute] = value
    return {"user": backend.people.update_user(event_id, user_id, changes), "status": "ok"}


def delete_event_user(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    event_id = require_event_id("eventId", body.get("eventId"))
    backend.people.delete_user(event_id, required_str(body, "userId"))
    return dict(OK)


def list_event_users(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    event_id = require_event_id("eventId", body.get("eventId"))
    raw = optional_object(body, "filter")
    roles = optional_choices(raw, "roles", EVENT_USER_ROLES, "filter.roles")
    ids = optional_str_list(raw, "idIn", "filter.idIn")
    skip, limit = pager_bounds(
        body,
        default_limit=PEOPLE_PAGE_DEFAULT,
        max_limit=None,
        offset_mode=backend.platform.config.offset_mode,
    )
    total, users = backend.people.list_users(
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


def add_participants(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    event_id, session_id = _target(body)
    speakers = _speakers(body, required=False)
    moderators = optional_str_list(body, "moderatorIds", max_items=PARTICIPANTS_PER_CALL) or []
    backend.people.add_participants(event_id, session_id, speakers, moderators)
    return dict(OK)


def remove_participants(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    event_id, session_id = _target(body)
    speakers = optional_str_list(body, "speakerIds", max_items=PARTICIPANTS_PER_CALL) or []
    moderators = optional_str_list(body, "moderatorIds", max_items=PARTICIPANTS_PER_CALL) or []
    backend.people.remove_participants(event_id, session_id, speakers, moderators)
    return dict(OK)


def update_participants(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    event_id, session_id = _target(body)
    backend.people.update_participants(event_id, session_id, _speakers(body, required=True))
    return dict(OK)


def list_participants(backend: EventsPlatformBackend, body: Body, context: RequestContext) -> Body:
    event_id, session_id = _target(body)
    return {**backend.people.list_participants(event_id, session_id), "status": "ok"}
