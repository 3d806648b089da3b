"""End-to-end fixtures: a real Prefect server, the work pool, the deployments, workers and the emulator.

The tests drive everything the way a user does: through ``prefect`` and
``kaltura-events`` commands in subprocesses, with the commands the README
shows, so a broken README step fails here. Every process is started by a
fixture and stopped in its ``finally``, process group and all; a last sweep
stops anything still carrying the stack's unique PREFECT_HOME (a flow run a
worker left behind), so nothing outlives the tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest

from deployments.local_server import PrefectServer
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.server import EmulatorProcess
from tests.e2e.postgres import API_LIMIT, admin_dsn, database_dsn, run_admin, unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
PREFECT_YAML = Path("deployments/prefect.yaml")
POOL = "kaltura-events"
CREDENTIALS_NAME = "kaltura"
CLI_TIMEOUT = 120.0
RUN_TIMEOUT = 240
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


# -- commands ----------------------------------------------------------------------


def run_command(
    args: Sequence[str], env: Mapping[str, str], timeout: float = CLI_TIMEOUT, cwd: Path = REPO_ROOT
) -> Completed:
    """One CLI command, from the repository root unless told otherwise; output captured for assertions."""
    process = subprocess.run(
        list(args),
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Completed(list(args), process.returncode, process.stdout, process.stderr)


@dataclass(frozen=True)
class Completed:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return f"{self.stdout}\n{self.stderr}"

    def check(self) -> Completed:
        if self.returncode != 0:
            shown = " ".join(self.args[2:])
            raise AssertionError(f"`{shown}` exited {self.returncode}:\n{self.output[-6000:]}")
        return self


def prefect(env: Mapping[str, str], *args: str, timeout: float = CLI_TIMEOUT) -> Completed:
    return run_command([sys.executable, "-m", "prefect", *args], env, timeout)


def kaltura_events(env: Mapping[str, str], *args: str, timeout: float = CLI_TIMEOUT) -> Completed:
    return run_command([sys.executable, "-m", "kaltura_events.cli", *args], env, timeout)


def without_kaltura(env: Mapping[str, str]) -> dict[str, str]:
    """Workers get no KALTURA_* variables, so a passing run proves the saved Block was used."""
    return {k: v for k, v in env.items() if not k.startswith("KALTURA_")}


def without_prefect(env: Mapping[str, str]) -> dict[str, str]:
    """A CI runner's environment: nothing of Prefect's until the workflow sets it."""
    return {k: v for k, v in env.items() if not k.startswith("PREFECT_")}


def emulator_variables(emulator: EmulatorProcess) -> dict[str, str]:
    """The KALTURA_* variables a user would export for the emulator (its banner prints them)."""
    return dict(emulator.exports)


# -- processes -------------------------------------------------------------------------


def _stop_group(process: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """SIGTERM to the process group (the worker and anything it started), then SIGKILL."""
    _stop_groups([process], grace)


def _stop_groups(processes: Sequence[subprocess.Popen[bytes]], grace: float = 30.0) -> None:
    """SIGTERM to every group at once, then SIGKILL to those still running after ``grace``.

    All at once: stopped one after another, two workers could take twice the grace.
    """
    running = [process for process in processes if process.poll() is None]
    for process in running:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10.0)


class Worker:
    """``prefect worker start`` on the pool, polling every second, started outside the repository.

    Starting it elsewhere proves the deployments' pull step, not the worker's
    own directory, puts flow runs in the repository root.
    """

    def __init__(self, env: Mapping[str, str], name: str, log_dir: Path, limit: int | None = None) -> None:
        self.env = {**env, "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_HEARTBEAT_SECONDS": "5"}
        self.name = name
        self.limit = limit
        self.log_path = log_dir / f"{name}.log"
        self.cwd = log_dir / f"{name}-cwd"
        self.cwd.mkdir(parents=True, exist_ok=True)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", self.name]
        if self.limit is not None:
            command += ["--limit", str(self.limit)]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while "started!" not in self.log():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"worker {self.name} did not start:\n{self.log()}")
            time.sleep(0.2)
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        Worker.stop_all([self])

    @staticmethod
    def stop_all(workers: Sequence[Worker]) -> None:
        """Stop the workers together (``_stop_groups``)."""
        processes = []
        for worker in workers:
            process, worker._process = worker._process, None
            if process is not None:
                processes.append(process)
        _stop_groups(processes)

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class BackgroundCommand:
    """A long-running command of ours (``python deployments/serve.py``), stopped with its group."""

    def __init__(
        self, args: Sequence[str], env: Mapping[str, str], log_path: Path, cwd: Path = REPO_ROOT
    ) -> None:
        self.args = list(args)
        self.env = dict(env)
        self.log_path = log_path
        self.cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> BackgroundCommand:
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self.args,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> int | None:
        process, self._process = self._process, None
        if process is None:
            return None
        _stop_group(process)
        return process.returncode

    def kill(self) -> None:
        """SIGKILL the whole group, as the OOM killer or a lost machine would: no cleanup runs."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=30)

    def wait(self, timeout: float) -> int:
        assert self._process is not None
        return self._process.wait(timeout=timeout)


def processes_marked(marker: str) -> list[int]:
    """Our processes whose environment holds ``marker`` exactly (Linux /proc; elsewhere none are found)."""
    needle = marker.encode()
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            variables = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in variables:
            found.append(int(entry.name))
    return found


def sweep(marker: str, grace: float = 10.0) -> list[int]:
    """Stop every process still carrying ``marker``; returns their pids (empty when all were stopped)."""
    strays = processes_marked(marker)
    for pid in strays:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while processes_marked(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in processes_marked(marker):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return strays


# -- the stack ---------------------------------------------------------------------------


@dataclass
class RunResult:
    """What ``prefect deployment run --watch`` gave a CI job: its exit code, its output and the run."""

    returncode: int
    output: str
    flow_run_id: str | None


class BusyServerRetries(httpx.HTTPTransport):
    """Retry 429, 502 and 503 a few times, as Prefect's own client does.

    A SQLite-backed server answers 503 while its database is locked, which
    happens when it is still ingesting an earlier run's events.
    """

    RETRIES = 5

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        for attempt in range(self.RETRIES):
            if response.status_code not in (429, 502, 503):
                break
            response.read()
            response.close()
            time.sleep(min(0.5 * 2**attempt, 8.0))
            response = super().handle_request(request)
        return response


@dataclass
class Stack:
    server: PrefectServer
    emulator: EmulatorProcess
    env: dict[str, str]
    workers: list[Worker] = field(default_factory=list)
    _api: httpx.Client | None = None

    @property
    def api(self) -> httpx.Client:
        if self._api is None:
            self._api = httpx.Client(
                base_url=self.server.api_url, timeout=30.0, transport=BusyServerRetries()
            )
        return self._api

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None

    def run_deployment(
        self, name: str, parameters: Mapping[str, Any], timeout: int = RUN_TIMEOUT
    ) -> RunResult:
        """``prefect deployment run NAME -p key=<json> ... --watch``, exactly as a CI job runs it."""
        args = ["deployment", "run", name, "--watch", "--watch-timeout", str(timeout)]
        for key, value in parameters.items():
            args += ["-p", f"{key}={json.dumps(value)}"]
        result = prefect(self.env, *args, timeout=timeout + 60)
        match = re.search(r"UUID: ([0-9a-f-]{36})", result.stdout)
        return RunResult(result.returncode, result.output, match.group(1) if match else None)

    def deployment(self, name: str) -> dict[str, Any]:
        response = self.api.get(f"/deployments/name/{name}")
        response.raise_for_status()
        deployment: dict[str, Any] = response.json()
        return deployment

    def flow_run(self, flow_run_id: str) -> dict[str, Any]:
        response = self.api.get(f"/flow_runs/{flow_run_id}")
        response.raise_for_status()
        run: dict[str, Any] = response.json()
        return run

    def create_flow_run(self, deployment_name: str, parameters: Mapping[str, Any]) -> str:
        """What the UI's "Run" button does: a run of the deployment with these parameters, now."""
        deployment = self.deployment(deployment_name)
        response = self.api.post(
            f"/deployments/{deployment['id']}/create_flow_run", json={"parameters": dict(parameters)}
        )
        response.raise_for_status()
        return str(response.json()["id"])

    def wait_for_runs(self, ids: Sequence[str], timeout: float = RUN_TIMEOUT) -> dict[str, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            runs = {i: self.flow_run(i) for i in ids}
            pending = [i for i, run in runs.items() if (run.get("state") or {}).get("type") not in TERMINAL]
            if not pending:
                return runs
            if time.monotonic() > deadline:
                logs = "\n".join(w.log()[-3000:] for w in self.workers)
                raise AssertionError(f"{len(pending)} run(s) not finished after {timeout:g} s\n{logs}")
            time.sleep(1.0)

    def worker_logs(self) -> str:
        return "\n".join(f"--- {w.name}\n{w.log()[-4000:]}" for w in self.workers)


SERVER_PROFILE = {
    # What the README asks of a server: stream flow-run logs to `prefect deployment run
    # --watch`, so a CI job prints why a run failed.
    "PREFECT_SERVER_LOGS_STREAM_OUT_ENABLED": "true",
    "PREFECT_SERVER_LOGS_STREAM_PUBLISHING_ENABLED": "true",
    # A run queued behind the teardown deployment's concurrency limit retries after this
    # many seconds (Prefect's default is 30); the tests need not wait that long.
    "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "2",
    # How often the server frees the leases of holders that died (Prefect's default is 15 s):
    # the lease itself (60 s at least) is what a killed holder costs, not this loop.
    "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": "2",
}


SCHEDULES_TESTED = frozenset({"schedule-all-hands/weekly"})
"""The one schedule a test reads (its upcoming runs). The others are paused once deployed: the
watcher's every-5-minutes runs started a flow-run process on the 2 cores every 5 minutes of every
stack, and no test reads them."""


def pause_schedules_but(stack: Stack, kept: Collection[str]) -> None:
    """Pause every deployment schedule except those of the ``flow/deployment`` names in ``kept``.

    The server deletes a paused schedule's runs that were still only scheduled.
    """
    flows = {flow["id"]: flow["name"] for flow in stack.api.post("/flows/filter", json={}).json()}
    for deployment in stack.api.post("/deployments/filter", json={}).json():
        if f"{flows[deployment['flow_id']]}/{deployment['name']}" in kept:
            continue
        for schedule in deployment["schedules"]:
            if schedule["active"]:
                stack.api.patch(
                    f"/deployments/{deployment['id']}/schedules/{schedule['id']}", json={"active": False}
                ).raise_for_status()


def prefect_home() -> Path:
    """A fresh PREFECT_HOME whose active profile holds SERVER_PROFILE; the caller removes it."""
    home = Path(tempfile.mkdtemp(prefix="kaltura-events-e2e-"))
    settings = "".join(f'{name} = "{value}"\n' for name, value in SERVER_PROFILE.items())
    (home / "profiles.toml").write_text(f'active = "e2e"\n\n[profiles.e2e]\n{settings}')
    return home


@contextmanager
def deployed_stack(
    log_dir: Path,
    *,
    database_url: str | None = None,
    workers: int = 1,
    worker_limit: int | None = None,
    api_limit: int = 8,
    emulator_config: EmulatorConfig | None = None,
) -> Iterator[Stack]:
    """A Prefect server set up with the README's commands, the deployments, workers and the emulator.

    1. ``prefect server start`` on a free port with its own PREFECT_HOME;
    2. ``prefect work-pool create``; ``kaltura-events setup`` with the emulator's
       KALTURA_* variables (Block type, credentials "kaltura", kaltura-api limit);
    3. ``prefect deploy --prefect-file deployments/prefect.yaml --all``, then every schedule
       but SCHEDULES_TESTED paused;
    4. ``prefect worker start`` (without KALTURA_* variables).
    """
    home = prefect_home()
    server = PrefectServer(home=home, database_url=database_url)
    marker = f"PREFECT_HOME={home}"
    emulator = EmulatorProcess(emulator_config or EmulatorConfig(duplicate_seconds=0.3))
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, home, ignore_errors=True)
        cleanup.callback(sweep, marker)
        cleanup.callback(server.stop)
        server.start()
        cleanup.callback(emulator.stop)
        emulator.start()
        env = {**without_kaltura(server.env()), "COLUMNS": "200"}
        prefect(env, "work-pool", "create", POOL, "--type", "process").check()
        kaltura_events({**env, **emulator_variables(emulator)}, "setup", "--limit", str(api_limit)).check()
        prefect(env, "deploy", "--prefect-file", str(PREFECT_YAML), "--all").check()
        stack = Stack(server, emulator, env)
        cleanup.callback(stack.close)
        pause_schedules_but(stack, SCHEDULES_TESTED)
        cleanup.callback(Worker.stop_all, stack.workers)
        for number in range(1, workers + 1):
            worker = Worker(env, f"e2e-worker-{number}", log_dir, limit=worker_limit)
            stack.workers.append(worker)
            worker.start()
        yield stack


@pytest.fixture(scope="package")
def sqlite_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One SQLite-backed stack for the end-to-end and parameter-schema tests (about 20 s to build).

    Stopped with the last end-to-end test: kept for the session, its idle server and worker (which
    polls every second) took about 5% of a core under every later test."""
    with deployed_stack(tmp_path_factory.mktemp("e2e-sqlite")) as stack:
        yield stack


# -- a browser on the Prefect UI ---------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UI_SHOTS_VARIABLE = "KALTURA_EVENTS_UI_SHOTS"


@pytest.fixture(scope="session")
def ui_shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests save their screenshots: $KALTURA_EVENTS_UI_SHOTS, else a temporary folder."""
    named = os.environ.get(UI_SHOTS_VARIABLE)
    folder = Path(named) if named else tmp_path_factory.mktemp("ui-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def ui_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One page of Debian's Chromium (`make test` installs it), driven by Playwright, for one module.

    Closed with the module: a page left on the Prefect UI keeps polling and
    rendering, and took most of a core from every test after it.

    Playwright's own browser download is not used: this machine cannot fetch it,
    and the distribution's Chromium is patched by the distribution.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; install it with `apt-get install -y chromium` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(30_000)
        try:
            yield context.new_page()
        finally:
            context.close()


# -- a PostgreSQL-backed stack (tests/e2e/postgres.py), one per test module -------------------------


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    """A fresh, uniquely named database (SQLAlchemy URL), dropped afterwards."""
    admin = admin_dsn()
    name = f"kaltura_events_e2e_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(run_admin(admin, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach or use the server means "not available here"
        unavailable(f"{type(exc).__name__}: {exc}")
    try:
        yield database_dsn(admin, name).replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        asyncio.run(run_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def postgres_stack(postgres_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Two workers that each run at most 3 flow runs, so six runs need both of them."""
    with deployed_stack(
        tmp_path_factory.mktemp("e2e-postgres"),
        database_url=postgres_database,
        workers=2,
        worker_limit=3,
        api_limit=API_LIMIT,
        # Some latency, so concurrent requests overlap and the limit is really exercised.
        emulator_config=EmulatorConfig(latency_ms=40),
    ) as stack:
        yield stack
