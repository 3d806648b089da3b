"""The weekly all-hands used across the tests: 52 Monday 10:00 New York occurrences over 364 days."""

from __future__ import annotations

import copy
from typing import Any

_WEEKLY_ALL_HANDS: dict[str, Any] = {
    "key": "all-hands",
    "name": "Company All-Hands {date:%Y-%m-%d}",
    "template_id": "tm0000",
    "timezone": "America/New_York",
    "rrule": "FREQ=WEEKLY;BYDAY=MO",
    "start_time": "10:00",
    "duration_minutes": 60,
    "doors_open_minutes": 15,
    "horizon_days": 364,
    "sessions": [
        {"name": "Keynote", "type": "LiveWebcast", "offset_minutes": 0, "duration_minutes": 30},
        {"name": "Q&A", "type": "MeetingEntry", "offset_minutes": 30, "duration_minutes": 30},
    ],
}


def weekly_all_hands(**overrides: Any) -> dict[str, Any]:
    """A fresh copy, so a test that appends a session does not change the next test's spec."""
    return {**copy.deepcopy(_WEEKLY_ALL_HANDS), **overrides}
