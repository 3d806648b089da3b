"""Which events a run is about: exactly one of ids, a series key, a label or an end date.

Teardown and the attendance report choose events the same way, so a series
torn down and a series reported on are the same events.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.fields import EventId, Label

SelectorKind = Literal["event_ids", "series_key", "label", "ended_before"]
SELECTOR_KINDS: tuple[SelectorKind, ...] = ("event_ids", "series_key", "label", "ended_before")


class EventSelector(BaseModel):
    """Exactly one way of choosing events; anything else is refused before any call.

    ``by`` is the UI's dropdown of kinds; left empty it is read off the one
    field given, so a selector sent as JSON from CI needs only that field.
    """

    model_config = ConfigDict(extra="forbid")

    by: SelectorKind | None = Field(
        default=None,
        title="Select events by",
        description="Which field below chooses the events; fill in that field only.",
    )
    event_ids: list[EventId] | None = Field(
        default=None,
        title="Event ids",
        max_length=1000,
        description="These events exactly; ids already deleted are reported as gone.",
    )
    series_key: str | None = Field(
        default=None,
        title="Series key",
        pattern=r"^[a-z0-9][a-z0-9._-]{1,47}$",
        description="All events of a series.",
    )
    label: Label | None = Field(default=None, title="Label", description="Events carrying this label.")
    ended_before: date | None = Field(
        default=None, title="Ended before", description="Events whose end date is before this date (UTC)."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> EventSelector:
        given = [k for k in SELECTOR_KINDS if getattr(self, k) not in (None, [])]
        if len(given) != 1 or (self.by is not None and given != [self.by]):
            chosen = f"by={self.by}, " if self.by else ""
            raise InvalidArgumentError(
                "selector",
                f"{chosen}given={given or 'nothing'}",
                "fill in exactly one of event_ids, series_key, label or ended_before; by, if set, names it",
            )
        return self

    @property
    def kind(self) -> SelectorKind:
        if self.by is not None:
            return self.by
        return next(k for k in SELECTOR_KINDS if getattr(self, k) not in (None, []))


def ended_before_bound(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)
