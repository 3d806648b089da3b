"""The endpoint names used by faults and stats, and which of them change state.

One catalogue, so a fault rule naming a misspelt endpoint is refused instead
of silently never firing, and "writes" means the same thing in faults and stats.
"""

from __future__ import annotations

EVENTS_PREFIX = "/api/v1/"
API_V3_PREFIX = "/api_v3/service/"
CONTROL_PREFIX = "/_emulator"

EVENTS_ENDPOINTS = (
    "events/create",
    "events/update",
    "events/delete",
    "events/list",
    "events/duplicate",
    "events/duplicateStatus",
    "sessions/create",
    "sessions/list",
    "sessions/speakerList",
    "team-members/create",
    "team-members/update",
    "team-members/delete",
    "team-members/list",
    "event-users/invite",
    "event-users/list",
    "event-users/update",
    "event-users/delete",
    "session-participants/add",
    "session-participants/remove",
    "session-participants/update",
    "session-participants/list",
)
API_V3_ENDPOINTS = (
    "session.start",
    "session.startWidgetSession",
    "appToken.startSession",
    "category.list",
    "category.get",
    "category.add",
    "category.delete",
)
WRITE_ENDPOINTS = frozenset(
    {
        "events/create",
        "events/update",
        "events/delete",
        "events/duplicate",
        "sessions/create",
        "team-members/create",
        "team-members/update",
        "team-members/delete",
        "event-users/invite",
        "event-users/update",
        "event-users/delete",
        "session-participants/add",
        "session-participants/remove",
        "session-participants/update",
        "category.add",
        "category.delete",
    }
)
RULE_TARGETS = frozenset({"*", "writes", *EVENTS_ENDPOINTS, *API_V3_ENDPOINTS})

_V3_CANONICAL = {name.lower(): name for name in API_V3_ENDPOINTS}


def api_v3_endpoint(service: str, action: str) -> str:
    """API v3 names are case-insensitive ("apptoken" is "appToken"); stats use one spelling."""
    raw = f"{service}.{action}"
    return _V3_CANONICAL.get(raw.lower(), raw)


def classify(path: str) -> tuple[str, str]:
    """(family, endpoint) for a request path; family is "events", "v3", "metrics", "control" or "other"."""
    if path.startswith(CONTROL_PREFIX):
        return "control", path
    if path.startswith(EVENTS_PREFIX):
        return "events", path[len(EVENTS_PREFIX) :].strip("/")
    if path.startswith(API_V3_PREFIX):
        parts = path[len(API_V3_PREFIX) :].strip("/").split("/")
        if len(parts) == 3 and parts[1] == "action":
            return "v3", api_v3_endpoint(parts[0], parts[2])
        return "v3", path
    if path.rstrip("/") == "/metrics":
        return "metrics", "metrics"
    return "other", path
