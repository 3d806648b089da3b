"""watch_events: announce what Kaltura does not notify, an event about to start and an event that ended.

list (our labels, a narrow date window, every page in one task) -> due
transitions (pure, kaltura_events/planning/watch.py) -> drop those already
announced -> POST them to the Prefect server and wait for its answer ->
remember them. Deployment triggers in prefect.yaml turn them into runs.

Each transition is announced at most once, twice over:
- its Prefect event id is a uuid5 of the account, the event, the transition
  and the time it is about, so a repeat is the same event to the server;
- a Prefect Variable per watcher remembers the ids it announced, so a run
  hours later, when the server no longer recognises a repeat, does not send
  one. An id is forgotten once its event has left the list window, which
  keeps the Variable small.
The memory advances only after the server accepted the events: a run that
could not deliver them leaves them due for the next run.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Annotated

import pendulum
from prefect import flow
from prefect.logging import get_run_logger
from prefect.variables import Variable
from pydantic import BaseModel, Field

from flows.parameters import ApiInFlight, NowForTesting
from flows.refusals import ends_in_one_line
from flows.reporting import publish
from flows.series_lock import VARIABLE_LOCK_WAIT_SECONDS, one_writer, variable_lock
from kaltura_events.api.events import EventFilter
from kaltura_events.api.validation import format_iso, parse_iso_datetime
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.watch import Transition, due_transitions, watch_window
from kaltura_events.webhooks.notification import EVENT_NAMESPACE
from tasks.announce import Announcement, event_written, post_prefect_events
from tasks.api_limit import DEFAULT_MAX_IN_FLIGHT, run_api_limit
from tasks.clients import resolve
from tasks.events import list_events

DEFAULT_LABELS = ("kev-series:company-all-hands",)
"""The series of the ``schedule-all-hands/weekly`` deployment (deployments/prefect.yaml)."""
VARIABLE_PREFIX = "kaltura-watch-"
MEMORY_LIMIT = 4800
"""Prefect refuses a Variable value over 5,000 characters; about 150 remembered transitions fit."""
_REMEMBERED_HEX = 16


def transition_id(account: str, transition: Transition) -> uuid.UUID:
    """One id per account, event, transition and the time it is about: a moved event is a new one."""
    anchor = format_iso(transition.anchor)
    return uuid.uuid5(
        EVENT_NAMESPACE, f"kaltura-watch:{account}:{transition.event.id}:{transition.kind}:{anchor}"
    )


def account_of(credentials: KalturaCredentials) -> str:
    """The account the ids belong to: the partner, and the API it was reached at."""
    return f"{credentials.partner_id or '-'}@{credentials.resolved_urls()[0]}"


@dataclass
class _Memory:
    """What earlier runs announced (id prefix -> when to forget it) and when the last run looked."""

    variable: str
    announced: dict[str, int] = field(default_factory=dict)
    watermark: datetime | None = None

    @classmethod
    def load(cls, watcher: str) -> _Memory:
        name = variable_name(watcher)
        stored = Variable.get(name, default=None)
        if not isinstance(stored, dict):
            return cls(name)
        announced = {
            str(key): int(value)
            for key, value in (stored.get("announced") or {}).items()
            if isinstance(value, int) and not isinstance(value, bool)
        }
        watermark = None
        if isinstance(stored.get("watermark"), str):
            try:
                watermark = parse_iso_datetime("watermark", stored["watermark"])
            except ValueError:
                watermark = None
        return cls(name, announced, watermark)

    def knows(self, event_id: uuid.UUID) -> bool:
        return event_id.hex[:_REMEMBERED_HEX] in self.announced

    def save(
        self, announced: Sequence[tuple[Transition, uuid.UUID]], now: datetime, lookback: timedelta
    ) -> None:
        marks = {key: until for key, until in self.announced.items() if until >= int(now.timestamp())}
        for transition, event_id in announced:
            marks[event_id.hex[:_REMEMBERED_HEX]] = int((transition.forget_after + lookback).timestamp())
        dropped = 0
        while len(json.dumps(marks)) > MEMORY_LIMIT:
            del marks[min(marks, key=lambda key: marks[key])]
            dropped += 1
        if dropped:
            get_run_logger().warning(
                "Watcher memory full: forgot %d transition(s) ending soonest; a run may announce them again. "
                "Narrow the labels or shorten lookback_hours.",
                dropped,
            )
        Variable.set(self.variable, {"watermark": format_iso(now), "announced": marks}, overwrite=True)


class WatchedRow(BaseModel):
    transition: str
    event_id: int
    name: str
    start: str
    end: str
    prefect_event_id: str


class WatchReport(BaseModel):
    listed: int
    announced: list[WatchedRow] = Field(default_factory=list)
    already_announced: int = 0


def _announcement(transition: Transition, event_id: uuid.UUID) -> Announcement:
    return replace(event_written(transition.kind, transition.event), id=event_id)


@flow(
    name="watch-events",
    description="Announce Kaltura events starting soon and events that ended, once each, as Prefect events.",
)
@ends_in_one_line
def watch_events(
    credentials: KalturaCredentials | None = None,
    labels: Annotated[
        list[str],
        Field(
            min_length=1,
            max_length=20,
            title="Labels",
            description="Watch events carrying any of these labels, e.g. kev-series:company-all-hands.",
        ),
    ] = list(DEFAULT_LABELS),  # noqa: B006
    lead_minutes: Annotated[
        int, Field(ge=0, le=1440, title="Lead (min)", description="Announce 'starting' this long before.")
    ] = 15,
    lookback_hours: Annotated[
        int,
        Field(ge=1, le=168, title="Lookback (h)", description="Catch up on events that ended this recently."),
    ] = 24,
    watcher: Annotated[
        str,
        Field(
            pattern=r"^[a-z0-9_-]{1,60}$",
            title="Watcher name",
            description="Names the Prefect Variable that remembers what was announced; one per deployment.",
        ),
    ] = "default",
    max_api_in_flight: ApiInFlight = DEFAULT_MAX_IN_FLIGHT,
    now: NowForTesting = None,
) -> WatchReport:
    """Announce Kaltura events starting soon (kaltura.event.starting) and ended (kaltura.event.ended).

    Args:
        credentials: A saved Kaltura Credentials Block; empty uses the worker's KALTURA_* variables.
        labels: Watch events carrying any of these labels, e.g. kev-series:company-all-hands.
        lead_minutes: Announce 'starting' this many minutes before an event starts.
        lookback_hours: Catch up on events that ended this recently (a watcher that was down).
        watcher: Names the Prefect Variable that remembers what was announced; one per deployment.
        max_api_in_flight: Most requests in flight from this run (at most that many kaltura-api slots).
        now: Leave empty; overrides the current time (for tests and backfills).
    """
    logger = get_run_logger()
    moment = (now or pendulum.now("UTC")).astimezone(pendulum.UTC)
    lead, lookback = timedelta(minutes=lead_minutes), timedelta(hours=lookback_hours)
    credentials = resolve(credentials)
    # Two watchers at once would both read the memory, both announce, and one save would lose the
    # other's marks: the Variable is read and written under its own lock.
    with one_writer([variable_lock(variable_name(watcher))], wait_seconds=VARIABLE_LOCK_WAIT_SECONDS):
        memory = _Memory.load(watcher)
        if memory.watermark is not None and memory.watermark < moment - lookback:
            logger.warning(
                "The last watch was at %s, longer ago than lookback_hours=%d: events that ended in between "
                "are not announced.",
                format_iso(memory.watermark),
                lookback_hours,
            )
        window = watch_window(moment, lead, lookback)
        with run_api_limit(max_api_in_flight):
            events = list_events(
                credentials=credentials,
                event_filter=EventFilter(
                    labels=tuple(sorted(set(labels))), start_lte=window.start_lte, end_gte=window.end_gte
                ),
            )
        account = account_of(credentials)
        due = [(t, transition_id(account, t)) for t in due_transitions(events, moment, lead, lookback)]
        fresh = [(t, event_id) for t, event_id in due if not memory.knows(event_id)]
        post_prefect_events([_announcement(t, event_id) for t, event_id in fresh])
        memory.save(fresh, moment, lookback)
    report = WatchReport(listed=len(events), already_announced=len(due) - len(fresh))
    report.announced = [_row(t, event_id) for t, event_id in fresh]
    publish(
        ["watch-events", watcher],
        [row.model_dump() for row in report.announced],
        f"{len(fresh)} announced, {report.already_announced} announced before; {len(events)} events listed.",
    )
    return report


def _row(transition: Transition, event_id: uuid.UUID) -> WatchedRow:
    event = transition.event
    return WatchedRow(
        transition=transition.kind,
        event_id=event.id,
        name=event.name,
        start=format_iso(event.start_date),
        end=format_iso(event.end_date),
        prefect_event_id=str(event_id),
    )


def variable_name(watcher: str) -> str:
    """The Variable a watcher keeps its memory in (tests and operators reset it by deleting it)."""
    return VARIABLE_PREFIX + watcher
