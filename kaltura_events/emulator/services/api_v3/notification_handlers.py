"""API v3 ``eventnotification_eventnotificationtemplate`` and ``baseEntry.get``.

Every action needs an ADMIN KS (EN §2, the notifications guide). Partners
clone system templates; they cannot ``add`` one (EN §4.6, and Kaltura's
server code per the reference README), so ``add`` is refused with the code a
KS without the permission gets.
"""

from __future__ import annotations

from typing import Any

from kaltura_events.emulator.auth import check_v3_ks, forbidden
from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend
from kaltura_events.emulator.services.api_v3.params import Params, integer, object_param, required

SERVICE = "eventnotification_eventnotificationtemplate"
TEMPLATE_PARAM = "eventNotificationTemplate"


def _admin(backend: ApiV3Backend, params: Params, endpoint: str) -> None:
    check_v3_ks(params.get("ks"), backend.platform.config, backend.platform.ks_ledger, endpoint)


def _listing(total: int, objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "totalCount": total,
        "objects": objects,
        "objectType": "KalturaEventNotificationTemplateListResponse",
    }


async def list_templates(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    """EN §5: the system templates (partner 0)."""
    _admin(backend, params, endpoint)
    return _listing(
        *backend.list_system_templates(object_param(params, "filter"), object_param(params, "pager"))
    )


async def template_list(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    """EN §11.2: the partner's own templates."""
    _admin(backend, params, endpoint)
    return _listing(*backend.list_templates(object_param(params, "filter"), object_param(params, "pager")))


async def template_get(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    _admin(backend, params, endpoint)
    return backend.get_template(integer(params.get("id"), "id"))


async def template_add(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    _admin(backend, params, endpoint)
    raise forbidden(f"{SERVICE}->add")


async def template_clone(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    _admin(backend, params, endpoint)
    template_id = integer(params.get("id"), "id")
    return backend.clone_template(template_id, object_param(params, TEMPLATE_PARAM))


async def template_update(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    _admin(backend, params, endpoint)
    template_id = integer(params.get("id"), "id")
    return backend.update_template(template_id, object_param(params, TEMPLATE_PARAM))


async def template_update_status(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    _admin(backend, params, endpoint)
    template_id = integer(params.get("id"), "id")
    return backend.update_template_status(template_id, integer(params.get("status"), "status"))


async def template_delete(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    _admin(backend, params, endpoint)
    backend.delete_template(integer(params.get("id"), "id"))
    return None


async def base_entry_get(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    """A recording entry, as a flow reading a notification's entry would fetch it."""
    _admin(backend, params, endpoint)
    return backend.render_entry_by_id(str(required(params, "entryId")))
