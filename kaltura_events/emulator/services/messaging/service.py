"""The Messaging service as the emulator serves it: the declaration of each endpoint it has.

Its guide's paths under ``/api/v1/`` (base URL ``https://messaging.nvp1.ovp.kaltura.com/api/v1``),
mounted at ``/messaging/api/v1/`` on the emulator's one port, as the App
Registry and User Profile are. Adding an endpoint is one line here and its handler.
"""

from __future__ import annotations

from kaltura_events.emulator.endpoints import Access, Endpoint, ErrorStyle, Service
from kaltura_events.emulator.microservice_route import CallerHandler, Handler, microservice_routes
from kaltura_events.emulator.services.messaging import handlers as h
from kaltura_events.emulator.services.messaging import message_handlers as messages
from kaltura_events.emulator.services.messaging.backend import SERVICE_NAME, MessagingBackend
from kaltura_events.emulator.services.messaging.control import messaging_control_routes

PREFIX = "/messaging/api/v1/"
MessagingHandler = Handler[MessagingBackend]
UserHandler = CallerHandler[MessagingBackend]


def _post(name: str, access: Access, handler: MessagingHandler) -> Endpoint[MessagingHandler]:
    return Endpoint(name, PREFIX + name, access, ErrorStyle.KALTURA_EXCEPTION, handler)


def _for_user(name: str, access: Access, handler: UserHandler) -> Endpoint[UserHandler]:
    return Endpoint(name, PREFIX + name, access, ErrorStyle.KALTURA_EXCEPTION, handler)


READ, WRITE = Access.READ, Access.WRITE

ENDPOINTS: tuple[Endpoint[MessagingHandler], ...] = (
    _post("email-template/add", WRITE, h.add_template),
    _post("email-template/get", READ, h.get_template),
    _post("email-template/update", WRITE, h.update_template),
    _post("email-template/list", READ, h.list_templates),
    _post("email-template/delete", WRITE, h.delete_template),
    _post("message/send", WRITE, messages.send),
    _post("message/list", READ, messages.list_messages),
    _post("message/listGroupedBySession", READ, messages.list_grouped_by_session),
    _post("message/stats", READ, messages.stats),
    _post("message/listDiscreteAggregateMessages", READ, messages.list_discrete),
    _post("unsubscribe-groups/list", READ, h.list_unsubscribe_groups),
    _post("unsubscribe-users/list", READ, h.list_unsubscribed_users),
    _post("unsubscribe-uri/add", WRITE, h.add_uri),
    _post("unsubscribe-uri/get", READ, h.get_uri),
    _post("unsubscribe-uri/update", WRITE, h.update_uri),
    _post("unsubscribe-uri/delete", WRITE, h.delete_uri),
    _post("unsubscribe-uri/list", READ, h.list_uris),
    _post("email-provider/add", WRITE, h.add_provider),
    _post("email-provider/list", READ, h.list_providers),
    _post("email-provider/lookup", READ, h.lookup_provider),
    _post("email-provider/emailProviderAssignment", WRITE, h.assign_provider),
    _post("email-provider/enable", WRITE, h.enable_provider),
    _post("email-provider/disable", WRITE, h.disable_provider),
    _post("email-provider/delete", WRITE, h.delete_provider),
)
USER_ENDPOINTS: tuple[Endpoint[UserHandler], ...] = (
    _for_user("unsubscribe-users/userGroupsStatus", READ, h.user_groups_status),
    _for_user("unsubscribe-users/syncGroups", WRITE, h.sync_groups),
)
"""§10.2, §10.3: "requires a user-scoped KS"; they act for the KS's user."""

MESSAGING: Service[MessagingBackend] = Service(
    name=SERVICE_NAME,
    prefix=PREFIX,
    endpoints=(*ENDPOINTS, *USER_ENDPOINTS),
    backend=MessagingBackend,
    routes=lambda current: microservice_routes(
        SERVICE_NAME,
        PREFIX,
        ENDPOINTS,
        current,
        lambda backend: backend.platform,
        user_endpoints=USER_ENDPOINTS,
    ),
    control_routes=messaging_control_routes,
    endpoint_for=lambda path: path[len(PREFIX) :].strip("/"),
)
