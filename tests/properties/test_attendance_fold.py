"""The folded attendance report equals the report of the same profiles read whole (pure, many examples).

report_attendance folds each page of ``user-profile/list`` into a
``PeopleTable`` as it arrives, reading only the fields the report needs
(``ProfileRow``), while the simple path reads every profile as a
``UserProfile`` model, then ``merge_people`` and ``with_names`` over the
whole list. Whatever the mix of statuses and people (the same person under
emails that differ in case, profiles without an email, several profiles of
one person, a last report laid under an incremental read, names only the
invitation knows) and whatever order the occurrences' pages interleave in,
both must give the same people, matrix and files, byte for byte.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kaltura_events.api.attendance_models import ProfileRow, UserProfile, profile_rows
from kaltura_events.api.models import EventUser
from kaltura_events.api.paging import collect_pages, fold_pages
from kaltura_events.formats.attendance_files import write_report_files
from kaltura_events.planning.attendance import (
    Attendance,
    Counts,
    Invited,
    Occurrence,
    OccurrenceReport,
    PeopleTable,
    SeriesReport,
    attendance_of,
    event_user_names,
    merge_people,
    with_names,
)

STATUSES = ["invited", "registered", "confirmed", "attended", "participated", "unregistered", "", None]
LOCALS = ["ann", "bob", "cy", "dee"]
BASE = datetime(2027, 3, 4, 15, tzinfo=timezone.utc)
PAGE = 3


@st.composite
def user_ids(draw: st.DrawFn) -> str:
    local = draw(st.sampled_from(LOCALS))
    if draw(st.booleans()):
        return f"user-{local}"  # no email: joined by the profile data's email, or kept as the user id
    return "".join(c.upper() if draw(st.booleans()) else c for c in f"{local}@example.com")


@st.composite
def moments(draw: st.DrawFn) -> str | None:
    minutes = draw(st.none() | st.integers(0, 3))
    if minutes is None:
        return draw(st.sampled_from([None, ""]))
    return (BASE + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@st.composite
def profiles(draw: st.DrawFn, occurrence: int, number: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if draw(st.booleans()):
        data["email"] = f"{draw(st.sampled_from(LOCALS))}@EXAMPLE.com"
    name = draw(st.sampled_from(["", "Ann Lee", "=SUM(A1)", "Bob"]))
    if name:
        data["name"] = name
    event_data: dict[str, Any] = {"attendanceStatus": draw(st.sampled_from(STATUSES))}
    first = draw(moments())
    if first is not None:
        event_data["firstAttendedStatusTime"] = first
    return {
        "id": f"p{occurrence}-{number}",
        "appGuid": f"app-{occurrence}",
        "userId": draw(user_ids()),
        "profileData": data,
        "eventData": event_data,
        "updatedAt": draw(moments()),
    }


@st.composite
def series(
    draw: st.DrawFn,
) -> tuple[list[list[dict[str, Any]]], list[dict[str, Attendance]], list[dict[str, str]]]:
    """Per occurrence: its listed profiles, the last report's people, and its event users' names."""
    count = draw(st.integers(1, 3))
    listed, previous, names = [], [], []
    for occurrence in range(count):
        size = draw(st.integers(0, 9))
        listed.append([draw(profiles(occurrence, number)) for number in range(size)])
        earlier = {}
        if draw(st.booleans()):
            for local in draw(st.lists(st.sampled_from(LOCALS), unique=True)):
                email = f"{local}@example.com"
                earlier[email] = Attendance(
                    email, draw(st.sampled_from(["", "Old Name"])), "registered", None, BASE
                )
        previous.append(earlier)
        chosen = draw(st.lists(st.sampled_from(LOCALS), unique=True))
        names.append({f"{local}@example.com": f"Invited {local}" for local in chosen})
    return listed, previous, names


def _pages(listed: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """As the service would page them, with a true ``totalCount``: distinct ids."""
    return [listed[i : i + PAGE] for i in range(0, len(listed), PAGE)] or [[]]


def _distinct(listed: list[dict[str, Any]]) -> int:
    return len({p["id"] for p in listed})


def _occurrences(count: int) -> list[Occurrence]:
    return [
        Occurrence(
            100 + i,
            f"All-Hands {i}",
            BASE + timedelta(days=7 * i),
            f"2027-03-{4 + 7 * i:02d}",
            "America/New_York",
        )
        for i in range(count)
    ]


def _whole(
    listed: list[list[dict[str, Any]]], previous: list[dict[str, Attendance]], names: list[dict[str, str]]
) -> SeriesReport:
    reports = []
    for occurrence, items, earlier, known in zip(
        _occurrences(len(listed)), listed, previous, names, strict=True
    ):
        pages = _pages(items)
        total = _distinct(items)

        def fetch(
            number: int, pages: list[list[dict[str, Any]]] = pages, total: int = total
        ) -> tuple[list[UserProfile], int]:
            page = pages[number] if number < len(pages) else []
            return [UserProfile.model_validate(p) for p in page], total

        models = collect_pages("user-profile/list", fetch, page_size=PAGE, key=lambda p: p.id)
        fresh = [attendance_of(p) for p in models]
        people = with_names(merge_people(earlier, fresh), known)
        reports.append(
            OccurrenceReport(occurrence, Counts(), people, 0, profiles_read=len(fresh), people_read=True)
        )
    return SeriesReport(reports)


def _folded(
    listed: list[list[dict[str, Any]]],
    previous: list[dict[str, Attendance]],
    names: list[dict[str, str]],
    order: list[int],
) -> SeriesReport:
    """Each occurrence's pages folded in turn, the occurrences taken in ``order`` (an interleaving)."""
    table = PeopleTable(len(listed))
    reports = []
    for index, occurrence in enumerate(_occurrences(len(listed))):
        if previous[index]:
            table.column(index).fold(previous[index].values())
        reports.append(OccurrenceReport(occurrence, Counts(), table.column(index), 0, people_read=True))
    for index in order:
        pages = _pages(listed[index])
        total = _distinct(listed[index])

        def fetch(
            number: int, pages: list[list[dict[str, Any]]] = pages, total: int = total
        ) -> tuple[list[ProfileRow], int]:
            page = pages[number] if number < len(pages) else []
            return profile_rows({"objects": page, "totalCount": total})

        column = table.column(index)
        reports[index].profiles_read = fold_pages(
            "user-profile/list", fetch, column.fold_profiles, page_size=PAGE, key=lambda row: row.id
        )
        column.name_from(names[index])
    return SeriesReport(reports)


def _files(report: SeriesReport) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        return {path.name: path.read_bytes() for path in write_report_files(Path(folder), report, b"png")}


@settings(max_examples=100)
@given(data=series(), seed=st.randoms(use_true_random=False))
def test_the_folded_report_equals_the_report_read_whole(data: Any, seed: Any) -> None:
    listed, previous, names = data
    order = list(range(len(listed)))
    seed.shuffle(order)
    whole, folded = _whole(listed, previous, names), _folded(listed, previous, names, order)
    assert folded.people() == whole.people()
    assert folded.names() == whole.names()
    assert list(folded.matrix()) == list(whole.matrix())
    for mine, theirs in zip(folded.occurrences, whole.occurrences, strict=True):
        assert dict(mine.people) == dict(theirs.people)
        assert len(mine.people) == len(theirs.people)
        assert mine.profiles_read == theirs.profiles_read
    assert _files(folded) == _files(whole)


def test_a_failed_read_leaves_nobody_in_its_column() -> None:
    table = PeopleTable(2)
    seen = Attendance("ann@example.com", "Ann", "attended", None, BASE)
    table.column(0).fold([seen])
    table.column(1).fold([seen])
    table.column(1).clear()
    assert dict(table.column(0)) == {"ann@example.com": seen}
    assert dict(table.column(1)) == {} and len(table.column(1)) == 0


@st.composite
def event_user_pages(draw: st.DrawFn) -> list[list[EventUser]]:
    """An event's users as pages of ``PAGE``, as the service would page them (distinct ids): one email
    under several users, emails that differ in case or edge spaces, names blank or only spaces."""
    users = []
    for number in range(draw(st.integers(0, 12))):
        local = draw(st.sampled_from(LOCALS))
        email = draw(st.sampled_from([f"{local}@example.com", f" {local.upper()}@Example.com", local]))
        first, last = draw(st.sampled_from(["", " ", "Ann", "Bob "])), draw(st.sampled_from(["", "Lee"]))
        users.append(EventUser(id=f"u{number}", first_name=first, last_name=last, email=email))
    return [users[i : i + PAGE] for i in range(0, len(users), PAGE)] or [[]]


def _names_read_whole(users: list[EventUser]) -> dict[str, str]:
    """What the report took from every user of the event read as one list."""
    names = {}
    for user in users:
        name = " ".join(part.strip() for part in (user.first_name, user.last_name) if part.strip())
        if name and "@" in user.email:
            names[user.email.strip().lower()] = name
    return names


@settings(max_examples=100)
@given(pages=event_user_pages())
def test_the_folded_invitation_equals_the_one_read_whole(pages: list[list[EventUser]]) -> None:
    total = len({user.id for page in pages for user in page})

    def fetch(number: int) -> tuple[list[EventUser], int]:
        return (pages[number] if number < len(pages) else []), total

    whole = collect_pages("event-users/list", fetch, page_size=PAGE, key=lambda u: u.id)
    invited = Invited()
    count = fold_pages("event-users/list", fetch, invited.fold, page_size=PAGE, key=lambda u: u.id)
    assert count == len(whole)
    assert invited.names == _names_read_whole(whole) == event_user_names(whole)
