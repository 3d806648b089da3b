"""Secrets: after everything else, no KS, admin secret or app token anywhere we can look.

Runs last (see conftest.py). It first runs an end-to-end scenario in a child
process, all three flows with successes and failures, every logger at DEBUG,
with admin-secret, saved app-token Block and fixed-KS credentials. Then it
scans, for the session's admin secret, every app token made, every KS a test
built, and the prefix every KS of this partner starts with:

- every log line captured in this process, and the child's DEBUG log and output;
- the Prefect database: every cell of every table (flow-run parameters, states,
  artifacts, logs, events, block documents), and the raw database files;
- every file under PREFECT_HOME: the result storage folder, the server's log;
- the text of every exception the tests caught, with tracebacks.

A positive control proves the needles would be found: the KS the child wrote
for this purpose contains the KS prefix.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deployments.local_server import PrefectServer
from kaltura_events.emulator.server import EmulatorProcess
from tests.reliability.support import SecretBook, find_secrets
from tests.reliability.test_crash_resume import ROOT, child_env

pytestmark = [pytest.mark.reliability, pytest.mark.slow, pytest.mark.secret_scan]


def run_e2e(server: PrefectServer, emulator: EmulatorProcess, out: Path, book: SecretBook) -> None:
    env = child_env(server, emulator)
    env["REL_EMULATOR_URL"] = emulator.base_url
    done = subprocess.run(
        [sys.executable, "-m", "tests.reliability.runner", "e2e", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    book.output("e2e stdout", done.stdout)
    book.output("e2e stderr", done.stderr)
    assert done.returncode == 0, done.stderr[-3000:]
    book.app_tokens.append((out / "app_token.txt").read_text().strip())
    book.kss.append((out / "ks.txt").read_text().strip())


def database_findings(path: Path, needles: dict[str, str]) -> tuple[list[str], dict[str, int]]:
    """Every cell of every table, read through SQLite (WAL included); also how many rows each holds."""
    findings: list[str] = []
    rows: dict[str, int] = {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            count = 0
            for row in db.execute(f'SELECT * FROM "{table}"'):
                count += 1
                for cell in row:
                    if isinstance(cell, (str, bytes)):
                        findings += [f"{table}: {label}" for label in find_secrets(cell, needles)]
            rows[table] = count
    return findings, rows


def wait_for_ingestion(db_path: Path, quiet_seconds: float = 2.0, limit_seconds: float = 60.0) -> None:
    """The server records logs and events a little after they arrive; wait until the counts are still."""
    deadline = time.monotonic() + limit_seconds
    last: tuple[int, ...] = ()
    still_since = time.monotonic()
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
            counts = tuple(
                db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                for table in ("log", "task_run", "flow_run", "events")
            )
        if counts != last:
            last, still_since = counts, time.monotonic()
        elif time.monotonic() - still_since >= quiet_seconds:
            return
        time.sleep(0.5)


def test_no_secret_anywhere_after_the_suite(
    emulator: EmulatorProcess,
    prefect_server: PrefectServer,
    prefect_home: Path,
    book: SecretBook,
    tmp_path: Path,
) -> None:
    emulator.control.reset()
    out = tmp_path / "e2e"
    run_e2e(prefect_server, emulator, out, book)
    needles = book.needles()
    assert find_secrets((out / "ks.txt").read_text(), needles) == ["KS prefix", f"KS {len(book.kss) - 1}"]

    database = prefect_home / "prefect.db"
    wait_for_ingestion(database)
    findings: list[str] = []

    findings += [f"log line: {label}" for line in book.log_lines for label in find_secrets(line, needles)]
    findings += [f"exception: {label}" for text in book.exceptions for label in find_secrets(text, needles)]
    for name, text in book.outputs.items():
        findings += [f"{name}: {label}" for label in find_secrets(text, needles)]
    for name in ("debug.log", "exceptions.txt"):
        findings += [f"e2e {name}: {label}" for label in find_secrets((out / name).read_bytes(), needles)]

    in_db, rows = database_findings(database, needles)
    findings += in_db
    scanned_files = 0
    for path in sorted(prefect_home.rglob("*")):
        if path.is_file():
            scanned_files += 1
            findings += [
                f"{path.relative_to(prefect_home)}: {label}"
                for label in find_secrets(path.read_bytes(), needles)
            ]

    assert findings == [], "secrets found (labels only, never the values): " + "; ".join(
        sorted(set(findings))
    )

    # The scan had something to read: runs, logs, artifacts, saved blocks, persisted results, failures.
    assert rows["flow_run"] >= 10 and rows["task_run"] >= 50 and rows["log"] >= 100, rows
    assert rows["artifact"] >= 3 and rows["block_document"] >= 1, rows
    storage = [p for p in (prefect_home / "storage").rglob("*") if p.is_file()]
    assert storage, "no persisted results to scan"
    assert scanned_files > len(storage)
    stdout = book.outputs["e2e stdout"]
    for step in (
        "duplicate job fails: DuplicationError",
        "bad input: ParameterTypeError",
        "fixed KS expired: ",
    ):
        assert step in stdout, stdout
    assert "fixed KS expired: ok" not in stdout, stdout
    assert (out / "debug.log").stat().st_size > 10_000
    assert "AuthenticationError" in (out / "exceptions.txt").read_text()
