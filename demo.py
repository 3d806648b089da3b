"""`make demo`: the main job end to end on the local emulator, against a Prefect server it starts.

1. a monthly all-hands series for the next 6 months in America/New_York, across a DST change,
   with US public holidays skipped, one occurrence moved by an override, and speakers;
2. the same run again, to show that nothing changes;
3. one occurrence stamped out of a template event;
4. everything torn down, categories included;
5. events as code: the example kaltura-events.yaml planned, applied and planned again;
6. an audience from an HR export (examples/audiences/all-employees.csv) invited to every
   occurrence, a re-run that lists nobody, and a truncated export whose removals the guard refuses;
7. attendance for that series: people marked as registered and attended through the emulator's
   control endpoint (standing in for people joining), then the report's table, chart and CSVs;
8. reminders and follow-ups for the town hall through Kaltura's Messaging service: a reminder
   before an occurrence that starts tomorrow, "thank you" and "you missed it" after one that
   ended this morning, each person mailed once, two of the emails shown as they were rendered;
9. a session's recording becomes ready: Kaltura's notification goes through the webhook receiver
   to the Prefect server, whose trigger runs schedule-encore (served by deployments/serve.py).

Pass --keep to leave the Prefect server and emulator running so the runs and
their table artifacts can be browsed in the Prefect UI.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any, cast
from zoneinfo import ZoneInfo

from deployments.local_server import PrefectServer
from kaltura_events.emulator.config import EmulatorConfig
from kaltura_events.emulator.server import EmulatorServer

EVENTS_FILE = "examples/kaltura-events.yaml"
SERIES: dict[str, Any] = {
    "key": "demo-all-hands",
    "name": "Company All-Hands {date:%B %Y}",
    "template_id": "tm0000",
    "timezone": "America/New_York",
    "rrule": "FREQ=MONTHLY;BYDAY=3MO",
    "holidays": {"country": "US"},
    "start_time": "10:00",
    "duration_minutes": 60,
    "doors_open_minutes": 15,
    "horizon_days": 183,
    "description": "Monthly company update and open Q&A.",
    "labels": ["demo"],
    "sessions": [
        {
            "name": "CEO update",
            "type": "LiveWebcast",
            "offset_minutes": 0,
            "duration_minutes": 40,
            "speakers": [
                {
                    "email": "ceo@example.com",
                    "first_name": "Dana",
                    "last_name": "Reyes",
                    "role": "advancedSpeaker",
                }
            ],
        },
        {
            "name": "Open Q&A",
            "type": "MeetingEntry",
            "offset_minutes": 40,
            "duration_minutes": 20,
            "speakers": [
                {"email": "cfo@example.com", "first_name": "Sam", "last_name": "Okafor", "order": 1},
                {"email": "ceo@example.com", "first_name": "Dana", "last_name": "Reyes", "order": 2},
            ],
        },
    ],
}


def with_exceptions(series: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], str]:
    """The series with an override moving its second occurrence a day later, at 11:00 for an offsite.

    Also says which dates the rule yields but US holidays take away, so the
    demo shows them whatever month it runs in.
    """
    from kaltura_events.planning.series import AllHandsSeries
    from kaltura_events.planning.series_plan import plan

    now = datetime.now(timezone.utc)
    bare = plan(AllHandsSeries.model_validate({**series, "holidays": None}), now)
    kept = {p.original_date for p in plan(AllHandsSeries.model_validate(series), now)}
    calendar = AllHandsSeries.model_validate(series).holidays
    names = calendar.dates({p.local_start.year for p in bare}) if calendar else {}
    days = [p.local_start.date() for p in bare]  # without overrides, each is its original date
    skipped = {str(d): names.get(d, "") for d in days if d not in kept}
    original = [d for d in days if d in kept][1]
    day = original + timedelta(days=1)
    override = {
        "original_date": original.isoformat(),
        "date": day.isoformat(),
        "start_time": "11:00",
        "name": "Company All-Hands {date:%B %Y} (offsite)",
    }
    return {**series, "overrides": [override]}, skipped, f"{original} -> {day} 11:00"


def calls(emulator: EmulatorServer) -> Counter[str]:
    stats = emulator.control.stats()
    return Counter({endpoint: sum(by_status.values()) for endpoint, by_status in stats["requests"].items()})


def heading(text: str) -> None:
    print(f"\n== {text}")


class _HtmlText(HTMLParser):
    """An email body as its reader sees the words: one line per block, a link as its text and address."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"})
    HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.hidden = 0
        self.links: list[tuple[str, str]] = []
        """The open links: their address and the text at the line where they began."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.lines.append("")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", self.lines[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.lines.append("")
        elif tag == "a" and self.links:
            href, before = self.links.pop()
            text = self.lines[-1][len(before) :].strip() if self.lines[-1].startswith(before) else ""
            if href and href != text:
                self.lines[-1] += f" <{href}>"

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.lines[-1] += data

    def text_lines(self) -> list[str]:
        return [" ".join(line.split()) for line in self.lines if line.strip()]


def readable_email(message: dict[str, Any], body_lines: int = 6) -> str:
    """One email of ``/_emulator/outbox`` as a person would read it: who it is for, its subject, and the
    first lines of its body as text, tokens filled as the service filled them.

    Anything shaped like a credential is hidden (``api.redaction.scrub``), a
    link's query values with it: the emulator's links carry none, a real
    service's MagicLink carries a token that logs its reader in.
    """
    from kaltura_events.api.redaction import scrub

    parser = _HtmlText()
    parser.feed(str(message.get("body") or ""))
    parser.close()
    body = parser.text_lines()
    sender = message.get("fromName") or ""
    address = message.get("from") or ""
    lines = [f"To:      {message.get('to', '')}"]
    if sender and address:
        lines.append(f"From:    {sender} <{address}>")
    elif sender or address:
        lines.append(f"From:    {sender or address}")
    lines.append(f"Subject: {message.get('subject', '')}")
    lines += [f"  | {line}" for line in body[:body_lines]]
    if len(body) > body_lines:
        lines.append(f"  | ... ({len(body) - body_lines} more line(s))")
    return scrub("\n".join(lines))


def print_email(message: dict[str, Any], body_lines: int = 6) -> None:
    print(readable_email(message, body_lines))


def events_as_code(emulator: EmulatorServer, creds: Any) -> bool:
    """The example file against an empty account whose first event is the template it copies."""
    from flows.duplication import PollSettings
    from flows.sync_events_file import FileReport, sync_events_file

    emulator.control.reset(duplicate_seconds=1.0)
    creds.get_events_client().create_event(
        name="Town Hall template",
        template_id="tm4000",
        start="2027-01-05T15:00:00Z",
        end="2027-01-05T16:00:00Z",
        timezone="America/New_York",
    )
    poll = PollSettings(intervals_seconds=[1.0, 2.0])
    reports: list[FileReport] = []
    for dry_run in (True, False, True):
        emulator.control.reset_stats()
        report = sync_events_file(EVENTS_FILE, creds, dry_run=dry_run, poll=poll)
        assert isinstance(report, FileReport)
        reports.append(report)
        verb = "plan " if dry_run else "apply"
        print(f"{verb}: {report.changes()} change(s); {report.summary()}")
        print(f"       API calls: {dict(calls(emulator))}")
    plan, applied, again = reports
    return plan.changes() > 0 and not applied.failed and again.changes() == 0


AUDIENCE_CSV = "examples/audiences/all-employees.csv"
DEMO_OUTPUT = "demo-output"
AUDIENCE_COLUMNS = {"email": "E-mail Address", "first_name": "Given Name", "last_name": "Surname"}


def audiences(emulator: EmulatorServer, creds: Any) -> bool:
    """Invite the HR export to a 3-month series, re-run it, then refuse a truncated export's removals."""
    import csv
    from pathlib import Path

    from flows.schedule_all_hands import schedule_all_hands
    from kaltura_events.planning.series import AllHandsSeries

    emulator.control.reset()
    spec = {
        **SERIES,
        "key": "demo-town-hall",
        "name": "Town Hall {date:%B %Y}",
        "horizon_days": 92,
        "holidays": None,
        "audience": {"csv": AUDIENCE_CSV, "columns": AUDIENCE_COLUMNS},
    }
    report = schedule_all_hands(AllHandsSeries.model_validate(spec), creds)
    for row in report.created:
        print(f"event {row.event_id} {row.name:<22} {row.people}")
    users = emulator.control.state()["eventUsers"]
    invited_twice = sum(1 for event in users.values() for u in event if u["invitations"] != 1)
    print(
        f"{sum(len(event) for event in users.values())} event users over {len(users)} events; "
        f"invited more than once: {invited_twice}; the CEO and CFO also speak, and hold both roles"
    )
    emulator.control.reset_stats()
    again = schedule_all_hands(AllHandsSeries.model_validate(spec), creds)
    print(f"re-run: {len(again.unchanged)} unchanged; API calls: {dict(calls(emulator))}")

    # In the work root (the working directory), as a run's audience must be.
    truncated = Path(DEMO_OUTPUT) / "export-cut-short.csv"
    truncated.parent.mkdir(parents=True, exist_ok=True)
    with open(AUDIENCE_CSV, encoding="utf-8-sig") as source:
        rows = list(csv.reader(source, delimiter=";"))
    with truncated.open("w", encoding="utf-8", newline="") as target:
        csv.writer(target, delimiter=";").writerows(rows[:3])  # the header and two people
    guard = {"csv": str(truncated), "remove_unlisted": True, "max_removals": 5}
    cut = {**spec, "audience": {**spec["audience"], **guard}}
    emulator.control.reset_stats()
    # The refusal fails the run on purpose; Prefect would print its traceback as an ERROR.
    flow_runs = logging.getLogger("prefect.flow_runs")
    level = flow_runs.level
    flow_runs.setLevel(logging.CRITICAL)
    try:
        state = schedule_all_hands(AllHandsSeries.model_validate(cut), creds, return_state=True)
    finally:
        flow_runs.setLevel(level)
    message = state.message or ""
    refused = state.is_failed() and message.count("more than max_removals=5") == len(report.created)
    print("an export cut to 2 people, remove_unlisted, at most 5 removals: the run failed, as it should:")
    for refusal in re.findall(r"event \d+: \d+ attendees are no longer listed[^;]*; none removed", message):
        print(f"  {refusal}")
    removed = calls(emulator)["event-users/delete"]
    print(f"event-users/delete calls: {removed}; every event keeps its audience")
    return not invited_twice and not again.created and not again.finished and refused and removed == 0


ATTENDANCE_DIR = f"{DEMO_OUTPUT}/attendance"


def attendance(emulator: EmulatorServer, creds: Any) -> bool:
    """Who registered and who came to the town halls of step 6, read back from the User Profile service."""
    from pathlib import Path

    from flows.report_attendance import report_attendance
    from kaltura_events.planning.selection import EventSelector

    state = emulator.control.state()
    events = sorted(
        (e for e in state["events"] if "kev-series:demo-town-hall" in e["labels"]),
        key=lambda e: e["startDate"],
    )
    invited = {int(k): sorted(u["email"].lower() for u in users) for k, users in state["eventUsers"].items()}
    marked: dict[int, tuple[int, int, int]] = {}
    for number, event in enumerate(events):
        people = invited.get(event["id"], [])
        registered = people[: len(people) * (3 + number) // 6]
        came = registered[: len(registered) * 2 // 3]
        # The invitation platform's registration page would make these; the control endpoint stands in.
        emulator.control.mark_attendance(event["id"], people, "invited")
        emulator.control.mark_attendance(event["id"], registered, "registered")
        emulator.control.mark_attendance(event["id"], came, "attended", at=event["startDate"])
        marked[event["id"]] = (len(people), len(registered), len(came))
    report = report_attendance(EventSelector(series_key="demo-town-hall"), creds, output_dir=ATTENDANCE_DIR)
    print(f"{'occurrence':<12} {'event':>5} {'invited':>8} {'registered':>10} {'attended':>8}  att./reg.")
    for row in report.occurrences:
        print(
            f"{row.occurrence:<12} {row.event_id:>5} {row.invited:>8} {row.registered:>10} {row.attended:>8}"
            f"  {row.attended_of_registered}"
        )
    print(report.summary())
    print(f"chart: {report.chart}")
    csvs = ", ".join(Path(f).name for f in report.files if f.endswith(".csv"))
    print(f"CSVs:  {csvs} in {ATTENDANCE_DIR}/")
    return all(
        (row.invited, row.registered, row.attended) == marked.get(row.event_id) and row.problem is None
        for row in report.occurrences
    ) and len(report.occurrences) == len(events)


MESSAGES_DIR = f"{DEMO_OUTPUT}/messages"
MESSAGES: dict[str, Any] = {
    "from": {"email": "events@example.com", "name": "Acme Events"},
    "unsubscribe_group": "acme-events",
    "templates": {
        "reminder": {"subject": "Tomorrow: {eventName}", "body_file": "emails/reminder.html"},
        "thanks": {"subject": "Thank you for joining {eventName}", "body_file": "emails/thanks.html"},
        "missed": {"subject": "You missed {eventName}: the recording", "body_file": "emails/missed.html"},
    },
    "send": [
        {"template": "reminder", "before": "24h", "to": "invited"},
        {"template": "thanks", "after": "2h", "to": "attended"},
        {"template": "missed", "after": "2h", "to": "absent"},
    ],
}


def messages(emulator: EmulatorServer, creds: Any) -> bool:
    """The town hall's reminder and follow-ups, sent by the send-messages flow at their time.

    The emulator keeps real time and the flow takes no "now", so two
    occurrences of the town hall are placed by hand, as the platform would
    hold them a day apart: one ended three hours ago (its follow-ups are due),
    one starts in 20 hours (its 24-hour reminder is due). The events file is
    written to the work root with the example bodies beside it.
    """
    from pathlib import Path

    from flows.send_messages import SendReport, send_messages
    from kaltura_events.formats.audience_csv import read_audience_csv
    from kaltura_events.formats.message_bodies import read_bodies
    from kaltura_events.formats.messages_file import write_messages_file
    from kaltura_events.formats.paths import Root
    from kaltura_events.planning.labels import OCCURRENCE_LABEL_PREFIX, SERIES_LABEL_PREFIX
    from kaltura_events.planning.messages import MessagesSpec

    town_hall = {**SERIES, "key": "demo-town-hall", "name": "Town Hall {date:%B %Y}", "holidays": None}
    town_hall.pop("sessions", None)
    # The example bodies, read as a run reads them, then written beside the demo's file.
    bodies, problems = read_bodies(
        MessagesSpec.model_validate(MESSAGES), [Root.of(Path("examples"), "examples")]
    )
    assert bodies is not None, problems
    events_file = write_messages_file(Path(MESSAGES_DIR), "demo-messages", [town_hall], bodies)
    rows = read_audience_csv(Path(AUDIENCE_CSV), AUDIENCE_COLUMNS, AUDIENCE_CSV)
    people = list({person.email.lower(): person for _, person in rows}.values())  # one per address
    api = creds.get_events_client()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for when, start in (
        ("ended 3 hours ago", now - timedelta(hours=4)),
        ("tomorrow", now + timedelta(hours=20)),
    ):
        day = start.astimezone(ZoneInfo("America/New_York")).date()
        event = api.create_event(
            name=f"Town Hall {day:%B %-d}",
            template_id="tm0000",
            start=start.isoformat(),
            end=(start + timedelta(hours=1)).isoformat(),
            timezone="America/New_York",
        )
        api.update_event(
            event.id, labels=[SERIES_LABEL_PREFIX + "demo-town-hall", OCCURRENCE_LABEL_PREFIX + str(day)]
        )
        for person in people:
            api.invite_event_user(
                event.id, first_name=person.first_name, last_name=person.last_name, email=person.email
            )
        emails = [person.email for person in people]
        # Joining would make these; the control endpoint stands in, as in step 7.
        emulator.control.mark_attendance(event.id, emails, "invited")
        if start < now:
            emulator.control.mark_attendance(event.id, emails[: len(emails) * 2 // 3], "registered")
            emulator.control.mark_attendance(
                event.id, emails[: len(emails) // 3], "attended", at=start.isoformat()
            )
        print(f"event {event.id} '{event.name}' ({when}): {len(emails)} invited")
    emulator.control.mark_unsubscribed(people[-1].email, ["acme-events"])
    print(f"{people[-1].email} left the acme-events group (the unsubscribe link in an earlier email)")

    emulator.control.reset_stats()
    report = send_messages(str(events_file), credentials=creds, output_dir=f"{MESSAGES_DIR}/delivery")
    assert isinstance(report, SendReport)
    for row in report.rows:
        print(
            f"  {row.occurrence}  {row.send:<30} {row.state:<7} sent {row.sent:>2}  ({row.note or row.due})"
        )
    print(report.summary())
    if report.delivery is not None:
        print(f"delivery: {report.delivery.summary()}")
    outbox = emulator.control.outbox()
    shown = [next((m for m in outbox if ":reminder-" in m["session"]), None)]
    shown.append(next((m for m in outbox if ":missed-" in m["session"]), None))
    for message in shown:
        if message is not None:
            print()
            print_email(message)
    emulator.control.reset_stats()
    again = send_messages(str(events_file), credentials=creds)
    resent = calls(emulator)["message/send"]
    print(f"\nre-run: {again.totals()['already sent']} already had theirs; message/send calls: {resent}")
    per_person: Counter[tuple[str, str]] = Counter((m["session"], m["to"].lower()) for m in outbox)
    sent = {row.send: row.state for row in report.rows}
    return (
        sent.get("reminder-before-24h-invited") == "sent"
        and sent.get("thanks-after-2h-attended") == "sent"
        and sent.get("missed-after-2h-absent") == "sent"
        and max(per_person.values(), default=0) == 1
        and people[-1].email.lower() not in {to for _, to in per_person}
        and resent == 0
        and all(message is not None for message in shown)
    )


def encore(emulator: EmulatorServer, creds: Any, env: dict[str, str]) -> bool:
    """A recording becomes ready; the receiver and the trigger schedule its replay, with no call of ours.

    The deployments are served by ``deployments/serve.py`` in a subprocess (no
    worker needed) and the receiver is ``kaltura-events webhooks serve``: the
    same two commands a user runs, for about 30 s.
    """
    import secrets
    import signal
    import subprocess

    import httpx
    from prefect.client.orchestration import get_client

    from deployments.local_server import free_port
    from deployments.serve import read_deployments
    from flows.schedule_all_hands import schedule_all_hands
    from kaltura_events.planning.series import AllHandsSeries

    emulator.control.reset(notification_retry_base_seconds=1.0)
    creds.save("kaltura", overwrite=True)  # the Block prefect.yaml's deployments name
    [weekly] = [d for d in read_deployments() if d["name"] == "weekly"]
    series = AllHandsSeries.model_validate({**weekly["parameters"]["series"], "horizon_days": 14})
    report = schedule_all_hands(series, creds)
    first = report.created[0]
    state = emulator.control.state()
    session = state["sessions"][str(first.event_id)][0]["id"]
    token = secrets.token_urlsafe(24)
    port = free_port()
    child_env = {**env, **emulator.exports, "KALTURA_WEBHOOK_TOKEN": token}
    commands = [
        [sys.executable, "deployments/serve.py"],
        [sys.executable, "-m", "kaltura_events.cli", "webhooks", "serve", "--port", str(port)],
    ]
    children = [
        subprocess.Popen(
            c, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        for c in commands
    ]
    try:
        deadline = time.monotonic() + 60
        with get_client(sync_client=True) as client:
            while True:
                try:
                    deployment = client.read_deployment_by_name("schedule-encore/company-all-hands")
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                time.sleep(0.5)
            url = f"http://127.0.0.1:{port}/kaltura/{token}"
            subprocess.run(
                [sys.executable, "-m", "kaltura_events.cli", "webhooks", "register"],
                env={**child_env, "KALTURA_EVENTS_WEBHOOK_URL": url},
                check=True,
                stdout=subprocess.DEVNULL,
            )
            print(f"served the deployments; receiver on port {port}; templates registered (URL not shown)")
            recording = emulator.control.finish_recording(session)
            print(f"recording {recording['id']} of '{first.name}' is READY -> kaltura.entry.ready")
            while True:
                runs = client.read_flow_runs(deployment_filter=_deployment_ids(deployment.id))
                if runs and all(r.state is not None and r.state.is_final() for r in runs):
                    break
                if time.monotonic() > deadline + 120:
                    deliveries = [(d["state"], len(d["attempts"])) for d in emulator.control.notifications()]
                    shown = [r.state_name for r in runs]
                    print(f"no schedule-encore run finished in time: runs {shown}, deliveries {deliveries}")
                    return False
                time.sleep(1.0)
    finally:
        for child in children:
            os.killpg(child.pid, signal.SIGTERM)
            child.wait(30)
    [run] = runs
    replays = [e for e in emulator.control.state()["events"] if f"kev-encore:{series.key}" in e["labels"]]
    for event in replays:
        print(
            f"schedule-encore run {run.name}: {run.state_name}; replay event {event['id']} '{event['name']}'"
        )
        print(f"  starts {event['startDate']} ({event['timezone']}), playing recording {recording['id']}")
    return run.state is not None and run.state.is_completed() and len(replays) == 1


def _deployment_ids(deployment_id: Any) -> Any:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    return DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))


def run(keep: bool) -> int:
    print("Starting a Prefect server and the Kaltura emulator on 127.0.0.1 ...")
    with PrefectServer() as server, EmulatorServer(EmulatorConfig(duplicate_seconds=2.0)) as emulator:
        os.environ.update(server.env())
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        # Prefect reads its settings on import: import it only once the environment points at our server.
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

        from flows.duplicate_event import DuplicateSpec, duplicate_event
        from flows.schedule_all_hands import schedule_all_hands
        from flows.teardown_events import teardown_events
        from kaltura_events.credentials import KalturaCredentials, close_cached_clients
        from kaltura_events.planning.selection import EventSelector
        from kaltura_events.planning.series import AllHandsSeries

        print(f"Prefect UI: {server.ui_url}   Emulator: {emulator.base_url}")
        with get_client(sync_client=True) as client:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name="kaltura-api", limit=8))
        KalturaCredentials.from_env(emulator.exports).save("demo-emulator", overwrite=True)
        creds = cast(KalturaCredentials, KalturaCredentials.load("demo-emulator"))

        heading("1. Provision a monthly all-hands (third Monday, 10:00 New York) for 6 months")
        started = time.perf_counter()
        spec, skipped, moved = with_exceptions(SERIES)
        series = AllHandsSeries.model_validate(spec)
        report = schedule_all_hands(series, creds)
        print(f"{'event':>6}  {'name':<34} {'local start':<27} {'UTC start'}")
        for row in report.created:
            print(f"{row.event_id:>6}  {row.name:<34} {row.local_start:<27} {row.start_utc}")
        offsets = {row.local_start[-6:] for row in report.created}
        print(
            f"{len(report.created)} created with 2 sessions each in {time.perf_counter() - started:.1f} s; "
            f"UTC offsets seen: {', '.join(sorted(offsets))} (the series crosses a DST change at 10:00 local)"
        )
        print(f"US holidays skipped: {skipped or 'none in these 6 months'}")
        print(f"moved by an override (same event, found by its occurrence label): {moved}")
        people = emulator.control.state()
        users = sum(len(u) for u in people["eventUsers"].values())
        speakers = sum(len(p["speakers"]) for p in people["sessionParticipants"].values())
        print(
            f"speakers: {users} event users (2 people, invited once per event), "
            f"{speakers} session speaker places (CEO in both sessions, CFO in the Q&A)"
        )
        print(f"API calls: {dict(calls(emulator))}")

        heading("2. Run it again: a converged series costs only its list calls")
        emulator.control.reset_stats()
        again = schedule_all_hands(series, creds)
        print(f"{len(again.unchanged)} unchanged, {len(again.created)} created, {len(again.updated)} updated")
        print(f"API calls: {dict(calls(emulator))}")

        heading("3. Stamp a special town hall out of a template event")
        client_api = creds.get_events_client()
        template = client_api.create_event(
            name="Town Hall template",
            template_id="tm4000",
            start="2027-01-05T15:00:00Z",
            end="2027-01-05T16:00:00Z",
            timezone="America/New_York",
        )
        client_api.update_event(template.id, labels=["demo", "demo-template"])
        copy = duplicate_event(
            DuplicateSpec.model_validate(
                {
                    "source_label": "demo-template",
                    "name": "Special Town Hall",
                    "start": "2027-03-16T11:00:00",
                    "timezone": "America/New_York",
                    "duration_minutes": 90,
                    "labels": ["demo"],
                    "poll": {"timeout_seconds": 60, "intervals_seconds": [1, 2, 5]},
                }
            ),
            creds,
        )
        print(f"template {copy.source_event_id} -> event {copy.event_id} '{copy.name}' ({copy.outcome}), ")
        print(f"starts {copy.local_start} local = {copy.start_utc}")

        heading("4. Tear everything down, categories included")
        before = len(emulator.control.state()["categories"])
        demo_events = EventSelector(label="demo")
        plan = teardown_events(demo_events, creds)
        print(f"dry run (the default): would delete {len(plan.selected)} events")
        done = teardown_events(demo_events, creds, dry_run=False)
        state = emulator.control.state()
        print(
            f"deleted {len(done.deleted_events)} events and {len(done.deleted_categories)} of their "
            f"{before} categories; left on the platform: {len(state['events'])} events, "
            f"{len(state['categories'])} categories"
        )
        ok = not state["events"] and not state["categories"] and not again.created and not again.updated

        heading("5. Events as code: plan, apply, plan again (examples/kaltura-events.yaml)")
        ok = events_as_code(emulator, creds) and ok

        heading("6. Audiences: an HR export invited to every occurrence, and the removal guard")
        ok = audiences(emulator, creds) and ok

        heading("7. Attendance: who registered and who came to those town halls")
        ok = attendance(emulator, creds) and ok

        heading("8. Reminders and follow-ups: each due email sent once, at its time")
        ok = messages(emulator, creds) and ok

        heading("9. Runs that follow events: a recording ready, its replay scheduled by a trigger")
        ok = encore(emulator, creds, server.env()) and ok
        close_cached_clients()
        print(
            "\nDemo "
            + ("complete: every step converged." if ok else "finished with differences (see above).")
        )
        if keep:
            print(f"Browse the runs and their artifacts at {server.ui_url} ; Ctrl-C to stop.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                print("Stopping.")
        return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the servers running to browse the Prefect UI"
    )
    return run(parser.parse_args(argv).keep)


if __name__ == "__main__":
    sys.exit(main())
