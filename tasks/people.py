"""Event-user tasks: invite, update and remove people, a page of calls to one endpoint for one event each.

An audience of 2,000 over 12 occurrences is 24,000 invites; a task run costs
the flow about 6.7 ms of CPU and the server about 14 ms (BENCHMARKS.md, P1),
more than the calls themselves at that count. So one task makes up to
``people_per_task`` calls, one after another, each with the client's own
retries (and, for an invite whose answer was lost, its look-up by email), and
returns every call's outcome; the tasks of an event run at once under the
run's API limit. A refused KS ends the task at once: no later call can pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from prefect.logging import get_run_logger

from kaltura_events.api.errors import AuthenticationError, KalturaError
from kaltura_events.api.models import EventUser
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.audience import UserUpdate, WantedUser
from tasks.announce import announce, audience_changed
from tasks.api_task import api_task
from tasks.clients import events_client

PEOPLE_PER_TASK = 25
"""Calls per task: 1,000 invites to an event are 40 task runs, enough to keep 8 requests in flight."""
TASKS_PER_EVENT = 200
"""Past 5,000 people, pages grow instead: 50,000 invites in pages of 25 were 2,000 task runs per event,
whose Prefect bookkeeping (about 20 ms of CPU each, flow and server) outweighed 10 ms calls."""


def people_per_task(count: int) -> int:
    """The page size for ``count`` calls to one event: 25, or enough that they make 200 task runs."""
    return max(PEOPLE_PER_TASK, math.ceil(count / TASKS_PER_EVENT))


@dataclass(frozen=True, slots=True)
class PersonOutcome:
    """What one call did for one person: the user id it left, or why it failed."""

    email: str
    user_id: str | None
    error: str | None = None


def people_named(people: Sequence[Any]) -> str:
    """A page of people as a run name shows them: the first and last email, and how many."""
    if not people:
        return "nobody"
    first, last = people[0].email, people[-1].email
    return first if len(people) == 1 else f"{len(people)} people, {first} .. {last}"


def _each(event_id: int, people: Sequence[tuple[str, Callable[[], str]]], verb: str) -> list[PersonOutcome]:
    """Every call, then one ``kaltura.audience.changed`` with the page's counts if any call succeeded.

    A refused KS raises before the event: the calls made so far still
    happened, but the run fails and its re-run observes and announces anew.
    """
    outcomes: list[PersonOutcome] = []
    for email, call in people:
        try:
            outcomes.append(PersonOutcome(email, call()))
        except AuthenticationError:
            raise
        except KalturaError as exc:
            outcomes.append(PersonOutcome(email, None, str(exc)))
    failed = [o for o in outcomes if o.error]
    if len(failed) < len(outcomes):
        announce(audience_changed(event_id, **{verb: len(outcomes) - len(failed)}, failed=len(failed)))
    if failed:
        get_run_logger().warning(
            "%d of %d not %s: %s",
            len(failed),
            len(outcomes),
            verb,
            "; ".join(f"{o.email}: {o.error}" for o in failed),
        )
    return outcomes


@api_task(
    "invite-event-users",
    endpoint="event-users/invite",
    description="Invite a page of people to one event, one call each; a lost answer is "
    "looked up by email before the invite is repeated.",
    run_name=lambda p: f"event {p['event_id']}: {people_named(p['people'])}",
)
def invite_event_users(
    *,
    credentials: KalturaCredentials | None,
    event_id: int,
    people: tuple[WantedUser, ...],
    send_invitations: bool,
) -> list[PersonOutcome]:
    client = events_client(credentials)

    def invite(person: WantedUser) -> str:
        return client.invite_event_user(
            event_id,
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
            roles=tuple(sorted(person.roles)),
            title=person.title or None,
            company=person.company or None,
            skip_email=not (send_invitations and person.listed),
        ).id

    return _each(event_id, [(p.email, partial(invite, p)) for p in people], "invited")


@api_task(
    "update-event-users",
    endpoint="event-users/update",
    description="Change roles, names, title or company of a page of users of one event, one call each.",
    run_name=lambda p: f"event {p['event_id']}: {people_named(p['updates'])}",
)
def update_event_users(
    *, credentials: KalturaCredentials | None, event_id: int, updates: tuple[UserUpdate, ...]
) -> list[PersonOutcome]:
    client = events_client(credentials)

    def update(change: UserUpdate) -> str:
        return client.update_event_user(
            event_id,
            change.user_id,
            roles=change.roles,
            first_name=change.first_name,
            last_name=change.last_name,
            title=change.title,
            company=change.company,
        ).id

    return _each(event_id, [(u.email, partial(update, u)) for u in updates], "updated")


@api_task(
    "remove-event-users",
    endpoint="event-users/delete",
    description="Remove a page of attendees the audience no longer lists from one event, one call each.",
    run_name=lambda p: f"event {p['event_id']}: {people_named(p['users'])}",
)
def remove_event_users(
    *, credentials: KalturaCredentials | None, event_id: int, users: tuple[EventUser, ...]
) -> list[PersonOutcome]:
    client = events_client(credentials)

    def remove(user: EventUser) -> str:
        client.delete_event_user(event_id, user.id)
        return user.id

    return _each(event_id, [(u.email, partial(remove, u)) for u in users], "removed")
