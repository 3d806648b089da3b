"""API v3 ``category``: the partner's category tree (KALTURA_CATEGORIES_AND_ENTITLEMENTS_API.md)."""

from __future__ import annotations

from typing import Any

from kaltura_events.emulator.auth import check_v3_ks
from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend
from kaltura_events.emulator.services.api_v3.params import Params, integer, missing, object_param


async def category_list(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    check_v3_ks(params.get("ks"), backend.platform.config, backend.platform.ks_ledger, endpoint)
    total, objects = backend.list_categories(object_param(params, "filter"), object_param(params, "pager"))
    return {"totalCount": total, "objects": objects, "objectType": "KalturaCategoryListResponse"}


async def category_get(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    check_v3_ks(params.get("ks"), backend.platform.config, backend.platform.ks_ledger, endpoint)
    return backend.render_category_by_id(integer(params.get("id"), "id"))


async def category_add(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    check_v3_ks(params.get("ks"), backend.platform.config, backend.platform.ks_ledger, endpoint)
    category = object_param(params, "category")
    name = category.get("name")
    if not name:
        raise missing("category:name")
    return backend.add_category(str(name), integer(category.get("parentId"), "category:parentId", 0))


async def category_delete(backend: ApiV3Backend, params: Params, endpoint: str) -> Any:
    """Deleting a category with children holds the partner's category lock for a while.

    The subtree goes at once; then the request keeps the lock for
    ``category_lock_seconds`` (an asyncio sleep, the loop keeps serving), and any
    ``category.delete`` arriving meanwhile gets ``CATEGORIES_LOCKED``.
    """
    check_v3_ks(params.get("ks"), backend.platform.config, backend.platform.ks_ledger, endpoint)
    category_id = integer(params.get("id"), "id")
    _, locked = backend.delete_category(category_id)
    if locked:
        try:
            await backend.platform.pause(backend.platform.config.category_lock_seconds)
        finally:
            backend.release_category_lock()
    return None
