"""Annotated field types for flow parameter models.

Each one validates with the same checks the client uses (so the flow refuses
bad input before any request) and publishes an ``enum`` in its JSON schema,
which the Prefect UI renders as a dropdown.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from kaltura_events.api import validation as v


@cache
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def _zone(value: Any) -> str:
    return v.require_zone("timezone", value)


def _session_type(value: Any) -> str:
    if value == "Invalid":
        value = "Invalid (not allowed)"
    return v.require_choice("type", value, v.SESSION_TYPES)


def _aware(value: Any) -> Any:
    """Refuse naive date-times: a time without a zone means a different instant per worker."""
    if isinstance(value, str):
        return v.parse_iso_datetime("date-time", value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return v.parse_iso_datetime("date-time", value)
    return value


Zone = Annotated[
    str,
    AfterValidator(_zone),
    WithJsonSchema({"type": "string", "enum": list(zone_names()), "title": "IANA time zone"}),
]
PresetTemplate = Annotated[
    str,
    AfterValidator(lambda value: v.require_choice("template_id", value, tuple(v.PRESET_TEMPLATES))),
    WithJsonSchema({"type": "string", "enum": list(v.PRESET_TEMPLATES)}),
]
CustomTemplateId = Annotated[str, Field(pattern=r"^[0-9a-f]{24}$")]
SessionType = Annotated[
    str, AfterValidator(_session_type), WithJsonSchema({"type": "string", "enum": list(v.SESSION_TYPES)})
]
Visibility = Annotated[
    str,
    AfterValidator(lambda value: v.require_choice("visibility", value, v.VISIBILITIES)),
    WithJsonSchema({"type": "string", "enum": list(v.VISIBILITIES)}),
]
DuplicateRole = Annotated[
    str,
    AfterValidator(lambda value: v.require_choice("copy_roles", value, v.DUPLICATE_ROLES)),
    WithJsonSchema({"type": "string", "enum": list(v.DUPLICATE_ROLES)}),
]
EventName = Annotated[str, Field(min_length=1, max_length=v.MAX_NAME_LENGTH)]
EventId = Annotated[int, BeforeValidator(lambda value: v.require_event_id("event_id", value))]
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^,]+$")]
AwareDatetime = Annotated[datetime, BeforeValidator(_aware)]
