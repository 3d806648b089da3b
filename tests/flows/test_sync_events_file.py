"""sync_events_file against the emulator: plan, apply, converged re-plan; orphans and prune_removed."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.objects import Artifact

from deployments import events_file as events_file_command
from flows.sync_events_file import ORPHAN_QUERY_PARTS, FileReport, SyncIncomplete, sync_events_file
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.formats.events_file import EventsFileError, load_events_file, targets
from kaltura_events.planning.teardown import owner_of_media_child, owner_of_root

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kaltura-events.yaml"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
FAST_POLL = {"timeout_seconds": 10.0, "intervals_seconds": [0.1, 0.2]}
WRITES = ("events/create", "events/update", "events/delete", "sessions/create", "events/duplicate")


def calls(emu: EmulatorServer) -> Counter[str]:
    return Counter(
        {endpoint: sum(by_status.values()) for endpoint, by_status in emu.control.stats()["requests"].items()}
    )


def make_template(creds: KalturaCredentials, emu: EmulatorServer) -> int:
    """The example's source_event_id 1: the first event of a fresh emulator."""
    emu.control.reset(duplicate_seconds=0.2)
    event = creds.get_events_client().create_event(
        name="Town Hall template",
        template_id="tm4000",
        start="2027-01-05T15:00:00Z",
        end="2027-01-05T16:00:00Z",
        timezone="America/New_York",
    )
    assert event.id == 1
    return event.id


def sync(path: Path, creds: KalturaCredentials, *, dry_run: bool, **kwargs: Any) -> FileReport:
    report = sync_events_file(str(path), creds, dry_run=dry_run, poll=FAST_POLL, now=NOW, **kwargs)
    assert isinstance(report, FileReport)
    return report


def latest_artifacts(*keys: str) -> list[Artifact]:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=list(keys))))
    newest = {a.key: a for a in sorted(found, key=lambda a: a.created or 0)}
    return [newest[key] for key in keys]


def planned_count(path: Path) -> int:
    return sum(len(t.planned) for t in targets(load_events_file(path), str(path), NOW))


def file_events(emu: EmulatorServer) -> list[dict[str, Any]]:
    return [e for e in emu.control.state()["events"] if "kev-file:acme-events" in e["labels"]]


def test_example_plan_apply_replan(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    make_template(creds, emu)
    total = planned_count(EXAMPLE)
    emu.control.reset_stats()

    members = len(load_events_file(EXAMPLE).team.members)  # type: ignore[union-attr]
    plan = sync(EXAMPLE, creds, dry_run=True)
    assert plan.counts()["created"] == total and plan.changes() == total + members
    assert plan.team is not None and len(plan.team.created) == members
    assert {r["action"] for r in plan.rows()} == {"would create"}
    assert not any(calls(emu)[w] for w in WRITES), "a plan writes nothing"
    assert "would create" in plan.markdown() and "Product Launch 2027" in plan.markdown()
    markdown, table = latest_artifacts(
        "sync-events-file-acme-events-plan", "sync-events-file-acme-events-plan-table"
    )
    assert markdown.type == "markdown" and markdown.data == plan.markdown()
    assert table.type == "table" and "Product Launch 2027" in str(table.data)

    applied = sync(EXAMPLE, creds, dry_run=False)
    assert applied.counts()["created"] == total and not applied.failed
    assert len(emu.control.state()["teamMembers"]) == members
    made = file_events(emu)
    assert len(made) == total
    assert Counter(e["name"] for e in made).most_common(1)[0][1] == 1, "no duplicates"
    copies = [t for t in targets(load_events_file(EXAMPLE), "f", NOW) if t.series.source_event_id]
    assert calls(emu)["events/duplicate"] == sum(len(t.planned) for t in copies) == 3

    emu.control.reset_stats()
    again = sync(EXAMPLE, creds, dry_run=True)
    assert again.changes() == 0 and again.counts()["unchanged"] == total
    spent = calls(emu)
    assert set(spent) == {"events/list", "team-members/list"}, spent
    assert spent["team-members/list"] == 1
    # One label query per series and event (one page each here), plus the file's label in date windows.
    assert spent["events/list"] <= 7 + ORPHAN_QUERY_PARTS + total // 15, spent


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def small_file(**top: Any) -> dict[str, Any]:
    series = [
        {
            "key": key,
            "name": f"{key} {{date:%Y-%m-%d}}",
            "template_id": "tm0000",
            "rrule": "FREQ=WEEKLY;BYDAY=TU",
            "start_time": "10:00",
            "duration_minutes": 60,
            "horizon_days": 28,
        }
        for key in ("keep-me", "drop-me")
    ]
    return {"name": "acme-events", **top, "series": series}


def test_removed_series_is_orphaned_then_pruned_only_when_asked(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    path = write(tmp_path / "kaltura-events.yaml", small_file())
    sync(path, creds, dry_run=False)
    dropped = {e["id"] for e in emu.control.state()["events"] if "kev-series:drop-me" in e["labels"]}
    assert len(dropped) == 4
    # An event the file did not make, even with a series label of the same key, is never touched.
    stranger = creds.get_events_client().create_event(
        name="drop-me by hand",
        template_id="tm0000",
        start="2026-12-08T15:00:00Z",
        end="2026-12-08T16:00:00Z",
        timezone="America/New_York",
    )
    creds.get_events_client().update_event(stranger.id, labels=["kev-series:drop-me"])

    data = small_file()
    data["series"] = data["series"][:1]
    write(path, data)
    emu.control.reset_stats()
    kept = sync(path, creds, dry_run=False)
    assert {o.event_id for o in kept.orphans} == dropped
    assert {o.action for o in kept.orphans} == {"orphaned (kept)"}
    assert not any(calls(emu)[w] for w in WRITES)
    assert kept.changes() == 0

    write(path, {**data, "prune_removed": True})
    plan = sync(path, creds, dry_run=True)
    assert plan.changes() == 4 and {o.action for o in plan.orphans} == {"orphaned: would delete"}
    pruned = sync(path, creds, dry_run=False)
    assert {o.action for o in pruned.orphans} == {"orphaned: deleted"}
    state = emu.control.state()
    left = {e["id"] for e in state["events"]}
    assert not (dropped & left) and stranger.id in left
    assert len([e for e in state["events"] if "kev-series:keep-me" in e["labels"]]) == 4
    owners = {
        owner_of_root(c["fullName"])
        or owner_of_media_child(c["fullName"])
        or owner_of_root(c["fullName"].split(">")[0])
        for c in state["categories"]
    }
    assert not owners & dropped, "nothing of the pruned events remains"
    kept_ids = {e["id"] for e in state["events"] if "kev-series:keep-me" in e["labels"]}
    assert kept_ids | {stranger.id} <= owners, "the other events' categories are untouched"


def test_malformed_file_fails_before_any_request(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    data = small_file()
    data["series"][1]["sessions"] = [{"name": "Talk", "type": "Podcast"}]
    path = write(tmp_path / "bad.yaml", data)
    with pytest.raises(EventsFileError, match=r"bad\.yaml:[0-9]+:[0-9]+: series\[1\]\.sessions\[0\]\.type"):
        sync(path, creds, dry_run=False)
    assert sum(calls(emu).values()) == 0


def test_calendar_dir_gets_one_feed_per_series_with_event_ids(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    path = write(tmp_path / "kaltura-events.yaml", small_file())
    report = sync(
        path,
        creds,
        dry_run=False,
        calendar_dir=str(tmp_path / "ics"),
        calendar_url="https://intranet.example.com/calendars/",
    )
    [link] = latest_artifacts("calendar-acme-events-keep-me")
    assert "https://intranet.example.com/calendars/keep-me.ics" in str(link.data)
    assert sorted(Path(p).name for p in report.calendars) == ["drop-me.ics", "keep-me.ics"]
    text = (tmp_path / "ics" / "keep-me.ics").read_text()
    ids = [r.event_id for t in report.targets if t.report for r in t.report.created if "keep-me" in r.name]
    assert len(ids) == 4 and all(f"Kaltura event id: {i}" in text.replace("\r\n ", "") for i in ids)


def test_an_orphan_that_cannot_be_deleted_fails_the_apply_naming_it(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    path = write(tmp_path / "kaltura-events.yaml", small_file())
    sync(path, creds, dry_run=False)
    data = small_file(prune_removed=True)
    data["series"] = data["series"][:1]
    write(path, data)
    emu.control.set_faults([{"endpoint": "events/delete", "kind": "error_before_commit", "rate": 1.0}])
    with pytest.raises(SyncIncomplete, match=r"drop-me: orphaned event \d+ not deleted"):
        sync(path, creds, dry_run=False)
    assert len([e for e in emu.control.state()["events"] if "kev-series:drop-me" in e["labels"]]) == 4


def test_a_refused_team_section_fails_the_apply_and_the_series_still_converge(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    creds.get_events_client().create_team_member(
        email="boss@example.com", role="Admin", first_name="The", last_name="Boss"
    )
    typo = {"email": "bos@example.com", "role": "Admin", "first_name": "The", "last_name": "Boss"}
    path = write(
        tmp_path / "kaltura-events.yaml",
        small_file(team={"remove_unlisted": True, "members": [typo]}),
    )
    with pytest.raises(SyncIncomplete, match=r"team: roster=\['boss@example\.com'\]: every current Admin"):
        sync(path, creds, dry_run=False)
    assert [m["email"] for m in emu.control.state()["teamMembers"]] == ["boss@example.com"]
    assert len(file_events(emu)) == 8, "both series of the file were still converged"


def test_the_plans_rows_are_the_same_in_the_report_the_markdown_and_the_artifacts(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    """A town hall re-described in the file and renamed by hand: one row, both fields, everywhere."""
    hall = {
        "key": "rows-hall",
        "name": "Town Hall",
        "start": "2027-01-12T17:00",
        "duration_minutes": 60,
        "timezone": "Europe/Paris",
        "template_id": "tm0000",
        "description": "Q1 results",
    }
    path = write(tmp_path / "kaltura-events.yaml", {"name": "rows", "events": [hall]})
    sync(path, creds, dry_run=False)
    [event] = emu.control.state()["events"]
    creds.get_events_client().update_event(event["id"], name="Town Hall (moved)")
    write(path, {"name": "rows", "events": [{**hall, "description": "Q1 results and Q2 goals"}]})

    plan = sync(path, creds, dry_run=True)
    [row] = plan.rows()
    shown = 'name: "Town Hall (moved)" -> "Town Hall"; description: "Q1 results" -> "Q1 results and Q2 goals"'
    assert (row["action"], row["changes"]) == ("would update", shown)
    assert plan.changes() == 1 and "1 would be updated" in plan.summary()
    [structured] = plan.rows(structured=True)
    assert [(c["field"], c["before"], c["after"]) for c in structured["changes"]] == [
        ("name", '"Town Hall (moved)"', '"Town Hall"'),
        ("description", '"Q1 results"', '"Q1 results and Q2 goals"'),
    ]
    markdown, table = latest_artifacts("sync-events-file-rows-plan", "sync-events-file-rows-plan-table")
    assert markdown.data == plan.markdown() and shown.replace("|", "\\|") in plan.markdown()
    assert isinstance(table.data, str) and shown.replace('"', '\\"') in table.data

    sync(path, creds, dry_run=False)
    assert sync(path, creds, dry_run=True).changes() == 0


def test_series_beyond_its_horizon_is_a_note_that_changes_nothing(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    """A yearly series months away neither fails the file nor counts as a change: plan exits 0."""
    data = small_file()
    data["series"][1].update(key="midsummer", rrule="FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=15")
    path = write(tmp_path / "kaltura-events.yaml", data)
    applied = sync(path, creds, dry_run=False)
    assert applied.failed == [] and applied.counts()["created"] == 4
    again = sync(path, creds, dry_run=True)
    assert again.changes() == 0
    [note] = [row for row in again.rows() if row["series"] == "midsummer"]
    assert note["action"] == "note: next occurrence 2027-06-15, beyond horizon_days: 28"
    assert not [e for e in file_events(emu) if "kev-series:midsummer" in e["labels"]]


def one_series_whose_observation_fails(emu: EmulatorServer, tmp_path: Path) -> Path:
    """The file's one series meets four 500s on its first list call: every attempt the client makes."""
    data = small_file()
    data["series"] = data["series"][:1]
    path = write(tmp_path / "kaltura-events.yaml", data)
    emu.control.reset_stats()
    emu.control.set_faults([{"endpoint": "events/list", "kind": "error_before_commit", "times": 4}])
    return path


def test_a_plan_that_could_not_observe_a_series_ends_failed(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    """A dry run is the plan; a plan missing a series must not show green in the UI."""
    path = one_series_whose_observation_fails(emu, tmp_path)
    state = sync_events_file(str(path), creds, dry_run=True, poll=FAST_POLL, now=NOW, return_state=True)
    assert state.state_details.flow_run_id is not None
    with get_client(sync_client=True) as client:
        final = client.read_flow_run(state.state_details.flow_run_id).state
    assert final is not None and final.is_failed(), final
    assert "1 item(s) could not be planned" in (final.message or "")
    assert "keep-me: " in (final.message or "") and "events/list: HTTP 500" in (final.message or "")
    assert calls(emu)["events/list"] >= 4 and not any(calls(emu)[w] for w in WRITES)


def test_the_cli_plan_of_it_prints_what_it_could_and_exits_1(
    emu: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``kaltura-events plan``'s run step (the server start around it aside), with the KALTURA_* variables."""
    path = one_series_whose_observation_fails(emu, tmp_path)
    for name, value in emu.exports.items():
        monkeypatch.setenv(name, value)
    args = argparse.Namespace(
        command="plan",
        file=str(path),
        calendar_dir=None,
        markdown=None,
        max_api_in_flight=4,
        lock_wait=events_file_command.DEFAULT_LOCK_WAIT_SECONDS,
    )
    assert events_file_command.run(args) == events_file_command.EXIT_ERROR
    out = capsys.readouterr()
    assert "kaltura-events.yaml: 0 would be created" in out.out
    assert "failed: keep-me: " in out.err and "events/list: HTTP 500" in out.err
