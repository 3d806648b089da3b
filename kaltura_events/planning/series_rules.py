"""The exceptions to a series' rule: skipped dates, public holidays, extra dates, one-off changes.

The order is RFC 5545's: the rule's dates (RRULE) minus skipped dates
(EXDATE) and public holidays, plus extra dates (RDATE), and each
occurrence's override applied last. Every date here is a LOCAL date in the
series' zone, the day people see in their calendar. An extra date is kept
even on a holiday: it was asked for by name, a holiday only by country.

Each occurrence is known by its original local date (the date the rule or
the extra dates gave it), so an override that moves or renames it changes
that same occurrence instead of making a new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Annotated, Any

import holidays as holiday_calendars
import pendulum
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.fields import EventName
from kaltura_events.planning.recurrence import Occurrence, occurrence_on

MAX_SKIP_DATES = 400
MAX_EXTRA_DATES = 100
MAX_OVERRIDES = 100
_WALL_CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


@cache
def country_codes() -> tuple[str, ...]:
    """ISO 3166-1 alpha-2 codes the ``holidays`` library knows (its alpha-3 aliases are left out)."""
    return tuple(sorted(code for code in holiday_calendars.list_supported_countries() if len(code) == 2))


def wall_clock_schema(schema: dict[str, Any]) -> None:
    """Publish a wall-clock time as HH:MM[:SS] instead of JSON Schema's ``format: time``.

    That format requires a UTC offset, which a wall-clock time must not have, so
    the Prefect UI refused every start time (the default 10:00 included).
    Validation is pydantic's, unchanged. An optional time's string branch is changed alike.
    """
    for variant in schema.get("anyOf", [schema]):
        if variant.get("type") == "string":
            variant.pop("format", None)
            variant["pattern"] = _WALL_CLOCK_TIME


def require_wall_clock(field: str, value: dt.time) -> dt.time:
    """A local start time is read in the series' (or encore's) zone: an offset would contradict it."""
    if value.tzinfo is not None:
        raise InvalidArgumentError(field, value.isoformat(), "a local wall-clock time has no offset")
    return value


Country = Annotated[str, WithJsonSchema({"type": "string", "enum": list(country_codes())})]


class HolidayCalendar(BaseModel):
    """Whose public holidays the series skips."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    country: Country = Field(
        title="Country", description="ISO 3166 code whose public holidays are skipped, e.g. US or GB."
    )
    subdivision: str | None = Field(
        default=None,
        title="Subdivision",
        description="State or region code within the country, e.g. CA for California; empty: national only.",
    )
    observed: bool = Field(
        default=True,
        title="Skip observed days",
        description="Also skip the weekday a weekend holiday is observed on (e.g. Monday 5 July).",
    )

    @field_validator("country", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _known(self) -> HolidayCalendar:
        if self.country not in country_codes():
            raise InvalidArgumentError(
                "holidays.country", self.country, "not a country the holidays library knows, such as US or GB"
            )
        if self.subdivision is not None:
            known = holiday_calendars.list_supported_countries()[self.country]
            if self.subdivision not in known:
                raise InvalidArgumentError(
                    "holidays.subdivision",
                    self.subdivision,
                    f"not a subdivision of {self.country} (known: {', '.join(known[:8])}...)"
                    if known
                    else f"{self.country} has no subdivisions",
                )
        return self

    def dates(self, years: Iterable[int]) -> dict[date, str]:
        """The holidays of those years, date -> name (names explain a skip in a report)."""
        calendar = holiday_calendars.country_holidays(
            self.country, subdiv=self.subdivision, years=sorted(set(years)), observed=self.observed
        )
        return dict(calendar.items())


class OccurrenceOverride(BaseModel):
    """One occurrence changed, not the whole series: found by the date it originally had."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    original_date: dt.date = Field(
        title="Occurrence (original date)",
        description="The local date the rule or extra_dates gives this occurrence, e.g. 2027-03-15.",
    )
    date: dt.date | None = Field(
        default=None, title="Move to date", description="New local date; empty keeps the original date."
    )
    start_time: dt.time | None = Field(
        default=None,
        title="Move to time",
        description="New local start time, e.g. 14:00; empty keeps the series' time.",
        json_schema_extra=wall_clock_schema,
    )
    duration_minutes: int | None = Field(
        default=None, ge=5, le=1440, title="Duration (min)", description="Empty keeps the series' duration."
    )
    name: EventName | None = Field(
        default=None,
        title="Name",
        description="Name pattern for this occurrence only; may use {date} and {key}.",
    )
    description: str | None = Field(
        default=None, max_length=4000, title="Description", description="For this occurrence only."
    )
    cancelled: bool = Field(
        default=False,
        title="Cancelled",
        description="This occurrence does not happen (its event is pruned with prune, reported otherwise).",
    )

    @field_validator("start_time")
    @classmethod
    def _naive(cls, value: dt.time | None) -> dt.time | None:
        return None if value is None else require_wall_clock("overrides.start_time", value)

    @model_validator(mode="after")
    def _meaningful(self) -> OccurrenceOverride:
        changes = [
            n for n in ("date", "start_time", "duration_minutes", "name", "description") if getattr(self, n)
        ]
        if self.cancelled and changes:
            raise InvalidArgumentError(
                "overrides.cancelled",
                self.original_date.isoformat(),
                f"a cancelled occurrence cannot also change {', '.join(changes)}",
            )
        if not self.cancelled and not changes and self.description is None:
            raise InvalidArgumentError(
                "overrides", self.original_date.isoformat(), "the override changes nothing"
            )
        return self


def overrides_by_date(value: Any) -> Any:
    """Accept ``{"2027-03-15": {...}}`` as well as a list: YAML files read better keyed by date."""
    if not isinstance(value, dict):
        return value
    listed: list[Any] = []
    for key, body in value.items():
        if not isinstance(body, dict):
            listed.append(body)  # pydantic then says the override is not an object
            continue
        if "original_date" in body and str(body["original_date"]) != str(key):
            raise InvalidArgumentError(
                "overrides.original_date", body["original_date"], f"differs from its key {key}"
            )
        listed.append({**body, "original_date": key})
    return listed


def check_exceptions(
    skip_dates: list[date], extra_dates: list[date], overrides: list[OccurrenceOverride]
) -> None:
    """Contradictions among the exceptions, refused before anything is planned or written."""
    both = sorted(set(skip_dates) & set(extra_dates))
    if both:
        raise InvalidArgumentError(
            "extra_dates", both[0].isoformat(), "is also in skip_dates; a date is either added or skipped"
        )
    seen: set[date] = set()
    for index, override in enumerate(overrides):
        if override.original_date in seen:
            raise InvalidArgumentError(
                f"overrides[{index}].original_date",
                override.original_date.isoformat(),
                "has two overrides; merge them into one",
            )
        seen.add(override.original_date)
        if override.original_date in skip_dates:
            raise InvalidArgumentError(
                f"overrides[{index}].original_date",
                override.original_date.isoformat(),
                "is in skip_dates; a skipped occurrence cannot be changed (drop one of the two)",
            )


def search_margin(overrides: list[OccurrenceOverride]) -> timedelta:
    """How far beyond the horizon an occurrence can start and still be moved into it."""
    moves = [abs((o.date - o.original_date).days) for o in overrides if o.date is not None]
    return timedelta(days=max(moves, default=0) + 2) if overrides else timedelta(0)


def holidays_between(calendar: HolidayCalendar | None, first: date, last: date) -> dict[date, str]:
    if calendar is None:
        return {}
    return {d: n for d, n in calendar.dates(range(first.year, last.year + 1)).items() if first <= d <= last}


def extra_occurrences(
    extra_dates: list[date], start_time: time, duration_minutes: int, zone: str, known: set[date]
) -> dict[date, Occurrence]:
    """RDATEs at the series' own start time; a date the rule already yields is the same occurrence."""
    return {
        day: occurrence_on(day, start_time, duration_minutes, zone) for day in extra_dates if day not in known
    }


def local_day_range(start_utc: datetime, end_utc: datetime, zone: str) -> tuple[date, date]:
    return (
        pendulum.instance(start_utc).in_timezone(zone).date(),
        pendulum.instance(end_utc).in_timezone(zone).date(),
    )
