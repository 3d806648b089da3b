"""Recurring events as concrete instants, computed on the event's own wall clock.

A 10:00 America/New_York all-hands must stay at 10:00 for the people in New
York, so it moves in UTC twice a year (15:00 UTC in January, 14:00 UTC in
July). A rule expanded in UTC would keep the UTC time and drift an hour
locally, so rules are expanded with naive *local* date-times (BYDAY and
BYMONTHDAY therefore name local dates) and each one is then pinned to an
instant in the zone. RRULE text is parsed by python-dateutil; this module only
adds the checks that matter for events and the time-zone step.

The DST rule (one rule, for every zone):

* A local start time that does not exist, because the clocks jump forward
  over it, is moved forward by the length of the gap: 02:30 on the March
  change day in America/New_York becomes 03:30 EDT (07:30 UTC), and 02:15 on
  Lord Howe Island's 30-minute change becomes 02:45. The event keeps its
  place in the day instead of vanishing or jumping to the day before.
* A local start time that happens twice, because the clocks fall back,
  takes the FIRST occurrence, the earlier instant still on daylight time:
  01:30 on the November change day in America/New_York is 01:30 EDT
  (05:30 UTC), not 01:30 EST. Nobody is told to come back an hour later.

pendulum's own defaults do not give this pair (its ``fold`` picks the later
instant for a repeated time), so :func:`localize` asks pendulum to refuse
both cases and chooses explicitly. Durations are absolute: a 60-minute
meeting that spans a change still ends 60 real minutes after it starts.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pendulum
from dateutil.rrule import rrulestr
from pendulum.tz.exceptions import AmbiguousTime, NonExistingTime

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.validation import require_zone

__all__ = ["Occurrence", "RecurrenceError", "expand", "localize", "occurrence_on", "validate_rrule"]


class RecurrenceError(InvalidArgumentError):
    """A recurrence argument is wrong; caught by anything that already handles bad arguments."""


_ALLOWED_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_TOO_FINE_FREQS = ("HOURLY", "MINUTELY", "SECONDLY")
_KNOWN_KEYS = frozenset(
    {
        "FREQ",
        "UNTIL",
        "COUNT",
        "INTERVAL",
        "BYSECOND",
        "BYMINUTE",
        "BYHOUR",
        "BYDAY",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYMONTH",
        "BYSETPOS",
        "WKST",
    }
)
# The time of day comes from ``start_time``; a BYHOUR would silently contradict it.
_TIME_OF_DAY_KEYS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_POSITIVE_INT = re.compile(r"^[0-9]+$")
_SIGNED_INT = re.compile(r"^[+-]?[0-9]+$")
_UNTIL = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$")
# Only used to let dateutil check the syntax; any fixed naive instant will do.
_SYNTAX_ANCHOR = datetime(2000, 1, 1, 0, 0)


def _parse(rule: Any, field: str) -> dict[str, str]:
    """Split and check a rule once, so ``validate_rrule`` and ``expand`` agree on what is valid."""
    if not isinstance(rule, str) or not rule.strip():
        raise RecurrenceError(field, rule, "expected an RRULE such as FREQ=WEEKLY;BYDAY=MO")
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :].strip()
    if "DTSTART" in text.upper():
        raise RecurrenceError(
            field, rule, "DTSTART is not allowed in the rule; the series starts at starts_on and start_time"
        )
    if "\n" in text or "\r" in text or ":" in text:
        raise RecurrenceError(
            field, rule, "expected a single RRULE line (EXDATE, RDATE and other properties are not supported)"
        )

    parts: dict[str, str] = {}
    for raw in text.split(";"):
        key, sep, value = raw.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        if not sep or not key or not value:
            raise RecurrenceError(field, rule, f"{raw.strip()!r} is not a KEY=VALUE part of an RRULE")
        if key not in _KNOWN_KEYS:
            raise RecurrenceError(field, rule, f"unknown RRULE part {key}")
        if key in parts:
            raise RecurrenceError(field, rule, f"{key} is given more than once")
        parts[key] = value

    _check_parts(parts, rule, field)
    try:
        rrulestr(";".join(f"{k}={v}" for k, v in parts.items() if k != "UNTIL"), dtstart=_SYNTAX_ANCHOR)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise RecurrenceError(field, rule, f"not a valid RRULE ({exc})") from None
    return parts


def _check_parts(parts: dict[str, str], rule: str, field: str) -> None:
    """The checks dateutil does not make, each of which would otherwise fail silently or spin."""
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError(field, rule, "FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY)")
    if freq in _TOO_FINE_FREQS:
        raise RecurrenceError(
            field, rule, f"FREQ={freq} is finer than a day; events recur DAILY, WEEKLY, MONTHLY or YEARLY"
        )
    if freq not in _ALLOWED_FREQS:
        raise RecurrenceError(field, rule, f"FREQ={freq} is not DAILY, WEEKLY, MONTHLY or YEARLY")
    for key in _TIME_OF_DAY_KEYS:
        if key in parts:
            raise RecurrenceError(field, rule, f"{key} is not supported; the time of day is start_time")
    for key in ("COUNT", "INTERVAL"):
        value = parts.get(key)
        if value is not None and (not _POSITIVE_INT.match(value) or int(value) < 1):
            raise RecurrenceError(field, rule, f"{key} must be a positive integer, got {value}")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError(field, rule, "COUNT and UNTIL cannot both be given (RFC 5545)")
    if "UNTIL" in parts:
        _until_value(parts["UNTIL"], rule, field)
    _check_month_days(parts, rule, field)


def _int_list(value: str, key: str, rule: str, field: str) -> list[int]:
    out = []
    for item in value.split(","):
        if not _SIGNED_INT.match(item.strip()):
            raise RecurrenceError(field, rule, f"{key} must be a list of integers, got {value}")
        out.append(int(item))
    return out


def _check_month_days(parts: dict[str, str], rule: str, field: str) -> None:
    """Reject day/month pairs that never exist (30 February): dateutil would search to year 9999 for them."""
    months = _int_list(parts["BYMONTH"], "BYMONTH", rule, field) if "BYMONTH" in parts else []
    if any(not 1 <= m <= 12 for m in months):
        raise RecurrenceError(field, rule, "BYMONTH values are 1 to 12")
    if "BYMONTHDAY" not in parts:
        return
    days = _int_list(parts["BYMONTHDAY"], "BYMONTHDAY", rule, field)
    if any(d == 0 or not -31 <= d <= 31 for d in days):
        raise RecurrenceError(field, rule, "BYMONTHDAY values are 1 to 31 or -31 to -1")
    longest = {m: calendar.monthrange(2000, m)[1] for m in (months or range(1, 13))}
    if not any(abs(d) <= length for d in days for length in longest.values()):
        raise RecurrenceError(field, rule, "BYMONTHDAY never falls in the BYMONTH months")


def _until_value(value: str, rule: str, field: str) -> datetime:
    """UNTIL as a naive local (or, with Z, naive UTC) cut-off; a bare date includes the whole day."""
    match = _UNTIL.match(value)
    if not match:
        raise RecurrenceError(field, rule, f"UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSS[Z], got {value}")
    year, month, day, hour, minute, second, _ = match.groups()
    try:
        if hour is None:
            return datetime.combine(date(int(year), int(month), int(day)), time.max)
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError as exc:
        raise RecurrenceError(field, rule, f"UNTIL is not a real date-time ({exc})") from None


def validate_rrule(rule: str, field: str = "rrule") -> str:
    """Check a rule where it is entered, so a bad one fails before anything is scheduled from it.

    The "RRULE:" prefix is optional and dropped, keys and values are
    upper-cased, and parts keep their order, so the result is stable enough to
    store and compare.
    """
    parts = _parse(rule, field)
    return ";".join(f"{key}={value}" for key, value in parts.items())


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a series, kept both on the local clock (for people) and in UTC (for the API)."""

    local_start: pendulum.DateTime
    start_utc: pendulum.DateTime
    end_utc: pendulum.DateTime

    @property
    def local_date(self) -> pendulum.Date:
        """The day attendees see in their calendar, which can differ from the UTC date."""
        return self.local_start.date()

    def doors_open_utc(self, minutes: int) -> pendulum.DateTime:
        """Lobbies open a fixed real time before the start, so this is instant arithmetic, not wall-clock."""
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
            raise RecurrenceError("doors_open_minutes", minutes, "expected a whole number of minutes >= 0")
        return self.start_utc.subtract(minutes=minutes)


def localize(naive: datetime, zone: str) -> pendulum.DateTime:
    """A local wall-clock time as an instant in ``zone``, under the module's DST rule.

    The one way in this project to pin a local time: a series' occurrences, a
    standalone event of the events file and duplicate_event's copy all use it,
    so 01:30 on a fall-back night is the same instant wherever it is written.
    pendulum is told to refuse gaps and repeats so the choice is ours.
    """
    fields = (naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second, naive.microsecond)
    try:
        return pendulum.datetime(*fields, tz=zone, raise_on_unknown_times=True)
    except NonExistingTime:
        # pendulum's fold=1 in a gap reads the wall time with the pre-change offset,
        # which lands the gap's length later on the new clock.
        return pendulum.datetime(*fields, tz=zone, fold=1)
    except AmbiguousTime:
        # fold=0 is the first of the two instants, still on the old (daylight) offset.
        return pendulum.datetime(*fields, tz=zone, fold=0)


def _aware(field: str, value: Any) -> pendulum.DateTime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise RecurrenceError(field, value, "expected a time-zone-aware datetime")
    return pendulum.instance(value.astimezone(dt_timezone.utc)).in_tz("UTC")


def _plain_date(field: str, value: Any) -> date:
    # datetime is a date subclass; accepting one would hide which zone its date is in.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise RecurrenceError(field, value, "expected a date (local to the event's time zone)")
    return value


def _shift(moment: datetime, days: int) -> datetime:
    try:
        return moment + timedelta(days=days)
    except OverflowError:
        return datetime.max if days > 0 else datetime.min


def expand(
    rule: str,
    timezone: str,
    start_time: time,
    duration_minutes: int,
    *,
    starts_on: date,
    window_start: datetime,
    window_end: datetime,
    until: date | None = None,
) -> list[Occurrence]:
    """Occurrences of a series that start in ``[window_start, window_end)``, sorted and distinct.

    The series is anchored at ``starts_on`` + ``start_time`` on the local
    clock, because INTERVAL and COUNT count from the anchor: an every-other-
    week rule asked about a window in June must still agree with the weeks
    counted from the series' first day. As in dateutil, the anchor is only an
    occurrence if it matches the rule, and COUNT counts matching occurrences.
    ``until`` (a local date, inclusive) and an UNTIL in the rule both end the
    series; a date-only UNTIL also includes its whole day, a floating UNTIL is
    local wall-clock time and an UNTIL ending in Z is a UTC instant. The
    window is half-open so that consecutive windows never report the same
    occurrence twice.
    """
    parts = _parse(rule, "rrule")
    zone = require_zone("timezone", timezone)
    if not isinstance(start_time, time) or start_time.tzinfo is not None:
        raise RecurrenceError(
            "start_time", start_time, "expected a naive local time; the zone comes from timezone"
        )
    if isinstance(duration_minutes, bool) or not isinstance(duration_minutes, int) or duration_minutes < 1:
        raise RecurrenceError("duration_minutes", duration_minutes, "expected a whole number of minutes >= 1")
    first_day = _plain_date("starts_on", starts_on)
    last_day = _plain_date("until", until) if until is not None else None
    lo_utc = _aware("window_start", window_start)
    hi_utc = _aware("window_end", window_end)
    if hi_utc < lo_utc:
        raise RecurrenceError("window_end", window_end, "window_end is before window_start")

    anchor = datetime.combine(first_day, start_time)
    # dateutil compares naive values, so search a local window one day wider than the
    # UTC one on each side (no UTC offset change reaches a day) and filter exactly below.
    lo_naive = max(anchor, _shift(lo_utc.in_tz(zone).naive(), -1))
    hi_naive = _shift(hi_utc.in_tz(zone).naive(), 1)
    if last_day is not None:
        hi_naive = min(hi_naive, datetime.combine(last_day, time.max))

    until_utc: pendulum.DateTime | None = None
    if "UNTIL" in parts:
        cutoff = _until_value(parts["UNTIL"], rule, "rrule")
        if parts["UNTIL"].endswith("Z"):
            until_utc = pendulum.instance(cutoff, tz="UTC")
            hi_naive = min(hi_naive, _shift(until_utc.in_tz(zone).naive(), 1))
        else:
            hi_naive = min(hi_naive, cutoff)
    if hi_naive < lo_naive:
        return []

    # UNTIL is applied above rather than by dateutil, which insists a Z UNTIL needs an aware DTSTART.
    body = ";".join(f"{key}={value}" for key, value in parts.items() if key != "UNTIL")
    series = rrulestr(body, dtstart=anchor)
    duration = timedelta(minutes=duration_minutes)

    found: dict[pendulum.DateTime, Occurrence] = {}
    for naive in series.between(lo_naive, hi_naive, inc=True):
        local = localize(naive, zone)
        start_utc = local.in_tz("UTC")
        if not lo_utc <= start_utc < hi_utc:
            continue
        if until_utc is not None and start_utc > until_utc:
            continue
        found.setdefault(start_utc, Occurrence(local, start_utc, start_utc + duration))
    return [found[key] for key in sorted(found)]


def occurrence_on(day: date, start_time: time, duration_minutes: int, timezone: str) -> Occurrence:
    """One occurrence on a given local day, under the same DST rule as :func:`expand`.

    Extra dates (RDATE) and moved occurrences are pinned to the zone exactly
    like the rule's own, so a date added by hand behaves like one the rule yields.
    """
    zone = require_zone("timezone", timezone)
    if not isinstance(start_time, time) or start_time.tzinfo is not None:
        raise RecurrenceError(
            "start_time", start_time, "expected a naive local time; the zone comes from timezone"
        )
    if isinstance(duration_minutes, bool) or not isinstance(duration_minutes, int) or duration_minutes < 1:
        raise RecurrenceError("duration_minutes", duration_minutes, "expected a whole number of minutes >= 1")
    local = localize(datetime.combine(_plain_date("day", day), start_time), zone)
    start_utc = local.in_tz("UTC")
    return Occurrence(local, start_utc, start_utc + timedelta(minutes=duration_minutes))
