"""Notifications as Kaltura's server sends them, signed as it signs them, for the webhook tests."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from kaltura_events.webhooks.signature import ALGO_HEADER, SIGNATURE_HEADER, HashAlgo, sign

SECRET = "0123456789abcdef-admin-secret"
TOKEN = "test-token-0123456789abcdef"
PARTNER_ID = 4242


def entry_notification(
    job_id: int = 33578094492,
    *,
    status: int | str = 2,
    event_type: str = "3",
    entry_id: str = "1_abc123",
    root_entry_id: str | None = None,
    template: str = "MY_ENTRY_READY",
) -> dict[str, Any]:
    """A KalturaHttpNotification for an entry, shaped like Kaltura's (enum codes as strings).

    ``root_entry_id`` None is what Kaltura sends for an ordinary entry: the
    entry itself. A recording's root is the live entry (session) it recorded.
    """
    return {
        "object": {
            "objectType": "KalturaMediaEntry",
            "id": entry_id,
            "name": "All-hands recording",
            "partnerId": PARTNER_ID,
            "status": status,
            "rootEntryId": root_entry_id or entry_id,
            "recordedEntryId": "1_rec456",
            "downloadUrl": "https://cdn.example.com/p/4242/ks/SECRETISH/download",
        },
        "eventObjectType": "1",
        "eventType": event_type,
        "templateId": 26970222,
        "templateName": "Entry Ready Webhook",
        "templateSystemName": template,
        "eventNotificationJobId": job_id,
        "objectType": "KalturaHttpNotification",
    }


def json_body(notification: dict[str, Any]) -> bytes:
    return json.dumps(notification).encode()


def form_body(notification: dict[str, Any] | None, **fields: str) -> bytes:
    """The older templates' form encoding: ``data=<the notification JSON>`` (plus any other fields)."""
    values = dict(fields)
    if notification is not None:
        values["data"] = json.dumps(notification)
    return urlencode(values).encode()


FORM = "application/x-www-form-urlencoded"


def signed_headers(
    body: bytes,
    *,
    secret: str = SECRET,
    algo: HashAlgo = "sha256",
    header_algo: str | None = "sha256",
    content_type: str = "application/json",
) -> dict[str, str]:
    """The headers Kaltura sends: the signature, and the algorithm header unless ``header_algo`` is None."""
    headers = {SIGNATURE_HEADER: sign(secret, body, algo), "Content-Type": content_type}
    if header_algo is not None:
        headers[ALGO_HEADER] = header_algo
    return headers
