"""A scenario's scratch folder, which is also the runs' work root.

The scenarios write their exports, events files and reports there, as a
deployment keeps them in its working directory; runs refuse paths outside
their work root (kaltura_events/formats/paths.py).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kaltura_events.formats.paths import WORK_ROOT_ENV


@contextmanager
def scratch_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        before = os.environ.get(WORK_ROOT_ENV)
        os.environ[WORK_ROOT_ENV] = tmp
        try:
            yield Path(tmp)
        finally:
            if before is None:
                os.environ.pop(WORK_ROOT_ENV, None)
            else:
                os.environ[WORK_ROOT_ENV] = before
