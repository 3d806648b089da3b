"""The peak resident memory of this process over one block, for the scale scenario (P6).

The benchmark process runs every scenario, so its lifetime peak
(``ru_maxrss``) would mix them. Linux can reset the peak: writing ``5`` to
``/proc/self/clear_refs`` sets ``VmHWM`` back to the current resident size,
so the peak read after the block is the block's own. Where that is not
allowed, the lifetime peak is reported and says so.
"""

from __future__ import annotations

import gc
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024


@dataclass
class PeakMemory:
    before_mib: float = 0.0
    peak_mib: float = 0.0
    scope: str = "the block"
    """What the peak covers: "the block" after a reset, or "the process's lifetime"."""


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _lifetime_peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / MIB if sys.platform == "darwin" else peak / 1024


@contextmanager
def peak_memory() -> Iterator[PeakMemory]:
    """Measure the peak resident memory of this process while the block runs."""
    result = PeakMemory()
    current = _status_kib("VmRSS")
    result.before_mib = (current or 0) / 1024
    scoped = _reset_peak()
    try:
        yield result
    finally:
        hwm = _status_kib("VmHWM") if scoped else None
        if hwm is not None:
            result.peak_mib, result.scope = hwm / 1024, "the block"
        else:
            result.peak_mib, result.scope = _lifetime_peak_mib(), "the process's lifetime"


@dataclass
class CollectorTime:
    cpu: list[float]
    """CPU seconds the garbage collector took, per generation (0, 1, 2)."""
    collections: list[int]


@contextmanager
def collector_time() -> Iterator[CollectorTime]:
    """The garbage collector's CPU in this process while the block runs: a collection holds the
    interpreter in the thread that set it off, so that thread's CPU over it is the collection's."""
    result = CollectorTime([0.0, 0.0, 0.0], [0, 0, 0])
    began = [0.0]

    def clock(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.thread_time()
        else:
            result.cpu[info["generation"]] += time.thread_time() - began[0]
            result.collections[info["generation"]] += 1

    gc.callbacks.append(clock)
    try:
        yield result
    finally:
        gc.callbacks.remove(clock)
