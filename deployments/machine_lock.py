"""One writer per series on one machine, when no Prefect server is configured.

With no server configured, each command starts a Prefect server of its own,
and a global concurrency limit on it is seen by that command alone. Then an
advisory lock on a file beside Prefect's home keeps two commands on this
machine apart. The operating system drops it when the process ends, SIGKILL
included, so nothing is left to clean up. Runs on other machines cannot see it:
the command says so once.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

POLL_SECONDS = 0.2


class MachineLockBusy(Exception):
    """Another command on this machine held the series for longer than this one would wait."""


def lock_path(directory: Path, name: str) -> Path:
    """A file name for a lock name: readable, and distinct for names that read alike."""
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return directory / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)[:150]}-{digest}.lock"


def _take(handle: IO[str], path: Path, deadline: float) -> bool:
    """True when it had to wait."""
    waited = False
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return waited
        except BlockingIOError:
            if not waited:
                print(f"kaltura-events: another command here holds {path}; waiting", file=sys.stderr)
                waited = True
            if time.monotonic() >= deadline:
                raise MachineLockBusy(
                    f"another command on this machine still holds {path}; it is writing the same series. "
                    "Re-run once it finished, or wait longer (--lock-wait)"
                ) from None
            time.sleep(POLL_SECONDS)


@contextmanager
def machine_locks(directory: Path, names: Sequence[str], wait_seconds: float) -> Iterator[bool]:
    """Hold a file lock per name, taken in sorted order so two commands cannot deadlock; yields
    whether it had to wait."""
    directory.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    waited = False
    with ExitStack() as stack:
        for name in sorted(set(names)):
            path = lock_path(directory, name)
            handle = stack.enter_context(path.open("a", encoding="utf-8"))
            waited = _take(handle, path, deadline) or waited
        yield waited
