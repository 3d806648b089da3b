"""schedule_all_hands under a real Prefect harness against the emulator as a real server."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any

import pendulum
import pytest

from flows.schedule_all_hands import SeriesIncomplete, schedule_all_hands
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.planning.teardown import owner_of_media_child, owner_of_root
from tests.invariants import planned_occurrences, series_problems
from tests.specs import weekly_all_hands

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
WRITES = ("events/create", "events/update", "events/delete", "sessions/create", "events/duplicate")


def weekly(**overrides: Any) -> Any:
    """As a run's parameters arrive: plain JSON, validated by the flow."""
    return weekly_all_hands(**{"labels": ["all-hands"], **overrides})


def calls(emu: EmulatorServer) -> Counter[str]:
    return Counter(
        {endpoint: sum(by_status.values()) for endpoint, by_status in emu.control.stats()["requests"].items()}
    )


def series_events(emu: EmulatorServer, key: str = "all-hands") -> list[dict[str, Any]]:
    return [e for e in emu.control.state()["events"] if f"kev-series:{key}" in e["labels"]]


def assert_exact_series(emu: EmulatorServer, spec: dict[str, Any], count: int) -> None:
    """One event per planned occurrence by identity (tests/invariants.py), and nothing else on the account."""
    state = emu.control.state()
    assert series_problems(state, spec, NOW) == []
    assert len(state["events"]) == count == len(planned_occurrences(spec, NOW))
    for event in state["events"]:
        start = pendulum.parse(event["startDate"])
        assert isinstance(start, pendulum.DateTime)
        assert start.in_timezone("America/New_York").strftime("%H:%M") == "10:00"


def test_creates_52_then_rerun_costs_4_list_calls_and_no_writes(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    report = schedule_all_hands(weekly(), creds, now=NOW)
    assert len(report.created) == 52 and not report.failed
    assert_exact_series(emu, weekly(), 52)
    first = calls(emu)
    assert (first["events/create"], first["sessions/create"], first["events/update"]) == (52, 104, 52)

    emu.control.reset_stats()
    again = schedule_all_hands(weekly(), creds, now=NOW)
    assert len(again.unchanged) == 52 and not (again.created or again.updated or again.finished)
    assert calls(emu) == Counter({"events/list": 4})


def test_dst_weekly_series_stays_at_10_local_across_march_and_november(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    schedule_all_hands(weekly(sessions=[]), creds, now=NOW)
    utc_hours: Counter[int] = Counter()
    for event in series_events(emu):
        start = pendulum.parse(event["startDate"])
        assert isinstance(start, pendulum.DateTime)
        assert start.in_timezone("America/New_York").strftime("%H:%M") == "10:00"
        utc_hours[start.hour] += 1
    assert set(utc_hours) == {14, 15}, "both EST (15:00 UTC) and EDT (14:00 UTC) occurrences"
    march = [e for e in series_events(emu) if e["startDate"].startswith("2026-03")]
    assert [pendulum.parse(e["startDate"]).hour for e in sorted(march, key=lambda e: e["startDate"])] == [  # type: ignore[union-attr]
        15,
        14,
        14,
        14,
        14,
    ]


def test_drift_is_updated_and_the_rest_left_alone(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    schedule_all_hands(weekly(horizon_days=28), creds, now=NOW)
    victim = series_events(emu)[0]
    client = creds.get_events_client()
    client.update_event(victim["id"], description="edited by hand", name="Renamed by hand")
    emu.control.reset_stats()

    report = schedule_all_hands(weekly(horizon_days=28), creds, now=NOW)
    assert [row.event_id for row in report.updated] == [victim["id"]]
    assert len(report.unchanged) == 3
    restored = next(e for e in emu.control.state()["events"] if e["id"] == victim["id"])
    assert restored["name"].startswith("Company All-Hands") and restored["description"] == ""
    assert calls(emu)["events/update"] == 1 and calls(emu)["events/create"] == 0


def test_changed_sessions_are_added_to_existing_events(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    schedule_all_hands(weekly(horizon_days=28), creds, now=NOW)
    more = weekly(horizon_days=28, duration_minutes=90)
    more["sessions"].append(
        {"name": "Breakouts", "type": "MeetingEntry", "offset_minutes": 60, "duration_minutes": 30}
    )
    report = schedule_all_hands(more, creds, now=NOW)
    assert len(report.updated) == 4 and not report.finished, "complete for the older spec: an update"
    for row in report.updated:
        assert [c.field for c in row.changes] == ["end", "sessions added"]
        assert row.changes[-1].after == "Breakouts"
    for event in series_events(emu):
        assert len(emu.control.state()["sessions"][str(event["id"])]) == 3


def test_prune_deletes_occurrences_the_rule_no_longer_yields_with_their_categories(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    schedule_all_hands(weekly(horizon_days=56, starts_on="2026-01-05"), creds, now=NOW)
    assert len(series_events(emu)) == 8
    biweekly = weekly(
        horizon_days=56, starts_on="2026-01-05", rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", prune=True
    )
    report = schedule_all_hands(biweekly, creds, now=NOW)
    assert len(report.pruned) == 4
    kept = {e["id"] for e in series_events(emu)}
    assert len(kept) == 4
    pruned_ids = {row.event_id for row in report.pruned}
    owners = {
        owner_of_root(c["fullName"])
        or owner_of_media_child(c["fullName"])
        or owner_of_root(c["fullName"].split(">")[0])
        for c in emu.control.state()["categories"]
    }
    assert not owners & pruned_ids, "nothing of the pruned events remains"
    assert kept <= owners, "the kept events' categories are untouched"


def test_dry_run_writes_nothing_and_publishes_the_plan(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    report = schedule_all_hands(weekly(horizon_days=28), creds, dry_run=True, now=NOW)
    assert report.dry_run and len(report.created) == 4
    assert all(row.action == "would create" for row in report.created)
    assert not any(calls(emu)[endpoint] for endpoint in WRITES)
    assert emu.control.state()["events"] == []


def test_a_crashed_run_is_finished_not_duplicated(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    """A run that died after create, before sessions and update, leaves unlabeled events: they are adopted."""
    client = creds.get_events_client()
    from kaltura_events.planning.series import AllHandsSeries
    from kaltura_events.planning.series_plan import plan

    planned = plan(AllHandsSeries.model_validate(weekly(horizon_days=28)), NOW)
    orphan = client.create_event(
        name=planned[1].name,
        template_id="tm0000",
        start=planned[1].start_utc,
        end=planned[1].end_utc,
        timezone="America/New_York",
    )
    report = schedule_all_hands(weekly(horizon_days=28), creds, now=NOW)
    assert [row.event_id for row in report.finished] == [orphan.id]
    assert_exact_series(emu, weekly(horizon_days=28), 4)


def test_an_unfinished_run_counts_occurrences_not_failed_calls(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    """Each of the 4 occurrences loses both its sessions: 4 unfinished, not 8, and a re-run finishes them."""
    emu.control.set_faults([{"endpoint": "sessions/create", "kind": "error_before_commit"}])
    with pytest.raises(SeriesIncomplete, match=r"^4 occurrence\(s\) not finished"):
        schedule_all_hands(weekly(horizon_days=28), creds, now=NOW)
    emu.control.clear_faults()
    report = schedule_all_hands(weekly(horizon_days=28), creds, now=NOW)
    assert len(report.finished) == 4
    assert_exact_series(emu, weekly(horizon_days=28), 4)


def test_20_percent_faults_converge_to_the_exact_52_event_series(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    """Every occurrence shares one name, so only identity can tell the leftovers of a fault apart."""
    spec = weekly(name="Weekly Team Sync")
    emu.control.reset(hang_seconds=1.0)
    emu.control.set_faults([{"endpoint": "*", "kind": "mixed", "rate": 0.2, "retry_after": 0}], seed=11)
    fast = creds.model_copy(update={"request_timeout_seconds": 0.5})
    for _ in range(3):
        try:
            schedule_all_hands(spec, fast, now=NOW)
            break
        except SeriesIncomplete:
            continue
    emu.control.clear_faults()
    injected = emu.control.stats()["faults_injected"]
    assert sum(sum(kinds.values()) for kinds in injected.values()) > 20, "faults were really injected"
    assert_exact_series(emu, spec, 52)
    emu.control.reset_stats()
    again = schedule_all_hands(spec, fast, now=NOW)
    assert len(again.unchanged) == 52
    assert calls(emu) == Counter({"events/list": 4})


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"rrule": "FREQ=WEEKLY;COUNT=0"}, "rrule"),
        ({"horizon_days": 1095}, "horizon_days"),
        ({"sessions": [{"name": "W", "type": "Webinar"}]}, "type"),
    ],
)
def test_bad_parameters_fail_before_any_call(
    creds: KalturaCredentials, emu: EmulatorServer, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(Exception, match=field):
        schedule_all_hands(weekly(**overrides), creds, now=NOW)
    assert emu.control.stats()["total_requests"] == 0


def test_rule_without_occurrence_in_horizon_fails_before_any_call(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    with pytest.raises(InvalidArgumentError, match="rrule"):
        schedule_all_hands(weekly(until="2025-12-01", starts_on="2025-06-02"), creds, now=NOW)
    assert emu.control.stats()["total_requests"] == 0
