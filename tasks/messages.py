"""Messaging tasks for sends: whom a session reached, one send, who left a group, a session's counts.

Templates are converged by ``tasks/message_templates.py``; here is only what a
send needs at its time. ``send_message`` is the one write and is never retried
once it may have reached the service: its caller lists the session instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from kaltura_events.api.messaging import MAX_PAGE_SIZE, Token
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


@api_task(
    "send-message",
    endpoint="message/send",
    description="One email per user from one template, labelled with its send's session; never repeated.",
    run_name=lambda p: f"{p['session']} to {len(p['user_ids'])}",
)
def send_message(
    *,
    credentials: KalturaCredentials | None,
    app_guid: str,
    template_id: str,
    user_ids: list[str],
    session: str,
    tokens: Mapping[str, Token],
) -> str:
    """The send's ``bulkId``; an ambiguous failure raises OutcomeUnknownError (not retryable)."""
    bulk = messaging_client(credentials).send_message(
        app_guid, template_id, user_ids, session=session, tokens=tokens
    )
    return bulk.bulk_id


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
