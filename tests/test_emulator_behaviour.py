"""The emulator behaves as the guides describe the Events Platform: auth, refusals, paging, templates,
categories left behind, asynchronous duplication."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from kaltura_events.api.ks import ADMIN, USER, build_ks_v2
from kaltura_events.emulator.config import DEFAULT_USER_ID
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawApiV3, RawEventsApi

ENTRY_ID = re.compile(r"^1_[0-9a-z]{8}$")
VALID_EVENT = {
    "templateId": "tm0000",
    "name": "Town hall",
    "startDate": "2025-05-01T14:00:00Z",
    "endDate": "2025-05-01T16:00:00Z",
    "timezone": "America/New_York",
}


def ks_for(emu: EmulatorServer, **kwargs: Any) -> str:
    options: dict[str, Any] = {"session_type": ADMIN}
    options.update(kwargs)
    user_id = options.pop("user_id", DEFAULT_USER_ID)
    secret = options.pop("secret", emu.admin_secret)
    partner_id = options.pop("partner_id", emu.partner_id)
    return build_ks_v2(secret, partner_id, user_id, **options)


def post_with(
    emu: EmulatorServer, authorization: str | None, endpoint: str = "events/list"
) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return httpx.post(f"{emu.events_api_url}/{endpoint}", json={}, headers=headers)


def category_names(api_v3: RawApiV3, ks: str, prefix: str) -> list[str]:
    listing = api_v3.call(
        "category",
        "list",
        form={"ks": ks, "filter[objectType]": "KalturaCategoryFilter", "filter[fullNameStartsWith]": prefix},
    )
    return sorted(category["fullName"] for category in listing["objects"])


# -- auth ------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "ks", "KS"])
def test_both_authorization_forms_are_accepted(emu: EmulatorServer, admin_ks: str, scheme: str) -> None:
    assert post_with(emu, f"{scheme} {admin_ks}").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-ks", "Bearer djJ8MTIzfGFiYw=="],
    ids=["missing", "empty", "no-token", "basic", "garbage", "truncated"],
)
def test_missing_or_unparsable_ks_is_401(emu: EmulatorServer, authorization: str | None) -> None:
    response = post_with(emu, authorization)
    assert response.status_code == 401
    assert response.json()["status"] == "NEW_LOGIN_REQUIRED"


def test_bad_signature_other_partner_and_expired_ks_are_401_and_never_echoed(emu: EmulatorServer) -> None:
    bad = [
        ks_for(emu, secret="another-secret"),
        ks_for(emu, partner_id=emu.partner_id + 1),
        ks_for(emu, expiry_seconds=10, now=time.time() - 60),
    ]
    for ks in bad:
        response = post_with(emu, f"Bearer {ks}")
        assert response.status_code == 401, response.text
        assert ks not in response.text
    assert "expired" in post_with(emu, f"Bearer {bad[2]}").json()["message"]


def test_user_ks_and_ks_without_user_are_403(emu: EmulatorServer) -> None:
    for ks in (ks_for(emu, session_type=USER), ks_for(emu, user_id="")):
        response = post_with(emu, f"Bearer {ks}")
        assert response.status_code == 403
        assert response.json()["status"] == "Forbidden"


def test_expire_ks_revokes_issued_and_seen_ks_but_not_new_ones(
    emu: EmulatorServer, admin_ks: str, api_v3: RawApiV3
) -> None:
    assert post_with(emu, f"Bearer {admin_ks}").status_code == 200
    assert emu.control.expire_ks() >= 1
    response = post_with(emu, f"Bearer {admin_ks}")
    assert response.status_code == 401 and "expired" in response.json()["message"]
    assert api_v3.call("category", "list", form={"ks": admin_ks})["code"] == "EXPIRED_KS"
    assert post_with(emu, f"Bearer {ks_for(emu)}").status_code == 200


# -- 400s name the field --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"templateId": None}, "templateId"),
        ({"name": None}, "name"),
        ({"startDate": None}, "startDate"),
        ({"endDate": None}, "endDate"),
        ({"timezone": None}, "timezone"),
        ({"startDate": "May 1st"}, "startDate"),
        ({"startDate": 1746108000}, "startDate"),
        ({"name": 42}, "name"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"templateId": "tm9999"}, "templateId"),
        ({"templateId": "62170c5af3d27e919f30b100"}, "templateId"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(
    events_api: RawEventsApi, change: dict[str, Any], field: str
) -> None:
    body = {key: value for key, value in {**VALID_EVENT, **change}.items() if value is not None}
    response = events_api.post("events/create", body)
    assert response.status_code == 400, response.text
    assert response.json()["status"] == "InvalidArgument"
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"endDate": "2025-05-01T16:00:00"}, {"endDate": "2025-05-01T16:00:00.000Z"}),
        ({"endDate": "2025-05-01T16:00:00.5+02:00"}, {"endDate": "2025-05-01T14:00:00.500Z"}),
        ({"startDate": "2025-05-01 14:00:00+00:00"}, {"startDate": "2025-05-01T14:00:00.000Z"}),
        ({"endDate": "2025-05-01T13:00:00Z"}, {"endDate": "2025-05-01T13:00:00.000Z"}),
        ({"name": "x" * 300}, {"name": "x" * 300}),
        ({"name": " "}, {"name": " "}),
    ],
    ids=["no-offset", "offset-and-fraction", "space-form", "end-before-start", "long-name", "blank-name"],
)
def test_create_accepts_what_no_source_refuses(
    events_api: RawEventsApi, change: dict[str, Any], expected: dict[str, Any]
) -> None:
    """README.md: naive times read as UTC; no reference limits a name's length or an end's order."""
    event = events_api.create_event(**{"name": VALID_EVENT["name"], **change})
    assert {key: event[key] for key in expected} == expected


def test_date_order_is_refused_only_when_configured(emu: EmulatorServer, events_api: RawEventsApi) -> None:
    body = {**VALID_EVENT, "endDate": "2025-05-01T13:00:00Z"}
    assert events_api.post("events/create", body).status_code == 200
    emu.control.reset(check_date_order=True)
    refused = events_api.post("events/create", body)
    assert (refused.status_code, refused.json()["field"]) == (400, "endDate")
    event_id = events_api.create_event()["id"]
    late_doors = events_api.post("events/update", {"id": event_id, "doorsOpenDate": "2025-05-01T15:00:00Z"})
    assert (late_doors.status_code, late_doors.json()["field"]) == (400, "doorsOpenDate")
    session = {"name": "Backwards", "type": "MeetingEntry", "endDate": "2025-05-01T13:00:00Z"}
    backwards = events_api.post("sessions/create", {"eventId": event_id, "session": session})
    assert (backwards.status_code, backwards.json()["field"]) == (400, "session.endDate")


def test_unregistered_custom_template_is_unknown_until_registered(
    emu: EmulatorServer, events_api: RawEventsApi
) -> None:
    custom = "62170c5af3d27e919f30b100"
    refused = events_api.post("events/create", {**VALID_EVENT, "templateId": custom})
    assert "names no template" in refused.json()["message"]
    emu.control.add_template(custom, ["LiveWebcast", "LiveKME"], name="Company webcast")
    event = events_api.create_event(template_id=custom)
    assert (event["templateId"], event["templateName"]) == (custom, "Company webcast")
    sessions = events_api.ok("sessions/list", {"eventId": event["id"]})["sessions"]
    assert [s["type"] for s in sessions] == ["LiveWebcast", "LiveKME"]


def test_update_validates_and_changes_fields(events_api: RawEventsApi) -> None:
    event = events_api.create_event()
    event_id = event["id"]

    def refused(body: dict[str, Any]) -> str:
        response = events_api.post("events/update", {"id": event_id, **body})
        assert response.status_code == 400, response.text
        field: str = response.json()["field"]
        return field

    assert refused({"doorsOpenDate": "at nine"}) == "doorsOpenDate"
    assert refused({"labels": "all-hands"}) == "labels"
    assert refused({"labels": [1, 2]}) == "labels"
    assert refused({"timezone": "Nowhere/Land"}) == "timezone"
    assert refused({"name": 7}) == "name"
    assert refused({"startDate": "tomorrow"}) == "startDate"
    assert refused({"id": "12"}) == "id"

    updated = events_api.ok(
        "events/update",
        {
            "id": event_id,
            "name": "Renamed",
            "description": "New words",
            "labels": ["all-hands", "q2"],
            "doorsOpenDate": "2025-05-01 13:45:00+00:00",
            "timezone": "Europe/London",
        },
    )["event"]
    assert updated["name"] == "Renamed" and updated["labels"] == ["all-hands", "q2"]
    assert updated["doorsOpenDate"] == "2025-05-01T13:45:00.000Z"
    assert updated["timezone"] == "Europe/London" and updated["description"] == "New words"

    moved = events_api.ok(
        "events/update",
        {"id": event_id, "startDate": "2025-05-08T14:00:00Z", "endDate": "2025-05-08T16:00:00Z"},
    )["event"]
    assert moved["doorsOpenDate"] == "2025-05-01T13:45:00.000Z", "doors stay where they were put"
    assert events_api.post("events/update", {"id": 999, "name": "x"}).status_code == 404


def test_list_refuses_bad_pager_and_order(events_api: RawEventsApi) -> None:
    for pager, field in (
        ({"limit": 16}, "pager.limit"),
        ({"limit": "5"}, "pager.limit"),
        ({"offset": 1.5}, "pager.offset"),
    ):
        response = events_api.post("events/list", {"pager": pager})
        assert (response.status_code, response.json()["field"]) == (400, field)
    assert events_api.post("events/list", {"orderBy": "name"}).json()["field"] == "orderBy"
    assert events_api.post("events/list", {"pager": {"limit": 15}}).status_code == 200
    events_api.create_event()
    assert events_api.ok("events/list", {"pager": {"offset": -1}})["totalCount"] == 1, "no source refuses it"
    assert events_api.ok("events/list", {"pager": {"limit": 0}})["events"] == []


def test_session_create_refusals(events_api: RawEventsApi) -> None:
    event_id = events_api.create_event()["id"]

    def field_of(session: dict[str, Any], event: int = event_id) -> tuple[int, str | None]:
        response = events_api.post("sessions/create", {"eventId": event, "session": session})
        return response.status_code, response.json().get("field")

    assert field_of({"name": "Panel", "type": "Webinar"}) == (400, "session.type")
    assert field_of({"type": "MeetingEntry"}) == (400, "session.name")
    assert field_of({"name": "Odd", "type": "MeetingEntry", "tags": "a,b"}) == (400, "session.tags")
    assert field_of({"name": "Lost", "type": "MeetingEntry"}, event=999)[0] == 404
    assert field_of({"name": "Replay without source", "type": "SimuLive"})[0] == 200, "no source refuses it"
    created = events_api.ok(
        "sessions/create",
        {
            "eventId": event_id,
            "session": {"name": "Replay", "type": "SimuLive", "sourceEntryId": "1_vod12345"},
        },
    )["session"]
    assert (
        created["startDate"] == "2025-05-01T14:00:00.000Z"
        and created["endDate"] == "2025-05-01T16:00:00.000Z"
    )
    assert created["sourceEntry"]["id"] == "1_vod12345" and ENTRY_ID.match(created["id"])


def test_a_session_at_the_events_old_times_is_accepted_after_the_event_moves(
    events_api: RawEventsApi,
) -> None:
    """Seen on the live platform: sessions are not held inside their event's times."""
    event_id = events_api.create_event()["id"]
    events_api.ok(
        "events/update",
        {"id": event_id, "startDate": "2025-05-01T15:00:00Z", "endDate": "2025-05-01T17:00:00Z"},
    )
    session = {
        "name": "Made from the old plan",
        "type": "LiveWebcast",
        "startDate": "2025-05-01T14:00:00Z",
        "endDate": "2025-05-01T16:00:00Z",
    }
    created = events_api.ok("sessions/create", {"eventId": event_id, "session": session})["session"]
    assert (created["startDate"], created["endDate"]) == (
        "2025-05-01T14:00:00.000Z",
        "2025-05-01T16:00:00.000Z",
    )
    listed = events_api.ok("sessions/list", {"eventId": event_id})["sessions"]
    assert [s["id"] for s in listed] == [created["id"]]


def test_unknown_ids_are_404_with_the_field(events_api: RawEventsApi) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("events/delete", {"id": 4242}, "id"),
        ("events/duplicate", {"sourceEventId": 4242}, "sourceEventId"),
        ("sessions/list", {"eventId": 4242}, "eventId"),
        ("team-members/delete", {"id": "nobody"}, "id"),
        ("event-users/list", {"eventId": 4242}, "eventId"),
    ]
    for endpoint, body, field in cases:
        response = events_api.post(endpoint, body)
        assert response.status_code == 404, (endpoint, response.text)
        assert response.json() == {**response.json(), "status": "ResourceDoesNotExist", "field": field}
    assert events_api.post("events/nonsense", {}).status_code == 404
    unknown_job = events_api.ok("events/duplicateStatus", {"jobId": "nope"})
    assert unknown_job == {"jobId": "nope", "jobState": "unknown", "status": "ok"}, "spec's jobState enum"


# -- paging, filters, order ------------------------------------------------------------------


def collect(events_api: RawEventsApi, offsets: list[int], limit: int) -> tuple[list[int], int]:
    ids: list[int] = []
    total = 0
    for offset in offsets:
        page = events_api.ok(
            "events/list", {"pager": {"offset": offset, "limit": limit}, "orderBy": "+createdAt"}
        )
        ids += [event["id"] for event in page["events"]]
        total = page["totalCount"]
    return ids, total


def test_paging_skip_mode_and_page_mode(emu: EmulatorServer, admin_ks: str) -> None:
    emu.control.bulk_events(7, "Bulk")
    with RawEventsApi(emu.events_api_url, admin_ks) as api:
        ids, total = collect(api, [0, 3, 6], 3)
        assert total == 7 and ids == list(range(1, 8))
        ids, _ = collect(api, [0, 1, 2], 3)
        assert len(set(ids)) < total, "page-style offsets against a skip-count server overlap"
        assert api.ok("events/list", {})["events"][0]["id"] == 7, "default is -createdAt, ties by id"
        assert len(api.ok("events/list", {})["events"]) == 5, "default limit is 5"

    emu.control.reset(offset_mode="page")
    emu.control.bulk_events(7, "Bulk")
    with RawEventsApi(emu.events_api_url, admin_ks) as api:
        ids, total = collect(api, [0, 1, 2], 3)
        assert ids == list(range(1, 8)) and total == 7


def test_filters_and_order(events_api: RawEventsApi) -> None:
    alpha = events_api.create_event(
        "Alpha All-Hands", start="2025-03-01T10:00:00Z", end="2025-03-01T11:00:00Z"
    )
    beta = events_api.create_event(
        "beta review", template_id="tm1000", start="2025-04-01T10:00:00Z", end="2025-04-01T12:00:00Z"
    )
    gamma = events_api.create_event(
        "Gamma all-hands", start="2025-05-01T10:00:00Z", end="2025-05-01T11:00:00Z"
    )
    events_api.ok("events/update", {"id": alpha["id"], "labels": ["all-hands", "q1"]})
    events_api.ok("events/update", {"id": gamma["id"], "labels": ["all-hands"]})

    def ids(filter_: dict[str, Any], order: str = "+startDate") -> list[int]:
        listing = events_api.ok("events/list", {"filter": filter_, "orderBy": order, "pager": {"limit": 15}})
        assert listing["totalCount"] == len(listing["events"])
        return [event["id"] for event in listing["events"]]

    a, b, g = alpha["id"], beta["id"], gamma["id"]
    assert ids({"searchTerm": "ALL-HANDS"}) == [a, g]
    assert ids({"searchTerm": " "}) == [a, b, g]
    assert ids({"labels": ["q1", "nothing"]}) == [a]
    assert ids({"labels": ["all-hands"]}) == [a, g]
    assert ids({"idIn": [b, g, 999]}) == [b, g]
    assert ids({"templateIdIn": ["tm1000"]}) == [b]
    assert ids({"startDateGreaterThanOrEqual": "2025-04-01T10:00:00Z"}) == [b, g]
    assert ids({"startDateLessOrEqualThan": "2025-04-01 10:00:00+00:00"}) == [a, b]
    assert ids(
        {
            "endDateGreaterThanOrEqual": "2025-04-01T12:00:00Z",
            "endDateLessOrEqualThan": "2025-04-30T00:00:00Z",
        }
    ) == [b]
    assert ids({}, "-startDate") == [g, b, a]
    assert ids({}, "+name") == [a, b, g]
    assert ids({}, "-name") == [g, b, a]
    assert ids({}, "-createdAt") == [g, b, a]
    assert ids({}, "+createdAt") == [a, b, g]
    bad = events_api.post("events/list", {"filter": {"startDateGreaterThanOrEqual": "soon"}})
    assert bad.json()["field"] == "filter.startDateGreaterThanOrEqual"


# -- templates, sessions and categories --------------------------------------------------------


@pytest.mark.parametrize(
    ("template_id", "types"),
    [
        ("tm0000", []),
        ("tm1000", ["MeetingEntry"]),
        ("tm2000", ["LiveWebcast"]),
        ("tm3000", ["SimuLive"]),
        ("tm4000", ["MeetingEntry", "LiveWebcast"]),
    ],
)
def test_templates_add_sessions(events_api: RawEventsApi, template_id: str, types: list[str]) -> None:
    event = events_api.create_event(template_id=template_id)
    sessions = events_api.ok("sessions/list", {"eventId": event["id"]})["sessions"]
    assert [s["type"] for s in sessions] == types
    assert all(ENTRY_ID.match(s["id"]) for s in sessions)
    assert all(("sourceEntry" in s) == (s["type"] == "SimuLive") for s in sessions)


def test_session_ids_are_unique_strings(events_api: RawEventsApi) -> None:
    ids = []
    for _ in range(5):
        event = events_api.create_event(template_id="tm4000")
        ids += [s["id"] for s in events_api.ok("sessions/list", {"eventId": event["id"]})["sessions"]]
    assert len(ids) == len(set(ids)) == 10


def test_create_makes_categories_and_delete_leaves_them(
    emu: EmulatorServer, events_api: RawEventsApi, api_v3: RawApiV3, admin_ks: str
) -> None:
    first = events_api.create_event("One")["id"]
    second = events_api.create_event("Two")["id"]
    roots = category_names(api_v3, admin_ks, f"{first}EP")
    root = roots[0]
    assert re.fullmatch(rf"{first}EP[0-9a-f]{{6}}", root)
    assert f"{root}>Sessions>Recordings" in roots and len(roots) >= 4
    assert category_names(api_v3, admin_ks, f"ep_agenda_{first}") == [f"ep_agenda_{first}"]
    assert category_names(api_v3, admin_ks, f"ep_private_{first}") == [f"ep_private_{first}"]
    assert category_names(api_v3, admin_ks, "ep_media_account") == [
        "ep_media_account",
        f"ep_media_account>ep_media_event_{first}",
        f"ep_media_account>ep_media_event_{second}",
    ]
    before = len(emu.control.state()["categories"])
    deleted = events_api.ok("events/delete", {"id": first})["event"]
    assert deleted["id"] == first
    assert events_api.ok("events/list", {"filter": {"idIn": [first]}})["totalCount"] == 0
    assert events_api.post("sessions/list", {"eventId": first}).status_code == 404
    assert len(emu.control.state()["categories"]) == before, "categories survive events/delete"


def test_full_name_prefix_matches_longer_ids(
    emu: EmulatorServer, events_api: RawEventsApi, api_v3: RawApiV3, admin_ks: str
) -> None:
    emu.control.reset(first_event_id=12)
    assert events_api.create_event()["id"] == 12
    emu.control.add_category("ep_private_123")
    assert category_names(api_v3, admin_ks, "ep_private_12") == ["ep_private_12", "ep_private_123"]
    exact = api_v3.call("category", "list", form={"ks": admin_ks, "filter[fullNameEqual]": "ep_private_12"})
    assert [c["fullName"] for c in exact["objects"]] == ["ep_private_12"]


def test_bulk_events_have_no_categories(emu: EmulatorServer, events_api: RawEventsApi) -> None:
    result = emu.control.bulk_events(1000, "Unrelated", labels=["noise"], start_date="2030-01-01T00:00:00Z")
    assert (result["count"], result["firstId"], result["lastId"]) == (1000, 1, 1000)
    assert emu.control.state()["categories"] == []
    listing = events_api.ok("events/list", {"filter": {"searchTerm": "unrelated 99"}, "pager": {"limit": 15}})
    assert listing["totalCount"] == 11  # 99 and 990..999


# -- duplication -------------------------------------------------------------------------------


def wait_for_state(events_api: RawEventsApi, job_id: str, timeout: float = 3.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = events_api.ok("events/duplicateStatus", {"jobId": job_id})
        if status["jobState"] in {"completed", "failed"} or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_duplicate_waits_then_completes_with_a_listable_copy(
    emu: EmulatorServer, events_api: RawEventsApi, api_v3: RawApiV3, admin_ks: str
) -> None:
    emu.control.reset(duplicate_seconds=0.3)
    source = events_api.create_event("Source", template_id="tm4000")
    speaker = events_api.ok(
        "event-users/invite",
        {
            "eventId": source["id"],
            "firstName": "S",
            "lastName": "P",
            "email": "s@example.com",
            "roles": ["Speaker"],
        },
    )["user"]
    source_sessions = events_api.ok("sessions/list", {"eventId": source["id"]})["sessions"]
    events_api.ok(
        "session-participants/add",
        {
            "eventId": source["id"],
            "sessionId": source_sessions[0]["id"],
            "speakers": [{"userId": speaker["id"]}],
        },
    )
    job = events_api.ok(
        "events/duplicate",
        {
            "sourceEventId": source["id"],
            "event": {"name": "Copy", "timezone": "Europe/Paris", "startDate": "2025-06-01T14:00:00Z"},
            "duplicateUsers": {"roles": ["Speaker"], "skipEmail": True},
        },
    )
    assert isinstance(job["jobId"], str)
    waiting = events_api.ok("events/duplicateStatus", {"jobId": job["jobId"]})
    assert waiting["jobState"] == "wait" and "eventId" not in waiting

    copies = events_api.ok("events/list", {"filter": {"searchTerm": "copy"}})["events"]
    assert len(copies) == 1, "the copy is listable while the job waits"
    copy = copies[0]
    assert (copy["timezone"], copy["startDate"], copy["endDate"]) == (
        "Europe/Paris",
        "2025-06-01T14:00:00.000Z",
        "2025-06-01T16:00:00.000Z",
    )
    copy_sessions = events_api.ok("sessions/list", {"eventId": copy["id"]})["sessions"]
    assert [s["type"] for s in copy_sessions] == [s["type"] for s in source_sessions]
    assert not {s["id"] for s in copy_sessions} & {s["id"] for s in source_sessions}
    speakers = events_api.ok(
        "sessions/speakerList", {"eventId": copy["id"], "sessionId": copy_sessions[0]["id"]}
    )
    assert [s["id"] for s in speakers["speakers"]] == [speaker["id"]]
    assert category_names(api_v3, admin_ks, f"ep_private_{copy['id']}") == [f"ep_private_{copy['id']}"]

    done = wait_for_state(events_api, job["jobId"])
    assert done == {
        "jobId": job["jobId"],
        "jobState": "completed",
        "eventId": str(copy["id"]),
        "status": "ok",
    }


def test_duplicate_without_event_keeps_the_source(emu: EmulatorServer, events_api: RawEventsApi) -> None:
    emu.control.reset(duplicate_seconds=0)
    source = events_api.create_event("Keep me")
    job = events_api.ok("events/duplicate", {"sourceEventId": source["id"]})
    done = wait_for_state(events_api, job["jobId"])
    copy = events_api.ok("events/list", {"filter": {"idIn": [int(done["eventId"])]}})["events"][0]
    for key in ("name", "timezone", "startDate", "endDate", "templateId"):
        assert copy[key] == source[key]
    assert copy["id"] != source["id"]
    bad = events_api.post("events/duplicate", {"sourceEventId": source["id"], "event": {"name": "No zone"}})
    assert bad.json()["field"] == "event.timezone"


def test_duplicate_fail_removes_the_copy(emu: EmulatorServer, events_api: RawEventsApi) -> None:
    emu.control.reset(duplicate_seconds=0.2)
    source = events_api.create_event("Original")
    emu.control.set_faults([{"endpoint": "events/duplicate", "kind": "duplicate_fail"}])
    job = events_api.ok(
        "events/duplicate", {"sourceEventId": source["id"], "event": {"name": "Doomed", "timezone": "UTC"}}
    )
    assert events_api.ok("events/list", {"filter": {"searchTerm": "doomed"}})["totalCount"] == 1
    assert wait_for_state(events_api, job["jobId"]) == {
        "jobId": job["jobId"],
        "jobState": "failed",
        "status": "ok",
    }
    assert events_api.ok("events/list", {"filter": {"searchTerm": "doomed"}})["totalCount"] == 0


def test_duplicate_stuck_never_finishes(emu: EmulatorServer, events_api: RawEventsApi) -> None:
    emu.control.reset(duplicate_seconds=0.1)
    source = events_api.create_event("Original")
    emu.control.set_faults([{"endpoint": "*", "kind": "duplicate_stuck"}])
    job = events_api.ok(
        "events/duplicate", {"sourceEventId": source["id"], "event": {"name": "Stuck", "timezone": "UTC"}}
    )
    time.sleep(0.15)
    states = {events_api.ok("events/duplicateStatus", {"jobId": job["jobId"]})["jobState"] for _ in range(6)}
    assert states == {"wait", "paused", "repeat"}
    assert events_api.ok("events/list", {"filter": {"searchTerm": "stuck"}})["totalCount"] == 1


# -- people ----------------------------------------------------------------------------------


def test_team_members_and_event_users(events_api: RawEventsApi) -> None:
    for index in range(3):
        events_api.ok(
            "team-members/create",
            {"email": f"m{index}@example.com", "role": "Organizer", "firstName": "M", "lastName": str(index)},
        )
    again = events_api.ok(
        "team-members/create", {"email": "M0@example.com", "role": "Admin", "firstName": "A", "lastName": "B"}
    )["teamMember"]
    assert (again["email"], again["role"]) == ("m0@example.com", "Admin"), "the same member, as asked"
    assert (
        events_api.post(
            "team-members/create",
            {"email": "x@example.com", "role": "Boss", "firstName": "A", "lastName": "B"},
        ).json()["field"]
        == "role"
    )
    page = events_api.ok("team-members/list", {"pager": {"offset": 1, "limit": 1}})
    assert page["totalCount"] == 3 and page["teamMembers"][0]["email"] == "m1@example.com"
    member = page["teamMembers"][0]
    assert events_api.ok("team-members/update", {"id": member["id"], "disabled": True})["teamMember"][
        "disabled"
    ]

    event_id = events_api.create_event(template_id="tm1000")["id"]
    session_id = events_api.ok("sessions/list", {"eventId": event_id})["sessions"][0]["id"]
    attendee = events_api.ok(
        "event-users/invite",
        {"eventId": event_id, "firstName": "A", "lastName": "T", "email": "a@example.com"},
    )["user"]
    assert attendee["roles"] == ["Attendees"] and len(attendee["id"]) == 64
    refused = events_api.post(
        "session-participants/add",
        {"eventId": event_id, "sessionId": session_id, "speakers": [{"userId": attendee["id"]}]},
    )
    assert refused.status_code == 400 and refused.json()["field"] == "speakers[0].userId"
    events_api.ok("event-users/update", {"eventId": event_id, "userId": attendee["id"], "roles": ["Speaker"]})
    events_api.ok(
        "session-participants/add",
        {"eventId": event_id, "sessionId": session_id, "speakers": [{"userId": attendee["id"]}]},
    )
    assert (
        len(events_api.ok("sessions/speakerList", {"eventId": event_id, "sessionId": session_id})["speakers"])
        == 1
    )
    events_api.ok("event-users/delete", {"eventId": event_id, "userId": attendee["id"]})
    assert (
        events_api.ok("sessions/speakerList", {"eventId": event_id, "sessionId": session_id})["speakers"]
        == []
    )
    assert events_api.ok("event-users/list", {"eventId": event_id})["totalCount"] == 0


def test_an_event_users_listing_shows_every_write_between_its_pages(events_api: RawEventsApi) -> None:
    """The emulator keeps an event's sorted users between pages; each invite, update and delete must
    show in the next page read, as they would on the platform."""
    event_id = events_api.create_event(template_id="tm1000")["id"]

    def listed() -> list[tuple[str, list[str]]]:
        body = {"eventId": event_id, "pager": {"offset": 0, "limit": 15}}
        return sorted((u["email"], u["roles"]) for u in events_api.ok("event-users/list", body)["users"])

    for index in range(2):
        invite = {
            "eventId": event_id,
            "firstName": "A",
            "lastName": str(index),
            "email": f"p{index}@example.com",
        }
        events_api.ok("event-users/invite", invite)
    first = listed()
    assert [email for email, _ in first] == ["p0@example.com", "p1@example.com"]
    invite = {"eventId": event_id, "firstName": "C", "lastName": "C", "email": "p2@example.com"}
    user_id = events_api.ok("event-users/invite", invite)["user"]["id"]
    assert len(listed()) == 3
    events_api.ok("event-users/update", {"eventId": event_id, "userId": user_id, "roles": ["Speaker"]})
    assert ("p2@example.com", ["Speaker"]) in listed()
    events_api.ok("event-users/delete", {"eventId": event_id, "userId": user_id})
    assert listed() == first
