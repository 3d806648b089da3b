"""The one list of the emulator's services; every endpoint list is derived from it.

Adding a Kaltura service is a package under ``services/`` with its
declarations (``service.py``) and one line here.
"""

from __future__ import annotations

from typing import Any

from kaltura_events.emulator.control_requests import CONTROL_PREFIX
from kaltura_events.emulator.endpoints import Endpoint, Service
from kaltura_events.emulator.services.api_v3.service import API_V3
from kaltura_events.emulator.services.app_registry.service import APP_REGISTRY
from kaltura_events.emulator.services.events_platform.service import EVENTS_PLATFORM
from kaltura_events.emulator.services.messaging.service import MESSAGING
from kaltura_events.emulator.services.user_profile.service import USER_PROFILE

SERVICES: tuple[Service[Any], ...] = (EVENTS_PLATFORM, API_V3, APP_REGISTRY, USER_PROFILE, MESSAGING)

ENDPOINTS: tuple[Endpoint[Any], ...] = tuple(e for service in SERVICES for e in service.endpoints)
WRITE_ENDPOINTS = frozenset(endpoint.name for endpoint in ENDPOINTS if endpoint.writes)
"""What "writes" means, the same for fault rules and for stats."""
RULE_TARGETS = frozenset({"*", "writes", *(endpoint.name for endpoint in ENDPOINTS)})
"""What a fault rule may name, so a misspelt endpoint is refused instead of silently never firing."""

METRICS_PATH = "/metrics"


def classify(path: str) -> tuple[str, str]:
    """(family, endpoint) for a request path: family is a service's name, "metrics", "control" or "other"."""
    if path.startswith(CONTROL_PREFIX):
        return "control", path
    for service in SERVICES:
        if path.startswith(service.prefix):
            return service.name, service.endpoint_for(path)
    if path.rstrip("/") == METRICS_PATH:
        return "metrics", "metrics"
    return "other", path
