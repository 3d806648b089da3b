"""API v3 as the emulator serves it: the declaration of each action this project uses.

Adding an action is one line here and its handler; faults, stats, the route
and the README's endpoint table all follow from this list.
"""

from __future__ import annotations

from kaltura_events.emulator.endpoints import Access, Endpoint, ErrorStyle, Service
from kaltura_events.emulator.services.api_v3.backend import SERVICE_NAME, ApiV3Backend
from kaltura_events.emulator.services.api_v3.category_handlers import (
    category_add,
    category_delete,
    category_get,
    category_list,
)
from kaltura_events.emulator.services.api_v3.control import api_v3_control_routes
from kaltura_events.emulator.services.api_v3.notification_handlers import SERVICE as TEMPLATES
from kaltura_events.emulator.services.api_v3.notification_handlers import (
    base_entry_get,
    list_templates,
    template_add,
    template_clone,
    template_delete,
    template_get,
    template_list,
    template_update,
    template_update_status,
)
from kaltura_events.emulator.services.api_v3.route import PREFIX, ActionTable, V3Handler, api_v3_routes
from kaltura_events.emulator.services.api_v3.session_handlers import (
    app_token_start_session,
    session_start,
    start_widget_session,
)
from kaltura_events.emulator.services.api_v3.user_handlers import user_add, user_get


def _action(name: str, access: Access, handler: V3Handler) -> Endpoint[V3Handler]:
    service, _, action = name.partition(".")
    return Endpoint(name, f"{PREFIX}{service}/action/{action}", access, ErrorStyle.API_V3_EXCEPTION, handler)


READ, WRITE = Access.READ, Access.WRITE

ENDPOINTS: tuple[Endpoint[V3Handler], ...] = (
    _action("session.start", READ, session_start),
    _action("session.startWidgetSession", READ, start_widget_session),
    _action("appToken.startSession", READ, app_token_start_session),
    _action("category.list", READ, category_list),
    _action("category.get", READ, category_get),
    _action("category.add", WRITE, category_add),
    _action("category.delete", WRITE, category_delete),
    _action(f"{TEMPLATES}.listTemplates", READ, list_templates),
    _action(f"{TEMPLATES}.list", READ, template_list),
    _action(f"{TEMPLATES}.get", READ, template_get),
    _action(f"{TEMPLATES}.add", WRITE, template_add),
    _action(f"{TEMPLATES}.clone", WRITE, template_clone),
    _action(f"{TEMPLATES}.update", WRITE, template_update),
    _action(f"{TEMPLATES}.updateStatus", WRITE, template_update_status),
    _action(f"{TEMPLATES}.delete", WRITE, template_delete),
    _action("baseEntry.get", READ, base_entry_get),
    _action("user.add", WRITE, user_add),
    _action("user.get", READ, user_get),
)
ACTIONS = ActionTable(ENDPOINTS)

API_V3: Service[ApiV3Backend] = Service(
    name=SERVICE_NAME,
    prefix=PREFIX,
    endpoints=ENDPOINTS,
    backend=ApiV3Backend,
    routes=lambda current: api_v3_routes(ACTIONS, current),
    control_routes=api_v3_control_routes,
    endpoint_for=ACTIONS.name_of_path,
)
