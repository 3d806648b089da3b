"""schedule_encore against the emulator: one replay per occurrence, whatever asks how often.

The series is made by schedule_all_hands, a session's recording finished by
the emulator (as Kaltura would), then the flow is called as the trigger calls
it: with the recording's entry id and the deployment's series.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from flows.schedule_all_hands import schedule_all_hands
from flows.schedule_encore import schedule_encore
from flows.sync_events_file import sync_events_file
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.planning.series import AllHandsSeries
from tests.specs import weekly_all_hands

NOW = datetime(2031, 3, 3, 12, 0, tzinfo=timezone.utc)
AUDIENCE = {
    "people": [
        {"email": "ana@example.com", "first_name": "Ana", "last_name": "Lee"},
        {"email": "bo@example.com", "first_name": "Bo", "last_name": "Tan"},
    ]
}


def encore_series(**overrides: Any) -> AllHandsSeries:
    spec = weekly_all_hands(
        horizon_days=15,
        sessions=[{"name": "Keynote", "type": "LiveWebcast", "duration_minutes": 60}],
        audience=AUDIENCE,
        encore={"timezone": "Asia/Singapore", "start_time": "10:00", "days_after": 1},
    )
    return AllHandsSeries.model_validate({**spec, **overrides})


def replays(emu: EmulatorServer, key: str) -> list[dict[str, Any]]:
    return [e for e in emu.control.state()["events"] if f"kev-encore:{key}" in e["labels"]]


def first_occurrence(emu: EmulatorServer, key: str) -> tuple[dict[str, Any], str]:
    state = emu.control.state()
    events = sorted(
        (e for e in state["events"] if f"kev-series:{key}" in e["labels"]), key=lambda e: e["startDate"]
    )
    event = events[0]
    [session] = [s for s in state["sessions"][str(event["id"])] if s["name"] == "Keynote"]
    return event, session["id"]


def test_a_ready_recording_gets_one_replay_with_the_audience(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    series = encore_series()
    schedule_all_hands(series=series, credentials=creds, now=NOW)
    original, session_id = first_occurrence(emu, series.key)
    recording = emu.control.finish_recording(session_id)
    entry_id = recording["id"]

    first = schedule_encore(entry_id=entry_id, series=series, credentials=creds, now=NOW)
    second = schedule_encore(
        entry_id=entry_id, series=series, root_entry_id=session_id, credentials=creds, now=NOW
    )

    assert (first.action, second.action) == ("created", "already scheduled")
    [replay] = replays(emu, series.key)
    assert first.replay_event_id == second.replay_event_id == replay["id"]
    assert replay["timezone"] == "Asia/Singapore"
    assert replay["name"] == f"{original['name']} (encore)"
    assert f"kev-occ:{first.occurrence}" in replay["labels"]
    assert not any(label.startswith("kev-series:") for label in replay["labels"])
    state = emu.control.state()
    [session] = state["sessions"][str(replay["id"])]
    assert session["type"] == "SimuLive" and session["sourceEntry"]["id"] == entry_id
    invited = {u["email"] for u in state["eventUsers"][str(replay["id"])]}
    assert invited == {"ana@example.com", "bo@example.com"}
    # The series' own run neither adopts nor prunes the replay.
    again = schedule_all_hands(series=series.model_copy(update={"prune": True}), credentials=creds, now=NOW)
    assert not again.created and not again.pruned
    assert len(replays(emu, series.key)) == 1


def test_a_recording_of_another_series_is_not_ours(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    series = encore_series()
    schedule_all_hands(series=series, credentials=creds, now=NOW)
    _, session_id = first_occurrence(emu, series.key)
    recording = emu.control.finish_recording(session_id)
    entry_id = recording["id"]
    other = encore_series(key="other-series")

    report = schedule_encore(entry_id=entry_id, series=other, credentials=creds, now=NOW)

    assert report.action == "not ours" and "no event of series 'other-series'" in report.reason
    assert replays(emu, "other-series") == replays(emu, series.key) == []
    no_encore = schedule_encore(entry_id=entry_id, series=encore_series(encore=None), credentials=creds)
    assert no_encore.action == "no encore"


def test_a_bad_encore_zone_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        encore_series(encore={"timezone": "Asia/Singapour"})
    [error] = caught.value.errors()
    assert error["loc"] == ("encore", "timezone") and "Asia/Singapour" in error["msg"]


def _events_file(tmp_path: Path, **series_fields: Any) -> Path:
    spec = {
        **weekly_all_hands(),
        **encore_series().model_dump(mode="json", exclude_none=True),
        **series_fields,
    }
    other = {**spec, "key": "no-replays", "encore": None, "name": "Other {date:%Y-%m-%d}"}
    path = tmp_path / "kaltura-events.yaml"
    path.write_text(yaml.safe_dump({"name": "encore-file", "series": [spec, other]}, sort_keys=False))
    return path


def test_an_encore_in_the_events_file_is_replayed(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    """The file drives the encore: the deployment names the file, not a copy of the series."""
    path = _events_file(tmp_path)
    applied = sync_events_file(str(path), creds, dry_run=False, now=NOW)
    assert not applied.failed
    key = encore_series().key
    _, session_id = first_occurrence(emu, key)
    entry_id = emu.control.finish_recording(session_id)["id"]

    by_file = schedule_encore(entry_id=entry_id, path=str(path), credentials=creds, now=NOW)
    by_key = schedule_encore(entry_id=entry_id, path=str(path), series_key=key, credentials=creds, now=NOW)

    assert (by_file.action, by_file.series_key) == ("created", key)
    assert by_key.action == "already scheduled"
    [replay] = replays(emu, key)
    invited = {u["email"] for u in emu.control.state()["eventUsers"][str(replay["id"])]}
    assert invited == {"ana@example.com", "bo@example.com"}


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({}, "give exactly one of series or path"),
        ({"series_key": "weekly-all-handz"}, "no series of encore-file has this key; did you mean"),
        ({"series_key": "no-replays"}, "has no encore settings"),
    ],
)
def test_encore_parameters_are_checked_before_any_request(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path, parameters: dict[str, Any], message: str
) -> None:
    path = _events_file(tmp_path)
    emu.control.reset()
    if parameters:
        parameters = {"path": str(path), **parameters}
    try:
        report = schedule_encore(entry_id="0_entry", credentials=creds, now=NOW, **parameters)
    except InvalidArgumentError as exc:
        assert message in str(exc)
    else:
        assert report.action == "no encore" and message in report.reason
    assert emu.control.stats()["requests"] == {}
