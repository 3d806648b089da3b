"""The Events Platform's control endpoints: custom templates and bulk events for tests (``/_emulator/*``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.routing import BaseRoute

from kaltura_events.emulator.control_requests import ControlError, backend_control_route, int_field
from kaltura_events.emulator.fields import require_date, require_zone
from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend
from kaltura_events.emulator.services.events_platform.backend import EventsPlatformBackend
from kaltura_events.emulator.services.events_platform.catalog import SESSION_TYPES

_CUSTOM_TEMPLATE = re.compile(r"^[0-9a-f]{24}$")
MAX_BULK_EVENTS = 200_000


def templates(backend: EventsPlatformBackend, body: dict[str, Any]) -> dict[str, Any]:
    """Register a custom (24-hex) template and the session types it adds."""
    template_id = body.get("id")
    if not isinstance(template_id, str) or not _CUSTOM_TEMPLATE.match(template_id):
        raise ControlError("id must be a 24-hex custom template id")
    sessions = body.get("sessions", [])
    if not isinstance(sessions, list) or any(kind not in SESSION_TYPES for kind in sessions):
        raise ControlError(f"sessions must be a list of {', '.join(SESSION_TYPES)}")
    name = body.get("name", "Custom template")
    if not isinstance(name, str):
        raise ControlError("name must be a string")
    return backend.events.add_template(template_id, tuple(sessions), name)


def bulk_events(backend: EventsPlatformBackend, body: dict[str, Any]) -> dict[str, Any]:
    """Insert many events at once, without categories or template sessions (scale tests)."""
    count = int_field(body, "count")
    if count is None or not 0 <= count <= MAX_BULK_EVENTS:
        raise ControlError(f"count must be an integer from 0 to {MAX_BULK_EVENTS}")
    labels = body.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise ControlError("labels must be a list of strings")
    prefix = body.get("namePrefix", "Bulk event")
    if not isinstance(prefix, str) or not prefix:
        raise ControlError("namePrefix must be a non-empty string")
    interval = int_field(body, "intervalMinutes", 60) or 0
    duration = int_field(body, "durationMinutes", 60) or 60
    events = backend.events
    start = (
        require_date("startDate", body["startDate"])
        if body.get("startDate") is not None
        else events.now().replace(microsecond=0) + timedelta(days=30)
    )
    result = events.bulk_events(
        count=count,
        name_prefix=prefix,
        start=start,
        interval=timedelta(minutes=interval),
        duration=timedelta(minutes=duration),
        labels=labels,
        template_id=str(body.get("templateId", "tm0000")),
        timezone_name=require_zone("timezone", body.get("timezone", "UTC")),
    )
    return {"status": "ok", **result}


def recordings(backend: EventsPlatformBackend, body: dict[str, Any]) -> dict[str, Any]:
    """Kaltura finished recording a session: its recording entry becomes READY (made if missing).

    The entry change ("entry.ready", or "entry.content_replaced" when the
    recording was READY already) goes on the change feed like any committed
    write, so the notification dispatcher sends what the partner's templates ask for.
    """
    session_id = body.get("sessionId")
    if not isinstance(session_id, str) or not session_id:
        raise ControlError("sessionId must be a non-empty string (a session's entry id)")
    entry_id = body.get("entryId")
    if entry_id is not None and (not isinstance(entry_id, str) or not entry_id):
        raise ControlError("entryId must be a non-empty string when given")
    with backend.platform.locked():
        session = next(
            (found for sessions in backend.records.sessions.values() if (found := sessions.get(session_id))),
            None,
        )
        if session is None:
            raise ControlError(f"sessionId {session_id!r} names no session")
        entry = backend.platform.backend(ApiV3Backend).finish_recording(session.id, session.name, entry_id)
    return {"status": "ok", "entry": entry}


def events_platform_control_routes(current: Callable[[], EventsPlatformBackend]) -> list[BaseRoute]:
    return [
        backend_control_route("templates", templates, current),
        backend_control_route("bulk-events", bulk_events, current),
        backend_control_route("recordings", recordings, current),
    ]
