"""Shared fixtures: one real emulator server per test session, reset before each test.

Starting uvicorn once and resetting it through ``/_emulator/reset`` keeps the
suite fast while every test still starts from an empty platform with default
config, no faults and zeroed stats.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import httpx
import pytest

from kaltura_events.api.ks import ADMIN, build_ks_v2
from kaltura_events.emulator.config import DEFAULT_USER_ID, EmulatorConfig
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawApiV3, RawEventsApi


def pytest_configure(config: pytest.Config) -> None:
    """Every process the tests start gets SIGINT's default handling, however the suite was started.

    A shell starts a background command (``make test &``, a CI runner's script)
    with SIGINT ignored, and children inherit that. ``prefect worker start``
    answers SIGTERM by sending itself SIGINT, so such a worker ignored the
    tests' stop and was killed only after its 30 s grace: 30 to 60 s of every
    stack's teardown.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    server = EmulatorServer(EmulatorConfig())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emu(emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    """The session's emulator with empty state, default config, no faults and fresh stats."""
    emulator.control.reset()
    yield emulator


@pytest.fixture
def admin_ks(emu: EmulatorServer) -> str:
    """A valid ADMIN KS for the emulator's partner, for the default events user."""
    return build_ks_v2(emu.admin_secret, emu.partner_id, DEFAULT_USER_ID, session_type=ADMIN)


@pytest.fixture
def events_http(emu: EmulatorServer, admin_ks: str) -> Iterator[httpx.Client]:
    """A raw httpx client on the Events Platform API, with the admin KS as a Bearer token."""
    with httpx.Client(
        base_url=emu.events_api_url, headers={"Authorization": f"Bearer {admin_ks}"}, timeout=10.0
    ) as client:
        yield client


@pytest.fixture
def events_api(emu: EmulatorServer, admin_ks: str) -> Iterator[RawEventsApi]:
    """Raw Events Platform calls with the admin KS (``.ok(endpoint, body)``, ``.create_event(...)``)."""
    with RawEventsApi(emu.events_api_url, admin_ks) as api:
        yield api


@pytest.fixture
def api_v3(emu: EmulatorServer) -> Iterator[RawApiV3]:
    """Raw API v3 calls (form-encoded or JSON) against the emulator."""
    with RawApiV3(emu.service_url) as api:
        yield api


@pytest.fixture
def apps(emu: EmulatorServer, admin_ks: str) -> Iterator[RawEventsApi]:
    """Raw App Registry calls with the admin KS."""
    with RawEventsApi(emu.app_registry_url, admin_ks) as api:
        yield api


@pytest.fixture
def profiles(emu: EmulatorServer, admin_ks: str) -> Iterator[RawEventsApi]:
    """Raw User Profile calls with the admin KS (a module may name its own client so)."""
    with RawEventsApi(emu.user_profile_url, admin_ks) as api:
        yield api


@pytest.fixture
def guid(events_api: RawEventsApi, apps: RawEventsApi) -> str:
    """The App Registry GUID of a new event's app (§14 of the App Registry guide)."""
    event = events_api.create_event()
    found: str = apps.ok("app-registry/list", {"filter": {"appCustomIdIn": [str(event["id"])]}})["objects"][
        0
    ]["id"]
    return found


@pytest.fixture
def ada(api_v3: RawApiV3, admin_ks: str) -> str:
    """An API v3 user, ``ada@example.com``, who may have User Profile profiles."""
    api_v3.call("user", "add", json={"ks": admin_ks, "user": {"id": "ada@example.com"}})
    return "ada@example.com"
