"""A Kaltura HTTP notification, and the one Prefect event it becomes.

Kaltura's server (plugins/event_notification) POSTs a ``KalturaHttpNotification``
as JSON when the template's payload is an object (``object``,
``eventObjectType``, ``eventType``, ``eventNotificationJobId``, ``templateId``,
``templateName``, ``templateSystemName``); older templates send it form-encoded
as ``data=<the same JSON>``. Enum values arrive as strings or numbers (they
are dynamic enums), so codes are compared as strings.

Event type codes, from Kaltura's server and client libraries (the guide's table
is wrong): 2 OBJECT_ADDED, 3 OBJECT_CHANGED, 4 OBJECT_COPIED, 5 OBJECT_CREATED,
6 OBJECT_DATA_CHANGED, 7 OBJECT_DELETED, 8 OBJECT_ERASED (1 is
BATCH_JOB_STATUS, 9-13 the rarer save/update/replace/index events). Object
types: 1 ENTRY, 2 CATEGORY. Entry status: 2 READY, 3 DELETED (a deleted entry
is a status change). Category status: 3 DELETED, 4 PURGED.

The event name, first matching row wins:

=====================  ==================================================  ==============================
object type            condition                                           event
=====================  ==================================================  ==============================
ENTRY (1)              event type 7 or 8, or ``object.status`` 3           ``kaltura.entry.deleted``
ENTRY (1)              ``object.status`` 2 (READY)                         ``kaltura.entry.ready``
ENTRY (1)              event type 2 or 5                                   ``kaltura.entry.added``
ENTRY (1)              anything else                                       ``kaltura.entry.changed``
CATEGORY (2)           event type 7 or 8, or ``object.status`` 3 or 4      ``kaltura.category.deleted``
CATEGORY (2)           event type 2 or 5                                   ``kaltura.category.added``
CATEGORY (2)           anything else                                       ``kaltura.category.changed``
any other, or no id    -                                                   ``kaltura.notification.received``
=====================  ==================================================  ==============================

"ready" reads the status the notification carries: one notification cannot
say whether the entry *became* ready. Use a template that fires on a status
change (Entry Status Changed, or a READY condition); with "Entry Changed",
every edit of a ready entry is another ``kaltura.entry.ready``.

An entry's resource carries the label ``kaltura.entry.recording``, so a
deployment trigger can tell a recording from an ordinary upload without
starting a run to find out (triggers match labels, not payloads):

==========  ============================================================
``yes``     ``object.rootEntryId`` names another entry: a live session's
            recording (Kaltura sets a recording's root to its live entry;
            a clip's to its source)
``no``      ``rootEntryId`` is the entry itself: an ordinary upload, or
            a live entry (Kaltura reports an entry without a root as its
            own root, so every ordinary entry says so)
``unknown`` the object carries no ``rootEntryId`` (a template whose
            payload leaves it out): only ``baseEntry.get`` can tell
==========  ============================================================

``recordedEntryId`` is no test: it is the live entry's pointer to its
recording, so it marks the session, not the recording.

The event id is a UUID derived from the partner id and Kaltura's job id, so a
redelivery of the same notification is the same event; the receiver's
ledger (``ledger``) keeps a delivered one from being posted again.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs

EVENT_TYPES: dict[str, str] = {
    "1": "BATCH_JOB_STATUS",
    "2": "OBJECT_ADDED",
    "3": "OBJECT_CHANGED",
    "4": "OBJECT_COPIED",
    "5": "OBJECT_CREATED",
    "6": "OBJECT_DATA_CHANGED",
    "7": "OBJECT_DELETED",
    "8": "OBJECT_ERASED",
    "9": "OBJECT_READY_FOR_REPLACMENT",
    "10": "OBJECT_SAVED",
    "11": "OBJECT_UPDATED",
    "12": "OBJECT_REPLACED",
    "13": "OBJECT_READY_FOR_INDEX",
}
"""Kaltura's EventNotificationEventType codes (spelling of 9 is Kaltura's)."""
ENTRY, CATEGORY = "1", "2"
"""EventNotificationEventObjectType codes the receiver names events for."""
ADDED_TYPES = frozenset({"2", "5"})
DELETED_TYPES = frozenset({"7", "8"})
ENTRY_READY, ENTRY_DELETED = "2", "3"
CATEGORY_GONE = frozenset({"3", "4"})

EVENT_NAMESPACE = uuid.UUID("6b1f3c52-8f0e-5d7a-9c1e-4a2b7d0e9f31")
"""Fixed namespace of the uuid5 event ids; changing it would let every redelivery through once more."""

_SAFE_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
"""What an object id may look like to become part of a resource id (entry ids: ``0_abc123``)."""
_MAX_TEXT = 256
_MAX_FORM_FIELDS = 32


class NotificationError(ValueError):
    """The body is not a Kaltura notification; the text says why, without echoing the body."""


@dataclass(frozen=True)
class Notification:
    """The fields of a KalturaHttpNotification the receiver uses; ``object`` is the entry, category, ..."""

    job_id: int
    event_type: str | None = None
    event_object_type: str | None = None
    template_id: int | None = None
    template_name: str | None = None
    template_system_name: str | None = None
    object: Mapping[str, Any] = field(default_factory=dict)

    @property
    def object_id(self) -> str | None:
        """The object's id when it can name a resource (a plain, short id), else None."""
        value = self.object.get("id")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return None
        text = str(value)
        return text if _SAFE_ID.fullmatch(text) else None

    def describe(self) -> str:
        """What a log line may say: job id, template system name, object type and id; no payload."""
        return (
            f"job {self.job_id}, template {_short(self.template_system_name) or '-'}, "
            f"object type {_short(self.event_object_type) or '-'}, object {self.object_id or '-'}"
        )


def _short(value: Any) -> str | None:
    return None if value is None else str(value)[:_MAX_TEXT]


def _code(value: Any) -> str | None:
    """An enum code as a string: ``3`` and ``"3"`` are the same code."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, str)):
        return str(value).strip()[:64] or None
    raise NotificationError("an enum field is neither a number nor a string")


def _integer(name: str, value: Any, *, required: bool) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise NotificationError(f"{name} is missing or not an integer")
    try:
        number = int(value)
    except ValueError:
        raise NotificationError(f"{name} is not an integer") from None
    if number < 0:
        raise NotificationError(f"{name} is negative")
    return number


def _json_object(text: bytes | str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise NotificationError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise NotificationError("the body is not a JSON object")
    return data


def parse_notification(body: bytes, content_type: str | None) -> Notification:
    """The notification in ``body``: JSON, or a form whose ``data`` field holds the JSON.

    Raises NotificationError for anything else, which the receiver answers with
    400: Kaltura will retry it, but a body that is not a notification will not
    become one by being sent again.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(
                body.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=True,
                max_num_fields=_MAX_FORM_FIELDS,
            )
        except (UnicodeDecodeError, ValueError):
            raise NotificationError("the form body cannot be read") from None
        values = form.get("data")
        if not values or len(values) != 1:
            raise NotificationError("the form has no single 'data' field")
        data = _json_object(values[0])
    else:
        data = _json_object(body)
    job_id = _integer("eventNotificationJobId", data.get("eventNotificationJobId"), required=True)
    assert job_id is not None
    obj = data.get("object")
    if obj is not None and not isinstance(obj, dict):
        raise NotificationError("'object' is not a JSON object")
    return Notification(
        job_id=job_id,
        event_type=_code(data.get("eventType")),
        event_object_type=_code(data.get("eventObjectType")),
        template_id=_integer("templateId", data.get("templateId"), required=False),
        template_name=_short(data.get("templateName")),
        template_system_name=_short(data.get("templateSystemName")),
        object=obj or {},
    )


def event_name(notification: Notification) -> str:
    """The Prefect event name for a notification: the table in this module's docstring."""
    status = _code(notification.object.get("status"))
    kind, event_type = notification.event_object_type, notification.event_type
    if notification.object_id is None:
        return "kaltura.notification.received"
    if kind == ENTRY:
        if event_type in DELETED_TYPES or status == ENTRY_DELETED:
            return "kaltura.entry.deleted"
        if status == ENTRY_READY:
            return "kaltura.entry.ready"
        return "kaltura.entry.added" if event_type in ADDED_TYPES else "kaltura.entry.changed"
    if kind == CATEGORY:
        if event_type in DELETED_TYPES or status in CATEGORY_GONE:
            return "kaltura.category.deleted"
        return "kaltura.category.added" if event_type in ADDED_TYPES else "kaltura.category.changed"
    return "kaltura.notification.received"


RECORDING_LABEL = "kaltura.entry.recording"
"""The entry resource label a trigger matches to start runs only for recordings (table above)."""
Recording = Literal["yes", "no", "unknown"]


def recording(notification: Notification) -> Recording:
    """Whether the entry is a recording, by its ``rootEntryId`` alone (the table in the docstring)."""
    root = notification.object.get("rootEntryId")
    if isinstance(root, int) and not isinstance(root, bool):
        root = str(root)
    if not isinstance(root, str) or not root.strip():
        return "unknown"
    return "no" if root.strip() == notification.object_id else "yes"


def event_id(partner_id: int, job_id: int) -> uuid.UUID:
    """The same notification, delivered any number of times, is the same Prefect event."""
    return uuid.uuid5(EVENT_NAMESPACE, f"kaltura:{partner_id}:{job_id}")


_ENTRY_FIELDS = {
    "name": "name",
    "status": "status",
    "rootEntryId": "root_entry_id",
    "recordedEntryId": "recorded_entry_id",
}
_CATEGORY_FIELDS = {"name": "name", "status": "status", "fullName": "full_name", "parentId": "parent_id"}


def _small(obj: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """The few scalar fields named, texts cut short: an event is not a copy of the object."""
    out: dict[str, Any] = {}
    for source, target in fields.items():
        value = obj.get(source)
        if isinstance(value, str):
            if value:
                out[target] = value[:_MAX_TEXT]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[target] = value
    return out


def to_prefect_event(notification: Notification, *, partner_id: int, occurred: datetime) -> dict[str, Any]:
    """The Prefect event (the JSON ``POST /api/events`` takes) for one verified notification.

    Resource ``kaltura.entry.<id>`` (labelled ``kaltura.entry.recording``) /
    ``kaltura.category.<id>`` (or ``kaltura.notification.<job id>`` when the
    object is neither, or has no usable id); related: the partner and the
    notification template. The payload holds ids, name, status and the
    template's system name: no secret, and not the whole object (Kaltura's
    objects carry download URLs and user ids that have no business in the
    event log).
    """
    name = event_name(notification)
    kind = name.split(".")[1]
    obj = notification.object
    payload: dict[str, Any] = {
        "job_id": notification.job_id,
        "partner_id": partner_id,
        "event_type": EVENT_TYPES.get(notification.event_type or "", notification.event_type),
        "event_object_type": notification.event_object_type,
        "template_system_name": notification.template_system_name,
    }
    resource: dict[str, str]
    if kind in ("entry", "category"):
        object_id = notification.object_id
        assert object_id is not None
        payload[f"{kind}_id"] = object_id
        payload.update(_small(obj, _ENTRY_FIELDS if kind == "entry" else _CATEGORY_FIELDS))
        resource = {"prefect.resource.id": f"kaltura.{kind}.{object_id}"}
        if "name" in payload:
            resource["prefect.resource.name"] = payload["name"]
        if kind == "entry":
            resource[RECORDING_LABEL] = recording(notification)
    else:
        resource = {"prefect.resource.id": f"kaltura.notification.{notification.job_id}"}
        if notification.object_id is not None:
            payload["object_id"] = notification.object_id
        if isinstance(obj.get("objectType"), str):
            payload["object_api_type"] = obj["objectType"][:_MAX_TEXT]
    related = [{"prefect.resource.id": f"kaltura.partner.{partner_id}", "prefect.resource.role": "partner"}]
    if notification.template_id is not None:
        template = {
            "prefect.resource.id": f"kaltura.notification-template.{notification.template_id}",
            "prefect.resource.role": "notification-template",
        }
        if notification.template_system_name:
            template["prefect.resource.name"] = notification.template_system_name
        related.append(template)
    return {
        "id": str(event_id(partner_id, notification.job_id)),
        "occurred": occurred.isoformat(),
        "event": name,
        "resource": resource,
        "related": related,
        "payload": {key: value for key, value in payload.items() if value is not None},
    }
