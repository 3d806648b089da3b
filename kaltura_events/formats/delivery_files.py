"""Whom a send did not reach, as a CSV someone can fix the HR export from.

One file per send, at ``<output>/<series>/<occurrence>/undelivered-<send>.csv``:
folders rather than one joined name, so two sends never share a file however
their keys are spelled. A file is written whole (``csv_files``) only when the
send has someone to list; a re-run writes the same file again, from the
service's answer then.

A file already at that place that is not one of ours is never replaced: the
run is refused naming the parameter and the file, before anything is
written, and nothing of the file is quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.formats.csv_files import csv_bytes, header_of, name_part, write_atomically
from kaltura_events.planning.delivery import SendDelivery

COLUMNS = ("email", "user_id", "status", "error", "detail")


def undelivered_file(output: Path, send: SendDelivery) -> Path:
    """Where this send's list goes: one folder per series and occurrence, one file per send."""
    path = (
        output
        / name_part(send.series_key, "series")
        / name_part(send.occurrence, "occurrence")
        / f"undelivered-{name_part(send.send_name, 'send')}.csv"
    )
    if not path.resolve().is_relative_to(output.resolve()):  # a folder inside made a link outward
        raise InvalidArgumentError("output_dir", str(output), f"a link inside leads {path.name} out of it")
    return path


def undelivered_rows(send: SendDelivery) -> list[dict[str, str]]:
    return [
        {
            "email": row.email,
            "user_id": row.user_id,
            "status": row.status,
            "error": row.error,
            "detail": row.detail,
        }
        for row in send.undelivered
    ]


def check_writable(output: Path, sends: Sequence[SendDelivery], field: str = "output_dir") -> list[Path]:
    """The file of each send with someone to list; refused before any write if one is not ours."""
    paths = []
    for send in sends:
        if not send.undelivered:
            continue
        path = undelivered_file(output, send)
        header = header_of(path)
        if path.exists() and (not path.is_file() or header != COLUMNS):
            raise InvalidArgumentError(
                field,
                str(output),
                f"{path.relative_to(output)} is there and is not a list of undelivered messages "
                f"(columns {', '.join(COLUMNS)}); move it, it is not replaced",
            )
        paths.append(path)
    return paths


def write_undelivered(output: Path, sends: Sequence[SendDelivery], field: str = "output_dir") -> list[Path]:
    """Each send's CSV of whom it did not reach; the paths written, in the order of ``sends``."""
    paths = check_writable(output, sends, field)
    listed = [send for send in sends if send.undelivered]
    for path, send in zip(paths, listed, strict=True):
        write_atomically(path, csv_bytes(COLUMNS, undelivered_rows(send)))
    return paths
