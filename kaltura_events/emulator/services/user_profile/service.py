"""User Profile as the emulator serves it: the declaration of each endpoint it has.

Its guide's paths under ``/api/v1/``, mounted at ``/user-profile/api/v1/`` on
the emulator's one port (on Kaltura it has a host of its own). Adding an
endpoint is one line here and its handler.
"""

from __future__ import annotations

from kaltura_events.emulator.endpoints import Access, Endpoint, ErrorStyle, Service
from kaltura_events.emulator.microservice_route import Handler, microservice_routes
from kaltura_events.emulator.services.user_profile import handlers as profiles
from kaltura_events.emulator.services.user_profile.backend import SERVICE_NAME, UserProfileBackend
from kaltura_events.emulator.services.user_profile.control import user_profile_control_routes

PREFIX = "/user-profile/api/v1/"
ProfileHandler = Handler[UserProfileBackend]


def _post(name: str, access: Access, handler: ProfileHandler) -> Endpoint[ProfileHandler]:
    return Endpoint(name, PREFIX + name, access, ErrorStyle.KALTURA_EXCEPTION, handler)


READ, WRITE = Access.READ, Access.WRITE

ENDPOINTS: tuple[Endpoint[ProfileHandler], ...] = (
    _post("user-profile/add", WRITE, profiles.add_profile),
    _post("user-profile/bulkAdd", WRITE, profiles.bulk_add_profiles),
    _post("user-profile/get", READ, profiles.get_profile),
    _post("user-profile/getByFilter", READ, profiles.get_profile_by_filter),
    _post("user-profile/update", WRITE, profiles.update_profile),
    _post("user-profile/delete", WRITE, profiles.delete_profile),
    _post("user-profile/list", READ, profiles.list_profiles),
    _post("user-profile/firstAttendanceStatusPerApp", READ, profiles.first_attendance_per_app),
    _post("reports/eventDataStats", READ, profiles.event_data_stats),
)
ARRAY_BODIES = frozenset({"user-profile/bulkAdd"})
"""§7: ``bulkAdd``'s body is a JSON array of ``add`` bodies."""
ANY_KS = frozenset({"reports/eventDataStats"})
"""§2, §12.1: reports take ANALYTICS_BASE or EP_USER_ANALYTICS (not modelled: any valid KS is let in)."""

USER_PROFILE: Service[UserProfileBackend] = Service(
    name=SERVICE_NAME,
    prefix=PREFIX,
    endpoints=ENDPOINTS,
    backend=UserProfileBackend,
    routes=lambda current: microservice_routes(
        SERVICE_NAME,
        PREFIX,
        ENDPOINTS,
        current,
        lambda backend: backend.platform,
        any_ks=ANY_KS,
        array_bodies=ARRAY_BODIES,
    ),
    control_routes=user_profile_control_routes,
    endpoint_for=lambda path: path[len(PREFIX) :].strip("/"),
)
