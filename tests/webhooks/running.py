"""The receiver as the tests run it: the app on uvicorn in a thread, or the command in its own process.

Also the Prefect server's side of it: the events a receiver posted, read
back from the server's event store.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from deployments.local_server import PrefectServer, free_port
from kaltura_events.emulator.server import LOOPBACK_HOST, base_url_for, bind_socket
from tests.webhooks.samples import PARTNER_ID, SECRET, TOKEN

PERSISTED_WITHIN = 30.0
"""The server's event persister flushes every 5 s by default."""


class ReceiverThread:
    """``with ReceiverThread(app) as server: httpx.post(server.base_url + ...)``; stopped on exit."""

    def __init__(self, app: Starlette) -> None:
        self._server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, log_config=None)
        )
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def __enter__(self) -> ReceiverThread:
        sock = bind_socket(LOOPBACK_HOST, 0)
        self.base_url = base_url_for(LOOPBACK_HOST, sock.getsockname()[1])
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the receiver did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)


def receiver_env(prefect: PrefectServer, **extra: str) -> dict[str, str]:
    env = prefect.env()
    for name in [name for name in env if name.startswith("KALTURA_")]:
        del env[name]
    env.update(
        KALTURA_WEBHOOK_TOKEN=TOKEN,
        KALTURA_ADMIN_SECRET=SECRET,
        KALTURA_PARTNER_ID=str(PARTNER_ID),
        KALTURA_USER_ID="webhooks@example.com",
        **extra,
    )
    return env


def serve_command(port: int) -> list[str]:
    return [sys.executable, "-m", "kaltura_events.cli", "webhooks", "serve", "--port", str(port)]


@contextmanager
def running_receiver(env: dict[str, str], log_path: Path, *args: str) -> Iterator[str]:
    """`kaltura-events webhooks serve` in a child process until the block ends; yields its base URL."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*serve_command(port), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the receiver exited {process.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the receiver did not answer:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        logged = log_path.read_text(errors="replace")
        assert TOKEN not in logged and SECRET not in logged, "the receiver logged a secret"


def kaltura_events(api_url: str) -> list[dict[str, Any]]:
    answer = httpx.post(
        f"{api_url}/events/filter",
        json={"filter": {"event": {"prefix": ["kaltura."]}}, "limit": 50},
        timeout=10,
    )
    answer.raise_for_status()
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def wait_for_event(api_url: str, wanted: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + PERSISTED_WITHIN
    while time.monotonic() < deadline:
        events = kaltura_events(api_url)
        if any(event["id"] == wanted for event in events):
            return events
        time.sleep(0.5)
    raise AssertionError(f"event {wanted} did not arrive within {PERSISTED_WITHIN:g} s")
