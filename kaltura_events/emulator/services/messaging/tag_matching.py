"""Comma-separated ``adminTags`` as the list filters read them (KALTURA_MESSAGING_API.md §5.4, §8.2)."""

from __future__ import annotations


def tags(text: str | None) -> set[str]:
    """``"a, b,c"`` -> {"a", "b", "c"}: §3 "Comma-separated tags"."""
    return {tag.strip() for tag in (text or "").split(",") if tag.strip()}


def has_all(have: str | None, wanted: str) -> bool:
    """``adminTagsAll``: every tag named is on the record."""
    return tags(wanted) <= tags(have)


def has_any(have: str | None, named: str | list[str]) -> bool:
    """``excludeAdminTags`` and ``templateAdminTags``: at least one tag named is on the record."""
    wanted = tags(named) if isinstance(named, str) else {t.strip() for t in named}
    return bool(wanted & tags(have))
