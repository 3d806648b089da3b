"""Typed views of the App Registry and User Profile answers: who came to which event.

A virtual event is an App Registry app (``appCustomId`` = the event id, as a
string); its attendees are User Profile rows of that app's GUID. Like every
model here, unknown fields are ignored and a missing or mistyped needed field
is read as ``UnexpectedResponseError``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import Field, TypeAdapter, field_validator, model_validator

from kaltura_events.api.models import ApiModel, Page

_EVENT_DATA_FIELDS = {
    "attendanceStatus": "attendanceStatus",
    "previousAttendanceStatus": "previousAttendanceStatus",
    "firstAttendedStatusTime": "firstAttendedAt",
    "statusUpdateTime": "statusUpdatedAt",
}
"""``eventData`` keys (User Profile guide §4.2) and the flat field each fills."""


def _blank_to_none(value: Any) -> Any:
    return None if value in ("", None) else value


class App(ApiModel):
    """One App Registry app; ``id`` is the GUID other services call ``appGuid``."""

    id: str
    app_custom_id: str
    app_type: str
    status: str
    name: str = Field(default="", alias="appCustomName")
    partner_id: int | None = None
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    _blank_dates = field_validator("created_at", "updated_at", mode="before")(_blank_to_none)

    @property
    def enabled(self) -> bool:
        return self.status == "enabled"


class AppPage(Page):
    objects: list[App]


class UserProfile(ApiModel):
    """One person's profile in one app (event), flattened: ``eventData``'s attendance fields on top.

    ``user_id`` is the Kaltura user id, often the email; ``email`` gives it
    lowercased when it is one, the key that joins profiles to event users.
    """

    id: str
    app_guid: str
    user_id: str
    status: str = "enabled"
    profile_data: dict[str, Any] = Field(default_factory=dict)
    event_data: dict[str, Any] = Field(default_factory=dict)
    attendance_status: str | None = None
    previous_attendance_status: str | None = None
    first_attended_at: datetime | None = None
    status_updated_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten_event_data(cls, payload: Any) -> Any:
        if not isinstance(payload, dict):
            return payload
        event_data = payload.get("eventData")
        if not isinstance(event_data, dict):
            return payload
        return {
            **payload,
            **{flat: event_data[key] for key, flat in _EVENT_DATA_FIELDS.items() if key in event_data},
        }

    _blank = field_validator(
        "first_attended_at",
        "status_updated_at",
        "created_at",
        "updated_at",
        "attendance_status",
        mode="before",
    )(_blank_to_none)

    @field_validator("profile_data", "event_data", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class UserProfilePage(Page):
    objects: list[UserProfile]


class EventDataRow(ApiModel):
    app_guid: str
    dimensions: dict[str, str | None]
    count: int


class EventDataStats(ApiModel):
    """``reports/eventDataStats``: one row per app and combination of the dimensions asked for."""

    results: list[EventDataRow]
    sum: int | None = None


class ProfileRow(NamedTuple):
    """The fields of a profile an attendance report reads, and nothing else: a report of 600,000
    profiles reads them straight from the JSON instead of validating whole ``UserProfile`` models.

    Read as ``UserProfile`` reads them: a blank date or status is None, and
    a missing or mistyped field the report needs is an error naming it. The
    profile data is read as it arrives into the join key and the name, not
    kept: a row of strings and dates is one the garbage collector stops
    walking, where one holding a dict was walked at every collection while
    its page waited for the pages before it.
    """

    id: str
    user_id: str
    email: str
    """The join key: ``person_email``, else the user id."""
    name: str
    """``person_name`` of the profile data."""
    attendance_status: str | None
    first_attended_at: datetime | None
    updated_at: datetime | None


def person_email(user_id: str, profile_data: Mapping[str, object]) -> str | None:
    """The join key: the profile's email field, else its user id when that is an email."""
    for key in ("email", "Email", "emailAddress"):
        value = profile_data.get(key)
        if isinstance(value, str) and "@" in value:
            return value.strip().lower()
    return user_id.strip().lower() if "@" in user_id else None


def person_name(profile_data: Mapping[str, object]) -> str:
    """What a registration form usually stores: a full name, or first and last name."""
    name = profile_data.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    parts = [profile_data.get(key) for key in ("firstName", "lastName")]
    return " ".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())


def profile_rows(payload: Any) -> tuple[list[ProfileRow], int]:
    """A ``user-profile/list`` page as its rows and its ``totalCount``; ValueError or TypeError, naming
    the field, when it is not one."""
    if not isinstance(payload, dict):
        raise TypeError("not an object")
    objects, total = payload.get("objects"), payload.get("totalCount")
    if not isinstance(objects, list):
        raise TypeError("objects: not a list")
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError("totalCount: not an integer")
    return [_row(number, raw) for number, raw in enumerate(objects)], total


_EMPTY: dict[str, Any] = {}
_from_iso = datetime.fromisoformat
_make_row = ProfileRow._make


def _row(number: int, raw: Any) -> ProfileRow:
    if not isinstance(raw, dict):
        raise TypeError(f"objects.{number}: not an object")
    get = raw.get
    profile_id, user_id = get("id"), get("userId")
    if not isinstance(profile_id, str) or not isinstance(get("appGuid"), str):
        raise TypeError(f"objects.{number}: no string id and appGuid")
    if not isinstance(user_id, str):
        raise TypeError(f"objects.{number}.userId: not a string")
    profile_data = get("profileData")
    event_data = get("eventData")
    if profile_data is None:
        profile_data = _EMPTY
    if event_data is None:
        event_data = _EMPTY
    if not isinstance(profile_data, dict) or not isinstance(event_data, dict):
        raise TypeError(f"objects.{number}: profileData and eventData are objects")
    status = event_data.get("attendanceStatus")
    if status == "" or status is None:
        status = None
    elif not isinstance(status, str):
        raise TypeError(f"objects.{number}.eventData.attendanceStatus: not a string")
    return _make_row(
        (
            profile_id,
            user_id,
            sys.intern(person_email(user_id, profile_data) or user_id),  # a person's 12 rows share it
            person_name(profile_data),
            status,
            _moment(number, "eventData.firstAttendedStatusTime", event_data.get("firstAttendedStatusTime")),
            _moment(number, "updatedAt", get("updatedAt")),
        )
    )


def _moment(number: int, field: str, value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return _from_iso(value[:-1] + "+00:00" if value[-1] == "Z" else value)
        except ValueError:
            pass
    try:
        return TypeAdapter(datetime).validate_python(value)
    except ValueError:
        raise ValueError(f"objects.{number}.{field}: not a date-time ({value!r})") from None
