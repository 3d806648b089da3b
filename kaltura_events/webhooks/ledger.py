"""Which notifications the receiver has delivered, kept by the Prefect server as one Variable each.

Kaltura's signature has no timestamp and no nonce, so a captured request
stays valid forever. The event id derived from the job id is not enough:
Prefect drops a repeated id only inside a trigger's in-memory window, so a
replay after that window, or after a server restart, started the encore run
again. The record must outlive both processes and be exact when two
identical requests arrive at once; the server's own database gives both:
a Variable created under a name that exists is refused with 409 by a
unique index, so of two concurrent claims exactly one wins. (Looking the
event up in the event store first would not be exact: events are written
in batches a few seconds after they are accepted, and expire.)

One Variable per notification, ``kaltura-notification-<partner>-<job>``,
tagged ``kaltura-notification``, whose value says how far delivery got:

``{"state": "pending", "at": ...}``
    claimed by a request that is posting the event now. Another request
    for the same notification is told to come back later (503), unless the
    claim is older than the lease: then its request died, or posted and
    could not write "delivered". If the server's event store holds the
    event, the claim is marked delivered; else the newcomer takes it over
    and posts. (Events are stored a few seconds after they are accepted, long
    before a lease ends.) Only a request that dies after its post and
    before the store writes the event can make a retake post twice, which
    the encore flow tolerates: it finds its replay and does nothing.
``{"state": "delivered", "at": ..., "event": ..., "resource": ...}``
    the Prefect server accepted the event: any later delivery of the same
    notification, a replay or a late retry of Kaltura's, is answered 200
    and posts nothing.

A failed post gives the claim back (the Variable is deleted), so Kaltura's
next retry delivers it. The writes after a post (delivered, or the claim
given back) are tried again for a few seconds while the server answers 503.
Deleting a Variable by hand lets that notification through once more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import httpx

from kaltura_events.webhooks.prefect_api import call

PREFIX = "kaltura-notification-"
TAG = "kaltura-notification"
PENDING, DELIVERED = "pending", "delivered"
WRITE_PAUSES = (0.2, 0.5, 1.0, 2.0)
"""Seconds between tries of a write that follows a post: under 4 s in all, well inside Kaltura's patience."""


class Claim(Enum):
    """What a request may do with a notification."""

    OURS = "ours"
    """Claimed (new, or a dead request's claim taken over): post the event."""
    DELIVERED = "delivered"
    """Posted before: answer 200, post nothing."""
    BUSY = "busy"
    """Another request is posting it right now: answer 503, Kaltura comes back."""


def variable_name(partner_id: int, job_id: int) -> str:
    """Lowercase letters, digits and dashes, as Prefect requires of a Variable name."""
    return f"{PREFIX}{partner_id}-{job_id}"


@dataclass(frozen=True)
class Ledger:
    """The partner's delivered notifications in the Prefect server ``client`` talks to."""

    client: httpx.AsyncClient
    partner_id: int
    lease_seconds: float

    async def claim(self, job_id: int, now: datetime, event: dict[str, Any]) -> Claim:
        """Claim the notification whose event is ``event`` for this request, atomically against others."""
        name = variable_name(self.partner_id, job_id)
        pending = {"state": PENDING, "at": now.isoformat()}
        created = await call(
            self.client,
            "POST",
            "/variables/",
            json={"name": name, "value": pending, "tags": [TAG]},
            expected=(409,),
        )
        if created.status_code != 409:
            return Claim.OURS
        found = await call(self.client, "GET", f"/variables/name/{name}", expected=(404,))
        if found.status_code == 404:  # given back between our create and this read
            return Claim.BUSY
        value = _value(found)
        if value.get("state") != PENDING:
            return Claim.DELIVERED
        if not self._expired(value.get("at"), now):
            return Claim.BUSY
        if await self._stored(event):
            await self.delivered(job_id, now, event)
            return Claim.DELIVERED
        retaken = await call(
            self.client, "PATCH", f"/variables/name/{name}", json={"value": pending}, expected=(404,)
        )
        return Claim.BUSY if retaken.status_code == 404 else Claim.OURS

    async def delivered(self, job_id: int, now: datetime, event: dict[str, Any]) -> None:
        """Record that the server took ``event``: from now on the notification is answered, never posted."""
        value = {
            "state": DELIVERED,
            "at": now.isoformat(),
            "event": event["event"],
            "resource": event["resource"]["prefect.resource.id"],
        }
        await call(
            self.client,
            "PATCH",
            f"/variables/name/{variable_name(self.partner_id, job_id)}",
            json={"value": value},
            pauses=WRITE_PAUSES,
        )

    async def give_back(self, job_id: int) -> None:
        """Forget a claim whose event was not accepted, so Kaltura's next retry delivers it."""
        await call(
            self.client,
            "DELETE",
            f"/variables/name/{variable_name(self.partner_id, job_id)}",
            expected=(404,),
            pauses=WRITE_PAUSES,
        )

    async def _stored(self, event: dict[str, Any]) -> bool:
        """Whether the server's event store holds ``event`` (by its id): an earlier request posted it."""
        found = await call(
            self.client, "POST", "/events/filter", json={"filter": {"id": {"id": [event["id"]]}}, "limit": 1}
        )
        try:
            return bool(found.json().get("events"))
        except (ValueError, AttributeError):
            return False

    def _expired(self, at: Any, now: datetime) -> bool:
        try:
            return (now - datetime.fromisoformat(at)).total_seconds() > self.lease_seconds
        except (TypeError, ValueError):  # not a date, or one without a zone
            return True  # a claim nobody can date is no live request's


def _value(answer: httpx.Response) -> dict[str, Any]:
    """The Variable's value; anything that is not our pending shape counts as delivered."""
    try:
        value = answer.json().get("value")
    except (ValueError, AttributeError):
        return {}
    return value if isinstance(value, dict) else {}
