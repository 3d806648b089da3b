"""User Profile's record, and how it is rendered on the wire (KALTURA_USER_PROFILE_API.md §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kaltura_events.emulator.dates import read_iso_8601, write_iso

ATTENDANCE_STATUSES = (
    "created",
    "registered",
    "unregistered",
    "invited",
    "invitedPendingRegistration",
    "confirmed",
    "autoConfirmed",
    "attended",
    "participated",
    "participatedPostEvent",
    "blocked",
)
"""§5."""
HIGH_ATTENDANCE = frozenset({"attended", "participated", "participatedPostEvent"})
"""§5 "Automatic Side Effects": the first of these records ``firstAttendedStatusTime``."""
PROFILE_STATUSES = ("enabled", "disabled")
"""§4, §6: what a request may set; ``deleted`` comes only from ``user-profile/delete`` (§11)."""
REG_ORIGINS = ("registration", "invite", "webhook", "sso", "admin")
"""§4.2."""
LOGIN_TYPES = ("sso", "emailPass", "magicLink", "simpleLogin", "guestLogin")
"""§4.1."""
READ_ONLY_EVENT_DATA = ("previousAttendanceStatus", "statusUpdateTime", "firstAttendedStatusTime")
"""§4.2 "Read-only": set by the service, never by a request."""


@dataclass(frozen=True)
class NewProfile:
    """One profile a request asks for (§6, and each element of §7's ``bulkAdd``), its fields checked."""

    app_guid: str
    user_id: str
    profile_data: dict[str, Any]
    event_data: dict[str, Any]
    login_data: dict[str, Any] | None = None
    app_data: dict[str, Any] = field(default_factory=dict)
    status: str = "enabled"


@dataclass
class Profile:
    id: str
    app_guid: str
    user_id: str
    created_at: datetime
    updated_at: datetime
    status: str = "enabled"
    profile_data: dict[str, Any] = field(default_factory=dict)
    login_data: dict[str, Any] | None = None
    event_data: dict[str, Any] = field(default_factory=dict)
    app_data: dict[str, Any] = field(default_factory=dict)
    deleted_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.status == "deleted"

    @property
    def attendance_status(self) -> str | None:
        status = self.event_data.get("attendanceStatus")
        return status if isinstance(status, str) else None

    def user_key(self) -> str:
        return user_key(self.user_id)

    @property
    def first_attended_at(self) -> datetime | None:
        """§4.2 ``firstAttendedStatusTime``, as the moment the service recorded."""
        recorded = self.event_data.get("firstAttendedStatusTime")
        return read_iso_8601(recorded) if isinstance(recorded, str) else None

    def set_attendance(self, status: str, at: datetime) -> None:
        """§5: a change records the previous status and when; the first high status records that, once."""
        previous = self.attendance_status
        if status == previous:
            return
        if previous is not None:
            self.event_data["previousAttendanceStatus"] = previous
        self.event_data["attendanceStatus"] = status
        self.event_data["statusUpdateTime"] = write_iso(at)
        if status in HIGH_ATTENDANCE and "firstAttendedStatusTime" not in self.event_data:
            self.event_data["firstAttendedStatusTime"] = write_iso(at)


def user_key(user_id: str) -> str:
    """§4 "User ID Case Sensitivity": ids with ``@`` match case-insensitively, others exactly."""
    return user_id.lower() if "@" in user_id else user_id


def render_profile(profile: Profile, partner_id: int) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": profile.id,
        "partnerId": partner_id,
        "appGuid": profile.app_guid,
        "userId": profile.user_id,
        "status": profile.status,
        "profileData": dict(profile.profile_data),
        "eventData": dict(profile.event_data),
        "appData": dict(profile.app_data),
        "createdAt": write_iso(profile.created_at),
        "updatedAt": write_iso(profile.updated_at),
        "objectType": "UserProfile",
    }
    if profile.login_data is not None:
        rendered["loginData"] = dict(profile.login_data)
    if profile.deleted_at is not None:
        rendered["deletedAt"] = write_iso(profile.deleted_at)
    return rendered
