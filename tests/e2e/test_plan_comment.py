"""The README's picture of a plan comment (docs/plan_comment.py) comes from a real apply and plan.

The script's story, run here against the session's emulator and the end-to-end
tests' Prefect server (``sqlite_stack``, already up for the package: a server of
its own cost this test a start), must leave a plan holding each kind of row a
reviewer reads: a field the file changed, an edit made by hand in Kaltura, a
session a move left behind, a duplicate, and the town hall's reminder and
follow-up as "would send" rows. The picture is taken too (a second in Chromium), so
the command the README names keeps working.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from docs.plan_comment import build_plan, comment_html, screenshot
from kaltura_events.emulator.server import EmulatorServer
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.slow

PICTURE_LIMIT = 200 * 1024


def test_the_plan_comment_shows_an_update_a_drift_a_held_session_a_duplicate_and_the_sends(
    emu: EmulatorServer, sqlite_stack: Stack, tmp_path: Path
) -> None:
    workdir = tmp_path / "checkout"
    workdir.mkdir()
    markdown = build_plan(emu, sqlite_stack.env, workdir)

    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 6, markdown

    def row(series: str, action: str) -> str:
        [found] = [line for line in rows if line.startswith(f"| {series} |") and f"| {action}" in line]
        return found

    duplicate = row("weekly-sync", "duplicate: would keep ")
    assert re.search(r"\| duplicate: would keep \d+, delete \d+ \|", duplicate), duplicate
    edited_in_file = row("town-hall", "would update |")
    assert 'description: "Q1 results" -> "Q1 results and Q2 goals"' in edited_in_file
    drift = row("weekly-sync", "would update |")
    assert '(room B)" -> "Weekly Sync' in drift and "edited in Kaltura since it was applied" in drift
    held = row("product-launch", "sessions need a person |")
    assert "session 'Keynote' (cannot follow a move)" in held and "T16:00+0" in held and "T17:00+0" in held
    [event_id] = re.findall(r"Events admin, event (\d+);", held)
    assert f"| {event_id} |" in held, "the note names the row's own event"
    assert "1 occurrence(s) claimed by more than one event" in markdown
    reminder = row("town-hall", "would send reminder (24h before) to registered (counted when sent) on ")
    thanks = row("town-hall", "would send thanks (2h after) to attended (counted when sent) on ")
    day = date.fromisoformat(reminder.split(" | ")[1])
    assert f"on {day - timedelta(days=1)} 17:00 Europe/Paris |" in reminder, "24 h before its 17:00 start"
    assert f"on {day} 20:00 Europe/Paris |" in thanks, "2 h after its 18:00 end"
    assert "2 send(s) ahead, each at its time" in markdown
    assert emu.admin_secret not in markdown

    html = comment_html(markdown)
    assert html.count("<tr>") == 1 + len(rows), "a header row and one row per plan row"
    assert "&quot;Q1 results&quot; -&gt; &quot;Q1 results and Q2 goals&quot;" in html
    picture = tmp_path / "plan-comment.png"
    screenshot(html, picture)
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) < PICTURE_LIMIT, len(data)
