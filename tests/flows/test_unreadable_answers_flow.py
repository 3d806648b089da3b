"""A flow run against a proxy that answers an HTML page with 200 fails with the client's message.

The operator reading the failed run in the UI sees which endpoint answered
what, and what was expected, not a ``JSONDecodeError`` from deep in a task.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import SecretStr

from flows.report_attendance import report_attendance
from flows.schedule_all_hands import schedule_all_hands
from kaltura_events.credentials import KalturaCredentials, close_cached_clients
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.planning.selection import EventSelector
from tests.bad_answers import BadAnswerServer, bad_answer_server
from tests.specs import weekly_all_hands

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def proxy(emu: EmulatorServer) -> Iterator[BadAnswerServer]:
    with bad_answer_server(upstream=emu.base_url) as running:
        yield running


@pytest.fixture
def creds_via_proxy(proxy: BadAnswerServer, emu: EmulatorServer) -> Iterator[KalturaCredentials]:
    yield KalturaCredentials(
        events_api_url=proxy.events_api_url,
        service_url=proxy.service_url,
        partner_id=emu.partner_id,
        admin_secret=SecretStr(emu.admin_secret),
        user_id=emu.user_id,
        retry_base_delay_seconds=0.01,
        request_timeout_seconds=2.0,
    )
    close_cached_clients()


def test_an_html_200_on_events_list_fails_the_run_with_the_clients_message(
    proxy: BadAnswerServer, creds_via_proxy: KalturaCredentials, emu: EmulatorServer
) -> None:
    proxy.answer_with("html-200", "events/list")
    state = schedule_all_hands(
        weekly_all_hands(labels=["all-hands"]), creds_via_proxy, now=NOW, return_state=True
    )
    assert state.is_failed()
    message = state.message or ""
    assert "UnexpectedResponseError" in message
    assert "events/list: HTTP 200: unreadable answer, not JSON: expected a JSON object" in message
    assert "text/html" in message
    assert emu.admin_secret not in message
    assert emu.control.state()["events"] == [], "nothing was written on a listing nobody could read"


def test_an_unreadable_user_profile_answer_is_named_per_occurrence_and_fails_the_run(
    proxy: BadAnswerServer,
    creds_via_proxy: KalturaCredentials,
    creds: KalturaCredentials,
    emu: EmulatorServer,
) -> None:
    spec: Any = weekly_all_hands(key="unreadable-att", horizon_days=14, sessions=[])
    made = schedule_all_hands(spec, creds, now=NOW)
    assert len(made.created) == 2
    through_proxy = creds_via_proxy.model_copy(
        update={"app_registry_url": proxy.app_registry_url, "user_profile_url": proxy.user_profile_url}
    )
    proxy.answer_with("html-200", "user-profile/list")
    state = report_attendance(EventSelector(series_key="unreadable-att"), through_proxy, return_state=True)
    assert state.is_failed()
    message = state.message or ""
    assert "2 occurrence(s) not read" in message
    assert "user-profile/list: HTTP 200: unreadable answer, not JSON" in message
    assert emu.admin_secret not in message
