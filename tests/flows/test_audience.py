"""Audiences against the emulator: who is invited to each occurrence, from a CSV export and inline people.

Every check reads the emulator's own state: the event's users, and how many
invitations it committed for each email (so a person invited twice shows,
though a second invite of the same email adds no second user).
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from flows.schedule_all_hands import SeriesIncomplete, schedule_all_hands
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from tests.specs import weekly_all_hands

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
WRITES = ("events/create", "events/update", "sessions/create", "event-users/invite", "event-users/update")


def calls(emu: EmulatorServer) -> Counter[str]:
    return Counter(
        {endpoint: sum(by_status.values()) for endpoint, by_status in emu.control.stats()["requests"].items()}
    )


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def staff(n: int, start: int = 0) -> list[dict[str, str]]:
    return [
        {
            "E-mail Address": f"Person{i}@Example.com",
            "Given Name": "Person",
            "Surname": str(i),
            "Company": "Acme",
        }
        for i in range(start, start + n)
    ]


def series(csv_path: Path, **audience: Any) -> Any:
    return weekly_all_hands(
        horizon_days=28,
        sessions=[],
        audience={
            "csv": str(csv_path),
            "columns": {"email": "E-mail Address", "first_name": "Given Name", "last_name": "Surname"},
            **audience,
        },
    )


def users_of(emu: EmulatorServer) -> dict[int, dict[str, dict[str, Any]]]:
    """Each event's users by lowercased email, with what the emulator recorded of their invitations."""
    state = emu.control.state()
    return {
        int(event_id): {u["email"].lower(): u for u in users}
        for event_id, users in state["eventUsers"].items()
    }


def test_a_csv_with_mixed_case_and_duplicates_invites_each_person_once_and_a_rerun_lists_nobody(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    rows = staff(25)
    rows += [dict(rows[3]), {**rows[7], "E-mail Address": " PERSON7@example.COM "}]
    path = write_csv(tmp_path / "hr-export.csv", rows, delimiter=";")

    report = schedule_all_hands(series(path), creds, now=NOW)
    assert len(report.created) == 4 and not report.failed
    by_event = users_of(emu)
    assert len(by_event) == 4
    for users in by_event.values():
        assert set(users) == {f"person{i}@example.com" for i in range(25)}
        assert all(u["roles"] == ["Attendees"] and u["invitations"] == 1 for u in users.values())
        assert all(u["emailsSent"] == 0 for u in users.values()), "skipEmail unless send_invitations"
    assert calls(emu)["event-users/invite"] == 100
    assert all(row.people == "people: +25 ~0 -0, 0 emails" for row in report.created)
    assert len(report.people) == 100 and {p.action for p in report.people} == {"invite"}

    emu.control.reset_stats()
    again = schedule_all_hands(series(path), creds, now=NOW)
    assert len(again.unchanged) == 4
    assert calls(emu) == Counter({"events/list": 1}), "a converged audience costs no event-users/list"

    emu.control.reset_stats()
    verified = schedule_all_hands(series(path), creds, now=NOW, verify=True)
    assert len(verified.finished) == 4
    used = calls(emu)
    assert used["event-users/list"] == 4 and not any(used[w] for w in WRITES)


def test_a_speaker_in_the_audience_is_invited_once_and_holds_both_roles(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "people.csv", staff(5))
    spec = series(path)
    spec["horizon_days"] = 7
    spec["sessions"] = [
        {
            "name": "Keynote",
            "duration_minutes": 30,
            "speakers": [{"email": "person2@example.com", "first_name": "Dana", "last_name": "Reyes"}],
        }
    ]
    schedule_all_hands(spec, creds, now=NOW)
    [users] = users_of(emu).values()
    assert set(users) == {f"person{i}@example.com" for i in range(5)}
    speaker = users["person2@example.com"]
    assert sorted(speaker["roles"]) == ["Attendees", "Speaker"] and speaker["invitations"] == 1
    assert (speaker["firstName"], speaker["lastName"]) == ("Dana", "Reyes"), "the session page's names"
    assert calls(emu)["event-users/invite"] == 5


def test_unlisted_attendees_are_removed_within_the_guard_and_refused_past_it(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "people.csv", staff(12))
    spec = series(path, remove_unlisted=True, max_removals=3)
    spec["sessions"] = [
        {
            "name": "Keynote",
            "duration_minutes": 30,
            "speakers": [{"email": "speaker@example.com", "first_name": "S", "last_name": "P"}],
        }
    ]
    schedule_all_hands(spec, creds, now=NOW)

    write_csv(path, staff(9))  # three left the company
    report = schedule_all_hands(spec, creds, now=NOW)
    assert len(report.updated) == 4 and not report.failed
    for users in users_of(emu).values():
        assert set(users) == {f"person{i}@example.com" for i in range(9)} | {"speaker@example.com"}

    write_csv(path, staff(2))  # a truncated export: 7 would go, more than 3
    longer: Any = {**spec, "horizon_days": 35}
    with pytest.raises(SeriesIncomplete) as refused:
        schedule_all_hands(longer, creds, now=NOW)
    message = str(refused.value)
    assert message.count("more than max_removals=3") == 4 and "none removed" in message
    by_event = users_of(emu)
    assert len(by_event) == 5, "the new occurrence still converged"
    sizes = sorted(len(users) for users in by_event.values())
    assert sizes == [3, 10, 10, 10, 10], (
        "nobody removed from the refused events; the new one has its 2 + speaker"
    )


def test_rate_limit_reached_on_a_fifth_of_500_invites_still_invites_everyone_exactly_once(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "people.csv", staff(500))
    spec = series(path)
    spec["horizon_days"] = 7
    emu.control.set_faults(
        [{"endpoint": "event-users/invite", "kind": "rate_limit_reached", "rate": 0.2}], seed=4
    )
    # 500 calls failing a fifth of the time need more than the default 4 attempts each for none to run
    # out by chance (0.2**9 per call); the retry logic under test is the same.
    patient = creds.model_copy(update={"max_retries": 8})
    report = schedule_all_hands(spec, patient, now=NOW)
    assert not report.failed
    injected = emu.control.stats()["faults_injected"]["event-users/invite"]["rate_limit_reached"]
    assert injected > 50, "RateLimitReached was really answered"
    [users] = users_of(emu).values()
    assert len(users) == 500
    assert Counter(u["invitations"] for u in users.values()) == Counter({1: 500})


def test_a_bad_csv_fails_the_run_before_any_request_naming_the_row(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    rows = staff(30)
    rows[6]["E-mail Address"] = "person6-at-example.com"
    rows[20]["Given Name"] = " "
    path = write_csv(tmp_path / "people.csv", rows)
    with pytest.raises(Exception) as caught:
        schedule_all_hands(series(path), creds, now=NOW)
    message = str(caught.value)
    assert "row 8" in message and "person6-at-example.com" in message and "row 22" in message
    assert emu.control.stats()["total_requests"] == 0
