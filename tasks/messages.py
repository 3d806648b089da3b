"""Messaging tasks for sends: whom a session reached, one send, who left a group, a session's counts.

Templates are converged by ``tasks/message_templates.py``; here is only what a
send needs at its time. ``send_in_chunks`` is the one write and never retries a
chunk once it may have reached the service: its caller lists the session instead.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from kaltura_events.api.errors import AuthenticationError, KalturaError, OutcomeUnknownError
from kaltura_events.api.messaging import MAX_PAGE_SIZE, MessagingClient, Token
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.messages import user_key
from tasks.api_task import api_task
from tasks.clients import messaging_client


@api_task(
    "list-session-recipients",
    endpoint="message/listDiscreteAggregateMessages",
    description="Everyone one send's session label already reached, every page inside the task.",
    run_name="{session}",
)
def list_session_recipients(*, credentials: KalturaCredentials | None, session: str) -> list[str]:
    """Each user id the session has a message for, whatever its status, each once (``user_key``).

    A message that failed for its recipient still counts as reached: the
    service tried, and a send every five minutes to a person it cannot mail
    would be a message a run, not a retry.
    """
    messages = messaging_client(credentials).list_discrete_messages([session], page_size=MAX_PAGE_SIZE)
    return list({user_key(m.user_id): m.user_id for m in messages}.values())


CHUNKS_AT_ONCE = 8
"""Threads of one send; the run's request slots bound how many of its chunks are in flight."""


@dataclass(frozen=True)
class ChunkOutcome:
    """What one ``message/send`` of a chunk came to; exactly one of the last four is set.

    ``bulk_id``: sent. ``unknown``: it failed after it may have reached the
    service (OutcomeUnknownError), so only a listing of the session can tell
    whom it reached. ``refused``: a final error, nobody reached. ``late``: its
    window had closed before it went, so it did not go.
    """

    user_ids: tuple[str, ...]
    bulk_id: str | None = None
    unknown: str | None = None
    refused: str | None = None
    late: bool = False


def _send_chunk(
    messaging: MessagingClient,
    app_guid: str,
    template_id: str,
    user_ids: tuple[str, ...],
    session: str,
    tokens: Mapping[str, Token],
    closes_at: datetime,
) -> ChunkOutcome:
    if datetime.now(timezone.utc) >= closes_at:
        return ChunkOutcome(user_ids, late=True)
    try:
        bulk = messaging.send_message(app_guid, template_id, user_ids, session=session, tokens=tokens)
    except OutcomeUnknownError as unknown:
        return ChunkOutcome(user_ids, unknown=str(unknown.failure) or type(unknown.failure).__name__)
    except AuthenticationError:
        raise
    except KalturaError as refused:
        return ChunkOutcome(user_ids, refused=str(refused) or type(refused).__name__)
    return ChunkOutcome(user_ids, bulk_id=bulk.bulk_id)


@api_task(
    "send-message",
    endpoint="message/send",
    description="One send's chunks at once, each one email per user labelled with the send's session; "
    "never repeated.",
    run_name=lambda p: f"{p['session']} to {sum(len(c) for c in p['chunks'])} in {len(p['chunks'])}",
)
def send_in_chunks(
    *,
    credentials: KalturaCredentials | None,
    app_guid: str,
    template_id: str,
    chunks: Sequence[Sequence[str]],
    session: str,
    tokens: Mapping[str, Token],
    closes_at: datetime,
) -> list[ChunkOutcome]:
    """Each chunk's outcome, in order; a chunk that fails never stops the others.

    One task for a send's chunks, not one per chunk: a task run costs the
    flow and the server more CPU than a 100-person ``message/send`` costs us,
    and 240 of them were most of a 24,000-email run. The chunks are disjoint,
    so sending them at once cannot reach anyone twice; each outcome is kept
    apart, so the caller accounts for an ambiguous chunk by itself. A chunk
    checks the clock just before it goes: once its window closes, it does not.
    A refused KS ends the task once every chunk has ended.
    """
    messaging = messaging_client(credentials)
    parts = [tuple(chunk) for chunk in chunks]

    def one(user_ids: tuple[str, ...]) -> ChunkOutcome:
        return _send_chunk(messaging, app_guid, template_id, user_ids, session, tokens, closes_at)

    if len(parts) <= 1:
        return [one(part) for part in parts]
    with ThreadPoolExecutor(max_workers=min(CHUNKS_AT_ONCE, len(parts))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, one, part) for part in parts]
    return [future.result() for future in futures]


@api_task(
    "list-unsubscribed",
    endpoint="unsubscribe-users/list",
    description="Who left one unsubscribe group (every page inside the task).",
    run_name="{group}",
)
def list_unsubscribed(*, credentials: KalturaCredentials | None, group: str) -> list[str]:
    """The user ids that left ``group``; the service lists every group, the rest are dropped here."""
    users = messaging_client(credentials).list_unsubscribed_users(page_size=MAX_PAGE_SIZE)
    return [user.user_id for user in users if group in user.unsubscribed]


@api_task(
    "session-stats",
    endpoint="message/stats",
    description="A send's messages per status, to tell a missed send from one done before its window closed.",
    run_name="{session}",
)
def session_stats(*, credentials: KalturaCredentials | None, session: str) -> dict[str, int]:
    return messaging_client(credentials).message_stats(session=session)
