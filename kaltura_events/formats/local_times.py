"""A moment as ISO 8601 text on an event's clock, for files of 600,000 times.

``occurrence.local(moment).isoformat(timespec="milliseconds")`` asks the
zone for its offset twice a time, about 2.6 µs, which was a fifth of writing
an attendance report. The offset changes at most once a minute, so it is
looked up once a minute seen and the text laid out from the minute's; a
minute the zone changes its offset in, an offset with seconds (old local mean
times), a time without a zone or beyond the calendar takes the plain path.
Either way the text is the plain path's, character for character.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kaltura_events.planning.attendance import Occurrence

_LAST_INSTANT = timedelta(seconds=59, microseconds=999_999)
_MINUTE = timedelta(minutes=1)
_SECONDS = [f"{second:02d}." for second in range(60)]
_MILLISECONDS = [f"{millisecond:03d}" for millisecond in range(1000)]
_MINUTES_KEPT = 100_000
"""A bound on the minutes remembered: one a profile at most, about 200 bytes each."""

Minute = tuple[str, str] | None
"""``2027-03-04T10:15:`` and ``-05:00``: the text of a minute on the clock around its seconds, or None
when the minute takes the plain path."""


class LocalTimes:
    """One occurrence's clock, for the texts of one file."""

    def __init__(self, occurrence: Occurrence) -> None:
        self._occurrence = occurrence
        self._zone = occurrence.zone
        self._minutes: dict[tuple[int, int, int, int, int], Minute] = {}

    def text(self, moment: datetime | None) -> str:
        """``2027-03-04T10:15:30.250-05:00``; empty for no moment. The minute is keyed by its fields:
        ``datetime.replace`` took longer than the lookup it saves."""
        if moment is None:
            return ""
        utc = moment
        if moment.tzinfo is not timezone.utc:
            if moment.utcoffset() is None:
                return self._plain(moment)
            utc = moment.astimezone(timezone.utc)
        key = (utc.year, utc.month, utc.day, utc.hour, utc.minute)
        try:
            known = self._minutes[key]
        except KeyError:
            if len(self._minutes) >= _MINUTES_KEPT:
                self._minutes.clear()
            known = self._minutes[key] = self._minute(datetime(*key, tzinfo=timezone.utc))
        if known is None:
            return self._plain(moment)
        return known[0] + _SECONDS[utc.second] + _MILLISECONDS[utc.microsecond // 1000] + known[1]

    def _plain(self, moment: datetime) -> str:
        return self._occurrence.local(moment).isoformat(timespec="milliseconds")

    def _minute(self, minute: datetime) -> Minute:
        try:
            first = minute.astimezone(self._zone)
            last = (minute + _LAST_INSTANT).astimezone(self._zone)
        except (OverflowError, ValueError):
            return None
        offset = first.utcoffset()
        if offset is None or offset != last.utcoffset() or offset % _MINUTE:
            return None
        text = first.isoformat(timespec="milliseconds")
        return text[:17], text[23:]
