"""The labels that carry identity on Kaltura's side: which series, which occurrence, which replay.

One module so that a series and its encores agree on them without importing
each other. A label with one of these prefixes is never the user's to set.
"""

from __future__ import annotations

from collections.abc import Iterable

SERIES_LABEL_PREFIX = "kev-series:"
"""``kev-series:{key}``: the event is an occurrence of the series."""
SPEC_LABEL_PREFIX = "kev-spec:"
"""``kev-spec:{hash}``: the occurrence was fully provisioned from this exact spec."""
HELD_LABEL_PREFIX = "kev-held:"
"""``kev-held:{hash}``: provisioned from this spec except sessions the API cannot move; a person must."""
OCCURRENCE_LABEL_PREFIX = "kev-occ:"
"""``kev-occ:{original local date}``: which occurrence, however it was moved or renamed since."""
ENCORE_LABEL_PREFIX = "kev-encore:"
"""``kev-encore:{key}``: a replay of one of the series' occurrences, never an occurrence itself."""
RESERVED_LABEL_PREFIXES = (
    SERIES_LABEL_PREFIX,
    SPEC_LABEL_PREFIX,
    HELD_LABEL_PREFIX,
    OCCURRENCE_LABEL_PREFIX,
    ENCORE_LABEL_PREFIX,
)


def occurrence_in(labels: Iterable[str]) -> str | None:
    """The original local date an event's ``kev-occ:`` label names, as written; None without one."""
    return next(
        (
            label[len(OCCURRENCE_LABEL_PREFIX) :]
            for label in labels
            if label.startswith(OCCURRENCE_LABEL_PREFIX)
        ),
        None,
    )
