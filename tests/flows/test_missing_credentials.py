"""A flow run without credentials fails once, at its first step, with one message saying what to set."""

from __future__ import annotations

from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from flows.schedule_all_hands import schedule_all_hands
from flows.sync_events_file import sync_events_file
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.environment import ENV_VARS
from tests.specs import weekly_all_hands


@pytest.fixture
def no_kaltura_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def task_runs_of(flow_run_id: UUID) -> int:
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return len(runs)


@pytest.mark.usefixtures("no_kaltura_variables")
def test_a_series_run_without_credentials_fails_before_any_task(emu: EmulatorServer) -> None:
    state = schedule_all_hands(weekly_all_hands(), None, return_state=True)
    assert state.is_failed()
    assert state.message is not None and "no Kaltura credentials" in state.message
    assert "KALTURA_ADMIN_SECRET" in state.message and "pydantic" not in state.message
    assert state.state_details.flow_run_id is not None
    assert task_runs_of(state.state_details.flow_run_id) == 0
    assert emu.control.stats()["total_requests"] == 0


@pytest.mark.usefixtures("no_kaltura_variables")
def test_an_events_file_run_without_credentials_fails_before_any_task(emu: EmulatorServer) -> None:
    state = sync_events_file(path="examples/kaltura-events.yaml", dry_run=True, return_state=True)
    assert state.is_failed()
    assert state.message is not None and "no Kaltura credentials" in state.message
    assert state.state_details.flow_run_id is not None
    assert task_runs_of(state.state_details.flow_run_id) == 0
    assert emu.control.stats()["total_requests"] == 0
