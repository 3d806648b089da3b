"""Reading optional request fields with the same InvalidArgumentError the validators raise.

The required fields go through ``kaltura_events.validation`` directly; these
cover the optional ones, so every 400 names the field the way the client's
own checks would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kaltura_events.errors import InvalidArgumentError
from kaltura_events.validation import parse_iso_datetime, require_choice, require_name


def require_object(field: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidArgumentError(field, value, "expected an object")
    return value


def optional_object(body: dict[str, Any], key: str, field: str | None = None) -> dict[str, Any]:
    value = body.get(key)
    return {} if value is None else require_object(field or key, value)


def optional_str(body: dict[str, Any], key: str, field: str | None = None) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgumentError(field or key, value, "expected a string")
    return value


def required_str(body: dict[str, Any], key: str, field: str | None = None) -> str:
    value = body.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(field or key, value, "a non-empty string is required")
    return value


def optional_bool(body: dict[str, Any], key: str, field: str | None = None) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InvalidArgumentError(field or key, value, "expected true or false")
    return value


def optional_int(body: dict[str, Any], key: str, field: str | None = None) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(field or key, value, "expected an integer")
    return value


def optional_str_list(
    body: dict[str, Any], key: str, field: str | None = None, max_items: int | None = None
) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    name = field or key
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidArgumentError(name, value, "expected a list of strings")
    if max_items is not None and len(value) > max_items:
        raise InvalidArgumentError(name, value, f"at most {max_items} items per call")
    return list(value)


def optional_choices(
    body: dict[str, Any], key: str, choices: tuple[str, ...], field: str | None = None
) -> list[str] | None:
    values = optional_str_list(body, key, field)
    if values is None:
        return None
    return [require_choice(field or key, value, choices) for value in values]


def optional_choice(
    body: dict[str, Any], key: str, choices: tuple[str, ...], field: str | None = None
) -> str | None:
    value = body.get(key)
    return None if value is None else require_choice(field or key, value, choices)


def optional_date(body: dict[str, Any], key: str, field: str | None = None) -> datetime | None:
    value = body.get(key)
    return None if value is None else parse_iso_datetime(field or key, value)


def optional_name(body: dict[str, Any], key: str, field: str | None = None) -> str | None:
    value = body.get(key)
    return None if value is None else require_name(field or key, value)


def require_email(field: str, value: Any) -> str:
    if not isinstance(value, str) or "@" not in value or value.strip() != value or len(value) > 256:
        raise InvalidArgumentError(field, value, "expected an email address")
    return value


def require_page_size(max_limit: int) -> Callable[[str, Any], int]:
    """A page-size check like ``validation.require_limit`` with another ceiling."""

    def check(field: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= max_limit:
            raise InvalidArgumentError(field, value, f"a page size is an integer from 1 to {max_limit}")
        return value

    return check


def pager_bounds(
    body: dict[str, Any], *, default_limit: int, check_limit: Callable[[str, Any], int], offset_mode: str
) -> tuple[int, int]:
    """(skip, limit) from ``pager``; ``offset_mode`` "page" reads the offset as a page index."""
    pager = optional_object(body, "pager")
    offset = optional_int(pager, "offset", "pager.offset")
    offset = 0 if offset is None else offset
    if offset < 0:
        raise InvalidArgumentError("pager.offset", offset, "must not be negative")
    raw_limit = pager.get("limit", default_limit)
    if isinstance(raw_limit, float) and raw_limit.is_integer():
        raw_limit = int(raw_limit)
    limit = check_limit("pager.limit", raw_limit)
    skip = offset * limit if offset_mode == "page" else offset
    return skip, limit
