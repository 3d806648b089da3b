"""The App Registry as the emulator serves it: the declaration of each endpoint it has.

Its guide's paths under ``/api/v1/``, mounted at ``/app-registry/api/v1/`` on
the emulator's one port (on Kaltura it has a host of its own). Adding an
endpoint is one line here and its handler.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from kaltura_events.emulator.endpoints import Access, Endpoint, ErrorStyle, Service
from kaltura_events.emulator.microservice_route import Handler, microservice_routes
from kaltura_events.emulator.services.app_registry import handlers as apps
from kaltura_events.emulator.services.app_registry.backend import SERVICE_NAME, AppRegistryBackend

PREFIX = "/app-registry/api/v1/"
AppHandler = Handler[AppRegistryBackend]


def _post(name: str, access: Access, handler: AppHandler) -> Endpoint[AppHandler]:
    return Endpoint(name, PREFIX + name, access, ErrorStyle.KALTURA_EXCEPTION, handler)


READ, WRITE = Access.READ, Access.WRITE

ENDPOINTS: tuple[Endpoint[AppHandler], ...] = (
    _post("app-registry/add", WRITE, apps.add_app),
    _post("app-registry/get", READ, apps.get_app),
    _post("app-registry/update", WRITE, apps.update_app),
    _post("app-registry/list", READ, apps.list_apps),
    _post("app-registry/findByOrganizationDomain", READ, apps.find_by_organization_domain),
    _post("app-registry/enable", WRITE, apps.enable_app),
    _post("app-registry/disable", WRITE, apps.disable_app),
    _post("app-registry/delete", WRITE, apps.delete_app),
)
ANY_KS = frozenset({"app-registry/list"})
"""§3: ``list`` also takes a KS with ANALYTICS_BASE (not modelled: any valid KS is let in)."""


def _no_control_routes(current: object) -> list[BaseRoute]:
    return []


APP_REGISTRY: Service[AppRegistryBackend] = Service(
    name=SERVICE_NAME,
    prefix=PREFIX,
    endpoints=ENDPOINTS,
    backend=AppRegistryBackend,
    routes=lambda current: microservice_routes(
        SERVICE_NAME, PREFIX, ENDPOINTS, current, lambda backend: backend.platform, any_ks=ANY_KS
    ),
    control_routes=_no_control_routes,
    endpoint_for=lambda path: path[len(PREFIX) :].strip("/"),
)
