"""The demo's view of a sent email: what a person would read, taken from the emulator's outbox.

``make demo`` prints two of them after its sends; this checks the printout
against a real send: to whom, the subject and the body's first lines, every
token filled, the HTML read as text.
"""

from __future__ import annotations

import re

from demo import readable_email
from kaltura_events.emulator.server import EmulatorServer
from tests.message_sends import messaging_client, outbox_of, people_with, prepare, send

SESSION = "kev-msg:town-hall:2027-01-05:reminder-before-24h-invited"


def test_a_sent_reminder_reads_as_its_recipient_sees_it(emu: EmulatorServer) -> None:
    people = people_with(["delivered", "delivered"])
    prepare(emu, people)
    with messaging_client(emu) as messaging:
        send(emu, messaging, SESSION, people)
    first = outbox_of(emu, SESSION)[0]

    shown = readable_email(first).splitlines()

    assert shown[:2] == ["To:      p0@example.com", "Subject: Tomorrow: Q1 Town Hall"]
    body = [line.removeprefix("  | ") for line in shown[2:]]
    assert body[:2] == ["Q1 Town Hall", "Hi Person0,"]
    assert re.fullmatch(
        r"We start tomorrow at 10:00\. Join the town hall <https://events\.example\.com/join\?token=\[redacted\]>",
        body[2],
    ), body[2]
    assert body[3] == "See you there & bring questions."
    assert body[4] == "Unsubscribe <https://events.example.com/unsubscribe>"
    assert "{" not in "\n".join(shown), "every token filled"


def test_only_the_first_lines_and_no_hidden_text_or_credential() -> None:
    ks = "djJ8MTIzNHxhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODk="
    message = {
        "to": "ada@example.com",
        "from": "events@acme.example",
        "fromName": "Acme Events",
        "subject": "Thank you",
        "body": "<style>p {color: red}</style><p>one</p><div>two<br>three</div>"
        f"<p><a href='https://x.example/j?ks={ks}'>join</a></p><p>five</p><p>six</p><p>seven</p>",
    }
    shown = readable_email(message, body_lines=4)
    assert shown.splitlines() == [
        "To:      ada@example.com",
        "From:    Acme Events <events@acme.example>",
        "Subject: Thank you",
        "  | one",
        "  | two",
        "  | three",
        "  | join <https://x.example/j?ks=[redacted]>",
        "  | ... (3 more line(s))",
    ]
