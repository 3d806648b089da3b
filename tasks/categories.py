"""Category tasks (API v3). Deletes run one at a time, in order, a page of them per task; a lock
is waited out by the client.

A teardown of 100 events is about 700 category deletes, which must run one
after another (each locks the partner's tree). One task run per delete put
Prefect's bookkeeping for each (about 10 ms) in series with the 50 ms
deletes; chaining them with ``wait_for`` still left it there (P3 1.19 against
1.11, BENCHMARKS.md). A page of deletes per task pays it once per page.
"""

from __future__ import annotations

from dataclasses import dataclass

from kaltura_events.api.api_v3 import CategoryFilter
from kaltura_events.api.errors import AuthenticationError, KalturaError, NotFoundError
from kaltura_events.api.models import Category
from kaltura_events.credentials import KalturaCredentials
from tasks.announce import announce, category_deleted
from tasks.api_task import api_task, filter_summary
from tasks.clients import api_v3_client

CATEGORIES_PER_TASK = 25


@dataclass(frozen=True)
class CategoryOutcome:
    """One delete of a page: done now, already gone, or why it failed (the page stops there)."""

    category_id: int
    full_name: str
    deleted: bool
    error: str | None = None


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


@api_task(
    "delete-categories",
    endpoint="category.delete",
    description=f"Delete up to {CATEGORIES_PER_TASK} categories one after another, in the order given; "
    "the first that fails for good stops the page.",
    run_name=lambda p: _page_named(p["categories"]),
)
def delete_category_page(
    *, credentials: KalturaCredentials | None, categories: tuple[tuple[int, str], ...]
) -> list[CategoryOutcome]:
    """``categories`` are (id, full name) pairs, children before parents.

    A delete that fails for good ends the page: the categories after it may be
    its parents, which must not go first. The outcomes so far are returned, so
    the report still names every category this page deleted.
    """
    client = api_v3_client(credentials)
    outcomes: list[CategoryOutcome] = []
    for category_id, full_name in categories:
        try:
            client.delete_category(category_id)
        except NotFoundError:
            outcomes.append(CategoryOutcome(category_id, full_name, deleted=False))
        except AuthenticationError:
            raise
        except KalturaError as exc:
            outcomes.append(CategoryOutcome(category_id, full_name, deleted=False, error=str(exc)))
            break
        else:
            outcomes.append(CategoryOutcome(category_id, full_name, deleted=True))
            announce(category_deleted(category_id, full_name=full_name))
    return outcomes


def _page_named(categories: tuple[tuple[int, str], ...]) -> str:
    if not categories:
        return "none"
    first, last = categories[0][1], categories[-1][1]
    return first if len(categories) == 1 else f"{len(categories)} categories, {first} .. {last}"
