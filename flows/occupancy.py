"""Who is on events a run might delete: their users beyond the plan, and their attendance.

Read only for events in question (duplicates, prunes), never on a converged
run: each event's users (``event-users/list``, at once), and attendance from
User Profile through the App Registry, as the attendance report reads it
(one ``app-registry/list`` per 15 events, one ``reports/eventDataStats`` per
15 apps). An event the registry has no app for has no profiles, so no
attendance to lose. A read that fails raises: a run that cannot see who is on
an event deletes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import partial

from flows.people import SessionSpeakers, wanted_people
from flows.units import in_parallel
from kaltura_events.api.models import Event
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.attendance import ATTENDED
from kaltura_events.planning.audience import ResolvedAudience
from kaltura_events.planning.duplicates import Occupancy, occupancy_of
from kaltura_events.planning.speakers import batches
from tasks.attendance import APPS_PER_CALL, count_attendance, find_event_apps
from tasks.speakers import list_event_users


def planned_emails(audience: ResolvedAudience | None, sessions: Sequence[SessionSpeakers]) -> frozenset[str]:
    """The people a run invites itself (audience and speakers), as the occupancy compares them."""
    return frozenset(wanted_people(audience, sessions))


def read_occupancy(
    credentials: KalturaCredentials | None, planned: Mapping[int, Collection[str]]
) -> dict[int, Occupancy]:
    """``planned``: each event id and the emails its plan invites; answers by event id."""
    ids = sorted(planned)
    if not ids:
        return {}
    users = in_parallel([partial(list_event_users, credentials=credentials, event_id=i) for i in ids])
    attended = _attended(credentials, ids)
    return {
        event_id: occupancy_of(found, planned[event_id], attended.get(event_id, 0))
        for event_id, found in zip(ids, users, strict=True)
    }


def _attended(credentials: KalturaCredentials | None, event_ids: Sequence[int]) -> dict[int, int]:
    pages = in_parallel(
        [
            partial(find_event_apps, credentials=credentials, event_ids=list(chunk))
            for chunk in batches(event_ids, APPS_PER_CALL)
        ]
    )
    apps = {event_id: app for page in pages for event_id, app in page.items()}
    by_guid = {app.id: event_id for event_id, app in apps.items()}
    counts = in_parallel(
        [
            partial(count_attendance, credentials=credentials, app_guids=list(chunk))
            for chunk in batches(sorted(by_guid), APPS_PER_CALL)
        ]
    )
    return {
        by_guid[guid]: sum(n for status, n in statuses.items() if status in ATTENDED)
        for page in counts
        for guid, statuses in page.items()
        if guid in by_guid
    }


def events_planned_people(
    events: Sequence[Event], audience: ResolvedAudience | None, sessions: Sequence[SessionSpeakers]
) -> dict[int, frozenset[str]]:
    """The same planned people for each of ``events``: one occurrence's, or the series' for prunes."""
    emails = planned_emails(audience, sessions)
    return {event.id: emails for event in events}
