"""The events file loads; a malformed one fails naming the file, the field path and the value."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from kaltura_events.cli import main
from kaltura_events.formats.events_file import (
    EventsFile,
    EventsFileError,
    json_schema,
    load_events_file,
    parse_events_file,
    targets,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kaltura-events.yaml"
SCHEMA = EXAMPLE.with_name("kaltura-events.schema.json")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)

GOOD = """\
name: acme-events
series:
  - key: weekly
    name: "Weekly {date:%Y-%m-%d}"
    template_id: tm0000
    timezone: America/New_York
    rrule: FREQ=WEEKLY;BYDAY=MO
    start_time: "10:00"
    duration_minutes: 60
    sessions:
      - {name: Keynote, type: LiveWebcast, duration_minutes: 30}
events:
  - key: launch
    name: Launch
    start: "2027-03-16T11:00"
    duration_minutes: 60
    template_id: tm4000
"""


def test_example_file_loads_with_five_series_and_two_events() -> None:
    loaded = load_events_file(EXAMPLE)
    assert len(loaded.series) == 5 and len(loaded.events) == 2
    planned = targets(loaded, str(EXAMPLE), NOW)
    assert all(t.planned for t in planned)
    assert all("kev-file:acme-events" in t.series.labels for t in planned)


def test_clock_times_stay_clock_times() -> None:
    """Unquoted 10:00 is YAML 1.1's base-60 integer 600; the loader keeps it a time of day."""
    path_text = GOOD.replace('start_time: "10:00"', "start_time: 10:00")
    loaded = _parse(path_text)
    assert loaded.series[0].start_time.isoformat() == "10:00:00"


def _parse(text: str) -> EventsFile:
    return parse_events_file(text, "kaltura-events.yaml")


MALFORMED = {
    "unknown top-level field": (GOOD + "colour: blue\n", "colour", "blue"),
    "unknown series field": (
        GOOD.replace("    template_id: tm0000\n", "    template_id: tm0000\n    horizon: 3\n"),
        "series[0].horizon",
        "3",
    ),
    "bad zone": (GOOD.replace("America/New_York", "America/Gotham"), "series[0].timezone", "America/Gotham"),
    "duplicate series key": (
        GOOD.replace(
            "events:\n",
            "  - {key: weekly, name: Again, template_id: tm0, start_time: '9:00', duration_minutes: 5}\n"
            "events:\n",
        ),
        "series[1].key",
        "weekly",
    ),
    "key shared by a series and an event": (
        GOOD.replace("key: launch", "key: weekly"),
        "events[0].key",
        "weekly",
    ),
    "bad YAML": (GOOD.replace("sessions:\n", "sessions: [\n"), ":11:7: (YAML)", None),
    "duplicate YAML key": (
        GOOD.replace("    template_id: tm0000\n", "    template_id: tm0000\n    template_id: tm1000\n"),
        ":6:5: (YAML)",
        None,
    ),
    "wrong type deep inside": (
        GOOD.replace("duration_minutes: 30", "duration_minutes: half an hour"),
        "series[0].sessions[0].duration_minutes",
        "half an hour",
    ),
    "bad session type": (
        GOOD.replace("type: LiveWebcast", "type: Podcast"),
        "series[0].sessions[0].type",
        "Podcast",
    ),
    "bad rrule": (GOOD.replace("FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=XX"), "series[0].rrule", "BYDAY"),
    "event start with an offset": (
        GOOD.replace('"2027-03-16T11:00"', '"2027-03-16T11:00:00+02:00"'),
        "events[0].start",
        "2027-03-16T11:00:00+02:00",
    ),
    "session outside its event": (
        GOOD.replace("duration_minutes: 30}", "duration_minutes: 30, offset_minutes: 45}"),
        "series[0].sessions[0]",
        "Keynote",
    ),
    "two sources for an event": (
        GOOD.replace("    template_id: tm4000\n", "    template_id: tm4000\n    source_event_id: 7\n"),
        "events[0].template_id",
        "source_event_id",
    ),
    "not a mapping": ("- just\n- a list\n", "(top level)", "list"),
    "missing file name": (GOOD.replace("name: acme-events\n", ""), "name", None),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_names_file_field_and_value(case: str, tmp_path: Path) -> None:
    text, where, value = MALFORMED[case]
    path = tmp_path / "kaltura-events.yaml"
    path.write_text(text)
    with pytest.raises(EventsFileError) as caught:
        targets(load_events_file(path), str(path), NOW)
    message = str(caught.value)
    placed = re.compile(rf"{re.escape(str(path))}:[0-9]+:[0-9]+: ")
    assert all(placed.match(p) for p in caught.value.problems), "every problem names its line"
    assert where in message, message
    if value is not None:
        assert value in message, message


def test_rule_that_yields_nothing_fails_at_its_place_in_the_file() -> None:
    text = GOOD.replace("start_time:", "until: 2026-01-01\n    start_time:")
    with pytest.raises(EventsFileError, match=r"series\[0\]\.rrule: never yields an occurrence"):
        targets(_parse(text), "kaltura-events.yaml", NOW)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(EventsFileError, match=r"nowhere\.yaml: \(file\): cannot read"):
        load_events_file(tmp_path / "nowhere.yaml")


def test_event_in_the_past_is_left_alone() -> None:
    loaded = _parse(GOOD.replace("2027-03-16", "2026-06-01"))
    launch = [t for t in targets(loaded, "f", NOW) if t.key == "launch"]
    assert len(launch) == 1 and launch[0].planned == ()


def test_schema_command_writes_the_committed_schema(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert main(["schema", "-o", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written == json_schema() == json.loads(SCHEMA.read_text()), "regenerate with kaltura-events schema"
    series = written["$defs"]["FileSeries"]
    assert {"key", "rrule", "sessions", "timezone"} <= set(series["properties"])
    assert {"start_time", "duration_minutes"} <= set(series["required"]), "no silent default for time"
    assert "duration_minutes" in written["$defs"]["StandaloneEvent"]["required"]
    assert written["additionalProperties"] is False


def test_example_matches_its_schema() -> None:
    """The file validates against the schema an editor would use (checked with the schema's own rules)."""
    jsonschema = pytest.importorskip("jsonschema")
    # YAML dates are strings to a language server, as in JSON.
    data = json.loads(json.dumps(yaml.safe_load(EXAMPLE.read_text()), default=str))
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))


# -- every problem at once -----------------------------------------------------------


def test_every_problem_is_named_at_once_with_close_matches() -> None:
    text = GOOD.replace("America/New_York", "Europe/Berlinn").replace(
        "    rrule:", "    horizn_days: 30\n    rrule:"
    )
    with pytest.raises(EventsFileError) as caught:
        _parse(text)
    lines = str(caught.value).splitlines()
    assert lines == [
        "kaltura-events.yaml: 2 problems:",
        "kaltura-events.yaml:6:15: series[0].timezone: not a known IANA time zone; did you mean "
        "Europe/Berlin? (got 'Europe/Berlinn')",
        "kaltura-events.yaml:7:5: series[0].horizn_days: unknown field; did you mean horizon_days? (got 30)",
    ]
    assert (caught.value.file, caught.value.where) == ("kaltura-events.yaml", "series[0].timezone")
    assert caught.value.reason.startswith("not a known IANA time zone")
    assert caught.value.problems == lines[1:]


def test_problems_across_series_events_and_keys_come_together() -> None:
    text = (
        GOOD.replace("type: LiveWebcast", "type: Podcast")
        .replace("key: launch", "key: weekly")
        .replace("    template_id: tm4000\n", "    template_id: tm4000\n    duraton_minutes: 5\n")
    )
    with pytest.raises(EventsFileError) as caught:
        _parse(text)
    assert [p.split(": ")[1] for p in caught.value.problems] == [
        "series[0].sessions[0].type",
        "events[0].duraton_minutes",
        "events[0].key",
    ]
    assert "did you mean duration_minutes?" in caught.value.problems[1]


def test_no_suggestion_without_a_close_match() -> None:
    with pytest.raises(EventsFileError) as caught:
        _parse(GOOD + "colour: blue\n")
    assert str(caught.value) == "kaltura-events.yaml:18:1: colour: unknown field (got 'blue')"


def test_more_than_fifty_problems_are_counted() -> None:
    events = "".join(
        f"  - {{key: e{i:02}, name: E, start: '2027-01-01T10:00', duration_minutes: 5, template_id: tm0}}\n"
        for i in range(60)
    )
    text = GOOD.split("events:")[0] + "events:\n" + events
    with pytest.raises(EventsFileError) as caught:
        _parse(text)
    lines = str(caught.value).splitlines()
    assert lines[0] == "kaltura-events.yaml: 60 problems:" and lines[-1] == "and 10 more"
    assert len(lines) == 52 and len(caught.value.problems) == 60


def test_plan_errors_of_several_series_come_together() -> None:
    never = GOOD.replace("start_time:", "until: 2026-01-01\n    start_time:")
    text = never.replace(
        "events:\n", never.split("series:\n")[1].split("events:")[0].replace("weekly", "other") + "events:\n"
    )
    with pytest.raises(EventsFileError) as caught:
        targets(_parse(text), "kaltura-events.yaml", NOW)
    assert [p.split(": ")[1] for p in caught.value.problems] == ["series[0].rrule", "series[1].rrule"]


# -- audiences -----------------------------------------------------------------------

AUDIENCE = """\
    audience:
      csv: audiences/all.csv
      columns: {email: E-mail Address}
      people:
        - {email: guest@example.com, first_name: Guest, last_name: Speaker}
"""


def _with_audience(tmp_path: Path, csv_text: str, text: str = GOOD) -> Path:
    (tmp_path / "audiences").mkdir(exist_ok=True)
    (tmp_path / "audiences" / "all.csv").write_text(csv_text, encoding="utf-8")
    path = tmp_path / "kaltura-events.yaml"
    path.write_text(
        text.replace(
            "    sessions:\n      - {name: Keynote", AUDIENCE + "    sessions:\n      - {name: Keynote"
        )
    )
    return path


def test_audience_is_read_beside_the_file_and_planned(tmp_path: Path) -> None:
    path = _with_audience(tmp_path, "E-mail Address;First_Name;Last_Name\nJane@Example.com;Jane;Doe\n")
    [weekly, launch] = targets(load_events_file(path), str(path), NOW)
    audience = weekly.planned[0].audience
    assert audience is not None and [p.key for p in audience.people] == [
        "guest@example.com",
        "jane@example.com",
    ]
    assert all(p.audience == audience for p in weekly.planned)
    assert launch.planned[0].audience is None


def test_standalone_event_passes_its_audience_on(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("email,first_name,last_name\na@example.com,A,B\n")
    text = GOOD + "    audience: {csv: people.csv, send_invitations: true}\n"
    [_, launch] = targets(_parse(text), "kaltura-events.yaml", NOW, base_dir=tmp_path)
    assert launch.series.audience is not None and launch.series.audience.send_invitations
    audience = launch.planned[0].audience
    assert (
        audience is not None
        and audience.send_invitations
        and [p.key for p in audience.people] == ["a@example.com"]
    )


def test_audience_problems_are_placed_in_the_events_file(tmp_path: Path) -> None:
    path = _with_audience(
        tmp_path,
        "E-mail Address,first_name,last_name\njane@,Jane,Doe\n"
        "guest@example.com,Guest,Speaker\nb@example.com,,B\n",
        GOOD.replace("America/New_York", "America/Chicago").replace(
            "start_time:", "until: 2026-01-01\n    start_time:"
        ),
    )
    with pytest.raises(EventsFileError) as caught:
        targets(load_events_file(path), str(path), NOW)
    shown = [p.removeprefix(f"{path}:") for p in caught.value.problems]
    assert shown[:2] == [
        '12:12: series[0].audience.csv: audiences/all.csv: row 2, column "E-mail Address": '
        "expected one email address such as jane@example.com (got 'jane@')",
        '12:12: series[0].audience.csv: audiences/all.csv: row 4, column "first_name": '
        "empty; every person needs a first name (got '')",
    ]
    assert len(shown) == 3 and shown[2].startswith("7:12: series[0].rrule: never yields an occurrence")


def test_inline_person_conflicting_with_the_export_is_placed_inline(tmp_path: Path) -> None:
    path = _with_audience(tmp_path, "E-mail Address,first_name,last_name\nGUEST@example.com,Guest,Speakers\n")
    with pytest.raises(EventsFileError) as caught:
        targets(load_events_file(path), str(path), NOW)
    [problem] = caught.value.problems
    assert problem.startswith(
        f"{path}:14:68: series[0].audience.people[0].last_name: "
        "guest@example.com is also at audiences/all.csv row 2"
    )


def test_missing_audience_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "kaltura-events.yaml"
    path.write_text(GOOD + "    audience: {csv: audiences/gone.csv}\n")
    with pytest.raises(
        EventsFileError, match=r"events\[0\]\.audience\.csv: audiences/gone\.csv: cannot read"
    ):
        targets(load_events_file(path), str(path), NOW)


def test_example_audience_merges_the_hr_export_with_inline_people() -> None:
    [monthly] = [
        t for t in targets(load_events_file(EXAMPLE), str(EXAMPLE), NOW) if t.key == "monthly-all-hands"
    ]
    audience = monthly.planned[0].audience
    assert audience is not None and not audience.send_invitations and not audience.remove_unlisted
    keys = [p.key for p in audience.people]
    assert len(keys) == 13 == len(set(keys)), "12 in the export (one row twice), one inline"
    assert "priya.natarajan@example.com" in keys and "rosa.lindqvist@partner.example" in keys


def test_audience_is_found_beside_the_loaded_file_whatever_name_errors_use(tmp_path: Path) -> None:
    path = _with_audience(tmp_path, "E-mail Address,first_name,last_name\na@example.com,A,B\n")
    [weekly, _] = targets(load_events_file(path), "kaltura-events.yaml", NOW)
    assert weekly.planned[0].audience is not None


# -- what the file names stays in its folder -----------------------------------------

SECRET = "TOPSECRET=hunter2"


def _file_naming(tmp_path: Path, csv: str) -> Path:
    """An events file in ``tmp_path/project`` whose audience names ``csv``; a secret lies outside."""
    (tmp_path / "secret.env").write_text(f"{SECRET}\nmore\n")
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "link").symlink_to(tmp_path)
    audience = {"csv": csv, "columns": {"email": SECRET}}
    path = project / "kaltura-events.yaml"
    path.write_text(GOOD + f"    audience: {json.dumps(audience)}\n")
    return path


OUT_OF_THE_FOLDER = [
    ("/etc/passwd", "an absolute path outside"),
    ("{tmp}/secret.env", "an absolute path outside"),
    ("../secret.env", "'..' leads out of"),
    ("link/secret.env", "a symbolic link leads out of"),
    ("~/.env", "~ is not expanded"),
]


@pytest.mark.parametrize(("csv", "how"), OUT_OF_THE_FOLDER)
def test_an_audience_outside_the_files_folder_is_refused_unread(tmp_path: Path, csv: str, how: str) -> None:
    path = _file_naming(tmp_path, csv.format(tmp=tmp_path))
    with pytest.raises(EventsFileError) as caught:
        targets(load_events_file(path), str(path), NOW)
    [problem] = caught.value.problems
    folder = (tmp_path / "project").resolve()
    assert problem.startswith(f"{path}:18:23: events[0].audience.csv: refused: {how}")
    assert f"the events file's folder {folder}" in problem
    assert SECRET not in problem and "root:x:0:0" not in problem


@pytest.mark.parametrize(("csv", "how"), OUT_OF_THE_FOLDER)
def test_kaltura_events_plan_refuses_it_with_exit_1_before_any_server(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, csv: str, how: str
) -> None:
    path = _file_naming(tmp_path, csv.format(tmp=tmp_path))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert main(["plan", str(path)]) == 1
    err = capfd.readouterr().err
    assert "events[0].audience.csv: refused: " + how in err and "the events file's folder" in err
    assert SECRET not in err and "root:x:0:0" not in err
    assert not (tmp_path / "prefect-home").exists(), "refused before a Prefect server started"


@pytest.mark.parametrize(
    ("command", "flag", "value"),
    [
        ("plan", "--markdown", "/tmp/plan.md"),
        ("plan", "--calendar-dir", "../calendars"),
        ("apply", "--calendar-dir", "~/calendars"),
        ("attendance", "--output-dir", "link/reports"),
    ],
)
def test_what_a_command_writes_stays_below_the_current_directory(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    flag: str,
    value: str,
) -> None:
    path = _file_naming(tmp_path, "people.csv")
    monkeypatch.chdir(path.parent)
    assert main([command, str(path), flag, value]) == 1
    err = capsys.readouterr().err
    assert f"kaltura-events {command}: {flag}={value!r}: refused: " in err
    assert f"the current directory {path.parent.resolve()}" in err
