"""P1 without Prefect: the baseline a user would write by hand, and the floor the flow could reach.

``run_sequential`` makes the same calls as the flow one after another over
plain httpx: its time is the sum of the round trips, so the flow's speed-up
over it shows what concurrency buys once Prefect's overhead is paid.

``run_threads`` makes them with the flow's dependencies (observe, then per
occurrence create -> sessions -> update) on plain threads under the same limit
of 8 in flight, through the same EventsClient. What the flow takes beyond it
is Prefect's; what it takes beyond the bound is the emulator's own round trip
and the shape of the work (two list calls in series, chains that end unevenly).

``invite_threads`` is the same floor for an audience (A4): each occurrence's
event created, then every person invited to it, on plain threads under the
same limit, through the same EventsClient.

``round_trip`` is one call's time with nothing else running: L plus the
emulator's own handling.
"""

from __future__ import annotations

import concurrent.futures
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from kaltura_events.api.events import EventFilter, EventsClient
from kaltura_events.api.ks import ADMIN, KsProvider, build_ks_v2
from kaltura_events.api.validation import MAX_PAGE_SIZE, format_iso
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import PlannedEvent, PlannedSession, horizon, plan


@dataclass(frozen=True)
class SequentialResult:
    seconds: float
    calls: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def run_sequential(
    events_api_url: str,
    admin_secret: str,
    partner_id: int,
    user_id: str,
    series: AllHandsSeries,
    now: datetime,
) -> SequentialResult:
    """Observe (label query, name query), then per occurrence: create, its sessions, one update."""
    ks = build_ks_v2(admin_secret, partner_id, user_id, session_type=ADMIN)
    planned = plan(series, now)
    window = horizon(series, now)
    bounds = {
        "startDateGreaterThanOrEqual": format_iso(window.start),
        "startDateLessOrEqualThan": format_iso(window.end),
    }
    fragment = series.search_fragment()
    calls: dict[str, int] = {}
    with httpx.Client(
        base_url=events_api_url, headers={"Authorization": f"Bearer {ks}"}, timeout=30.0
    ) as http:

        def post(endpoint: str, body: dict[str, Any]) -> Any:
            response = http.post(f"/{endpoint}", json=body)
            response.raise_for_status()
            calls[endpoint] = calls.get(endpoint, 0) + 1
            return response.json()

        def page(event_filter: dict[str, Any]) -> Any:
            return post(
                "events/list",
                {
                    "filter": event_filter,
                    "pager": {"offset": 0, "limit": MAX_PAGE_SIZE},
                    "orderBy": "+createdAt",
                },
            )

        began = time.perf_counter()
        page({"labels": [series.series_label], **bounds})
        if fragment is not None:
            page({"searchTerm": fragment, **bounds})
        for item in planned:
            created = post(
                "events/create",
                {
                    "name": item.name,
                    "templateId": series.create_template_id,
                    "startDate": item.start_iso,
                    "endDate": item.end_iso,
                    "timezone": series.timezone,
                },
            )
            event_id = created["event"]["id"] if "event" in created else created["id"]
            for session in item.sessions:
                post(
                    "sessions/create",
                    {
                        "eventId": event_id,
                        "session": {
                            "name": session.name,
                            "type": session.type,
                            "visibility": session.visibility,
                            "startDate": format_iso(session.start_utc),
                            "endDate": format_iso(session.end_utc),
                        },
                    },
                )
            post(
                "events/update",
                {
                    "id": event_id,
                    "startDate": item.start_iso,
                    "endDate": item.end_iso,
                    "doorsOpenDate": item.doors_open_iso,
                    "labels": list(item.labels),
                },
            )
        seconds = time.perf_counter() - began
    return SequentialResult(seconds=seconds, calls=calls)


def run_threads(
    events_api_url: str,
    admin_secret: str,
    partner_id: int,
    user_id: str,
    series: AllHandsSeries,
    now: datetime,
    concurrency: int,
) -> float:
    """Seconds for P1's calls with the flow's dependencies on plain threads, ``concurrency`` in flight."""
    ks = build_ks_v2(admin_secret, partner_id, user_id, session_type=ADMIN)
    slots = threading.BoundedSemaphore(concurrency)
    window = horizon(series, now)
    fragment = series.search_fragment() or series.name

    def limited(call: Callable[[], Any]) -> Any:
        with slots:
            return call()

    with EventsClient(events_api_url, KsProvider(fixed_ks=ks)) as client:

        def occurrence(item: PlannedEvent) -> None:
            event = limited(
                lambda: client.create_event(
                    name=item.name,
                    template_id=series.create_template_id,
                    start=item.start_utc,
                    end=item.end_utc,
                    timezone=series.timezone,
                )
            )

            def session(s: PlannedSession) -> Any:
                return limited(
                    lambda: client.create_session(
                        event.id, name=s.name, session_type=s.type, start=s.start_utc, end=s.end_utc
                    )
                )

            with concurrent.futures.ThreadPoolExecutor(len(item.sessions) or 1) as sessions:
                for future in [sessions.submit(session, s) for s in item.sessions]:
                    future.result()
            limited(
                lambda: client.update_event(
                    event.id,
                    start=item.start_utc,
                    end=item.end_utc,
                    doors_open=item.doors_open_utc,
                    labels=list(item.labels),
                )
            )

        began = time.perf_counter()
        start, end = window.start, window.end
        client.list_all_events(EventFilter(labels=(series.series_label,), start_gte=start, start_lte=end))
        client.list_all_events(EventFilter(search_term=fragment, start_gte=start, start_lte=end))
        with concurrent.futures.ThreadPoolExecutor(64) as pool:
            for future in [pool.submit(occurrence, item) for item in plan(series, now)]:
                future.result()
        return time.perf_counter() - began


def invite_threads(
    events_api_url: str,
    ks: str,
    series: AllHandsSeries,
    now: datetime,
    people: Sequence[tuple[str, str, str]],
    concurrency: int,
) -> tuple[float, int]:
    """Seconds and calls for A4's writes on plain threads: each planned occurrence's event created,
    then each of ``people`` (email, first name, last name) invited to it, ``concurrency`` in flight.

    No list, session or update call: only what the invites need, so the flow's
    distance from it is Prefect's and the rest of the flow's work, never calls
    this one left out of its bound.
    """
    slots = threading.BoundedSemaphore(concurrency)
    planned = plan(series, now)

    @contextmanager
    def slot() -> Iterator[None]:
        with slots:
            yield

    with EventsClient(events_api_url, KsProvider(fixed_ks=ks), slot=slot) as client:

        def create(item: PlannedEvent) -> int:
            event = client.create_event(
                name=item.name,
                template_id=series.create_template_id,
                start=item.start_utc,
                end=item.end_utc,
                timezone=series.timezone,
            )
            return event.id

        def invite(calls: Sequence[tuple[int, tuple[str, str, str]]]) -> None:
            for event_id, (email, first_name, last_name) in calls:
                client.invite_event_user(event_id, first_name=first_name, last_name=last_name, email=email)

        began = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            event_ids = list(pool.map(create, planned))
            calls = [(event_id, person) for event_id in event_ids for person in people]
            # One thread per slot, each with every concurrency-th invite: no queue between them.
            for _ in pool.map(invite, [calls[i::concurrency] for i in range(concurrency)]):
                pass
        return time.perf_counter() - began, len(event_ids) + len(calls)


def round_trip(events_api_url: str, ks: str, calls: int = 30) -> float:
    """Median seconds of one ``events/list`` page with nothing else in flight."""
    with EventsClient(events_api_url, KsProvider(fixed_ks=ks)) as client:
        times = []
        for _ in range(calls):
            began = time.perf_counter()
            client.list_events_page(limit=1)
            times.append(time.perf_counter() - began)
    return statistics.median(times)
