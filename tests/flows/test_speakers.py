"""A session's speakers converged against the emulator: invite, add in calls of 10, update, remove."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any

from prefect import flow

from flows.people import PeopleOutcome, converge_people
from flows.schedule_all_hands import schedule_all_hands
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.speakers import SpeakerSpec, participants_from
from tasks.api_limit import run_api_limit, thread_runner
from tests.specs import weekly_all_hands


@flow(name="converge-speakers-test", task_runner=thread_runner())
def converge(
    credentials: KalturaCredentials, event_id: int, session_id: str, speakers: list[SpeakerSpec]
) -> PeopleOutcome:
    with run_api_limit(8):
        return converge_people(credentials, event_id, [(session_id, speakers)], None, observed=True)


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
    assert (outcome.invited, outcome.updated) == (11, 1), "speaker 3 is granted the role, not invited again"
    assert (outcome.speakers_added, outcome.speakers_updated, outcome.speakers_removed) == (12, 0, 0)
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
    assert (outcome.invited, outcome.updated) == (0, 0)
    assert (outcome.speakers_added, outcome.speakers_updated, outcome.speakers_removed) == (0, 1, 2)
    listed = participants_from(client.list_session_participants(event.id, session.id))
    assert len(listed) == 10 and listed[0].session_role == "advancedSpeaker"


CEO = {"email": "ceo@example.com", "first_name": "Dana", "last_name": "Reyes", "role": "advancedSpeaker"}
CFO = {"email": "cfo@example.com", "first_name": "Sam", "last_name": "Okafor", "order": 1}
COO = {"email": "coo@example.com", "first_name": "Kim", "last_name": "Lee", "order": 2}
SERIES_NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
WRITES = ("events/create", "events/update", "sessions/create", "event-users/invite", "event-users/update")
PARTICIPANT_WRITES = (
    "session-participants/add",
    "session-participants/update",
    "session-participants/remove",
)


def speaking_series(qa_speakers: list[dict[str, Any]]) -> AllHandsSeries:
    spec = weekly_all_hands(key="speakers", horizon_days=21)
    spec["sessions"][0]["speakers"] = [CEO]
    spec["sessions"][1]["speakers"] = qa_speakers
    return AllHandsSeries.model_validate(spec)


def speakers_by_session(emu: EmulatorServer) -> dict[str, set[str]]:
    """Session name -> emails of its speakers, across the series' events, from the emulator's state."""
    client_state = emu.control.state()
    emails = {user["id"]: user["email"] for users in client_state["eventUsers"].values() for user in users}
    names = {s["id"]: s["name"] for sessions in client_state["sessions"].values() for s in sessions}
    found: dict[str, set[str]] = {}
    for session_id, people in client_state["sessionParticipants"].items():
        found.setdefault(names[session_id], set()).update(emails[uid] for uid in people["speakers"])
    return found


def test_a_series_with_two_sessions_and_three_speakers_converges(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    first = schedule_all_hands(speaking_series([CFO, COO]), creds, now=SERIES_NOW)
    assert len(first.created) == 3
    state = emu.control.state()
    assert {len(users) for users in state["eventUsers"].values()} == {3}, "each person invited once an event"
    assert speakers_by_session(emu) == {
        "Keynote": {"ceo@example.com"},
        "Q&A": {"cfo@example.com", "coo@example.com"},
    }
    assert len(state["sessionParticipants"]) == 6

    emu.control.reset_stats()
    again = schedule_all_hands(speaking_series([CFO, COO]), creds, now=SERIES_NOW)
    assert len(again.unchanged) == 3
    assert set(calls(emu)) == {"events/list"}, "a converged series needs no speaker reads"

    emu.control.reset_stats()
    dropped = schedule_all_hands(speaking_series([CFO]), creds, now=SERIES_NOW)
    assert len(dropped.updated) == 3 and not dropped.finished
    used = calls(emu)
    assert used["session-participants/remove"] == 3, "exactly the COO, once per event"
    assert not any(used[w] for w in ("session-participants/add", "event-users/invite", "sessions/create"))
    assert speakers_by_session(emu) == {"Keynote": {"ceo@example.com"}, "Q&A": {"cfo@example.com"}}

    emu.control.reset_stats()
    schedule_all_hands(speaking_series([CFO]), creds, now=SERIES_NOW)
    assert not any(calls(emu)[w] for w in (*WRITES, *PARTICIPANT_WRITES)), (
        "re-run after convergence: 0 writes"
    )
