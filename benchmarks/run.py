"""``make bench``: the six scenarios, their bounds and ratios, a profile, and BENCHMARKS.md.

Everything runs in this one process against two local servers started here:
``prefect server start`` (its own PREFECT_HOME, so no run touches the user's
profile) and the emulator as a child process on 127.0.0.1 with 50 ms latency,
standing in for remote Kaltura. Their start-up time is printed apart. P1 also
runs with both servers pinned to one core and this process to the other
("P1 pinned"), which separates sharing cores with the server from CPU per call.

Prefect's console log lines (one per task run) go to a file instead of the
terminal: they are still formatted and written, so the cost stays in the
figures, but the table stays readable.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from benchmarks.scratch import scratch_root
from deployments.local_server import PrefectServer
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.server import EmulatorProcess

if TYPE_CHECKING:
    from benchmarks.scenarios import ScenarioResult

LATENCY_MS = 50.0
ROOT = Path(__file__).resolve().parents[1]


def quiet_prefect_console(log: TextIO) -> None:
    """Point Prefect's console handlers at ``log``; called after Prefect configured logging."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in logging.root.manager.loggerDict)]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, PrefectConsoleHandler):
                handler.setStream(log)
                handler.console.file = log


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per scenario (default 3)")
    parser.add_argument("--no-profile", action="store_true", help="skip the profile")
    parser.add_argument(
        "--markdown", type=Path, default=ROOT / "BENCHMARKS.md", help="where to write the table"
    )
    parser.add_argument(
        "--only",
        choices=["P1", "P3", "P5", "E", "A", "R", "C", "O", "P6"],
        action="append",
        help="run only these (P1 includes P2, P4 and P1 pinned)",
    )
    parser.add_argument("--no-pin", action="store_true", help="skip the pinned P1 row")
    args = parser.parse_args(argv)
    selected = set(args.only or ["P1", "P3", "P5", "E", "A", "R", "C", "O", "P6"])

    startup: dict[str, float] = {}
    began = time.perf_counter()
    server = PrefectServer().start()
    startup["Prefect server"] = time.perf_counter() - began
    console_log_dir = Path(tempfile.mkdtemp(prefix="kaltura-events-bench-"))
    try:
        # Prefect reads its settings once, at import: point it at our server first.
        os.environ.update(server.env())
        began = time.perf_counter()
        with EmulatorProcess(EmulatorConfig(latency_ms=LATENCY_MS)) as emulator:
            startup["emulator"] = time.perf_counter() - began
            with (console_log_dir / "prefect-console.log").open("w") as log:
                return _run(args, selected, server, emulator, startup, log)
    finally:
        # Kept: the server's home (and its log) goes with it, and a slow round's 503s are in there.
        with suppress(OSError):
            shutil.copyfile(server.log_path, console_log_dir / "prefect-server.log")
            print(f"Prefect server log {console_log_dir / 'prefect-server.log'}")
        server.stop()


def _run(
    args: argparse.Namespace,
    selected: set[str],
    server: PrefectServer,
    emulator: EmulatorProcess,
    startup: dict[str, float],
    log: TextIO,
) -> int:
    from benchmarks import report
    from benchmarks.scenarios import Bench, occupancy_note

    load_at_start = report.load_average()

    quiet_prefect_console(log)
    bench = Bench(emulator, server.api_url, args.repeats, server_log=server.log_path)
    print(f"Prefect server {server.api_url}; emulator {emulator.base_url}; Prefect console log {log.name}")
    print(f"Load average (1/5/15 min): {load_at_start}; other work on this machine shows up in every figure")
    results: list[ScenarioResult] = []
    extra: list[str] = []
    if "P1" in selected:
        print("P1, P2, P4, P1 pinned ...", flush=True)
        servers = None if args.no_pin else list(_server_pids(server, emulator).values())
        p1, p2, p4, p1_pinned = bench.p1_p2_p4(servers)
        if p1_pinned is not None:
            results.append(p1_pinned)
        print("P1 as a plain sequential httpx script ...", flush=True)
        sequential = bench.sequential()
        speedup = sequential.seconds / p1.median
        extra.append(
            f"P1 sequential httpx script, same {sequential.total} calls one after another: "
            f"{sequential.seconds:.3f} s; the flow run (median {p1.median:.3f} s) is {speedup:.1f}x faster"
        )
        print("P1 on plain threads, without Prefect ...", flush=True)
        floors = [bench.threads_floor() for _ in range(args.repeats)]
        floor = min(seconds for seconds, _ in floors)
        extra.append(occupancy_note("P1 on plain threads", [occupancy for _, occupancy in floors]))
        one_call = bench.round_trip()
        extra.append(
            f"P1 on plain threads (same calls, same dependencies, same client, 8 in flight, no Prefect): "
            f"best {floor:.3f} s, ratio {floor / (p1.bound or 1):.2f}; Prefect's share of the flow run's "
            f"median is {p1.median - floor:.3f} s"
        )
        own = (one_call / (LATENCY_MS / 1000) - 1) * 100
        extra.append(
            f"One call with nothing else in flight: {one_call * 1000:.1f} ms at L = {LATENCY_MS:.0f} ms "
            f"(the emulator's own handling adds {own:.0f}% to L)"
        )
        results += [p1, p2]
    if "P3" in selected:
        print("P3 ...", flush=True)
        results.append(bench.p3())
    if "P1" in selected:
        results.append(p4)
    if "P5" in selected:
        print("P5 ...", flush=True)
        p5, _ = bench.p5()
        results.append(p5)
    profile = None
    profiled = None if args.no_profile else _worst(results)
    if profiled is not None:
        # Before P6: its 2,900 task runs keep the server busy long after the run.
        print(f"Profile of {profiled.key} ...", flush=True)
        profile = bench.profile(profiled.key, _server_pids(server, emulator))
        extra.append(f"Profile: {profiled.key} (printed by `make bench`; the analysis is below).")
    if "E" in selected:
        from benchmarks.events_file import events_file_scenarios

        print("E1, E2 (events file, 20 series x 26 occurrences) ...", flush=True)
        with scratch_root() as tmp:
            results += list(events_file_scenarios(bench, tmp / "kaltura-events.yaml"))
    if "A" in selected:
        from benchmarks.audience import audience_scenarios

        print("A1, A2, A3 (1,000 people into 6 occurrences), A4 (50,000 into 2) ...", flush=True)
        with scratch_root() as tmp:
            results += list(audience_scenarios(bench, tmp))
    if "R" in selected:
        from benchmarks.attendance import OCCURRENCES, PROFILES, SCALE_PROFILES, attendance_scenarios

        print(
            f"R1, R2 (attendance: {OCCURRENCES} occurrences x {PROFILES:,}, x {SCALE_PROFILES:,}) ...",
            flush=True,
        )
        with scratch_root() as tmp:
            results += list(attendance_scenarios(bench, tmp))
    if "C" in selected:
        from benchmarks.messages import OCCURRENCES as SENDS
        from benchmarks.messages import PEOPLE, message_scenarios

        print(f"C1 (reminders, {SENDS} occurrences x {PEOPLE:,} people) ...", flush=True)
        with scratch_root() as tmp:
            results += list(message_scenarios(bench, tmp))
    if "O" in selected:
        from benchmarks.overlap import overlap_scenarios

        print("O1 (the watcher started beside A1, under a kaltura-api limit of 8) ...", flush=True)
        with scratch_root() as tmp:
            results += list(overlap_scenarios(bench, tmp))
    if "P6" in selected:
        print("P6 ...", flush=True)
        results.append(bench.p6())
    results.sort(key=lambda r: r.key)
    text = report.console(results, startup, extra)
    print(text)
    if profiled is not None and profile is not None:
        print(f"Profile of {profiled.key}, furthest above its bound (an extra, untimed run):")
        print(profile)
    host = report.machine()
    host["load_at_start"] = load_at_start
    report.write_markdown(args.markdown, report.markdown(results, startup, extra, host))
    print(f"Wrote {args.markdown}")
    medians = {r.key: statistics.median(t.run for t in r.timings) for r in results}
    print("medians: " + ", ".join(f"{k} {v:.3f} s" for k, v in medians.items()))
    return 0


def _worst(results: Sequence[ScenarioResult]) -> ScenarioResult | None:
    """The scenario whose median is furthest above its bound, among those with a ratio goal."""
    rated = [r for r in results if r.key in ("P1", "P3") and r.bound is not None]
    return max(rated, key=lambda r: r.ratio_median() or 0.0, default=None)


def _server_pids(server: PrefectServer, emulator: EmulatorProcess) -> dict[str, int]:
    pids = {}
    process = getattr(server, "_process", None)
    if process is not None:
        pids["Prefect server"] = int(process.pid)
    if emulator.pid is not None:
        pids["emulator"] = emulator.pid
    return pids


if __name__ == "__main__":
    sys.exit(main())
