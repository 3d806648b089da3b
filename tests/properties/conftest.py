"""Property tests: Hypothesis profiles, and what the examples share across one test.

A Hypothesis test runs many examples inside one call, so function-scoped
fixtures would be shared by all of them; each example resets the session's
emulator itself. ``seeded`` is seeded and small, for ``make test``;
``fuzz`` (``make fuzz``) draws many more, at random.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from prefect.testing.utilities import prefect_test_harness

from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer

settings.register_profile(
    "seeded",
    max_examples=6,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "seeded"))


@pytest.fixture(scope="package")
def prefect_harness() -> Iterator[None]:
    """One Prefect server for the modules that run flows, stopped with this package: the pure
    properties (the diffs) run none, and a server start costs 5-10 s, more under load."""
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="module")
def emulator_credentials(emulator: EmulatorServer, prefect_harness: None) -> KalturaCredentials:
    """Credentials for flow runs, so the Prefect server comes with them."""
    return KalturaCredentials.from_env(emulator.exports).model_copy(
        update={"retry_base_delay_seconds": 0.01, "request_timeout_seconds": 2.0}
    )
