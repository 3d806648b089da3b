"""What must hold of any attendance report: the funnel, the merge, the files and the chart."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.image import imread

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.models import EventUser
from kaltura_events.api.validation import ATTENDANCE_STATUSES
from kaltura_events.formats.attendance_chart import ATTENDED_COLOR, REGISTERED_COLOR, attendance_chart
from kaltura_events.formats.attendance_files import (
    MATRIX_FILE,
    occurrence_file,
    read_occurrence_file,
    summary_rows,
    write_report_files,
)
from kaltura_events.formats.events_file import EventsFile, file_selector
from kaltura_events.planning.attendance import (
    ATTENDED,
    Attendance,
    Counts,
    Occurrence,
    OccurrenceReport,
    SeriesReport,
    event_user_names,
    merge_people,
    observed_counts,
    person_email,
    tally,
    with_names,
)

BASE = datetime(2027, 1, 4, 15, tzinfo=timezone.utc)
statuses = st.sampled_from(ATTENDANCE_STATUSES)
# A small alphabet, so two reads often meet the same person.
emails = st.builds("{}@{}.com".format, st.text("abc.1", min_size=1, max_size=4), st.sampled_from(["x", "y"]))
# Registration forms hold anything: formulas, quotes, commas, other scripts.
names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r\n"), max_size=30
).map(str.strip)
stamps = st.none() | st.integers(0, 10**6).map(lambda s: BASE + timedelta(seconds=s))


@st.composite
def attendances(draw: st.DrawFn) -> Attendance:
    return Attendance(
        email=draw(emails),
        name=draw(names),
        status=draw(statuses),
        first_attended_at=draw(stamps),
        updated_at=draw(stamps),
    )


@given(st.lists(statuses))
def test_the_funnel_never_widens(seen: list[str]) -> None:
    """Over one event's profiles; who was invited is another service's count, beside the funnel."""
    counts = Counts.from_statuses(tally(seen))
    assert counts.profiles == len(seen) >= counts.registered >= counts.confirmed >= counts.attended
    assert counts.attended == sum(s in ATTENDED for s in seen)
    assert counts.attended_of_registered is None or 0 <= counts.attended_of_registered <= 1


@given(st.lists(statuses), st.booleans(), st.booleans(), st.integers(0, 5))
def test_counts_are_never_invented(seen: list[str], answered: bool, full_read: bool, changed: int) -> None:
    """A count comes from the stats' row, or from a full read that found nobody; else there is none."""
    stats = tally(seen) if answered else None
    read = len(seen) if full_read else None
    counts = observed_counts(stats, read)
    if answered:
        assert counts == Counts.from_statuses(tally(seen))
    elif full_read and not seen:
        assert counts == Counts()
    else:
        assert counts is None, "no source said how many"
    assert observed_counts(None, None) is None
    assert observed_counts(None, changed + 1) is None, "profiles were read, but the stats said nothing"


@given(st.integers(0, 50), st.none() | st.integers(0, 80))
def test_attended_of_invited_is_of_the_events_users(attended: int, invited: int | None) -> None:
    occurrence = Occurrence(12, "All-Hands", BASE, "2027-01-04")
    report = OccurrenceReport(occurrence, Counts(attended, attended, attended, attended), invited=invited)
    if not invited:
        assert report.attended_of_invited is None
    else:
        assert report.attended_of_invited == attended / invited
    [row] = summary_rows(SeriesReport([report]))
    assert row["invited"] == ("" if invited is None else str(invited))
    assert row["profiles"] == str(attended)


@given(st.lists(attendances()), st.lists(attendances()))
def test_merging_a_read_twice_changes_nothing(previous: list[Attendance], fresh: list[Attendance]) -> None:
    before = {a.email: a for a in previous}
    once = merge_people(before, fresh)
    assert merge_people(once, fresh) == once
    assert set(once) == set(before) | {a.email for a in fresh}


@given(st.lists(attendances(), unique_by=lambda a: a.email))
@settings(max_examples=50)
def test_occurrence_files_read_back_as_written(people: list[Attendance]) -> None:
    occurrence = Occurrence(12, "All-Hands", BASE, "2027-01-04")
    report = SeriesReport(
        [OccurrenceReport(occurrence, Counts(), {a.email: a for a in people}, people_read=True)]
    )
    with _directory() as directory:
        write_report_files(directory, report, b"png")
        assert read_occurrence_file(directory / occurrence_file(occurrence)) == {a.email: a for a in people}
        matrix = (directory / MATRIX_FILE).read_text(encoding="utf-8").splitlines()
        assert len(matrix) == 1 + len(people), "one row per person"


def test_a_formula_in_a_name_is_not_run_by_a_spreadsheet(tmp_path: Path) -> None:
    occurrence = Occurrence(12, "All-Hands", BASE, "2027-01-04")
    mallory = Attendance("m@example.com", '=HYPERLINK("http://evil")', "attended")
    people = {mallory.email: mallory}
    write_report_files(
        tmp_path, SeriesReport([OccurrenceReport(occurrence, Counts(), people, people_read=True)]), b""
    )
    assert "'=HYPERLINK" in (tmp_path / occurrence_file(occurrence)).read_text(encoding="utf-8")
    assert read_occurrence_file(tmp_path / occurrence_file(occurrence)) == {mallory.email: mallory}


def test_a_file_that_is_not_ours_is_refused_by_name(tmp_path: Path) -> None:
    other = tmp_path / "occurrence-x-event-1.csv"
    other.write_text("id,what\n1,2\n", encoding="utf-8")
    with pytest.raises(InvalidArgumentError, match=r"occurrence-x-event-1\.csv"):
        read_occurrence_file(other)
    assert read_occurrence_file(tmp_path / "missing.csv") is None


@given(st.lists(attendances()), st.dictionaries(emails, names))
def test_a_name_comes_from_the_profile_else_from_the_events_users(
    seen: list[Attendance], invited: dict[str, str]
) -> None:
    people = {a.email: a for a in seen}
    named = with_names(people, invited)
    assert set(named) == set(people)
    for email, person in named.items():
        assert person.name == (people[email].name or invited.get(email, "")), email
        assert person.status == people[email].status


def test_the_events_users_names_are_keyed_by_lowercased_email() -> None:
    users = [
        EventUser(id="h1", first_name="Ann", last_name="Lee", email="Ann@Example.com"),
        EventUser(id="h2", first_name=" ", last_name="", email="nameless@example.com"),
    ]
    assert event_user_names(users) == {"ann@example.com": "Ann Lee"}


def test_times_are_written_on_the_events_clock(tmp_path: Path) -> None:
    """15:00 UTC on 4 January 2027 is 10:00 in New York; the files say 10:00 and the zone."""
    occurrence = Occurrence(12, "All-Hands", BASE, "2027-01-04", "America/New_York")
    came = Attendance("a@example.com", "A", "attended", BASE + timedelta(minutes=5), BASE)
    report = SeriesReport([OccurrenceReport(occurrence, Counts(), {came.email: came}, people_read=True)])
    [row] = summary_rows(report)
    assert (row["start"], row["timezone"]) == ("2027-01-04T10:00:00.000-05:00", "America/New_York")
    write_report_files(tmp_path, report, b"")
    text = (tmp_path / occurrence_file(occurrence)).read_text(encoding="utf-8")
    assert "2027-01-04T10:05:00.000-05:00" in text
    assert read_occurrence_file(tmp_path / occurrence_file(occurrence)) == {came.email: came}


def test_the_join_key_is_the_lowercased_email() -> None:
    assert person_email("Ann@Example.COM", {}) == "ann@example.com"
    assert person_email("u123", {"email": " Bob@Example.com"}) == "bob@example.com"
    assert person_email("u123", {}) is None


def _mask(png: bytes, color: str) -> np.ndarray:
    pixels = imread(io.BytesIO(png), format="png")[:, :, :3]
    target = np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.all(np.abs(pixels - target) < 0.02, axis=2)


def _bars(png: bytes, color: str) -> int:
    """How many bars of ``color`` stand on the axis: runs of that color along the row just above it.

    The axis is where the lowest registered bar ends (every test occurrence
    has someone registered); the legend's patches are far above it.
    """
    base = int(np.nonzero(_mask(png, REGISTERED_COLOR).any(axis=1))[0].max()) - 1
    line = _mask(png, color)[base]
    return int(np.count_nonzero(line[1:] & ~line[:-1]) + line[0])


# Registered from 8 and attended 0 or from 8: every bar is at least a few pixels tall at 300.
@given(
    st.lists(
        st.tuples(st.integers(8, 300), st.integers(0, 300).map(lambda a: a if a >= 8 else 0)),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=10, deadline=None)
def test_the_chart_has_a_bar_per_occurrence(figures: list[tuple[int, int]]) -> None:
    reports = [
        OccurrenceReport(
            Occurrence(i + 1, "All-Hands", BASE + timedelta(weeks=i), f"2027-01-{i + 4:02d}"),
            Counts(profiles=r, registered=r, confirmed=min(a, r), attended=min(a, r)),
        )
        for i, (r, a) in enumerate(figures)
    ]
    png = attendance_chart(reports, "test")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    height, width = imread(io.BytesIO(png), format="png").shape[:2]
    assert (width, height) == (800, 360)
    assert _bars(png, REGISTERED_COLOR) == len(figures)
    assert _bars(png, ATTENDED_COLOR) == sum(1 for r, a in figures if min(a, r) > 0)


def test_an_unknown_series_key_is_named_with_the_closest(tmp_path: Path) -> None:
    events_file = EventsFile.model_validate(
        {
            "name": "acme",
            "series": [
                {
                    "key": "all-hands",
                    "name": "All-Hands {date:%Y-%m-%d}",
                    "template_id": "tm2000",
                    "timezone": "UTC",
                    "rrule": "FREQ=WEEKLY;BYDAY=MO",
                    "start_time": "10:00",
                    "duration_minutes": 60,
                }
            ],
        }
    )
    with pytest.raises(InvalidArgumentError, match=r"--series.*all-hand.*did you mean all-hands"):
        file_selector(events_file, "all-hand")
    assert file_selector(events_file, "all-hands").series_key == "all-hands"
    assert file_selector(events_file, None).label == events_file.file_label


class _directory:
    """A fresh directory per Hypothesis example (pytest's tmp_path is one per test)."""

    def __enter__(self) -> Path:
        import tempfile

        self._tmp = tempfile.TemporaryDirectory()
        return Path(self._tmp.name)

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()
