"""The .ics feed: parses, expands to exactly the plan's instants, stable UIDs, SEQUENCE raised on change."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import recurring_ical_events
from icalendar import Calendar

from kaltura_events.cli import main
from kaltura_events.formats.calendar_feed import series_calendar, write_calendars
from kaltura_events.formats.events_file import Target, load_events_file, parse_events_file, targets

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kaltura-events.yaml"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def events_of(ics: bytes) -> list[Any]:
    return list(Calendar.from_ical(ics).walk("VEVENT"))


def plan_text(text: str) -> list[Target]:
    """The events file's text planned as if it sat beside the example (its audience CSV is found there)."""
    return targets(parse_events_file(text, "f"), "f", NOW, base_dir=EXAMPLE.parent)


def test_every_feed_expands_to_exactly_the_planned_instants() -> None:
    for target in targets(load_events_file(EXAMPLE), str(EXAMPLE), NOW):
        ics = series_calendar(target.series, target.planned, stamp=NOW)
        calendar = Calendar.from_ical(ics)
        expanded = recurring_ical_events.of(calendar).between(
            NOW - timedelta(days=1), NOW + timedelta(days=800)
        )
        starts = sorted(e["DTSTART"].dt.astimezone(timezone.utc) for e in expanded)
        ends = sorted(e["DTEND"].dt.astimezone(timezone.utc) for e in expanded)
        assert starts == sorted(p.start_utc for p in target.planned), target.key
        assert ends == sorted(p.end_utc for p in target.planned), target.key
        [zone] = calendar.walk("VTIMEZONE")
        assert str(zone["TZID"]) == target.series.timezone
        for event in calendar.walk("VEVENT"):
            assert event["DTSTART"].params["TZID"] == target.series.timezone
            assert str(event["UID"]).startswith(f"{target.key}-")


def test_uids_are_stable_and_sequence_rises_only_for_a_changed_occurrence(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    first = write_calendars(tmp_path, plan_text(text), NOW)
    before = {p.name: events_of(p.read_bytes()) for p in first}
    later = NOW + timedelta(hours=1)
    again = write_calendars(tmp_path, plan_text(text), later)
    after = {p.name: events_of(p.read_bytes()) for p in again}
    for name, events in before.items():
        assert [str(e["UID"]) for e in events] == [str(e["UID"]) for e in after[name]]
        assert {int(e["SEQUENCE"]) for e in after[name]} == {0}

    moved = text.replace('start_time: "09:30"', 'start_time: "10:00"')
    write_calendars(
        tmp_path,
        plan_text(moved),
        later,
        only="weekly-standup",
    )
    standup = events_of((tmp_path / "weekly-standup.ics").read_bytes())
    assert [str(e["UID"]) for e in standup] == [str(e["UID"]) for e in before["weekly-standup.ics"]]
    assert {int(e["SEQUENCE"]) for e in standup} == {1}
    assert all(e["DTSTART"].dt.strftime("%H:%M") == "10:00" for e in standup)
    untouched = events_of((tmp_path / "monthly-all-hands.ics").read_bytes())
    assert {int(e["SEQUENCE"]) for e in untouched} == {0}


def test_event_ids_go_in_the_description() -> None:
    [target] = [
        t for t in targets(load_events_file(EXAMPLE), str(EXAMPLE), NOW) if t.key == "monthly-all-hands"
    ]
    ids = {p.start_utc: 100 + i for i, p in enumerate(target.planned)}
    ics = series_calendar(
        target.series, target.planned, stamp=NOW, event_id=lambda _key, start: ids.get(start)
    )
    texts = [str(e["DESCRIPTION"]) for e in events_of(ics)]
    assert texts == [
        f"Monthly company update and open Q&A.\n\nKaltura event id: {i}" for i in sorted(ids.values())
    ]


def test_ics_command_writes_one_series(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["ics", str(EXAMPLE), "--series", "apac-town-hall", "-o", "calendars"]) == 0
    assert [p.name for p in (tmp_path / "calendars").iterdir()] == ["apac-town-hall.ics"]
    assert main(["ics", str(EXAMPLE), "--series", "nope", "-o", "calendars"]) == 1


@pytest.mark.parametrize("out", ["/tmp/calendars", "../calendars", "~/calendars", "link/calendars"])
def test_ics_command_writes_only_below_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], out: str
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    (here / "link").symlink_to(tmp_path)
    monkeypatch.chdir(here)
    assert main(["ics", str(EXAMPLE), "-o", out]) == 1
    assert f"--output-dir={out!r}: refused" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here"], "nothing written outside"


def test_an_occurrence_moved_by_override_keeps_its_uid_and_raises_its_sequence(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    write_calendars(
        tmp_path,
        plan_text(text),
        NOW,
        only="sales-kickoff-review",
    )
    before = {str(e["UID"]): e for e in events_of((tmp_path / "sales-kickoff-review.ics").read_bytes())}
    moved = text.replace(
        "      - original_date: 2026-12-21",
        "      - original_date: 2026-12-07\n        date: 2026-12-09\n      - original_date: 2026-12-21",
    )
    later = NOW + timedelta(hours=1)
    write_calendars(
        tmp_path,
        plan_text(moved),
        later,
        only="sales-kickoff-review",
    )
    after = {str(e["UID"]): e for e in events_of((tmp_path / "sales-kickoff-review.ics").read_bytes())}
    assert set(after) == set(before), "UIDs follow the original date, not the moved one"
    uid = "sales-kickoff-review-20261207@kaltura-events"
    assert after[uid]["DTSTART"].dt.date().isoformat() == "2026-12-09"
    assert int(after[uid]["SEQUENCE"]) == int(before[uid]["SEQUENCE"]) + 1
    assert {int(e["SEQUENCE"]) for key, e in after.items() if key != uid} == {0}
