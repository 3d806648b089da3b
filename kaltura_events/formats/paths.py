"""Paths a run reads or writes because a parameter or a file says so stay under a root the operator chose.

Whoever can start a run (a Custom run in the UI, an events file in a pull
request) chooses these paths, and is not necessarily someone who may read the
worker's files: an audience CSV of ``/home/worker/.env`` used to come back as
an error quoting its first line. So every such path is resolved here,
symlinks followed, and refused unless it lands inside its root; a refusal
names the parameter and the root, never anything read, because nothing has
been read yet. ``~`` is never expanded: a home directory is the operator's,
not the run's.

The roots: for the CLI, the events file's folder for what the file names and
the current directory for ``-o``; for flow runs, the work root
(``KALTURA_EVENTS_WORK_ROOT``, by default the working directory, which is
the deployment's). The CLI runs its flow with the work root set to both of
its own roots (the variable takes several folders, as PATH does).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kaltura_events.api.errors import InvalidArgumentError

WORK_ROOT_ENV = "KALTURA_EVENTS_WORK_ROOT"


@dataclass(frozen=True)
class Root:
    """A folder a run may reach into, and how a message names it (``the events file's folder /srv/x``)."""

    folder: Path
    named: str

    @classmethod
    def of(cls, folder: Path, named: str) -> Root:
        """The folder with its symlinks resolved: what is inside is compared with real paths."""
        return cls(folder.resolve(), named)

    def __str__(self) -> str:
        return f"{self.named} {self.folder}"


def work_roots() -> tuple[Root, ...]:
    """The roots of a flow run: ``KALTURA_EVENTS_WORK_ROOT`` (folders separated as in PATH), else the
    working directory. Relative paths are taken from the first.

    A root that is not an existing folder is refused rather than skipped: a
    typo in the setting must not quietly become the working directory.
    """
    setting = os.environ.get(WORK_ROOT_ENV, "")
    if not setting.strip():
        return (Root.of(Path.cwd(), "the work root (the working directory)"),)
    roots = []
    for folder in (Path(part) for part in setting.split(os.pathsep) if part.strip()):
        if not folder.is_dir():
            raise InvalidArgumentError(WORK_ROOT_ENV, str(folder), "not an existing folder")
        roots.append(Root.of(folder, f"the work root ({WORK_ROOT_ENV})"))
    if not roots:
        raise InvalidArgumentError(WORK_ROOT_ENV, setting, "names no folder")
    return tuple(roots)


def inside(given: str | Path, field: str, roots: Sequence[Root]) -> Path:
    """``given`` resolved (relative to the first root, symlinks followed), if that is inside a root.

    Raises :class:`InvalidArgumentError` naming ``field``, the value and the
    roots otherwise; nothing at ``given`` is read, only its name resolved.
    The returned path is the real one, with no link left in it: reading or
    writing it, rather than ``given``, does not follow ``given``'s links again.
    """
    text = str(given)
    where = _where(roots)
    if "\x00" in text:
        raise InvalidArgumentError(field, text, "not a path (it holds a NUL character)")
    if text.startswith("~"):
        raise InvalidArgumentError(
            field, text, f"refused: ~ is not expanded; give a path inside {where}, relative to it"
        )
    candidate = Path(text)
    joined = candidate if candidate.is_absolute() else roots[0].folder / candidate
    try:
        resolved = joined.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        raise InvalidArgumentError(
            field, text, f"refused: cannot be resolved inside {where} (a symbolic link loop?)"
        ) from None
    if any(resolved.is_relative_to(root.folder) for root in roots):
        return resolved
    raise InvalidArgumentError(field, text, f"refused: {_how_it_leaves(candidate, joined, roots)} {where}")


def _how_it_leaves(candidate: Path, joined: Path, roots: Sequence[Root]) -> str:
    """Which way out this is, so the person who typed it sees what to change."""
    if any(Path(os.path.normpath(joined)).is_relative_to(root.folder) for root in roots):
        return "a symbolic link leads out of"
    if candidate.is_absolute():
        return "an absolute path outside"
    return "'..' leads out of"


def _where(roots: Sequence[Root]) -> str:
    """``the work root (...) /srv/a or /srv/b``: a name said once for the folders that share it."""
    said: list[str] = []
    for index, root in enumerate(roots):
        same = index > 0 and roots[index - 1].named == root.named
        said.append(str(root.folder) if same else str(root))
    return " or ".join(said)


def shown(path: Path, roots: Sequence[Root]) -> str:
    """``path`` as a person would give it: relative to the first root (where relative paths start)
    when inside it, else whole."""
    first = roots[0].folder
    return str(path.relative_to(first)) if path.is_relative_to(first) else str(path)


def output_folder(given: str | None, field: str, roots: Sequence[Root] | None = None) -> Path | None:
    """The folder a run writes its files to, made if missing; None when no folder is given.

    Called before any API call: a report that cannot be written is not worth
    reading for, and a refusal must come before a send, not after it. Inside
    a root (the work roots by default), as every path a parameter names.
    """
    if not given:
        return None
    path = inside(given, field, roots if roots is not None else work_roots())
    if path.exists() and not path.is_dir():
        raise InvalidArgumentError(field, given, "exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidArgumentError(field, given, f"cannot be created ({exc.strerror})") from None
    return path
