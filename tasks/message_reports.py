"""What a send became: its session's stats and the messages that reached nobody, one task per send."""

from __future__ import annotations

from kaltura_events.api.messaging import MAX_PAGE_SIZE, MessagingClient
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.delivery import FAILED_STATUSES, SendDelivery, SendRecord, delivery_of
from tasks.api_task import api_task
from tasks.clients import messaging_client


def read_delivery(messaging: MessagingClient, send: SendRecord) -> SendDelivery:
    """One send's session: ``message/stats``, then its failed messages, every page, if it has any.

    The failures are read second, so the CSV is as fresh as the report can
    make it; a listing that does not add up to its ``totalCount`` is refused
    (IncompleteListingError) rather than reported as the whole list. Stats
    that count no failure (§8.3 names only the statuses that occur) leave
    nothing to list: one call, not two, for the usual send.
    """
    stats = messaging.message_stats(session=send.session)
    if not any(stats.get(status.upper(), 0) for status in FAILED_STATUSES):
        return delivery_of(send, stats, [])
    failed = messaging.list_discrete_messages(
        [send.session], statuses=list(FAILED_STATUSES), page_size=MAX_PAGE_SIZE
    )
    return delivery_of(send, stats, failed)


@api_task(
    "read-delivery",
    endpoint="message/stats + message/listDiscreteAggregateMessages",
    description="One send's delivery counts and the recipients it did not reach (bounce, dropped, error).",
    run_name=lambda p: f"{p['send'].send_name} of {p['send'].series_key} {p['send'].occurrence}",
)
def read_send_delivery(*, credentials: KalturaCredentials | None, send: SendRecord) -> SendDelivery:
    return read_delivery(messaging_client(credentials), send)
