"""Every Events Platform endpoint of the spec, called over HTTP, answer checked against the spec.

The spec (../shared/reference/events-platform-openapi.yaml) is authoritative for
shapes; if the emulator drifts from it, these tests say which field of which
endpoint. They read the copy in tests/reference, so a clean checkout runs them
too (a fresh clone skipped all three before), and fail if that copy differs
from the reference where the reference is beside the checkout.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from kaltura_events.emulator.server import EmulatorServer

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = Path(__file__).resolve().parent / "reference" / "events-platform-openapi.yaml"
"""A copy in the repository, so a clean checkout (CI's) checks the emulator against the spec too."""
SHARED_SPEC_PATH = REPO_ROOT.parent / "shared" / "reference" / "events-platform-openapi.yaml"
"""The team's reference, where it is beside the checkout: the copy must not drift from it."""
SPEC_URI = "urn:events-platform-openapi"
ERROR_STATUSES = {
    "InvalidArgument",
    "NEW_LOGIN_REQUIRED",
    "Forbidden",
    "ResourceDoesNotExist",
    "RateLimitReached",
}


class SpecChecker:
    """Validates response bodies against the 200 schema of a spec path, $refs resolved over the whole spec."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT4)
        )
        self.checked: set[str] = set()

    def api_paths(self) -> set[str]:
        return {path for path in self.spec["paths"] if path.startswith("/api/v1/")}

    def check(self, path: str, body: Any) -> None:
        content = self.spec["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]
        validator = OAS30Validator({"$ref": SPEC_URI + content["schema"]["$ref"]}, registry=self.registry)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, f"{path}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors)
        self.checked.add(path)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if SHARED_SPEC_PATH.exists():
        assert SPEC_PATH.read_bytes() == SHARED_SPEC_PATH.read_bytes(), (
            f"{SPEC_PATH} differs from the reference {SHARED_SPEC_PATH}: copy the reference again"
        )
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


@pytest.fixture
def checker(spec: dict[str, Any]) -> SpecChecker:
    return SpecChecker(spec)


def call(http: httpx.Client, checker: SpecChecker, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(f"/{endpoint}", json=body)
    assert response.status_code == 200, f"{endpoint}: {response.status_code} {response.text}"
    data: dict[str, Any] = response.json()
    checker.check(f"/api/v1/{endpoint}", data)
    return data


def test_every_spec_endpoint_answers_in_the_spec_shape(
    emu: EmulatorServer, events_http: httpx.Client, checker: SpecChecker
) -> None:
    emu.control.reset(duplicate_seconds=0.1)
    http = events_http
    event = call(
        http,
        checker,
        "events/create",
        {
            "templateId": "tm3000",
            "name": "Spec town hall",
            "description": "Quarterly update",
            "startDate": "2025-05-01 14:00:00+00:00",
            "endDate": "2025-05-01T16:00:00.000Z",
            "timezone": "America/New_York",
        },
    )["event"]
    event_id = event["id"]
    assert event["startDate"] == "2025-05-01T14:00:00.000Z"

    call(
        http,
        checker,
        "events/update",
        {"id": event_id, "labels": ["all-hands"], "doorsOpenDate": "2025-05-01T13:30:00Z"},
    )
    listed = call(
        http, checker, "events/list", {"filter": {"searchTerm": "spec"}, "pager": {"offset": 0, "limit": 5}}
    )
    assert listed["totalCount"] == 1

    template_sessions = call(http, checker, "sessions/list", {"eventId": event_id})["sessions"]
    assert template_sessions[0]["sourceEntry"]["id"]
    session = call(
        http,
        checker,
        "sessions/create",
        {
            "eventId": event_id,
            "session": {
                "name": "Keynote",
                "type": "LiveWebcast",
                "startDate": "2025-05-01T14:00:00Z",
                "endDate": "2025-05-01T15:00:00Z",
                "tags": ["keynote"],
                "visibility": "published",
            },
        },
    )["session"]
    session_id = session["id"]

    speaker = call(
        http,
        checker,
        "event-users/invite",
        {
            "eventId": event_id,
            "firstName": "Jane",
            "lastName": "Doe",
            "email": "jane@example.com",
            "roles": ["Speaker"],
        },
    )["user"]
    moderator = call(
        http,
        checker,
        "event-users/invite",
        {
            "eventId": event_id,
            "firstName": "John",
            "lastName": "Roe",
            "email": "john@example.com",
            "roles": ["Moderator"],
        },
    )["user"]
    call(http, checker, "event-users/list", {"eventId": event_id, "pager": {"offset": 0, "limit": 10}})
    call(
        http,
        checker,
        "event-users/update",
        {"eventId": event_id, "userId": speaker["id"], "title": "VP Engineering"},
    )

    target = {"eventId": event_id, "sessionId": session_id}
    call(
        http,
        checker,
        "session-participants/add",
        {**target, "speakers": [{"userId": speaker["id"], "order": 1}], "moderatorIds": [moderator["id"]]},
    )
    participants = call(http, checker, "session-participants/list", target)
    assert [p["type"] for p in participants["speakers"] + participants["moderators"]] == [
        "speaker",
        "moderator",
    ]
    call(
        http,
        checker,
        "session-participants/update",
        {**target, "speakers": [{"userId": speaker["id"], "isHidden": True}]},
    )
    speakers = call(http, checker, "sessions/speakerList", target)["speakers"]
    assert speakers[0]["id"] == speaker["id"] and speakers[0]["isHidden"] is True
    call(http, checker, "session-participants/remove", {**target, "moderatorIds": [moderator["id"]]})
    call(http, checker, "event-users/delete", {"eventId": event_id, "userId": moderator["id"]})

    member = call(
        http,
        checker,
        "team-members/create",
        {"email": "org@example.com", "role": "Organizer", "firstName": "Olga", "lastName": "Org"},
    )["teamMember"]
    call(http, checker, "team-members/list", {"pager": {"offset": 0, "limit": 10}})
    call(http, checker, "team-members/update", {"id": member["id"], "role": "Admin"})
    call(http, checker, "team-members/delete", {"id": member["id"]})

    job = call(
        http,
        checker,
        "events/duplicate",
        {"sourceEventId": event_id, "event": {"name": "Spec copy", "timezone": "Europe/London"}},
    )
    status = call(http, checker, "events/duplicateStatus", {"jobId": job["jobId"]})
    assert status["jobState"] == "wait"
    time.sleep(0.15)
    status = call(http, checker, "events/duplicateStatus", {"jobId": job["jobId"]})
    assert status["jobState"] == "completed" and isinstance(status["eventId"], str)
    unknown = call(http, checker, "events/duplicateStatus", {"jobId": "no-such-job"})
    assert unknown["jobState"] == "unknown" and "eventId" not in unknown

    call(http, checker, "events/delete", {"id": event_id})
    assert checker.checked == checker.api_paths(), f"not exercised: {checker.api_paths() - checker.checked}"


def test_metrics_endpoint_answers_text(emu: EmulatorServer, spec: dict[str, Any]) -> None:
    assert "/metrics" in spec["paths"]
    response = httpx.get(f"{emu.base_url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "emulator_requests_total" in response.text


def test_error_statuses_are_from_the_spec_enum(
    emu: EmulatorServer, events_http: httpx.Client, spec: dict[str, Any]
) -> None:
    enum = set(spec["components"]["schemas"]["CreateEventResponseDto"]["properties"]["status"]["enum"])
    assert enum >= ERROR_STATUSES | {"OperationNotAllowed"}
    seen = {
        events_http.post("/events/create", json={}).json()["status"],
        events_http.post("/events/delete", json={"id": 999}).json()["status"],
        httpx.post(f"{emu.events_api_url}/events/list", json={}).json()["status"],
    }
    assert seen == {"InvalidArgument", "ResourceDoesNotExist", "NEW_LOGIN_REQUIRED"}
    assert seen <= enum
