"""Typed views of the App Registry and User Profile answers: who came to which event.

A virtual event is an App Registry app (``appCustomId`` = the event id, as a
string); its attendees are User Profile rows of that app's GUID. Like every
model here, unknown fields are ignored and a missing or mistyped needed field
is read as ``UnexpectedResponseError``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

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
