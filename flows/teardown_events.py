"""teardown_events: delete events and the categories the platform made for them.

Safe by default: ``dry_run`` is on, and a selection larger than ``max_events``
fails before any delete. Re-running a teardown that died half-way finishes
it; re-running one that finished deletes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from prefect import flow
from pydantic import BaseModel, Field

from flows.cleanup import CleanupOutcome, delete_categories, delete_events, plan_categories
from flows.parameters import ApiInFlight, LockWaitSeconds
from flows.refusals import ends_in_one_line
from flows.reporting import publish
from flows.selection import select_events
from flows.series_lock import DEFAULT_LOCK_WAIT_SECONDS, one_writer, partner_of, series_lock
from kaltura_events.api.errors import InvalidArgumentError, KalturaError
from kaltura_events.api.models import Event
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.selection import EventSelector
from tasks.api_limit import DEFAULT_MAX_IN_FLIGHT, run_api_limit, thread_runner
from tasks.clients import resolve


class TeardownReport(BaseModel):
    dry_run: bool
    selected: list[int]
    deleted_events: list[int] = Field(default_factory=list)
    events_already_gone: list[int] = Field(default_factory=list)
    deleted_categories: list[str] = Field(default_factory=list)
    categories_already_gone: list[str] = Field(default_factory=list)
    left: list[str] = Field(default_factory=list)
    orphans_swept: list[int] = Field(default_factory=list)


class TeardownFailed(KalturaError):
    pass


def run_cleanup(
    credentials: KalturaCredentials | None,
    event_ids: list[int],
    *,
    clean_categories: bool,
    sweep_orphans: bool,
    known: Sequence[Event] = (),
) -> CleanupOutcome:
    """``known``: the events as observed, for the names and series their Prefect events carry."""
    outcome = CleanupOutcome()
    delete_events(credentials, event_ids, outcome, known)
    if clean_categories:
        # Categories of an event whose delete failed stay: the event still uses them.
        targets = set(event_ids) - set(outcome.failed_events)
        plan, orphans = plan_categories(credentials, targets, sweep_orphans=sweep_orphans)
        outcome.orphans_swept = orphans
        delete_categories(credentials, plan, outcome)
    for event_id, message in outcome.failed_events.items():
        outcome.left.append((f"event {event_id}", f"delete failed: {message}"))
    return outcome


@flow(
    name="teardown-events",
    description="Delete events and the categories the platform made for them.",
    task_runner=thread_runner(),
)
@ends_in_one_line
def teardown_events(
    selector: EventSelector,
    credentials: KalturaCredentials | None = None,
    dry_run: Annotated[
        bool, Field(title="Dry run", description="List what would be deleted and delete nothing.")
    ] = True,
    max_events: Annotated[
        int,
        Field(ge=1, le=1000, title="Max events", description="Blast-radius cap; a larger selection fails."),
    ] = 50,
    clean_categories: Annotated[
        bool, Field(title="Clean categories", description="Delete the categories the platform made.")
    ] = True,
    sweep_orphans: Annotated[
        bool,
        Field(
            title="Sweep orphans",
            description="Also remove platform categories of events that no longer exist.",
        ),
    ] = False,
    max_api_in_flight: ApiInFlight = DEFAULT_MAX_IN_FLIGHT,
    lock_wait_seconds: LockWaitSeconds = DEFAULT_LOCK_WAIT_SECONDS,
) -> TeardownReport:
    """Delete events and the categories the platform made for them.

    Prefect takes the parameter descriptions the UI shows from this Args section.

    Args:
        selector: Which events: give exactly one of event ids, a series key, a label or an end date.
        credentials: A saved Kaltura Credentials Block; empty uses the worker's KALTURA_* variables.
        dry_run: List what would be deleted and delete nothing.
        max_events: Blast-radius cap; a larger selection fails before any delete.
        clean_categories: Delete the categories the platform made for the deleted events.
        sweep_orphans: Also remove platform categories of events that no longer exist.
        max_api_in_flight: Most requests in flight from this run (at most that many kaltura-api slots).
        lock_wait_seconds: Deleting a series: while another run writes it, wait this long, then fail.
    """
    credentials = resolve(credentials)
    series = selector.series_key
    locks = [series_lock(partner_of(credentials), series)] if series and not dry_run else []
    with one_writer(locks, wait_seconds=lock_wait_seconds), run_api_limit(max_api_in_flight):
        event_ids, events = select_events(credentials, selector)
        if len(event_ids) > max_events:
            raise InvalidArgumentError(
                "max_events",
                max_events,
                f"the selector matches {len(event_ids)} events; raise max_events to proceed",
            )
        names = {e.id: e.name for e in events}
        if dry_run:
            report = TeardownReport(dry_run=True, selected=event_ids)
            rows = [{"event_id": i, "name": names.get(i, ""), "action": "would delete"} for i in event_ids]
            publish(
                ["teardown", selector.kind, "plan"],
                rows,
                f"Dry run: {len(event_ids)} event(s) would be deleted.",
            )
            return report
        outcome = run_cleanup(
            credentials,
            event_ids,
            clean_categories=clean_categories,
            sweep_orphans=sweep_orphans,
            known=events,
        )
        report = TeardownReport(
            dry_run=False,
            selected=event_ids,
            deleted_events=outcome.deleted_events,
            events_already_gone=outcome.events_already_gone,
            deleted_categories=[name for _, name, _ in outcome.deleted_categories],
            categories_already_gone=[name for _, name, _ in outcome.categories_already_gone],
            left=[f"{what}: {why}" for what, why in outcome.left],
            orphans_swept=outcome.orphans_swept,
        )
        rows = (
            [
                {"kind": "event", "id": i, "name": names.get(i, ""), "result": "deleted"}
                for i in outcome.deleted_events
            ]
            + [
                {"kind": "event", "id": i, "name": "", "result": "already gone"}
                for i in outcome.events_already_gone
            ]
            + [
                {"kind": "category", "id": c, "name": n, "result": "deleted"}
                for c, n, _ in outcome.deleted_categories
            ]
            + [
                {"kind": "category", "id": c, "name": n, "result": "already gone"}
                for c, n, _ in outcome.categories_already_gone
            ]
            + [{"kind": "left", "id": "", "name": what, "result": why} for what, why in outcome.left]
        )
        publish(
            ["teardown", selector.kind],
            rows,
            f"Deleted {len(outcome.deleted_events)} event(s) "
            f"({len(outcome.events_already_gone)} already gone) "
            f"and {len(outcome.deleted_categories)} categor(ies); {len(outcome.left)} left.",
        )
        if outcome.failed_events:
            raise TeardownFailed(
                f"{len(outcome.failed_events)} event delete(s) failed; re-run to finish: {outcome.left}"
            )
        return report
