"""Argument checks the clients (before a request) and the flow parameters share.

``fields`` wraps them as pydantic types for the flow parameters and the events
file, so bad input is refused with the same words whichever way it comes, and
before anything is sent. The emulator keeps its own checks, taken from the
reference, and imports none of these: the two test each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from kaltura_events.api.errors import InvalidArgumentError

PRESET_TEMPLATES: dict[str, tuple[str, ...]] = {
    "tm0000": (),
    "tm1000": ("MeetingEntry",),
    "tm2000": ("LiveWebcast",),
    "tm3000": ("SimuLive",),
    "tm4000": ("MeetingEntry", "LiveWebcast"),
}
TEMPLATE_NAMES: dict[str, str] = {
    "tm0000": "Blank event",
    "tm1000": "Interactive room",
    "tm2000": "Live webcast",
    "tm3000": "Simulive",
    "tm4000": "Room broadcasting to webcast",
}
SESSION_TYPES = ("MeetingEntry", "SimuLive", "LiveWebcast", "LiveKME", "VirtualLearningRoom")
VISIBILITIES = ("published", "unlisted", "private")
ORDER_FIELDS = ("+name", "-name", "+createdAt", "-createdAt", "+startDate", "-startDate")
TEAM_ROLES = ("Admin", "Organizer", "ContentManager")
EVENT_USER_ROLES = ("Attendees", "Speaker", "Moderator")
DUPLICATE_ROLES = ("Speaker", "Moderator", "EventTeam")
MAX_PAGE_SIZE = 15
MAX_PARTICIPANTS_PER_CALL = 10
"""session-participants/add, /update and /remove: "max 10" per list in the spec."""
MAX_NAME_LENGTH = 256

_CUSTOM_TEMPLATE = re.compile(r"^[0-9a-f]{24}$")
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
    r"(Z|[+-]\d{2}:?\d{2})$"
)
_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def parse_iso_datetime(field: str, value: Any) -> datetime:
    """An ISO 8601 instant with an explicit offset; naive times are ambiguous and refused."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidArgumentError(field, value, "a date-time needs a time zone offset")
        return value.astimezone(timezone.utc)
    if not isinstance(value, str) or not _ISO.match(value.strip()):
        raise InvalidArgumentError(
            field, value, "expected an ISO 8601 date-time with an offset, such as 2025-05-01T14:00:00Z"
        )
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidArgumentError(field, value, f"not a valid date-time ({exc})") from None
    return parsed.astimezone(timezone.utc)


def format_iso(moment: datetime) -> str:
    """The ``Z`` form the guides send: 2025-05-01T14:00:00.000Z."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def require_zone(field: str, value: Any) -> str:
    if not isinstance(value, str) or value not in _zones():
        raise InvalidArgumentError(field, value, "not a known IANA time zone, such as America/New_York")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgumentError(field, value, "not a known IANA time zone") from None
    return value


def require_template_id(field: str, value: Any) -> str:
    if isinstance(value, str) and (value in PRESET_TEMPLATES or _CUSTOM_TEMPLATE.match(value)):
        return value
    raise InvalidArgumentError(
        field, value, "expected a preset template tm0000..tm4000 or a 24-hex custom template id"
    )


def require_event_id(field: str, value: Any) -> int:
    """Event ids are integers; a numeric string from a form is accepted, "12a" is not."""
    if isinstance(value, bool):
        raise InvalidArgumentError(field, value, "an event id is a positive integer")
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    raise InvalidArgumentError(field, value, "an event id is a positive integer")


def _require_string_id(field: str, value: Any, what: str) -> str:
    if isinstance(value, str) and value.strip() and len(value) <= 64:
        return value
    raise InvalidArgumentError(field, value, what)


def require_session_id(field: str, value: Any) -> str:
    return _require_string_id(field, value, 'a session id is an entry-id string such as "0_4q5ie48b"')


def require_entry_id(field: str, value: Any) -> str:
    return _require_string_id(field, value, 'an entry id is a string such as "0_4q5ie48b"')


def require_member_id(field: str, value: Any) -> str:
    return _require_string_id(field, value, "a team member id is a non-empty string of at most 64 characters")


def require_user_id(field: str, value: Any) -> str:
    return _require_string_id(field, value, "an event user id is a non-empty string of at most 64 characters")


def require_messaging_id(field: str, value: Any) -> str:
    """A Messaging template id; also a bulk id (``bulk_6621a3f0``), KALTURA_MESSAGING_API.md §5.2, §6.1."""
    return _require_string_id(field, value, "a Messaging id is a non-empty string of at most 64 characters")


MAX_SESSION_LABEL = 256
"""Our bound, not Kaltura's (§6.1 states none): a label is a key the flows make, never prose."""


def require_session_label(field: str, value: Any) -> str:
    """A ``message/send`` ``session`` label; edge spaces refused, as ``" x"`` would be another label."""
    if (
        isinstance(value, str)
        and value.strip()
        and value == value.strip()
        and len(value) <= MAX_SESSION_LABEL
    ):
        return value
    raise InvalidArgumentError(
        field,
        value,
        f"a session label is a non-blank string of at most {MAX_SESSION_LABEL} characters, "
        "without edge spaces",
    )


def require_choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    if isinstance(value, str) and value in choices:
        return value
    raise InvalidArgumentError(field, value, f"expected one of {', '.join(choices)}")


def require_limit(field: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_PAGE_SIZE:
        return value
    raise InvalidArgumentError(field, value, f"a page size is an integer from 1 to {MAX_PAGE_SIZE}")


_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\".]+(\.[^@\s,;<>\".]+)+$")
MAX_EMAIL_LENGTH = 254


def require_email(field: str, value: Any) -> str:
    """One address, no display name: ``Jane <jane@x.com>`` or a list would be sent as given otherwise."""
    if not isinstance(value, str) or len(value) > MAX_EMAIL_LENGTH or not _EMAIL.match(value.strip()):
        raise InvalidArgumentError(field, value, "expected one email address such as jane@example.com")
    return value.strip()


def require_name(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(field, value, "a name is a non-empty string")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidArgumentError(field, value, f"a name is at most {MAX_NAME_LENGTH} characters")
    return value


def require_order(start_field: str, start: datetime, end_field: str, end: datetime) -> None:
    if end <= start:
        raise InvalidArgumentError(
            end_field, format_iso(end), f"must be after {start_field}={format_iso(start)}"
        )


def masked_url(url: str) -> str:
    """``scheme://host[:port]/…``: enough to tell receivers apart, never the path (it may be a token)."""
    try:
        parsed = urlsplit(str(url))
        port = parsed.port
    except ValueError:
        return "(not a URL)"
    if not parsed.scheme or not parsed.hostname:
        return "(not a URL)"
    host = parsed.hostname if port is None else f"{parsed.hostname}:{port}"
    return f"{parsed.scheme}://{host}/…"


def require_receiver_url(field: str, value: Any) -> str:
    """An http(s) URL with a host and no user:password; refused without echoing it (it may hold a token)."""
    if not isinstance(value, str):
        raise InvalidArgumentError(field, type(value).__name__, "a URL is a string")
    try:
        parsed = urlsplit(value)
        parsed.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise InvalidArgumentError(field, masked_url(value), "expected an http(s) URL with a host") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidArgumentError(field, masked_url(value), "expected an http(s) URL with a host")
    if parsed.username or parsed.password:
        raise InvalidArgumentError(field, masked_url(value), "put no user:password in the URL")
    return value


# -- App Registry and User Profile ---------------------------------------------------

APP_TYPES = (
    "kms",
    "kmc",
    "ep",
    "sites",
    "pitch",
    "test",
    "games",
    "empAccount",
    "epmEvent",
    "epmSystem",
    "mr",
    "kalturaServer",
)
"""KALTURA_APP_REGISTRY_API.md §4.1; a virtual event's own app is ``epmEvent``."""
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
"""KALTURA_USER_PROFILE_API.md §5, in the guide's order."""
ATTENDED_STATUSES = ("attended", "participated", "participatedPostEvent")
"""The guide's "high attendance": reaching one of these records ``firstAttendedStatusTime``."""


def require_app_guid(field: str, value: Any) -> str:
    return _require_string_id(field, value, "an app GUID is a non-empty string of at most 64 characters")


def require_profile_id(field: str, value: Any) -> str:
    return _require_string_id(field, value, "a profile id is a non-empty string of at most 64 characters")


MAX_KALTURA_USER_ID = 256
"""Our bound, not Kaltura's (none is stated): room for any email (254) and then some."""


def require_kaltura_user_id(field: str, value: Any) -> str:
    """An API v3 user id (often the email); edge spaces refused, as ``" ada@x.com"`` is another id."""
    if (
        isinstance(value, str)
        and value.strip()
        and len(value) <= MAX_KALTURA_USER_ID
        and value == value.strip()
    ):
        return value
    raise InvalidArgumentError(
        field,
        value,
        f"a Kaltura user id is a non-blank string of at most {MAX_KALTURA_USER_ID} characters, "
        "without edge spaces",
    )


def require_string_list(
    field: str, value: Any, check: Callable[[str, Any], str], *, most: int | None = None
) -> list[str]:
    """A list (not one string: ``"abc"`` would be sent as three ids) of checked strings, at most ``most``."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InvalidArgumentError(field, value, "expected a list of strings, not one string")
    if most is not None and len(value) > most:
        raise InvalidArgumentError(field, value, f"at most {most} per call; split the list")
    return [check(field, item) for item in value]
