"""The ways to run the emulator: the CLI, a child process, a background thread; all stop cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from kaltura_events.api.ks import build_ks_v2
from kaltura_events.cli import main
from kaltura_events.emulator.config import DEFAULT_USER_ID, EmulatorConfig
from kaltura_events.emulator.server import EmulatorProcess, EmulatorServer
from kaltura_events.emulator.testing import RawEventsApi

REPO_ROOT = Path(__file__).resolve().parents[1]


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_cli_prints_urls_and_exports_then_stops_on_ctrl_c(tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"endpoint": "events/create", "kind": "rate_limit", "rate": 0.5}]))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kaltura_events.cli",
            "emulator",
            "--port",
            "0",
            "--seed",
            "3",
            "--faults",
            str(faults),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "Ctrl-C" in line:
            break
    exports = dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))
    assert set(exports) == {
        "KALTURA_EVENTS_API_URL",
        "KALTURA_SERVICE_URL",
        "KALTURA_APP_REGISTRY_URL",
        "KALTURA_USER_PROFILE_URL",
        "KALTURA_MESSAGING_URL",
        "KALTURA_PARTNER_ID",
        "KALTURA_ADMIN_SECRET",
        "KALTURA_USER_ID",
    }
    assert exports["KALTURA_EVENTS_API_URL"].startswith("http://127.0.0.1:")
    assert exports["KALTURA_EVENTS_API_URL"].endswith("/api/v1")
    assert exports["KALTURA_SERVICE_URL"] == exports["KALTURA_EVENTS_API_URL"].replace("/api/v1", "/api_v3")
    assert exports["KALTURA_USER_ID"] == DEFAULT_USER_ID
    base = exports["KALTURA_EVENTS_API_URL"].removesuffix("/api/v1")
    assert exports["KALTURA_APP_REGISTRY_URL"] == f"{base}/app-registry/api/v1"
    assert exports["KALTURA_USER_PROFILE_URL"] == f"{base}/user-profile/api/v1"
    assert exports["KALTURA_MESSAGING_URL"] == f"{base}/messaging/api/v1"
    base_url = exports["KALTURA_EVENTS_API_URL"].removesuffix("/api/v1")
    state = httpx.get(f"{base_url}/_emulator/state", timeout=5).json()
    assert state["config"]["seed"] == 3 and state["faults"]["rules"][0]["kind"] == "rate_limit"
    assert "admin_secret" not in state["config"]

    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "Traceback" not in out + err and "ERROR" not in out + err, err


def test_cli_refuses_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_cli_rejects_a_bad_faults_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"endpoint": "nowhere", "kind": "reset"}]))
    assert main(["emulator", "--port", "0", "--faults", str(faults)]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_emulator_process_survives_nothing_on_kill_and_stops_cleanly() -> None:
    config = EmulatorConfig(partner_id=1234567, admin_secret="process-secret", first_event_id=100)
    with EmulatorProcess(config) as process:
        ks = build_ks_v2(process.admin_secret, process.partner_id, DEFAULT_USER_ID)
        with RawEventsApi(process.events_api_url, ks) as api:
            assert api.create_event("Before crash")["id"] == 100
        url = process.base_url
        process.restart()
        assert process.base_url == url, "a restart keeps the URL"
        with RawEventsApi(process.events_api_url, ks) as api:
            assert api.ok("events/list", {})["totalCount"] == 0, "a crash loses all state"
        status = process.stop()
    assert status == 0
    assert "Traceback" not in process.output() and "ERROR" not in process.output()


def test_server_stops_promptly_while_a_request_hangs() -> None:
    server = EmulatorServer(EmulatorConfig(hang_seconds=30)).start()
    server.control.set_faults([{"endpoint": "events/list", "kind": "timeout_after_commit"}])
    ks = build_ks_v2(server.admin_secret, server.partner_id, DEFAULT_USER_ID)
    results: list[int] = []

    def hang() -> None:
        with RawEventsApi(server.events_api_url, ks, timeout=20) as api:
            results.append(api.post("events/list", {}).status_code)

    thread = threading.Thread(target=hang)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    thread.join(5)
    assert time.monotonic() - started < 15, "stop must not wait out the 30 s hang"
    assert results == [200]
    assert f"kaltura-emulator-{server.port}" not in {t.name for t in threading.enumerate()}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/_emulator/health", timeout=1)
