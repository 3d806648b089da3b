"""The watcher announces each start and end once, an event moved anew, and ignores events not ours.

The emulator keeps real time, so the events are placed relative to the
moment the test starts, and each run passes its ``now``. Every test has its
own watcher name, hence its own memory Variable.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.variables import Variable

from flows.watch_events import DEFAULT_LABELS, WatchReport, variable_name, watch_events
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.testing import RawEventsApi
from tests.prefect_events import events_by_id, events_of_run, related_ids

LABEL = "kev-series:watched"
PREFECT_YAML = Path(__file__).resolve().parents[2] / "deployments" / "prefect.yaml"


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def watcher() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def make(api: RawEventsApi, name: str, start: datetime, end: datetime, labels: list[str]) -> int:
    """events/create takes no labels: like the flows, label the event with an update."""
    event: dict[str, Any] = api.create_event(name, start=iso(start), end=iso(end), timezone="UTC")
    api.ok("events/update", {"id": event["id"], "labels": labels})
    return int(event["id"])


def watch(creds: KalturaCredentials, watcher: str, now: datetime) -> tuple[WatchReport, Any]:
    state = watch_events(creds, labels=[LABEL], watcher=watcher, now=now, return_state=True)
    assert state.is_completed(), state.message
    return state.result(), state.state_details.flow_run_id


def announced(report: WatchReport) -> set[tuple[int, str]]:
    return {(row.event_id, row.transition) for row in report.announced}


def test_each_transition_is_announced_once_and_accepted_by_the_server(
    creds: KalturaCredentials, events_api: RawEventsApi, watcher: str
) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ended = make(events_api, "Ended", now - timedelta(hours=2), now - timedelta(hours=1), [LABEL])
    soon = make(events_api, "Soon", now + timedelta(minutes=10), now + timedelta(minutes=70), [LABEL])
    live = make(events_api, "Live", now - timedelta(minutes=30), now + timedelta(minutes=30), [LABEL, "x"])
    make(events_api, "Later", now + timedelta(hours=3), now + timedelta(hours=4), [LABEL])
    make(events_api, "Not ours", now + timedelta(minutes=5), now + timedelta(hours=1), ["other"])
    make(events_api, "Long gone", now - timedelta(days=3), now - timedelta(days=2), [LABEL])

    first, run_id = watch(creds, watcher, now)
    assert announced(first) == {(ended, "ended"), (soon, "starting"), (live, "starting")}
    stored = events_by_id([row.prefect_event_id for row in first.announced])
    assert len(stored) == 3, "the server holds every announced event"
    by_resource = {e.resource.id: e for e in stored}
    assert by_resource[f"kaltura.event.{ended}"].event == "kaltura.event.ended"
    assert by_resource[f"kaltura.event.{soon}"].event == "kaltura.event.starting"
    for event in stored:
        assert related_ids(event, "series") == ["kaltura.series.watched"]
        assert related_ids(event, "flow-run") == [f"prefect.flow-run.{run_id}"]
        assert event.payload["series_key"] == "watched" and {"start", "end", "name"} <= set(event.payload)
    stored_memory = Variable.get(variable_name(watcher))
    assert isinstance(stored_memory, dict) and len(stored_memory["announced"]) == 3

    second, second_run = watch(creds, watcher, now + timedelta(minutes=1))
    assert second.announced == [] and second.already_announced == 3
    assert events_of_run(second_run) == []


def test_a_moved_event_ends_again_only_after_its_new_end(
    creds: KalturaCredentials, events_api: RawEventsApi, watcher: str
) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    event_id = make(events_api, "Moved", now - timedelta(hours=2), now - timedelta(hours=1), [LABEL])
    first, _ = watch(creds, watcher, now)
    assert announced(first) == {(event_id, "ended")}

    events_api.ok("events/update", {"id": event_id, "endDate": iso(now + timedelta(minutes=40))})
    during, _ = watch(creds, watcher, now + timedelta(minutes=5))
    assert (event_id, "ended") not in announced(during), "not before its new end"

    after, _ = watch(creds, watcher, now + timedelta(minutes=41))
    assert announced(after) == {(event_id, "ended")}
    assert after.announced[0].prefect_event_id != first.announced[0].prefect_event_id
    again, _ = watch(creds, watcher, now + timedelta(minutes=45))
    assert again.announced == []


def test_a_forgotten_memory_repeats_the_same_event_ids(
    creds: KalturaCredentials, events_api: RawEventsApi, watcher: str
) -> None:
    """Without its Variable a watcher sends again, but with the same ids: the server stores each once."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    make(events_api, "Ended", now - timedelta(hours=2), now - timedelta(hours=1), [LABEL])
    first, _ = watch(creds, watcher, now)
    Variable.unset(variable_name(watcher))
    repeat, _ = watch(creds, watcher, now + timedelta(minutes=2))
    ids = [row.prefect_event_id for row in first.announced]
    assert [row.prefect_event_id for row in repeat.announced] == ids
    assert len(events_by_id(ids)) == 1


def test_the_deployment_watches_the_weekly_series_every_five_minutes() -> None:
    config = yaml.safe_load(PREFECT_YAML.read_text())
    [weekly] = [d for d in config["deployments"] if d["entrypoint"].endswith(":schedule_all_hands")]
    [watcher] = [d for d in config["deployments"] if d["entrypoint"].endswith(":watch_events")]
    assert watcher["name"] == "every-5-minutes"
    assert watcher["schedules"][0]["cron"] == "*/5 * * * *"
    series_label = f"kev-series:{weekly['parameters']['series']['key']}"
    assert watcher["parameters"]["labels"] == [series_label] == list(DEFAULT_LABELS)
