"""Which of an occurrence's duplicate events stays, and which events a run may delete at all.

Pure. The flow reads, for each event in question, what people did on it that
the plan did not do (:class:`Occupancy`), and hands it here. The rules:

- An occurrence claimed by several events keeps the one people used most
  (registrations beyond the plan plus attendance), else the oldest (lowest
  id). The others are deleted only when none of them holds anyone beyond the
  plan or any attendance; otherwise nothing is deleted, the occurrence is
  refused, and a person decides which event stays.
- A prune (an event the plan no longer holds) is refused for an event that
  holds anyone beyond the plan or any attendance: only a person deletes what
  people registered to.

"Beyond the plan" because a run invites the audience and the speakers itself:
an extra event made by an overlapping run holds them too, and deleting it
loses nothing the next run does not put back on the kept one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kaltura_events.api.models import Event, EventUser
from kaltura_events.planning.people import email_key
from kaltura_events.planning.series_diff import Duplicate
from kaltura_events.planning.series_plan import PlannedEvent

HOW_TO_DELETE = "by hand in Kaltura, or with the teardown_events flow (selector.event_ids)"


@dataclass(frozen=True)
class Occupancy:
    """What people did on one event that the plan did not do."""

    registered: int = 0
    """Event users whose email is not among the plan's audience and speakers."""
    attended: int = 0
    """User Profile profiles of the event with an attended status, planned people or not."""

    @property
    def people(self) -> int:
        return self.registered + self.attended

    @property
    def empty(self) -> bool:
        return self.people == 0

    def describe(self) -> str:
        if self.empty:
            return "nobody beyond the plan"
        return f"{self.registered} registered beyond the plan, {self.attended} attended"


def occupancy_of(users: Iterable[EventUser], planned_emails: Collection[str], attended: int) -> Occupancy:
    """``planned_emails`` are lowercased (:func:`email_key`): the people the plan itself invites."""
    beyond = {email_key(u.email) for u in users} - set(planned_emails)
    return Occupancy(registered=len(beyond), attended=attended)


@dataclass(frozen=True)
class Repair:
    """What apply does about one duplicated occurrence: keep one event, delete the rest or refuse."""

    item: PlannedEvent
    keep: Event
    others: tuple[Event, ...]
    occupancy: Mapping[int, Occupancy]

    @property
    def refused(self) -> bool:
        """Another event holds people: deleting it would lose what they did, so a person decides."""
        return any(not self.occupancy[e.id].empty for e in self.others)

    @property
    def delete(self) -> tuple[Event, ...]:
        return () if self.refused else self.others

    def _each(self) -> str:
        return "; ".join(
            f"event {e.id}: {self.occupancy[e.id].describe()}" for e in (self.keep, *self.others)
        )

    def note(self) -> str:
        """For the plan row and the failure: which ids, how many people on each, and what happens."""
        others = ", ".join(str(e.id) for e in self.others)
        if not self.refused:
            return f"{self._each()}. Apply keeps {self.keep.id} and deletes {others}."
        return (
            f"{self._each()}. Apply deletes none of them: an event other than {self.keep.id} holds people. "
            f"Decide which event stays, tell the people on the others, and delete those {HOW_TO_DELETE}; "
            "the next run converges the one left."
        )


def decide(duplicate: Duplicate, occupancy: Mapping[int, Occupancy]) -> Repair:
    """The event people used most stays; on a tie, the oldest (lowest id). ``occupancy`` covers every id."""
    keep = min(duplicate.events, key=lambda e: (-occupancy[e.id].people, e.id))
    others = tuple(e for e in duplicate.events if e.id != keep.id)
    return Repair(duplicate.item, keep, others, {e.id: occupancy[e.id] for e in duplicate.events})


def split_prune(
    events: Sequence[Event], occupancy: Mapping[int, Occupancy]
) -> tuple[list[Event], list[Event]]:
    """Events the plan no longer holds: those a run may delete, and those only a person may."""
    free = [e for e in events if occupancy[e.id].empty]
    held = [e for e in events if not occupancy[e.id].empty]
    return free, held
