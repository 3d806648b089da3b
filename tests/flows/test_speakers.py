"""A session's speakers converged against the emulator: invite, add in calls of 10, update, remove."""

from __future__ import annotations

from collections import Counter
from typing import Any

from prefect import flow

from flows.speakers import SpeakerOutcome, converge_speakers
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.speakers import SpeakerSpec, participants_from
from tasks.runtime import run_api_limit, thread_runner


@flow(name="converge-speakers-test", task_runner=thread_runner())
def converge(
    credentials: KalturaCredentials, event_id: int, session_id: str, speakers: list[SpeakerSpec]
) -> SpeakerOutcome:
    with run_api_limit(8):
        return converge_speakers(credentials, event_id, [(session_id, speakers)], observed=True)


def calls(emu: EmulatorServer) -> Counter[str]:
    return Counter(
        {endpoint: sum(by_status.values()) for endpoint, by_status in emu.control.stats()["requests"].items()}
    )


def people(n: int, **changes: Any) -> list[Any]:
    return [
        {
            "email": f"speaker{i}@example.com",
            "first_name": "Speaker",
            "last_name": str(i),
            "order": i,
            **changes,
        }
        for i in range(n)
    ]


def test_twelve_speakers_land_in_two_calls_and_a_rerun_only_lists(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    client = creds.get_events_client()
    event = client.create_event(
        name="Speakers",
        template_id="tm0000",
        start="2030-03-04T15:00:00Z",
        end="2030-03-04T16:00:00Z",
        timezone="UTC",
    )
    session = client.create_session(event.id, name="Keynote", session_type="LiveWebcast")
    # One speaker is already an attendee of the event: granted the Speaker role, not invited twice.
    client.invite_event_user(event.id, first_name="Speaker", last_name="3", email="SPEAKER3@example.com")
    emu.control.reset_stats()

    outcome = converge(creds, event.id, session.id, people(12))
    assert (outcome.invited, outcome.added, outcome.updated, outcome.removed) == (11, 12, 0, 0)
    used = calls(emu)
    assert used["session-participants/add"] == 2, "12 speakers, at most 10 per call"
    assert (used["event-users/invite"], used["event-users/update"]) == (11, 1)
    listed = participants_from(client.list_session_participants(event.id, session.id))
    assert [p.email.lower() for p in listed] == [f"speaker{i}@example.com" for i in range(12)]

    emu.control.reset_stats()
    assert converge(creds, event.id, session.id, people(12)).writes == 0
    assert calls(emu) == Counter({"session-participants/list": 1, "event-users/list": 1})

    changed = people(10)
    changed[0] = {**changed[0], "role": "advancedSpeaker"}
    outcome = converge(creds, event.id, session.id, changed)
    assert (outcome.invited, outcome.added, outcome.updated, outcome.removed) == (0, 0, 1, 2)
    listed = participants_from(client.list_session_participants(event.id, session.id))
    assert len(listed) == 10 and listed[0].session_role == "advancedSpeaker"
