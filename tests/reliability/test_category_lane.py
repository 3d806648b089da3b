"""Category deletes stay one at a time and deepest first, though their tasks now overlap.

tasks/lanes.py lets the teardown submit a few delete tasks ahead so their
Prefect bookkeeping overlaps the delete in flight (P3 went from 1.20 to about
1.12 times its bound). These tests hold it to what the partner's category
lock needs: no two deletes in flight, children before their parents, and a
failure that stops the deletes after it instead of letting them run out of order.
"""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from benchmarks.profile import recording_requests
from flows.teardown_events import teardown_events
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorProcess
from tasks.lanes import Lane, LaneClosed, close_lane, lane_turn, open_lane
from tests.reliability.support import categories_of

pytestmark = pytest.mark.reliability


def test_deletes_never_overlap_and_go_deepest_first(emu: EmulatorProcess, creds: KalturaCredentials) -> None:
    client = creds.get_events_client()
    ids = {
        client.create_event(
            name=f"Lane {i}",
            template_id="tm0000",
            start=f"2030-04-{i + 1:02d}T10:00:00Z",
            end=f"2030-04-{i + 1:02d}T11:00:00Z",
            timezone="UTC",
        ).id
        for i in range(6)
    }
    depth = {c["id"]: c["depth"] for c in emu.control.state()["categories"]}
    parent = {c["id"]: c["parentId"] for c in emu.control.state()["categories"]}
    emu.control.set_faults([], latency_ms=15)
    order: list[int] = []
    with recording_requests() as requests:
        original = creds.get_api_v3_client().delete_category

        def noting(category_id: int) -> None:
            order.append(category_id)
            original(category_id)

        creds.get_api_v3_client().delete_category = noting  # type: ignore[method-assign]
        try:
            state = teardown_events(
                selector={"event_ids": sorted(ids)}, credentials=creds, dry_run=False, return_state=True
            )
        finally:
            del creds.get_api_v3_client().delete_category
    assert state.is_completed(), state.message
    assert categories_of(emu.control.state(), ids) == []
    deletes = sorted((start, end) for start, end, endpoint in requests.calls if endpoint == "category.delete")
    assert len(deletes) == 6 * 7 + 1
    overlaps = [(a, b) for a, b in itertools.pairwise(deletes) if b[0] < a[1]]
    assert overlaps == [], "category deletes overlapped"
    position = {category_id: i for i, category_id in enumerate(order)}
    for category_id, parent_id in parent.items():
        if parent_id in position and category_id in position:
            assert position[category_id] < position[parent_id], "a parent went before its child"
    assert [depth[c] for c in order[:18]] == sorted((depth[c] for c in order[:18]), reverse=True)


def test_a_lane_runs_turns_in_order_and_a_closed_lane_wakes_its_waiters() -> None:
    key = open_lane()
    ran: list[int] = []
    errors: list[BaseException] = []

    def worker(turn: int) -> None:
        try:
            with lane_turn(key, turn):
                ran.append(turn)
                time.sleep(0.005)
        except LaneClosed as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(turn,)) for turn in (3, 1, 2, 0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert ran == [0, 1, 2, 3] and errors == []

    waiter = threading.Thread(target=worker, args=(9,))
    waiter.start()
    time.sleep(0.05)
    close_lane(key, "stopped")
    waiter.join(5)
    assert not waiter.is_alive() and len(errors) == 1 and ran == [0, 1, 2, 3]


def test_a_failed_call_closes_the_lane_so_nothing_after_it_runs() -> None:
    lane = Lane()
    lane.wait(0)
    lane.close("call 0 failed: ServerError")
    with pytest.raises(LaneClosed, match="call 0 failed"):
        lane.wait(1)
