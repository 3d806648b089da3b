"""What a run's parameters name stays inside the work root, as a Custom run from the UI would give them.

Each refused run ends Failed with a message that names the parameter and the
work root, sends no request, and shows nothing of the file it was pointed at:
the secret here is a file outside the roots whose first line a CSV error
would otherwise quote ("the header row has ...").
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.states import State

from flows.report_attendance import report_attendance
from flows.schedule_all_hands import schedule_all_hands
from flows.sync_events_file import sync_events_file
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.formats.paths import WORK_ROOT_ENV
from kaltura_events.planning.selection import EventSelector
from tests.specs import weekly_all_hands

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
SECRET = "TOPSECRET=hunter2"
PEOPLE = "email,first_name,last_name\nada@example.com,Ada,Lovelace\n"


@pytest.fixture
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside both work roots, holding the worker's "secret"."""
    folder = tmp_path_factory.mktemp("elsewhere")
    (folder / "secret.env").write_text(f"{SECRET}\n")
    (folder / "people.csv").write_text(PEOPLE)
    return folder


def final_state(state: State[Any]) -> State[Any]:
    """The state the server holds, which is what the UI shows."""
    assert state.state_details.flow_run_id is not None
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.state is not None
    return run.state


def refused(state: State[Any], emu: EmulatorServer, field: str) -> str:
    server_state = final_state(state)
    assert server_state.is_failed(), server_state
    message = server_state.message or ""
    assert field in message and "refused" in message and f"the work root ({WORK_ROOT_ENV})" in message
    assert SECRET not in message
    assert emu.control.stats()["requests"] == {}, "refused before any request"
    return message


def out_of_the_root(elsewhere: Path, work_root: Path, name: str) -> list[str]:
    """The ways out: absolute, '..' from the first root (the checkout), a symlink in the second
    root (the test's folder) leading out, and ~."""
    (work_root / "link").symlink_to(elsewhere)
    return [
        str(elsewhere / name),
        os.path.relpath(elsewhere / name, Path(__file__).resolve().parents[2]),
        f"{work_root}/link/{name}",
        f"~/{name}",
    ]


def test_an_audience_csv_outside_the_work_root_fails_the_run_unread(
    creds: KalturaCredentials, emu: EmulatorServer, elsewhere: Path, work_root: Path
) -> None:
    emu.control.reset_stats()
    for csv in out_of_the_root(elsewhere, work_root, "secret.env"):
        spec = weekly_all_hands(
            horizon_days=14, sessions=[], audience={"csv": csv, "columns": {"email": SECRET}}
        )
        state = schedule_all_hands(spec, creds, dry_run=True, now=NOW, return_state=True)
        message = refused(state, emu, "audience.csv")
        assert repr(csv)[:60] in message


def test_an_audience_csv_through_a_symlink_out_of_the_root_fails_the_run(
    creds: KalturaCredentials, emu: EmulatorServer, elsewhere: Path, work_root: Path
) -> None:
    (work_root / "exports").symlink_to(elsewhere)
    emu.control.reset_stats()
    spec = weekly_all_hands(horizon_days=14, sessions=[], audience={"csv": f"{work_root}/exports/secret.env"})
    state = schedule_all_hands(spec, creds, dry_run=True, now=NOW, return_state=True)
    assert "a symbolic link leads out of" in refused(state, emu, "audience.csv")


def test_a_relative_csv_is_read_from_the_working_directory_by_default(
    creds: KalturaCredentials, emu: EmulatorServer, work_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the setting, the work root is the deployment's working directory, as before."""
    monkeypatch.delenv(WORK_ROOT_ENV)
    monkeypatch.chdir(work_root)
    (work_root / "people.csv").write_text(PEOPLE)
    spec: Any = weekly_all_hands(horizon_days=14, sessions=[], audience={"csv": "people.csv"})
    report = schedule_all_hands(spec, creds, dry_run=True, now=NOW)
    assert all("people: +1" in row["people"] for row in report.rows()), report.rows()


def test_the_events_file_path_outside_the_work_root_fails_the_run(
    creds: KalturaCredentials, emu: EmulatorServer, elsewhere: Path, work_root: Path
) -> None:
    emu.control.reset_stats()
    for path in out_of_the_root(elsewhere, work_root, "secret.env"):
        state = sync_events_file(path, creds, dry_run=True, now=NOW, return_state=True)
        refused(state, emu, "path=")


@pytest.mark.parametrize("flow", ["sync_events_file", "report_attendance"])
def test_output_folders_outside_the_work_root_fail_the_run_before_any_write(
    creds: KalturaCredentials, emu: EmulatorServer, elsewhere: Path, work_root: Path, flow: str
) -> None:
    emu.control.reset_stats()
    for folder in out_of_the_root(elsewhere, work_root, "out"):
        if flow == "sync_events_file":
            plan = sync_events_file(
                "examples/kaltura-events.yaml", creds, calendar_dir=folder, now=NOW, return_state=True
            )
            refused(plan, emu, "calendar_dir=")
        else:
            selector = EventSelector(series_key="any")
            report = report_attendance(selector, creds, output_dir=folder, return_state=True)
            refused(report, emu, "output_dir=")
        assert not (elsewhere / "out").exists()
