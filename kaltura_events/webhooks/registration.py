"""Registering our HTTP notification templates with Kaltura, idempotently.

Kaltura notifies about entries, not virtual events (reference README), so
what a run can follow is a session's recording. We clone two system templates:

- ``HTTP_ENTRY_STATUS_EQUALS`` (the guide's "Entry Status Equals", entry
  reaches READY) as ``KALTURA_EVENTS_ENTRY_READY``: a session's recording is ready;
- ``HTTP_RECORDED_ENTRY_CONTENT_REPLACED`` as
  ``KALTURA_EVENTS_RECORDING_REPLACED``: a recording got new content (re-recorded).

Not "Entry Status Changed" or "Entry Changed": they would also fire on
every other transition and edit, and a receiver only wants the two moments
above. Our copies are known by the ``KALTURA_EVENTS_`` systemName prefix;
``remove`` deletes only those, so a partner's own templates are never touched.

Plan -> observe -> diff -> apply: one ``list`` shows what exists; a second
run with the same settings makes no write. The receiver URL may carry a path
token, so it is shown as ``scheme://host/…`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kaltura_events.api.api_v3 import ApiV3Client, HttpTemplateSettings, TemplateFilter
from kaltura_events.api.errors import KalturaError
from kaltura_events.api.models import HASH_ALGO_CODES, TEMPLATE_ACTIVE, NotificationTemplate
from kaltura_events.api.validation import masked_url, require_receiver_url

OURS = "KALTURA_EVENTS_"
"""The systemName prefix that marks a template as ours."""
DESCRIPTION = "Managed by kaltura-events (`kaltura-events webhooks register`); removed by `webhooks remove`."
JSON_OBJECT_DATA = "KalturaHttpNotificationObjectData"
POST = 2
DEFAULT_HASH_ALGO = "sha256"

Action = Literal["created", "updated", "unchanged", "deleted"]


@dataclass(frozen=True)
class Subscription:
    source_system_name: str
    system_name: str
    name: str


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("HTTP_ENTRY_STATUS_EQUALS", f"{OURS}ENTRY_READY", "kaltura-events: recording ready"),
    Subscription(
        "HTTP_RECORDED_ENTRY_CONTENT_REPLACED",
        f"{OURS}RECORDING_REPLACED",
        "kaltura-events: recording replaced",
    ),
)


class RegistrationError(KalturaError):
    """Kaltura lacks a system template we clone (the account's notification plugin may be off)."""


@dataclass(frozen=True)
class Outcome:
    """One template and what happened to it; safe to print (the URL is masked)."""

    system_name: str
    template_id: int
    action: Action
    status: int
    url: str
    hash_algo: str

    def line(self) -> str:
        state = "active" if self.status == TEMPLATE_ACTIVE else "disabled"
        return (
            f"{self.system_name} (id {self.template_id}): {self.action}, {state}, "
            f"POST {self.url} {self.hash_algo}"
        )


def _outcome(template: NotificationTemplate, action: Action) -> Outcome:
    return Outcome(
        template.system_name,
        template.id,
        action,
        template.status,
        masked_url(template.url) if template.url else "(no URL)",
        template.hash_algo,
    )


def our_templates(client: ApiV3Client) -> list[NotificationTemplate]:
    """The partner's templates that carry our mark, by id."""
    found = client.list_templates(TemplateFilter(order_by="+id"))
    return [t for t in found if t.system_name.startswith(OURS)]


def _desired(subscription: Subscription, url: str, hash_algo: str) -> HttpTemplateSettings:
    return HttpTemplateSettings(
        name=subscription.name,
        system_name=subscription.system_name,
        description=DESCRIPTION,
        url=url,
        method="POST",
        hash_algo=hash_algo,
        json_payload=True,
    )


def _differences(
    existing: NotificationTemplate, desired: HttpTemplateSettings
) -> HttpTemplateSettings | None:
    """Only the fields that differ, or None when the template already says what we want."""
    data = existing.data or {}
    json_ok = data.get("objectType") == JSON_OBJECT_DATA and str(data.get("format", "")) == "1"
    changes = HttpTemplateSettings(
        name=desired.name if existing.name != desired.name else None,
        description=desired.description if existing.description != desired.description else None,
        url=desired.url if existing.url != desired.url else None,
        method="POST" if existing.method != POST else None,
        hash_algo=(
            desired.hash_algo
            if desired.hash_algo is not None
            and existing.secure_hashing_algo != HASH_ALGO_CODES[desired.hash_algo]
            else None
        ),
        json_payload=True if not json_ok else None,
    )
    return None if changes == HttpTemplateSettings() else changes


def register(client: ApiV3Client, url: str, hash_algo: str = DEFAULT_HASH_ALGO) -> list[Outcome]:
    """Make our templates exist, point at ``url``, sign with ``hash_algo`` and be active."""
    require_receiver_url("url", url)
    if hash_algo not in HASH_ALGO_CODES:
        raise RegistrationError(f"hash_algo={hash_algo!r}: expected one of {', '.join(HASH_ALGO_CODES)}")
    ours = {t.system_name: t for t in our_templates(client)}
    sources: dict[str, NotificationTemplate] | None = None
    outcomes: list[Outcome] = []
    for subscription in SUBSCRIPTIONS:
        desired = _desired(subscription, url, hash_algo)
        existing = ours.get(subscription.system_name)
        if existing is None:
            if sources is None:
                sources = {t.system_name: t for t in client.list_system_templates()}
            source = sources.get(subscription.source_system_name)
            if source is None:
                raise RegistrationError(
                    f"no system template {subscription.source_system_name!r} to clone; is the account's "
                    "event notification plugin enabled?"
                )
            cloned = client.clone_template(source.id, desired)
            outcomes.append(_outcome(client.update_template_status(cloned.id, TEMPLATE_ACTIVE), "created"))
            continue
        template = existing
        action: Action = "unchanged"
        changes = _differences(existing, desired)
        if changes is not None:
            template, action = client.update_template(existing.id, changes), "updated"
        if not template.active:
            template, action = client.update_template_status(existing.id, TEMPLATE_ACTIVE), "updated"
        outcomes.append(_outcome(template, action))
    return outcomes


def list_ours(client: ApiV3Client) -> list[Outcome]:
    return [_outcome(t, "unchanged") for t in our_templates(client)]


def remove(client: ApiV3Client) -> list[Outcome]:
    """Delete every template with our mark, and nothing else."""
    removed = []
    for template in our_templates(client):
        client.delete_template(template.id)
        removed.append(_outcome(template, "deleted"))
    return removed
