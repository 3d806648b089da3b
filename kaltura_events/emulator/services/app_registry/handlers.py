"""The App Registry's endpoints (KALTURA_APP_REGISTRY_API.md §5-11): reading each body, then the backend.

A missing required field or a value outside its enum is a 400 naming the
field (§13 "Validation errors"); what the backend refuses is an HTTP 200
``KalturaAPIException`` (§13 "Application-level errors").
"""

from __future__ import annotations

from typing import Any

from kaltura_events.emulator.failures import BadArgument
from kaltura_events.emulator.fields import (
    Body,
    at_most_chars,
    date_bounds,
    optional_choice,
    optional_count,
    optional_object,
    optional_str,
    optional_str_list,
    require_choice,
    required_str,
)
from kaltura_events.emulator.services.app_registry.backend import AppRegistryBackend
from kaltura_events.emulator.services.app_registry.models import (
    APP_STATUSES,
    APP_TYPES,
    ORGANIZATION_FIELD_MAX_CHARS,
    App,
    AppChanges,
)

DEFAULT_LIMIT = 30
MAX_LIMIT = 5000
"""§10.2: offset min 0; limit default 30, min 1, max 5000."""


def add_app(backend: AppRegistryBackend, body: Body) -> Body:
    """§5: appCustomId, appType (§4.1) and appCustomName required; organizationDomain needs a domain."""
    custom_id = required_str(body, "appCustomId")
    app_type = require_choice("appType", body.get("appType"), APP_TYPES)
    name = required_str(body, "appCustomName")
    return backend.add(custom_id, name, app_type, _organization_domain(body))


def _organization_domain(body: Body) -> dict[str, str] | None:
    """§4.2: ``domain`` required (whitespace stripped), ``organizationId`` optional; 255 characters each."""
    if body.get("organizationDomain") is None:
        return None
    given = optional_object(body, "organizationDomain")
    organization_domain = {"domain": _domain(given, "organizationDomain.domain")}
    organization = optional_str(given, "organizationId", "organizationDomain.organizationId")
    if organization is not None:
        organization_domain["organizationId"] = at_most_chars(
            "organizationDomain.organizationId", organization, ORGANIZATION_FIELD_MAX_CHARS
        )
    return organization_domain


def _domain(body: Body, field: str) -> str:
    """§4.2, §11: required, whitespace stripped, then at most 255 characters."""
    domain = "".join(required_str(body, "domain", field).split())
    return at_most_chars(field, domain, ORGANIZATION_FIELD_MAX_CHARS)


def update_app(backend: AppRegistryBackend, body: Body) -> Body:
    """§7: ``id`` required; a field absent or null stays as it is. ``partnerId``, ``status``,
    ``version`` and the timestamps are not the request's to set, and are ignored."""
    guid = required_str(body, "id")
    changes = AppChanges(
        app_custom_id=optional_str(body, "appCustomId"),
        app_custom_name=optional_str(body, "appCustomName"),
        app_type=optional_choice(body, "appType", APP_TYPES),
        organization_domain=_organization_domain(body),
    )
    return backend.update(guid, changes)


def get_app(backend: AppRegistryBackend, body: Body) -> Body:
    return backend.get(required_str(body, "id"))


def enable_app(backend: AppRegistryBackend, body: Body) -> Body:
    return backend.set_status(required_str(body, "id"), "enabled")


def disable_app(backend: AppRegistryBackend, body: Body) -> Body:
    return backend.set_status(required_str(body, "id"), "disabled")


def delete_app(backend: AppRegistryBackend, body: Body) -> None:
    """§8: an empty body on success."""
    backend.delete(required_str(body, "id"))


def list_apps(backend: AppRegistryBackend, body: Body) -> Body:
    """§10: every filter field optional and AND'd; no filter lists every app of the partner."""
    matches = _app_filter(optional_object(body, "filter"))
    total, objects = backend.list_apps(matches, *_pager(body))
    return {"objects": objects, "totalCount": total}


def find_by_organization_domain(backend: AppRegistryBackend, body: Body) -> Body:
    """§11: the apps of ``appType`` whose domains (comma-separated, §4.2) include ``domain``, and of
    ``organizationId`` when given; ``{objects, totalCount}`` paged as ``list``."""
    domain = _domain(body, "domain")
    app_type = require_choice("appType", body.get("appType"), APP_TYPES)
    organization = optional_str(body, "organizationId")

    def matches(app: App) -> bool:
        return (
            app.app_type == app_type
            and domain in app.domains()
            and (organization is None or app.organization_id() == organization)
        )

    total, objects = backend.list_apps(matches, *_pager(body))
    return {"objects": objects, "totalCount": total}


def _pager(body: Body) -> tuple[int, int]:
    """§10.2 (and §11, "same defaults as list"): (skip, limit), offset >= 0, limit 1..5000, default 30."""
    pager = optional_object(body, "pager")
    offset = optional_count(pager, "offset", "pager.offset")
    limit = optional_count(pager, "limit", "pager.limit")
    if offset is not None and offset < 0:
        raise BadArgument("pager.offset", offset, "min 0")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise BadArgument("pager.limit", limit, f"from 1 to {MAX_LIMIT}")
    return offset or 0, DEFAULT_LIMIT if limit is None else limit


def _app_filter(given: Body) -> Any:
    ids = optional_str_list(given, "idIn", "filter.idIn")
    custom_ids = optional_str_list(given, "appCustomIdIn", "filter.appCustomIdIn")
    names = optional_str_list(given, "appCustomNameIn", "filter.appCustomNameIn")
    app_type = optional_choice(given, "appType", APP_TYPES, "filter.appType")
    status = optional_choice(given, "status", APP_STATUSES, "filter.status")
    domain = optional_str(given, "domain", "filter.domain")
    organization = optional_str(given, "organizationId", "filter.organizationId")
    dates = date_bounds(given)

    def matches(app: App) -> bool:
        checks = (
            ids is None or app.id in ids,
            custom_ids is None or app.app_custom_id in custom_ids,
            names is None or app.app_custom_name in names,
            app_type is None or app.app_type == app_type,
            status is None or app.status == status,
            domain is None or domain in app.domains(),
            organization is None or app.organization_id() == organization,
            dates.admit(app.created_at, app.updated_at),
        )
        return all(checks)

    return matches
