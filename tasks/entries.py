"""Entry tasks (API v3): what a notification's entry is, read before acting on it."""

from __future__ import annotations

from kaltura_events.api.models import BaseEntry
from kaltura_events.credentials import KalturaCredentials
from tasks.api_task import api_task
from tasks.clients import api_v3_client


@api_task(
    "get-entry",
    endpoint="baseEntry.get",
    description="One entry: a recording's rootEntryId names the session it recorded.",
    run_name="entry {entry_id}",
)
def get_entry(*, credentials: KalturaCredentials | None, entry_id: str) -> BaseEntry:
    return api_v3_client(credentials).get_entry(entry_id)
