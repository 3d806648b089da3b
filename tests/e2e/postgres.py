"""A PostgreSQL-backed Prefect stack, shared by the end-to-end modules that need one.

PostgreSQL is expected on 127.0.0.1:5432 with trust auth (override with
KALTURA_EVENTS_POSTGRES_DSN). Without it the tests skip and say why, unless
KALTURA_EVENTS_REQUIRE_POSTGRES=1 (CI sets it), which makes that a failure.
One stack per test module that asks for it (a server start, its deployments and
two workers cost about 20 s), stopped after the module: kept for the session, its
server and workers would load the 2 cores under every later test.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
API_LIMIT = 4


def admin_dsn() -> str:
    return os.environ.get("KALTURA_EVENTS_POSTGRES_DSN", DEFAULT_DSN)


def database_dsn(admin_dsn: str, name: str) -> str:
    parts = urlsplit(admin_dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def run_admin(dsn: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def unavailable(reason: str) -> None:
    parts = urlsplit(admin_dsn())  # host and port only: a DSN may carry a password
    message = f"PostgreSQL is unreachable at {parts.hostname}:{parts.port or 5432}: {reason}"
    if os.environ.get("KALTURA_EVENTS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{message} (KALTURA_EVENTS_REQUIRE_POSTGRES=1 makes this a failure)")
    pytest.skip(message)
