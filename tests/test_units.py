"""flows/units.py: every unit ends in ``done`` or ``failed``, whatever it raised, and keys are identities.

Generated: any mix of units that return, raise an Exception, or raise a
BaseException (SystemExit from a library, say). Every key ends in exactly one
of ``done`` and ``failed``, ``done`` holds exactly the values of the units
that returned, and ``failed`` exactly the others.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.units import run_units


class Interrupted(BaseException):
    """Stands in for KeyboardInterrupt or a cancellation: not an Exception."""


def _unit(outcome: str, value: int) -> int:
    if outcome == "raise":
        raise ValueError(f"unit {value} failed")
    if outcome == "interrupt":
        raise Interrupted(f"unit {value} interrupted")
    return value


@settings(max_examples=150)
@given(st.lists(st.sampled_from(("return", "raise", "interrupt")), max_size=12), st.integers(1, 4))
def test_every_unit_is_done_or_failed_never_neither(outcomes: list[str], at_once: int) -> None:
    units: dict[str, Callable[[], int]] = {
        f"kev-occ:{i}": partial(_unit, o, i) for i, o in enumerate(outcomes)
    }
    results = run_units(units, at_once=at_once)
    assert set(results.done) | set(results.failed) == set(units)
    assert not set(results.done) & set(results.failed)
    assert results.done == {f"kev-occ:{i}": i for i, o in enumerate(outcomes) if o == "return"}
    assert set(results.failed) == {f"kev-occ:{i}" for i, o in enumerate(outcomes) if o != "return"}
    assert all(results.messages()[key] for key in results.failed), "each failure says what happened"
