"""Templates converge per occurrence's app on apply, and the plan says what will be sent and when.

Against the emulator's Messaging service: apply creates each template once in
each event app, a re-run writes nothing, an edited body is one update per
app, two templates of one name are mended to one, a template key removed from
the file is deleted, and nothing but ``kev:`` templates is touched.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from prefect import flow

from flows.duplication import PollSettings
from flows.sync_events_file import FileReport, sync_events_file
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawEventsApi
from kaltura_events.formats.events_file import load_events_file, targets
from kaltura_events.formats.messages_file import write_messages_file
from kaltura_events.planning.messages import MessagesSpec, SeriesMessages
from tasks.message_templates import converge_templates

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
FAST_POLL = PollSettings(timeout_seconds=10.0, intervals_seconds=[0.1, 0.2])
TEMPLATE_WRITES = ("email-template/add", "email-template/update", "email-template/delete")
PEOPLE = [{"email": f"p{i}@example.com", "first_name": f"P{i}", "last_name": "Q"} for i in range(3)]


def calls(emu: EmulatorServer) -> Counter[str]:
    return Counter(
        {endpoint: sum(by_status.values()) for endpoint, by_status in emu.control.stats()["requests"].items()}
    )


def messages(**templates: str) -> dict[str, Any]:
    return {
        "from": {"email": "events@acme.example", "name": "Acme Events"},
        "unsubscribe_group": "acme-events",
        "templates": {
            key: {"subject": f"{key.title()}: {{eventName}}", "body_file": f"emails/{key}.html"}
            for key in templates
        },
        "send": [
            {
                "template": key,
                "before" if key == "reminder" else "after": "24h" if key == "reminder" else "2h",
                "to": "invited" if key == "reminder" else "attended",
            }
            for key in templates
        ],
    }


def write(folder: Path, **templates: str) -> Path:
    """A file of one weekly series (4 occurrences in its horizon) with these templates' bodies."""
    weekly = {
        "key": "weekly",
        "name": "Weekly {date:%Y-%m-%d}",
        "template_id": "tm0000",
        "timezone": "America/New_York",
        "rrule": "FREQ=WEEKLY;BYDAY=TU",
        "start_time": "10:00",
        "duration_minutes": 60,
        "horizon_days": 28,
        "audience": {"people": PEOPLE},
    }
    spec = MessagesSpec.model_validate(messages(**templates))
    return write_messages_file(folder, "acme-events", [weekly], SeriesMessages(spec, templates))


def sync(path: Path, creds: KalturaCredentials, *, dry_run: bool) -> FileReport:
    report = sync_events_file(str(path), creds, dry_run=dry_run, poll=FAST_POLL, now=NOW)
    assert isinstance(report, FileReport)
    return report


def live_templates(emu: EmulatorServer) -> list[dict[str, Any]]:
    return [t for t in emu.control.state()["emailTemplates"] if t["status"] != "deleted"]


def by_app(emu: EmulatorServer) -> dict[str, Counter[str]]:
    found: dict[str, Counter[str]] = {}
    for template in live_templates(emu):
        found.setdefault(template["appGuid"], Counter())[template["name"]] += 1
    return found


REMINDER = "<p>Hi {recipient.firstName}, {eventName} starts soon: <a href='{joinLink}'>join</a></p>"
THANKS = "<p>Thanks for coming, {recipient.firstName}. <a href='{unsubLink}'>Unsubscribe</a></p>"


def test_apply_creates_each_template_once_per_app_and_a_rerun_writes_nothing(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    path = write(tmp_path, reminder=REMINDER, thanks=THANKS)
    plan = sync(path, creds, dry_run=True)
    actions = [r["action"] for r in plan.rows() if r["series"] == "weekly" and "template" in r["action"]]
    assert actions == [
        "would create template kev:reminder in 4 event apps",
        "would create template kev:thanks in 4 event apps",
    ]
    sends = [r["action"] for r in plan.rows() if "send" in r["action"]]
    assert sends[0] == (
        "would send reminder (24h before) to 3 on 2026-11-30 10:00 America/New_York "
        "(due now: the next send-messages run sends it)"
    )
    assert (
        sends[1]
        == "would send thanks (2h after) to attended (counted when sent) on 2026-12-01 13:00 America/New_York"
    )
    assert sends[2] == "would send reminder (24h before) to 3 on 2026-12-07 10:00 America/New_York"
    assert len(sends) == 8 and plan.changes() == 4 + 8, "4 events to create, 8 templates; sends are no change"
    assert not any(calls(emu)[w] for w in TEMPLATE_WRITES)

    applied = sync(path, creds, dry_run=False)
    assert not applied.failed
    apps = by_app(emu)
    assert len(apps) == 4 and all(names == {"kev:reminder": 1, "kev:thanks": 1} for names in apps.values())
    [reminder] = [t for t in live_templates(emu) if t["name"] == "kev:reminder"][:1]
    assert reminder["msgParamsMap"] == {
        "eventName": {"type": "String"},
        "joinLink": {"type": "MagicLink"},
        "recipient": {"type": "User"},
    }
    assert reminder["toAttributePath"] == "{recipient.email}"
    assert reminder["from"] == "events@acme.example" and reminder["fromName"] == "Acme Events"
    assert reminder["unsubscribeGroups"] == ["acme-events"] and reminder["body"] == REMINDER

    emu.control.reset_stats()
    again = sync(path, creds, dry_run=False)
    assert not any(calls(emu)[w] for w in TEMPLATE_WRITES), "a re-run makes no write"
    assert again.changes() == 0 and not [r for r in again.rows() if "template" in r["action"]]
    replan = sync(path, creds, dry_run=True)
    assert replan.changes() == 0, "would-send rows alone are not pending changes"
    assert len([r for r in replan.rows() if "would send" in r["action"]]) == 8


def test_an_edited_body_is_one_update_per_app(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    path = write(tmp_path, reminder=REMINDER, thanks=THANKS)
    sync(path, creds, dry_run=False)
    write(tmp_path, reminder=REMINDER.replace("soon", "in 24 hours"), thanks=THANKS)
    plan = sync(path, creds, dry_run=True)
    [row] = [r for r in plan.rows() if "template" in r["action"]]
    assert row["action"] == "would update template kev:reminder in 4 event apps"
    assert row["note"] == "changed: body"
    emu.control.reset_stats()
    sync(path, creds, dry_run=False)
    spent = calls(emu)
    assert spent["email-template/update"] == 4 and not spent["email-template/add"]
    assert {t["body"] for t in live_templates(emu) if t["name"] == "kev:reminder"} == {
        REMINDER.replace("soon", "in 24 hours")
    }


def test_two_templates_of_one_name_are_mended_to_the_oldest(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    path = write(tmp_path, reminder=REMINDER, thanks=THANKS)
    sync(path, creds, dry_run=False)
    oldest = {t["appGuid"]: t["id"] for t in live_templates(emu) if t["name"] == "kev:thanks"}
    guid = sorted(oldest)[0]
    client = creds.get_messaging_client()
    client.add_template(
        guid, name="kev:thanks", subject="x", body="<p>x</p>", msg_params_map={"recipient": "User"}
    )
    client.add_template(
        guid, name="Producer's own", subject="y", body="<p>y</p>", msg_params_map={"recipient": "User"}
    )
    plan = sync(path, creds, dry_run=True)
    [row] = [r for r in plan.rows() if "template" in r["action"]]
    assert row["action"] == "would delete template kev:thanks in 1 event app"
    assert row["note"] == "a second of this name; the oldest stays"
    sync(path, creds, dry_run=False)
    assert by_app(emu)[guid] == {"kev:reminder": 1, "kev:thanks": 1, "Producer's own": 1}
    assert {t["id"] for t in live_templates(emu) if t["name"] == "kev:thanks"} == set(oldest.values())


def test_a_template_key_removed_from_the_file_is_deleted(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    path = write(tmp_path, reminder=REMINDER, thanks=THANKS)
    sync(path, creds, dry_run=False)
    write(tmp_path, reminder=REMINDER)
    plan = sync(path, creds, dry_run=True)
    [row] = [r for r in plan.rows() if "template" in r["action"]]
    assert row["action"] == "would delete template kev:thanks in 4 event apps"
    assert row["note"] == "its key is no longer in the file"
    emu.control.reset_stats()
    applied = sync(path, creds, dry_run=False)
    assert calls(emu)["email-template/delete"] == 4 and not applied.failed
    assert all(names == {"kev:reminder": 1} for names in by_app(emu).values())


def test_converge_templates_gives_the_ids_the_send_flow_uses(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    """The plain function: one app, listed by itself; a second call writes nothing, same ids."""
    path = write(tmp_path, reminder=REMINDER, thanks=THANKS)
    sync(path, creds, dry_run=False)
    [target] = targets(load_events_file(path), str(path), NOW)
    assert target.messages is not None
    guid = sorted(by_app(emu))[0]
    emu.control.reset_stats()
    messages = target.messages

    @flow
    def once() -> dict[str, str]:
        return converge_templates(creds, guid, messages)

    ids = once()
    assert set(ids) == {"reminder", "thanks"}
    assert {t["id"] for t in live_templates(emu) if t["appGuid"] == guid} == set(ids.values())
    assert calls(emu) == Counter({"email-template/list": 1})


def test_an_event_the_app_registry_does_not_know_is_one_line_not_an_error(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path, apps: RawEventsApi
) -> None:
    path = write(tmp_path, reminder=REMINDER)
    first = sync(path, creds, dry_run=False)
    event_id = next(r.event_id for t in first.targets if t.report for r in t.report.created)
    [app] = [a for a in emu.control.state()["apps"] if a["appCustomId"] == str(event_id)]
    assert apps.post("app-registry/delete", {"id": app["id"]}).status_code == 200
    again = sync(path, creds, dry_run=False)
    assert not again.failed and again.changes() == 0
    assert f"1 event(s) not yet in the App Registry ({event_id})" in again.summary()
