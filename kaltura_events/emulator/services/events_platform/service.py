"""The Events Platform API as the emulator serves it: the declaration of each endpoint.

The spec's paths (events-platform-openapi.yaml), every one a POST. Adding an
endpoint is one line here and its handler; faults, stats, the route and the
README's endpoint table all follow from this list.
"""

from __future__ import annotations

from kaltura_events.emulator.endpoints import Access, Endpoint, ErrorStyle, Service
from kaltura_events.emulator.services.events_platform import event_handlers as events
from kaltura_events.emulator.services.events_platform import people_handlers as people
from kaltura_events.emulator.services.events_platform.backend import EventsPlatformBackend
from kaltura_events.emulator.services.events_platform.control import events_platform_control_routes
from kaltura_events.emulator.services.events_platform.records import SERVICE_NAME
from kaltura_events.emulator.services.events_platform.route import (
    PREFIX,
    Handler,
    endpoint_of_path,
    events_platform_routes,
)


def _post(name: str, access: Access, handler: Handler) -> Endpoint[Handler]:
    return Endpoint(name, PREFIX + name, access, ErrorStyle.EVENTS_JSON, handler)


READ, WRITE = Access.READ, Access.WRITE

ENDPOINTS: tuple[Endpoint[Handler], ...] = (
    _post("events/create", WRITE, events.create_event),
    _post("events/update", WRITE, events.update_event),
    _post("events/delete", WRITE, events.delete_event),
    _post("events/list", READ, events.list_events),
    _post("events/duplicate", WRITE, events.duplicate_event),
    _post("events/duplicateStatus", READ, events.duplicate_status),
    _post("sessions/create", WRITE, events.create_session),
    _post("sessions/list", READ, events.list_sessions),
    _post("sessions/speakerList", READ, events.speaker_list),
    _post("team-members/create", WRITE, people.create_team_member),
    _post("team-members/update", WRITE, people.update_team_member),
    _post("team-members/delete", WRITE, people.delete_team_member),
    _post("team-members/list", READ, people.list_team_members),
    _post("event-users/invite", WRITE, people.invite_event_user),
    _post("event-users/list", READ, people.list_event_users),
    _post("event-users/update", WRITE, people.update_event_user),
    _post("event-users/delete", WRITE, people.delete_event_user),
    _post("session-participants/add", WRITE, people.add_participants),
    _post("session-participants/remove", WRITE, people.remove_participants),
    _post("session-participants/update", WRITE, people.update_participants),
    _post("session-participants/list", READ, people.list_participants),
)

EVENTS_PLATFORM: Service[EventsPlatformBackend] = Service(
    name=SERVICE_NAME,
    prefix=PREFIX,
    endpoints=ENDPOINTS,
    backend=EventsPlatformBackend,
    routes=lambda current: events_platform_routes(ENDPOINTS, current),
    control_routes=events_platform_control_routes,
    endpoint_for=endpoint_of_path,
)
