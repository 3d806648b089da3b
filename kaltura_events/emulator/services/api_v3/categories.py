"""The partner's API v3 category tree: paths, subtrees, filters and pagers.

Not locked on its own: the platform owns the one lock that guards all state,
so a category change and the event change that caused it are atomic together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kaltura_events.emulator.failures import ApiV3Failure, CategoryMissing
from kaltura_events.emulator.services.api_v3.models import Category

FIRST_CATEGORY_ID = 1001
DEFAULT_PAGE_SIZE = 30
"""No reference gives ``pager[pageSize]``'s default; the guides always send one."""
CATEGORY_ORDER_FIELDS = ("createdAt", "updatedAt", "name", "depth", "fullName", "id")
"""KALTURA_CATEGORIES_AND_ENTITLEMENTS_API.md §5.3 lists the first four; fullName and id are accepted too."""


class CategoryTree:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._next_id = FIRST_CATEGORY_ID
        self.by_id: dict[int, Category] = {}
        self._children: dict[int, list[int]] = {}
        self._by_full_name: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, category_id: int) -> Category:
        category = self.by_id.get(category_id)
        if category is None:
            raise CategoryMissing(category_id)
        return category

    def children_of(self, category_id: int) -> list[int]:
        return list(self._children.get(category_id, ()))

    def direct_children_count(self, category_id: int) -> int:
        return len(self._children.get(category_id, ()))

    def find(self, full_name: str) -> Category | None:
        found = self._by_full_name.get(full_name)
        return None if found is None else self.by_id[found]

    def add(self, name: str, parent_id: int = 0) -> Category:
        """CATEGORY errors from KALTURA_CATEGORIES_AND_ENTITLEMENTS_API.md §11.

        A name with ">" is refused although no reference says so: ``fullName``
        joins names with ">" (§5.1), so such a name would make two paths one.
        """
        if not name or ">" in name:
            raise ApiV3Failure(
                "INVALID_FIELD_VALUE", f"Invalid category name [{name}]", {"PROP_NAME": "category:name"}
            )
        if parent_id:
            parent = self.by_id.get(parent_id)
            if parent is None:
                raise ApiV3Failure(
                    "PARENT_CATEGORY_NOT_FOUND",
                    f"Parent category id [{parent_id}] not found",
                    {"CATEGORY_ID": str(parent_id)},
                )
            full_name, prefix_ids, depth = (
                f"{parent.full_name}>{name}",
                f"{parent.full_ids}>",
                parent.depth + 1,
            )
        else:
            full_name, prefix_ids, depth = name, "", 0
        if full_name in self._by_full_name:
            raise ApiV3Failure(
                "DUPLICATE_CATEGORY", f"Category [{full_name}] already exists", {"CATEGORY_NAME": full_name}
            )
        now = int(self._clock())
        category = Category(
            id=self._next_id,
            name=name,
            parent_id=parent_id,
            full_name=full_name,
            full_ids=f"{prefix_ids}{self._next_id}",
            depth=depth,
            created_at=now,
            updated_at=now,
        )
        self._next_id += 1
        self.by_id[category.id] = category
        self._by_full_name[full_name] = category.id
        self._children.setdefault(parent_id, []).append(category.id)
        return category

    def ensure_path(self, full_name: str) -> tuple[Category, int]:
        """Create every missing level of ``a>b>c``; returns the leaf and how many were made."""
        parts = full_name.split(">")
        if any(not part for part in parts):
            raise ApiV3Failure(
                "INVALID_FIELD_VALUE", f"Invalid category path [{full_name}]", {"PROP_NAME": "fullName"}
            )
        parent_id, made, leaf = 0, 0, None
        for depth in range(len(parts)):
            leaf = self.find(">".join(parts[: depth + 1]))
            if leaf is None:
                leaf = self.add(parts[depth], parent_id)
                made += 1
            parent_id = leaf.id
        assert leaf is not None
        return leaf, made

    def subtree(self, category_id: int) -> list[int]:
        """The category and all its descendants, deepest first (the order a delete must take)."""
        order: list[int] = []
        stack = [category_id]
        while stack:
            current = stack.pop()
            order.append(current)
            stack.extend(self._children.get(current, ()))
        return sorted(order, key=lambda cid: -self.by_id[cid].depth)

    def delete(self, category_id: int) -> list[int]:
        """Delete the category with its whole subtree, as API v3 does; returns the ids removed."""
        self.get(category_id)
        removed = self.subtree(category_id)
        for cid in removed:
            category = self.by_id.pop(cid)
            self._by_full_name.pop(category.full_name, None)
            self._children.pop(cid, None)
            siblings = self._children.get(category.parent_id)
            if siblings is not None and cid in siblings:
                siblings.remove(cid)
        return removed

    def list(self, filters: dict[str, Any], pager: dict[str, Any]) -> tuple[int, list[Category]]:
        """``category.list``: filter, order, then page (``pageIndex`` starts at 1, guide §5.3)."""
        matches = [c for c in self.by_id.values() if _matches(c, filters)]
        order = str(filters.get("orderBy") or "+id")
        direction, order_field = (order[0], order[1:]) if order[:1] in "+-" else ("+", order)
        if order_field not in CATEGORY_ORDER_FIELDS:
            raise ApiV3Failure(
                "INVALID_FIELD_VALUE", f"Invalid orderBy [{order}]", {"PROP_NAME": "filter:orderBy"}
            )
        matches.sort(key=lambda c: (_order_key(c, order_field), c.id), reverse=direction == "-")
        size = _int(pager.get("pageSize"), DEFAULT_PAGE_SIZE, "pager:pageSize")
        size = DEFAULT_PAGE_SIZE if size <= 0 else size
        index = max(_int(pager.get("pageIndex"), 1, "pager:pageIndex"), 1)
        start = (index - 1) * size
        return len(matches), matches[start : start + size]


def _order_key(category: Category, order_field: str) -> Any:
    return {
        "createdAt": category.created_at,
        "updatedAt": category.updated_at,
        "name": category.name,
        "depth": category.depth,
        "fullName": category.full_name,
        "id": category.id,
    }[order_field]


def _int(value: Any, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiV3Failure(
            "INVALID_FIELD_VALUE", f"Invalid value [{value}] for [{name}]", {"PROP_NAME": name}
        ) from None


def _csv(value: Any) -> list[str]:
    """API v3 "In" filters are comma-separated strings; a JSON caller may send a list."""
    items: Iterable[Any] = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _int_set(value: Any, name: str) -> set[int]:
    return {_int(item, 0, name) for item in _csv(value)}


def _matches(category: Category, filters: dict[str, Any]) -> bool:
    checks: list[tuple[str, Callable[[Any], bool]]] = [
        ("idEqual", lambda v: category.id == _int(v, 0, "filter:idEqual")),
        ("idIn", lambda v: category.id in _int_set(v, "filter:idIn")),
        ("parentIdEqual", lambda v: category.parent_id == _int(v, 0, "filter:parentIdEqual")),
        ("parentIdIn", lambda v: category.parent_id in _int_set(v, "filter:parentIdIn")),
        ("depthEqual", lambda v: category.depth == _int(v, 0, "filter:depthEqual")),
        ("nameEqual", lambda v: category.name == str(v)),
        ("fullNameEqual", lambda v: category.full_name == str(v)),
        ("fullNameIn", lambda v: category.full_name in _csv(v)),
        ("fullNameStartsWith", lambda v: category.full_name.startswith(str(v))),
        ("fullNameStartsWithIn", lambda v: any(category.full_name.startswith(p) for p in _csv(v))),
        (
            "ancestorIdIn",
            lambda v: bool(_int_set(v, "filter:ancestorIdIn") & _ancestors(category)),
        ),
    ]
    for name, check in checks:
        value = filters.get(name)
        if value is None or value == "":
            continue
        if not check(value):
            return False
    return True


def _ancestors(category: Category) -> set[int]:
    return {int(part) for part in category.full_ids.split(">")[:-1]}
