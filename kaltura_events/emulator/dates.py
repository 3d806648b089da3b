"""Dates on the wire: what the platform reads, and the one form it writes.

KALTURA_EVENTS_PLATFORM_API.md §11 says only "Dates must be ISO 8601"; the spec's
examples use ``2025-05-01T14:00:00Z`` and ``2025-05-01 14:00:00+00:00`` and the
guides ``2025-05-01T14:00:00.000Z``. So any ISO 8601 date or date-time is read;
one without an offset is read as UTC, since no source says it is refused
(the platform's own zone for it is not documented).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

_ISO_8601 = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"([T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?)?"
    r"(Z|z|[+-]\d{2}(:?\d{2})?)?$"
)


def read_iso_8601(text: str) -> datetime | None:
    """The instant ``text`` names, in UTC; None when it is not an ISO 8601 date or date-time."""
    candidate = text.strip()
    if not _ISO_8601.match(candidate):
        return None
    candidate = candidate.replace(",", ".")
    if candidate[-1] in "Zz":
        candidate = candidate[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def write_iso(moment: datetime) -> str:
    """The guides' form, ``2025-05-01T14:00:00.000Z``."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def within(moment: datetime, low: datetime | None, high: datetime | None) -> bool:
    """``low <= moment <= high``, a bound may be absent: the ``...GreaterThanOrEqual`` and
    ``...LessThanOrEqual`` filter pairs.

    ``moment`` is compared as it is written (to the millisecond): a client
    that passes back the ``createdAt`` it was shown must find that record.
    """
    shown = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return (low is None or shown >= low) and (high is None or shown <= high)
