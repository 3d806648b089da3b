"""The clients a task calls, each of whose HTTP attempts takes one of the run's request slots.

Credentials come as a Block or, when none is given, from the ``KALTURA_*`` variables.
"""

from __future__ import annotations

from kaltura_events.api.api_v3 import ApiV3Client
from kaltura_events.api.app_registry import AppRegistryClient
from kaltura_events.api.events import EventsClient
from kaltura_events.api.messaging import MessagingClient
from kaltura_events.api.user_profile import UserProfileClient
from kaltura_events.credentials import KalturaCredentials
from tasks.api_limit import api_slot


def resolve(credentials: KalturaCredentials | None) -> KalturaCredentials:
    """The Block given, or the same settings from ``KALTURA_*`` environment variables."""
    return credentials if credentials is not None else KalturaCredentials.from_env()


def events_client(credentials: KalturaCredentials | None) -> EventsClient:
    """The shared client whose every HTTP attempt takes one of this run's request slots."""
    return resolve(credentials).get_events_client(slot=api_slot)


def api_v3_client(credentials: KalturaCredentials | None) -> ApiV3Client:
    return resolve(credentials).get_api_v3_client(slot=api_slot)


def app_registry_client(credentials: KalturaCredentials | None) -> AppRegistryClient:
    return resolve(credentials).get_app_registry_client(slot=api_slot)


def user_profile_client(credentials: KalturaCredentials | None) -> UserProfileClient:
    return resolve(credentials).get_user_profile_client(slot=api_slot)


def messaging_client(credentials: KalturaCredentials | None) -> MessagingClient:
    return resolve(credentials).get_messaging_client(slot=api_slot)
