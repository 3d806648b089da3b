"""Teardown precision: only the deleted events' own categories go; look-alikes beside them stay.

Events 10 to 14 exist with the categories the platform makes. Sentinels are
added that differ from event 12's and 14's names by a digit, a prefix, a
suffix, a level or a non-hex character (ep_private_123 beside event 12,
123EPab beside 12EPab, ep_media_event_120 under ep_media_account). Tearing
down 12 and 14 must remove everything of theirs and nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest

from flows.teardown_events import teardown_events
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorProcess
from tests.reliability.support import categories_of, category_owner

pytestmark = pytest.mark.reliability

SENTINELS = (
    "ep_private_123",
    "123EPab",
    "123EPab>Sessions",
    "ep_media_account>ep_media_event_120",
    "ep_agenda_120",
    "ep_agenda_1",
    "ep_private_012",
    "ep_private_12_archive",
    "xep_private_12",
    "Archive>ep_private_12",
    "Archive>12EPab",
    "ep_media_event_12",
    "Archive>ep_media_event_12",
    "12EPzz",
    "12EP",
    "12ep_ab",
    "142EPab",
    "14EPab_old",
)
EXTRA_OF_12 = ("12EPab", "12EPab>Sessions", "12EPab>Sessions>Recordings")
"""Named exactly as the platform names event 12's roots, so they are event 12's and go with it."""


def make_events(creds: KalturaCredentials, count: int) -> list[int]:
    client = creds.get_events_client()
    return [
        client.create_event(
            name=f"Precision {i}",
            template_id="tm4000",
            start=f"2030-02-0{i + 1}T15:00:00Z",
            end=f"2030-02-0{i + 1}T16:00:00Z",
            timezone="UTC",
        ).id
        for i in range(count)
    ]


def names(state: dict[str, Any]) -> set[str]:
    return {c["fullName"] for c in state["categories"]}


@pytest.mark.parametrize("selector_kind", ["event_ids", "label"])
def test_only_the_deleted_events_categories_go(
    selector_kind: str, emu: EmulatorProcess, creds: KalturaCredentials
) -> None:
    emu.control.reset(first_event_id=10)
    ids = make_events(creds, 5)
    assert ids == [10, 11, 12, 13, 14]
    for event_id in (12, 14):
        creds.get_events_client().update_event(event_id, labels=["retire-me"])
    for name in (*SENTINELS, *EXTRA_OF_12):
        emu.control.add_category(name)
    before = emu.control.state()
    neighbours = categories_of(before, {10, 11, 13})
    assert len(neighbours) == 3 * 7
    assert len(categories_of(before, {12, 14})) == 2 * 7 + len(EXTRA_OF_12)
    selector: dict[str, Any] = (
        {"event_ids": [12, 14]} if selector_kind == "event_ids" else {"label": "retire-me"}
    )

    state = teardown_events(selector=selector, credentials=creds, dry_run=False, return_state=True)

    assert state.is_completed(), state.message
    after = emu.control.state()
    left = names(after)
    assert set(SENTINELS) <= left, f"sentinels deleted: {sorted(set(SENTINELS) - left)}"
    assert categories_of(after, {12, 14}) == []
    assert not set(EXTRA_OF_12) & left
    assert categories_of(after, {10, 11, 13}) == neighbours
    assert "ep_media_account" in left, "the media account still holds other events' folders"
    assert sorted(e["id"] for e in after["events"]) == [10, 11, 13]
    assert not after["sessions"].get("12") and not after["sessions"].get("14")
    expected = {n for n in names(before) if category_owner(n) not in (12, 14)}
    assert left == expected
    report = state.result()
    assert sorted(report.selected) == [12, 14]
    assert any("ep_media_account" in item for item in report.left)
