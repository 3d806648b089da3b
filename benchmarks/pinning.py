"""Pin processes to CPU cores, to separate "shares cores with its server" from "costs CPU per call".

On a 2-core machine the Prefect server and the flow process compete for the
same cores. Pinning the servers to one core and the flow process to the other
shows what the flow costs when its server runs elsewhere, as in a real
deployment. Linux only: ``sched_setaffinity`` applies per thread, so every
thread of each process (and of its children) is pinned, and threads started
later inherit the mask of the thread that starts them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


def supported() -> bool:
    linux = hasattr(os, "sched_setaffinity") and Path("/proc/self/task").is_dir()
    return linux and (os.cpu_count() or 1) >= 2


def _threads(pid: int) -> list[int]:
    try:
        return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for tid in _threads(current):
            try:
                queue += [int(c) for c in Path(f"/proc/{current}/task/{tid}/children").read_text().split()]
            except OSError:
                continue
    return found


def pin(pids: Iterable[int], cpus: set[int], *, children: bool = True) -> None:
    """Pin every thread of ``pids`` (and of their descendants) to ``cpus``; gone threads are skipped."""
    for pid in pids:
        for process in _descendants(pid) if children else [pid]:
            for tid in _threads(process):
                try:
                    os.sched_setaffinity(tid, cpus)
                except (ProcessLookupError, PermissionError):
                    continue


@contextmanager
def pinned(servers: Iterable[int], server_cpu: int = 0, flow_cpu: int = 1) -> Iterator[str]:
    """Servers on ``server_cpu``, this process on ``flow_cpu``, for the block; all cores again after.

    Yields a description of the placement, for the report.
    """
    servers = list(servers)
    everything = set(range(os.cpu_count() or 1))
    pin(servers, {server_cpu})
    # Not its children: the servers are this process's children.
    pin([os.getpid()], {flow_cpu}, children=False)
    try:
        yield f"Prefect server and emulator on core {server_cpu}, the flow process on core {flow_cpu}"
    finally:
        pin([os.getpid()], everything, children=False)
        pin(servers, everything)
