"""An events file whose series send messages, written with the email bodies beside it.

The inverse of loading one (events_file.py reads the ``messages:`` block,
message_bodies.py each template's ``body_file``): a :class:`SeriesMessages`
goes in, already validated, so what comes out is a file the loader takes.
The tests, the benchmarks, the demo and the docs' picture each set up a
messaging series; each used to write this shape by hand, and a copy that
drifted from the loader's would fail as a setup error far from its cause.
It sits in the library, beside the reader, because that is the one place all
of them may import (the tests and the benchmarks are not installed, demo.py
is not a package).

A body is written where its template's ``body_file`` points, and only inside
the file's folder (formats/paths.py), as the loader will read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from kaltura_events.formats.events_file import DEFAULT_FILE_NAME
from kaltura_events.formats.paths import Root, inside
from kaltura_events.planning.messages import SeriesMessages


def messages_block(messages: SeriesMessages) -> dict[str, Any]:
    """The ``messages:`` block as the file spells it (``from``, no empty ``before``/``after``)."""
    return messages.spec.model_dump(mode="json", by_alias=True, exclude_none=True)


def write_bodies(folder: Path, messages: SeriesMessages) -> None:
    """Each template's body, at its ``body_file`` relative to ``folder`` (the events file's)."""
    folder.mkdir(parents=True, exist_ok=True)
    roots = [Root.of(folder, "the events file's folder")]
    for key, template in messages.spec.templates.items():
        body = inside(template.body_file, f"templates.{key}.body_file", roots)
        body.parent.mkdir(parents=True, exist_ok=True)
        body.write_text(messages.bodies[key], encoding="utf-8")


def write_messages_file(
    folder: Path,
    name: str,
    series: Sequence[Mapping[str, Any]],
    messages: SeriesMessages,
) -> Path:
    """``folder/kaltura-events.yaml``: ``name``, ``messages`` as the file's default block, ``series``.

    The bodies are written first; the file's path is returned.
    """
    write_bodies(folder, messages)
    data = {"name": name, "messages": messages_block(messages), "series": [dict(s) for s in series]}
    path = folder / DEFAULT_FILE_NAME
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
