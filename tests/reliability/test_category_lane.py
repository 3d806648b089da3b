"""Category deletes stay one at a time and deepest first, a page of them per task.

The teardown hands the deletes to tasks 25 at a time, pages one after
another (flows/cleanup.py, tasks/categories.py). These tests hold it to what
the partner's category lock needs: no two deletes in flight, children before
their parents, and a failure that stops the deletes after it instead of
letting them run out of order.
"""

from __future__ import annotations

import itertools

import pytest

from benchmarks.profile import recording_requests
from flows.teardown_events import teardown_events
from kaltura_events.api.api_v3 import ApiV3Client
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorProcess
from tests.reliability.support import categories_of

pytestmark = pytest.mark.reliability


def test_deletes_never_overlap_and_go_deepest_first(
    emu: EmulatorProcess, creds: KalturaCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    original = ApiV3Client.delete_category

    def noting(self: ApiV3Client, category_id: int) -> None:
        order.append(category_id)
        original(self, category_id)

    monkeypatch.setattr(ApiV3Client, "delete_category", noting)
    with recording_requests() as requests:
        state = teardown_events(
            selector={"event_ids": sorted(ids)}, credentials=creds, dry_run=False, return_state=True
        )
    assert state.is_completed(), state.message
    assert categories_of(emu.control.state(), ids) == []
    deletes = sorted((start, end) for start, end, endpoint in requests.calls if endpoint == "category.delete")
    assert len(deletes) == 6 * 7 + 1
    overlaps = [(a, b) for a, b in itertools.pairwise(deletes) if b[0] < a[1]]
    assert overlaps == [], "category deletes overlapped"
    assert len(order) == 6 * 7 + 1, "every delete went through the client the test watches"
    position = {category_id: i for i, category_id in enumerate(order)}
    for category_id, parent_id in parent.items():
        if parent_id in position and category_id in position:
            assert position[category_id] < position[parent_id], "a parent went before its child"
    assert [depth[c] for c in order[:18]] == sorted((depth[c] for c in order[:18]), reverse=True)


def test_a_delete_that_fails_for_good_stops_every_delete_after_it(
    emu: EmulatorProcess, creds: KalturaCredentials
) -> None:
    client = creds.get_events_client()
    ids = {
        client.create_event(
            name=f"Stop {i}",
            template_id="tm0000",
            start=f"2030-05-{i + 1:02d}T10:00:00Z",
            end=f"2030-05-{i + 1:02d}T11:00:00Z",
            timezone="UTC",
        ).id
        for i in range(2)
    }
    emu.control.set_faults([{"endpoint": "category.delete", "kind": "error_before_commit"}])
    impatient = creds.model_copy(update={"max_retries": 0})
    state = teardown_events(
        selector={"event_ids": sorted(ids)}, credentials=impatient, dry_run=False, return_state=True
    )
    assert state.is_failed() and "category.delete" in (state.message or "")
    requests = emu.control.stats()["requests"]["category.delete"]
    assert sum(requests.values()) == 1, "no delete ran after the one that failed"
    assert len(categories_of(emu.control.state(), ids)) == 2 * 7
