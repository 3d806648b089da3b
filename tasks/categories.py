"""Category tasks (API v3). Deletes run one at a time, chained by the flow with ``wait_for``; a lock
is waited out by the client."""

from __future__ import annotations

from kaltura_events.api.api_v3 import CategoryFilter
from kaltura_events.api.errors import NotFoundError
from kaltura_events.api.models import Category
from kaltura_events.credentials import KalturaCredentials
from tasks.announce import announce, category_deleted
from tasks.runtime import api_task, api_v3_client, filter_summary


@api_task(
    "list-categories",
    endpoint="category.list",
    description="API v3 categories matching a narrow filter, paged inside the task.",
    run_name=lambda p: filter_summary(p["category_filter"]),
)
def list_categories(
    *, credentials: KalturaCredentials | None, category_filter: CategoryFilter
) -> list[Category]:
    client = api_v3_client(credentials)
    return client.list_categories(category_filter)


@api_task(
    "delete-category",
    endpoint="category.delete",
    description="Delete one category, in its turn: category deletes lock the partner's tree.",
    run_name=lambda p: p.get("category_name") or f"category {p['category_id']}",
)
def delete_category(
    *, credentials: KalturaCredentials | None, category_id: int, category_name: str | None = None
) -> bool:
    """True when deleted now, False when it (or its parent's delete) had already removed it.

    ``category_name`` (its full name) only names the run in the UI. Callers
    order deletes with Prefect's ``wait_for`` (flows/cleanup.py).
    """
    client = api_v3_client(credentials)
    try:
        client.delete_category(category_id)
    except NotFoundError:
        return False
    announce(category_deleted(category_id, full_name=category_name))
    return True
