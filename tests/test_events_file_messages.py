"""The events file's ``messages:`` blocks: read before any write, every problem placed in the file.

A series' (or event's) own block replaces the file's default whole; body files
follow the audience CSVs' path rules (inside the events file's folder, never
quoted from outside it); a token the service cannot fill is refused naming the
field and the token. And whatever a person writes, a load either refuses it
naming a field, or gives sends that each close after they fall due, with one
session label per send across the file.
"""

from __future__ import annotations

import re
import string
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kaltura_events.formats.events_file import EventsFileError, Target, load_events_file, targets
from kaltura_events.formats.message_bodies import MAX_BODY_BYTES
from kaltura_events.planning.messages import TOKEN_TYPES, USER_FIELDS

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
SECRET = "TOP-SECRET-LINE {not_a_token}"

FILE = """\
name: acme-events
messages:
  from: {email: events@acme.example, name: Acme Events}
  unsubscribe_group: acme-events
  templates:
    reminder: {subject: "Tomorrow: {eventName}", body_file: emails/reminder.html}
    thanks:   {subject: "Thank you for joining {eventName}", body_file: emails/thanks.html}
  send:
    - {template: reminder, before: 24h, to: invited}
    - {template: thanks,   after: 2h,   to: attended}
series:
  - key: weekly
    name: "Weekly {date:%Y-%m-%d}"
    template_id: tm0000
    timezone: America/New_York
    rrule: FREQ=WEEKLY;BYDAY=MO
    start_time: "10:00"
    duration_minutes: 60
    horizon_days: 30
    messages:
      from: {email: team@acme.example}
      unsubscribe_group: weekly
      templates:
        reminder: {subject: "Soon: {eventName}", body_file: emails/weekly.html}
      send:
        - {template: reminder, before: 15m, to: registered}
  - key: monthly
    name: "Monthly {date:%Y-%m}"
    template_id: tm0000
    timezone: Europe/Paris
    rrule: FREQ=MONTHLY;BYMONTHDAY=15
    start_time: "09:30"
    duration_minutes: 45
    horizon_days: 60
events:
  - key: launch
    name: Launch
    start: "2027-01-05T09:30"
    timezone: America/New_York
    duration_minutes: 60
    template_id: tm4000
"""

BODIES = {
    "emails/reminder.html": "<p>Hi {recipient.firstName}, {eventName} is tomorrow: "
    "<a href='{joinLink}'>join</a></p><p><a href='{unsubLink}'>Unsubscribe</a></p>",
    "emails/thanks.html": "<p>Thanks, {recipient.firstName}!</p>",
    "emails/weekly.html": "<p>{eventName} at {eventStart}</p>",
}


def _folder(tmp_path: Path, text: str = FILE, bodies: dict[str, str] | None = None) -> Path:
    folder = tmp_path / "repo"
    for name, body in (BODIES if bodies is None else bodies).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(body, encoding="utf-8")
    folder.mkdir(exist_ok=True)
    path = folder / "kaltura-events.yaml"
    path.write_text(text)
    return path


def _targets(path: Path) -> dict[str, Target]:
    return {t.key: t for t in targets(load_events_file(path), str(path), NOW)}


def _refusal(path: Path) -> EventsFileError:
    with pytest.raises(EventsFileError) as caught:
        targets(load_events_file(path), str(path), NOW)
    return caught.value


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_own_block_replaces_the_default_whole(tmp_path: Path) -> None:
    found = _targets(_folder(tmp_path))
    weekly, monthly, launch = found["weekly"].messages, found["monthly"].messages, found["launch"].messages
    assert weekly is not None and monthly is not None and launch is not None
    assert set(weekly.spec.templates) == {"reminder"} and [s.name for s in weekly.spec.send] == [
        "reminder-before-15m-registered"
    ]
    assert weekly.bodies == {"reminder": BODIES["emails/weekly.html"]}
    assert weekly.spec.sender.email == "team@acme.example"
    assert monthly is launch, "the file's default block is read once and shared"
    assert monthly.bodies["reminder"] == BODIES["emails/reminder.html"]
    assert [s.name for s in monthly.spec.send] == ["reminder-before-24h-invited", "thanks-after-2h-attended"]


def test_no_block_anywhere_is_no_messages(tmp_path: Path) -> None:
    text = FILE.split("series:\n")[1]
    path = _folder(
        tmp_path, "name: acme-events\nseries:\n" + re.sub(r"    messages:\n(      .*\n)+", "", text)
    )
    assert all(t.messages is None and t.due_sends() == [] for t in _targets(path).values())


def test_due_sends_follow_the_planned_occurrences(tmp_path: Path) -> None:
    launch = _targets(_folder(tmp_path))["launch"]
    due = launch.due_sends()
    assert [(d.send.name, d.due_at.isoformat()) for d in due] == [
        ("reminder-before-24h-invited", "2027-01-04T14:30:00+00:00"),
        ("thanks-after-2h-attended", "2027-01-05T17:30:00+00:00"),
    ]
    assert due[0].session == "kev-msg:launch:2027-01-05:reminder-before-24h-invited"


FIELD_ERRORS = {
    "recipients nobody can name": ("to: attended}", "to: everyone}", "messages.send[1].to", "everyone"),
    "a send naming no template": (
        "template: thanks,",
        "template: thx,",
        "messages.send[1].template",
        "thx",
    ),
    "an offset that is no duration": (
        "before: 24h",
        "before: tomorrow",
        "messages.send[0].before",
        "tomorrow",
    ),
    "a subject token the service cannot fill": (
        '"Soon: {eventName}"',
        '"Soon: {eventNmae}"',
        "series[0].messages.templates.reminder.subject",
        "{eventNmae}",
    ),
    "an unknown field in the block": (
        "unsubscribe_group: weekly",
        "unsubscribe_grup: weekly",
        "series[0].messages.unsubscribe_grup",
        "weekly",
    ),
    "a bad sender": (
        "{email: team@acme.example}",
        "{email: not-an-address}",
        "series[0].messages.from.email",
        "not-an-address",
    ),
}


@pytest.mark.parametrize("case", sorted(FIELD_ERRORS))
def test_a_bad_block_names_file_line_column_field_and_value(case: str, tmp_path: Path) -> None:
    old, new, where, value = FIELD_ERRORS[case]
    assert old in FILE
    path = _folder(tmp_path, FILE.replace(old, new))
    refused = _refusal(path)
    problem = next((p for p in refused.problems if f": {where}: " in p), None)
    assert problem is not None, refused.problems
    line = _line_of(path, new.split("{")[0] if case != "a bad sender" else new)
    assert re.match(rf"{re.escape(str(path))}:{line}:[0-9]+: {re.escape(where)}: ", problem), problem
    assert value in problem, problem


def test_a_body_token_the_service_cannot_fill_is_refused_naming_field_and_token(tmp_path: Path) -> None:
    bodies = {
        **BODIES,
        "emails/weekly.html": "<p>{eventName} with {speakerName} and {recipient.shoeSize}</p>",
    }
    refused = _refusal(_folder(tmp_path, bodies=bodies))
    [problem] = refused.problems
    assert "series[0].messages.templates.reminder.body_file: uses {speakerName}: no such token" in problem
    assert "(got 'emails/weekly.html')" in problem
    assert re.search(r":\d+:\d+: ", problem)


def test_the_default_blocks_problems_are_placed_once_at_the_top_level_block(tmp_path: Path) -> None:
    bodies = {**BODIES, "emails/thanks.html": "<p>{recipient.shoeSize}</p>"}
    path = _folder(tmp_path, bodies=bodies)
    refused = _refusal(path)
    assert len(refused.problems) == 1, "used by two targets, one mistake"
    line = _line_of(path, "thanks:   {subject")
    assert f":{line}:" in refused.problems[0]
    assert "messages.templates.thanks.body_file: uses {recipient.shoeSize}" in refused.problems[0]


OUTSIDE = {
    "'..' out of the folder": ("../secret.html", "'..' leads out of"),
    "an absolute path": ("{secret}", "an absolute path outside"),
    "a symbolic link out": ("emails/link.html", "a symbolic link leads out of"),
    "a home directory": ("~/secret.html", "~ is not expanded"),
}


@pytest.mark.parametrize("case", sorted(OUTSIDE))
def test_a_body_outside_the_folder_is_refused_without_reading_it(case: str, tmp_path: Path) -> None:
    given, reason = OUTSIDE[case]
    secret = tmp_path / "secret.html"
    secret.write_text(SECRET)
    path = _folder(tmp_path)
    (path.parent / "emails" / "link.html").symlink_to(secret)
    given = given.format(secret=secret)
    path.write_text(FILE.replace("body_file: emails/weekly.html", f"body_file: '{given}'"))
    refused = _refusal(path)
    [problem] = refused.problems
    assert "series[0].messages.templates.reminder.body_file: refused: " + reason in problem, problem
    assert "TOP-SECRET" not in str(refused) and "not_a_token" not in str(refused)


BAD_FILES: dict[str, tuple[bytes | None, str]] = {
    "missing": (None, "cannot read: No such file or directory"),
    "not UTF-8": ("<p>caf\u00e9</p>".encode("latin-1"), "not UTF-8 (byte 6 is not)"),
    "empty": (b"  \n", "empty: an email needs a body"),
    "too large": (b"<p>" + b"x" * MAX_BODY_BYTES + b"</p>", "larger than 512 KiB"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_body_that_cannot_be_sent_is_refused(case: str, tmp_path: Path) -> None:
    data, reason = BAD_FILES[case]
    path = _folder(tmp_path)
    weekly = path.parent / "emails" / "weekly.html"
    weekly.unlink()
    if data is not None:
        weekly.write_bytes(data)
    [problem] = _refusal(path).problems
    assert f"series[0].messages.templates.reminder.body_file: {reason}" in problem, problem
    assert "(got 'emails/weekly.html')" in problem


def test_a_body_with_a_byte_order_mark_reads_as_its_text(tmp_path: Path) -> None:
    path = _folder(tmp_path)
    (path.parent / "emails" / "weekly.html").write_bytes(b"\xef\xbb\xbf<p>Hi</p>")
    weekly = _targets(path)["weekly"].messages
    assert weekly is not None and weekly.bodies["reminder"] == "<p>Hi</p>"


def test_every_body_problem_is_listed_at_once(tmp_path: Path) -> None:
    """A token in the default's body and an own body outside the folder: two problems, one run."""
    text = FILE.replace("body_file: emails/weekly.html", "body_file: ../x.html")
    bodies = {**BODIES, "emails/reminder.html": "{eventNmae}"}
    refused = _refusal(_folder(tmp_path, text, bodies))
    assert [p.split(": ", 1)[1] for p in refused.problems] == [
        "messages.templates.reminder.body_file: uses {eventNmae}: no such token; a template may use "
        "{recipient.<field>}, {eventName}, {eventStart}, {joinLink}, {unsubLink} "
        "(got 'emails/reminder.html')",
        "series[0].messages.templates.reminder.body_file: refused: '..' leads out of the events file's "
        "folder "
        f"{tmp_path / 'repo'} (got '../x.html')",
    ]


# -- whatever a person writes ----------------------------------------------------------------

_GOOD_TOKENS = [
    *(f"{{{t}}}" for t in TOKEN_TYPES if t != "recipient"),
    *(f"{{recipient.{f}}}" for f in sorted(USER_FIELDS)),
]
_BAD_TOKENS = ["{eventNmae}", "{recipient}", "{recipient.shoeSize}", "{eventName.x}", "{date}"]
_GOOD_OFFSETS = ["15m", "1h", "24h", "2d", "1h30m", "60d", "90m", "1d12h"]
_BAD_OFFSETS = ["0h", "61d", "soon", "", "24"]
_GOOD_KEYS = ["reminder", "thanks", "missed", "a", "x_1"]
_BAD_KEYS = ["Reminder", "x y", "-bad"]


def _choice(good: list[str], bad: list[str], broken: bool) -> st.SearchStrategy[str]:
    return st.sampled_from(good + bad) if broken else st.sampled_from(good)


def _text(broken: bool) -> st.SearchStrategy[str]:
    words = st.text(alphabet=string.ascii_letters + " <>/", min_size=1, max_size=8)
    token = _choice(_GOOD_TOKENS, _BAD_TOKENS, broken)
    return st.lists(st.one_of(words, token), min_size=1, max_size=4).map("".join)


@st.composite
def _blocks(draw: st.DrawFn) -> dict[str, Any]:
    """A messages block: one in four may be wrong anywhere (a block wrong everywhere every time
    would never reach the loaded branch)."""
    broken = draw(st.integers(0, 3)) == 0
    keys = draw(st.lists(_choice(_GOOD_KEYS, _BAD_KEYS, broken), min_size=1, max_size=3, unique=True))
    templates = {
        key: {"subject": draw(_text(broken)), "body_file": f"{key}.html", "_body": draw(_text(broken))}
        for key in keys
    }
    sends = []
    for _ in range(draw(st.integers(1, 4))):
        moment = draw(st.sampled_from(["before", "after"]))
        send: dict[str, Any] = {
            "template": draw(_choice(keys, ["nowhere"], broken)),
            moment: draw(_choice(_GOOD_OFFSETS, _BAD_OFFSETS, broken)),
            "to": draw(st.sampled_from(["invited", "registered", "attended", "absent"])),
        }
        if broken and draw(st.booleans()):
            send["before" if moment == "after" else "after"] = "1h"  # both: refused
        sends.append(send)
    return {
        "from": {"email": "events@acme.example", "name": "Acme"},
        "unsubscribe_group": "acme-events",
        "templates": templates,
        "send": sends,
    }


def _written(block: dict[str, Any], folder: Path, prefix: str) -> dict[str, Any]:
    """The block as the file has it; each body written to its file (under a folder per block)."""
    templates = {}
    for key, template in block["templates"].items():
        body = folder / prefix / template["body_file"]
        body.parent.mkdir(parents=True, exist_ok=True)
        body.write_text(template["_body"], encoding="utf-8")
        templates[key] = {"subject": template["subject"], "body_file": f"{prefix}/{template['body_file']}"}
    return {**block, "templates": templates}


SERIES = {
    "name": "Weekly",
    "template_id": "tm0000",
    "timezone": "America/New_York",
    "rrule": "FREQ=WEEKLY;BYDAY=MO,TH",
    "start_time": "10:00",
    "duration_minutes": 60,
    "horizon_days": 21,
}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(default=st.none() | _blocks(), own=st.lists(st.none() | _blocks(), min_size=3, max_size=3))
def test_a_load_refuses_naming_a_field_or_gives_sends_with_one_label_each(
    default: dict[str, Any] | None, own: list[dict[str, Any] | None], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("blocks")
    data: dict[str, Any] = {"name": "acme-events", "series": [], "events": []}
    if default is not None:
        data["messages"] = _written(default, folder, "default")
    for index, block in enumerate(own):
        entry: dict[str, Any] = {**SERIES, "key": f"series-{index}"}
        if index == 2:
            entry = {
                "key": "launch",
                "name": "Launch",
                "start": "2026-12-08T09:30",
                "timezone": "Europe/Paris",
                "duration_minutes": 30,
                "template_id": "tm0000",
            }
        if block is not None:
            entry["messages"] = _written(block, folder, f"own-{index}")
        data["events" if index == 2 else "series"].append(entry)
    path = folder / "kaltura-events.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        found = targets(load_events_file(path), str(path), NOW)
    except EventsFileError as refused:
        placed = re.compile(
            rf"{re.escape(str(path))}:\d+:\d+: (series\[\d\]\.|events\[0\]\.)?messages\.\S.*?: "
        )
        assert all(placed.match(p) for p in refused.problems), refused.problems
        event("refused")
        return
    event("loaded")
    sessions = [due.session for target in found for due in target.due_sends()]
    assert len(sessions) == len(set(sessions)), "one session label per send across the file"
    assert all(due.due_at < due.closes_at for target in found for due in target.due_sends())
    for target, block in zip(found, own, strict=True):
        expected = block if block is not None else default
        assert (target.messages is None) == (expected is None)
        if target.messages is not None and expected is not None:
            assert target.messages.bodies == {k: t["_body"] for k, t in expected["templates"].items()}
