"""What the watcher announces: an event about to start, an event that ended.

Kaltura sends no notification for either, so a scheduled flow
(flows/watch_events.py) lists our events and asks this module which
transitions are due. Pure: the flow keeps the memory of what it already
announced, and decides identity.

A transition is keyed by the time it is about (the start for ``starting``,
the end for ``ended``): an event moved to a new time is a new transition,
announced again when that time comes; an event whose other time moved is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from kaltura_events.api.models import Event

STARTING: Literal["starting"] = "starting"
ENDED: Literal["ended"] = "ended"
Kind = Literal["starting", "ended"]


@dataclass(frozen=True)
class Transition:
    kind: Kind
    event: Event

    @property
    def anchor(self) -> datetime:
        """The event time this transition is about, and part of its identity."""
        return self.event.start_date if self.kind == STARTING else self.event.end_date

    @property
    def forget_after(self) -> datetime:
        """After this the event leaves the list window, so remembering the transition is no longer needed."""
        return self.event.end_date


@dataclass(frozen=True)
class Window:
    """The events worth listing: starting within ``lead`` from now, or ended within ``lookback``."""

    start_lte: datetime
    end_gte: datetime


def watch_window(now: datetime, lead: timedelta, lookback: timedelta) -> Window:
    return Window(start_lte=now + lead, end_gte=now - lookback)


def due_transitions(
    events: Iterable[Event], now: datetime, lead: timedelta, lookback: timedelta
) -> list[Transition]:
    """Each event's one due transition, if any: ``ended`` once its end passed, else ``starting``.

    An event that ended before the watcher first saw it is announced as
    ended only: "starting" for an event already over would set off work
    meant to run before it. One that ended longer than ``lookback`` ago is
    not announced at all; the window keeps the list call narrow.
    """
    due: list[Transition] = []
    for event in events:
        if event.end_date <= now:
            if now - event.end_date <= lookback:
                due.append(Transition(ENDED, event))
        elif event.start_date - lead <= now:
            due.append(Transition(STARTING, event))
    due.sort(key=lambda t: (t.anchor, t.event.id, t.kind))
    return due
