"""Running the emulator: in a background thread, as a subprocess, or in the foreground (CLI).

The listening socket is bound here before uvicorn starts, so port 0 gets a
free port with no race, and the URL is known before the first request.
Injected hangs and lock holds are woken on stop, so stopping is quick and
quiet (no "cancelled task" errors, no tracebacks).
"""

from __future__ import annotations

import collections
import ipaddress
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO

import httpx
import uvicorn

from kaltura_events.emulator.app import create_app
from kaltura_events.emulator.config import ADMIN_SECRET_ENV, DEFAULT_USER_ID, EmulatorConfig
from kaltura_events.emulator.control_client import EmulatorControl
from kaltura_events.emulator.services.app_registry.service import PREFIX as APP_REGISTRY_PREFIX
from kaltura_events.emulator.services.messaging.service import PREFIX as MESSAGING_PREFIX
from kaltura_events.emulator.services.user_profile.service import PREFIX as USER_PROFILE_PREFIX

LOOPBACK_HOST = "127.0.0.1"
BASE_URL_MARKER = "Base URL: "
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket; connections that arrive before uvicorn runs wait in the backlog.

    ``IPPROTO_TCP`` must be explicit: asyncio only sets TCP_NODELAY on accepted
    sockets whose protocol says TCP, and without it every response waits ~40 ms
    for a delayed ACK between its header and body writes.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def base_url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def app_registry_url(base_url: str) -> str:
    """The App Registry's base URL (its guide's ``.../api/v1``), under its prefix on the one port."""
    return f"{base_url}{APP_REGISTRY_PREFIX.rstrip('/')}"


def user_profile_url(base_url: str) -> str:
    """User Profile's base URL (its guide's ``.../api/v1``), under its prefix on the one port."""
    return f"{base_url}{USER_PROFILE_PREFIX.rstrip('/')}"


def messaging_url(base_url: str) -> str:
    """The Messaging service's base URL (its guide's ``.../api/v1``), under its prefix on the one port."""
    return f"{base_url}{MESSAGING_PREFIX.rstrip('/')}"


class _QuietServer(uvicorn.Server):
    """uvicorn that wakes the emulator's sleepers on exit and does not re-raise the signal.

    uvicorn re-raises a captured SIGINT/SIGTERM after shutting down, which turns a
    clean Ctrl-C into a KeyboardInterrupt (or a death by SIGTERM); the emulator
    has nothing left to do by then, so it exits with status 0 instead.
    """

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._on_exit()
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        else:
            self.should_exit = True


def _uvicorn_config(app: object) -> uvicorn.Config:
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_level="warning",
        access_log=False,
        log_config=None,
        lifespan="off",
    )


class _Endpoints:
    """What both runners derive from a base URL and a config: URLs, credentials, the control client."""

    _control: EmulatorControl | None = None

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    @property
    def emulator_config(self) -> EmulatorConfig:
        raise NotImplementedError

    @property
    def events_api_url(self) -> str:
        return f"{self.base_url}/api/v1"

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/api_v3"

    @property
    def app_registry_url(self) -> str:
        return app_registry_url(self.base_url)

    @property
    def user_profile_url(self) -> str:
        return user_profile_url(self.base_url)

    @property
    def messaging_url(self) -> str:
        return messaging_url(self.base_url)

    @property
    def partner_id(self) -> int:
        return self.emulator_config.partner_id

    @property
    def admin_secret(self) -> str:
        return self.emulator_config.admin_secret

    @property
    def user_id(self) -> str:
        return DEFAULT_USER_ID

    @property
    def exports(self) -> dict[str, str]:
        return exports(self.base_url, self.emulator_config)

    @property
    def control(self) -> EmulatorControl:
        if self._control is None:
            self._control = EmulatorControl(self.base_url)
        return self._control


class EmulatorServer(_Endpoints):
    """The emulator on a background thread of this process: the fast choice for tests."""

    def __init__(
        self, config: EmulatorConfig | None = None, *, host: str = LOOPBACK_HOST, port: int = 0
    ) -> None:
        self.app = create_app(config or EmulatorConfig())
        self.runtime = self.app.runtime
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._server: _QuietServer | None = None
        self._thread: threading.Thread | None = None
        self._control: EmulatorControl | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator has not been started")
        return self._port

    @property
    def base_url(self) -> str:
        return base_url_for(self.host, self.port)

    @property
    def emulator_config(self) -> EmulatorConfig:
        return self.runtime.config

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        if self.running:
            return self
        sock = bind_socket(self.host, self._port or self._requested_port)
        self._port = sock.getsockname()[1]
        self.runtime.resume()
        server = _QuietServer(_uvicorn_config(self.app), on_exit=self.runtime.begin_shutdown)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"kaltura-emulator-{self._port}", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError(f"the emulator did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (idempotent); state stays, and ``start()`` serves it again on the same port."""
        if self._control is not None:
            self._control.close()
            self._control = None
        self.runtime.begin_shutdown()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise RuntimeError("the emulator thread did not stop in time")
        self._server = self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def exports(base_url: str, config: EmulatorConfig) -> dict[str, str]:
    """The ``KALTURA_*`` variables a client reads, for this emulator: the one place they are spelled.

    Scripts paste them, tests and the demo build their credentials from them
    (``KalturaCredentials.from_env(emulator.exports)``), so a service added
    here reaches every client at once.
    """
    return {
        "KALTURA_EVENTS_API_URL": f"{base_url}/api/v1",
        "KALTURA_SERVICE_URL": f"{base_url}/api_v3",
        "KALTURA_APP_REGISTRY_URL": app_registry_url(base_url),
        "KALTURA_USER_PROFILE_URL": user_profile_url(base_url),
        "KALTURA_MESSAGING_URL": messaging_url(base_url),
        "KALTURA_PARTNER_ID": str(config.partner_id),
        "KALTURA_ADMIN_SECRET": config.admin_secret,
        "KALTURA_USER_ID": DEFAULT_USER_ID,
    }


def banner(base_url: str, config: EmulatorConfig) -> str:
    """What the CLI prints: the URLs and a block of exports ready to paste into a shell."""
    lines = [
        f"Kaltura Events emulator for partner {config.partner_id}",
        f"  {BASE_URL_MARKER}{base_url}",
        f"  Events Platform API: {base_url}/api/v1",
        f"  API v3 service URL:  {base_url}/api_v3",
        f"  App Registry:        {app_registry_url(base_url)}",
        f"  User Profile:        {user_profile_url(base_url)}",
        f"  Messaging:           {messaging_url(base_url)}",
        f"  Control and state:   {base_url}/_emulator/state",
        "",
        "Point a client at it (paste into a shell):",
        *(f"export {name}={shlex.quote(value)}" for name, value in exports(base_url, config).items()),
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def serve_forever(config: EmulatorConfig, host: str, port: int, out: IO[str] | None = None) -> int:
    """Serve in the foreground until SIGINT/SIGTERM; returns the exit status."""
    stream = out or sys.stdout
    app = create_app(config)
    sock = bind_socket(host, port)
    print(banner(base_url_for(host, sock.getsockname()[1]), config), file=stream, flush=True)
    server = _QuietServer(_uvicorn_config(app), on_exit=app.runtime.begin_shutdown)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("Emulator stopped.", file=stream, flush=True)
    return 0


class EmulatorProcess(_Endpoints):
    """The emulator as ``python -m kaltura_events.cli emulator`` in a child process.

    For crash tests (``kill()`` loses all state, like a real outage) and
    end-to-end runs that must not share this process's threads.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = LOOPBACK_HOST,
        port: int = 0,
        python: str = sys.executable,
        startup_timeout: float = 30.0,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.host = host
        self._requested_port = port
        self._python = python
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[str] | None = None
        self._readers: list[threading.Thread] = []
        self._output: collections.deque[str] = collections.deque(maxlen=2000)
        self._ready = threading.Event()
        self._base_url: str | None = None
        self._faults_file: str | None = None
        self._control: EmulatorControl | None = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the emulator process has not been started")
        return self._base_url

    @property
    def emulator_config(self) -> EmulatorConfig:
        return self.config

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def output(self) -> str:
        """What the child printed on stdout and stderr (last 2000 lines)."""
        return "\n".join(self._output)

    def _command(self, port: int) -> list[str]:
        c = self.config
        command = [
            self._python, "-m", "kaltura_events.cli", "emulator",
            "--host", self.host, "--port", str(port),
            "--partner-id", str(c.partner_id),
            "--latency-ms", str(c.latency_ms), "--jitter-ms", str(c.jitter_ms),
            "--duplicate-seconds", str(c.duplicate_seconds),
            "--category-lock-seconds", str(c.category_lock_seconds),
            "--hang-seconds", str(c.hang_seconds), "--offset-mode", c.offset_mode,
            "--seed", str(c.seed), "--first-event-id", str(c.first_event_id),
        ]  # fmt: skip
        if c.faults:
            if self._faults_file is None:
                handle, self._faults_file = tempfile.mkstemp(prefix="emulator-faults-", suffix=".json")
                with os.fdopen(handle, "w") as file:
                    json.dump({"rules": c.faults}, file)
            command += ["--faults", self._faults_file]
        return command

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            line = line.rstrip("\n")
            self._output.append(line)
            marker = line.find(BASE_URL_MARKER)
            if marker >= 0 and not self._ready.is_set():
                self._base_url = line[marker + len(BASE_URL_MARKER) :].strip()
                self._ready.set()
        stream.close()

    def start(self) -> EmulatorProcess:
        """Start the child and wait until it answers; a restart after ``kill()`` reuses the port."""
        if self._process is not None and self._process.poll() is None:
            return self
        port = self._requested_port
        if self._base_url is not None:
            port = int(self._base_url.rsplit(":", 1)[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        env[ADMIN_SECRET_ENV] = self.config.admin_secret  # not in argv, where `ps` would show it
        self._ready.clear()
        process = subprocess.Popen(
            self._command(port),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self._process = process
        assert process.stdout is not None and process.stderr is not None
        self._readers = [
            threading.Thread(
                target=self._read, args=(stream,), name=f"emulator-{name}-{process.pid}", daemon=True
            )
            for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))
        ]
        for reader in self._readers:
            reader.start()
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._reap()
                raise RuntimeError(f"the emulator process exited with {process.returncode}:\n{self.output()}")
            if self._ready.is_set() and self._healthy():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the emulator process did not become ready:\n{self.output()}")

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/_emulator/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def _reap(self) -> None:
        for reader in self._readers:
            reader.join(5.0)
        self._readers = []
        if self._control is not None:
            self._control.close()
            self._control = None

    def kill(self) -> None:
        """SIGKILL, like a crash: no graceful shutdown, all state lost."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10.0)
        self._reap()

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (a clean exit, status 0), then SIGKILL if it does not go; returns the exit status."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        self._reap()
        if self._faults_file is not None:
            Path(self._faults_file).unlink(missing_ok=True)
            self._faults_file = None
        return None if process is None else process.returncode

    def restart(self) -> EmulatorProcess:
        self.kill()
        return self.start()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
