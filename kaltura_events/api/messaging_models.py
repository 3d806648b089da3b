"""Typed views of the Messaging service's answers: templates, sends, unsubscribes and providers.

Field names are the guide's (KALTURA_MESSAGING_API.md §3, §6.1, §11.1) in
snake case. As everywhere here, unknown fields are ignored and a missing or
mistyped needed field is read as ``UnexpectedResponseError``. The provider's
``apiKey`` and ``sendgridWebhookKey`` are secrets and have no field: they are
never kept even if a service sent them back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from kaltura_events.api.models import ApiModel, Page


def _blank_to_none(value: Any) -> Any:
    return None if value in ("", None) else value


def _null_to_empty_list(value: Any) -> Any:
    return [] if value is None else value


def _null_to_empty_map(value: Any) -> Any:
    return {} if value is None else value


class EmailTemplate(ApiModel):
    """One email template of one app (§3); ``msg_params_map`` is token name -> ``{"type": ...}``."""

    id: str
    app_guid: str
    name: str
    subject: str = ""
    body: str = ""
    to_attribute_path: str = ""
    msg_params_map: dict[str, dict[str, Any]] = Field(default_factory=dict)
    description: str | None = None
    from_address: str | None = Field(default=None, alias="from")
    from_name: str | None = None
    cc: str | None = None
    bcc: str | None = None
    unsubscribe_groups: list[str] = Field(default_factory=list)
    status: str = "enabled"
    admin_tags: str | None = None
    custom_headers: dict[str, str] = Field(default_factory=dict)
    version: int = 0
    email_provider_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    _blank_dates = field_validator("created_at", "updated_at", mode="before")(_blank_to_none)
    _null_lists = field_validator("unsubscribe_groups", mode="before")(_null_to_empty_list)
    _null_maps = field_validator("msg_params_map", "custom_headers", mode="before")(_null_to_empty_map)

    @property
    def enabled(self) -> bool:
        return self.status == "enabled"


class EmailTemplatePage(Page):
    objects: list[EmailTemplate]


class BulkMessage(ApiModel):
    """One ``message/send`` (§6.1, §7.1): ``bulk_id`` is what stats and lists are asked by.

    ``user_ids`` is empty when the service does not echo the recipients (§6.1's
    example does not); ``status`` moves from ``sending`` to ``completed``,
    ``failed`` or ``canceled``.
    """

    id: str
    bulk_id: str
    app_guid: str
    template_id: str
    status: str
    session: str | None = None
    receiver_type: str = "user"
    user_ids: list[str] = Field(default_factory=list)
    admin_tags: str | None = None
    error_enum: str | None = None
    error_description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    _blank_dates = field_validator("created_at", "updated_at", mode="before")(_blank_to_none)
    _null_lists = field_validator("user_ids", mode="before")(_null_to_empty_list)


class BulkMessagePage(Page):
    objects: list[BulkMessage]


class DiscreteMessage(ApiModel):
    """One recipient's email of a send (§7.2, §8.4): whom a session reached, and how it went.

    The guide states the filters of ``message/listDiscreteAggregateMessages``
    but not its fields; ``userId``, ``bulkId`` and ``status`` are what a
    caller needs, the rest is kept when given.
    """

    id: str
    bulk_id: str
    user_id: str
    status: str
    session: str | None = None
    app_guid: str | None = None
    email: str | None = None
    error_enum: str | None = None
    error_description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    _blank = field_validator("email", "created_at", "updated_at", mode="before")(_blank_to_none)


class DiscreteMessagePage(Page):
    objects: list[DiscreteMessage]


class UnsubscribedUser(ApiModel):
    """One user and the unsubscribe groups they left (§10.2, §10.4; the guide shows no answer, this is
    the shape the emulator answers and ``userGroupsStatus`` shares)."""

    user_id: str
    unsubscribed: list[str] = Field(default_factory=list)

    _null_lists = field_validator("unsubscribed", mode="before")(_null_to_empty_list)


class UnsubscribedUserPage(Page):
    objects: list[UnsubscribedUser]


class EmailProvider(ApiModel):
    """The provider a send of an app would use (§11.1, §11.4); partner 0 is Kaltura's shared default."""

    id: str
    partner_id: int | None = None
    type: str
    domains: list[str] = Field(default_factory=list)
    default_sender: str | None = None
    status: str = "enabled"
    override_residency: str | None = None
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    _blank_dates = field_validator("created_at", "updated_at", mode="before")(_blank_to_none)
    _null_lists = field_validator("domains", mode="before")(_null_to_empty_list)
