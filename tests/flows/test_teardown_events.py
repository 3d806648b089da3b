"""teardown_events: selectors, blast radius, exact category cleanup, orphan sweep, re-runs."""

from __future__ import annotations

from typing import Any

import pytest

from flows.schedule_all_hands import schedule_all_hands
from flows.teardown_events import teardown_events
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.planning.teardown import owner_of_media_child, owner_of_root


def make_events(
    creds: KalturaCredentials, count: int, *, end_day: str = "2027-01-05", label: str = "t"
) -> list[int]:
    client = creds.get_events_client()
    ids = []
    for i in range(count):
        event = client.create_event(
            name=f"Event {i}",
            template_id="tm1000",
            start=f"{end_day}T1{i % 10}:00:00Z",
            end=f"{end_day}T1{i % 10}:30:00Z",
            timezone="UTC",
        )
        client.update_event(event.id, labels=[label])
        ids.append(event.id)
    return ids


def sel(raw: dict[str, Any]) -> Any:
    """Selectors go in as the UI and CI send them: plain JSON, validated by the flow."""
    return raw


def owners(emu: EmulatorServer) -> set[int]:
    found: set[int | None] = set()
    for category in emu.control.state()["categories"]:
        name = category["fullName"]
        found.add(owner_of_root(name.split(">")[0]))
        found.add(owner_of_media_child(name))
    return {o for o in found if o is not None}


def names(emu: EmulatorServer) -> set[str]:
    return {c["fullName"] for c in emu.control.state()["categories"]}


def test_dry_run_is_the_default_and_deletes_nothing(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    ids = make_events(creds, 2)
    report = teardown_events(sel({"event_ids": ids}), creds)
    assert report.dry_run and report.selected == ids
    assert len(emu.control.state()["events"]) == 2


def test_delete_by_ids_removes_events_and_all_their_categories(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    ids = make_events(creds, 3)
    keep = make_events(creds, 1, label="keep")
    report = teardown_events(sel({"event_ids": ids}), creds, dry_run=False)
    assert sorted(report.deleted_events) == ids
    assert owners(emu) == set(keep)
    assert "ep_media_account" in names(emu), "still holds the kept event's folder"
    rerun = teardown_events(sel({"event_ids": ids}), creds, dry_run=False)
    assert rerun.events_already_gone == ids and rerun.deleted_categories == []


def test_media_account_goes_once_empty(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    ids = make_events(creds, 2)
    teardown_events(sel({"label": "t"}), creds, dry_run=False)
    assert names(emu) == set()
    assert owners(emu).isdisjoint(ids)


def test_sentinels_beside_event_12_survive(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    emu.control.reset(first_event_id=12)
    [twelve] = make_events(creds, 1)
    assert twelve == 12
    sentinels = [
        "ep_private_123",
        "123EPab",
        "123EPab>Sessions",
        "ep_agenda_120",
        "ep_media_account>ep_media_event_120",
    ]
    for full_name in sentinels:
        emu.control.add_category(full_name)
    teardown_events(sel({"event_ids": [12]}), creds, dry_run=False)
    remaining = names(emu)
    assert set(sentinels) <= remaining
    assert 12 not in owners(emu)
    assert not any(n.startswith("12EP") or n.endswith("_12") for n in remaining)


def test_series_selector_and_blast_radius(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    series: dict[str, Any] = {
        "key": "weekly-sync",
        "name": "Weekly sync {date:%Y-%m-%d}",
        "template_id": "tm0000",
        "rrule": "FREQ=WEEKLY;BYDAY=TU",
        "horizon_days": 42,
    }
    from datetime import datetime, timezone

    schedule_all_hands(sel(series), creds, now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(Exception, match=r"max_events.*matches 6 events"):
        teardown_events(sel({"series_key": "weekly-sync"}), creds, dry_run=False, max_events=5)
    assert len(emu.control.state()["events"]) == 6, "nothing deleted before the cap check"
    report = teardown_events(sel({"series_key": "weekly-sync"}), creds, dry_run=False, max_events=6)
    assert len(report.deleted_events) == 6 and emu.control.state()["events"] == []


def test_ended_before(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    old = make_events(creds, 2, end_day="2026-06-01", label="old")
    new = make_events(creds, 1, end_day="2027-06-01", label="new")
    report = teardown_events(sel({"ended_before": "2026-07-01"}), creds, dry_run=False)
    assert sorted(report.deleted_events) == old
    assert [e["id"] for e in emu.control.state()["events"]] == new


def test_orphan_sweep_removes_categories_of_events_already_gone(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    gone = make_events(creds, 2, label="gone")
    alive = make_events(creds, 1, label="alive")
    client = creds.get_events_client()
    for event_id in gone:
        client.delete_event(event_id)
    assert set(gone) <= owners(emu), "the platform left their categories behind"
    report = teardown_events(sel({"label": "nothing-matches"}), creds, dry_run=False, sweep_orphans=True)
    assert sorted(report.orphans_swept) == gone
    assert owners(emu) == set(alive)


def test_teardown_converges_under_faults(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    ids = make_events(creds, 6)
    emu.control.reset(hang_seconds=1.0)
    emu.control.set_faults([{"endpoint": "*", "kind": "mixed", "rate": 0.2, "retry_after": 0}], seed=3)
    fast = creds.model_copy(update={"request_timeout_seconds": 0.5})
    for _ in range(3):
        try:
            teardown_events(sel({"event_ids": ids}), fast, dry_run=False)
            break
        except Exception:
            continue
    emu.control.clear_faults()
    assert emu.control.state()["events"] == []
    assert owners(emu).isdisjoint(ids)


@pytest.mark.parametrize(
    "selector",
    [
        {},
        {"event_ids": []},
        {"event_ids": [1], "series_key": "abc"},
        {"event_ids": ["12a"]},
        {"ended_before": "soon"},
    ],
)
def test_bad_selectors_fail_before_any_call(
    creds: KalturaCredentials, emu: EmulatorServer, selector: dict[str, Any]
) -> None:
    with pytest.raises(Exception, match=r"selector|event_ids|ended_before"):
        teardown_events(sel(selector), creds, dry_run=False)
    assert emu.control.stats()["total_requests"] == 0
