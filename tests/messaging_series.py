"""A series with reminders and follow-ups, arranged in the emulator for the send tests.

The emulator keeps real time and the send flow takes no "now", so each
occurrence is an event placed relative to the moment a test starts: ended
three hours ago, its follow-ups are due; starting in ten minutes, both
reminders are. People get their statuses as joining would give them
(``/_emulator/attendance`` also makes their Kaltura user), the invited are
the event's users, and the unsubscribed leave the group as the email's link
would make them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from kaltura_events.emulator.control_client import EmulatorControl
from kaltura_events.emulator.testing import RawEventsApi
from kaltura_events.formats.messages_file import write_messages_file
from kaltura_events.planning.labels import OCCURRENCE_LABEL_PREFIX, SERIES_LABEL_PREFIX
from kaltura_events.planning.messages import MessagesSpec, SeriesMessages

SERIES = "town-hall"
GROUP = "acme-events"
SEND_NAMES = (
    "reminder-before-24h-invited",
    "reminder-before-15m-registered",
    "thanks-after-2h-attended",
    "missed-after-2h-absent",
)
BODIES = {
    "reminder": "<p>Hi {recipient.firstName}, {eventName} starts {eventStart}. "
    "<a href='{joinLink}'>Join</a> <a href='{unsubLink}'>Unsubscribe</a></p>",
    "thanks": "<p>Thank you for joining {eventName}. <a href='{unsubLink}'>Unsubscribe</a></p>",
    "missed": "<p>You missed {eventName}: <a href='{joinLink}'>the recording</a>. "
    "<a href='{unsubLink}'>Unsubscribe</a></p>",
}


MESSAGES: dict[str, Any] = {
    "from": {"email": "events@acme.example", "name": "Acme Events"},
    "unsubscribe_group": GROUP,
    "templates": {
        "reminder": {"subject": "Soon: {eventName}", "body_file": "emails/reminder.html"},
        "thanks": {"subject": "Thank you for joining {eventName}", "body_file": "emails/thanks.html"},
        "missed": {"subject": "You missed {eventName}", "body_file": "emails/missed.html"},
    },
    "send": [
        {"template": "reminder", "before": "24h", "to": "invited"},
        {"template": "reminder", "before": "15m", "to": "registered"},
        {"template": "thanks", "after": "2h", "to": "attended"},
        {"template": "missed", "after": "2h", "to": "absent"},
    ],
}


def series_messages() -> SeriesMessages:
    return SeriesMessages(MessagesSpec.model_validate(MESSAGES), dict(BODIES))


def write_events_file(folder: Path) -> Path:
    """An events file whose one series has these messages; the occurrences are made by hand."""
    town_hall = {
        "key": SERIES,
        "name": "Town hall {date:%Y-%m-%d}",
        "template_id": "tm0000",
        "timezone": "America/New_York",
        "rrule": "FREQ=WEEKLY;BYDAY=TU",
        "start_time": "10:00",
        "duration_minutes": 60,
        "horizon_days": 14,
    }
    return write_messages_file(folder, "acme-town-hall", [town_hall], series_messages())


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def email(index: int) -> str:
    return f"p{index:04d}@acme.example"


@dataclass(frozen=True)
class People:
    """Who is what in every occurrence: by index, a third attend, a third register and stay away."""

    count: int
    unsubscribed: frozenset[int] = frozenset()

    def status(self, index: int) -> str:
        return ("attended", "registered", "invited")[index % 3]

    def emails(self, status: str) -> list[str]:
        return [email(i) for i in range(self.count) if self.status(i) == status]

    def expected(self, send: str) -> set[str]:
        """Whom a send should reach, by its name's ``to``, the unsubscribed left out."""
        wanted = {
            "invited": lambda i: True,
            "registered": lambda i: self.status(i) in ("attended", "registered"),
            "attended": lambda i: self.status(i) == "attended",
            "absent": lambda i: self.status(i) == "registered",
        }[send.rsplit("-", 1)[1]]
        return {email(i) for i in range(self.count) if wanted(i) and i not in self.unsubscribed}


def make_occurrence(
    events_api: RawEventsApi,
    control: EmulatorControl,
    occurrence: str,
    start: datetime,
    people: People,
    *,
    invite: bool = False,
    minutes: int = 60,
) -> int:
    """One occurrence of the series, its people's statuses marked (and, with ``invite``, its users)."""
    event: dict[str, Any] = events_api.create_event(
        f"Town hall {occurrence}",
        start=iso(start),
        end=iso(start + timedelta(minutes=minutes)),
        timezone="America/New_York",
    )
    event_id = int(event["id"])
    labels = [SERIES_LABEL_PREFIX + SERIES, OCCURRENCE_LABEL_PREFIX + occurrence]
    events_api.ok("events/update", {"id": event_id, "labels": labels})
    for status in ("attended", "registered", "invited"):
        emails = people.emails(status)
        if emails:
            control.mark_attendance(event_id, emails, status)
    if invite:
        for i in range(people.count):
            events_api.ok(
                "event-users/invite",
                {
                    "eventId": event_id,
                    "email": email(i),
                    "firstName": f"P{i}",
                    "lastName": "Test",
                    "skipEmail": True,
                },
            )
    return event_id


def unsubscribe(control: EmulatorControl, people: People) -> None:
    for index in sorted(people.unsubscribed):
        control.mark_unsubscribed(email(index), [GROUP])


def received(control: EmulatorControl, sessions: Sequence[str] | None = None) -> dict[tuple[str, str], int]:
    """How many emails each (session, address) got, from the outbox."""
    counts: dict[tuple[str, str], int] = {}
    for message in control.outbox():
        if sessions is None or message["session"] in sessions:
            key = (message["session"], message["to"].lower())
            counts[key] = counts.get(key, 0) + 1
    return counts


def session(occurrence: str, send: str) -> str:
    return f"kev-msg:{SERIES}:{occurrence}:{send}"
