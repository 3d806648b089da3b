"""The plan a reviewer approves, as the README shows it: ``python -m docs.plan_comment``.

A screenshot of a pull-request comment is evidence only if a real run wrote
it, so this makes one from real parts: the emulator on 127.0.0.1, a Prefect
server, and ``kaltura-events apply`` and ``plan`` run as a user runs them. It
applies an events file, moves an event that has a session (apply moves the
event and leaves the session, which the Events API cannot move), then edits
the file, renames an event by hand in Kaltura and gives one occurrence a second
event, as an overlapping run once did. The plan's ``--markdown`` file, the
comment deployments/ci/events-as-code.yml posts, then holds each kind of row a
reviewer has to read: an update, a drift, a session left behind, a duplicate
and the emails the town hall's ``messages:`` block would send. markdown-it-py
renders it, a little CSS dresses it like a GitHub comment, and Debian's
Chromium, driven by Playwright, takes the picture.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from markdown_it import MarkdownIt

from deployments.local_server import PrefectServer
from kaltura_events.api.ks import ADMIN, build_ks_v2
from kaltura_events.emulator.config import DEFAULT_USER_ID, EmulatorConfig
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawEventsApi
from kaltura_events.formats.messages_file import messages_block, write_bodies
from kaltura_events.planning.messages import MessagesSpec, SeriesMessages

DOCS = Path(__file__).resolve().parent
PICTURE = DOCS / "plan-comment.png"
CHROMIUM = Path("/usr/bin/chromium")
ZONE = "Europe/Paris"
FILE_NAME = "kaltura-events.yaml"
WIDTH = 1280
HAND_RENAME = " (room B)"
"""What a producer appended to an event's name in Kaltura: the drift the plan reverts."""
TOWN_HALL_MESSAGES = SeriesMessages(
    MessagesSpec.model_validate(
        {
            "from": {"email": "events@acme.example", "name": "Acme Events"},
            "unsubscribe_group": "acme-events",
            "templates": {
                "reminder": {"subject": "Tomorrow: {eventName}", "body_file": "emails/reminder.html"},
                "thanks": {"subject": "Thank you for joining {eventName}", "body_file": "emails/thanks.html"},
            },
            "send": [
                {"template": "reminder", "before": "24h", "to": "registered"},
                {"template": "thanks", "after": "2h", "to": "attended"},
            ],
        }
    ),
    {
        "reminder": "<p>Hi {recipient.firstName}, {eventName} starts {eventStart}: "
        "<a href='{joinLink}'>join</a></p><p><a href='{unsubLink}'>Unsubscribe</a></p>",
        "thanks": "<p>Thank you for joining {eventName}.</p><p><a href='{unsubLink}'>Unsubscribe</a></p>",
    },
)
"""The town hall's reminder and follow-up: the plan announces each as a "would send" row."""


class PlanCommentError(RuntimeError):
    """A step of the story did not go as a user's would: the command, its exit code and its output."""


def events_file(today: date, *, moved: bool, redescribed: bool) -> dict[str, Any]:
    """The reviewed file, in the version the story is at; dates follow today so it always plans."""
    launch_hour = "17:00" if moved else "16:00"
    return {
        "name": "acme-events",
        "series": [
            {
                "key": "weekly-sync",
                "name": "Weekly Sync {date:%b %d}",
                "template_id": "tm0000",
                "timezone": ZONE,
                "rrule": "FREQ=WEEKLY",
                "starts_on": (today + timedelta(days=3)).isoformat(),
                "start_time": "10:00",
                "duration_minutes": 30,
                "horizon_days": 21,
            }
        ],
        "events": [
            {
                "key": "town-hall",
                "name": "Town Hall",
                "start": f"{today + timedelta(days=12)}T17:00",
                "duration_minutes": 60,
                "timezone": ZONE,
                "template_id": "tm0000",
                "description": "Q1 results and Q2 goals" if redescribed else "Q1 results",
                "messages": messages_block(TOWN_HALL_MESSAGES),
            },
            {
                "key": "product-launch",
                "name": "Product Launch",
                "start": f"{today + timedelta(days=20)}T{launch_hour}",
                "duration_minutes": 60,
                "timezone": ZONE,
                "template_id": "tm0000",
                "sessions": [{"name": "Keynote", "duration_minutes": 30}],
            },
        ],
    }


def _kaltura_events(env: dict[str, str], cwd: Path, expected: int, *args: str) -> None:
    """One ``kaltura-events`` command as a user types it in the file's folder; its exit code is checked."""
    command = [sys.executable, "-m", "kaltura_events.cli", *args]
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    if done.returncode != expected:
        output = f"{done.stdout}\n{done.stderr}"[-4000:]
        raise PlanCommentError(
            f"`kaltura-events {' '.join(args)}` exited {done.returncode}, not {expected}:\n{output}"
        )


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def _edit_by_hand(emulator: EmulatorServer) -> None:
    """What people and an old overlapping run did in Kaltura: a rename, and a second event for one date."""
    ks = build_ks_v2(emulator.admin_secret, emulator.partner_id, DEFAULT_USER_ID, session_type=ADMIN)
    weekly = sorted(
        (e for e in emulator.control.state()["events"] if "kev-series:weekly-sync" in e["labels"]),
        key=lambda e: e["startDate"],
    )
    if len(weekly) < 2:
        raise PlanCommentError(f"the weekly series made {len(weekly)} event(s); the story needs two")
    first, second = weekly[:2]
    with RawEventsApi(emulator.events_api_url, ks) as api:
        api.ok("events/update", {"id": second["id"], "name": second["name"] + HAND_RENAME})
        extra = api.create_event(
            first["name"], start=first["startDate"], end=first["endDate"], timezone=first["timezone"]
        )
        api.ok("events/update", {"id": extra["id"], "labels": first["labels"]})


def build_plan(emulator: EmulatorServer, prefect_api_env: dict[str, str], workdir: Path) -> str:
    """Apply, move, edit, then plan: the ``--markdown`` file a pull request gets, as text.

    ``prefect_api_env`` is the environment of a Prefect server (``PrefectServer.env()``);
    the emulator should be empty.
    """
    env = {k: v for k, v in prefect_api_env.items() if not k.startswith("KALTURA_")}
    env.update(emulator.exports)
    today = datetime.now(ZoneInfo(ZONE)).date()
    path = workdir / FILE_NAME
    write_bodies(workdir, TOWN_HALL_MESSAGES)
    _write(path, events_file(today, moved=False, redescribed=False))
    _kaltura_events(env, workdir, 0, "apply", FILE_NAME)
    _write(path, events_file(today, moved=True, redescribed=False))
    _kaltura_events(env, workdir, 2, "apply", FILE_NAME)  # 2: the keynote stayed at its old time
    _edit_by_hand(emulator)
    _write(path, events_file(today, moved=True, redescribed=True))
    _kaltura_events(env, workdir, 2, "plan", FILE_NAME, "--markdown", "plan.md")
    return (workdir / "plan.md").read_text(encoding="utf-8")


STYLE = """
body { margin: 0; padding: 16px; background: #ffffff; color: #1f2328;
  font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
.comment { border: 1px solid #d0d7de; border-radius: 6px; width: fit-content; max-width: 100%; }
.comment header { background: #f6f8fa; border-bottom: 1px solid #d0d7de; padding: 8px 16px;
  border-radius: 6px 6px 0 0; color: #59636e; }
.comment header b { color: #1f2328; }
.comment header .bot { border: 1px solid #d0d7de; border-radius: 2em; padding: 0 6px; font-size: 12px; }
.markdown-body { padding: 16px; }
.markdown-body h3 { margin: 0 0 12px; font-size: 1.25em; font-weight: 600; }
.markdown-body p { margin: 0 0 12px; }
.markdown-body code { background: rgba(175, 184, 193, 0.2); border-radius: 6px; padding: 0.2em 0.4em;
  font: 85% ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
.markdown-body table { border-collapse: collapse; margin: 0 0 12px; font-size: 13px; }
.markdown-body th, .markdown-body td { border: 1px solid #d0d7de; padding: 6px 10px; vertical-align: top; }
.markdown-body th { font-weight: 600; background: #f6f8fa; white-space: nowrap; }
.markdown-body tr:nth-child(2n) td { background: #f6f8fa; }
.markdown-body td:nth-child(-n+2), .markdown-body td:nth-child(6) { white-space: nowrap; }
"""


def comment_html(markdown: str) -> str:
    """The markdown as GitHub shows a bot's comment: a header, then the rendered body (raw HTML off)."""
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>kaltura-events plan</title>'
        f"<style>{STYLE}</style></head><body><div class=comment><header>"
        f'<b>github-actions</b> <span class=bot>bot</span> commented</header><div class="markdown-body">'
        f"{body}</div></div></body></html>"
    )


def screenshot(html: str, png: Path) -> None:
    """The comment alone, at a laptop's width, by the distribution's Chromium (no browser download)."""
    if not CHROMIUM.exists():
        raise PlanCommentError(f"{CHROMIUM} is missing; install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 800})
            page.set_content(html)
            page.locator(".comment").screenshot(path=str(png))
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docs.plan_comment", description=__doc__)
    parser.add_argument("--output", "-o", type=Path, default=PICTURE, help=f"the PNG (default {PICTURE})")
    parser.add_argument("--markdown", type=Path, help="also keep the plan's markdown here")
    args = parser.parse_args(argv)
    emulator = EmulatorServer(EmulatorConfig()).start()
    try:
        with tempfile.TemporaryDirectory(prefix="plan-comment-") as folder, PrefectServer() as server:
            markdown = build_plan(emulator, server.env(), Path(folder))
    except PlanCommentError as exc:
        print(f"plan_comment: {exc}", file=sys.stderr)
        return 1
    finally:
        emulator.stop()
    if args.markdown:
        args.markdown.write_text(markdown, encoding="utf-8")
    screenshot(comment_html(markdown), args.output)
    print(f"{os.path.relpath(args.output)}: {args.output.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
