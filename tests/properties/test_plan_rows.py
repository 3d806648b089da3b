"""The plan names exactly what changes: generated series, generated edits, drift made by hand in Kaltura.

For any valid series, applied, then edited in the file (name, description,
start time, labels, doors-open) and edited by hand in the emulator (a name,
a description): each occurrence's plan row lists exactly the fields whose
value now differs from the file's, each with the value now and the file's
(times in the series' zone, computed here with zoneinfo), and no other row
claims a change. After apply, the next plan changes nothing, except the
sessions the Events API cannot move: those stay one row per moved
occurrence, naming only them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import assume, event, given
from hypothesis import strategies as st

from flows.schedule_all_hands import OccurrenceRow, SeriesReport, schedule_all_hands
from kaltura_events.api.ks import ADMIN, build_ks_v2
from kaltura_events.credentials import KalturaCredentials, close_cached_clients
from kaltura_events.emulator.config import DEFAULT_USER_ID
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawEventsApi
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import PlannedEvent, plan
from tests.properties.series_strategies import START_TIMES, series_specs, valid

EDITS = ("name", "description", "start_time", "labels", "doors_open_minutes")
SESSION_FIELD = "session 'Main' (cannot follow a move)"


def edited(spec: dict[str, Any], fields: set[str], start: str) -> dict[str, Any]:
    new = dict(spec)
    if "name" in fields:
        new["name"] = spec["name"] + " (edited)"
    if "description" in fields:
        new["description"] = "Edited in the file"
    if "start_time" in fields:
        new["start_time"] = start
    if "labels" in fields:
        new["labels"] = ["edited"]
    if "doors_open_minutes" in fields:
        new["doors_open_minutes"] = 15 - spec["doors_open_minutes"]
    return new


@st.composite
def edits(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], datetime, dict[int, str]]:
    """The applied spec, its edited version, the moment, and hand drift by the occurrence's index."""
    spec, now = draw(series_specs(key="rows"))
    fields = draw(st.sets(st.sampled_from(EDITS), min_size=1))
    others = [t.isoformat() for t in START_TIMES if t.isoformat() != spec["start_time"]]
    start = draw(st.sampled_from(others))
    new = edited(spec, fields, start)
    assume(valid(new, now))
    drift = draw(st.dictionaries(st.integers(0, 3), st.sampled_from(("name", "description")), max_size=2))
    return spec, new, now, drift


def planned(spec: dict[str, Any], now: datetime) -> dict[date, PlannedEvent]:
    return {p.original_date: p for p in plan(AllHandsSeries.model_validate(spec), now)}


def local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="minutes")


def expected(
    old: PlannedEvent, new: PlannedEvent, now_values: dict[str, str], zone: str, sessions: bool
) -> list[tuple[str, str, str]]:
    """(field, before, after) in the row's order: the event's text, its times, labels, then sessions."""
    found = []
    for field in ("name", "description"):
        if now_values[field] != getattr(new, field):
            found.append((field, f'"{now_values[field]}"', f'"{getattr(new, field)}"'))
    for field, before, after in (
        ("start", old.start_utc, new.start_utc),
        ("end", old.end_utc, new.end_utc),
        ("doors-open", old.doors_open_utc, new.doors_open_utc),
    ):
        if before != after:
            found.append((field, local(before, zone), local(after, zone)))
    user = {label for label in old.labels if not label.startswith("kev-")}
    wanted = {label for label in new.labels if not label.startswith("kev-")}
    if user != wanted:
        found.append(("labels", listed(user - wanted), listed(wanted - user)))
    if sessions and (old.start_utc, old.end_utc) != (new.start_utc, new.end_utc):
        [was], [will] = old.sessions, new.sessions
        found.append(
            (SESSION_FIELD, span(was.start_utc, was.end_utc, zone), span(will.start_utc, will.end_utc, zone))
        )
    return found


def listed(labels: set[str]) -> str:
    return ", ".join(sorted(labels)) or "(none)"


def span(start: datetime, end: datetime, zone: str) -> str:
    return f"{local(start, zone)} to {local(end, zone)}"


def by_occurrence(report: SeriesReport) -> dict[str, list[tuple[str, OccurrenceRow]]]:
    rows: dict[str, list[tuple[str, OccurrenceRow]]] = {}
    for group in ("created", "finished", "updated", "unchanged", "held", "pruned", "stale", "duplicates"):
        for row in getattr(report, group):
            rows.setdefault(row.occurrence, []).append((group, row))
    return rows


@given(case=edits())
def test_the_plan_names_exactly_the_edited_fields_and_apply_leaves_only_what_a_person_must_fix(
    case: tuple[dict[str, Any], dict[str, Any], datetime, dict[int, str]],
    emulator: EmulatorServer,
    emulator_credentials: KalturaCredentials,
) -> None:
    spec: Any = case[0]
    new: Any = case[1]
    now, drift = case[2], case[3]
    zone = spec["timezone"]
    emulator.control.reset()
    ks = build_ks_v2(emulator.admin_secret, emulator.partner_id, DEFAULT_USER_ID, session_type=ADMIN)
    try:
        schedule_all_hands(spec, emulator_credentials, now=now)
        events = {
            e["labels"][[label.startswith("kev-occ:") for label in e["labels"]].index(True)][8:]: e
            for e in emulator.control.state()["events"]
        }
        before = planned(spec, now)
        now_values = {d: {"name": p.name, "description": p.description} for d, p in before.items()}
        ordered = sorted(before)
        with RawEventsApi(emulator.events_api_url, ks) as api:
            for index, field in drift.items():
                if index < len(ordered):
                    day = ordered[index]
                    value = f"{now_values[day][field]} (moved)"
                    api.ok("events/update", {"id": events[day.isoformat()]["id"], field: value})
                    now_values[day][field] = value

        report = schedule_all_hands(new, emulator_credentials, dry_run=True, now=now)
        rows = by_occurrence(report)
        after = planned(new, now)
        has_sessions = bool(spec["sessions"])
        moved = set()
        for day in set(before) & set(after):
            [(group, row)] = rows[day.isoformat()]
            want = expected(before[day], after[day], now_values[day], zone, has_sessions)
            got = [(c.field, c.before, c.after) for c in row.changes]
            assert got == want, (day, group, row)
            assert (group == "unchanged") == (not want), (day, group)
            if any(field == SESSION_FIELD for field, _, _ in want):
                moved.add(day.isoformat())
                assert group == "held" and f"event {row.event_id}" in row.note
        for day in set(after) - set(before):
            assert [group for group, _ in rows[day.isoformat()]] == ["created"]
        for day in set(before) - set(after):
            assert [group for group, _ in rows[day.isoformat()]] == ["stale"]

        event(f"occurrences held for sessions: {bool(moved)}; hand drift: {bool(drift)}")
        schedule_all_hands(new, emulator_credentials, now=now)
        again = schedule_all_hands(new, emulator_credentials, dry_run=True, now=now)
        assert not (again.created or again.finished or again.updated or again.pruned), again.rows()
        assert {row.occurrence for row in again.held} == moved
        assert all([c.field for c in row.changes] == [SESSION_FIELD] for row in again.held)
    finally:
        close_cached_clients()
