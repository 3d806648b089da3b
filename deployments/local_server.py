"""Start and stop a real ``prefect server start`` for the demo, end-to-end tests and benchmarks.

A server of our own, with its own PREFECT_HOME, keeps runs off the user's
profile and avoids the ephemeral per-process server, whose shutdown printed
ERROR lines and tracebacks here. Its output goes to a log file, so the
console stays readable.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import httpx


def configured_api_url() -> str | None:
    """The Prefect API URL as Prefect itself resolves it: the environment, then the active profile.

    ``prefect config set PREFECT_API_URL=...`` writes the profile; a command that
    read only the environment started a server of its own, whose runs never
    reached the user's UI and whose locks no other run could see.
    """
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return str(url) if url else None


def prefect_home() -> Path:
    """The user's Prefect home, as Prefect resolves it (before any server of ours replaces it)."""
    from prefect.settings import get_current_settings

    return Path(get_current_settings().home).expanduser()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prefect_env(home: Path, api_url: str | None = None, database_url: str | None = None) -> dict[str, str]:
    """The environment a child process needs to use this server and nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_TO_API_BATCH_INTERVAL="0.3",
        PREFECT_SERVER_LOGGING_LEVEL="WARNING",
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    if database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    return env


class PrefectServer:
    """``prefect server start`` on a free loopback port; stopped (and its home removed) on exit."""

    def __init__(
        self,
        *,
        home: Path | None = None,
        port: int | None = None,
        database_url: str | None = None,
        startup_timeout: float = 90.0,
    ) -> None:
        self._own_home = home is None
        self.home = home or Path(tempfile.mkdtemp(prefix="kaltura-events-prefect-"))
        self.port = port or free_port()
        self.database_url = database_url
        self.startup_timeout = startup_timeout
        self.log_path = self.home / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return prefect_env(self.home, self.api_url)

    @contextmanager
    def in_this_process(self) -> Iterator[None]:
        """Point this process's Prefect at the server while the block runs.

        Prefect fixes its settings when it is first imported, so changing the
        environment afterwards would not reach it: its own temporary settings do.
        """
        from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: self.api_url, PREFECT_HOME: str(self.home)}):
            yield

    def start(self) -> PrefectServer:
        self.home.mkdir(parents=True, exist_ok=True)
        server_env = prefect_env(self.home, database_url=self.database_url)
        # The UI asks its API at PREFECT_UI_API_URL, which defaults to port 4200
        # whatever port the server listens on: without this the UI of a server on
        # any other port shows "Can't connect to Server API".
        server_env["PREFECT_UI_API_URL"] = self.api_url
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"prefect server exited early; see {self.log_path}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"prefect server did not answer within {self.startup_timeout:g} s")

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            flush_to_server()
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self._own_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> PrefectServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def flush_to_server() -> None:
    """Send this process's queued Prefect logs and events while the server is still up.

    Stopped first, the server leaves them undelivered, and Prefect prints
    "--- Error logging to API ---" after a command's own last line. Nothing
    to send where this process never imported Prefect's log handler.
    """
    if "prefect.logging.handlers" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    EventsWorker.drain_all()
