"""CSV files a run writes for people to open: whole or not at all, and safe in a spreadsheet.

A reader (or the next run) sees the old file or the new one, never half of
one. Values come from registration forms and HR exports, so a cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-`` or
``@``) is written with a leading apostrophe, and read back without it.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def uncell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def name_part(text: str, empty: str) -> str:
    """``text`` as one part of a file name: no separator, no leading dot (so never ``..``)."""
    return _UNSAFE_IN_NAME.sub("-", text).strip("-").lstrip(".") or empty


def write_atomically(path: Path, data: bytes) -> None:
    """A reader (or the next incremental run) sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_csv_atomically(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> None:
    """A CSV written row by row as ``rows`` yields them, then put in place whole, as ``write_atomically``:
    a 50,000-person matrix or 50,000 rows of an occurrence never sit in memory as one text."""
    write_cells_atomically(path, columns, ([cell(row.get(column, "")) for column in columns] for row in rows))


def write_cells_atomically(path: Path, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """``write_csv_atomically`` for rows already made of ``cell``s, in the order of ``columns``: a
    writer of 600,000 rows makes each cell safe only where its text can start a formula."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(columns)
            writer.writerows(rows)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def csv_bytes(columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: cell(row.get(column, "")) for column in columns})
    return buffer.getvalue().encode("utf-8")


def header_of(path: Path) -> tuple[str, ...] | None:
    """The column names of the CSV at ``path``; None when there is no file. Only its first line is read."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            first = handle.readline(64 * 1024)
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, OSError):
        return ()
    return tuple(next(csv.reader([first]), []))
