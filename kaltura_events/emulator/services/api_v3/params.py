"""Reading API v3 parameters, with the refusals KALTURA_API_GETTING_STARTED.md §10 names."""

from __future__ import annotations

from typing import Any

from kaltura_events.emulator.failures import ApiV3Failure
from kaltura_events.emulator.kaltura_session import ADMIN_SESSION, USER_SESSION

Params = dict[str, Any]


def missing(name: str) -> ApiV3Failure:
    """KALTURA_API_GETTING_STARTED.md §10: PROPERTY_VALIDATION_CANNOT_BE_NULL, "Required field missing"."""
    return ApiV3Failure(
        "PROPERTY_VALIDATION_CANNOT_BE_NULL", f"Missing parameter [{name}]", {"PROP_NAME": name}
    )


def required(params: Params, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise missing(name)
    return value


def integer(value: Any, name: str, default: int | None = None) -> int:
    if value is None or value == "":
        if default is None:
            raise missing(name)
        return default
    try:
        if isinstance(value, bool):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise ApiV3Failure(
            "INVALID_FIELD_VALUE", f"Invalid value [{value}] for [{name}]", {"PROP_NAME": name}
        ) from None


def object_param(params: Params, name: str) -> dict[str, Any]:
    value = params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise ApiV3Failure("INVALID_FIELD_VALUE", f"[{name}] must be an object", {"PROP_NAME": name})
    return value


def session_type(value: Any, name: str = "type", default: int | None = None) -> int:
    """KALTURA_SESSION_GUIDE.md §5.1: ``type`` is 0 (USER) or 2 (ADMIN)."""
    chosen = integer(value, name, default)
    if chosen not in (USER_SESSION, ADMIN_SESSION):
        raise ApiV3Failure("INVALID_FIELD_VALUE", f"Invalid session type [{chosen}]", {"PROP_NAME": name})
    return chosen
