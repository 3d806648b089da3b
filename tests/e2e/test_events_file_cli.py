"""``kaltura-events plan|apply`` and the events-as-code CI example, as a user and a GitHub runner run them.

Every command is a subprocess against a real emulator; exit codes are the
contract (0 nothing to change, 2 changes, 1 error).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from deployments.local_server import PrefectServer
from kaltura_events.api.ks import ADMIN, build_ks_v2
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawEventsApi
from kaltura_events.formats.events_file import load_events_file, targets
from tests.e2e.conftest import REPO_ROOT, Completed, run_command, without_prefect
from tests.e2e.test_deployments_e2e import _github_step_env
from tests.invariants import series_problems

pytestmark = pytest.mark.slow

EXAMPLE = REPO_ROOT / "examples" / "kaltura-events.yaml"
WORKFLOW = REPO_ROOT / "deployments" / "ci" / "events-as-code.yml"
WRITES = ("events/create", "events/update", "events/delete", "sessions/create", "events/duplicate")


def kaltura_secrets(emu: EmulatorServer) -> dict[str, str]:
    """What the CI example's secrets hold: the variables the emulator's banner prints."""
    return dict(emu.exports)


def runner_env(tmp_path: Path) -> dict[str, str]:
    """A runner's environment: no Prefect settings, the installed ``kaltura-events`` on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**without_prefect(os.environ), "PATH": path, "PREFECT_HOME": str(tmp_path / "prefect-home")}


def writes(emu: EmulatorServer) -> int:
    requests = emu.control.stats()["requests"]
    return sum(sum(requests.get(w, {}).values()) for w in WRITES)


@pytest.fixture
def template(emu: EmulatorServer, events_api: RawEventsApi) -> Iterator[EmulatorServer]:
    """The example's source_event_id 1: the first event of the reset emulator."""
    emu.control.reset(duplicate_seconds=0.2)
    event = events_api.create_event(
        "Town Hall template", template_id="tm4000", start="2027-01-05T15:00:00Z", end="2027-01-05T16:00:00Z"
    )
    assert event["id"] == 1
    emu.control.reset_stats()
    yield emu


@pytest.fixture(scope="module")
def server() -> Iterator[PrefectServer]:
    """The Prefect server CI's secrets name (PREFECT_API_URL), one for the module.

    Only test_plan_without_a_prefect_server_starts_one_and_prints_no_errors is
    about a command starting its own. A server per test cost a start of 10 to
    25 s each; the tests read only the flow runs they made (``runs_since``).
    """
    with PrefectServer() as started:
        yield started


def flow_run_ids(server: PrefectServer) -> set[str]:
    """The runs on the server now, so a test can tell its own from earlier tests' runs."""
    return {run["id"] for run in _flow_runs(server, {})}


def runs_since(server: PrefectServer, before: set[str]) -> list[dict[str, Any]]:
    """The flow runs made since ``flow_run_ids`` gave ``before``, oldest first."""
    runs = _flow_runs(server, {"sort": "EXPECTED_START_TIME_ASC"})
    return [run for run in runs if run["id"] not in before]


def _flow_runs(server: PrefectServer, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = httpx.post(f"{server.api_url}/flow_runs/filter", json=body, timeout=30)
    response.raise_for_status()
    runs: list[dict[str, Any]] = response.json()
    return runs


def cli(env: dict[str, str], cwd: Path, *args: str) -> Completed:
    return run_command(["kaltura-events", *args], env, timeout=300, cwd=cwd)


def test_plan_without_a_prefect_server_starts_one_and_prints_no_errors(
    template: EmulatorServer, tmp_path: Path
) -> None:
    env = {**runner_env(tmp_path), **kaltura_secrets(template)}
    plan = cli(env, tmp_path, "plan", str(EXAMPLE), "--markdown", "plan.md")
    assert plan.returncode == 2, plan.output[-4000:]
    assert "ERROR" not in plan.output and "Traceback" not in plan.output, plan.output[-4000:]
    assert "would create" in plan.stdout and "Product Launch 2027" in plan.stdout
    assert "would create" in (tmp_path / "plan.md").read_text()
    assert writes(template) == 0
    assert template.admin_secret not in plan.output


def test_bad_file_exits_1_naming_the_field_before_any_request(
    template: EmulatorServer, tmp_path: Path
) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["series"][2]["sessions"] = [{"name": "Talk", "type": "Podcast"}]
    bad = tmp_path / "kaltura-events.yaml"
    bad.write_text(yaml.safe_dump(data))
    [(line, text)] = [(n, t) for n, t in enumerate(bad.read_text().splitlines(), 1) if "Podcast" in t]
    place = f"kaltura-events.yaml:{line}:{text.index('Podcast') + 1}: series[2].sessions[0].type"
    env = {**runner_env(tmp_path), **kaltura_secrets(template)}
    for command in ("plan", "apply"):
        result = cli(env, tmp_path, command, str(bad))
        assert result.returncode == 1, result.output
        # Named as from where the command ran (bad.parent is the current directory), at its line.
        assert f"{command}: {place}" in result.stderr, result.stderr
        assert "Podcast" in result.stderr
    assert sum(sum(v.values()) for v in template.control.stats()["requests"].values()) == 0


def _ci_step(workflow: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    [step] = [s for s in workflow["jobs"][job]["steps"] if s.get("name") == name]
    return step


def test_ci_example_plans_on_pull_request_and_applies_on_merge(
    template: EmulatorServer, server: PrefectServer, tmp_path: Path
) -> None:
    """The workflow's own Plan and Apply steps, run with bash in a checkout as a GitHub runner would."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"pull_request", "push"} and triggers["push"]["branches"] == ["main"]
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy(EXAMPLE, checkout / workflow["env"]["EVENTS_FILE"])
    shutil.copytree(EXAMPLE.parent / "audiences", checkout / "audiences")
    secrets = {**kaltura_secrets(template), "PREFECT_API_URL": server.api_url}

    def step(job: str, name: str) -> tuple[Completed, dict[str, str]]:
        spec = _ci_step(workflow, job, name)
        output = tmp_path / f"github_output_{job}"
        output.write_text("")
        env = {
            **runner_env(tmp_path),
            **workflow["env"],
            **_github_step_env(spec, {}, secrets),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        }
        result = run_command(["bash", "-e", "-c", spec["run"]], env, timeout=400, cwd=checkout)
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        return result, outputs

    first, outputs = step("plan", "Plan")
    assert first.returncode == 0 and outputs == {"exit_code": "2"}, first.output[-4000:]
    assert "would create" in (checkout / "plan.md").read_text()
    assert writes(template) == 0

    applied, _ = step("apply", "Apply")
    assert applied.returncode == 0, applied.output[-4000:]
    assert "created" in (tmp_path / "summary.md").read_text()
    made = [e for e in template.control.state()["events"] if "kev-file:acme-events" in e["labels"]]
    assert len(made) > 20

    template.control.reset_stats()
    again, outputs = step("plan", "Plan")
    assert again.returncode == 0 and outputs == {"exit_code": "0"}, again.output[-4000:]
    assert writes(template) == 0
    assert set(template.control.stats()["requests"]) == {"events/list", "team-members/list"}, "lists only"


def test_without_credentials_plan_and_apply_exit_1_in_one_line_before_any_server(tmp_path: Path) -> None:
    env = runner_env(tmp_path)
    for command in ("plan", "apply"):
        result = cli(env, tmp_path, command, str(EXAMPLE))
        assert result.returncode == 1, result.output
        assert result.stdout == ""
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"kaltura-events {command}: no Kaltura credentials"), line
        assert "KALTURA_ADMIN_SECRET" in line and "Credentials Block" in line
        assert "Traceback" not in result.output and "pydantic" not in result.output
        assert "starting a Prefect server" not in result.output
    assert not (tmp_path / "prefect-home").exists(), "no Prefect server or database was started"


def test_half_an_auth_mode_names_the_missing_variable(emu: EmulatorServer, tmp_path: Path) -> None:
    secrets = {k: v for k, v in kaltura_secrets(emu).items() if k != "KALTURA_USER_ID"}
    result = cli({**runner_env(tmp_path), **secrets}, tmp_path, "plan", str(EXAMPLE))
    assert result.returncode == 1, result.output
    [line] = result.stderr.strip().splitlines()
    assert "also need KALTURA_USER_ID" in line
    assert emu.admin_secret not in result.output
    assert emu.control.stats()["total_requests"] == 0


def test_a_refused_credential_ends_each_command_in_one_line_and_the_run_in_the_same(
    emu: EmulatorServer, server: PrefectServer, tmp_path: Path
) -> None:
    """A wrong admin secret, a given KS that expired, a disabled app token: one line each, no traceback.

    On a configured server without ``kaltura-api`` each command first says, once,
    what ``kaltura-events setup`` adds. The flow run's state message is the line.
    """
    secrets = {k: v for k, v in kaltura_secrets(emu).items() if k != "KALTURA_ADMIN_SECRET"}
    two_hours_ago = time.time() - 7200
    expired = build_ks_v2(
        emu.admin_secret, emu.partner_id, emu.user_id, expiry_seconds=3600, now=two_hours_ago
    )
    token = emu.control.create_app_token("SHA256", session_user_id=emu.user_id, session_type=ADMIN, status=1)
    cases = [
        (
            "plan",
            {"KALTURA_ADMIN_SECRET": "not-the-admin-secret"},
            "not-the-admin-secret",
            "HTTP 401: the KS signature is invalid",  # of whichever call met it first
            f"check KALTURA_ADMIN_SECRET (the Block's admin_secret) for partner {emu.partner_id}",
        ),
        (
            "apply",
            {"KALTURA_KS": expired, "KALTURA_PARTNER_ID": "", "KALTURA_USER_ID": ""},
            expired,
            "HTTP 401: the KS has expired",
            "KALTURA_KS (the Block's ks) was given as a fixed KS, so it cannot be renewed",
        ),
        (
            "attendance",
            {"KALTURA_APP_TOKEN_ID": token["id"], "KALTURA_APP_TOKEN": token["token"]},
            token["token"],
            "appToken.startSession: HTTP 401: APP_TOKEN_NOT_ACTIVE",
            f"app token {token['id']} is disabled: re-enable it",
        ),
    ]
    before = flow_run_ids(server)
    lines = []
    for command, credentials, secret, check, what_to_change in cases:
        env = {**runner_env(tmp_path), **secrets, **credentials, "PREFECT_API_URL": server.api_url}
        result = cli(env, tmp_path, command, str(EXAMPLE))
        assert result.returncode == 1, result.output[-4000:]
        assert result.stdout == "" and "Traceback" not in result.output, result.output[-4000:]
        note, line = result.stderr.strip().splitlines()
        assert note.startswith(f"kaltura-events {command}: note: this Prefect server has no "), note
        assert "`kaltura-events setup` adds it" in note
        assert line.startswith(f"kaltura-events {command}: ") and check in line, line
        assert what_to_change in line, line
        assert secret not in result.output
        lines.append(line.removeprefix(f"kaltura-events {command}: "))
    runs = runs_since(server, before)
    assert sorted(r["state"]["message"] for r in runs) == sorted(lines), "the run says what the command said"
    assert writes(emu) == 0


def _names_that_repeat(now: datetime) -> dict[str, Any]:
    """The three series users met: one name for all, a weekday name, a month name with an extra date.

    Times sit 12 hours from now in UTC, so the horizon's edge (now) falls
    between occurrences and the test plans what the command planned.
    """
    start = f"{(now.hour + 12) % 24:02d}:00"
    extra = now.date() + timedelta(days=40)
    if extra.day <= 7:  # never the first Tuesday itself
        extra += timedelta(days=7)
    common = {"template_id": "tm0000", "timezone": "UTC", "start_time": start, "duration_minutes": 30}
    return {
        "name": "names-repeat",
        "series": [
            {
                "key": "team-sync",
                "name": "Weekly Team Sync",
                "rrule": "FREQ=WEEKLY",
                "horizon_days": 56,
                **common,
            },
            {
                "key": "stand-up",
                "name": "Stand-up {date:%A}",
                "rrule": "FREQ=DAILY",
                "horizon_days": 14,
                **common,
            },
            {
                "key": "town-hall",
                "name": "Town Hall {date:%B %Y}",
                "rrule": "FREQ=MONTHLY;BYDAY=1TU",
                "horizon_days": 120,
                "extra_dates": [extra.isoformat()],
                **common,
            },
        ],
    }


def test_apply_makes_one_event_per_occurrence_whatever_the_names_and_plan_then_shows_none(
    emu: EmulatorServer, server: PrefectServer, tmp_path: Path
) -> None:
    now = datetime.now(timezone.utc)
    path = tmp_path / "kaltura-events.yaml"
    path.write_text(yaml.safe_dump(_names_that_repeat(now)))
    planned = targets(load_events_file(path), str(path), now)
    assert all(len({p.name for p in t.planned}) < len(t.planned) for t in planned), (
        "every series repeats a name"
    )
    env = {**runner_env(tmp_path), **kaltura_secrets(emu), "PREFECT_API_URL": server.api_url}
    applied = cli(env, tmp_path, "apply", str(path))
    assert applied.returncode == 0, applied.output[-4000:]
    assert "Error logging to API" not in applied.output and "Traceback" not in applied.output
    state = emu.control.state()
    for target in planned:
        assert series_problems(state, target.series, now) == [], target.key
    total = sum(len(t.planned) for t in planned)
    assert len(state["events"]) == total
    assert f"{total} were created" in applied.stdout

    emu.control.reset_stats()
    again = cli(env, tmp_path, "plan", str(path))
    assert again.returncode == 0, again.output[-4000:]
    assert writes(emu) == 0


def test_attendance_of_a_series_of_the_file_from_the_command_line(
    emu: EmulatorServer, server: PrefectServer, tmp_path: Path
) -> None:
    """apply, people join (the control endpoint), then ``attendance FILE --series KEY -o DIR``."""
    now = datetime.now(timezone.utc)
    start = f"{(now.hour + 12) % 24:02d}:00"
    path = tmp_path / "kaltura-events.yaml"
    spec = {"key": "cli-all-hands", "name": "CLI All-Hands {date:%Y-%m-%d}", "template_id": "tm0000"}
    timing = {"timezone": "UTC", "rrule": "FREQ=WEEKLY", "start_time": start, "duration_minutes": 60}
    timing["horizon_days"] = 21
    path.write_text(yaml.safe_dump({"name": "cli-attendance", "series": [{**spec, **timing}]}))

    typo = cli(
        {**runner_env(tmp_path), **kaltura_secrets(emu)},
        tmp_path,
        "attendance",
        str(path),
        "--series",
        "cli-all-hand",
    )
    assert typo.returncode == 1, typo.output
    assert "--series='cli-all-hand'" in typo.stderr and "did you mean cli-all-hands" in typo.stderr
    assert not (tmp_path / "prefect-home").exists(), "refused before any Prefect server started"

    env = {**runner_env(tmp_path), **kaltura_secrets(emu), "PREFECT_API_URL": server.api_url}
    assert cli(env, tmp_path, "apply", str(path)).returncode == 0
    events = sorted(emu.control.state()["events"], key=lambda e: e["startDate"])
    for number, event in enumerate(events):
        people = [f"person{i}@example.com" for i in range(4 + number)]
        emu.control.mark_attendance(event["id"], people, "registered")
        emu.control.mark_attendance(event["id"], people[:2], "attended")
    out = tmp_path / "report"
    report = cli(env, tmp_path, "attendance", str(path), "--series", "cli-all-hands", "-o", str(out))
    assert report.returncode == 0, report.output[-4000:]
    assert "Traceback" not in report.output and "Error logging to API" not in report.output
    assert f"{len(events)} occurrence(s)" in report.stdout
    assert f"chart: {out / 'attendance-chart.png'}" in report.stdout
    matrix = (out / "attendance-matrix.csv").read_text(encoding="utf-8").splitlines()
    assert len(matrix) == 1 + 3 + len(events), "a header, then one row per person"
    assert (out / "attendance-chart.png").read_bytes().startswith(b"\x89PNG")


def test_a_plan_that_could_not_list_a_series_exits_1_and_its_run_is_failed(
    emu: EmulatorServer, server: PrefectServer, tmp_path: Path
) -> None:
    """The series' label query meets a 500 on every attempt the client makes (1 + 3 retries)."""
    path = tmp_path / "kaltura-events.yaml"
    spec = {"key": "unlisted", "name": "Unlisted {date:%Y-%m-%d}", "template_id": "tm0000"}
    timing = {"timezone": "UTC", "rrule": "FREQ=WEEKLY", "start_time": "10:00", "duration_minutes": 60}
    timing["horizon_days"] = 21
    path.write_text(yaml.safe_dump({"name": "cli-failed-plan", "series": [{**spec, **timing}]}))
    emu.control.set_faults([{"endpoint": "events/list", "kind": "error_before_commit", "times": 4}])
    env = {**runner_env(tmp_path), **kaltura_secrets(emu), "PREFECT_API_URL": server.api_url}
    before = flow_run_ids(server)
    plan = cli(env, tmp_path, "plan", str(path))
    runs = runs_since(server, before)
    assert plan.returncode == 1, plan.output[-4000:]
    assert "failed: unlisted: " in plan.stderr and "events/list: HTTP 500" in plan.stderr
    assert [r["state"]["type"] for r in runs] == ["FAILED"], runs
    assert "1 item(s) could not be planned" in runs[0]["state"]["message"]
    assert writes(emu) == 0


def test_plan_exits_2_on_a_duplicate_and_apply_mends_it_until_plan_exits_0(
    emu: EmulatorServer, events_api: RawEventsApi, server: PrefectServer, tmp_path: Path
) -> None:
    """An applied file, then a second event for one occurrence made by hand, as an overlapping run made it."""
    now = datetime.now(timezone.utc)
    path = tmp_path / "kaltura-events.yaml"
    series = {"key": "cli-dups", "name": "CLI Sync {date:%Y-%m-%d}", "template_id": "tm0000"}
    start = f"{(now.hour + 12) % 24:02d}:00"
    timing = {"timezone": "UTC", "rrule": "FREQ=WEEKLY", "start_time": start, "duration_minutes": 60}
    path.write_text(
        yaml.safe_dump({"name": "cli-dups", "series": [{**series, **timing, "horizon_days": 21}]})
    )
    env = {**runner_env(tmp_path), **kaltura_secrets(emu), "PREFECT_API_URL": server.api_url}
    assert cli(env, tmp_path, "apply", str(path)).returncode == 0
    original = min(emu.control.state()["events"], key=lambda e: e["id"])
    extra = events_api.create_event(
        original["name"], start=original["startDate"], end=original["endDate"], timezone="UTC"
    )
    events_api.ok("events/update", {"id": extra["id"], "labels": original["labels"]})

    plan = cli(env, tmp_path, "plan", str(path), "--markdown", "plan.md")
    assert plan.returncode == 2, plan.output[-4000:]
    assert f"duplicate: would keep {original['id']}, delete {extra['id']}" in plan.stdout
    assert "would create" not in plan.stdout and "would prune" not in plan.stdout
    assert f"delete {extra['id']}" in (tmp_path / "plan.md").read_text()

    applied = cli(env, tmp_path, "apply", str(path))
    assert applied.returncode == 0, applied.output[-4000:]
    assert extra["id"] not in {e["id"] for e in emu.control.state()["events"]}
    again = cli(env, tmp_path, "plan", str(path))
    assert again.returncode == 0, again.output[-4000:]


def test_plan_rows_name_each_changed_field_and_what_only_a_person_can_fix(
    emu: EmulatorServer, events_api: RawEventsApi, server: PrefectServer, tmp_path: Path
) -> None:
    """A weekly series moved an hour, a town hall re-described and renamed by hand in Kaltura.

    The plan shows every field with its value now and the file's, in the
    series' zone, in the terminal, the markdown and ``--json``; apply moves the
    events and exits 2 with one line naming the events whose sessions a person
    must move, and those stay a row of every plan (exit 2) while nothing else does.
    """
    now = datetime.now(timezone.utc)
    day = (now + timedelta(days=10)).date()
    path = tmp_path / "kaltura-events.yaml"
    weekly = {
        "key": "cli-weekly",
        "name": "Weekly Sync",
        "template_id": "tm0000",
        "timezone": "Europe/Paris",
        "rrule": "FREQ=WEEKLY",
        "start_time": "10:00",
        "duration_minutes": 60,
        "starts_on": (now + timedelta(days=2)).date().isoformat(),
        "horizon_days": 21,
        "sessions": [{"name": "Keynote", "duration_minutes": 30}],
    }
    town_hall = {
        "key": "cli-town-hall",
        "name": "Town Hall",
        "start": f"{day.isoformat()}T17:00",
        "duration_minutes": 60,
        "timezone": "Europe/Paris",
        "template_id": "tm0000",
        "description": "Q1 results",
    }
    path.write_text(yaml.safe_dump({"name": "cli-rows", "series": [weekly], "events": [town_hall]}))
    env = {**runner_env(tmp_path), **kaltura_secrets(emu), "PREFECT_API_URL": server.api_url}
    assert cli(env, tmp_path, "apply", str(path)).returncode == 0
    events = emu.control.state()["events"]
    [hall] = [e for e in events if "kev-series:cli-town-hall" in e["labels"]]
    weeks = sorted(e["startDate"] for e in events if "kev-series:cli-weekly" in e["labels"])
    weekly_ids = {e["id"] for e in events if "kev-series:cli-weekly" in e["labels"]}
    events_api.ok("events/update", {"id": hall["id"], "name": "Town Hall (moved)"})
    path.write_text(
        yaml.safe_dump(
            {
                "name": "cli-rows",
                "series": [{**weekly, "start_time": "11:00"}],
                "events": [{**town_hall, "description": "Q1 results and Q2 goals"}],
            }
        )
    )

    emu.control.reset_stats()
    plan = cli(env, tmp_path, "plan", str(path), "--markdown", "plan.md", "--json", "plan.json")
    assert plan.returncode == 2, plan.output[-4000:]
    assert writes(emu) == 0
    rows = json.loads((tmp_path / "plan.json").read_text())["rows"]
    assert len(rows) == len(weeks) + 1, rows
    by_key = {r["series"]: r for r in rows if r["series"] == "cli-town-hall"}
    assert by_key["cli-town-hall"]["action"] == "would update"
    assert by_key["cli-town-hall"]["changes"] == [
        {"field": "name", "before": '"Town Hall (moved)"', "after": '"Town Hall"', "converges": True},
        {
            "field": "description",
            "before": '"Q1 results"',
            "after": '"Q1 results and Q2 goals"',
            "converges": True,
        },
    ]
    for row in (r for r in rows if r["series"] == "cli-weekly"):
        assert row["action"] == "would update; sessions need a person", row
        fields = [c["field"] for c in row["changes"]]
        assert fields == ["start", "end", "doors-open", "session 'Keynote' (cannot follow a move)"]
        start = row["changes"][0]
        assert start["before"].endswith("T10:00+01:00") and start["after"].endswith("T11:00+01:00")
    markdown = (tmp_path / "plan.md").read_text()
    shown = 'name: "Town Hall (moved)" -> "Town Hall"'
    assert shown in plan.stdout and shown in markdown
    assert "cannot move a session" in plan.stdout and "cannot move a session" in markdown
    assert f"event {hall['id']}" not in markdown, "the town hall has no sessions to fix"
    summary = plan.stdout.strip().splitlines()[-1]
    assert f"{len(weeks)} occurrence(s) with sessions the API cannot move" in summary, summary
    listed = sum(emu.control.stats()["requests"]["sessions/list"].values())
    assert listed == len(weeks), "sessions are read for the moved events only"

    applied = cli(env, tmp_path, "apply", str(path), "--markdown", "applied.md")
    assert applied.returncode == 2, applied.output[-4000:]
    said = applied.stderr.splitlines()
    [line] = [t for t in said if t.startswith("kaltura-events apply: ") and ": note: " not in t]
    assert f"{len(weeks)} occurrence(s) have sessions the Events API cannot move" in line, line
    named = line.split("event(s) ", 1)[1].split(" (", 1)[0]
    assert {int(i) for i in named.split(", ")} == weekly_ids, line
    assert "**Left to a person:**" in (tmp_path / "applied.md").read_text()
    # The run itself did all it could: Completed, with the same line in its log.
    [run] = _flow_runs(server, {"sort": "START_TIME_DESC", "limit": 1})
    assert run["state"]["type"] == "COMPLETED", run["state"]
    logs = httpx.post(
        f"{server.api_url}/logs/filter",
        json={"logs": {"flow_run_id": {"any_": [run["id"]]}, "level": {"ge_": 30}}},
        timeout=30,
    ).json()
    assert any(e["message"] == f"Left to a person: {line.split(': ', 1)[1]}" for e in logs), logs
    moved = [e for e in emu.control.state()["events"] if e["id"] in weekly_ids]
    assert all(e["startDate"] not in weeks for e in moved), "apply moved every event it could"
    again = cli(env, tmp_path, "plan", str(path), "--json", "again.json")
    assert again.returncode == 2, again.output[-4000:]
    held = json.loads((tmp_path / "again.json").read_text())["rows"]
    assert {r["action"] for r in held} == {"sessions need a person"}, held
    assert len(held) == len(weeks)
    for row in held:
        [change] = row["changes"]
        assert change["converges"] is False
        assert "T10:00+01:00" in change["before"] and "T11:00+01:00" in change["after"]
        assert f"event {row['event_id']}" in row["note"]
