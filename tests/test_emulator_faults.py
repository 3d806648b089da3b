"""Injected faults do what they say (over real TCP), are reproducible from a seed, and are counted."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawApiV3, RawEventsApi

EVENT = {
    "templateId": "tm0000",
    "name": "Faulty town hall",
    "startDate": "2025-05-01T14:00:00Z",
    "endDate": "2025-05-01T16:00:00Z",
    "timezone": "UTC",
}


def events_named(emu: EmulatorServer, name: str) -> list[dict[str, Any]]:
    return [event for event in emu.control.state()["events"] if event["name"] == name]


def test_error_before_commit_changes_nothing(emu: EmulatorServer, events_api: RawEventsApi) -> None:
    emu.control.set_faults([{"endpoint": "events/create", "kind": "error_before_commit"}])
    response = events_api.post("events/create", EVENT)
    assert response.status_code == 500
    assert response.json() == {"status": "OperationNotAllowed", "message": "Internal server error"}
    assert events_named(emu, EVENT["name"]) == []
    stats = emu.control.stats()
    assert stats["writes"]["events/create"] == {"attempted": 1, "committed": 0}
    assert stats["faults_injected"] == {"events/create": {"error_before_commit": 1}}


def test_error_after_commit_created_the_event(emu: EmulatorServer, events_api: RawEventsApi) -> None:
    emu.control.set_faults([{"endpoint": "events/create", "kind": "error_after_commit"}])
    assert events_api.post("events/create", EVENT).status_code == 500
    found = events_api.ok("events/list", {"filter": {"searchTerm": "faulty town"}})
    assert found["totalCount"] == 1, "the documented 500-but-created"
    stats = emu.control.stats()
    assert stats["requests"]["events/create"] == {"500": 1}
    assert stats["writes"]["events/create"] == {"attempted": 1, "committed": 1}
    assert len(emu.control.state()["categories"]) > 0, "the whole create committed, categories too"


def test_timeout_after_commit_hangs_past_the_client_timeout(emu: EmulatorServer, admin_ks: str) -> None:
    emu.control.reset(hang_seconds=0.8)
    emu.control.set_faults([{"endpoint": "events/create", "kind": "timeout_after_commit", "times": 1}])
    started = time.monotonic()
    with RawEventsApi(emu.events_api_url, admin_ks, timeout=0.3) as api, pytest.raises(httpx.ReadTimeout):
        api.post("events/create", EVENT)
    assert time.monotonic() - started >= 0.25, "the client waited its own timeout, not the hang"
    assert len(events_named(emu, EVENT["name"])) == 1
    assert emu.control.stats()["in_flight"] == 1, "the server is still hanging on it"
    deadline = time.monotonic() + 3
    while emu.control.stats()["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.05)
    stats = emu.control.stats()
    assert stats["requests"]["events/create"] == {"timeout": 1}
    assert stats["writes"]["events/create"] == {"attempted": 1, "committed": 1}


def test_reset_drops_the_connection_after_commit(emu: EmulatorServer, events_api: RawEventsApi) -> None:
    emu.control.set_faults([{"endpoint": "writes", "kind": "reset", "times": 1}])
    with pytest.raises(httpx.TransportError) as raised:
        events_api.post("events/create", EVENT)
    assert not isinstance(raised.value, httpx.TimeoutException)
    assert len(events_named(emu, EVENT["name"])) == 1
    assert events_api.post("events/list", {}).status_code == 200, "the client reconnects afterwards"
    stats = emu.control.stats()
    assert stats["requests"]["events/create"] == {"reset": 1}
    assert stats["writes"]["events/create"]["committed"] == 1


def test_reset_on_api_v3(emu: EmulatorServer, api_v3: RawApiV3, admin_ks: str) -> None:
    emu.control.set_faults([{"endpoint": "category.list", "kind": "reset", "times": 1}])
    with pytest.raises(httpx.TransportError):
        api_v3.call("category", "list", form={"ks": admin_ks})
    assert api_v3.call("category", "list", form={"ks": admin_ks})["totalCount"] == 0


@pytest.mark.parametrize(("kind", "status"), [("rate_limit", 429), ("unavailable", 503)])
def test_rate_limit_and_unavailable_carry_retry_after(
    emu: EmulatorServer, events_api: RawEventsApi, kind: str, status: int
) -> None:
    emu.control.set_faults([{"endpoint": "*", "kind": kind, "retry_after": 2, "times": 1}])
    response = events_api.post("events/create", EVENT)
    assert response.status_code == status and response.headers["Retry-After"] == "2"
    assert response.json()["status"] in {"RateLimitReached", "OperationNotAllowed"}
    assert events_named(emu, EVENT["name"]) == []
    assert events_api.post("events/create", EVENT).status_code == 200, "times: 1 injects once"


def test_writes_target_spares_reads(
    emu: EmulatorServer, events_api: RawEventsApi, api_v3: RawApiV3, admin_ks: str
) -> None:
    emu.control.set_faults([{"endpoint": "writes", "kind": "error_before_commit"}])
    assert events_api.post("events/list", {}).status_code == 200
    assert api_v3.call("category", "list", form={"ks": admin_ks})["totalCount"] == 0
    assert events_api.post("events/create", EVENT).status_code == 500
    assert api_v3.response("category", "delete", form={"ks": admin_ks, "id": "1"}).status_code == 500
    emu.control.clear_faults()
    assert events_api.post("events/create", EVENT).status_code == 200


def statuses(api: RawEventsApi, count: int, noise: RawApiV3 | None = None, ks: str = "") -> list[int]:
    seen = []
    for _ in range(count):
        seen.append(api.post("events/list", {}).status_code)
        if noise is not None:
            noise.response("category", "list", form={"ks": ks})
    return seen


def test_faults_are_deterministic_per_seed_and_endpoint(
    emu: EmulatorServer, events_api: RawEventsApi, api_v3: RawApiV3, admin_ks: str
) -> None:
    rules = [{"endpoint": "*", "kind": "rate_limit", "rate": 0.5, "retry_after": 0}]
    emu.control.set_faults(rules, seed=7)
    first = statuses(events_api, 30)
    emu.control.set_faults(rules, seed=7)
    interleaved = statuses(events_api, 30, noise=api_v3, ks=admin_ks)
    emu.control.set_faults(rules, seed=8)
    other_seed = statuses(events_api, 30)
    assert first == interleaved, "another endpoint's traffic does not shift this endpoint's draws"
    assert set(first) == {200, 429}
    assert first != other_seed


def test_mixed_spreads_over_the_kinds(emu: EmulatorServer, admin_ks: str) -> None:
    emu.control.reset(hang_seconds=0.05)
    emu.control.set_faults([{"endpoint": "writes", "kind": "mixed", "rate": 1.0, "retry_after": 0}], seed=3)
    outcomes = []
    with RawEventsApi(emu.events_api_url, admin_ks, timeout=2) as api:
        for index in range(40):
            try:
                outcomes.append(api.post("events/create", {**EVENT, "name": f"Mixed {index}"}).status_code)
            except httpx.TransportError:
                outcomes.append(-1)
    injected = emu.control.stats()["faults_injected"]["events/create"]
    assert set(injected) == {
        "error_before_commit",
        "error_after_commit",
        "timeout_after_commit",
        "reset",
        "rate_limit",
    }
    assert sum(injected.values()) == 40
    assert set(outcomes) == {500, 429, 200, -1}, "a short hang answers late with the real 200"


def test_bad_fault_rules_are_refused(emu: EmulatorServer) -> None:
    from kaltura_events.emulator.control_client import EmulatorControlError

    for rule in (
        {"endpoint": "events/craete", "kind": "reset"},
        {"endpoint": "*", "kind": "explode"},
        {"endpoint": "*", "kind": "reset", "rate": 2},
        {"endpoint": "*", "kind": "reset", "colour": "red"},
    ):
        with pytest.raises(EmulatorControlError):
            emu.control.set_faults([rule])
    assert emu.control.state()["faults"]["rules"] == []


def test_latency_and_jitter(emu: EmulatorServer, events_api: RawEventsApi) -> None:
    emu.control.set_faults([], latency_ms=100, jitter_ms=20)
    started = time.monotonic()
    for _ in range(3):
        events_api.post("events/list", {})
    assert time.monotonic() - started >= 0.24, "three calls of 100 +- 20 ms"
    emu.control.set_faults([], latency_ms=30_000)
    started = time.monotonic()
    emu.control.state()
    assert time.monotonic() - started < 10, "control endpoints are not delayed by the 30 s latency"


def test_stats_count_requests_and_max_in_flight(
    emu: EmulatorServer, admin_ks: str, events_api: RawEventsApi
) -> None:
    events_api.post("events/create", EVENT)
    events_api.post("events/create", {})
    events_api.post("events/list", {})
    httpx.post(f"{emu.events_api_url}/events/list", json={})
    emu.control.state()
    stats = emu.control.stats()
    assert stats["requests"] == {"events/create": {"200": 1, "400": 1}, "events/list": {"200": 1, "401": 1}}
    assert (stats["reads"], stats["write_requests"], stats["writes_committed"]) == (2, 2, 1)
    assert stats["in_flight"] == 0 and stats["max_in_flight"] == 1

    emu.control.reset_stats()
    emu.control.set_faults([], latency_ms=300)
    barrier = threading.Barrier(5)

    def one() -> None:
        with RawEventsApi(emu.events_api_url, admin_ks) as api:
            barrier.wait()
            api.post("events/list", {})

    threads = [threading.Thread(target=one) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = emu.control.stats()
    assert stats["max_in_flight"] == 5 and stats["in_flight"] == 0
    assert stats["requests"] == {"events/list": {"200": 5}}
    # Five requests of at least 300 ms each, side by side: about five at once over the active stretch.
    assert stats["busy_seconds"] >= 5 * 0.3
    assert 0.3 <= stats["active_seconds"] < stats["busy_seconds"]
    assert stats["busy_seconds"] / stats["active_seconds"] > 3
    metrics = httpx.get(f"{emu.base_url}/metrics").text
    assert 'emulator_requests_total{endpoint="events/list",status="200"} 5' in metrics
