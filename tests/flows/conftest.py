"""Flow tests: one Prefect test harness per session, and credentials for the emulator.

The harness starts a real temporary Prefect server once (5-10 s); every flow
test then runs real flow and task runs against it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.testing.utilities import prefect_test_harness

from kaltura_events.credentials import KalturaCredentials, close_cached_clients
from kaltura_events.emulator.server import EmulatorServer


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def creds(emu: EmulatorServer) -> Iterator[KalturaCredentials]:
    """Credentials for the emulator with short retry delays, so fault tests stay fast."""
    yield KalturaCredentials.from_env(emu.exports).model_copy(
        update={"retry_base_delay_seconds": 0.01, "request_timeout_seconds": 2.0}
    )
    close_cached_clients()
