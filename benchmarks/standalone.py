"""One family of scenarios run alone (``python -m benchmarks.events_file``, ``benchmarks.audience``).

``make bench`` runs every scenario on one shared Prefect server and emulator;
this is the same set-up for one family, printing each result's ratio to its
bound, so a change can be measured without the whole suite.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.scratch import scratch_root
from deployments.local_server import PrefectServer
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.server import EmulatorProcess

if TYPE_CHECKING:
    from benchmarks.scenarios import Bench, ScenarioResult

Scenarios = Callable[["Bench", Path], Sequence["ScenarioResult"]]
"""Runs a family on the shared bench, given a scratch directory of its own."""


def run_alone(scenarios: Scenarios, description: str, argv: Sequence[str] | None, latency_ms: float) -> int:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    with PrefectServer() as server:
        os.environ.update(server.env())
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        from benchmarks.scenarios import Bench

        print(f"Prefect server up in {time.perf_counter() - began:.1f} s", flush=True)
        with (
            EmulatorProcess(EmulatorConfig(latency_ms=latency_ms)) as emulator,
            scratch_root() as tmp,
        ):
            bench = Bench(emulator, server.api_url, args.repeats, server_log=server.log_path)
            for result in scenarios(bench, tmp):
                ratio = result.ratio_median()
                shown = "" if ratio is None else f", ratio {ratio:.2f} to {result.bound_formula}"
                peak = "" if result.peak_mib is None else f", peak {result.peak_mib:.0f} MiB"
                status = "-" if result.met is None else ("met" if result.met else "NOT met")
                print(
                    f"{result.key} {result.title}: median {result.median:.3f} s{shown}{peak}; "
                    f"calls {result.calls}; goal {result.goal}: {status}"
                )
                for note in result.notes:
                    print(f"   {note}")
    return 0
