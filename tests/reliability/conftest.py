"""Reliability fixtures: one emulator process, one real Prefect server, one secret book for this package.

Everything runs against a real ``prefect server start`` whose PREFECT_HOME
this package owns, so the secret scan can read its database and result
storage afterwards. They stop after the package's last test, the scan: kept for
the session, the idle server would share the 2 cores with every later test.
The emulator runs as its own process (standing in for remote Kaltura, and
surviving a SIGKILLed flow process) with an admin secret and partner id made
for this run, so finding them anywhere means a leak.

Copied, not imported, from tests/conftest.py and tests/flows/conftest.py:
those fixtures use an in-thread emulator and a throw-away harness, which
would leave nothing to scan.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_HOME,
    PREFECT_RESULTS_PERSIST_BY_DEFAULT,
    temporary_settings,
)
from pydantic import SecretStr

from deployments.local_server import PrefectServer
from kaltura_events.credentials import KalturaCredentials, close_cached_clients
from kaltura_events.emulator.config import DEFAULT_USER_ID, EmulatorConfig
from kaltura_events.emulator.server import EmulatorProcess
from tests.reliability.support import SecretBook

PARTNER_ID = 7391034
"""Not the emulator's default, so a KS prefix found in a scan can only come from this session."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "secret_scan: runs after every other reliability test")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The secret scan reads what the other reliability tests left behind, so it goes right after
    the last of them: still inside this package, whose server and emulator it scans."""
    here = Path(__file__).parent
    scans = [item for item in items if item.get_closest_marker("secret_scan")]
    if not scans:
        return
    rest = [item for item in items if item not in scans]
    ours = [index for index, item in enumerate(rest) if item.path.is_relative_to(here)]
    cut = ours[-1] + 1 if ours else len(rest)
    items[:] = rest[:cut] + scans + rest[cut:]


class _Recorder(logging.Handler):
    """Keeps every log record, formatted with its traceback, for the secret scan."""

    def __init__(self, book: SecretBook) -> None:
        super().__init__(logging.NOTSET)
        self.book = book
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception as exc:  # a record that cannot format is still scanned, raw
            line = f"{record.msg!r} {record.args!r} ({exc})"
        with self.book.lock:
            self.book.log_lines.append(line)


@pytest.fixture(scope="package")
def book() -> Iterator[SecretBook]:
    """The session's secrets, plus every log line captured in this process while the suite runs."""
    book = SecretBook(admin_secret=f"rel-admin-{secrets.token_hex(20)}", partner_id=PARTNER_ID)
    recorder = _Recorder(book)
    # Prefect's internal loggers do not propagate to the root logger.
    loggers = [
        logging.getLogger(),
        logging.getLogger("prefect._internal"),
        logging.getLogger("prefect.extra"),
    ]
    for logger in loggers:
        logger.addHandler(recorder)
    try:
        yield book
    finally:
        for logger in loggers:
            logger.removeHandler(recorder)


@pytest.fixture(scope="package")
def emulator(book: SecretBook) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(EmulatorConfig(partner_id=PARTNER_ID, admin_secret=book.admin_secret)) as process:
        yield process


@pytest.fixture
def emu(emulator: EmulatorProcess) -> EmulatorProcess:
    """The session's emulator, emptied: default config, no faults, fresh stats."""
    emulator.control.reset()
    return emulator


@pytest.fixture(scope="package")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prefect-home")


@pytest.fixture(scope="package")
def prefect_server(prefect_home: Path) -> Iterator[PrefectServer]:
    with PrefectServer(home=prefect_home) as server:
        yield server


def _drain_prefect_workers() -> None:
    """Flush and stop the log and event workers, so the next ones talk to the server now configured."""
    APILogWorker.drain_all(timeout=30)
    EventsWorker.drain_all(timeout=30)


@pytest.fixture(scope="package", autouse=True)
def prefect_api(prefect_server: PrefectServer, prefect_home: Path, book: SecretBook) -> Iterator[None]:
    """Run this directory's flows against our server; results persist so storage is scanned too."""
    _drain_prefect_workers()
    with temporary_settings(
        updates={
            PREFECT_API_URL: prefect_server.api_url,
            PREFECT_HOME: prefect_home,
            PREFECT_RESULTS_PERSIST_BY_DEFAULT: True,
        }
    ):
        try:
            yield
        finally:
            _drain_prefect_workers()


def credentials_for(emulator: EmulatorProcess, **overrides: Any) -> KalturaCredentials:
    """Admin-secret credentials for the emulator; fast retries so fault tests stay quick."""
    settings: dict[str, Any] = {
        "events_api_url": emulator.events_api_url,
        "service_url": emulator.service_url,
        "partner_id": emulator.partner_id,
        "admin_secret": SecretStr(emulator.admin_secret),
        "user_id": DEFAULT_USER_ID,
        "retry_base_delay_seconds": 0.01,
        "request_timeout_seconds": 5.0,
    }
    settings.update(overrides)
    if "ks" in overrides or "app_token" in overrides:
        settings.pop("admin_secret")
    return KalturaCredentials(**settings)


@pytest.fixture
def creds(emu: EmulatorProcess) -> Iterator[KalturaCredentials]:
    yield credentials_for(emu)
    close_cached_clients()


def app_token_credentials(
    emulator: EmulatorProcess, book: SecretBook, **overrides: Any
) -> KalturaCredentials:
    """Credentials through an app token made now (an emulator reset forgets app tokens)."""
    token = emulator.control.create_app_token("SHA256", session_user_id=DEFAULT_USER_ID, session_type=2)
    book.app_tokens.append(str(token["token"]))
    return credentials_for(
        emulator, app_token_id=str(token["id"]), app_token=SecretStr(str(token["token"])), **overrides
    )
