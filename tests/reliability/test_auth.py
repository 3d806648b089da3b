"""Auth: a KS that expires mid-run is renewed and the run completes; one that cannot be renewed
fails the run at once, with a clear message and no retry storm.

``/_emulator/expire-ks`` makes every KS issued or seen so far answer 401
(EXPIRED_KS on API v3), exactly as an expired KS does. The tests count the
emulator's responses: each call may meet one 401 and then renew, never more.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from flows.schedule_all_hands import schedule_all_hands
from flows.teardown_events import teardown_events
from kaltura_events.api.ks import ADMIN, build_ks_v2
from kaltura_events.credentials import KalturaCredentials, close_cached_clients
from kaltura_events.emulator.config import DEFAULT_USER_ID
from kaltura_events.emulator.server import EmulatorProcess
from tests.invariants import series_problems
from tests.reliability.conftest import app_token_credentials, credentials_for
from tests.reliability.support import NOW, SecretBook, categories_of, p1_spec, statuses

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

LATENCY_MS = 10.0
CONCURRENCY = 8


@contextmanager
def expire_after(emulator: EmulatorProcess, requests: int, fired: list[float]) -> Iterator[None]:
    """Expire every KS once the emulator has seen ``requests`` requests (from a background thread)."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if emulator.control.stats()["total_requests"] >= requests:
                emulator.control.expire_ks()
                fired.append(time.monotonic())
                return
            time.sleep(0.002)

    thread = threading.Thread(target=watch, name="expire-ks", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


def task_run_counts(flow_run_id: Any, quiet_seconds: float = 1.5) -> list[int]:
    """How many times each task run of the flow run was attempted.

    The server records task runs from events, a little after they happen, so
    this waits until the count has been still for ``quiet_seconds``; the API
    gives 200 runs a page.
    """
    flow_runs = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    deadline = time.monotonic() + 30
    last: list[int] = []
    still_since = time.monotonic()
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            counts: list[int] = []
            while True:
                page = client.read_task_runs(flow_run_filter=flow_runs, limit=200, offset=len(counts))
                counts += [r.run_count for r in page]
                if len(page) < 200:
                    break
            if sorted(counts) != sorted(last):
                last, still_since = counts, time.monotonic()
            elif counts and time.monotonic() - still_since >= quiet_seconds:
                break
            time.sleep(0.25)
    return last


@pytest.mark.parametrize("mode", ["admin_secret", "app_token"])
def test_a_ks_that_expires_mid_run_is_renewed_and_the_run_completes(
    mode: str, emu: EmulatorProcess, book: SecretBook
) -> None:
    emu.control.reset(latency_ms=LATENCY_MS)
    creds = credentials_for(emu) if mode == "admin_secret" else app_token_credentials(emu, book)
    spec = p1_spec(key=f"renew-{mode.replace('_', '-')}")
    fired: list[float] = []
    try:
        with expire_after(emu, 80, fired):
            state = schedule_all_hands(series=spec, credentials=creds, now=NOW, return_state=True)
        assert fired, "the KS was never expired"
        assert state.is_completed(), state.message
        assert series_problems(emu.control.state(), spec, NOW) == []
        stats = emu.control.stats()
        rejected = statuses(stats)["401"]
        assert 1 <= rejected <= CONCURRENCY, f"each call in flight meets one 401 at most: {stats['requests']}"
        writes = stats["writes"]
        assert writes["events/create"]["committed"] == 52
        assert writes["sessions/create"]["committed"] == 104
        assert stats["total_requests"] == 210 + rejected + (2 * 2 if mode == "app_token" else 0)
        if mode == "app_token":
            # one KS at the start and one renewal, each a widget session plus appToken.startSession
            assert sum(stats["requests"]["appToken.startSession"].values()) == 2

    finally:
        close_cached_clients()


def test_an_api_v3_ks_that_expires_mid_teardown_is_renewed(emu: EmulatorProcess, book: SecretBook) -> None:
    """Category deletes go one at a time through API v3, which says EXPIRED_KS with HTTP 200."""
    creds = app_token_credentials(emu, book)
    try:
        client = creds.get_events_client()
        ids = {
            client.create_event(
                name=f"Expiring {i}",
                template_id="tm0000",
                start=f"2030-03-{i + 1:02d}T10:00:00Z",
                end=f"2030-03-{i + 1:02d}T11:00:00Z",
                timezone="UTC",
            ).id
            for i in range(20)
        }
        emu.control.reset_stats()
        fired: list[float] = []
        with expire_after(emu, 60, fired):
            state = teardown_events(
                selector={"event_ids": sorted(ids)}, credentials=creds, dry_run=False, return_state=True
            )
    finally:
        close_cached_clients()
    assert fired, "the KS was never expired during the teardown"
    assert state.is_completed(), state.message
    after = emu.control.state()
    assert after["events"] == [] and categories_of(after, ids) == []
    answered = emu.control.stats()["requests"]
    refusals = ("401", "200:EXPIRED_KS")
    refused = sum(n for by in answered.values() for code, n in by.items() if code in refusals)
    assert 1 <= refused <= CONCURRENCY, answered
    assert sum(answered["appToken.startSession"].values()) == 1, "one renewal"


def fixed_ks_credentials(emu: EmulatorProcess, book: SecretBook) -> KalturaCredentials:
    ks = build_ks_v2(emu.admin_secret, emu.partner_id, DEFAULT_USER_ID, session_type=ADMIN)
    book.kss.append(ks)
    return credentials_for(emu, ks=ks, partner_id=None, user_id=None)


def test_a_fixed_ks_that_expired_fails_the_run_on_its_first_call(
    emu: EmulatorProcess, book: SecretBook
) -> None:
    creds = fixed_ks_credentials(emu, book)
    try:
        creds.get_events_client().list_events_page()  # the emulator has now seen this KS
        emu.control.expire_ks()
        emu.control.reset_stats()
        state = schedule_all_hands(
            series=p1_spec(key="fixed-ks"), credentials=creds, now=NOW, return_state=True
        )
    finally:
        close_cached_clients()

    assert state.is_failed()
    message = str(state.message)
    book.output("fixed KS state message", message)
    assert "401" in message and "expired" in message, message
    stats = emu.control.stats()
    assert stats["total_requests"] == 1, stats["requests"]
    assert stats["requests"] == {"events/list": {"401": 1}}
    flow_run_id = state.state_details.flow_run_id
    assert all(count <= 1 for count in task_run_counts(flow_run_id)), "no task may retry a refused KS"
    with pytest.raises(Exception) as caught:
        state.result()
    book.exception(caught.value)


def test_a_fixed_ks_expiring_mid_run_fails_without_a_retry_storm(
    emu: EmulatorProcess, book: SecretBook
) -> None:
    emu.control.reset(latency_ms=LATENCY_MS)
    creds = fixed_ks_credentials(emu, book)
    fired: list[float] = []
    try:
        with expire_after(emu, 80, fired):
            state = schedule_all_hands(
                series=p1_spec(key="fixed-ks-mid"), credentials=creds, now=NOW, return_state=True
            )
    finally:
        close_cached_clients()

    assert fired and state.is_failed()
    message = str(state.message)
    book.output("fixed KS mid-run state message", message)
    assert "cannot be renewed" in message, message
    stats = emu.control.stats()
    rejected = statuses(stats)["401"]
    counts = task_run_counts(state.state_details.flow_run_id)
    # Only the calls already in flight meet the refusal; every call after it fails unsent.
    assert 1 <= rejected <= CONCURRENCY, stats["requests"]
    assert all(count <= 1 for count in counts), "no task may retry a refused KS"
    # Without faults a task that ran sends one request, so more requests than runs would mean a repeat.
    ran = sum(1 for count in counts if count >= 1)
    assert stats["total_requests"] <= ran, f"{stats['total_requests']} requests from {ran} task runs"
