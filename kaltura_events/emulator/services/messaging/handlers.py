"""Email templates, unsubscribes and email providers (KALTURA_MESSAGING_API.md §5, §10, §11).

Each handler reads its body as the guide's tables type it, refusing a missing
required field or a value outside its enum with a 400 naming the field (§13
"Validation errors return HTTP 400") before anything is written; what the
backend refuses (an unknown id or app) is an application error (§13).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kaltura_events.emulator.failures import BadArgument
from kaltura_events.emulator.fields import (
    Body,
    date_bounds,
    optional_bool,
    optional_choice,
    optional_object,
    optional_str,
    optional_str_list,
    pager_bounds,
    require_choice,
    require_object,
    required_str,
    secret_str,
)
from kaltura_events.emulator.kaltura_session import Session
from kaltura_events.emulator.services.messaging.backend import MessagingBackend
from kaltura_events.emulator.services.messaging.models import (
    PROVIDER_TYPES,
    RESIDENCIES,
    STATUSES,
    TOKEN_TYPES,
    Template,
    UnsubscribeUri,
)
from kaltura_events.emulator.services.messaging.tag_matching import has_all, has_any

DEFAULT_LIMIT = 30
"""§5.4 "Pager": offset 0, limit 30; no maximum is stated, and the other lists state no pager of their own."""
TEMPLATE_STRINGS = ("description", "from", "fromName", "cc", "bcc", "adminTags")
"""§5.1's optional string fields (§5.3 updates the same ones and the required ones but ``appGuid``)."""
REQUIRED_TEMPLATE_STRINGS = ("name", "subject", "body", "toAttributePath")


def page(body: Body) -> tuple[int, int]:
    return pager_bounds(body, default_limit=DEFAULT_LIMIT, max_limit=None, offset_mode="skip")


def listed(total: int, objects: list[Any]) -> Body:
    """§5.4, §8.1: ``{objects, totalCount}``."""
    return {"objects": objects, "totalCount": total}


def _msg_params_map(value: Any) -> dict[str, Any]:
    """§4.1, §5.1: token name -> ``{"type"}``, the type one of §4.1's."""
    tokens = require_object("msgParamsMap", value)
    for name, definition in tokens.items():
        given = require_object(f"msgParamsMap.{name}", definition)
        require_choice(f"msgParamsMap.{name}.type", given.get("type"), TOKEN_TYPES)
    return dict(tokens)


def string_map(body: Body, key: str) -> dict[str, str] | None:
    """``customHeaders``: §3 "key-value pairs" of a mail header, so each value is a string."""
    if body.get(key) is None:
        return None
    headers = optional_object(body, key)
    for name, value in headers.items():
        if not isinstance(value, str):
            raise BadArgument(f"{key}.{name}", value, "expected a string")
    return dict(headers)


def _template_fields(body: Body, *, required: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in REQUIRED_TEMPLATE_STRINGS:
        value = required_str(body, key) if required else optional_str(body, key)
        if value is not None:
            fields[key] = value
    if required or body.get("msgParamsMap") is not None:
        if body.get("msgParamsMap") is None:
            raise BadArgument("msgParamsMap", None, "is required")
        fields["msgParamsMap"] = _msg_params_map(body["msgParamsMap"])
    for key in TEMPLATE_STRINGS:
        value = optional_str(body, key)
        if value is not None:
            fields[key] = value
    groups = optional_str_list(body, "unsubscribeGroups")
    if groups is not None:
        fields["unsubscribeGroups"] = groups
    headers = string_map(body, "customHeaders")
    if headers is not None:
        fields["customHeaders"] = headers
    return fields


# -- email templates (§5) --------------------------------------------------------------


def add_template(backend: MessagingBackend, body: Body) -> Body:
    """§5.1: appGuid, name, subject, body, toAttributePath, msgParamsMap required; status default enabled."""
    app_guid = required_str(body, "appGuid")
    fields = _template_fields(body, required=True)
    status = optional_choice(body, "status", STATUSES) or "enabled"
    return backend.add_template(app_guid, fields, status)


def get_template(backend: MessagingBackend, body: Body) -> Body:
    return backend.get_template(required_str(body, "id"))


def update_template(backend: MessagingBackend, body: Body) -> Body:
    """§5.3: only the fields sent change."""
    template_id = required_str(body, "id")
    changes = _template_fields(body, required=False)
    status = optional_choice(body, "status", STATUSES)
    if status is not None:
        changes["status"] = status
    return backend.update_template(template_id, changes)


def delete_template(backend: MessagingBackend, body: Body) -> Body:
    return backend.delete_template(required_str(body, "id"))


def list_templates(backend: MessagingBackend, body: Body) -> Body:
    """§5.4: the filters AND'd."""
    given = optional_object(body, "filter")

    def text(key: str) -> str | None:
        return optional_str(given, key, f"filter.{key}")

    ids = optional_str_list(given, "idIn", "filter.idIn")
    guids = optional_str_list(given, "appGuidIn", "filter.appGuidIn")
    name, name_eq, subject = text("name"), text("nameEq"), text("subject")
    tags, tags_all, tags_out = text("adminTags"), text("adminTagsAll"), text("excludeAdminTags")
    status = optional_choice(given, "status", STATUSES, "filter.status")
    dates = date_bounds(given)

    def matches(t: Template) -> bool:
        fields = t.fields
        return all(
            (
                ids is None or t.id in ids,
                guids is None or t.app_guid in guids,
                name is None or name in fields["name"],
                name_eq is None or fields["name"] == name_eq,
                subject is None or subject in fields["subject"],
                status is None or t.status == status,
                tags is None or tags in t.admin_tags,
                tags_all is None or has_all(t.admin_tags, tags_all),
                tags_out is None or not has_any(t.admin_tags, tags_out),
                dates.admit(t.created_at, t.updated_at),
            )
        )

    skip, limit = page(body)
    return listed(*backend.list_templates(matches, skip, limit))


# -- unsubscribes (§10.1-10.4) -------------------------------------------------------------


def list_unsubscribe_groups(backend: MessagingBackend, body: Body) -> Body:
    """§10.1: every unique group the templates name."""
    groups = backend.unsubscribe_groups()
    return listed(len(groups), groups)


def user_groups_status(backend: MessagingBackend, body: Body, caller: Session) -> Body:
    """§10.2: the groups the KS's user left."""
    return backend.user_groups(caller.user_id)


def sync_groups(backend: MessagingBackend, body: Body, caller: Session) -> Body:
    """§10.3: for the KS's user. A group in both lists is refused: the request says two things of it."""
    left = optional_str_list(body, "unsubscribed") or []
    rejoined = optional_str_list(body, "subscribed") or []
    both = sorted(set(left) & set(rejoined))
    if both:
        raise BadArgument("subscribed", both, "a group cannot be both unsubscribed and subscribed")
    return backend.sync_groups(caller.user_id, left, rejoined)


def list_unsubscribed_users(backend: MessagingBackend, body: Body) -> Body:
    """§10.4: everyone who left a group; the guide shows an empty filter and names none."""
    optional_object(body, "filter")
    skip, limit = page(body)
    return listed(*backend.unsubscribed_users(skip, limit))


# -- unsubscribe URIs (§10.5) ---------------------------------------------------------------


def add_uri(backend: MessagingBackend, body: Body) -> Body:
    app_guid, uri = required_str(body, "appGuid"), required_str(body, "uri")
    return backend.add_uri(app_guid, uri, optional_choice(body, "status", STATUSES) or "enabled")


def get_uri(backend: MessagingBackend, body: Body) -> Body:
    return backend.get_uri(required_str(body, "id"))


def update_uri(backend: MessagingBackend, body: Body) -> Body:
    uri_id = required_str(body, "id")
    return backend.update_uri(uri_id, optional_str(body, "uri"), optional_choice(body, "status", STATUSES))


def delete_uri(backend: MessagingBackend, body: Body) -> None:
    backend.delete_uri(required_str(body, "id"))


def list_uris(backend: MessagingBackend, body: Body) -> Body:
    given = optional_object(body, "filter")
    ids = optional_str_list(given, "idIn", "filter.idIn")
    guids = optional_str_list(given, "appGuidIn", "filter.appGuidIn")
    uris = optional_str_list(given, "uriIn", "filter.uriIn")
    status = optional_choice(given, "status", STATUSES, "filter.status")
    dates = date_bounds(given, upper=False)

    def matches(u: UnsubscribeUri) -> bool:
        return all(
            (
                ids is None or u.id in ids,
                guids is None or u.app_guid in guids,
                uris is None or u.uri in uris,
                status is None or u.status == status,
                dates.admit(u.created_at, u.updated_at),
            )
        )

    skip, limit = page(body)
    return listed(*backend.list_uris(matches, skip, limit))


# -- email providers (§11) -----------------------------------------------------------------


def add_provider(backend: MessagingBackend, body: Body) -> Body:
    """§11.2: ``type`` and ``apiKey`` required; the keys are kept and never shown back."""
    settings: dict[str, Any] = {"type": require_choice("type", body.get("type"), PROVIDER_TYPES)}
    api_key = str(secret_str(body, "apiKey", required=True))
    webhook_key = secret_str(body, "sendgridWebhookKey", required=False)
    optional: dict[str, Callable[[], Any]] = {
        "domains": lambda: optional_str_list(body, "domains"),
        "defaultSender": lambda: optional_str(body, "defaultSender"),
        "unsubscribeClickTracking": lambda: optional_bool(body, "unsubscribeClickTracking"),
        "overrideResidency": lambda: optional_choice(body, "overrideResidency", RESIDENCIES),
    }
    for key, read in optional.items():
        value = read()
        if value is not None:
            settings[key] = value
    return backend.add_provider(settings, api_key, webhook_key)


def list_providers(backend: MessagingBackend, body: Body) -> Body:
    return listed(*backend.list_providers())


def lookup_provider(backend: MessagingBackend, body: Body) -> Body:
    return backend.lookup_provider(optional_str(body, "appGuid"))


def assign_provider(backend: MessagingBackend, body: Body) -> Body:
    return backend.assign_provider(required_str(body, "id"), required_str(body, "appGuid"))


def enable_provider(backend: MessagingBackend, body: Body) -> Body:
    return backend.set_provider_status(required_str(body, "id"), "enabled")


def disable_provider(backend: MessagingBackend, body: Body) -> Body:
    return backend.set_provider_status(required_str(body, "id"), "disabled")


def delete_provider(backend: MessagingBackend, body: Body) -> Body:
    return backend.set_provider_status(required_str(body, "id"), "deleted")
