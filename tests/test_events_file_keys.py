"""Nothing the events file accepts is ignored: every key of its JSON Schema changes what a run does.

The schema is walked, so a key added to the models without a case here fails
this test. Each case changes one key of a complete file; what the runs act on
(each target's planned events with their sessions, speakers, audience and
labels, its source and prune flag, the encore's replay, the file's label,
prune_removed and team) must differ from the unchanged file's.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaltura_events.formats.events_file import json_schema, load_events_file, targets
from kaltura_events.planning.encore import Original, plan_replay

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
Data = dict[str, Any]
Change = Callable[[Data], None]

SESSIONS = [
    {
        "name": "Keynote",
        "type": "LiveWebcast",
        "offset_minutes": 0,
        "duration_minutes": 30,
        "visibility": "published",
        "description": "k",
        "speakers": [
            {"email": "ceo@example.com", "first_name": "Dana", "last_name": "Reyes", "role": "simpleSpeaker"}
        ],
    },
    {
        "name": "Replay",
        "type": "SimuLive",
        "offset_minutes": 30,
        "duration_minutes": 30,
        "source_entry_id": "0_aaaaaaaa",
    },
]
AUDIENCE = {
    "csv": "people.csv",
    "columns": {"email": "E-mail"},
    "people": [
        {"email": "p@example.com", "first_name": "Pat", "last_name": "Q", "title": "T", "company": "C"}
    ],
    "send_invitations": False,
    "remove_unlisted": False,
    "max_removals": 10,
}
MESSAGES = {
    "from": {"email": "events@example.com", "name": "Events"},
    "unsubscribe_group": "acme-events",
    "templates": {
        "reminder": {"subject": "Soon: {eventName}", "body_file": "reminder.html"},
        "thanks": {"subject": "Thanks", "body_file": "thanks.html"},
    },
    "send": [
        {"template": "reminder", "before": "24h", "to": "invited"},
        {"template": "thanks", "after": "2h", "to": "attended"},
    ],
}
BASE: Data = {
    "name": "keys-file",
    "prune_removed": False,
    "series": [
        {
            "key": "weekly",
            "name": "Weekly {date:%Y-%m-%d}",
            "template_id": "tm0000",
            "timezone": "Europe/Berlin",
            "rrule": "FREQ=WEEKLY;BYDAY=MO",
            "start_time": "10:00",
            "duration_minutes": 60,
            "doors_open_minutes": 15,
            "horizon_days": 300,
            "starts_on": "2026-11-30",
            "until": "2027-08-31",
            "description": "d",
            "labels": ["x"],
            "sessions": SESSIONS,
            "skip_dates": ["2026-12-14"],
            "holidays": {"country": "US", "subdivision": "MA", "observed": True},
            "extra_dates": ["2026-12-16"],
            "overrides": [
                {
                    "original_date": "2026-12-21",
                    "date": "2026-12-22",
                    "start_time": "11:00",
                    "duration_minutes": 75,
                    "name": "Moved",
                    "description": "m",
                    "cancelled": False,
                }
            ],
            "audience": AUDIENCE,
            "encore": {
                "timezone": "Asia/Singapore",
                "start_time": "10:00",
                "days_after": 1,
                "template_id": "tm0000",
                "name": "{name} (encore)",
            },
            "prune": False,
            "messages": MESSAGES,
        }
    ],
    "messages": MESSAGES,
    "events": [
        {
            "key": "launch",
            "name": "Launch",
            "start": "2027-01-12T11:00",
            "timezone": "Europe/Berlin",
            "duration_minutes": 60,
            "doors_open_minutes": 15,
            "template_id": "tm0000",
            "description": "d",
            "labels": ["x"],
            "sessions": SESSIONS,
            "audience": AUDIENCE,
            "messages": MESSAGES,
        },
        {
            "key": "launch-party",
            "name": "Launch party",
            "start": "2027-01-12T18:00",
            "timezone": "Europe/Berlin",
            "duration_minutes": 60,
            "template_id": "tm0000",
        },
    ],
    "team": {
        "remove_unlisted": False,
        "members": [
            {"email": "lee@example.com", "role": "Organizer", "first_name": "Lee", "last_name": "Park"}
        ],
    },
}


def _set(key: str, value: Any, drop: str | None = None) -> Callable[[Data], None]:
    def change(entry: Data) -> None:
        entry[key] = value
        if drop is not None:
            del entry[drop]

    return change


def _in_messages(change: Callable[[Data], None]) -> Change:
    return lambda entry: change(entry["messages"])


def _in_series(change: Callable[[Data], None]) -> Change:
    return lambda data: change(data["series"][0])


def _in_event(change: Callable[[Data], None]) -> Change:
    return lambda data: change(data["events"][0])


MESSAGE_KEYS: dict[str, Callable[[Data], None]] = {
    "from.email": lambda m: m["from"].update(email="hello@example.com"),
    "from.name": lambda m: m["from"].update(name="Acme"),
    "unsubscribe_group": _set("unsubscribe_group", "other-group"),
    "templates": lambda m: m["templates"]["thanks"].update(body_file="other.html"),
    "send[].template": lambda m: m["send"][1].update(template="reminder"),
    "send[].before": lambda m: m["send"][0].update(before="12h"),
    "send[].after": lambda m: m["send"][1].update(after="3h"),
    "send[].to": lambda m: m["send"][0].update(to="registered"),
}
"""A messages block's keys, the same under a series, an event and the file's top level."""

SHARED: dict[str, Callable[[Data], None]] = {
    "name": _set("name", "Renamed {date:%d %B}"),
    "timezone": _set("timezone", "Europe/London"),
    "duration_minutes": _set("duration_minutes", 90),
    "doors_open_minutes": _set("doors_open_minutes", 5),
    "template_id": _set("template_id", "tm1000"),
    "custom_template_id": _set("custom_template_id", "0123456789abcdef01234567", drop="template_id"),
    "source_event_id": _set("source_event_id", 5, drop="template_id"),
    "description": _set("description", "other"),
    "labels": _set("labels", ["y"]),
    "key": _set("key", "rekeyed"),
    "sessions[].name": lambda e: e["sessions"][0].update(name="Opening"),
    "sessions[].type": lambda e: e["sessions"][0].update(type="MeetingEntry"),
    "sessions[].offset_minutes": lambda e: e["sessions"][0].update(offset_minutes=5, duration_minutes=25),
    "sessions[].duration_minutes": lambda e: e["sessions"][0].update(duration_minutes=20),
    "sessions[].visibility": lambda e: e["sessions"][0].update(visibility="unlisted"),
    "sessions[].description": lambda e: e["sessions"][0].update(description="other"),
    "sessions[].source_entry_id": lambda e: e["sessions"][1].update(source_entry_id="0_bbbbbbbb"),
    "sessions[].speakers[].email": lambda e: e["sessions"][0]["speakers"][0].update(email="cfo@example.com"),
    "sessions[].speakers[].first_name": lambda e: e["sessions"][0]["speakers"][0].update(first_name="Dan"),
    "sessions[].speakers[].last_name": lambda e: e["sessions"][0]["speakers"][0].update(last_name="Ray"),
    "sessions[].speakers[].role": lambda e: e["sessions"][0]["speakers"][0].update(role="advancedSpeaker"),
    "sessions[].speakers[].order": lambda e: e["sessions"][0]["speakers"][0].update(order=2),
    "audience.csv": lambda e: e["audience"].update(csv="other.csv"),
    "audience.columns": lambda e: e["audience"].update(columns={"email": "Alt"}),
    "audience.people[].email": lambda e: e["audience"]["people"][0].update(email="r@example.com"),
    "audience.people[].first_name": lambda e: e["audience"]["people"][0].update(first_name="Pam"),
    "audience.people[].last_name": lambda e: e["audience"]["people"][0].update(last_name="R"),
    "audience.people[].title": lambda e: e["audience"]["people"][0].update(title="U"),
    "audience.people[].company": lambda e: e["audience"]["people"][0].update(company="D"),
    "audience.send_invitations": lambda e: e["audience"].update(send_invitations=True),
    "audience.remove_unlisted": lambda e: e["audience"].update(remove_unlisted=True),
    "audience.max_removals": lambda e: e["audience"].update(max_removals=3),
    **{f"messages.{path}": _in_messages(change) for path, change in MESSAGE_KEYS.items()},
}


def _override(**fields: Any) -> Change:
    return _in_series(lambda s: s["overrides"][0].update(fields))


CHANGES: dict[str, Change] = {
    "name": lambda d: d.update(name="other-file"),
    "prune_removed": lambda d: d.update(prune_removed=True),
    "team.remove_unlisted": lambda d: d["team"].update(remove_unlisted=True),
    "team.members[].email": lambda d: d["team"]["members"][0].update(email="kim@example.com"),
    "team.members[].role": lambda d: d["team"]["members"][0].update(role="Admin"),
    "team.members[].first_name": lambda d: d["team"]["members"][0].update(first_name="Lea"),
    "team.members[].last_name": lambda d: d["team"]["members"][0].update(last_name="Parks"),
    **{f"messages.{path}": _in_messages(change) for path, change in MESSAGE_KEYS.items()},
    **{f"series[].{path}": _in_series(change) for path, change in SHARED.items()},
    **{f"events[].{path}": _in_event(change) for path, change in SHARED.items()},
    "events[].start": _in_event(_set("start", "2027-01-12T12:00")),
    "series[].rrule": _in_series(_set("rrule", "FREQ=WEEKLY;BYDAY=MO,WE")),
    "series[].start_time": _in_series(_set("start_time", "09:00")),
    "series[].horizon_days": _in_series(_set("horizon_days", 200)),
    "series[].starts_on": _in_series(_set("starts_on", "2026-12-14")),
    "series[].until": _in_series(_set("until", "2027-08-16")),
    "series[].skip_dates": _in_series(_set("skip_dates", ["2026-12-28"])),
    "series[].extra_dates": _in_series(_set("extra_dates", ["2026-12-17"])),
    "series[].prune": _in_series(_set("prune", True)),
    "series[].holidays.country": _in_series(_set("holidays", {"country": "GB"})),
    "series[].holidays.subdivision": _in_series(lambda s: s["holidays"].update(subdivision=None)),
    "series[].holidays.observed": _in_series(lambda s: s["holidays"].update(observed=False)),
    "series[].overrides[].original_date": _override(original_date="2027-01-04"),
    "series[].overrides[].date": _override(date="2026-12-23"),
    "series[].overrides[].start_time": _override(start_time="12:00"),
    "series[].overrides[].duration_minutes": _override(duration_minutes=90),
    "series[].overrides[].name": _override(name="Moved again"),
    "series[].overrides[].description": _override(description="n"),
    "series[].overrides[].cancelled": _in_series(
        _set("overrides", [{"original_date": "2026-12-21", "cancelled": True}])
    ),
    "series[].encore.timezone": _in_series(lambda s: s["encore"].update(timezone="Asia/Tokyo")),
    "series[].encore.start_time": _in_series(lambda s: s["encore"].update(start_time="11:00")),
    "series[].encore.days_after": _in_series(lambda s: s["encore"].update(days_after=2)),
    "series[].encore.template_id": _in_series(lambda s: s["encore"].update(template_id="tm3000")),
    "series[].encore.name": _in_series(lambda s: s["encore"].update(name="{name} (APAC)")),
}


def schema_keys() -> list[str]:
    """Every key the schema accepts, as 'series[].sessions[].speakers[].role'."""
    schema = json_schema()
    found: list[str] = []

    def walk(node: dict[str, Any], path: str) -> None:
        if "$ref" in node:
            walk(schema["$defs"][node["$ref"].rsplit("/", 1)[1]], path)
        for option in node.get("anyOf", []):
            walk(option, path)
        if node.get("type") == "array" and "items" in node:
            walk(node["items"], f"{path}[]")
        for key, inner in node.get("properties", {}).items():
            found.append(f"{path}.{key}" if path else key)
            walk(inner, found[-1])

    walk(schema, "")
    return sorted(set(found))


def _leaves(keys: list[str]) -> Iterator[str]:
    """Keys with no key below them: a section's own effect is its keys'."""
    for key in keys:
        if not any(other.startswith(f"{key}.") or other.startswith(f"{key}[]") for other in keys):
            yield key


def effects(data: Data, folder: Path) -> str:
    """What the runs act on, from the file as written; the file's own text is not in it."""
    (folder / "people.csv").write_text("E-mail,Alt,first_name,last_name\na@example.com,b@example.com,A,B\n")
    (folder / "other.csv").write_text("E-mail,first_name,last_name\nc@example.com,C,D\n")
    for body in ("reminder", "thanks", "other"):
        (folder / f"{body}.html").write_text(f"<p>{body}, {{recipient.firstName}}</p>")
    path = folder / "kaltura-events.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    loaded = load_events_file(path)
    seen: list[Any] = [loaded.file_label, loaded.prune_removed, loaded.team]
    for target in targets(loaded, str(path), NOW):
        series = target.series
        seen += [target.key, series.prune, series.create_template_id, series.source_event_id, target.planned]
        seen.append(target.messages)
        if series.encore is not None and target.planned:
            first = target.planned[0]
            original = Original(1, first.name, first.start_utc, first.end_utc, series.timezone, first.labels)
            seen.append(plan_replay(series.key, series.encore, original, "0_recording"))
    return repr(seen)


def test_every_schema_key_has_a_case() -> None:
    keys = schema_keys()
    assert len(keys) > 100
    missing = [key for key in _leaves(keys) if key not in CHANGES]
    assert missing == [], "a key the file accepts must change a plan here, or be refused"
    assert sorted(set(CHANGES) - set(keys)) == [], "a case for a key the schema no longer has"


@pytest.mark.parametrize("key", sorted(CHANGES))
def test_each_key_changes_what_the_runs_do(key: str, tmp_path: Path) -> None:
    before = effects(copy.deepcopy(BASE), tmp_path)
    changed = copy.deepcopy(BASE)
    CHANGES[key](changed)
    assert json.dumps(changed, sort_keys=True) != json.dumps(BASE, sort_keys=True)
    assert effects(changed, tmp_path) != before, f"{key} is accepted and changes nothing"


def test_effects_see_only_what_the_runs_act_on(tmp_path: Path) -> None:
    """Without this, a fingerprint that differed every time would make each case above pass."""
    same = copy.deepcopy(BASE)
    same["series"][0]["overrides"][0]["cancelled"] = False  # written out, as the default it is
    del same["series"][0]["prune"]
    assert effects(same, tmp_path) == effects(copy.deepcopy(BASE), tmp_path)
