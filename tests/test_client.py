"""EventsClient against the emulator as a real server: shapes, validation, retries, reconciliation."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kaltura_events.api.answers import excerpt
from kaltura_events.api.errors import (
    AuthenticationError,
    BadRequestError,
    IncompleteListingError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)
from kaltura_events.api.events import EVENT, PEOPLE_PAGE_SIZE, EventFilter, EventsClient
from kaltura_events.api.ks import ADMIN, USER, KsProvider, build_ks_v2, local_minter
from kaltura_events.api.paging import PAGE_CONCURRENCY
from kaltura_events.api.retry import RetryPolicy
from kaltura_events.emulator.server import EmulatorServer

START = datetime(2027, 3, 1, 15, 0, tzinfo=timezone.utc)
FAST = RetryPolicy(base_delay=0.01, max_retry_after=5)


def requests_to(emu: EmulatorServer, endpoint: str) -> dict[str, int]:
    stats: dict[str, Any] = emu.control.stats()
    return dict(stats["requests"].get(endpoint, {}))


def count(emu: EmulatorServer, endpoint: str) -> int:
    return sum(requests_to(emu, endpoint).values())


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(emu: EmulatorServer, sleeps: list[float]) -> Iterator[EventsClient]:
    provider = KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))
    with EventsClient(emu.events_api_url, provider, retry=FAST, timeout=5.0, sleep=sleeps.append) as events:
        yield events


def create(client: EventsClient, name: str = "Town hall", offset_hours: int = 0, **kwargs: Any) -> Any:
    start = START + timedelta(hours=offset_hours)
    return client.create_event(
        name=name,
        template_id=kwargs.pop("template_id", "tm0000"),
        start=start,
        end=start + timedelta(hours=1),
        timezone="America/New_York",
        **kwargs,
    )


# -- shapes and round trips ---------------------------------------------------------


def test_create_list_update_delete_round_trip(client: EventsClient, emu: EmulatorServer) -> None:
    event = create(client, description="Quarterly update", template_id="tm4000")
    assert isinstance(event.id, int)
    assert event.start_date == START
    sessions = client.list_sessions(event.id)
    assert sorted(s.type for s in sessions) == ["LiveWebcast", "MeetingEntry"]
    assert all(isinstance(s.id, str) for s in sessions)

    updated = client.update_event(event.id, labels=["all-hands"], doors_open=START - timedelta(minutes=15))
    assert updated.labels == ["all-hands"]
    assert updated.doors_open_date == START - timedelta(minutes=15)

    found = client.list_all_events(EventFilter(labels=("all-hands",)))
    assert [e.id for e in found] == [event.id]

    client.delete_event(event.id)
    assert client.list_all_events() == []
    with pytest.raises(NotFoundError, match=r"events/delete: HTTP 404"):
        client.delete_event(event.id)


def test_session_create_and_speakers(client: EventsClient) -> None:
    event = create(client)
    session = client.create_session(
        event.id,
        name="Replay",
        session_type="SimuLive",
        source_entry_id="1_abcd1234",
        start=START,
        end=START + timedelta(minutes=30),
    )
    assert session.type == "SimuLive"
    assert session.source_entry is not None and session.source_entry.id == "1_abcd1234"
    assert client.list_speakers(event.id, session.id) == []


def test_duplicate_reports_a_job_and_an_integer_event_id(client: EventsClient, emu: EmulatorServer) -> None:
    emu.control.reset(duplicate_seconds=0.2)
    source = create(client, template_id="tm1000")
    started = client.duplicate_event(
        source.id, name="Copy", timezone="Europe/London", start=START + timedelta(days=7)
    )
    assert started.job_id
    import time

    deadline = time.monotonic() + 5
    job = client.duplicate_status(started.job_id)
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.duplicate_status(started.job_id)
    assert job.job_state == "completed"
    assert isinstance(job.event_id, int)
    assert client.list_all_events(EventFilter(id_in=(job.event_id,)))[0].name == "Copy"


def test_team_members_and_event_users(client: EventsClient) -> None:
    member = client.create_team_member(
        email="ops@example.com", role="Organizer", first_name="Ops", last_name="Team"
    )
    assert [m.id for m in client.list_team_members()] == [member.id]
    assert client.update_team_member(member.id, role="Admin").role == "Admin"
    client.delete_team_member(member.id)
    assert client.list_team_members() == []

    event = create(client)
    user = client.invite_event_user(
        event.id, first_name="Ada", last_name="L", email="ada@example.com", roles=("Speaker",)
    )
    assert [u.id for u in client.list_event_users(event.id)] == [user.id]


# -- paging ----------------------------------------------------------------------------


def test_paging_collects_everything_at_15_per_page(client: EventsClient, emu: EmulatorServer) -> None:
    emu.control.bulk_events(40, name_prefix="Bulk")
    emu.control.reset_stats()
    assert len(client.list_all_events()) == 40
    assert count(emu, "events/list") == 3


def test_page_index_mode_raises_instead_of_returning_a_partial_list(
    client: EventsClient, emu: EmulatorServer
) -> None:
    emu.control.reset(offset_mode="page")
    emu.control.bulk_events(40, name_prefix="Bulk")
    with pytest.raises(
        IncompleteListingError, match=r"collected 15 distinct items but the API reported totalCount=40"
    ):
        client.list_all_events()


# -- bad input: refused before any request, naming the parameter ---------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda c: c.create_event(name="x", template_id="tm9999", start=START, end=START, timezone="UTC"),
            "template_id",
        ),
        (
            lambda c: c.create_event(
                name="x", template_id="tm0000", start="2027-03-01", end=START, timezone="UTC"
            ),
            "start",
        ),
        (
            lambda c: c.create_event(
                name="x", template_id="tm0000", start="2027-03-01T10:00:00", end=START, timezone="UTC"
            ),
            "start",
        ),
        (
            lambda c: c.create_event(
                name="x",
                template_id="tm0000",
                start=START,
                end=START + timedelta(hours=1),
                timezone="Mars/Base",
            ),
            "timezone",
        ),
        (
            lambda c: c.create_event(
                name="x", template_id="tm0000", start=START, end=START - timedelta(hours=1), timezone="UTC"
            ),
            "end",
        ),
        (
            lambda c: c.create_event(
                name="x" * 10_000,
                template_id="tm0000",
                start=START,
                end=START + timedelta(hours=1),
                timezone="UTC",
            ),
            "name",
        ),
        (lambda c: c.update_event("12a", name="x"), "event_id"),
        (lambda c: c.delete_event(0), "event_id"),
        (lambda c: c.list_events_page(limit=16), "limit"),
        (lambda c: c.list_events_page(limit=0), "limit"),
        (lambda c: c.list_events_page(order_by="+id"), "order_by"),
        (lambda c: c.create_session(1, name="x", session_type="Webinar"), "session_type"),
        (lambda c: c.create_session(1, name="x", session_type="SimuLive"), "source_entry_id"),
        (lambda c: c.list_speakers(1, 42), "session_id"),
        (lambda c: c.duplicate_status(""), "job_id"),
        (lambda c: c.create_team_member(email="nope", role="Admin", first_name="a", last_name="b"), "email"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    client: EventsClient, emu: EmulatorServer, call: Any, field: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        call(client)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}=")
    assert emu.control.stats()["total_requests"] == 0


def test_emulator_answers_the_same_mistakes_with_400_and_they_are_not_retried(
    client: EventsClient, emu: EmulatorServer
) -> None:
    with pytest.raises(BadRequestError, match="templateId"):
        client._call("events/create", {"name": "x", "templateId": "tm9999"}, EVENT)
    assert requests_to(emu, "events/create") == {"400": 1}


# -- retries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ks_kind", "error", "status"),
    [
        ("garbage", AuthenticationError, "401"),
        ("user", PermissionDeniedError, "403"),
        ("no-user", PermissionDeniedError, "403"),
    ],
)
def test_401_and_403_are_final(
    emu: EmulatorServer, ks_kind: str, error: type[Exception], status: str
) -> None:
    ks = {
        "garbage": "djJ8bm90LWEta3M=",
        "user": build_ks_v2(emu.admin_secret, emu.partner_id, "someone", session_type=USER),
        "no-user": build_ks_v2(emu.admin_secret, emu.partner_id, "", session_type=ADMIN),
    }[ks_kind]
    with (
        EventsClient(emu.events_api_url, KsProvider(fixed_ks=ks), retry=FAST) as fixed,
        pytest.raises(error) as caught,
    ):
        fixed.list_events_page()
    assert ks not in str(caught.value)
    assert requests_to(emu, "events/list") == {status: 1}


def test_404_is_final(client: EventsClient, emu: EmulatorServer) -> None:
    with pytest.raises(NotFoundError):
        client.update_event(987654, name="x")
    assert requests_to(emu, "events/update") == {"404": 1}


def test_5xx_is_retried_with_backoff(client: EventsClient, emu: EmulatorServer, sleeps: list[float]) -> None:
    emu.control.set_faults(
        [{"endpoint": "events/list", "kind": "error_before_commit", "rate": 1.0, "times": 2}]
    )
    client.list_events_page()
    assert requests_to(emu, "events/list") == {"500": 2, "200": 1}
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]


def test_5xx_gives_up_after_max_retries(client: EventsClient, emu: EmulatorServer) -> None:
    emu.control.set_faults([{"endpoint": "events/list", "kind": "error_before_commit", "rate": 1.0}])
    with pytest.raises(ServerError, match="Internal server error"):
        client.list_events_page()
    assert requests_to(emu, "events/list") == {"500": 4}


@pytest.mark.parametrize(("kind", "status"), [("rate_limit", "429"), ("unavailable", "503")])
def test_429_and_503_honour_retry_after(
    client: EventsClient, emu: EmulatorServer, sleeps: list[float], kind: str, status: str
) -> None:
    emu.control.set_faults(
        [{"endpoint": "events/list", "kind": kind, "rate": 1.0, "times": 2, "retry_after": 3}]
    )
    client.list_events_page()
    assert requests_to(emu, "events/list") == {status: 2, "200": 1}
    assert sleeps == [3.0, 3.0]


def test_retry_after_error_keeps_the_value(emu: EmulatorServer) -> None:
    emu.control.set_faults([{"endpoint": "events/list", "kind": "rate_limit", "rate": 1.0, "retry_after": 2}])
    provider = KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))
    no_retry = RetryPolicy(max_retries=0)
    with (
        EventsClient(emu.events_api_url, provider, retry=no_retry) as once,
        pytest.raises(RateLimitedError) as caught,
    ):
        once.list_events_page()
    assert caught.value.retry_after == 2.0


def test_timeout_is_bounded_by_the_client(emu: EmulatorServer) -> None:
    emu.control.reset(hang_seconds=5.0)
    emu.control.set_faults([{"endpoint": "events/list", "kind": "timeout_after_commit", "rate": 1.0}])
    provider = KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))
    quick = EventsClient(emu.events_api_url, provider, retry=RetryPolicy(max_retries=0), timeout=0.3)
    with quick, pytest.raises(RequestTimeoutError, match="events/list"):
        quick.list_events_page()


# -- ambiguous writes -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["error_after_commit", "reset", "timeout_after_commit"])
def test_ambiguous_create_is_adopted_not_repeated(emu: EmulatorServer, kind: str) -> None:
    emu.control.reset(hang_seconds=2.0)
    emu.control.set_faults([{"endpoint": "events/create", "kind": kind, "rate": 1.0, "times": 1}])
    provider = KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))
    with EventsClient(emu.events_api_url, provider, retry=FAST, timeout=0.5) as events:
        event = create(events, name="Adopted")
    assert [e["id"] for e in emu.control.state()["events"]] == [event.id]


def test_ambiguous_session_create_is_reconciled_by_name(client: EventsClient, emu: EmulatorServer) -> None:
    event = create(client)
    emu.control.set_faults(
        [{"endpoint": "sessions/create", "kind": "error_after_commit", "rate": 1.0, "times": 1}]
    )
    session = client.create_session(event.id, name="Keynote", session_type="LiveWebcast")
    assert [s.id for s in client.list_sessions(event.id)] == [session.id]


def test_200_creates_under_30_percent_after_commit_faults_leave_exactly_200(
    client: EventsClient, emu: EmulatorServer
) -> None:
    emu.control.set_faults([{"endpoint": "events/create", "kind": "error_after_commit", "rate": 0.3}], seed=7)
    ids = {create(client, name=f"Event {i:03d}", offset_hours=i).id for i in range(200)}
    events = emu.control.state()["events"]
    assert len(events) == 200 == len(ids)
    assert len({e["name"] for e in events}) == 200
    injected = emu.control.stats()["faults_injected"]["events/create"]["error_after_commit"]
    assert injected > 30, "the fault rate really was exercised"


def test_expired_ks_is_renewed_once(client: EventsClient, emu: EmulatorServer) -> None:
    client.list_events_page()
    emu.control.expire_ks()
    emu.control.reset_stats()
    client.list_events_page()
    assert requests_to(emu, "events/list") == {"401": 1, "200": 1}


# -- one retry layer: attempts, and a request slot held per attempt -----------------------


class CountingSlot:
    """A slot factory that counts who holds it, and remembers a context variable seen on entry."""

    def __init__(self, pool_barrier: threading.Barrier | None = None) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.most_holders = 0
        self.entries = 0
        self.exits = 0
        self.seen_marks: list[str | None] = []
        self.threads: set[int] = set()
        self.pool_barrier = pool_barrier
        """Entries from threads other than the test's wait here until that many meet."""
        self.test_thread = threading.get_ident()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self.lock:
            self.holders += 1
            self.entries += 1
            self.most_holders = max(self.most_holders, self.holders)
            self.seen_marks.append(MARK.get())
            self.threads.add(threading.get_ident())
            barrier = self.pool_barrier if threading.get_ident() != self.test_thread else None
        if barrier is not None:
            barrier.wait(timeout=30)  # only a deadlock guard: pages fetched one by one would never meet
        try:
            yield
        finally:
            with self.lock:
                self.holders -= 1
                self.exits += 1


MARK: contextvars.ContextVar[str | None] = contextvars.ContextVar("MARK", default=None)


def slotted(emu: EmulatorServer, slot: CountingSlot, **kwargs: Any) -> EventsClient:
    provider = KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("sleep", lambda _seconds: None)
    return EventsClient(emu.events_api_url, provider, timeout=5.0, slot=slot, **kwargs)


@pytest.mark.parametrize("max_retries", [0, 1, 3])
@pytest.mark.parametrize("endpoint", ["events/list", "events/update"])
def test_a_persistent_503_is_sent_exactly_one_plus_max_retries_times(
    emu: EmulatorServer, max_retries: int, endpoint: str
) -> None:
    event_id = emu.control.bulk_events(1)["firstId"]
    emu.control.set_faults([{"endpoint": endpoint, "kind": "unavailable", "rate": 1.0, "retry_after": 0}])
    slot = CountingSlot()
    with slotted(emu, slot, retry=RetryPolicy(max_retries=max_retries)) as client, pytest.raises(ServerError):
        if endpoint == "events/list":
            client.list_events_page()
        else:
            client.update_event(event_id, name="Renamed")
    assert requests_to(emu, endpoint) == {"503": 1 + max_retries}
    assert slot.entries == slot.exits == 1 + max_retries


def test_a_4xx_is_sent_exactly_once(emu: EmulatorServer) -> None:
    slot = CountingSlot()
    with slotted(emu, slot, retry=RetryPolicy(max_retries=3)) as client, pytest.raises(NotFoundError):
        client.update_event(987654, name="x")
    assert requests_to(emu, "events/update") == {"404": 1}
    assert slot.entries == slot.exits == 1


def test_the_slot_is_released_while_a_call_waits_out_its_backoff(emu: EmulatorServer) -> None:
    event_id = emu.control.bulk_events(1)["firstId"]
    emu.control.set_faults(
        [{"endpoint": "sessions/list", "kind": "unavailable", "rate": 1.0, "times": 2, "retry_after": 0}]
    )
    slot = CountingSlot()
    held_while_waiting: list[int] = []
    most_while_other_ran: list[int] = []

    def backoff(_seconds: float) -> None:
        """While the first call waits, another call on the same client takes the slot."""
        held_while_waiting.append(slot.holders)
        slot.most_holders = 0
        other.list_events_page()
        most_while_other_ran.append(slot.most_holders)

    with slotted(emu, slot, sleep=backoff) as client, slotted(emu, slot) as other:
        assert client.list_sessions(event_id) == []
    assert held_while_waiting == [0, 0], "nothing is held during a backoff"
    assert most_while_other_ran == [1, 1], "the other call ran alone in the slot, not beside a sleeper"
    assert slot.entries == slot.exits == count(emu, "sessions/list") + count(emu, "events/list") == 5


def test_a_ks_renewal_resend_stays_in_its_attempts_slot(emu: EmulatorServer) -> None:
    """The KS is read once the slot is held, and a 401's renewal and resend stay in it: calls queued
    for a slot when a KS expires read the renewed KS instead of each meeting a 401."""
    slot = CountingSlot()
    with slotted(emu, slot) as client:
        client.list_events_page()
        emu.control.expire_ks()
        emu.control.reset_stats()
        client.list_events_page()
    assert requests_to(emu, "events/list") == {"401": 1, "200": 1}
    assert slot.entries == slot.exits == 2 and slot.most_holders == 1


# -- concurrent pages ------------------------------------------------------------------------


def test_pages_after_the_first_are_fetched_concurrently_in_the_callers_context(emu: EmulatorServer) -> None:
    emu.control.bulk_events(40, name_prefix="Bulk")
    emu.control.reset_stats()
    slot = CountingSlot(pool_barrier=threading.Barrier(2))
    token = MARK.set("the caller's run")
    try:
        with slotted(emu, slot) as client:
            events = client.list_all_events()
    finally:
        MARK.reset(token)
    assert len({e.id for e in events}) == len(events) == 40
    assert [e.id for e in events] == sorted(e.id for e in events), "page order is kept"
    assert count(emu, "events/list") == 3
    assert slot.seen_marks == ["the caller's run"] * 3, "every page saw the caller's context"
    assert len(slot.threads) == 3, "pages 2 and 3 met at the barrier, each on its own thread"


def test_page_concurrency_is_bounded(emu: EmulatorServer) -> None:
    emu.control.bulk_events(15 * (PAGE_CONCURRENCY + 4), name_prefix="Bulk")
    slot = CountingSlot()
    with slotted(emu, slot) as client:
        assert len(client.list_all_events()) == 15 * (PAGE_CONCURRENCY + 4)
    assert slot.most_holders <= PAGE_CONCURRENCY
    assert slot.entries == PAGE_CONCURRENCY + 4


def test_team_members_and_event_users_page_through_the_same_helper(
    client: EventsClient, emu: EmulatorServer
) -> None:
    event = create(client)
    for i in range(PEOPLE_PAGE_SIZE + 5):
        client.create_team_member(
            email=f"m{i}@example.com", role="Organizer", first_name="M", last_name=f"{i}"
        )
        client.invite_event_user(event.id, first_name="U", last_name=f"{i}", email=f"u{i}@example.com")
    emu.control.reset_stats()
    assert len({m.id for m in client.list_team_members()}) == PEOPLE_PAGE_SIZE + 5
    assert len({u.id for u in client.list_event_users(event.id)}) == PEOPLE_PAGE_SIZE + 5
    assert (count(emu, "team-members/list"), count(emu, "event-users/list")) == (2, 2)


def test_error_excerpts_keep_ids_and_drop_tokens() -> None:
    ks = build_ks_v2("f" * 32, 1, "someone", session_type=ADMIN)
    text = f"template 0123456789abcdef01234567 refused; KS {ks}; secret {'a1' * 16}; pass hunter2"
    shown = excerpt(text, sensitive=("hunter2",), limit=500)
    assert (
        shown
        == "template 0123456789abcdef01234567 refused; KS [redacted]; secret [redacted]; pass [redacted]"
    )
