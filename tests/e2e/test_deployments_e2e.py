"""The deployments on a real Prefect server (SQLite), driven with the commands CI users run.

``prefect deployment run NAME -p ... --watch`` must exit 0 exactly when the flow
run completed, and the emulator must then hold exactly what the run was asked
to make. Bad parameters must fail the run with a message that names the field.
"""

from __future__ import annotations

import os
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from kaltura_events.planning.labels import SERIES_LABEL_PREFIX
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import plan
from kaltura_events.planning.teardown import owner_of_media_child, owner_of_root
from tests.e2e.conftest import (
    CLI_TIMEOUT,
    CREDENTIALS_NAME,
    POOL,
    PREFECT_YAML,
    REPO_ROOT,
    RUN_TIMEOUT,
    SCHEDULES_TESTED,
    Completed,
    Stack,
    emulator_variables,
    kaltura_events,
    pause_schedules_but,
    prefect,
    run_command,
    without_prefect,
)

pytestmark = pytest.mark.slow

NOW = "2031-03-03T12:00:00Z"
NEW_YORK = ZoneInfo("America/New_York")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _weekly_series(key: str) -> dict[str, Any]:
    """A small series: a horizon of two Mondays, a template session and one of its own."""
    return {
        "key": key,
        "name": "E2E All-Hands {date:%Y-%m-%d}",
        "template_id": "tm2000",
        "timezone": "America/New_York",
        "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "start_time": "10:00",
        "duration_minutes": 60,
        "horizon_days": 15,
        "labels": ["all-hands"],
        "sessions": [{"name": "Q&A", "type": "MeetingEntry", "offset_minutes": 45, "duration_minutes": 15}],
    }


def _series_events(stack: Stack, key: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = stack.emulator.control.state()["events"]
    return [e for e in events if f"{SERIES_LABEL_PREFIX}{key}" in e["labels"]]


def assert_series_exact(stack: Stack, series: dict[str, Any], now: str = NOW) -> list[int]:
    """The emulator holds exactly the planned occurrences: names, starts, labels and sessions."""
    planned = plan(AllHandsSeries.model_validate(series), _instant(now))
    events = _series_events(stack, series["key"])
    assert sorted((e["name"], _instant(e["startDate"])) for e in events) == sorted(
        (p.name, p.start_utc) for p in planned
    )
    state = stack.emulator.control.state()
    by_name = {p.name: p for p in planned}
    for event in events:
        assert set(by_name[event["name"]].labels) <= set(event["labels"])
        assert _instant(event["startDate"]).astimezone(NEW_YORK).hour == 10
        sessions = {s["name"] for s in state["sessions"].get(str(event["id"]), [])}
        assert {s["name"] for s in series["sessions"]} <= sessions
    return [e["id"] for e in events]


def test_deployments_are_registered_as_prefect_yaml_says(stack: Stack) -> None:
    weekly = stack.deployment("schedule-all-hands/weekly")
    duplicate = stack.deployment("duplicate-event/default")
    teardown = stack.deployment("teardown-events/default")
    for deployment in (weekly, duplicate, teardown):
        assert deployment["work_pool_name"] == POOL
        assert "kaltura" in deployment["tags"]
        assert len(deployment["description"]) > 40
        assert deployment["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO_ROOT)}}
        ]
        assert deployment["parameters"]["credentials"] == {
            "$ref": {"block_document_slug": f"kaltura-credentials/{CREDENTIALS_NAME}"}
        }
    [schedule] = weekly["schedules"]
    assert schedule["active"]
    assert schedule["schedule"]["cron"] == "0 6 * * 1"
    assert schedule["schedule"]["timezone"] == "America/New_York"
    assert duplicate["schedules"] == [] and teardown["schedules"] == []
    assert (teardown["global_concurrency_limit"] or {}).get("limit") == 1
    assert duplicate["global_concurrency_limit"] is None


def _scheduled_starts(stack: Stack, deployment_id: str) -> list[datetime]:
    response = stack.api.post(
        "/flow_runs/filter",
        json={
            "deployments": {"id": {"any_": [deployment_id]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        },
    )
    response.raise_for_status()
    return [_instant(run["expected_start_time"]) for run in response.json()]


def test_weekly_schedule_has_upcoming_runs_at_six_new_york_time(stack: Stack) -> None:
    weekly = stack.deployment("schedule-all-hands/weekly")
    # The server's scheduler service makes the runs a few seconds after a deploy.
    deadline = time.monotonic() + 90
    while not (starts := _scheduled_starts(stack, weekly["id"])) and time.monotonic() < deadline:
        time.sleep(1.0)
    assert starts, "the scheduler made no upcoming runs for schedule-all-hands/weekly"
    now = datetime.now(timezone.utc)
    for start in starts:
        local = start.astimezone(NEW_YORK)
        assert (local.weekday(), local.hour, local.minute) == (0, 6, 0), local
        assert start > now


def test_duplicate_event_from_ci(stack: Stack) -> None:
    stack.emulator.control.bulk_events(1, "E2E template", labels=["e2e-template"])
    spec = {
        "source_label": "e2e-template",
        "name": "E2E Town Hall",
        "start": "2031-09-01T10:00:00",
        "timezone": "America/New_York",
        "duration_minutes": 90,
        "doors_open_minutes": 30,
        "labels": ["town-hall"],
        "poll": {"timeout_seconds": 60, "intervals_seconds": [0.5]},
    }

    result = stack.run_deployment("duplicate-event/default", {"spec": spec})

    assert result.returncode == 0, f"{result.output[-4000:]}\n{stack.worker_logs()}"
    [copy] = [e for e in stack.emulator.control.state()["events"] if e["name"] == "E2E Town Hall"]
    assert _instant(copy["startDate"]) == datetime(2031, 9, 1, 14, 0, tzinfo=timezone.utc)  # 10:00 EDT
    assert _instant(copy["endDate"]) == datetime(2031, 9, 1, 15, 30, tzinfo=timezone.utc)
    assert _instant(copy["doorsOpenDate"]) == datetime(2031, 9, 1, 13, 30, tzinfo=timezone.utc)
    assert "town-hall" in copy["labels"]
    assert stack.flow_run(str(result.flow_run_id))["state"]["type"] == "COMPLETED"


def test_schedule_converge_then_teardown_from_ci(stack: Stack) -> None:
    series = _weekly_series("e2e-weekly")
    parameters = {"series": series, "now": NOW}

    first = stack.run_deployment("schedule-all-hands/weekly", parameters)
    assert first.returncode == 0, f"{first.output[-4000:]}\n{stack.worker_logs()}"
    event_ids = assert_series_exact(stack, series)
    writes = stack.emulator.control.stats()["writes_committed"]

    again = stack.run_deployment("schedule-all-hands/weekly", parameters)
    assert again.returncode == 0, again.output[-4000:]
    assert stack.emulator.control.stats()["writes_committed"] == writes, "a converged series was rewritten"

    teardown = stack.run_deployment(
        "teardown-events/default", {"selector": {"series_key": "e2e-weekly"}, "dry_run": False}
    )
    assert teardown.returncode == 0, f"{teardown.output[-4000:]}\n{stack.worker_logs()}"
    assert _series_events(stack, "e2e-weekly") == []
    owners = set()
    for category in stack.emulator.control.state()["categories"]:
        owners |= {owner_of_root(category["fullName"]), owner_of_media_child(category["fullName"])}
    assert not owners & set(event_ids), "categories of deleted events were left behind"


@pytest.mark.parametrize(
    ("series_change", "field"),
    [
        pytest.param({"source_event_id": 7}, "template_id", id="two-sources"),
        pytest.param({"key": "Not A Key!"}, "key", id="bad-key"),
    ],
)
def test_bad_parameters_fail_the_run_naming_the_field(
    stack: Stack, series_change: dict[str, Any], field: str
) -> None:
    before = len(stack.emulator.control.state()["events"])
    series = {**_weekly_series("e2e-bad"), **series_change}

    result = stack.run_deployment("schedule-all-hands/weekly", {"series": series, "now": NOW})

    assert result.returncode != 0
    streamed = "\n".join(line for line in result.output.splitlines() if "Parameters:" not in line)
    assert f"{field}=" in streamed or f"series.{field}" in streamed, result.output[-4000:]
    run = stack.flow_run(str(result.flow_run_id))
    assert run["state"]["type"] == "FAILED"
    assert field in run["state"]["message"], run["state"]["message"]
    assert "emulator-admin-secret" not in run["state"]["message"]
    assert len(stack.emulator.control.state()["events"]) == before


def test_teardowns_never_overlap(stack: Stack) -> None:
    """The deployment's concurrency limit of 1 queues the second teardown until the first ends."""
    parameters = {"selector": {"label": "e2e-nothing-here"}, "dry_run": True}
    ids = [stack.create_flow_run("teardown-events/default", parameters) for _ in range(2)]

    runs = stack.wait_for_runs(ids)

    assert [run["state"]["type"] for run in runs.values()] == ["COMPLETED", "COMPLETED"]
    first, second = sorted(runs.values(), key=lambda run: run["start_time"])
    assert _instant(first["end_time"]) <= _instant(second["start_time"])


def test_setup_commands_work_again(stack: Stack) -> None:
    """Every setup step a user may repeat: the second time is a no-op that still exits 0."""
    credentials_env = {**stack.env, **emulator_variables(stack.emulator)}
    setup = kaltura_events(credentials_env, "setup").check()
    assert "Work pool kaltura-events: unchanged" in setup.stdout
    assert "kaltura-api: unchanged" in setup.stdout
    assert f"kaltura-credentials/{CREDENTIALS_NAME}: unchanged" in setup.stdout
    assert stack.emulator.admin_secret not in setup.output
    kaltura_events(stack.env, "blocks", "register").check()
    kaltura_events(credentials_env, "credentials", "save", CREDENTIALS_NAME).check()
    assert "unchanged" in kaltura_events(stack.env, "limits", "create", "--limit", "8").check().stdout
    changed = {**credentials_env, "KALTURA_ADMIN_SECRET": "another-secret"}
    refused = kaltura_events(changed, "credentials", "save", CREDENTIALS_NAME)
    assert refused.returncode == 1 and "--overwrite" in refused.stderr
    assert "another-secret" not in refused.output
    prefect(stack.env, "deploy", "--prefect-file", str(PREFECT_YAML), "--all").check()
    pause_schedules_but(stack, SCHEDULES_TESTED)  # the deploy made them active again; the stack lives on


@pytest.fixture
def stack(sqlite_stack: Stack) -> Stack:
    return sqlite_stack


def _github_step_env(step: dict[str, Any], inputs: dict[str, str], secrets: dict[str, str]) -> dict[str, str]:
    """A step's ``env:`` with ``${{ inputs.X }}`` and ``${{ secrets.X }}`` filled in as GitHub does."""

    def fill(value: str) -> str:
        def lookup(match: re.Match[str]) -> str:
            scope, name = match.group(1), match.group(2)
            return (inputs if scope == "inputs" else secrets).get(name, "")

        return re.sub(r"\$\{\{\s*(inputs|secrets)\.(\w+)\s*\}\}", lookup, value)

    return {name: fill(str(value)) for name, value in (step.get("env") or {}).items()}


def _github_env(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_github_actions_example_runs_as_written(stack: Stack, tmp_path: Path) -> None:
    """The workflow's own steps, run with bash as a GitHub runner would: success, then a failure explained."""
    workflow = yaml.safe_load((REPO_ROOT / "deployments" / "ci" / "github-actions.yml").read_text())
    steps = {step.get("name"): step for step in workflow["jobs"]["duplicate"]["steps"]}
    secrets = {"PREFECT_API_URL": stack.server.api_url}
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    stack.emulator.control.bulk_events(1, "GHA template", labels=["e2e-gha-template"])

    def job(inputs: dict[str, str]) -> list[Completed]:
        github_env = tmp_path / "github_env"
        github_env.write_text("")
        base = {
            **without_prefect(stack.env),
            "PATH": path,
            "GITHUB_ENV": str(github_env),
            "PREFECT_HOME": str(tmp_path / "runner-prefect-home"),  # a fresh runner's, not this machine's
        }
        results = []
        for name in (
            "Point Prefect at your server",
            "Build the spec parameter",
            "Run duplicate-event/default and wait for its result",
        ):
            env = {**base, **_github_env(github_env), **_github_step_env(steps[name], inputs, secrets)}
            result = run_command(["bash", "-e", "-c", steps[name]["run"]], env, RUN_TIMEOUT + 60, tmp_path)
            results.append(result)
            if result.returncode != 0:
                why = steps["Say why the flow run failed"]
                env = {**base, **_github_env(github_env)}
                results.append(run_command(["bash", "-e", "-c", why["run"]], env, CLI_TIMEOUT, tmp_path))
                break
        return results

    inputs = {
        "source_label": "e2e-gha-template",
        "name": 'E2E "GHA" copy',
        "start": "2031-10-06T09:30",
        "timezone": "Europe/London",
        "duration_minutes": "45",
        "labels": "gha, e2e",
    }
    done = job(inputs)
    assert [r.returncode for r in done] == [0, 0, 0], done[-1].output[-4000:]
    [copy] = [e for e in stack.emulator.control.state()["events"] if e["name"] == 'E2E "GHA" copy']
    assert _instant(copy["startDate"]) == datetime(2031, 10, 6, 8, 30, tzinfo=timezone.utc)  # 09:30 BST
    assert _instant(copy["endDate"]) == datetime(2031, 10, 6, 9, 15, tzinfo=timezone.utc)
    assert {"gha", "e2e"} <= set(copy["labels"])

    failed = job({**inputs, "source_label": "e2e-no-such-template", "name": "E2E never made"})
    assert [r.returncode for r in failed][:3] == [0, 0, 1], failed[-1].output[-4000:]
    assert "source_label" in failed[-1].output, failed[-1].output[-4000:]
