"""Registered versus attended per occurrence, as a PNG the Prefect UI can show inline.

Drawn with matplotlib's Agg backend (no display on a worker) through its
object API, never ``pyplot``: pyplot keeps global figures, which leak in a
long-lived worker and are not thread-safe. Small on purpose: the PNG travels
inside the run's markdown artifact as a data URI.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kaltura_events.planning.attendance import OccurrenceReport

REGISTERED_COLOR = "#4c72b0"
ATTENDED_COLOR = "#dd8452"
SIZE_INCHES = (8.0, 3.6)
DPI = 100


def attendance_chart(occurrences: Sequence[OccurrenceReport], title: str) -> bytes:
    """Two bars per occurrence; an occurrence that could not be read keeps its place, with no bars."""
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(occurrences)))
    registered = [r.counts.registered if r.counts else 0 for r in occurrences]
    attended = [r.counts.attended if r.counts else 0 for r in occurrences]
    width = 0.38
    axes.bar(
        [p - width / 2 for p in positions], registered, width, label="registered", color=REGISTERED_COLOR
    )
    axes.bar([p + width / 2 for p in positions], attended, width, label="attended", color=ATTENDED_COLOR)
    axes.set_xticks(positions, [r.occurrence.label for r in occurrences], rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("people")
    axes.set_title(title, fontsize=10)
    axes.legend(loc="upper right", fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    if not any(registered) and not any(attended):
        axes.set_ylim(0, 1)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": "kaltura-events", "Title": title})
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
