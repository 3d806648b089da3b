"""Every API task names its runs from its parameters, and no name holds a secret.

The names are computed here as Prefect computes them when a run starts
(``task_run_name`` called with the run's parameters); a flow test reads them
back from the Prefect API (tests/flows/test_task_run_names.py).
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime, timezone
from typing import Any

import pytest
from prefect import Task
from pydantic import SecretStr

import tasks
from kaltura_events.api.api_v3 import CategoryFilter
from kaltura_events.api.events import EventFilter
from kaltura_events.api.models import SpeakerInput
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.audience import UserUpdate, WantedUser
from kaltura_events.planning.delivery import SendRecord
from kaltura_events.planning.message_templates import TemplateContent
from tasks.api_task import _RunNamer, api_task

SECRET = "admin-secret-0123456789abcdef"
ADA = WantedUser("ada@example.com", "Ada", "L", frozenset({"Attendees"}))
BOB = WantedUser("bob@example.com", "Bob", "K", frozenset({"Attendees"}))
START = datetime(2027, 3, 4, 15, 0, tzinfo=timezone.utc)
GUID = "6f8a3c12-4b5d-4e9f-a1c7-8d2e3f4a5b6c"
REMINDER = TemplateContent(
    name="kev:reminder",
    subject="Soon: {eventName}",
    body="<p>{eventName}</p>",
    msg_params_map={"eventName": "String", "recipient": "User"},
    to_attribute_path="{recipient.email}",
    from_address="events@example.com",
    from_name=None,
    unsubscribe_groups=("acme-events",),
)
CREDENTIALS = KalturaCredentials(
    events_api_url="https://events.example.com",
    service_url="https://www.kaltura.example.com",
    partner_id=12345,
    admin_secret=SecretStr(SECRET),
    user_id="producer@example.com",
)

# The parameters of a real call of each task, and the run name it gets.
SAMPLES: dict[str, tuple[dict[str, Any], str]] = {
    "list-categories": (
        {"category_filter": CategoryFilter(full_name_in=("ep_agenda_12", "ep_private_12"))},
        "list-categories: full_name_in=ep_agenda_12,ep_private_12",
    ),
    "delete-category": (
        {"category_id": 77, "category_name": "ep_agenda_123"},
        "delete-category: ep_agenda_123",
    ),
    "delete-categories": (
        {"categories": ((77, "12EPab>Speakers"), (78, "12EPab"), (79, "ep_agenda_12"))},
        "delete-categories: 3 categories, 12EPab>Speakers .. ep_agenda_12",
    ),
    "find-event-apps": ({"event_ids": [12, 13]}, "find-event-apps: events 12, 13"),
    "list-profiles": (
        {"event_id": 12, "app_guid": "6f8a3c12-4b5d-4e9f-a1c7-8d2e3f4a5b6c", "updated_since": START},
        "list-profiles: event 12 updated since 2027-03-04T15:00+00:00",
    ),
    "fold-profiles": (
        {"event_id": 12, "app_guid": "6f8a3c12-4b5d-4e9f-a1c7-8d2e3f4a5b6c", "updated_since": None},
        "fold-profiles: event 12",
    ),
    "fold-event-users": ({"event_id": 12}, "fold-event-users: event 12"),
    "count-attendance": (
        {"app_guids": ["6f8a3c12-4b5d-4e9f-a1c7-8d2e3f4a5b6c"]},
        "count-attendance: 1 apps",
    ),
    "get-entry": ({"entry_id": "1_rec0001"}, "get-entry: entry 1_rec0001"),
    "create-event": (
        {
            "name": "Company All-Hands March 2027",
            "template_id": "tm0000",
            "start": START,
            "end": START,
            "timezone": "America/New_York",
            "description": None,
        },
        "create-event: Company All-Hands March 2027",
    ),
    "update-event": (
        {"event_id": 12, "name": None, "start": START, "labels": ("kev-occ:2027-03-04",)},
        "update-event: event 12",
    ),
    "delete-event": ({"event_id": 12}, "delete-event: event 12"),
    "list-events": (
        {"event_filter": EventFilter(labels=("kev-series:ab12",), start_gte=START)},
        "list-events: labels=kev-series:ab12, start_gte=2027-03-04T15:00+00:00",
    ),
    "find-event": (
        {"name": "Company All-Hands March 2027", "start": START},
        "find-event: Company All-Hands March 2027 at 2027-03-04T15:00+00:00",
    ),
    "duplicate-event": (
        {"source_event_id": 40, "name": "Launch copy", "timezone": "UTC", "start": None, "end": None},
        "duplicate-event: Launch copy from event 40",
    ),
    "get-duplicate-status": ({"job_id": "job-9"}, "get-duplicate-status: job job-9"),
    "create-session": (
        {"event_id": 12, "name": "Keynote", "session_type": "LiveWebcast", "start": START, "end": START},
        "create-session: Keynote in event 12",
    ),
    "list-sessions": ({"event_id": 12}, "list-sessions: event 12"),
    "list-speakers": ({"event_id": 12, "session_id": "1_abc"}, "list-speakers: session 1_abc of event 12"),
    "list-event-users": ({"event_id": 12}, "list-event-users: event 12"),
    "invite-event-users": (
        {"event_id": 12, "people": (ADA, BOB), "send_invitations": False},
        "invite-event-users: event 12: 2 people, ada@example.com .. bob@example.com",
    ),
    "update-event-users": (
        {"event_id": 12, "updates": (UserUpdate("u1", "ada@example.com", roles=("Attendees",)),)},
        "update-event-users: event 12: ada@example.com",
    ),
    "remove-event-users": (
        {"event_id": 12, "users": ()},
        "remove-event-users: event 12: nobody",
    ),
    "list-session-participants": (
        {"event_id": 12, "session_id": "1_abc"},
        "list-session-participants: session 1_abc of event 12",
    ),
    "add-session-speakers": (
        {"event_id": 12, "session_id": "1_abc", "speakers": (SpeakerInput("u1"), SpeakerInput("u2"))},
        "add-session-speakers: 2 to session 1_abc of event 12",
    ),
    "update-session-speakers": (
        {"event_id": 12, "session_id": "1_abc", "speakers": (SpeakerInput("u1"),)},
        "update-session-speakers: 1 in session 1_abc of event 12",
    ),
    "remove-session-speakers": (
        {"event_id": 12, "session_id": "1_abc", "user_ids": ("u1", "u2", "u3")},
        "remove-session-speakers: 3 from session 1_abc of event 12",
    ),
    "list-team-members": ({}, "list-team-members"),
    "create-team-member": (
        {"email": "ada@example.com", "role": "admin", "first_name": "Ada", "last_name": "L"},
        "create-team-member: ada@example.com as admin",
    ),
    "update-team-member": ({"member_id": "m7", "role": "viewer"}, "update-team-member: member m7"),
    "delete-team-member": ({"member_id": "m7"}, "delete-team-member: member m7"),
    "list-message-templates": ({"app_guids": [GUID]}, "list-message-templates: 1 app(s)"),
    "list-session-recipients": (
        {"session": "kev-msg:town-hall:2027-01-05:reminder-before-24h-invited"},
        "list-session-recipients: kev-msg:town-hall:2027-01-05:reminder-before-24h-invited",
    ),
    "send-message": (
        {"session": "kev-msg:town-hall:2027-01-05:thanks-after-2h-attended", "chunks": [["a", "b"], ["c"]]},
        "send-message: kev-msg:town-hall:2027-01-05:thanks-after-2h-attended to 3 in 2",
    ),
    "list-unsubscribed": ({"group": "acme-events"}, "list-unsubscribed: acme-events"),
    "session-stats": (
        {"session": "kev-msg:town-hall:2027-01-05:thanks-after-2h-attended"},
        "session-stats: kev-msg:town-hall:2027-01-05:thanks-after-2h-attended",
    ),
    "read-delivery": (
        {
            "send": SendRecord(
                session="kev-msg:town-hall:2027-01-05:thanks-after-2h-attended",
                series_key="town-hall",
                occurrence="2027-01-05",
                send_name="thanks-after-2h-attended",
                template="thanks",
                audience=3,
            )
        },
        "read-delivery: thanks-after-2h-attended of town-hall 2027-01-05",
    ),
    "create-message-template": (
        {"app_guid": GUID, "content": REMINDER},
        f"create-message-template: kev:reminder in {GUID}",
    ),
    "update-message-template": (
        {"template_id": "6621a3f0b2c4d5e6f7890abc", "content": REMINDER},
        "update-message-template: kev:reminder (6621a3f0b2c4d5e6f7890abc)",
    ),
    "delete-message-template": (
        {"template_id": "6621a3f0b2c4d5e6f7890abc", "name": "kev:thanks"},
        "delete-message-template: kev:thanks (6621a3f0b2c4d5e6f7890abc)",
    ),
}


def api_tasks() -> dict[str, Task[Any, Any]]:
    """Every task of every module in the tasks package: a new module cannot be left out."""
    modules = [importlib.import_module(f"tasks.{info.name}") for info in pkgutil.iter_modules(tasks.__path__)]
    found = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, Task) and isinstance(value.task_run_name, _RunNamer)
    ]
    return {found_task.name: found_task for found_task in found}


def run_name(api: Task[Any, Any], parameters: dict[str, Any]) -> str:
    namer = api.task_run_name
    assert callable(namer)
    return str(namer(parameters={"credentials": CREDENTIALS, **parameters}))  # type: ignore[call-arg]


def test_every_api_task_is_covered() -> None:
    assert sorted(api_tasks()) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_run_name(name: str) -> None:
    parameters, expected = SAMPLES[name]
    shown = run_name(api_tasks()[name], parameters)
    assert shown == expected
    assert SECRET not in shown and "SecretStr" not in shown


def test_a_long_name_is_clipped() -> None:
    shown = run_name(api_tasks()["create-event"], {"name": "x" * 500})
    assert len(shown) == len("create-event: ") + 120 and shown.endswith("…")


def test_a_template_cannot_name_the_credentials_or_an_unknown_parameter() -> None:
    def call(*, credentials: KalturaCredentials | None, event_id: int) -> None: ...

    for template in ("{credentials}", "{credentials.admin_secret}", "event {evnt_id}"):
        with pytest.raises(ValueError, match="run_name of task 'probe'"):
            api_task("probe", endpoint="x", description="y", run_name=template)(call)


def test_a_name_that_cannot_be_made_never_fails_the_call() -> None:
    shown = run_name(api_tasks()["delete-event"], {})
    assert shown == "delete-event"
