"""``message/send`` and the tracking calls (KALTURA_MESSAGING_API.md §6, §8).

A send is checked whole before anything is written: its fields, its
attachments, and a value of the right kind for every token the template
defines (§6.1 "msgParams provides runtime values for each token defined in
the template's msgParamsMap"). What can fail for one recipient only (§7.4)
fails that recipient's message, not the send.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from kaltura_events.emulator.failures import ApiV3Failure, BadArgument
from kaltura_events.emulator.fields import (
    Body,
    date_bounds,
    optional_choices,
    optional_count,
    optional_object,
    optional_str,
    optional_str_list,
    require_choice,
    require_object,
    require_str,
    required_str,
    secret_str,
)
from kaltura_events.emulator.services.messaging.backend import MessagingBackend
from kaltura_events.emulator.services.messaging.handlers import listed, page, string_map
from kaltura_events.emulator.services.messaging.models import (
    BULK_STATUSES,
    DISCRETE_STATUSES,
    DISPOSITIONS,
    DYNAMIC_AS,
    MESSAGE_TYPES,
    RECEIVER_TYPES,
    TOKEN_TYPES,
    Bulk,
    Discrete,
    Template,
)
from kaltura_events.emulator.services.messaging.tag_matching import has_any
from kaltura_events.emulator.services.user_profile.models import user_key


def _token_value(field: str, kind: str, value: Any) -> Any:
    """§4.1, §4.3, §4.4: the value each kind of token takes at send time."""
    if kind in ("User", "String", "UnsubscribeUri"):
        return require_str(f"{field}.value", value)
    given = require_object(f"{field}.value", value)
    if kind == "MagicLink":
        optional_str(given, "baseURL", f"{field}.value.baseURL")
        optional_count(given, "expiry", f"{field}.value.expiry")
        optional_str(given, "privileges", f"{field}.value.privileges")
    else:
        if given.get("payload") is None:
            raise BadArgument(f"{field}.value.payload", None, "is required")
        require_object(f"{field}.value.payload", given["payload"])
        secret_str(given, "secret", f"{field}.value.secret", required=True)
        optional_object(given, "options", f"{field}.value.options")
    return given


def _params(body: Body, defined: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each token the template defines, with a value of its kind; ``Dynamic`` decided by the value (§4.1)."""
    given = require_object("msgParams", body.get("msgParams")) if body.get("msgParams") is not None else None
    if given is None:
        raise BadArgument("msgParams", None, "is required")
    params: dict[str, dict[str, Any]] = {}
    for name, definition in defined.items():
        field = f"msgParams.{name}"
        if given.get(name) is None:
            raise BadArgument(field, None, f"is required: the template defines the token {name!r}")
        param = require_object(field, given[name])
        kind = require_choice(f"{field}.type", param.get("type"), TOKEN_TYPES)
        if param.get("value") is None:
            raise BadArgument(f"{field}.value", None, "is required")
        if kind == "Dynamic":
            kind = "MagicLink" if isinstance(param["value"], dict) else "String"
        expected = definition["type"]
        if kind != expected and not (expected == "Dynamic" and kind in DYNAMIC_AS):
            raise BadArgument(
                f"{field}.type", param.get("type"), f"the template defines {name!r} as {expected}"
            )
        params[name] = {"type": kind, "value": _token_value(field, kind, param["value"])}
    return params


def _attachments(body: Body) -> list[dict[str, Any]]:
    """§6.3: fileName, content (Base64), mimeType, disposition required; contentId optional."""
    given = body.get("attachments")
    if given is None:
        return []
    if not isinstance(given, list):
        raise BadArgument("attachments", given, "expected a list")
    for index, raw in enumerate(given):
        field = f"attachments[{index}]"
        attachment = require_object(field, raw)
        required_str(attachment, "fileName", f"{field}.fileName")
        content = required_str(attachment, "content", f"{field}.content")
        try:
            base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise BadArgument(f"{field}.content", content, "expected Base64") from None
        required_str(attachment, "mimeType", f"{field}.mimeType")
        require_choice(f"{field}.disposition", attachment.get("disposition"), DISPOSITIONS)
        optional_str(attachment, "contentId", f"{field}.contentId")
    return list(given)


def send(backend: MessagingBackend, body: Body) -> Body:
    """§6.1, §6.2."""
    receiver_type = require_choice("receiverType", body.get("receiverType"), RECEIVER_TYPES)
    app_guid = required_str(body, "appGuid")
    template_id = required_str(body, "templateId")
    require_choice("type", body.get("type"), MESSAGE_TYPES)
    if receiver_type == "group":
        groups = optional_str_list(body, "groupIds")
        if not groups:
            raise BadArgument("groupIds", body.get("groupIds"), 'is required when receiverType is "group"')
        # Groups live in the User Management service, which no reference here describes: the emulator
        # holds none, so every group is inactive (§13 noActiveGroups).
        raise ApiV3Failure("noActiveGroups", f"All specified groups are inactive: {', '.join(groups)}")
    user_ids = optional_str_list(body, "userIds")
    if not user_ids:
        raise BadArgument("userIds", body.get("userIds"), 'at least one user id when receiverType is "user"')
    template = backend.get_template(template_id)
    params = _params(body, template["msgParamsMap"])
    extras: dict[str, Any] = {
        "session": optional_str(body, "session"),
        "adminTags": optional_str(body, "adminTags"),
        "customHeaders": string_map(body, "customHeaders"),
        "attachments": _attachments(body),
    }
    return backend.send(app_guid, template_id, user_ids, params, extras)


def _user_keys(given: Body, key: str) -> set[str] | None:
    users = optional_str_list(given, key, f"filter.{key}")
    return None if users is None else {user_key(u) for u in users}


def list_messages(backend: MessagingBackend, body: Body) -> Body:
    """§8.1: the filters AND'd; ``userIds`` matches a send to any of them."""
    given = optional_object(body, "filter")

    def strings(key: str) -> list[str] | None:
        return optional_str_list(given, key, f"filter.{key}")

    ids, bulk_ids, templates = strings("idIn"), strings("bulkIdIn"), strings("templateIdIn")
    guids, sessions, groups = strings("appGuidIn"), strings("sessionIn"), strings("groupIds")
    statuses = optional_choices(given, "statusIn", BULK_STATUSES, "filter.statusIn")
    receivers = optional_choices(given, "receiverTypeIn", RECEIVER_TYPES, "filter.receiverTypeIn")
    types = optional_choices(given, "typeIn", MESSAGE_TYPES, "filter.typeIn")
    users = _user_keys(given, "userIds")
    dates = date_bounds(given)

    def matches(b: Bulk) -> bool:
        return all(
            (
                ids is None or b.id in ids,
                bulk_ids is None or b.bulk_id in bulk_ids,
                templates is None or b.template_id in templates,
                guids is None or b.app_guid in guids,
                sessions is None or b.session in sessions,
                statuses is None or b.status in statuses,
                receivers is None or b.receiver_type in receivers,
                types is None or "email" in types,
                groups is None,  # no send here has groups (see send)
                users is None or bool(users & {user_key(u) for u in b.user_ids}),
                dates.admit(b.created_at, b.updated_at),
            )
        )

    skip, limit = page(body)
    return listed(*backend.list_bulks(matches, skip, limit))


def list_grouped_by_session(backend: MessagingBackend, body: Body) -> Body:
    """§8.2: the filters AND'd; then one group per session label."""
    given = optional_object(body, "filter")
    sessions = optional_str_list(given, "sessionIn", "filter.sessionIn")
    templates = optional_str_list(given, "templateIdIn", "filter.templateIdIn")
    guids = optional_str_list(given, "appGuidIn", "filter.appGuidIn")
    statuses = optional_choices(given, "statusIn", BULK_STATUSES, "filter.statusIn")
    tags = optional_str(given, "adminTags", "filter.adminTags")
    tags_out = optional_str(given, "excludeAdminTags", "filter.excludeAdminTags")
    template_tags = optional_str_list(given, "templateAdminTags", "filter.templateAdminTags")
    template_tags_out = optional_str_list(
        given, "excludeTemplateAdminTags", "filter.excludeTemplateAdminTags"
    )
    dates = date_bounds(given, upper=False)

    def matches(b: Bulk, template: Template | None) -> bool:
        template_tags_have = template.admin_tags if template is not None else ""
        return all(
            (
                sessions is None or b.session in sessions,
                templates is None or b.template_id in templates,
                guids is None or b.app_guid in guids,
                statuses is None or b.status in statuses,
                tags is None or tags in (b.admin_tags or ""),
                tags_out is None or not has_any(b.admin_tags, tags_out),
                template_tags is None or has_any(template_tags_have, template_tags),
                template_tags_out is None or not has_any(template_tags_have, template_tags_out),
                dates.admit(b.created_at, b.updated_at),
            )
        )

    skip, limit = page(body)
    return listed(*backend.list_by_session(matches, skip, limit))


def stats(backend: MessagingBackend, body: Body) -> Body:
    """§8.3: for a ``bulkId`` or a ``session`` (both: the messages of that bulk in that session)."""
    bulk_id, session = optional_str(body, "bulkId"), optional_str(body, "session")
    if bulk_id is None and session is None:
        raise BadArgument("bulkId", None, "give a bulkId or a session")
    return backend.stats(bulk_id, session)


def list_discrete(backend: MessagingBackend, body: Body) -> Body:
    """§8.4: the filters AND'd."""
    given = optional_object(body, "filter")
    guids = optional_str_list(given, "appGuidIn", "filter.appGuidIn")
    user = optional_str(given, "userId", "filter.userId")
    sessions = optional_str_list(given, "sessionIn", "filter.sessionIn")
    statuses = optional_choices(given, "statusIn", DISCRETE_STATUSES, "filter.statusIn")
    wanted_user = None if user is None else user_key(user)

    def matches(b: Bulk, m: Discrete) -> bool:
        # Each message of the partner passes here: the cheap checks of its send first, and each
        # one only when its filter is given.
        return (
            (sessions is None or b.session in sessions)
            and (guids is None or b.app_guid in guids)
            and (statuses is None or m.status in statuses)
            and (wanted_user is None or user_key(m.user_id) == wanted_user)
        )

    skip, limit = page(body)
    return listed(*backend.list_discrete(matches, skip, limit, sessions=sessions))
