"""Every shell command of README.md, run as a reader runs it, so an example cannot drift from the code.

The blocks are read with a Markdown parser (tests/e2e/readme.py) and run in
one terminal session: one bash per command, whose exported variables, working
directory and ``$?`` carry over to the next, in a copy of the checkout with
the example events file at its top. The module has one emulator, started as
``kaltura-events emulator`` with the ``export`` lines it prints pasted, and one
Prefect server: the one the Deployments section's step 1 starts. Steps 1-4
(server, setup, deploy, worker) run first, because every other command uses
that server as the README says they do (``PREFECT_API_URL`` from the profile);
the other blocks follow in README order, each after the blocks it builds on.

A command passes when it exits as its README comment says (0 unless it says
otherwise), prints no ERROR line and no traceback, and shows no secret. A
command the README leaves running (``# leave it running``) is started in the
background, waited for until it is ready, and its whole output is checked for
ERROR lines when the module ends.

What the session changes, and why:

- the README's fixed ports (4200, 8765, 8787) become free ports, and the
  example account 101 of a lock's name becomes the emulator's partner, so
  the module can run beside other tests;
- ``NAME=...`` is the reader's own value: the session's (the emulator's) stands in;
- ``PREFECT_WORKER_QUERY_SECONDS=1`` makes the worker pick a run up at once.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from deployments.events_file import _columns
from deployments.local_server import free_port
from flows.sync_events_file import COLUMNS
from kaltura_events.api.ks import ADMIN, build_ks_v2
from kaltura_events.emulator.config import DEFAULT_USER_ID, EmulatorConfig
from kaltura_events.emulator.server import EmulatorProcess
from kaltura_events.emulator.testing import RawEventsApi
from tests.e2e.conftest import REPO_ROOT, BackgroundCommand, Completed, run_command, sweep
from tests.e2e.readme import (
    SHELL_LANGUAGES,
    SKIP,
    Command,
    ShellBlock,
    fences,
    markers,
    plan_tables,
    read_plan_table,
    shell_blocks,
)

README = REPO_ROOT / "README.md"
SETUP_HEADINGS = ("1. A Prefect server", "2. Work pool", "3. Deploy", "4. A worker")
"""The Deployments section's steps that make the session's one Prefect server, deployments and worker."""
CHECKOUT_PARTS = ("flows", "tasks", "deployments", "examples")
COMMAND_TIMEOUT = 600.0
START_TIMEOUT = 120.0
ERROR_LINE = re.compile(r"^.*\bERROR\b.*$|^Traceback \(most recent call last\):$", re.MULTILINE)
PLACEHOLDER = re.compile(r"\b([A-Z][A-Z0-9_]*)=\.\.\.(?=\s|$)")
SHELL_STATE = frozenset({"_", "SHLVL", "PWD", "OLDPWD"})
SECRET_VARIABLES = ("KALTURA_ADMIN_SECRET", "KALTURA_WEBHOOK_TOKEN")
NOT_SHELL = frozenset({"", "yaml", "json"})
"""Fence languages that are not commands: files, and (no language) what commands print."""
READY = {
    "prefect server start": "Check out the dashboard at",
    "prefect worker start": "started!",
    "kaltura-events webhooks serve": "Ctrl-C stops it.",
}
"""What a command the README leaves running prints once it is up."""


def _is_setup(block: ShellBlock) -> bool:
    return block.heading.startswith(SETUP_HEADINGS)


def ordered_blocks() -> list[ShellBlock]:
    """The setup steps first, then every other block in README order."""
    blocks = shell_blocks(README)
    return [b for b in blocks if _is_setup(b)] + [b for b in blocks if not _is_setup(b)]


# -- the reader's terminal -----------------------------------------------------------------


@dataclass
class ReadmeShell:
    """A terminal a reader types the README's commands into."""

    env: dict[str, str]
    cwd: Path
    logs: Path
    substitutions: list[tuple[str, str]]
    server_health: str
    last_status: int = 0
    background: list[tuple[Command, BackgroundCommand]] = field(default_factory=list)
    outcomes: dict[int, list[tuple[Command, Completed]]] = field(default_factory=dict)

    def as_run(self, command: Command) -> str:
        text = command.text
        for readme, here in self.substitutions:
            text = text.replace(readme, here)
        return PLACEHOLDER.sub(r'\1="$\1"', text)

    def run(self, command: Command) -> Completed:
        """One command in its own bash, starting from the state the previous one left."""
        state = self.logs / "shell-state"
        script = (
            f"(exit {self.last_status})\n{self.as_run(command)}\n"
            f"__readme_status=$?\nenv -0 > {shlex.quote(str(state))}\nexit $__readme_status\n"
        )
        result = run_command(["bash", "-c", script], self.env, COMMAND_TIMEOUT, self.cwd)
        variables = dict(v.split("=", 1) for v in state.read_text().split("\0") if "=" in v)
        self.cwd = Path(variables.get("PWD", str(self.cwd)))
        self.env = {k: v for k, v in variables.items() if k not in SHELL_STATE}
        self.last_status = result.returncode
        return result

    def start(self, command: Command) -> BackgroundCommand:
        """A command left running in a terminal of its own, once it says it is up."""
        ready = READY.get(command.program)
        assert ready is not None, (
            f"README.md:{command.line}: the test does not know when {command.program!r} is up"
        )
        log = self.logs / f"line-{command.line}.log"
        process = BackgroundCommand(["bash", "-c", f"exec {self.as_run(command)}"], self.env, log, self.cwd)
        self.background.append((command, process.start()))
        deadline = time.monotonic() + START_TIMEOUT
        while ready not in process.log():
            if not process.running or time.monotonic() > deadline:
                raise AssertionError(
                    f"README.md:{command.line}: `{command.text}` did not start:\n{process.log()}"
                )
            time.sleep(0.3)
        if command.program == "prefect server start":
            self._wait_for(self.server_health, process, command)
        return process

    @staticmethod
    def _wait_for(url: str, process: BackgroundCommand, command: Command) -> None:
        """The banner comes before the API answers; the next command needs the API."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.running:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"README.md:{command.line}: {url} did not answer:\n{process.log()}")

    def run_block(self, block: ShellBlock) -> list[tuple[Command, Completed]]:
        outcomes = []
        for command in block.commands():
            if command.background:
                process = self.start(command)
                outcomes.append((command, Completed([command.text], 0, process.log(), "")))
            else:
                outcomes.append((command, self.run(command)))
            check(self, *outcomes[-1])
        self.outcomes[block.line] = outcomes
        return outcomes

    def secrets(self) -> dict[str, str]:
        return {name: self.env[name] for name in SECRET_VARIABLES if self.env.get(name)}

    def stop(self) -> None:
        for _, process in reversed(self.background):
            process.stop()


def check(shell: ReadmeShell, command: Command, result: Completed) -> None:
    """Exits as the README says, and prints no ERROR line, no traceback and no secret."""
    where = f"README.md:{command.line}: `{command.text}`"
    assert result.returncode in command.exit_codes, (
        f"{where} exited {result.returncode}, the README says {sorted(command.exit_codes)}:\n"
        f"{result.output[-6000:]}"
    )
    errors = ERROR_LINE.findall(result.output)
    assert not errors, f"{where} printed:\n" + "\n".join(errors) + f"\n\n{result.output[-6000:]}"
    leaked = [name for name, value in shell.secrets().items() if value in result.output]
    assert not leaked, f"{where} printed {leaked}"


def checkout(into: Path) -> Path:
    """The repository's flows, tasks, deployments and examples, and the example events file at the top.

    The Events-as-code commands name ``kaltura-events.yaml`` as a reader's own file, beside its audience.
    """
    into.mkdir()
    ignore = shutil.ignore_patterns("__pycache__")
    for part in CHECKOUT_PARTS:
        shutil.copytree(REPO_ROOT / part, into / part, ignore=ignore)
    examples = REPO_ROOT / "examples"
    shutil.copy(examples / "kaltura-events.yaml", into)
    shutil.copy(examples / "kaltura-events.schema.json", into)
    shutil.copytree(examples / "audiences", into / "audiences")
    return into


def pasted_exports(emulator: EmulatorProcess) -> dict[str, str]:
    """The ``export`` lines the emulator's banner prints, as a shell reads them."""
    exports = {}
    for line in emulator.output().splitlines():
        if line.startswith("export "):
            name, _, value = shlex.split(line)[1].partition("=")
            exports[name] = value
    assert {"KALTURA_EVENTS_API_URL", "KALTURA_USER_PROFILE_URL"} <= exports.keys(), emulator.output()
    return exports


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess(EmulatorConfig(duplicate_seconds=0.3))
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def shell(emulator: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadmeShell]:
    """The terminal after the Deployments section's steps 1-4: a server, setup, the deployments, a worker."""
    root = tmp_path_factory.mktemp("readme")
    home = root / "prefect-home"
    home.mkdir()
    server_port, receiver_port = free_port(), free_port()
    emulator_port = emulator.base_url.rsplit(":", 1)[1]
    partner = str(emulator.config.partner_id)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KALTURA_"))}
    env.update(
        PATH=path,
        PREFECT_HOME=str(home),
        PREFECT_SERVER_API_PORT=str(server_port),
        PREFECT_WORKER_QUERY_SECONDS="1",
        PYTHONUNBUFFERED="1",
        **pasted_exports(emulator),
    )
    session = ReadmeShell(
        env=env,
        cwd=checkout(root / "checkout"),
        logs=root,
        substitutions=[
            ("127.0.0.1:4200", f"127.0.0.1:{server_port}"),
            ("127.0.0.1:8765", f"127.0.0.1:{emulator_port}"),
            ("--port 8787", f"--port {receiver_port}"),
            ("kaltura-series-101-", f"kaltura-series-{partner}-"),
        ],
        server_health=f"http://127.0.0.1:{server_port}/api/health",
    )
    try:
        for block in ordered_blocks():
            if _is_setup(block):
                session.run_block(block)
        yield session
    finally:
        session.stop()
        sweep(f"PREFECT_HOME={home}")


# -- every block is accounted for -------------------------------------------------------------


def test_every_shell_block_is_run_or_skipped_with_a_reason() -> None:
    """A new example is run unless a marker before it says why not, and the test knows how to run it."""
    blocks = shell_blocks(README)
    assert blocks, "the README has no shell blocks: is the parser reading it?"
    for block in blocks:
        if block.marker is not None:
            assert block.skip_reason, f"{block.label}: a marker must read `skip (why)`, not {block.marker!r}"
            continue
        commands = block.commands()
        assert commands, f"{block.label}: a shell block with no command"
        for command in commands:
            assert not command.background or command.program in READY, (
                f"README.md:{command.line}: left running, but the test does not know when "
                f"{command.program!r} is up; add what it prints to READY"
            )
    placed = {b.line for b in blocks}
    for line, body in markers(README):
        assert SKIP.fullmatch(body), f"README.md:{line}: unknown readme-test marker {body!r}"
        assert line + 1 in placed, f"README.md:{line}: the marker does not stand just before a shell block"
    for line, language, text in fences(README):
        assert language in SHELL_LANGUAGES | NOT_SHELL, (
            f"README.md:{line}: a ```{language} block: is it shell (then name it bash) or not (NOT_SHELL)?"
        )
        assert language or not text.startswith("$ "), f"README.md:{line}: a command: fence it as console"


def test_the_readmes_plan_tables_are_laid_out_as_plan_prints_them() -> None:
    """Columns from the plan's own list, in its order, aligned by its own formatter."""
    tables = plan_tables(README)
    assert len(tables) >= 2, "the README's plan examples (an update, the duplicates) were not found"
    for line, text in tables:
        table = read_plan_table(text)
        assert [c for c in COLUMNS if c in table.header] == list(table.header), (
            f"README.md:{line}: columns {table.header} are not plan's {COLUMNS} in order"
        )
        assert _columns(table.header, table.rows) == text.rstrip("\n"), (
            f"README.md:{line}: the table is not aligned as plan aligns it"
        )


# -- the blocks, run ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "block",
    # A block marked skip is no test at all: a skip in CI's log would read as a test that could
    # not run. test_every_shell_block_is_run_or_skipped_with_a_reason holds each marker to a reason.
    [b for b in ordered_blocks() if not b.skip_reason],
    ids=lambda b: f"line{b.line}",
)
def test_readme_block_runs_as_the_readme_says(block: ShellBlock, shell: ReadmeShell) -> None:
    outcomes = shell.outcomes.get(block.line) or shell.run_block(block)
    assert [c.line for c, _ in outcomes] == [c.line for c in block.commands()]
    for command, result in outcomes:
        check(shell, command, result)


@pytest.mark.slow
def test_the_duplicates_example_is_what_plan_prints(shell: ReadmeShell, emulator: EmulatorProcess) -> None:
    """The README's "Duplicates" table against a real plan of the same two duplicates, ids and dates aside.

    A file with the example's two series is applied; then, as overlapping
    runs left them, a second event for the first occurrence of each: nobody
    on `weekly`'s; on `town-hall`'s two people the plan does not invite,
    while the four people of its audience attended the original.
    """
    [(line, text)] = [(n, t) for n, t in plan_tables(README) if "duplicate:" in t]
    example = read_plan_table(text)
    audience = [
        {"email": f"staff{n}@example.com", "first_name": "Staff", "last_name": f"Member{n}"} for n in range(4)
    ]
    timing = {"timezone": "Europe/Paris", "duration_minutes": 60, "horizon_days": 14}
    timing["starts_on"] = (date.today() + timedelta(days=7)).isoformat()
    series: list[dict[str, Any]] = [
        {"key": "weekly", "name": "Weekly Sync", "rrule": "FREQ=WEEKLY;BYDAY=MO", "start_time": "10:00"},
        {"key": "town-hall", "name": "Town Hall", "rrule": "FREQ=WEEKLY;BYDAY=TU", "start_time": "17:00"},
    ]
    series[1]["audience"] = {"people": audience}
    file = {"name": "readme-duplicates", "series": [{**s, **timing, "template_id": "tm0000"} for s in series]}
    folder = shell.cwd / "duplicates"
    folder.mkdir(exist_ok=True)
    (folder / "kaltura-events.yaml").write_text(yaml.safe_dump(file))
    apply = Command("kaltura-events apply duplicates/kaltura-events.yaml", line, frozenset({0}), False)
    check(shell, apply, shell.run(apply))

    ks = build_ks_v2(emulator.config.admin_secret, emulator.partner_id, DEFAULT_USER_ID, session_type=ADMIN)
    with RawEventsApi(emulator.events_api_url, ks) as api:
        for key in ("weekly", "town-hall"):
            made = [e for e in emulator.control.state()["events"] if f"kev-series:{key}" in e["labels"]]
            original = min(made, key=lambda e: e["startDate"])
            extra = api.create_event(
                original["name"],
                start=original["startDate"],
                end=original["endDate"],
                timezone="Europe/Paris",
            )
            api.ok("events/update", {"id": extra["id"], "labels": original["labels"]})
        for n in (1, 2):
            guest = {"firstName": "Guest", "lastName": f"Number{n}", "email": f"guest{n}@example.com"}
            api.ok("event-users/invite", {"eventId": extra["id"], "roles": ["Attendees"], **guest})
    emulator.control.mark_attendance(original["id"], [p["email"] for p in audience], "attended")

    plan = Command("kaltura-events plan duplicates/kaltura-events.yaml", line, frozenset({2}), False)
    result = shell.run(plan)
    check(shell, plan, result)
    printed = read_plan_table("\n".join(result.stdout.splitlines()[:-1]))  # the last line is the summary
    assert printed.header == example.header, (
        f"README.md:{line}: the example's columns {example.header}, plan prints {printed.header}:\n"
        f"{result.stdout}"
    )
    assert {r["series"]: shape(r) for r in printed.rows} == {r["series"]: shape(r) for r in example.rows}, (
        f"README.md:{line}: the example's rows are not plan's:\n{result.stdout}"
    )


def shape(row: dict[str, str]) -> dict[str, str]:
    """A row with every number as 0: ids and dates differ between the example and a run, the rest must not."""
    return {column: re.sub(r"\d+", "0", value) for column, value in row.items()}


@pytest.mark.slow
def test_the_readmes_long_running_commands_logged_no_error(shell: ReadmeShell) -> None:
    """What the server, the worker and the receiver printed over the whole module."""
    assert shell.background, "no command was left running"
    for command, process in shell.background:
        assert process.running, f"README.md:{command.line}: `{command.text}` stopped:\n{process.log()}"
        errors = ERROR_LINE.findall(without_sqlite_lock_contention(process.log()))
        assert not errors, f"README.md:{command.line}: `{command.text}` logged:\n" + "\n".join(errors)


RECORD_START = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \| ", re.MULTILINE)


def without_sqlite_lock_contention(log: str) -> str:
    """The log less the Prefect server's records of SQLite refusing a write it will make again.

    A SQLite-backed ``prefect server start`` logs ERROR with a traceback when
    two of its own writes collide ("database is locked"), e.g. a worker's
    heartbeat while it records a run; the next heartbeat is persisted. Seen
    once in a fresh-clone CI run (2026-12-07) and not in the one before it:
    it is Prefect's SQLite under load, not a README command gone wrong.
    Every other ERROR line and traceback still fails the test.
    """
    starts = [m.start() for m in RECORD_START.finditer(log)]
    if not starts:
        return log
    kept = [log[: starts[0]]]
    for begin, end in zip(starts, [*starts[1:], len(log)], strict=True):
        record = log[begin:end]
        if "| prefect.server" in record and "database is locked" in record:
            continue
        kept.append(record)
    return "".join(kept)


def test_only_the_servers_sqlite_lock_records_are_set_aside() -> None:
    log = (
        "Starting...\n"
        "21:37:22.789 | ERROR   | prefect.server.utilities.worker_channel - heartbeat persistence failed\n"
        "Traceback (most recent call last):\n"
        "sqlite3.OperationalError: database is locked\n"
        "21:37:23.001 | INFO    | prefect.server - fine\n"
        "21:37:24.002 | ERROR   | prefect.server.api - something else\n"
        "Traceback (most recent call last):\n"
        "ValueError: boom\n"
        "21:37:25.003 | ERROR   | prefect.flow_runs - database is locked, said a flow\n"
    )
    left = ERROR_LINE.findall(without_sqlite_lock_contention(log))
    assert left == [
        "21:37:24.002 | ERROR   | prefect.server.api - something else",
        "Traceback (most recent call last):",
        "21:37:25.003 | ERROR   | prefect.flow_runs - database is locked, said a flow",
    ]
