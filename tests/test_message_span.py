"""Which occurrences a send run observes, and how it compares user ids: pure, no server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kaltura_events.planning.messages import (
    FOLLOW_UP_WINDOW,
    MISSED_SHOWN_FOR,
    OccurrenceTimes,
    due_sends,
    observed_span,
    user_key,
)
from tests.messaging_series import series_messages

NOW = datetime(2027, 1, 5, 12, tzinfo=timezone.utc)


def test_the_span_holds_every_occurrence_with_a_send_due_or_just_missed() -> None:
    spec = series_messages().spec
    ended_after, starts_before = observed_span(spec, NOW)
    assert starts_before == NOW + timedelta(hours=24), "the longest reminder"
    assert ended_after == NOW - timedelta(hours=2) - FOLLOW_UP_WINDOW - MISSED_SHOWN_FOR
    for hours in range(-24 * 5, 30):
        start = NOW + timedelta(hours=hours)
        times = OccurrenceTimes("s", "o", start, start + timedelta(hours=1))
        acting = [d for d in due_sends(spec, [times]) if d.state(NOW) == "due"]
        if acting:
            assert start <= starts_before and start + timedelta(hours=1) >= ended_after, hours


def test_emails_compare_without_regard_to_case_and_other_ids_exactly() -> None:
    assert user_key("Ada@Example.com") == user_key("ada@example.com")
    assert user_key("AbC123") != user_key("abc123")
