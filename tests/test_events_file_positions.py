"""Every problem in the events file names ``file:line:column``, and that place holds what is wrong."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaltura_events.formats.events_file import EventsFileError, parse_events_file

SERIES_FIELDS = ("template_id", "timezone", "rrule", "start_time", "duration_minutes", "horizon_days")
PLACE = re.compile(r"^f\.yaml:(\d+):(\d+): (\S+): ")


def _series(index: int, typo: str | None, bad_zone: bool, blank_lines: int) -> str:
    fields = {
        "template_id": "tm0000",
        "timezone": "Europe/Berlinn" if bad_zone else "Europe/Berlin",
        "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "start_time": '"10:00"',
        "duration_minutes": "30",
        "horizon_days": "30",
    }
    lines = [f"  - key: s{index:02}", f'    name: "S{index} {{date:%Y-%m-%d}}"']
    for name, value in fields.items():
        lines += ["    # a comment"] * blank_lines
        lines.append(f"    {name + 'x' if name == typo else name}: {value}")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.none() | st.sampled_from(SERIES_FIELDS), st.booleans(), st.integers(min_value=0, max_value=2)
        ),
        min_size=1,
        max_size=5,
    )
)
def test_each_problem_points_at_the_key_or_value_it_names(shapes: list[tuple[str | None, bool, int]]) -> None:
    """A misspelled key is pointed at by its name, a bad value at the value, however the file is laid out."""
    text = "name: acme\nseries:\n" + "".join(
        _series(i, typo, zone, blanks) for i, (typo, zone, blanks) in enumerate(shapes)
    )
    wrong = sum((typo is not None) + (zone and typo != "timezone") for typo, zone, _ in shapes)
    if not wrong:
        parse_events_file(text, "f.yaml")
        return
    with pytest.raises(EventsFileError) as caught:
        parse_events_file(text, "f.yaml")
    lines = text.splitlines()
    problems = [p for p in caught.value.problems if "required" not in p]
    assert len(problems) == wrong
    for problem in problems:
        match = PLACE.match(problem)
        assert match, problem
        line, column, where = int(match[1]), int(match[2]), match[3]
        at = lines[line - 1][column - 1 :]
        if "unknown field" in problem:
            assert at.startswith(where.rsplit(".", 1)[1] + ":"), (problem, at)
        else:
            assert where.endswith(".timezone") and at.startswith("Europe/Berlinn"), (problem, at)
        index = int(re.findall(r"series\[(\d+)\]", where)[0])
        owner = next(n for n in range(line - 1, -1, -1) if lines[n].startswith("  - key: "))
        assert lines[owner] == f"  - key: s{index:02}", "the line is inside the series the path names"


def test_a_series_without_its_time_points_at_the_entry_that_lacks_it() -> None:
    text = "name: acme\nseries:\n  - key: only\n    name: Only\n    template_id: tm0000\n"
    with pytest.raises(EventsFileError) as caught:
        parse_events_file(text, "f.yaml")
    assert caught.value.problems == [
        "f.yaml:3:5: series[0].start_time: required: the file has no default for it",
        "f.yaml:3:5: series[0].duration_minutes: required: the file has no default for it",
    ], "a series without a time is refused, not put at 10:00"
