"""User Profile's control endpoint: people joining an event, as the platform would record it.

No source says whether the platform itself sets ``attended`` when someone
joins (reference README), so the emulator never does it on its own: a test
says who attended, with what status and when, through ``/_emulator/attendance``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute

from kaltura_events.emulator.control_requests import ControlError, backend_control_route
from kaltura_events.emulator.fields import require_date
from kaltura_events.emulator.services.app_registry.backend import AppRegistryBackend
from kaltura_events.emulator.services.events_platform.backend import EventsPlatformBackend
from kaltura_events.emulator.services.user_profile.backend import UserProfileBackend
from kaltura_events.emulator.services.user_profile.models import ATTENDANCE_STATUSES

MAX_EMAILS = 10_000


def attendance(backend: UserProfileBackend, body: dict[str, Any]) -> dict[str, Any]:
    """``{"eventId", "emails", "status", "at"?}``: mark these people of the event's app.

    Each person missing an API v3 user or a profile in the event's app gets
    one, as joining would make them; ``at`` (ISO 8601, default now) times the
    status change. Answers the app's GUID, each profile as rendered, and how
    many profiles were made.
    """
    event_id = body.get("eventId")
    if isinstance(event_id, bool) or not isinstance(event_id, int) or event_id < 1:
        raise ControlError(f"eventId={event_id!r}: an event id is a positive integer")
    emails = body.get("emails")
    if (
        not isinstance(emails, list)
        or not emails
        or len(emails) > MAX_EMAILS
        or not all(isinstance(e, str) and "@" in e and e == e.strip() for e in emails)
    ):
        raise ControlError(
            f"emails={emails!r}: a non-empty list (at most {MAX_EMAILS}) of emails, without edge spaces"
        )
    status = body.get("status")
    if status not in ATTENDANCE_STATUSES:
        raise ControlError(f"status={status!r}: expected one of {', '.join(ATTENDANCE_STATUSES)}")
    at = backend.platform.now() if body.get("at") is None else require_date("at", body["at"])
    app = backend.platform.backend(AppRegistryBackend).event_app(event_id)
    if app is None:
        raise ControlError(f"eventId={event_id!r}: no App Registry app has appCustomId {str(event_id)!r}")
    names = _invited_names(backend, event_id)
    return {"status": "ok", **backend.mark_attendance(app.id, list(emails), str(status), at, names)}


def _invited_names(backend: UserProfileBackend, event_id: int) -> dict[str, tuple[str, str]]:
    """The names the event's invitations carry, by lowercased email: whom joining makes a user for.

    Someone invited joins as the person the invitation named, so the user
    joining makes has that first and last name (what ``{recipient.firstName}``
    shows); someone not invited gets a user with no name.
    """
    platform = backend.platform.backend(EventsPlatformBackend)
    with backend.platform.locked():
        invited = list(platform.records.event_users.get(event_id, {}).values())
    return {user.email.lower(): (user.first_name, user.last_name) for user in invited}


def user_profile_control_routes(current: Callable[[], UserProfileBackend]) -> list[BaseRoute]:
    return [backend_control_route("attendance", attendance, current)]
