"""Delete events, then the categories the platform made for them; shared by teardown and series prune.

Categories are found in a handful of calls whatever the number of events:
one pass over root categories matched exactly, one ``ancestorIdIn`` call per
100 ``{id}EP{hex}`` roots for their subtrees, and ``fullNameIn`` for the
``ep_media_account>ep_media_event_{id}`` folders. Deletes then run one at a
time, deepest first, because a category delete locks the partner's tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial

from flows.units import run_units
from kaltura_events.api.api_v3 import CategoryFilter
from kaltura_events.api.errors import KalturaError
from kaltura_events.api.events import EventFilter
from kaltura_events.api.models import Category, Event
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.speakers import batches
from kaltura_events.planning.teardown import (
    CategoryPlan,
    is_ep_root,
    media_event_full_name,
    order_deletes,
    orphan_owners,
    owner_of_root,
)
from tasks.categories import CATEGORIES_PER_TASK, delete_category, delete_category_page, list_categories
from tasks.events import delete_event, list_events

CHUNK = 100


@dataclass
class CleanupOutcome:
    deleted_events: list[int] = field(default_factory=list)
    events_already_gone: list[int] = field(default_factory=list)
    failed_events: dict[int, str] = field(default_factory=dict)
    deleted_categories: list[tuple[int, str, int]] = field(default_factory=list)
    categories_already_gone: list[tuple[int, str, int]] = field(default_factory=list)
    left: list[tuple[str, str]] = field(default_factory=list)
    orphans_swept: list[int] = field(default_factory=list)


def chunks(values: Iterable[int], size: int = CHUNK) -> Iterator[tuple[int, ...]]:
    items = sorted(set(values))
    for start in range(0, len(items), size):
        yield tuple(items[start : start + size])


def delete_events(
    credentials: KalturaCredentials | None,
    event_ids: list[int],
    outcome: CleanupOutcome,
    known: Sequence[Event] = (),
) -> None:
    """Each delete is a unit, all at once under the run's API limit; a 404 means already gone: fine.

    ``known`` are the events as observed: their names and labels go into the
    ``kaltura.event.deleted`` Prefect events, so automations see the series.
    """
    seen = {event.id: event for event in known}

    def deleting(event_id: int) -> Callable[[], bool]:
        event = seen.get(event_id)
        return partial(
            delete_event,
            credentials=credentials,
            event_id=event_id,
            name=event.name if event else None,
            labels=tuple(event.labels) if event else (),
        )

    results = run_units({str(event_id): deleting(event_id) for event_id in event_ids})
    for event_id in event_ids:
        key = str(event_id)
        if key in results.done:
            (outcome.deleted_events if results.done[key] else outcome.events_already_gone).append(event_id)
        else:
            outcome.failed_events[event_id] = results.messages()[key]


def existing_event_ids(credentials: KalturaCredentials | None, candidates: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunks(candidates):
        found |= {
            event.id for event in list_events(credentials=credentials, event_filter=EventFilter(id_in=chunk))
        }
    return found


def plan_categories(
    credentials: KalturaCredentials | None, targets: set[int], *, sweep_orphans: bool
) -> tuple[CategoryPlan, list[int]]:
    """Exact matches only; with ``sweep_orphans``, owners whose event no longer exists join the targets."""
    roots = list_categories(credentials=credentials, category_filter=CategoryFilter(parent_id_equal=0))
    media = next((c for c in roots if c.full_name == "ep_media_account" and c.parent_id == 0), None)
    orphans: list[int] = []
    media_children: list[Category] = []
    if sweep_orphans:
        if media is not None:
            media_children = list_categories(
                credentials=credentials, category_filter=CategoryFilter(parent_id_equal=media.id)
            )
        owners = orphan_owners(roots, media_children) - targets
        alive = existing_event_ids(credentials, owners) if owners else set()
        orphans = sorted(owners - alive)
        targets = targets | set(orphans)
    elif media is not None and targets:
        for chunk in chunks(targets):
            names = tuple(media_event_full_name(event_id) for event_id in chunk)
            media_children += list_categories(
                credentials=credentials, category_filter=CategoryFilter(full_name_in=names)
            )
    ep_roots = [
        c.id
        for c in roots
        if c.parent_id == 0
        and is_ep_root(c.full_name)
        and owner_of_root(c.full_name) in targets
        and c.direct_sub_categories_count > 0
    ]
    descendants: list[Category] = []
    for chunk in chunks(ep_roots):
        descendants += list_categories(
            credentials=credentials, category_filter=CategoryFilter(ancestor_id_in=chunk)
        )
    return order_deletes(targets, roots, descendants, media_children), orphans


class CategoryDeleteFailed(KalturaError):
    """A category delete failed for good; those after it were left, so no parent went before its child."""


def delete_categories(
    credentials: KalturaCredentials | None, plan: CategoryPlan, outcome: CleanupOutcome
) -> None:
    """One at a time, in plan order: concurrent deletes would only meet the partner's category lock.

    A page of deletes per task (tasks/categories.py says why), pages one
    after another. A delete that fails for good stops everything after it and
    is raised here, after the outcome has what was deleted before it.
    """
    for page in batches([(c.id, c.full_name) for c in plan.deletes], CATEGORIES_PER_TASK):
        for result in delete_category_page(credentials=credentials, categories=page):
            if result.error is not None:
                raise CategoryDeleteFailed(
                    f"category {result.full_name} ({result.category_id}): {result.error}"
                )
            (outcome.deleted_categories if result.deleted else outcome.categories_already_gone).append(
                (result.category_id, result.full_name, plan.owners[result.category_id])
            )
    media = plan.media_account
    if media is None:
        return
    remaining = list_categories(
        credentials=credentials, category_filter=CategoryFilter(parent_id_equal=media.id)
    )
    if remaining:
        outcome.left.append((media.full_name, f"still holds {len(remaining)} folder(s) of other events"))
    elif delete_category(credentials=credentials, category_id=media.id, category_name=media.full_name):
        outcome.deleted_categories.append((media.id, media.full_name, 0))
