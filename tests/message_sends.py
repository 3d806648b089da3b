"""A real send on the emulator, to people who each end up delivered, bounced, unsubscribed or unknown.

The test's hands are the emulator's control endpoints (bouncing addresses,
unsubscribes); the send itself goes through MessagingClient, as the send
flow's would. What each person received is then read from the outbox.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from kaltura_events.api.api_v3 import ApiV3Client
from kaltura_events.api.ks import ADMIN, KsProvider, build_ks_v2, local_minter
from kaltura_events.api.messaging import MessagingClient, Token
from kaltura_events.api.retry import RetryPolicy
from kaltura_events.emulator.config import DEFAULT_USER_ID
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawEventsApi

Fate = Literal["delivered", "bounce", "unsubscribed", "unknown"]
"""What becomes of one recipient: ``unknown`` is a user id with no Kaltura user (§7.4 userNotFoundInOurDb)."""
FATES: tuple[Fate, ...] = ("delivered", "bounce", "unsubscribed", "unknown")
GROUP = "acme-events"
BODY = (
    "<html><body><h1>{eventName}</h1>"
    "<p>Hi {recipient.firstName},</p>"
    "<p>We start tomorrow at 10:00. <a href='{joinLink}'>Join the town hall</a></p>"
    "<p>See you there &amp; bring questions.</p>"
    "<p><small><a href='{unsubLink}'>Unsubscribe</a></small></p></body></html>"
)
TOKENS = {"recipient": "User", "eventName": "String", "joinLink": "MagicLink", "unsubLink": "UnsubscribeUri"}


@dataclass(frozen=True)
class Person:
    user_id: str
    fate: Fate

    @property
    def email(self) -> str:
        """The address a message would go to: none for a user Kaltura does not know."""
        return "" if self.fate == "unknown" else self.user_id


@contextmanager
def messaging_client(emu: EmulatorServer) -> Iterator[MessagingClient]:
    ks = KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))
    with MessagingClient(
        emu.messaging_url, ks, retry=RetryPolicy(max_retries=2, base_delay=0.0), sleep=lambda _s: None
    ) as client:
        yield client


def event_app(emu: EmulatorServer) -> str:
    """A new event's App Registry GUID: templates and sends belong to it."""
    admin_ks = build_ks_v2(emu.admin_secret, emu.partner_id, DEFAULT_USER_ID, session_type=ADMIN)
    with (
        RawEventsApi(emu.events_api_url, admin_ks) as events,
        RawEventsApi(emu.app_registry_url, admin_ks) as apps,
    ):
        event = events.create_event()
        listed = apps.ok("app-registry/list", {"filter": {"appCustomIdIn": [str(event["id"])]}})
    guid: str = listed["objects"][0]["id"]
    return guid


def people_with(fates: Sequence[Fate], prefix: str = "p") -> list[Person]:
    return [Person(f"{prefix}{number}@example.com", fate) for number, fate in enumerate(fates)]


def prepare(emu: EmulatorServer, people: Sequence[Person]) -> None:
    """Kaltura users for all but the unknown; mailboxes that bounce; people who left the group."""
    ks = KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))
    with ApiV3Client(emu.service_url, ks) as v3:
        for number, person in enumerate(people):
            if person.fate != "unknown":
                v3.add_user(person.user_id, email=person.user_id, first_name=f"Person{number}")
    bouncing = [p.email for p in people if p.fate == "bounce"]
    if bouncing:
        emu.control.mark_bouncing(bouncing)
    for person in people:
        if person.fate == "unsubscribed":
            emu.control.mark_unsubscribed(person.user_id, [GROUP])


def send(
    emu: EmulatorServer, messaging: MessagingClient, session: str, people: Sequence[Person], batches: int = 1
) -> str:
    """A reminder to everyone, in ``batches`` sends of one session (a re-run sending to the rest)."""
    guid = event_app(emu)
    template = messaging.add_template(
        guid,
        name="kev:reminder",
        subject="Tomorrow: {eventName}",
        body=BODY,
        msg_params_map=TOKENS,
        unsubscribe_groups=[GROUP],
    )
    tokens = {
        "recipient": Token.recipient(),
        "eventName": Token.text("Q1 Town Hall"),
        "joinLink": Token.magic_link("https://events.example.com/join", 24),
        "unsubLink": Token.unsubscribe_link("https://events.example.com/unsubscribe"),
    }
    ids = [p.user_id for p in people]
    size = max(1, -(-len(ids) // batches))
    for start in range(0, len(ids), size):
        messaging.send_message(guid, template.id, ids[start : start + size], session=session, tokens=tokens)
    return guid


def outbox_of(emu: EmulatorServer, session: str) -> list[dict[str, Any]]:
    return [m for m in emu.control.outbox() if m["session"] == session]
