"""Reading JSON request fields the way the sources type them, refusing with a 400 that names the field.

Shared by the JSON services (Events Platform, App Registry, User Profile).

Only what a source states is checked: a required field is present, a value
has the spec's JSON type, an enum value is one of the spec's, a date is ISO
8601 and a zone is IANA (KALTURA_EVENTS_PLATFORM_API.md §5.1, §11), a string
is no longer than a guide says (KALTURA_APP_REGISTRY_API.md §4.2). Other
lengths, non-blank strings and email shapes are stated nowhere, so they are
accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from kaltura_events.emulator.dates import read_iso_8601, within
from kaltura_events.emulator.failures import BadArgument

Body = dict[str, Any]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def require_object(field: str, value: Any) -> Body:
    if not isinstance(value, dict):
        raise BadArgument(field, value, "expected an object")
    return value


def optional_object(body: Body, key: str, field: str | None = None) -> Body:
    value = body.get(key)
    return {} if value is None else require_object(field or key, value)


def require_str(field: str, value: Any) -> str:
    if value is None:
        raise BadArgument(field, value, "is required")
    if not isinstance(value, str):
        raise BadArgument(field, value, "expected a string")
    return value


def required_str(body: Body, key: str, field: str | None = None) -> str:
    return require_str(field or key, body.get(key))


def secret_str(body: Body, key: str, field: str | None = None, *, required: bool) -> str | None:
    """A secret (an API key, a signing secret): refused like any string, but its value is never shown."""
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadArgument(field or key, "<hidden>", "is required" if value is None else "expected a string")
    return value


def optional_str(body: Body, key: str, field: str | None = None) -> str | None:
    value = body.get(key)
    return None if value is None else require_str(field or key, value)


def at_most_chars(field: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise BadArgument(field, value, f"at most {limit} characters, got {len(value)}")
    return value


def optional_bool(body: Body, key: str, field: str | None = None) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise BadArgument(field or key, value, "expected true or false")
    return value


def require_bool(body: Body, key: str, field: str | None = None) -> bool:
    value = optional_bool(body, key, field)
    if value is None:
        raise BadArgument(field or key, None, "is required")
    return value


def optional_number(body: Body, key: str, field: str | None = None) -> int | float | None:
    value = body.get(key)
    if value is None:
        return None
    if not _is_number(value):
        raise BadArgument(field or key, value, "expected a number")
    result: int | float = int(value) if isinstance(value, float) and value.is_integer() else value
    return result


def optional_count(body: Body, key: str, field: str | None = None) -> int | None:
    """A pager number: the spec types it ``number``; a fraction of an item cannot be skipped or shown."""
    value = optional_number(body, key, field)
    if value is not None and not isinstance(value, int):
        raise BadArgument(field or key, value, "expected a whole number")
    return value


def require_event_id(field: str, value: Any) -> int:
    """Spec types event ids ``number``; KALTURA_EVENTS_PLATFORM_API.md §11: "Event IDs are integers"."""
    if value is None:
        raise BadArgument(field, value, "is required")
    if not _is_number(value) or (isinstance(value, float) and not value.is_integer()):
        raise BadArgument(field, value, "an event id is an integer")
    return int(value)


def optional_str_list(
    body: Body, key: str, field: str | None = None, max_items: int | None = None
) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    name = field or key
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadArgument(name, value, "expected a list of strings")
    if max_items is not None and len(value) > max_items:
        raise BadArgument(name, f"{len(value)} items", f"at most {max_items} per call")
    return list(value)


def require_choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    if value is None:
        raise BadArgument(field, value, "is required")
    if not isinstance(value, str) or value not in choices:
        raise BadArgument(field, value, f"expected one of {', '.join(choices)}")
    return value


def optional_choice(body: Body, key: str, choices: tuple[str, ...], field: str | None = None) -> str | None:
    value = body.get(key)
    return None if value is None else require_choice(field or key, value, choices)


def optional_choices(
    body: Body, key: str, choices: tuple[str, ...], field: str | None = None
) -> list[str] | None:
    values = optional_str_list(body, key, field)
    if values is None:
        return None
    return [require_choice(field or key, value, choices) for value in values]


def require_date(field: str, value: Any) -> datetime:
    if value is None:
        raise BadArgument(field, value, "is required")
    moment = read_iso_8601(value) if isinstance(value, str) else None
    if moment is None:
        raise BadArgument(field, value, "expected an ISO 8601 date-time, such as 2025-05-01T14:00:00.000Z")
    return moment


def optional_date(body: Body, key: str, field: str | None = None) -> datetime | None:
    value = body.get(key)
    return None if value is None else require_date(field or key, value)


@dataclass(frozen=True)
class DateBounds:
    """A list filter's ``createdAt``/``updatedAt`` bounds, each side optional."""

    created: tuple[datetime | None, datetime | None]
    updated: tuple[datetime | None, datetime | None]

    def admit(self, created_at: datetime, updated_at: datetime) -> bool:
        return within(created_at, *self.created) and within(updated_at, *self.updated)


def date_bounds(given: Body, *, upper: bool = True) -> DateBounds:
    """The ``...GreaterThanOrEqual`` (and, where the guide lists them, ``...LessThanOrEqual``) filter keys.

    ``upper=False`` for a filter whose guide names only the lower bounds: an
    upper bound there would be a rule of ours, not the service's.
    """

    def bound(key: str) -> datetime | None:
        return (
            optional_date(given, key, f"filter.{key}")
            if upper or key.endswith("GreaterThanOrEqual")
            else None
        )

    return DateBounds(
        (bound("createdAtGreaterThanOrEqual"), bound("createdAtLessThanOrEqual")),
        (bound("updatedAtGreaterThanOrEqual"), bound("updatedAtLessThanOrEqual")),
    )


@cache
def _iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def require_zone(field: str, value: Any) -> str:
    """KALTURA_EVENTS_PLATFORM_API.md §5.1: ``timezone`` is an IANA time zone."""
    name = require_str(field, value)
    if name not in _iana_zones():
        raise BadArgument(field, value, "not an IANA time zone, such as America/New_York")
    ZoneInfo(name)
    return name


def optional_zone(body: Body, key: str, field: str | None = None) -> str | None:
    value = body.get(key)
    return None if value is None else require_zone(field or key, value)


def pager_bounds(
    body: Body, *, default_limit: int, max_limit: int | None, offset_mode: str
) -> tuple[int, int]:
    """(skip, limit) from ``pager``; ``offset_mode`` "page" reads the offset as a page index.

    A negative offset or limit is stated nowhere; it is read as 0.
    """
    pager = optional_object(body, "pager")
    offset = max(optional_count(pager, "offset", "pager.offset") or 0, 0)
    limit = optional_count(pager, "limit", "pager.limit")
    limit = default_limit if limit is None else max(limit, 0)
    if max_limit is not None and limit > max_limit:
        raise BadArgument("pager.limit", limit, f"at most {max_limit}")
    skip = offset * limit if offset_mode == "page" else offset
    return skip, limit
