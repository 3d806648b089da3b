"""duplicate_event: completed, failed, stuck -> timeout, ambiguous start, re-run convergence."""

from __future__ import annotations

from typing import Any

import pytest

from flows.duplicate_event import duplicate_event
from flows.duplication import DuplicationError
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer

FAST_POLL = {"timeout_seconds": 3.0, "first_interval_seconds": 0.1, "max_interval_seconds": 0.3}


def spec(source_event_id: int | None = None, **overrides: Any) -> Any:
    body: dict[str, Any] = {
        "name": "Town Hall (copy)",
        "start": "2027-02-02T10:00:00",
        "timezone": "America/New_York",
        "duration_minutes": 90,
        "labels": ["town-hall", "copy"],
        "doors_open_minutes": 20,
        "copy_roles": ["Speaker"],
        "poll": FAST_POLL,
    }
    if source_event_id is not None:
        body["source_event_id"] = source_event_id
    body.update(overrides)
    return body


@pytest.fixture
def template_event(creds: KalturaCredentials, emu: EmulatorServer) -> int:
    emu.control.reset(duplicate_seconds=0.3)
    client = creds.get_events_client()
    event = client.create_event(
        name="Town Hall template",
        template_id="tm4000",
        start="2027-01-05T15:00:00Z",
        end="2027-01-05T16:00:00Z",
        timezone="America/New_York",
    )
    client.update_event(event.id, labels=["town-hall-template"])
    return event.id


def events_named(emu: EmulatorServer, name: str) -> list[dict[str, Any]]:
    return [e for e in emu.control.state()["events"] if e["name"] == name]


def test_duplicate_completes_and_sets_labels_and_doors(
    creds: KalturaCredentials, emu: EmulatorServer, template_event: int
) -> None:
    report = duplicate_event(spec(template_event), creds)
    assert isinstance(report.event_id, int) and report.outcome == "completed"
    assert report.start_utc == "2027-02-02T15:00:00.000Z"
    [copy] = events_named(emu, "Town Hall (copy)")
    assert copy["id"] == report.event_id
    assert copy["labels"] == ["town-hall", "copy"]
    assert copy["doorsOpenDate"] == "2027-02-02T14:40:00.000Z"
    assert copy["endDate"] == "2027-02-02T16:30:00.000Z"
    assert len(emu.control.state()["sessions"][str(copy["id"])]) == 2, "template sessions were copied"


def test_source_by_label_and_rerun_converges(
    creds: KalturaCredentials, emu: EmulatorServer, template_event: int
) -> None:
    first = duplicate_event(spec(source_label="town-hall-template"), creds)
    again = duplicate_event(spec(source_label="town-hall-template"), creds)
    assert again.event_id == first.event_id and again.outcome == "already existed"
    assert len(events_named(emu, "Town Hall (copy)")) == 1
    assert emu.control.stats()["requests"]["events/duplicate"] == {"200": 1}


def test_label_matching_several_events_is_a_clear_error(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    emu.control.bulk_events(2, name_prefix="Twin", labels=["twin"])
    with pytest.raises(Exception, match=r"source_label.*matched 2"):
        duplicate_event(spec(source_label="twin"), creds)


def test_failed_job_fails_the_run_naming_the_job(
    creds: KalturaCredentials, emu: EmulatorServer, template_event: int
) -> None:
    emu.control.set_faults([{"endpoint": "events/duplicate", "kind": "duplicate_fail", "rate": 1.0}])
    with pytest.raises(DuplicationError, match=r"duplication job \S+ failed \(last jobState='failed'\)"):
        duplicate_event(spec(template_event), creds)


def test_stuck_job_times_out_naming_the_job_and_its_last_state(
    creds: KalturaCredentials, emu: EmulatorServer, template_event: int
) -> None:
    emu.control.set_faults([{"endpoint": "events/duplicate", "kind": "duplicate_stuck", "rate": 1.0}])
    constant = {"timeout_seconds": 1.5, "first_interval_seconds": 0.2, "growth": "constant"}
    stuck = spec(template_event, poll=constant)
    with pytest.raises(
        DuplicationError, match=r"did not finish within 1.5 s \(last jobState='(wait|paused|repeat)'\)"
    ):
        duplicate_event(stuck, creds)
    polls = sum(emu.control.stats()["requests"]["events/duplicateStatus"].values())
    assert 4 <= polls <= 9, "polled on the interval, not in a tight loop"


def test_ambiguous_duplicate_start_adopts_the_copy(
    creds: KalturaCredentials, emu: EmulatorServer, template_event: int
) -> None:
    emu.control.set_faults(
        [{"endpoint": "events/duplicate", "kind": "error_after_commit", "rate": 1.0, "times": 1}]
    )
    report = duplicate_event(spec(template_event), creds)
    assert report.outcome == "adopted"
    assert len(events_named(emu, "Town Hall (copy)")) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start": "2027-02-02T10:00:00+00:00"}, "start"),
        ({"start": "next tuesday"}, "start"),
        ({"end": "2027-02-02T09:00:00", "duration_minutes": None}, "end"),
        ({"timezone": "America/Gotham"}, "timezone"),
        ({"copy_roles": ["Audience"]}, "copy_roles"),
        ({"name": "x" * 10_000}, "name"),
    ],
)
def test_bad_parameters_fail_before_any_write(
    creds: KalturaCredentials, emu: EmulatorServer, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(Exception, match=field):
        duplicate_event(spec(7, **overrides), creds)
    assert emu.control.stats()["total_requests"] == 0


def test_neither_or_both_sources_is_refused(creds: KalturaCredentials, emu: EmulatorServer) -> None:
    with pytest.raises(Exception, match="source_event_id"):
        duplicate_event(spec(), creds)
    with pytest.raises(Exception, match="source_event_id"):
        duplicate_event(spec(5, source_label="x"), creds)
    assert emu.control.stats()["total_requests"] == 0
