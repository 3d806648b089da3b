"""Attendance tasks: the App Registry look-up and the User Profile reads, one API call (or its pages) each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kaltura_events.api.attendance_models import App, ProfileRow, UserProfile
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.attendance import Invited, PeopleColumn
from tasks.api_task import api_task, when
from tasks.clients import app_registry_client, events_client, user_profile_client

APPS_PER_CALL = 15


@api_task(
    "find-event-apps",
    endpoint="app-registry/list",
    description="The App Registry apps of up to 15 events (appCustomIdIn), one call.",
    run_name=lambda p: "events " + ", ".join(str(i) for i in p["event_ids"]),
)
def find_event_apps(*, credentials: KalturaCredentials | None, event_ids: list[int]) -> dict[int, App]:
    """Each event's ``epmEvent`` app by event id; an event the registry does not know is absent."""
    apps = app_registry_client(credentials).list_apps([str(i) for i in event_ids])
    found: dict[int, App] = {}
    for app in apps:
        if app.app_custom_id is not None and app.app_custom_id.isdigit():
            found.setdefault(int(app.app_custom_id), app)
    return found


@api_task(
    "list-profiles",
    endpoint="user-profile/list",
    description="One event app's attendee profiles, every page inside the task.",
    run_name=lambda p: (
        f"event {p['event_id']}"
        + (f" updated since {when(p['updated_since'])}" if p.get("updated_since") else "")
    ),
)
def list_profiles(
    *,
    credentials: KalturaCredentials | None,
    event_id: int,
    app_guid: str,
    updated_since: datetime | None = None,
) -> list[UserProfile]:
    """``event_id`` only names the run; the profiles belong to ``app_guid``."""
    return user_profile_client(credentials).list_profiles([app_guid], updated_since=updated_since)


@dataclass(frozen=True)
class FoldedRead:
    """What a folded read leaves beside its column: how many profiles, and the newest ``updatedAt``."""

    read: int
    newest: datetime | None


@api_task(
    "fold-profiles",
    endpoint="user-profile/list",
    description="One event app's attendee profiles folded into the report's table as the pages arrive.",
    run_name=lambda p: (
        f"event {p['event_id']}"
        + (f" updated since {when(p['updated_since'])}" if p.get("updated_since") else "")
    ),
)
def fold_profiles(
    *,
    credentials: KalturaCredentials | None,
    event_id: int,
    app_guid: str,
    into: PeopleColumn,
    updated_since: datetime | None = None,
) -> FoldedRead:
    """``list_profiles`` for a report: each page folded into ``into`` (the event's column of the run's
    table), then let go; ``event_id`` only names the run."""
    newest: datetime | None = None

    def consume(rows: list[ProfileRow]) -> None:
        nonlocal newest
        into.fold_profiles(rows)
        for row in rows:
            if row.updated_at is not None and (newest is None or row.updated_at > newest):
                newest = row.updated_at

    read = user_profile_client(credentials).fold_profiles([app_guid], consume, updated_since=updated_since)
    return FoldedRead(read, newest)


@api_task(
    "fold-event-users",
    endpoint="event-users/list",
    description="One event's invited users folded into the names a report needs as the pages arrive.",
    run_name="event {event_id}",
)
def fold_event_users(*, credentials: KalturaCredentials | None, event_id: int, into: Invited) -> int:
    """How many users the event has; their names folded into ``into``, each page then let go."""
    return events_client(credentials).fold_event_users(event_id, into.fold)


@api_task(
    "count-attendance",
    endpoint="reports/eventDataStats",
    description="Profiles per attendance status for up to 15 event apps, one call.",
    run_name=lambda p: f"{len(p['app_guids'])} apps",
)
def count_attendance(
    *, credentials: KalturaCredentials | None, app_guids: list[str]
) -> dict[str, dict[str, int]]:
    """Complete counts whatever the run read: an incremental run's totals come from here."""
    return user_profile_client(credentials).event_data_stats(app_guids)
