"""Fast checks of the deployment files, without a server: what the slow tests would find late, found early."""

from __future__ import annotations

import importlib
from typing import Any

import yaml
from prefect import Flow

from deployments import events_file, serve
from flows import series_lock
from flows.duplicate_event import DuplicateSpec
from flows.schedule_encore import candidates
from kaltura_events import cli, credentials
from kaltura_events.planning.selection import EventSelector
from kaltura_events.planning.series import AllHandsSeries
from tasks import api_limit
from tests.e2e.conftest import PREFECT_YAML, REPO_ROOT

EXPECTED = {
    ("schedule-all-hands", "weekly"): "flows/schedule_all_hands.py:schedule_all_hands",
    ("duplicate-event", "default"): "flows/duplicate_event.py:duplicate_event",
    ("teardown-events", "default"): "flows/teardown_events.py:teardown_events",
    ("sync-team-members", "default"): "flows/sync_team_members.py:sync_team_members",
    ("sync-events-file", "default"): "flows/sync_events_file.py:sync_events_file",
    ("report-attendance", "company-all-hands"): "flows/report_attendance.py:report_attendance",
    ("watch-events", "every-5-minutes"): "flows/watch_events.py:watch_events",
    ("schedule-encore", "company-all-hands"): "flows/schedule_encore.py:schedule_encore",
    ("schedule-encore", "events-file"): "flows/schedule_encore.py:schedule_encore",
    ("report-attendance", "event-ended"): "flows/report_attendance.py:report_attendance",
    ("send-messages", "every-5-minutes"): "flows/send_messages.py:send_messages",
}


OVERLAP = {
    ("schedule-all-hands", "weekly"): "ENQUEUE",
    ("duplicate-event", "default"): None,
    ("teardown-events", "default"): "ENQUEUE",
    ("sync-team-members", "default"): "ENQUEUE",
    ("sync-events-file", "default"): "ENQUEUE",
    ("report-attendance", "company-all-hands"): "CANCEL_NEW",
    ("watch-events", "every-5-minutes"): "CANCEL_NEW",
    ("schedule-encore", "company-all-hands"): "ENQUEUE",
    ("schedule-encore", "events-file"): "ENQUEUE",
    ("report-attendance", "event-ended"): "ENQUEUE",
    ("send-messages", "every-5-minutes"): "CANCEL_NEW",
}
"""What each deployment does with a run started while one runs: writers queue (the series lock
would make them wait anyway); a watcher or scheduled report started meanwhile is cancelled;
each event-ended report is for another event, so it queues; a send started while one runs is
cancelled, as the watcher's: the next tick lists every session again."""


def _flow(entrypoint: str) -> Flow[..., Any]:
    path, _, name = entrypoint.partition(":")
    flow: Flow[..., Any] = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
    return flow


def test_prefect_yaml_declares_the_deployments() -> None:
    specs = serve.read_deployments(REPO_ROOT / PREFECT_YAML)
    found = {(_flow(s["entrypoint"]).name, s["name"]): s["entrypoint"] for s in specs}
    assert found == EXPECTED
    for spec in specs:
        assert spec["work_pool"]["name"] == credentials.DEFAULT_WORK_POOL
        assert spec["tags"] and spec["description"]
        assert spec["parameters"]["credentials"] == credentials.credentials_reference()
    weekly, duplicate, teardown, roster, sync, attendance, watch, encore, encore_file, _, sends = specs
    assert weekly["schedules"] == [{"cron": "0 6 * * 1", "timezone": "America/New_York", "active": True}]
    assert not any("schedules" in spec for spec in (duplicate, teardown, roster)), "on demand"
    assert teardown["concurrency_limit"]["limit"] == 1
    assert "schedules" not in sync and sync["parameters"]["dry_run"] is True
    assert attendance["schedules"] == [{"cron": "0 7 * * *", "timezone": "America/New_York", "active": True}]
    assert EventSelector.model_validate(attendance["parameters"]["selector"]).kind == "series_key"
    assert encore["parameters"]["series"] == weekly["parameters"]["series"], "one series, by YAML anchor"
    assert encore["concurrency_limit"]["limit"] == 1
    assert encore_file["parameters"]["path"] == sync["parameters"]["path"], (
        "the file sync-events-file applies"
    )
    assert encore_file["triggers"] == encore["triggers"], "one trigger, by YAML anchor"
    assert watch["schedules"] == [{"cron": "*/5 * * * *", "timezone": "UTC", "active": True}]
    assert sends["schedules"] == watch["schedules"], "every 5 minutes"
    assert sends["parameters"]["events_file"] == sync["parameters"]["path"], "the file sync-events-file has"
    assert not any(
        "triggers" in spec for spec in (weekly, duplicate, teardown, roster, sync, attendance, watch)
    )


def test_event_driven_deployments_have_their_triggers() -> None:
    """The events the receiver and the watcher emit, each turned into runs of one deployment."""
    specs = {(_flow(s["entrypoint"]).name, s["name"]): s for s in serve.read_deployments()}
    [ready] = specs["schedule-encore", "company-all-hands"]["triggers"]
    assert ready["type"] == "event" and ready["expect"] == ["kaltura.entry.ready"]
    assert ready["match_related"]["prefect.resource.name"] == "KALTURA_EVENTS_ENTRY_READY"
    assert ready["parameters"]["entry_id"] == "{{ event.payload.entry_id }}"
    [ended] = specs["report-attendance", "event-ended"]["triggers"]
    assert ended["expect"] == ["kaltura.event.ended"]
    assert ended["parameters"]["selector"]["event_ids"] == ["{{ event.resource.id.split('.')[-1] | int }}"]
    [follow_ups] = specs["send-messages", "every-5-minutes"]["triggers"]
    assert follow_ups["expect"] == ["kaltura.event.ended"] and "parameters" not in follow_ups, (
        "every series of the file: which one ended does not narrow what is due"
    )
    series = AllHandsSeries.model_validate(
        specs["schedule-encore", "company-all-hands"]["parameters"]["series"]
    )
    assert series.encore is not None and series.encore.timezone == "Asia/Singapore"
    from_file = candidates(None, specs["schedule-encore", "events-file"]["parameters"]["path"], None)
    assert [c.series.key for c in from_file] == ["monthly-all-hands"], "the example's series with an encore"


def test_the_example_series_is_valid() -> None:
    [weekly] = [s for s in serve.read_deployments() if s["name"] == "weekly"]
    series = AllHandsSeries.model_validate(weekly["parameters"]["series"])
    assert series.horizon_days >= 28 and series.timezone == "America/New_York"


def test_pull_step_comes_from_the_deploy_directory() -> None:
    document = yaml.safe_load((REPO_ROOT / PREFECT_YAML).read_text())
    [build] = document["build"]
    [pull] = document["pull"]
    step_id = build["prefect.deployments.steps.run_shell_script"]["id"]
    assert (
        pull["prefect.deployments.steps.set_working_directory"]["directory"] == f"{{{{ {step_id}.stdout }}}}"
    )


def test_each_deployment_declares_what_may_overlap() -> None:
    """One run at a time for every deployment that writes or keeps a Variable, by prefect.yaml
    and by serve.py alike."""
    specs = serve.read_deployments(REPO_ROOT / PREFECT_YAML)
    declared = {
        (_flow(s["entrypoint"]).name, s["name"]): (s.get("concurrency_limit") or {}).get("collision_strategy")
        for s in specs
    }
    assert declared == OVERLAP
    for spec in specs:
        if spec.get("concurrency_limit"):
            assert spec["concurrency_limit"]["limit"] == 1
    built = serve.build_deployments(specs)
    served = {
        (d.flow_name, d.name): (
            d.concurrency_options.collision_strategy.value if d.concurrency_options is not None else None
        )
        for d in built
    }
    assert served == OVERLAP


def test_serve_builds_the_same_deployments() -> None:
    built = serve.build_deployments(serve.read_deployments())
    assert [(d.flow_name, d.name) for d in built] == list(EXPECTED)
    weekly, _, teardown, *_, encore, encore_file, ended, sends = built
    [schedule] = weekly.schedules
    assert schedule.schedule.cron == "0 6 * * 1"
    assert teardown.concurrency_limit == 1
    assert encore.concurrency_limit == 1
    assert [t.expect for t in encore.triggers] == [{"kaltura.entry.ready"}]
    assert [t.expect for t in encore_file.triggers] == [{"kaltura.entry.ready"}]
    assert [t.name for t in ended.triggers] == ["event-ended__automation_1"]
    assert sends.concurrency_limit == 1
    assert [t.expect for t in sends.triggers] == [{"kaltura.event.ended"}]


def test_cli_defaults_match_the_library() -> None:
    """cli.py keeps copies so that building its parser does not import Prefect."""
    assert cli.DEFAULT_WORK_POOL == credentials.DEFAULT_WORK_POOL
    assert cli.DEFAULT_CREDENTIALS_NAME == credentials.DEFAULT_CREDENTIALS_NAME
    assert cli.DEFAULT_API_LIMIT == credentials.DEFAULT_API_LIMIT
    assert cli.API_LIMIT_NAME == credentials.API_LIMIT_NAME == api_limit.GLOBAL_LIMIT_NAME
    assert events_file.DEFAULT_LOCK_WAIT_SECONDS == series_lock.DEFAULT_LOCK_WAIT_SECONDS


def test_wall_clock_values_keep_validating_the_same_way() -> None:
    """The schema tweaks for the UI change what is published, not what is accepted."""
    series = AllHandsSeries.model_validate(
        {"key": "k1", "name": "N", "template_id": "tm0000", "start_time": "09:30"}
    )
    assert series.start_time.isoformat() == "09:30:00"
    spec = DuplicateSpec.model_validate({"source_event_id": 1, "name": "N", "start": "2026-12-01T10:00"})
    assert spec.start.tzinfo is None
    assert EventSelector.model_validate({"event_ids": [1, 2]}).kind == "event_ids"
