"""Bad input: malformed parameters for the three flows, each refused before any write.

Parameters go in as plain JSON, as the UI form and ``--param`` in CI send
them. Each row is rejected with a message that names the field, and the
emulator's own counters show that nothing was written (and, for everything
Prefect's parameter validation or the flow's first checks catch, that no
request was sent at all).

Credentials are always a Block instance, never a plain dict with a secret:
Prefect logs the raw parameters of a run whose validation fails and stores
flow-run parameters as given, so a secret in a plain dict would leak by
design (see README_RELIABILITY.md). The bad-URL row uses a dummy KS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from flows.duplicate_event import duplicate_event
from flows.schedule_all_hands import schedule_all_hands
from flows.sync_team_members import sync_team_members
from flows.teardown_events import teardown_events
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorProcess
from tests.reliability.support import NOW, SecretBook, p1_spec

pytestmark = pytest.mark.reliability


@dataclass(frozen=True)
class Case:
    flow: str
    params: dict[str, Any]
    field: str
    reads: int = 0
    """Requests allowed before the refusal (a selector must be looked up to count it)."""


def series(**changes: Any) -> dict[str, Any]:
    spec = p1_spec(key="bad-input")
    spec.update(changes)
    return {"series": spec}


def session(**changes: Any) -> dict[str, Any]:
    spec = {"name": "Keynote", "type": "LiveWebcast", "offset_minutes": 0, "duration_minutes": 30}
    spec.update(changes)
    return series(sessions=[spec])


def speakers(*people: dict[str, Any]) -> dict[str, Any]:
    return session(speakers=[{"first_name": "Jane", "last_name": "Doe", **person} for person in people])


def jane(**changes: Any) -> dict[str, Any]:
    return {"email": "jane@example.com", **changes}


def changed(*overrides: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The P1 series (Mondays from 2030-01-07 at 10:00 New York) with some occurrences changed."""
    return series(overrides=list(overrides), **changes)


def roster(**changes: Any) -> dict[str, Any]:
    members = [
        {"email": f"m{i}@example.com", "role": "Organizer", "first_name": "M", "last_name": str(i)}
        for i in range(3)
    ]
    members[1] = {**members[1], **changes}
    return {"roster": members, "dry_run": False}


def copy(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "source_event_id": 10,
        "name": "Copy",
        "start": "2030-03-04T10:00:00",
        "timezone": "America/New_York",
        "duration_minutes": 60,
    }
    spec.update(changes)
    return {"spec": {k: v for k, v in spec.items() if v is not None}}


def teardown(selector: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"selector": selector, "dry_run": False, **extra}


BAD_URL = {"events_api_url": "http://events.example.com/api/v1", "ks": "dummy-ks-not-a-secret"}

CASES: list[Any] = [
    # schedule_all_hands
    pytest.param(Case("series", series(timezone="Mars/Olympus"), "timezone"), id="series-zone-unknown"),
    pytest.param(Case("series", series(timezone="America/New York"), "timezone"), id="series-zone-space"),
    pytest.param(Case("series", series(timezone=""), "timezone"), id="series-zone-empty"),
    pytest.param(Case("series", series(timezone="UTC+25"), "timezone"), id="series-zone-offset"),
    pytest.param(Case("series", series(start_time="25:00"), "start_time"), id="series-time-unparsable"),
    pytest.param(
        Case("series", series(start_time="10:00+02:00"), "start_time"), id="series-time-with-offset"
    ),
    pytest.param(Case("series", series(starts_on="2030-02-30"), "starts_on"), id="series-date-unparsable"),
    pytest.param(Case("series", series(until="next friday"), "until"), id="series-until-unparsable"),
    pytest.param(
        Case("series", series(starts_on="2030-06-01", until="2030-05-01"), "until"),
        id="series-end-before-start",
    ),
    pytest.param(Case("series", series(rrule="FREQ=WEEKLY;COUNT=0"), "rrule"), id="rrule-count-0"),
    pytest.param(Case("series", series(rrule="garbage"), "rrule"), id="rrule-garbage"),
    pytest.param(Case("series", series(rrule="FREQ=HOURLY"), "rrule"), id="rrule-hourly"),
    pytest.param(Case("series", series(rrule=""), "rrule"), id="rrule-empty"),
    pytest.param(Case("series", series(rrule="FREQ=WEEKLY;BYDAY=XX"), "rrule"), id="rrule-bad-day"),
    pytest.param(Case("series", series(until="2029-06-01"), "rrule"), id="rrule-nothing-in-horizon"),
    pytest.param(Case("series", series(horizon_days=3 * 365), "horizon_days"), id="series-3-year-horizon"),
    pytest.param(Case("series", series(horizon_days=0), "horizon_days"), id="series-no-horizon"),
    pytest.param(
        Case("series", series(doors_open_minutes=-15), "doors_open_minutes"), id="doors-after-start"
    ),
    pytest.param(Case("series", session(type="SimuLive"), "source_entry_id"), id="simulive-no-source"),
    pytest.param(Case("series", session(type="Webinar"), "type"), id="session-type-webinar"),
    pytest.param(Case("series", session(offset_minutes=50), "sessions"), id="session-outside-event"),
    pytest.param(Case("series", series(name="x" * 10_000), "name"), id="series-name-10000"),
    pytest.param(Case("series", series(name=""), "name"), id="series-name-empty"),
    pytest.param(Case("series", series(name="All-hands {when}"), "name"), id="series-name-placeholder"),
    pytest.param(Case("series", series(key="Bad Key!"), "key"), id="series-key"),
    pytest.param(Case("series", series(template_id="tm9999"), "template_id"), id="series-template-unknown"),
    pytest.param(Case("series", series(source_event_id=12), "template_id"), id="series-two-sources"),
    pytest.param(Case("series", series(labels=["kev-series:other"]), "labels"), id="series-reserved-label"),
    pytest.param(Case("series", series(duration_minutes=2), "duration_minutes"), id="series-too-short"),
    pytest.param(Case("series", {**series(), "now": "tomorrow"}, "now"), id="series-now-unparsable"),
    pytest.param(
        Case("series", {**series(), "now": "2030-01-01T00:00:00"}, "now"),
        id="series-now-naive",
    ),
    pytest.param(
        Case("series", {**series(), "max_api_in_flight": 0}, "max_api_in_flight"), id="series-limit-0"
    ),
    pytest.param(
        Case("series", {**series(), "max_api_in_flight": 65}, "max_api_in_flight"), id="series-limit-65"
    ),
    pytest.param(Case("series", {**series(), "credentials": BAD_URL}, "events_api_url"), id="plain-http-url"),
    # schedule_all_hands: the rule's exceptions and one-off changes
    pytest.param(Case("series", series(skip_dates=["2030-02-30"]), "skip_dates"), id="skip-date-unreal"),
    pytest.param(
        Case("series", series(extra_dates=["next monday"]), "extra_dates"), id="extra-date-unparsable"
    ),
    pytest.param(
        Case("series", series(skip_dates=["2030-01-09"], extra_dates=["2030-01-09"]), "extra_dates"),
        id="extra-date-also-skipped",
    ),
    pytest.param(Case("series", series(holidays={"country": "XX"}), "country"), id="holidays-country"),
    pytest.param(
        Case("series", series(holidays={"country": "US", "subdivision": "ZZ"}), "subdivision"),
        id="holidays-subdivision",
    ),
    pytest.param(
        Case("series", changed({"original_date": "2030-01-08", "name": "Tue"}), "original_date"),
        id="override-not-an-occurrence",
    ),
    pytest.param(
        Case(
            "series",
            changed(
                {"original_date": "2030-01-07", "name": "A"}, {"original_date": "2030-01-07", "name": "B"}
            ),
            "original_date",
        ),
        id="override-twice",
    ),
    pytest.param(
        Case("series", series(overrides={"2030-13-01": {"name": "x"}}), "original_date"),
        id="override-keyed-by-unreal-date",
    ),
    pytest.param(
        Case("series", changed({"original_date": "2030-01-07"}), "overrides"), id="override-changes-nothing"
    ),
    pytest.param(
        Case(
            "series",
            changed({"original_date": "2030-01-07", "cancelled": True, "date": "2030-01-08"}),
            "cancelled",
        ),
        id="override-cancelled-and-moved",
    ),
    pytest.param(
        Case("series", changed({"original_date": "2030-01-07", "start_time": "25:00"}), "start_time"),
        id="override-time-unparsable",
    ),
    pytest.param(
        Case("series", changed({"original_date": "2030-01-07", "duration_minutes": 30}), "duration_minutes"),
        id="override-too-short-for-sessions",
    ),
    pytest.param(
        Case("series", changed({"original_date": "2030-01-07", "name": "Moved {when}"}), "name"),
        id="override-name-placeholder",
    ),
    pytest.param(
        Case("series", changed({"original_date": "2030-01-07", "date": "2030-01-14"}), "overrides"),
        id="override-onto-another-occurrence",
    ),
    pytest.param(
        Case(
            "series",
            changed({"original_date": "2030-01-07", "name": "x"}, skip_dates=["2030-01-07"]),
            "original_date",
        ),
        id="override-of-a-skipped-date",
    ),
    # schedule_all_hands: speakers
    pytest.param(Case("series", speakers(jane(email="jane(at)example.com")), "email"), id="speaker-email"),
    pytest.param(
        Case("series", speakers(jane(email="Jane <jane@example.com>")), "email"), id="speaker-display-name"
    ),
    pytest.param(Case("series", speakers(jane(role="keynoteSpeaker")), "role"), id="speaker-role"),
    pytest.param(
        Case("series", speakers(jane(), jane(email="JANE@example.com", role="advancedSpeaker")), "speakers"),
        id="speaker-in-two-roles",
    ),
    pytest.param(
        Case("series", speakers(*(jane(email=f"s{i}@example.com") for i in range(51))), "speakers"),
        id="speakers-51-in-one-session",
    ),
    pytest.param(Case("series", speakers(jane(first_name="")), "first_name"), id="speaker-no-first-name"),
    # sync_team_members
    pytest.param(Case("roster", roster(email="m1 at example.com"), "email"), id="roster-email"),
    pytest.param(Case("roster", roster(role="Owner"), "role"), id="roster-role"),
    pytest.param(Case("roster", roster(email="M0@example.com"), "email"), id="roster-listed-twice"),
    pytest.param(Case("roster", roster(last_name="  "), "last_name"), id="roster-blank-name"),
    # duplicate_event
    pytest.param(Case("duplicate", copy(timezone="Mars/Olympus"), "timezone"), id="copy-zone"),
    pytest.param(Case("duplicate", copy(start="2030-13-45T10:00"), "start"), id="copy-start-unparsable"),
    pytest.param(Case("duplicate", copy(start="2030-03-04T10:00:00Z"), "start"), id="copy-start-with-offset"),
    pytest.param(
        Case("duplicate", copy(end="2030-03-04T09:00:00", duration_minutes=None), "end"),
        id="copy-end-before-start",
    ),
    pytest.param(Case("duplicate", copy(end="2030-03-04T11:00:00"), "end"), id="copy-end-and-duration"),
    pytest.param(Case("duplicate", copy(source_event_id="12a"), "source_event_id"), id="copy-source-12a"),
    pytest.param(Case("duplicate", copy(source_event_id=0), "source_event_id"), id="copy-source-0"),
    pytest.param(Case("duplicate", copy(source_label="template"), "source_event_id"), id="copy-two-sources"),
    pytest.param(Case("duplicate", copy(source_event_id=None), "source_event_id"), id="copy-no-source"),
    pytest.param(Case("duplicate", copy(name="x" * 10_000), "name"), id="copy-name-10000"),
    pytest.param(
        Case("duplicate", copy(doors_open_minutes=-10), "doors_open_minutes"), id="copy-doors-after-start"
    ),
    pytest.param(Case("duplicate", copy(copy_roles=["Attendee"]), "copy_roles"), id="copy-role"),
    pytest.param(
        Case("duplicate", copy(poll={"intervals_seconds": []}), "intervals_seconds"), id="copy-poll-empty"
    ),
    pytest.param(
        Case("duplicate", copy(source_event_id=None, source_label="twice"), "source_label", reads=1),
        id="copy-label-matches-two",
    ),
    # teardown_events
    pytest.param(Case("teardown", teardown({}), "selector"), id="selector-empty"),
    pytest.param(
        Case("teardown", teardown({"event_ids": [12], "label": "x"}), "selector"), id="selector-double"
    ),
    pytest.param(Case("teardown", teardown({"event_ids": ["12a"]}), "event_id"), id="event-id-12a"),
    pytest.param(Case("teardown", teardown({"event_ids": [0]}), "event_id"), id="event-id-0"),
    pytest.param(
        Case("teardown", teardown({"series_key": "Bad Key"}), "series_key"), id="selector-series-key"
    ),
    pytest.param(
        Case("teardown", teardown({"ended_before": "yesterday"}), "ended_before"), id="ended-unparsable"
    ),
    pytest.param(
        Case("teardown", teardown({"label": "twice"}, max_events=1), "max_events", reads=1),
        id="max-events-exceeded",
    ),
    pytest.param(
        Case("teardown", teardown({"event_ids": [12]}, max_events=0), "max_events"), id="max-events-0"
    ),
    pytest.param(
        Case("teardown", teardown({"event_ids": [12]}, max_events=1001), "max_events"), id="max-events-1001"
    ),
    pytest.param(
        Case("teardown", teardown({"event_ids": [12]}, max_api_in_flight=65), "max_api_in_flight"),
        id="teardown-limit",
    ),
]

FLOWS: dict[str, Callable[..., Any]] = {
    "series": schedule_all_hands,
    "duplicate": duplicate_event,
    "teardown": teardown_events,
    "roster": sync_team_members,
}


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_malformed_parameters_are_refused_before_any_write(
    case: Case, emu: EmulatorProcess, creds: KalturaCredentials, book: SecretBook
) -> None:
    client = creds.get_events_client()
    for i in range(2):  # two events share a label, so "exactly one" and max_events=1 both fail
        event = client.create_event(
            name=f"Labelled {i}",
            template_id="tm0000",
            start=f"2030-02-0{i + 1}T10:00:00Z",
            end=f"2030-02-0{i + 1}T11:00:00Z",
            timezone="UTC",
        )
        client.update_event(event.id, labels=["twice"])
    emu.control.reset_stats()
    params = {"credentials": creds, **case.params}
    if case.flow == "series":
        params.setdefault("now", NOW)

    with pytest.raises(Exception) as caught:
        FLOWS[case.flow](**params)

    message = book.exception(caught.value)
    assert case.field in message, f"the message does not name {case.field!r}: {message}"
    stats = emu.control.stats()
    assert stats["write_requests"] == 0, stats["requests"]
    assert stats["total_requests"] <= case.reads, stats["requests"]


def test_a_page_larger_than_the_api_allows_is_refused_before_sending(
    emu: EmulatorProcess, creds: KalturaCredentials, book: SecretBook
) -> None:
    """No flow takes a page size; the client does, and "limit 16" must never reach the API (max 15)."""
    emu.control.reset_stats()
    with pytest.raises(InvalidArgumentError) as caught:
        creds.get_events_client().list_events_page(limit=16)
    assert "limit" in book.exception(caught.value)
    assert emu.control.stats()["total_requests"] == 0
