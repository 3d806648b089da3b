"""The emulator's services: declared once, listed in its README, and announcing what they commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kaltura_events.emulator.changes import Change
from kaltura_events.emulator.endpoints import Access
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.services.app_registry.backend import AppRegistryBackend
from kaltura_events.emulator.services.registry import ENDPOINTS, RULE_TARGETS, SERVICES, WRITE_ENDPOINTS
from kaltura_events.emulator.testing import RawApiV3, RawEventsApi

README = Path(__file__).resolve().parents[1] / "kaltura_events" / "emulator" / "README.md"


def _readme_endpoints() -> list[tuple[str, ...]]:
    """The rows of README.md's "Endpoints" table, backquotes removed."""
    text = README.read_text()
    section = text[text.index("## Endpoints") :]
    section = section[: section.index("\n## ", 1)]
    return [
        tuple(cell.strip().strip("`") for cell in line.strip().strip("|").split("|"))
        for line in section.splitlines()
        if line.startswith("| `")
    ]


def test_readme_lists_exactly_the_declared_endpoints() -> None:
    declared = [
        (e.name, service.name, e.path, e.access.value, e.errors.value)
        for service in SERVICES
        for e in service.endpoints
    ]
    assert _readme_endpoints() == declared


def test_every_list_comes_from_the_declarations() -> None:
    names = [endpoint.name for endpoint in ENDPOINTS]
    assert len(names) == len(set(names)), "an endpoint name is declared twice"
    assert {e.name for e in ENDPOINTS if e.access is Access.WRITE} == WRITE_ENDPOINTS
    assert {"*", "writes", *names} == RULE_TARGETS
    for service in SERVICES:
        assert len({e.errors for e in service.endpoints}) == 1, f"{service.name}: one route, one error style"
        assert all(e.path.startswith(service.prefix) for e in service.endpoints)


@pytest.fixture
def changes(emu: EmulatorServer) -> Iterator[list[Change]]:
    seen: list[Change] = []
    stop = emu.runtime.platform.changes.subscribe(seen.append)
    yield seen
    stop()


def test_a_subscriber_sees_each_committed_write(
    emu: EmulatorServer, events_api: RawEventsApi, api_v3: RawApiV3, admin_ks: str, changes: list[Change]
) -> None:
    event = events_api.create_event()
    events_api.ok("events/update", {"id": event["id"], "name": "Renamed"})
    session = events_api.ok(
        "sessions/create", {"eventId": event["id"], "session": {"name": "Talk", "type": "LiveWebcast"}}
    )["session"]
    assert events_api.post("events/update", {"id": 999_999, "name": "Nobody"}).status_code == 404
    events_api.ok("events/delete", {"id": event["id"]})
    api_v3.call("session", "start", form={"secret": emu.admin_secret, "partnerId": emu.partner_id, "type": 2})
    root = api_v3.call("category", "add", form={"ks": admin_ks, "category[name]": "announced"})
    assert api_v3.call("category", "delete", form={"ks": admin_ks, "id": str(root["id"])}) is None

    app = emu.runtime.platform.backend(AppRegistryBackend).event_app(event["id"])
    assert app is not None
    assert [(c.service, c.kind, c.subject) for c in changes] == [
        ("events_platform", "event.created", str(event["id"])),
        ("app_registry", "app.added", app.id),
        ("events_platform", "event.updated", str(event["id"])),
        ("events_platform", "session.created", session["id"]),
        ("events_platform", "event.deleted", str(event["id"])),
        ("api_v3", "session.started", ""),
        ("api_v3", "category.added", str(root["id"])),
        ("api_v3", "category.deleted", str(root["id"])),
    ]
    assert changes[1].record["appCustomId"] == str(event["id"])
    assert changes[2].record["name"] == "Renamed"
    assert all("ks" not in change.record for change in changes), "a KS is a secret"


def test_a_change_refused_is_not_announced(events_api: RawEventsApi, changes: list[Change]) -> None:
    assert events_api.post("events/create", {"name": "No template"}).status_code == 400
    assert changes == []


def test_a_job_finishing_and_people_are_announced(
    emu: EmulatorServer, events_api: RawEventsApi, changes: list[Change]
) -> None:
    emu.control.reset(duplicate_seconds=0)
    source = events_api.create_event("Original")
    job = events_api.ok(
        "events/duplicate", {"sourceEventId": source["id"], "event": {"name": "Copy", "timezone": "UTC"}}
    )["jobId"]
    assert events_api.ok("events/duplicateStatus", {"jobId": job})["jobState"] == "completed"
    member = events_api.ok(
        "team-members/create",
        {"email": "ada@example.com", "role": "Admin", "firstName": "Ada", "lastName": "Lovelace"},
    )["teamMember"]
    user = events_api.ok(
        "event-users/invite",
        {"eventId": source["id"], "email": "bo@example.com", "firstName": "Bo", "lastName": "Li"},
    )["user"]

    assert [(c.kind, c.subject) for c in changes] == [
        ("event.created", str(source["id"])),
        ("app.added", changes[1].subject),
        ("event.created", str(source["id"] + 1)),
        ("app.added", changes[3].subject),
        ("duplicate.started", job),
        ("duplicate.completed", job),
        ("team_member.created", member["id"]),
        ("event_user.invited", user["id"]),
    ]
    assert changes[5].record["eventId"] == source["id"] + 1
    assert changes[3].record["appCustomId"] == str(source["id"] + 1)
