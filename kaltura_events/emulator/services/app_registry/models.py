"""The App Registry's record, and how it is rendered on the wire (KALTURA_APP_REGISTRY_API.md §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kaltura_events.emulator.dates import write_iso

APP_TYPES = (
    "kms",
    "kmc",
    "ep",
    "sites",
    "pitch",
    "test",
    "games",
    "empAccount",
    "epmEvent",
    "epmSystem",
    "mr",
    "kalturaServer",
)
"""§4.1."""
APP_STATUSES = ("enabled", "disabled")
ORGANIZATION_FIELD_MAX_CHARS = 255
"""§4.2, §11: ``organizationId`` and ``domain`` hold at most 255 characters each."""
EVENT_APP_TYPE = "epmEvent"
"""§4.1, §14: what the Events Platform registers for each virtual event."""


@dataclass
class App:
    id: str
    app_custom_id: str
    app_custom_name: str
    app_type: str
    created_at: datetime
    updated_at: datetime
    status: str = "enabled"
    version: int = 0
    organization_domain: dict[str, str] | None = None

    def domains(self) -> set[str]:
        return set() if self.organization_domain is None else split_domains(self.organization_domain)

    def organization_id(self) -> str | None:
        return None if self.organization_domain is None else self.organization_domain.get("organizationId")


@dataclass(frozen=True)
class AppChanges:
    """What an ``app-registry/update`` sets (§7); None leaves the field as it is."""

    app_custom_id: str | None = None
    app_custom_name: str | None = None
    app_type: str | None = None
    organization_domain: dict[str, str] | None = None


def split_domains(organization_domain: dict[str, str]) -> set[str]:
    """§4.2, §5: ``domain`` may list several, comma-separated, each checked on its own."""
    return {d for d in organization_domain.get("domain", "").split(",") if d}


def render_app(app: App, partner_id: int) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": app.id,
        "partnerId": partner_id,
        "appCustomId": app.app_custom_id,
        "appCustomName": app.app_custom_name,
        "appType": app.app_type,
        "status": app.status,
        "version": app.version,
        "createdAt": write_iso(app.created_at),
        "updatedAt": write_iso(app.updated_at),
        "objectType": "App",
    }
    if app.organization_domain is not None:
        rendered["organizationDomain"] = dict(app.organization_domain)
    return rendered
