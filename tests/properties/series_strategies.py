"""Series as people write them, generated: names that repeat, exceptions that collide, zones with DST.

Every drawn spec is valid (the model and the planner accept it); the
strategies aim at what once broke: one name for every occurrence, ``{date}``
formats that repeat (weekday, month, year), extra dates named like a rule
date, an override that moves one occurrence onto another's day (and so its
name), skipped dates, and local times near DST changes.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from pydantic import ValidationError

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.models import Event
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import PlannedEvent, plan

NAMES = (
    "Weekly Team Sync",
    "Stand-up {date:%A}",
    "Town Hall {date:%B}",
    "All-hands {date:%Y}",
    "Review {date:%B %Y}",
    "{key} {date:%a}",
)
RULES = (
    "FREQ=WEEKLY;BYDAY=MO",
    "FREQ=DAILY",
    "FREQ=WEEKLY;BYDAY=TU,TH",
    "FREQ=MONTHLY;BYDAY=1TU",
    "FREQ=DAILY;INTERVAL=3",
)
ZONES = ("America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC")
START_TIMES = (time(2, 30), time(10, 0), time(0, 15), time(23, 30))
"""02:30 does not exist on a spring-forward night in New York and Berlin; 00:15 and 23:30 sit at day edges."""
MOMENTS = (
    datetime(2026, 3, 1, 12, tzinfo=timezone.utc),
    datetime(2026, 10, 20, 12, tzinfo=timezone.utc),
    datetime(2026, 3, 30, 5, tzinfo=timezone.utc),
)
"""Before the American and European spring changes, before the autumn ones, and Sydney's April change."""


def valid(spec: dict[str, Any], now: datetime) -> bool:
    try:
        plan(AllHandsSeries.model_validate(spec), now)
    except (InvalidArgumentError, ValidationError):
        return False
    return True


@st.composite
def series_specs(draw: st.DrawFn, key: str = "prop") -> tuple[dict[str, Any], datetime]:
    """A valid series spec (as a deployment sends it) and the moment it is planned at."""
    now = draw(st.sampled_from(MOMENTS))
    spec: dict[str, Any] = {
        "key": key,
        "name": draw(st.sampled_from(NAMES)),
        "template_id": "tm0000",
        "timezone": draw(st.sampled_from(ZONES)),
        "rrule": draw(st.sampled_from(RULES)),
        "start_time": draw(st.sampled_from(START_TIMES)).isoformat(),
        "duration_minutes": 30,
        "doors_open_minutes": draw(st.sampled_from((0, 15))),
        "horizon_days": draw(st.integers(min_value=5, max_value=45)),
        "sessions": draw(
            st.sampled_from(([], [{"name": "Main", "type": "LiveWebcast", "duration_minutes": 30}]))
        ),
    }
    assume(valid(spec, now))
    rule_dates = [p.original_date for p in plan(AllHandsSeries.model_validate(spec), now)]
    first, last = now.date(), now.date() + timedelta(days=spec["horizon_days"] - 1)
    skips = draw(st.lists(st.sampled_from(rule_dates), max_size=2, unique=True))
    kept = [d for d in rule_dates if d not in skips]
    assume(kept)
    free_days = [first + timedelta(days=i) for i in range((last - first).days)]
    free_days = [d for d in free_days if d not in rule_dates]
    extras = draw(st.lists(st.sampled_from(free_days), max_size=2, unique=True)) if free_days else []
    spec["skip_dates"] = [d.isoformat() for d in skips]
    spec["extra_dates"] = [d.isoformat() for d in extras]
    if len(kept) >= 2 and draw(st.booleans()):
        moved, onto = draw(st.permutations(kept))[:2]
        spec["overrides"] = [
            {"original_date": moved.isoformat(), "date": onto.isoformat(), "start_time": "16:45"}
        ]
    assume(valid(spec, now))
    return spec, now


def occurrence_dates(spec: dict[str, Any], now: datetime) -> list[date]:
    return [p.original_date for p in plan(AllHandsSeries.model_validate(spec), now)]


def observed_event(
    event_id: int, item: PlannedEvent, *, labels: list[str], shift: timedelta = timedelta()
) -> Event:
    """The event Kaltura would list for ``item``, with these labels, moved by ``shift``."""
    return Event(
        id=event_id,
        name=item.name,
        start_date=item.start_utc + shift,
        end_date=item.end_utc + shift,
        labels=labels,
        doors_open_date=item.doors_open_utc + shift,
        description=item.description,
    )
