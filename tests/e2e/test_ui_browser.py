"""Runs started by hand from the Prefect UI's "Custom run" form, in headless Chromium.

The schema tests prove the form's schema is valid; only a browser proves a
person can fill it: a time field that takes a time, a dropdown that opens, a
session added to the nested list, the credentials Block picked from its picker.
Each run must complete and leave the emulator holding what the form asked for;
a bad value must fail the run with a message naming the field, on the run page.
Screenshots of every form and finished run page go to KALTURA_EVENTS_UI_SHOTS
(or the test's temporary folder), for people to look at.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from kaltura_events.planning.labels import SERIES_LABEL_PREFIX
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import plan
from tests.e2e.conftest import CREDENTIALS_NAME, REPO_ROOT, Stack

pytestmark = pytest.mark.slow

SUBMIT_ATTEMPTS = 3
SERVER_HICCUP = "Something went wrong"


# -- the form, as a person fills it ---------------------------------------------------


def field(scope: Page | Locator, label: str) -> Locator:
    """The form property whose own label reads ``label`` (not a nested property's)."""
    return scope.locator(
        "xpath=.//div[contains(concat(' ', @class, ' '), ' schema-form-property ')]"
        "[div[contains(@class, 'p-label__header')]"
        f"//span[contains(@class, 'schema-form-property__label')][normalize-space()='{label}']]"
    ).first


def control(scope: Page | Locator, label: str) -> Locator:
    """The property's input area (its own, below its label and description)."""
    return field(scope, label).locator("xpath=./div[contains(@class, 'p-label__body')]")


def type_text(scope: Page | Locator, label: str, value: str) -> None:
    control(scope, label).locator("textarea, input").first.fill(value)


def choose(page: Page, scope: Page | Locator, label: str, option: str, *, search: bool = False) -> None:
    """Open a dropdown from the keyboard, optionally type to filter it, and click the option."""
    control(scope, label).locator("button.p-select-button__control").first.press("ArrowDown")
    if search:
        page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()


def pick_type(scope: Page | Locator, label: str, kind: str) -> None:
    """An optional field opens as "None"; a person first picks its type (``str``, ``int``...)."""
    control(scope, label).locator(".p-button-group").get_by_role("button", name=kind, exact=True).click()


def set_toggle(scope: Page | Locator, label: str, on: bool) -> None:
    switch = control(scope, label).get_by_role("switch")
    if (switch.get_attribute("aria-checked") == "true") != on:
        switch.click()


def open_custom_run(page: Page, stack: Stack, deployment: str) -> None:
    """Deployments > the deployment > Run > Custom run, as the README's step 6 says."""
    flow_name, name = deployment.split("/")
    page.goto(f"{stack.server.ui_url}/deployments")
    expect(page.get_by_role("row").filter(has=page.get_by_role("link")).first).to_be_visible()
    row = page.get_by_role("row").filter(has_text=flow_name)
    link = row.get_by_role("link", name=name, exact=True)
    if link.count():
        link.click()
    else:
        # The list shows the first page of deployments (the project has more than fit on it); the
        # deployment's own page is what its link opens.
        found = httpx.get(f"{stack.server.api_url}/deployments/name/{flow_name}/{name}", timeout=10)
        found.raise_for_status()
        page.goto(f"{stack.server.ui_url}/deployments/deployment/{found.json()['id']}")
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Custom run").click()
    expect(page.get_by_role("button", name="Submit")).to_be_visible()


def tick_validate_parameters(page: Page) -> None:
    """The form's own check against the schema before it creates the run; it must accept what was picked."""
    checkbox = page.get_by_role("checkbox", name="Validate parameters")
    checkbox.check()
    expect(checkbox).to_be_checked()


def submit(page: Page, stack: Stack, shots: Path) -> str:
    """Submit the form and open the run it made, found by the run name the form gave it.

    The deployment page's run list refreshes on its own schedule, and a busy
    machine outlasts it; the run's own page is the same one its link opens.
    """
    run_name = page.locator(".p-label", has_text="Run Name").locator("input").first.input_value()
    assert run_name, "the form proposed no run name"
    for attempt in range(SUBMIT_ATTEMPTS):
        page.get_by_role("button", name="Submit").click()
        try:
            page.wait_for_url(re.compile(r"/deployments/deployment/[0-9a-f-]{36}\?tab=Runs"))
            break
        except PlaywrightTimeoutError:
            shown = [
                t
                for t in page.locator(".p-message, [class*='error'], [class*='message']").all_inner_texts()
                if t
            ]
            page.screenshot(path=shots / f"refused-form-{attempt + 1}.png")
            # Now and then a request of the form failed on the busy SQLite server and the
            # UI only said "Oops. Something went wrong"; a person clicks Submit again.
            if attempt + 1 == SUBMIT_ATTEMPTS or not any(SERVER_HICCUP in text for text in shown):
                raise AssertionError(
                    f"the form made no run; it shows {shown} (screenshots in {shots})"
                ) from None
    response = stack.api.post("/flow_runs/filter", json={"flow_runs": {"name": {"any_": [run_name]}}})
    response.raise_for_status()
    [run] = response.json()
    page.goto(f"{stack.server.ui_url}/runs/flow-run/{run['id']}")
    return str(run["id"])


def pick_credentials(page: Page) -> None:
    choose(page, page, "credentials (Optional)", CREDENTIALS_NAME)
    expect(control(page, "credentials (Optional)")).to_contain_text(CREDENTIALS_NAME)


def picked_credentials(stack: Stack) -> dict[str, Any]:
    """What the Block picker stores for the saved credentials: a reference by document id."""
    response = stack.api.get(f"/block_types/slug/kaltura-credentials/block_documents/name/{CREDENTIALS_NAME}")
    response.raise_for_status()
    return {"$ref": {"block_document_id": response.json()["id"]}}


def save_whole_page(page: Page, path: Path) -> None:
    """A screenshot of the whole page: the UI scrolls inside its own pane, so the window grows to fit it."""
    size = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('*'), (e) => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 50, 12_000)})
    try:
        page.screenshot(path=path)
    finally:
        page.set_viewport_size(size)


def finished_run_page(page: Page, stack: Stack, run_id: str) -> dict[str, Any]:
    """Wait for the run to end (from the API), then show its page as it now stands."""
    run = stack.wait_for_runs([run_id])[run_id]
    page.reload()
    return run


def open_table_artifact(page: Page) -> None:
    """The run page's Artifacts tab, then its table artifact, whose page shows the rows."""
    page.locator(".p-tabs").get_by_text("Artifacts", exact=True).click()
    page.get_by_text(re.compile(r"^table$", re.IGNORECASE)).first.click()


def use_json_input(page: Page, scope: Page | Locator, label: str, value: str) -> None:
    """The property's menu > "Use JSON input": how a person enters a value the dropdown does not offer."""
    field(scope, label).locator(".schema-form-property-menu button").first.click()
    page.get_by_text("Use JSON input", exact=True).click()
    editor = control(scope, label).locator("textarea").first
    editor.fill(value)


# -- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(sqlite_stack: Stack) -> Stack:
    return sqlite_stack


@pytest.fixture
def page(ui_browser: Page) -> Iterator[Page]:
    yield ui_browser


# -- the runs ------------------------------------------------------------------------


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def test_weekly_series_from_the_form(page: Page, stack: Stack, ui_shots: Path) -> None:
    open_custom_run(page, stack, "schedule-all-hands/weekly")
    # A description is Markdown: "<key>" in it was taken for an HTML tag and vanished.
    expect(field(page, "Series key")).to_contain_text("the label kev-series: plus the key.")
    type_text(page, "Series key", "ui-weekly")
    type_text(page, "Event name pattern", "UI All-Hands {date:%Y-%m-%d}")
    choose(page, page, "Time zone (Optional)", "Europe/London", search=True)
    type_text(page, "Recurrence rule (Optional)", "FREQ=WEEKLY;BYDAY=TU")
    type_text(page, "Local start time (Optional)", "09:30")
    type_text(page, "Horizon (days) (Optional)", "15")
    sessions = field(page, "Sessions (Optional)")
    control(page, "Sessions (Optional)").get_by_role("button", name="Add item").click()
    type_text(sessions, "Session name", "Q&A")
    choose(page, sessions, "Session type (Optional)", "MeetingEntry")
    type_text(sessions, "Starts after event start (min) (Optional)", "45")
    type_text(sessions, "Duration (min) (Optional)", "15")
    pick_credentials(page)
    tick_validate_parameters(page)
    save_whole_page(page, ui_shots / "schedule-all-hands-form.png")
    page.set_viewport_size({"width": 1400, "height": 1350})
    sessions.evaluate("(e) => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=ui_shots / "schedule-all-hands-form-sessions.png")
    page.set_viewport_size({"width": 1400, "height": 1000})

    run_id = submit(page, stack, ui_shots)
    run = finished_run_page(page, stack, run_id)

    assert run["state"]["type"] == "COMPLETED", f"{run['state']['message']}\n{stack.worker_logs()}"
    expect(page.get_by_text("Completed").first).to_be_visible()
    assert run["parameters"]["credentials"] == picked_credentials(stack)
    series = AllHandsSeries.model_validate(run["parameters"]["series"])
    assert (series.key, series.timezone, series.rrule) == (
        "ui-weekly",
        "Europe/London",
        "FREQ=WEEKLY;BYDAY=TU",
    )
    state = stack.emulator.control.state()
    events = [e for e in state["events"] if f"{SERIES_LABEL_PREFIX}ui-weekly" in e["labels"]]
    made = sorted((e["name"], _instant(e["startDate"])) for e in events)
    plans = [plan(series, _instant(run[moment])) for moment in ("start_time", "end_time")]
    assert made in [sorted((p.name, p.start_utc) for p in planned) for planned in plans]
    assert len(made) >= 2
    london = ZoneInfo("Europe/London")
    for event in events:
        start = _instant(event["startDate"])
        assert (start.astimezone(london).weekday(), start.astimezone(london).strftime("%H:%M")) == (
            1,
            "09:30",
        )
        [qa] = [s for s in state["sessions"][str(event["id"])] if s["name"] == "Q&A"]
        assert qa["type"] == "MeetingEntry"
        assert _instant(qa["startDate"]) == start + timedelta(minutes=45)
        assert _instant(qa["endDate"]) == start + timedelta(minutes=60)

    save_whole_page(page, ui_shots / "schedule-all-hands-run.png")
    open_table_artifact(page)
    for name, _ in made:
        expect(page.get_by_role("row").filter(has_text=name)).to_be_visible()
    save_whole_page(page, ui_shots / "schedule-all-hands-artifact.png")


def test_duplicate_from_the_form(page: Page, stack: Stack, ui_shots: Path) -> None:
    stack.emulator.control.bulk_events(1, "UI template", labels=["ui-template"])
    open_custom_run(page, stack, "duplicate-event/default")
    pick_type(page, "Source label (Optional)", "str")
    type_text(page, "Source label (Optional)", "ui-template")
    type_text(page, "New event name", "UI Town Hall")
    type_text(page, "Local start", "2031-10-07T10:00")
    choose(page, page, "Time zone (Optional)", "Asia/Tokyo", search=True)
    control(page, "Labels (Optional)").get_by_role("button", name="Add item").click()
    control(page, "Labels (Optional)").locator("textarea, input").last.fill("ui-town-hall")
    pick_credentials(page)
    tick_validate_parameters(page)
    save_whole_page(page, ui_shots / "duplicate-event-form.png")

    run_id = submit(page, stack, ui_shots)
    run = finished_run_page(page, stack, run_id)

    assert run["state"]["type"] == "COMPLETED", f"{run['state']['message']}\n{stack.worker_logs()}"
    expect(page.get_by_text("Completed").first).to_be_visible()
    assert run["parameters"]["credentials"] == picked_credentials(stack)
    [copy] = [e for e in stack.emulator.control.state()["events"] if e["name"] == "UI Town Hall"]
    assert _instant(copy["startDate"]) == datetime(2031, 10, 7, 1, 0, tzinfo=timezone.utc)  # 10:00 in Tokyo
    assert _instant(copy["endDate"]) == datetime(2031, 10, 7, 2, 0, tzinfo=timezone.utc)
    assert "ui-town-hall" in copy["labels"]
    save_whole_page(page, ui_shots / "duplicate-event-run.png")
    open_table_artifact(page)
    expect(page.get_by_role("row").filter(has_text="UI Town Hall")).to_be_visible()
    expect(page.get_by_role("cell", name=str(copy["id"]), exact=True).first).to_be_visible()


def test_teardown_from_the_form(page: Page, stack: Stack, ui_shots: Path) -> None:
    made = stack.emulator.control.bulk_events(3, "UI teardown", labels=["ui-teardown"])
    ids = sorted(e["id"] for e in stack.emulator.control.state()["events"] if "ui-teardown" in e["labels"])
    assert len(ids) == 3, made
    open_custom_run(page, stack, "teardown-events/default")
    pick_type(page, "Label (Optional)", "str")
    type_text(page, "Label (Optional)", "ui-teardown")
    set_toggle(page, "dry_run (Optional)", False)
    pick_credentials(page)
    tick_validate_parameters(page)
    save_whole_page(page, ui_shots / "teardown-events-form.png")

    run_id = submit(page, stack, ui_shots)
    run = finished_run_page(page, stack, run_id)

    assert run["state"]["type"] == "COMPLETED", f"{run['state']['message']}\n{stack.worker_logs()}"
    expect(page.get_by_text("Completed").first).to_be_visible()
    assert run["parameters"]["credentials"] == picked_credentials(stack)
    left = {e["id"] for e in stack.emulator.control.state()["events"]}
    assert not left & set(ids)
    save_whole_page(page, ui_shots / "teardown-events-run.png")
    open_table_artifact(page)
    for event_id in ids:
        expect(page.get_by_role("cell", name=str(event_id), exact=True).first).to_be_visible()


def test_bad_zone_fails_and_the_run_page_names_the_field(page: Page, stack: Stack, ui_shots: Path) -> None:
    before = len(stack.emulator.control.state()["events"])
    open_custom_run(page, stack, "schedule-all-hands/weekly")
    type_text(page, "Series key", "ui-bad-zone")
    use_json_input(page, page, "Time zone (Optional)", '"Mars/Olympus"')
    pick_credentials(page)

    run_id = submit(page, stack, ui_shots)
    run = finished_run_page(page, stack, run_id)

    assert run["state"]["type"] == "FAILED"
    expect(page.get_by_text("Failed").first).to_be_visible()
    expect(page.get_by_text("series.timezone").first).to_be_visible()
    expect(page.get_by_text("Mars/Olympus").first).to_be_visible()
    save_whole_page(page, ui_shots / "bad-zone-run.png")
    assert len(stack.emulator.control.state()["events"]) == before


def test_a_run_that_leaves_the_picker_alone_keeps_the_deployments_credentials(
    page: Page, stack: Stack, ui_shots: Path
) -> None:
    """The default names the Block by slug, which the picker cannot show; the run must keep it."""
    stack.emulator.control.bulk_events(2, "UI default credentials", labels=["ui-default-creds"])
    ids = {e["id"] for e in stack.emulator.control.state()["events"] if "ui-default-creds" in e["labels"]}
    open_custom_run(page, stack, "teardown-events/default")
    pick_type(page, "Label (Optional)", "str")
    type_text(page, "Label (Optional)", "ui-default-creds")
    set_toggle(page, "dry_run (Optional)", False)
    save_whole_page(page, ui_shots / "default-credentials-form.png")

    run_id = submit(page, stack, ui_shots)
    run = finished_run_page(page, stack, run_id)

    assert run["state"]["type"] == "COMPLETED", f"{run['state']['message']}\n{stack.worker_logs()}"
    default = stack.deployment("teardown-events/default")["parameters"]["credentials"]
    assert run["parameters"].get("credentials", default) == default, run["parameters"]
    assert not ids & {e["id"] for e in stack.emulator.control.state()["events"]}


@pytest.fixture
def report_dir() -> Iterator[str]:
    """As the UI form gives it: relative to the deployment's working directory (the checkout), which
    is the run's work root; removed afterwards."""
    folder = f"reports/e2e-ui-{uuid.uuid4().hex[:8]}"
    yield folder
    shutil.rmtree(REPO_ROOT / folder, ignore_errors=True)


def test_the_attendance_chart_is_drawn_in_the_runs_artifact(
    page: Page, stack: Stack, ui_shots: Path, report_dir: str
) -> None:
    """The report's chart travels inside its markdown artifact as a data URI; the UI must draw it."""
    from kaltura_events.credentials import KalturaCredentials

    events = KalturaCredentials.from_env(stack.emulator.exports).get_events_client()
    ids = []
    for week in range(3):
        start = datetime(2027, 2, 4, 15, tzinfo=timezone.utc) + timedelta(weeks=week)
        made = events.create_event(
            name=f"UI attendance {week + 1}",
            template_id="tm0000",
            start=start,
            end=start + timedelta(hours=1),
            timezone="UTC",
        )
        events.update_event(made.id, labels=[f"{SERIES_LABEL_PREFIX}ui-attendance"])
        ids.append(made.id)
    for week, event_id in enumerate(ids):
        people = [f"person{i}@example.com" for i in range(10 + 5 * week)]
        stack.emulator.control.mark_attendance(event_id, people, "registered")
        stack.emulator.control.mark_attendance(event_id, people[: 4 + 3 * week], "attended")

    run_id = stack.create_flow_run(
        "report-attendance/company-all-hands",
        {"selector": {"series_key": "ui-attendance"}, "output_dir": report_dir},
    )
    page.goto(f"{stack.server.ui_url}/runs/flow-run/{run_id}")
    run = finished_run_page(page, stack, run_id)
    assert run["state"]["type"] == "COMPLETED", f"{run['state']['message']}\n{stack.worker_logs()}"

    page.locator(".p-tabs").get_by_text("Artifacts", exact=True).click()
    page.get_by_text(re.compile(r"^markdown$", re.IGNORECASE)).first.click()
    chart = page.locator("img[src^='data:image/png']").first
    expect(chart).to_be_visible()
    drawn = chart.evaluate("(img) => [img.complete, img.naturalWidth, img.naturalHeight]")
    assert drawn == [True, 800, 360], drawn
    box = chart.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    save_whole_page(page, ui_shots / "report-attendance-chart.png")
