"""User Profile's endpoints (KALTURA_USER_PROFILE_API.md §6-12): reading each body, then the backend.

A missing required field or a value outside its enum is a 400 naming the
field (§13 "Validation errors"); what the backend refuses is an HTTP 200
``KalturaAPIException`` (§13).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kaltura_events.emulator.dates import within
from kaltura_events.emulator.failures import ApiV3Failure, BadArgument
from kaltura_events.emulator.fields import (
    Body,
    optional_bool,
    optional_choice,
    optional_choices,
    optional_date,
    optional_object,
    optional_str,
    optional_str_list,
    pager_bounds,
    require_object,
    required_str,
)
from kaltura_events.emulator.microservice_route import JSON_NULL, JsonNull, exception_body
from kaltura_events.emulator.services.user_profile.backend import UserProfileBackend
from kaltura_events.emulator.services.user_profile.models import (
    ATTENDANCE_STATUSES,
    LOGIN_TYPES,
    PROFILE_STATUSES,
    REG_ORIGINS,
    NewProfile,
    Profile,
    user_key,
)

DEFAULT_LIMIT = 50
"""§10.2; no maximum is stated."""
ORDER_FIELDS = {"createdAt": lambda p: p.created_at, "updatedAt": lambda p: p.updated_at}
"""§10.3: ``orderBy`` is a field name, ``-`` for descending; the guide shows these two."""
DIMENSIONS = ("attendanceStatus", "regOrigin")
"""§12.1."""
BULK_ADD_RANGE = range(1, 51)
"""§7: 1 to 50 profiles a call ("configurable per deployment"; 50 is the guide's number)."""


def _event_data(body: Body, prefix: str = "") -> dict[str, Any]:
    """§4.2: the enum-valued fields are checked; anything else is kept as sent."""
    key = f"{prefix}eventData"
    event_data = optional_object(body, "eventData", key)
    optional_choice(event_data, "attendanceStatus", ATTENDANCE_STATUSES, f"{key}.attendanceStatus")
    optional_choice(event_data, "regOrigin", REG_ORIGINS, f"{key}.regOrigin")
    optional_bool(event_data, "isRegistered", f"{key}.isRegistered")
    return event_data


def _login_data(body: Body, prefix: str = "") -> dict[str, Any] | None:
    """§4.1, §6: when given, both ``lastLoginDate`` and ``lastLoginType`` are required."""
    if body.get("loginData") is None:
        return None
    key = f"{prefix}loginData"
    login = optional_object(body, "loginData", key)
    required_str(login, "lastLoginDate", f"{key}.lastLoginDate")
    if login.get("lastLoginType") is None:
        raise BadArgument(f"{key}.lastLoginType", None, "is required")
    optional_choice(login, "lastLoginType", LOGIN_TYPES, f"{key}.lastLoginType")
    return login


def _new_profile(body: Body, prefix: str = "") -> NewProfile:
    """§6 (and each element of §7): appGuid, userId and profileData required; status default enabled.

    ``prefix`` names the element a refusal is about in a bulk call (``[2].userId``).
    """
    app_guid = required_str(body, "appGuid", f"{prefix}appGuid")
    user_id = required_str(body, "userId", f"{prefix}userId")
    if body.get("profileData") is None:
        raise BadArgument(f"{prefix}profileData", None, "is required")
    return NewProfile(
        app_guid,
        user_id,
        require_object(f"{prefix}profileData", body["profileData"]),
        _event_data(body, prefix),
        login_data=_login_data(body, prefix),
        app_data=optional_object(body, "appData", f"{prefix}appData"),
        status=optional_choice(body, "status", PROFILE_STATUSES, f"{prefix}status") or "enabled",
    )


def add_profile(backend: UserProfileBackend, body: Body) -> Body:
    return backend.add(_new_profile(body))


def bulk_add_profiles(backend: UserProfileBackend, body: list[Any]) -> list[Body]:
    """§7: an array of ``add`` bodies, all for one app; the answer is one profile or one refusal
    per element, in order, with HTTP 200 even when some are refused.

    Refusing the whole call: a size outside 1..50 (``AMOUNT_OF_USERS_SENT_NOT_IN_ALLOWED_RANGE``), an
    element that is not a valid ``add`` body (400 naming it), mixed ``appGuid`` values
    (``NOT_YET_SUPPORTED``), the app not registered and enabled (``OBJECT_NOT_FOUND``).
    """
    if len(body) not in BULK_ADD_RANGE:
        raise ApiV3Failure(
            "AMOUNT_OF_USERS_SENT_NOT_IN_ALLOWED_RANGE",
            f"{len(body)} profiles sent; a call takes {BULK_ADD_RANGE.start} to {BULK_ADD_RANGE.stop - 1}",
        )
    items = [_new_profile(require_object(f"[{i}]", item), f"[{i}].") for i, item in enumerate(body)]
    guids = sorted({item.app_guid for item in items})
    if len(guids) > 1:
        raise ApiV3Failure("NOT_YET_SUPPORTED", f"bulkAdd takes one appGuid per call, got {guids}")
    return [
        exception_body(result.code, str(result)) if isinstance(result, ApiV3Failure) else result
        for result in backend.bulk_add(items)
    ]


def get_profile(backend: UserProfileBackend, body: Body) -> Body:
    return backend.get(required_str(body, "id"))


def update_profile(backend: UserProfileBackend, body: Body) -> Body:
    """§9: only the fields sent change."""
    profile_id = required_str(body, "id")
    changes: dict[str, Any] = {}
    if body.get("status") is not None:
        changes["status"] = optional_choice(body, "status", PROFILE_STATUSES)
    for key in ("profileData", "appData"):
        if body.get(key) is not None:
            changes[key] = require_object(key, body[key])
    if body.get("eventData") is not None:
        changes["eventData"] = _event_data(body)
    login = _login_data(body)
    if login is not None:
        changes["loginData"] = login
    return backend.update(profile_id, changes)


def delete_profile(backend: UserProfileBackend, body: Body) -> None:
    """§11: an empty body on success."""
    backend.delete(required_str(body, "id"))


def get_profile_by_filter(backend: UserProfileBackend, body: Body) -> Body | JsonNull:
    """§8.2: the filter fields of §10.1 at the top of the body; the first match as ``list`` orders
    it by default (oldest first), or JSON ``null``."""
    _, first = backend.list_profiles(profile_filter(body, prefix=""), ORDER_FIELDS["createdAt"], False, 0, 1)
    return first[0] if first else JSON_NULL


def first_attendance_per_app(backend: UserProfileBackend, body: Body) -> Body:
    """§12.2: ``fromDate`` and ``toDate`` (both optional, inclusive) bound ``firstAttendedStatusTime``;
    the answer is ``{appGuid: count}``."""
    return backend.first_attendance_per_app(optional_date(body, "fromDate"), optional_date(body, "toDate"))


def list_profiles(backend: UserProfileBackend, body: Body) -> Body:
    """§10: filters AND'd, skip-count offset, ``orderBy``, ``totalCount`` -1 when not asked for."""
    matches = profile_filter(optional_object(body, "filter"))
    skip, limit = pager_bounds(body, default_limit=DEFAULT_LIMIT, max_limit=None, offset_mode="skip")
    order_by = optional_str(body, "orderBy") or "createdAt"
    field = order_by.removeprefix("-")
    if field not in ORDER_FIELDS:
        raise BadArgument(
            "orderBy", order_by, f"expected one of {', '.join(ORDER_FIELDS)}, '-' for descending"
        )
    apps = optional_str_list(optional_object(body, "filter"), "appGuidIn", "filter.appGuidIn")
    total, objects = backend.list_profiles(
        matches, ORDER_FIELDS[field], order_by.startswith("-"), skip, limit, app_guids=apps
    )
    with_total = optional_bool(body, "includeTotalCount")
    return {"objects": objects, "totalCount": total if with_total is not False else -1}


def profile_filter(given: Body, prefix: str = "filter.") -> Callable[[Profile], bool]:
    """§10.1; ``regOriginIn`` wins over the deprecated ``regOrigin``. ``prefix`` is where the
    fields sit in the body, for the field a refusal names."""
    ids = optional_str_list(given, "idIn", f"{prefix}idIn")
    guids = optional_str_list(given, "appGuidIn", f"{prefix}appGuidIn")
    users = optional_str_list(given, "userIdIn", f"{prefix}userIdIn")
    user_keys = None if users is None else {user_key(u) for u in users}
    status = optional_choice(given, "status", PROFILE_STATUSES, f"{prefix}status")
    attendance = optional_choice(given, "attendanceStatus", ATTENDANCE_STATUSES, f"{prefix}attendanceStatus")
    previous = optional_choice(
        given, "previousAttendanceStatus", ATTENDANCE_STATUSES, f"{prefix}previousAttendanceStatus"
    )
    origins = optional_choices(given, "regOriginIn", REG_ORIGINS, f"{prefix}regOriginIn")
    if origins is None and given.get("regOrigin") is not None:
        origins = [optional_choice(given, "regOrigin", REG_ORIGINS, f"{prefix}regOrigin") or ""]
    exact = {
        key: optional_str(given, key, f"{prefix}{key}")
        for key in ("userRegistrationType", "attendanceType", "allowedAttendanceType")
    }
    created = (
        optional_date(given, "createdAtGreaterThanOrEqual", f"{prefix}createdAtGreaterThanOrEqual"),
        optional_date(given, "createdAtLessThanOrEqual", f"{prefix}createdAtLessThanOrEqual"),
    )
    updated = (
        optional_date(given, "updatedAtGreaterThanOrEqual", f"{prefix}updatedAtGreaterThanOrEqual"),
        optional_date(given, "updatedAtLessThanOrEqual", f"{prefix}updatedAtLessThanOrEqual"),
    )

    # Only the filters given are checked, the app first: a listing of one app's profiles among a
    # partner's tens of thousands must not weigh every filter (and copy every date) for each of them.
    checks: list[Callable[[Profile], bool]] = []
    if guids is not None:
        apps = set(guids)
        checks.append(lambda p: p.app_guid in apps)
    if ids is not None:
        checks.append(lambda p: p.id in ids)
    if user_keys is not None:
        checks.append(lambda p: p.user_key() in user_keys)
    if status is not None:
        checks.append(lambda p: p.status == status)
    if attendance is not None:
        checks.append(lambda p: p.attendance_status == attendance)
    if previous is not None:
        checks.append(lambda p: p.event_data.get("previousAttendanceStatus") == previous)
    if origins is not None:
        checks.append(lambda p: p.event_data.get("regOrigin") in origins)
    wanted = {key: value for key, value in exact.items() if value is not None}
    if wanted:
        checks.append(lambda p: all(p.event_data.get(key) == value for key, value in wanted.items()))
    if created != (None, None):
        checks.append(lambda p: within(p.created_at, *created))
    if updated != (None, None):
        checks.append(lambda p: within(p.updated_at, *updated))

    def matches(p: Profile) -> bool:
        return all(check(p) for check in checks)

    return matches


def event_data_stats(backend: UserProfileBackend, body: Body) -> Body:
    """§12.1: ``filter.appGuidIn`` and ``dimensions`` each need at least one value."""
    given = optional_object(body, "filter")
    guids = optional_str_list(given, "appGuidIn", "filter.appGuidIn")
    if not guids:
        raise BadArgument("filter.appGuidIn", guids, "at least one app GUID is required")
    dimensions = optional_choices(body, "dimensions", DIMENSIONS, "dimensions")
    if not dimensions:
        raise BadArgument("dimensions", dimensions, f"at least one of {', '.join(DIMENSIONS)} is required")
    statuses = optional_choices(given, "attendanceStatusIn", ATTENDANCE_STATUSES, "filter.attendanceStatusIn")
    origins = optional_choices(given, "regOriginIn", REG_ORIGINS, "filter.regOriginIn")

    def matches(p: Profile) -> bool:
        return (
            p.app_guid in guids
            and (statuses is None or p.attendance_status in statuses)
            and (origins is None or p.event_data.get("regOrigin") in origins)
        )

    results, total = backend.event_data_stats(matches, dimensions)
    return {"results": results, "sum": total}
