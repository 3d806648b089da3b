"""Media entries that sessions' recordings become: the records HTTP notifications are about.

Kaltura's notifications cover entries, not virtual events (REF), so the one
thing a virtual event produces that Kaltura notifies about is a session's
recording. A session is a live entry (its id is an entry id); its recording
is a media entry whose ``rootEntryId`` is that live entry. The statuses are
KALTURA_API_GETTING_STARTED.md §5.3 (4 PENDING, 2 READY).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kaltura_events.emulator.failures import ApiV3Failure

PENDING, READY = 4, 2
MEDIA_TYPE_VIDEO = 1


@dataclass
class Entry:
    id: str
    name: str
    status: int
    root_entry_id: str
    created_at: int
    updated_at: int
    content_version: int = 0
    """How many times the recording's content was replaced (0: the first recording)."""


def render_entry(entry: Entry, partner_id: int) -> dict[str, Any]:
    """KalturaMediaEntry, the fields a receiver or a flow reads."""
    return {
        "id": entry.id,
        "name": entry.name,
        "partnerId": partner_id,
        "status": entry.status,
        "rootEntryId": entry.root_entry_id,
        "mediaType": MEDIA_TYPE_VIDEO,
        "type": 1,
        "description": "",
        "tags": "",
        "createdAt": entry.created_at,
        "updatedAt": entry.updated_at,
        "objectType": "KalturaMediaEntry",
    }


def entry_not_found(entry_id: str) -> ApiV3Failure:
    """Kaltura's ``ENTRY_ID_NOT_FOUND``; no reference names the code."""
    return ApiV3Failure("ENTRY_ID_NOT_FOUND", f'Entry id "{entry_id}" not found', {"ENTRY_ID": entry_id})


class EntryBook:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.by_id: dict[str, Entry] = {}

    def get(self, entry_id: str) -> Entry:
        found = self.by_id.get(entry_id)
        if found is None:
            raise entry_not_found(entry_id)
        return found

    def recording_of(self, live_entry_id: str) -> Entry | None:
        return next((e for e in self.by_id.values() if e.root_entry_id == live_entry_id), None)

    def finish_recording(self, entry_id: str, name: str, live_entry_id: str) -> tuple[Entry, str]:
        """The recording becomes READY: "entry.ready" the first time, "entry.content_replaced" after."""
        now = int(self._clock())
        entry = self.by_id.get(entry_id)
        if entry is None:
            entry = Entry(entry_id, name, PENDING, live_entry_id, now, now)
            self.by_id[entry_id] = entry
        if entry.root_entry_id != live_entry_id:
            raise ApiV3Failure(
                "INVALID_FIELD_VALUE",
                f"Entry [{entry_id}] is the recording of [{entry.root_entry_id}], not [{live_entry_id}]",
                {"PROP_NAME": "entryId"},
            )
        kind = "entry.content_replaced" if entry.status == READY else "entry.ready"
        if kind == "entry.content_replaced":
            entry.content_version += 1
        entry.status = READY
        entry.updated_at = now
        return entry, kind
