"""Who registered and who came: statuses counted the way people read a funnel, joined across a series.

Pure. The User Profile service keeps one profile per person per event app,
with the person's current ``attendanceStatus``. A report counts each profile
once per stage it has reached, so every occurrence's profiles read as a
funnel that never widens: profiles >= registered >= confirmed >= attended.

- attended: ``attended``, ``participated``, ``participatedPostEvent`` (the
  guide's "high attendance");
- confirmed: ``confirmed``, ``autoConfirmed``, or attended;
- registered: ``registered``, or confirmed;
- profiles: every profile of the event, whatever its status.

Who was invited is another service's answer: the Events Platform's users of
the event (``event-users/list``). No source says every invitee has a profile
or every profile was invited, so ``invited`` stands beside the funnel, not on
top of it. A count nobody answered for is None, never a zero.

People are joined across occurrences by lowercased email: the Events
Platform's user ids are hashes, while a profile carries the Kaltura user id
(usually the email) and may carry the email in its profile data.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections import Counter
from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kaltura_events.api.attendance_models import ProfileRow, UserProfile, person_email, person_name
from kaltura_events.api.models import EventUser
from kaltura_events.api.validation import ATTENDED_STATUSES

ATTENDED = frozenset(ATTENDED_STATUSES)
CONFIRMED = ATTENDED | {"confirmed", "autoConfirmed"}
REGISTERED = CONFIRMED | {"registered"}


@dataclass(frozen=True)
class Counts:
    """One occurrence's funnel over its User Profile profiles."""

    profiles: int = 0
    registered: int = 0
    confirmed: int = 0
    attended: int = 0

    @classmethod
    def from_statuses(cls, by_status: Mapping[str, int]) -> Counts:
        """From a count per status, as ``reports/eventDataStats`` gives it or a tally of profiles."""

        def total(statuses: Iterable[str]) -> int:
            return sum(by_status.get(status, 0) for status in statuses)

        return cls(
            profiles=sum(by_status.values()),
            registered=total(REGISTERED),
            confirmed=total(CONFIRMED),
            attended=total(ATTENDED),
        )

    @property
    def attended_of_registered(self) -> float | None:
        return self.attended / self.registered if self.registered else None


def observed_counts(by_status: Mapping[str, int] | None, fully_read: int | None) -> Counts | None:
    """The counts one app's answers support, or None: a count is never made up.

    ``by_status`` is the app's entry in ``reports/eventDataStats`` (None when
    the answer had no row for it); ``fully_read`` is how many profiles a full
    read of the app found (None when the run read only what changed, or
    nothing). No guide says whether an app with no profiles gets a row, so a
    missing row is zeros only when a full read found no profiles either.
    """
    if by_status is not None:
        return Counts.from_statuses(by_status)
    if fully_read == 0:
        return Counts()
    return None


def tally(statuses: Iterable[str]) -> dict[str, int]:
    """A count per status, the shape ``Counts.from_statuses`` reads."""
    counted: dict[str, int] = {}
    for status in statuses:
        counted[status] = counted.get(status, 0) + 1
    return counted


def rate(value: float | None) -> str:
    """A rate as a report cell: ``83.3%``, or empty when nothing was there to divide by."""
    return "" if value is None else f"{value * 100:.1f}%"


@dataclass(frozen=True)
class Occurrence:
    """One event of the report, in the order the series runs."""

    event_id: int
    name: str
    start: datetime | None
    """None for an id given that no event answers to."""
    label: str
    """``2027-03-04`` for a series occurrence (its ``kev-occ:`` date), else the event id."""
    timezone: str = "UTC"
    """The event's IANA zone: people read an event's times on its own clock."""

    @property
    def zone(self) -> tzinfo:
        """The event's clock; UTC when the zone is not one this machine knows."""
        return _zone(self.timezone)

    def local(self, moment: datetime) -> datetime:
        """``moment`` on the event's clock."""
        return moment.astimezone(self.zone)


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | timezone:
    """Looked up once per zone: a report's files convert two times for each of 600,000 profiles."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


class Attendance(NamedTuple):
    """One person at one occurrence, as their profile there says.

    A tuple of strings and dates, which Python's garbage collector stops
    tracking: a report of a 50,000-person series keeps 600,000 of them, and
    every collection walked each one while the report was folded.
    """

    email: str
    name: str
    status: str
    first_attended_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED


def attendance_of(profile: UserProfile) -> Attendance:
    """One profile read whole as the report reads it; the email and status are interned, so the 12
    occurrences of a person, and 600,000 statuses, share one string each."""
    return Attendance(
        email=sys.intern(person_email(profile.user_id, profile.profile_data) or profile.user_id),
        name=person_name(profile.profile_data),
        status=sys.intern(profile.attendance_status or "created"),
        first_attended_at=profile.first_attended_at,
        updated_at=profile.updated_at,
    )


_attendance = Attendance._make
_intern = sys.intern


def row_attendance(row: ProfileRow) -> Attendance:
    """``attendance_of`` for a profile read for a report (its join key and name read as it arrived)."""
    status = _intern(row.attendance_status or "created")
    return _attendance((row.email, row.name, status, row.first_attended_at, row.updated_at))


@dataclass
class OccurrenceReport:
    """What one occurrence's report says: what each source answered, and a problem for each that did not."""

    occurrence: Occurrence
    counts: Counts | None = None
    """From ``reports/eventDataStats``; None when it did not answer for this event."""
    people: Mapping[str, Attendance] = field(default_factory=dict)
    """By email: a dict, or a column of a ``PeopleTable`` the run folded its profiles into."""
    invited: int | None = None
    """The event's users (``event-users/list``); None when they were not read."""
    problems: list[str] = field(default_factory=list)
    profiles_read: int = 0
    """How many profiles this run read for it: all of them, or only those updated since the last run."""
    people_read: bool = False
    """Whether ``people`` is this run's picture: only then are its file and watermark written."""

    @property
    def problem(self) -> str | None:
        return "; ".join(self.problems) or None

    @property
    def attended_of_invited(self) -> float | None:
        if self.counts is None or not self.invited:
            return None
        return self.counts.attended / self.invited


@dataclass
class SeriesReport:
    occurrences: list[OccurrenceReport]

    def people(self) -> list[str]:
        """Everyone seen at any occurrence, by email."""
        return sorted({email for report in self.occurrences for email in report.people})

    def names(self) -> dict[str, str]:
        """The latest non-empty name each person gave, across the series."""
        names: dict[str, str] = {}
        for report in self.occurrences:
            names.update((email, seen.name) for email, seen in report.people.items() if seen.name)
        return names

    def columns(self) -> list[str]:
        """The matrix's occurrence columns: the label, with the event id where two labels are alike
        (events of two series chosen together may share a date)."""
        labels = Counter(report.occurrence.label for report in self.occurrences)
        return [
            r.occurrence.label
            if labels[r.occurrence.label] == 1
            else f"{r.occurrence.label} ({r.occurrence.event_id})"
            for r in self.occurrences
        ]

    def matrix(self) -> Iterator[tuple[str, ...]]:
        """One row per person, by email: email, name, their status at each occurrence (``columns``),
        and how many they attended.

        Made as it is written: a 50,000-person matrix is never held whole.
        """
        names = self.names()
        looks = [report.people.get for report in self.occurrences]
        for email in self.people():
            seen = [look(email) for look in looks]
            statuses = ["" if s is None else s.status for s in seen]
            attended = sum(1 for s in seen if s is not None and s.attended)
            yield (email, names.get(email, ""), *statuses, str(attended))

    def invited(self) -> int:
        """Everyone invited, summed over the occurrences whose users were read."""
        return sum(r.invited for r in self.occurrences if r.invited is not None)

    def totals(self) -> Counts:
        """The series as one funnel: the sum of its occurrences that could be counted."""
        read = [r.counts for r in self.occurrences if r.counts is not None]
        return Counts(
            profiles=sum(c.profiles for c in read),
            registered=sum(c.registered for c in read),
            confirmed=sum(c.confirmed for c in read),
            attended=sum(c.attended for c in read),
        )


def merge_people(previous: Mapping[str, Attendance], fresh: Sequence[Attendance]) -> dict[str, Attendance]:
    """An incremental read on top of the last report: a person's newer profile replaces the older.

    A profile read again with no newer ``updated_at`` changes nothing, so
    reading the same profiles twice gives the same report. The simple form
    of what ``PeopleTable`` folds page by page; a test holds them equal.
    """
    merged = dict(previous)
    for seen in fresh:
        merged[seen.email] = merge(merged.get(seen.email), seen)
    return merged


def merge(before: Attendance | None, seen: Attendance) -> Attendance:
    """What a person's profile ``seen`` leaves of ``before``, the one read before it: the newer (a tie
    goes to ``seen``), keeping the earlier name where the newer has none."""
    if before is None:
        return seen
    if not _newer_or_same(seen, before):
        return before
    return seen if seen.name else seen._replace(name=before.name)


def _newer_or_same(candidate: Attendance, current: Attendance) -> bool:
    if candidate.updated_at is None or current.updated_at is None:
        return True
    return candidate.updated_at >= current.updated_at


def event_user_names(users: Iterable[EventUser]) -> dict[str, str]:
    """The names the Events Platform keeps for an event's users, by lowercased email."""
    invited = Invited()
    invited.fold(users)
    return invited.names


class Invited:
    """What a report keeps of an event's users, folded as their pages arrive: the names, by lowercased
    email, that a profile without one takes (``with_names``); how many there are is the listing's count.

    Emails and names are interned: 12 occurrences of a 50,000-person
    invitation name the same people, and the table's emails are interned too.
    """

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def fold(self, users: Iterable[EventUser]) -> None:
        """A page of users, in the order listed: a later user of the same email names them."""
        names = self.names
        for user in users:
            name = " ".join(part.strip() for part in (user.first_name, user.last_name) if part.strip())
            if name and "@" in user.email:
                names[sys.intern(user.email.strip().lower())] = sys.intern(name)


def with_names(people: Mapping[str, Attendance], names: Mapping[str, str]) -> dict[str, Attendance]:
    """Each person's name from their profile, else from the event's users: a registration form may
    carry none, while the invitation always has one."""
    return {email: named(seen, names) for email, seen in people.items()}


def named(seen: Attendance, names: Mapping[str, str]) -> Attendance:
    return seen if seen.name or seen.email not in names else seen._replace(name=names[seen.email])


class PeopleTable:
    """Everyone's attendance across a series' occurrences, one compact row per email: the
    person-by-occurrence matrix, folded from the profiles as their pages arrive.

    Each occurrence is a column (``column(i)``, a read-only mapping by email,
    what ``OccurrenceReport.people`` holds). Its pages are folded in the
    order they were listed, each profile ``merge``d over what the column has
    for that email, which is what ``merge_people`` does with one list: a
    page is let go once folded, and a person's email is kept once for the
    whole series, not once per occurrence. Columns may be folded from
    several threads at once; read the table once folding has ended.
    """

    def __init__(self, occurrences: int) -> None:
        self._width = occurrences
        self._rows: dict[str, list[Attendance | None]] = {}
        self._counts = [0] * occurrences
        self._lock = threading.Lock()

    def column(self, index: int) -> PeopleColumn:
        if not 0 <= index < self._width:
            raise IndexError(f"occurrence {index} of a table of {self._width}")
        return PeopleColumn(self, index)

    def _fold(self, index: int, people: Iterable[Attendance]) -> None:
        width, added = self._width, 0
        with self._lock:
            rows = self._rows
            for seen in people:
                row = rows.get(seen[0])
                if row is None:
                    row = rows[seen[0]] = [None] * width
                    row[index] = seen
                    added += 1
                elif (before := row[index]) is None:
                    row[index] = seen
                    added += 1
                else:
                    row[index] = merge(before, seen)
            self._counts[index] += added


class PeopleColumn(Mapping[str, Attendance]):
    """One occurrence of a ``PeopleTable``: who was there, by email."""

    def __init__(self, table: PeopleTable, index: int) -> None:
        self._table = table
        self._index = index

    def fold(self, people: Iterable[Attendance]) -> None:
        """Each of ``people``, in order, merged over what this occurrence has for their email."""
        self._table._fold(self._index, people)

    def fold_profiles(self, profiles: Iterable[ProfileRow]) -> None:
        """A page of profiles, in the order listed, as ``row_attendance`` reads them."""
        self.fold([row_attendance(p) for p in profiles])

    def clear(self) -> None:
        """Nobody: a read that failed half-way leaves no one behind in the matrix."""
        index = self._index
        with self._table._lock:
            for row in self._table._rows.values():
                row[index] = None
            self._table._counts[index] = 0

    def name_from(self, names: Mapping[str, str]) -> None:
        """``with_names`` in place: the event users' names for the people whose profile has none."""
        if not names:
            return
        index = self._index
        with self._table._lock:
            for row in self._table._rows.values():
                seen = row[index]
                if seen is not None and not seen.name and seen.email in names:
                    row[index] = named(seen, names)

    def __getitem__(self, email: str) -> Attendance:
        row = self._table._rows.get(email)
        seen = None if row is None else row[self._index]
        if seen is None:
            raise KeyError(email)
        return seen

    def get(self, email: str, default: Any = None) -> Any:
        row = self._table._rows.get(email)
        seen = None if row is None else row[self._index]
        return default if seen is None else seen

    def __iter__(self) -> Iterator[str]:
        index = self._index
        return (email for email, row in self._table._rows.items() if row[index] is not None)

    def items(self) -> ItemsView[str, Attendance]:
        """Straight from the table's rows: ``Mapping``'s looked each email up again."""
        return _ColumnItems(self)

    def __len__(self) -> int:
        return self._table._counts[self._index]


class _ColumnItems(ItemsView[str, Attendance]):
    _mapping: PeopleColumn

    def __iter__(self) -> Iterator[tuple[str, Attendance]]:
        index = self._mapping._index
        for email, row in self._mapping._table._rows.items():
            seen = row[index]
            if seen is not None:
                yield email, seen
