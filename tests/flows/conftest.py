"""Flow tests: one Prefect test harness for this package, and credentials for the emulator.

The harness starts a real temporary Prefect server once (5-10 s); every flow
test then runs real flow and task runs against it. It stops with the last flow
test rather than at the end of the session, like the other packages' servers:
nothing of it runs under later tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from kaltura_events.credentials import KalturaCredentials, close_cached_clients
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.formats.paths import WORK_ROOT_ENV

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="package", autouse=True)
def prefect_harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(autouse=True)
def work_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs here reach what a deployment's would: the checkout (relative paths start there, as in
    our deployments) and, as a second root, the test's own folder for the files it writes."""
    monkeypatch.setenv(WORK_ROOT_ENV, f"{CHECKOUT}{os.pathsep}{tmp_path}")
    return tmp_path


@pytest.fixture
def creds(emu: EmulatorServer) -> Iterator[KalturaCredentials]:
    """Credentials for the emulator with short retry delays, so fault tests stay fast."""
    yield KalturaCredentials.from_env(emu.exports).model_copy(
        update={"retry_base_delay_seconds": 0.01, "request_timeout_seconds": 2.0}
    )
    close_cached_clients()
