"""Which events a teardown selects, and which categories belong to them, by exact name.

The Events Platform makes categories per event and leaves them behind on
delete. Matching is by exact name with the event id parsed as an integer,
never by prefix: ``ep_private_12`` is not ``ep_private_123``, and
``123EPab`` does not belong to event 12.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kaltura_events.api.models import Category

MEDIA_ACCOUNT = "ep_media_account"
_EP_ROOT = re.compile(r"^([1-9][0-9]*)EP[0-9a-fA-F]+$")
_AGENDA = re.compile(r"^ep_agenda_([1-9][0-9]*)$")
_PRIVATE = re.compile(r"^ep_private_([1-9][0-9]*)$")
_MEDIA_EVENT = re.compile(r"^ep_media_event_([1-9][0-9]*)$")


def owner_of_root(name: str) -> int | None:
    """The event id a root category was made for, or None when the platform did not make it."""
    for pattern in (_EP_ROOT, _AGENDA, _PRIVATE):
        match = pattern.match(name)
        if match:
            return int(match.group(1))
    return None


def owner_of_media_child(full_name: str) -> int | None:
    head, sep, tail = full_name.partition(">")
    if head != MEDIA_ACCOUNT or not sep or ">" in tail:
        return None
    match = _MEDIA_EVENT.match(tail)
    return int(match.group(1)) if match else None


def media_event_full_name(event_id: int) -> str:
    return f"{MEDIA_ACCOUNT}>ep_media_event_{event_id}"


def is_ep_root(name: str) -> bool:
    return bool(_EP_ROOT.match(name))


@dataclass
class CategoryPlan:
    """Categories to delete, in a safe order, and what was left alone and why."""

    deletes: list[Category] = field(default_factory=list)
    owners: dict[int, int] = field(default_factory=dict)
    media_account: Category | None = None


def order_deletes(
    targets: set[int],
    roots: Iterable[Category],
    descendants: Iterable[Category],
    media_children: Iterable[Category],
) -> CategoryPlan:
    """Subtrees of ``{id}EP{hex}`` roots deepest first, then the roots, agenda, private and media folders.

    Deleting leaves first keeps each delete small, so none holds the
    partner's category lock for long.
    """
    result = CategoryPlan()
    ep_roots: dict[str, Category] = {}
    named: list[Category] = []
    for category in roots:
        if category.parent_id != 0:
            continue
        if category.full_name == MEDIA_ACCOUNT:
            result.media_account = category
            continue
        owner = owner_of_root(category.full_name)
        if owner is None or owner not in targets:
            continue
        result.owners[category.id] = owner
        if is_ep_root(category.full_name):
            ep_roots[category.full_name] = category
        else:
            named.append(category)
    subtree: list[Category] = []
    for category in descendants:
        root = ep_roots.get(category.full_name.split(">", 1)[0])
        if root is not None and category.id != root.id:
            result.owners[category.id] = result.owners[root.id]
            subtree.append(category)
    for category in media_children:
        owner = owner_of_media_child(category.full_name)
        if owner is not None and owner in targets:
            result.owners[category.id] = owner
            named.append(category)
    subtree.sort(key=lambda c: (-c.depth, c.full_name))
    result.deletes = [*subtree, *sorted(ep_roots.values(), key=lambda c: c.full_name), *named]
    return result


def orphan_owners(roots: Iterable[Category], media_children: Iterable[Category]) -> set[int]:
    """Event ids named by platform-made categories; the flow checks which still exist."""
    owners = {owner_of_root(c.full_name) for c in roots if c.parent_id == 0}
    owners |= {owner_of_media_child(c.full_name) for c in media_children}
    return {o for o in owners if o is not None}
