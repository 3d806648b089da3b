"""The Messaging service's records and their vocabularies (KALTURA_MESSAGING_API.md §3, §4, §7, §10, §11).

Each record renders itself the way the guide's entity tables name the fields;
the email provider's keys are never rendered (they are the partner's secrets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kaltura_events.emulator.dates import write_iso

STATUSES = ("enabled", "disabled", "deleted")
"""§3, §10.5, §11.1: templates, unsubscribe URIs and providers share these."""
TOKEN_TYPES = ("User", "String", "MagicLink", "Dynamic", "UnsubscribeUri", "JwtQrCode")
"""§4.1."""
DYNAMIC_AS = ("String", "MagicLink")
"""§4.1: a ``Dynamic`` token is resolved as String or MagicLink, by the value sent."""
USER_FIELDS = (
    "id",
    "partnerId",
    "externalId",
    "firstName",
    "lastName",
    "email",
    "fullName",
    "screenName",
    "dateOfBirth",
    "gender",
    "thumbnailUrl",
    "description",
    "title",
    "country",
    "company",
    "state",
    "city",
    "zip",
)
"""§4.2."""
RECIPIENT_IS_MESSAGE_USER = "Message.userId"
"""§6.1: a ``User`` token with this value resolves to each recipient."""
RECEIVER_TYPES = ("user", "group")
MESSAGE_TYPES = ("email",)
BULK_STATUSES = ("sending", "completed", "failed", "canceled")
"""§7.1."""
DISCRETE_STATUSES = ("sending", "processed", "delivered", "deferred", "dropped", "bounce", "error")
"""§7.2."""
DISPOSITIONS = ("attachment", "inline")
"""§6.3."""
PROVIDER_TYPES = ("sendGrid",)
RESIDENCIES = ("EU", "GLOBAL")
"""§11.1."""
DEFAULT_PROVIDER_PARTNER = 0
"""§11.4: the shared provider every partner falls back to is partner 0's."""


@dataclass
class Template:
    """§3: an email template of one App Registry app."""

    id: str
    app_guid: str
    fields: dict[str, Any]
    """The writable fields as sent (name, subject, body, msgParamsMap, ...), by their wire names."""
    created_at: datetime
    updated_at: datetime
    status: str = "enabled"
    version: int = 0

    @property
    def unsubscribe_groups(self) -> list[str]:
        return list(self.fields.get("unsubscribeGroups") or [])

    @property
    def admin_tags(self) -> str:
        return str(self.fields.get("adminTags") or "")


@dataclass
class Discrete:
    """§7.2: one recipient's message of a bulk send."""

    id: str
    bulk_id: str
    user_id: str
    created_at: datetime
    updated_at: datetime
    email: str | None = None
    status: str = "sending"
    settles_to: str = "delivered"
    """Its status once its bulk completes: ``bounce`` for an address a test marked bouncing."""
    error_enum: str | None = None
    error_description: str | None = None
    rendered: dict[str, Any] | None = None
    """What the recipient's email says (to, subject, body, ...); None when nothing was sent."""


@dataclass
class Bulk:
    """§6.1, §7.1: one ``message/send`` call."""

    id: str
    bulk_id: str
    app_guid: str
    template_id: str
    receiver_type: str
    user_ids: list[str]
    session: str | None
    admin_tags: str | None
    created_at: datetime
    updated_at: datetime
    settles_at: datetime
    status: str = "sending"
    recipients: list[Discrete] = field(default_factory=list)


@dataclass
class UnsubscribeUri:
    """§10.5."""

    id: str
    app_guid: str
    uri: str
    created_at: datetime
    updated_at: datetime
    status: str = "enabled"
    version: int = 0


@dataclass
class Provider:
    """§11.1; ``api_key`` and ``webhook_key`` are kept but never rendered."""

    id: str
    partner_id: int
    settings: dict[str, Any]
    """The non-secret fields as sent (type, domains, defaultSender, click tracking, residency)."""
    api_key: str
    webhook_key: str | None
    created_at: datetime
    updated_at: datetime
    status: str = "enabled"
    version: int = 0


@dataclass
class Assignment:
    """§11.5: the provider an app's messages go through."""

    id: str
    provider_id: str
    app_guid: str
    created_at: datetime
    updated_at: datetime
    version: int = 0


def _times(created: datetime, updated: datetime) -> dict[str, str]:
    return {"createdAt": write_iso(created), "updatedAt": write_iso(updated)}


def render_template(
    template: Template, partner_id: int, provider_id: str, tokens_used: int
) -> dict[str, Any]:
    return {
        "id": template.id,
        "partnerId": partner_id,
        "appGuid": template.app_guid,
        **template.fields,
        "status": template.status,
        "templateType": "email",
        "numberOfTokenUsed": tokens_used,
        "version": template.version,
        "emailProviderId": provider_id,
        **_times(template.created_at, template.updated_at),
    }


def render_bulk(bulk: Bulk, partner_id: int) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": bulk.id,
        "bulkId": bulk.bulk_id,
        "partnerId": partner_id,
        "appGuid": bulk.app_guid,
        "templateId": bulk.template_id,
        "type": "email",
        "receiverType": bulk.receiver_type,
        "userIds": list(bulk.user_ids),
        "status": bulk.status,
        "session": bulk.session,
        **_times(bulk.created_at, bulk.updated_at),
    }
    if bulk.admin_tags is not None:
        rendered["adminTags"] = bulk.admin_tags
    return rendered


def render_discrete(message: Discrete, bulk: Bulk, partner_id: int) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": message.id,
        "bulkId": bulk.bulk_id,
        "partnerId": partner_id,
        "appGuid": bulk.app_guid,
        "templateId": bulk.template_id,
        "session": bulk.session,
        "userId": message.user_id,
        "email": message.email,
        "status": message.status,
        **_times(message.created_at, message.updated_at),
    }
    if message.error_enum is not None:
        rendered["errorEnum"] = message.error_enum
        rendered["errorDescription"] = message.error_description
    return rendered


def render_uri(uri: UnsubscribeUri, partner_id: int) -> dict[str, Any]:
    return {
        "id": uri.id,
        "partnerId": partner_id,
        "appGuid": uri.app_guid,
        "uri": uri.uri,
        "status": uri.status,
        "version": uri.version,
        **_times(uri.created_at, uri.updated_at),
    }


def render_provider(provider: Provider) -> dict[str, Any]:
    """§11.1 without ``apiKey`` and ``sendgridWebhookKey``: secrets go in, they never come back out."""
    return {
        "id": provider.id,
        "partnerId": provider.partner_id,
        **provider.settings,
        "status": provider.status,
        "version": provider.version,
        **_times(provider.created_at, provider.updated_at),
    }


def render_assignment(assignment: Assignment, partner_id: int) -> dict[str, Any]:
    return {
        "id": assignment.id,
        "partnerId": partner_id,
        "emailProviderId": assignment.provider_id,
        "appGuid": assignment.app_guid,
        "version": assignment.version,
        **_times(assignment.created_at, assignment.updated_at),
    }
