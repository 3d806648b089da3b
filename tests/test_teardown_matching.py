"""Exact category ownership: the sentinels near each pattern are never touched."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kaltura_events.api.models import Category
from kaltura_events.planning.selection import EventSelector
from kaltura_events.planning.teardown import (
    order_deletes,
    orphan_owners,
    owner_of_media_child,
    owner_of_root,
)


def cat(
    cid: int, full_name: str, parent_id: int = 0, depth: int | None = None, children: int = 0
) -> Category:
    return Category(
        id=cid,
        name=full_name.rsplit(">", 1)[-1],
        full_name=full_name,
        parent_id=parent_id,
        depth=full_name.count(">") if depth is None else depth,
        direct_sub_categories_count=children,
    )


@pytest.mark.parametrize(
    ("name", "owner"),
    [
        ("12EPab", 12),
        ("12EP5f3a9c", 12),
        ("123EPab", 123),
        ("ep_agenda_12", 12),
        ("ep_private_12", 12),
        ("ep_private_123", 123),
        ("ep_private_12x", None),
        ("ep_private_012", None),
        ("12EP", None),
        ("12EPzz", None),
        ("x12EPab", None),
        ("ep_media_account", None),
        ("Training", None),
    ],
)
def test_owner_of_root_is_exact(name: str, owner: int | None) -> None:
    assert owner_of_root(name) == owner


def test_media_child_owner_is_exact() -> None:
    assert owner_of_media_child("ep_media_account>ep_media_event_12") == 12
    assert owner_of_media_child("ep_media_account>ep_media_event_120") == 120
    assert owner_of_media_child("ep_media_account>ep_media_event_12>x") is None
    assert owner_of_media_child("other>ep_media_event_12") is None


def test_order_deletes_for_event_12_spares_every_sentinel() -> None:
    roots = [
        cat(1, "12EPab", children=1),
        cat(2, "123EPab", children=1),
        cat(3, "ep_agenda_12"),
        cat(4, "ep_private_12"),
        cat(5, "ep_private_123"),
        cat(6, "ep_media_account", children=2),
        cat(7, "Training"),
    ]
    descendants = [
        cat(10, "12EPab>Sessions", parent_id=1, children=1),
        cat(11, "12EPab>Sessions>Recordings", parent_id=10),
        cat(12, "123EPab>Sessions", parent_id=2),
    ]
    media = [
        cat(20, "ep_media_account>ep_media_event_12", parent_id=6),
        cat(21, "ep_media_account>ep_media_event_120", parent_id=6),
    ]
    plan = order_deletes({12}, roots, descendants, media)
    assert [c.full_name for c in plan.deletes] == [
        "12EPab>Sessions>Recordings",
        "12EPab>Sessions",
        "12EPab",
        "ep_agenda_12",
        "ep_private_12",
        "ep_media_account>ep_media_event_12",
    ]
    assert set(plan.owners.values()) == {12}
    assert plan.media_account is not None and plan.media_account.id == 6


def test_orphan_owners_lists_platform_categories_only() -> None:
    roots = [cat(1, "12EPab"), cat(2, "ep_private_99"), cat(3, "Training"), cat(4, "ep_media_account")]
    media = [cat(5, "ep_media_account>ep_media_event_7", parent_id=4)]
    assert orphan_owners(roots, media) == {12, 99, 7}


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"event_ids": []},
        {"event_ids": [1], "label": "x"},
        {"series_key": "a-b", "ended_before": "2026-01-01"},
    ],
)
def test_selector_needs_exactly_one_kind(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="selector"):
        EventSelector.model_validate(raw)


def test_selector_kind_must_match_the_field_given() -> None:
    assert EventSelector.model_validate({"by": "label", "label": "x"}).kind == "label"
    assert EventSelector.model_validate({"label": "x"}).kind == "label"
    with pytest.raises(ValidationError, match="selector"):
        EventSelector.model_validate({"by": "series_key", "label": "x"})
    with pytest.raises(ValidationError, match="by"):
        EventSelector.model_validate({"by": "everything", "label": "x"})


def test_selector_rejects_non_integer_event_ids() -> None:
    with pytest.raises(ValidationError, match="12a"):
        EventSelector.model_validate({"event_ids": ["12a"]})
    assert EventSelector.model_validate({"event_ids": ["12"]}).event_ids == [12]
