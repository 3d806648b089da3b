"""The emulator's App Registry and User Profile, over raw HTTP: each rule of their README table.

Raw requests, so the wire is what is checked: the status, the
``KalturaAPIException`` body, the field named by a refusal.
"""

from __future__ import annotations

from typing import Any

import pytest

from kaltura_events.api.ks import USER, build_ks_v2
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawApiV3, RawEventsApi
from kaltura_events.emulator.testing import kaltura_exception as refusal


def add_app(apps: RawEventsApi, custom_id: str = "site-1", **extra: Any) -> dict[str, Any]:
    return apps.ok(
        "app-registry/add", {"appCustomId": custom_id, "appType": "ep", "appCustomName": "Portal", **extra}
    )


def test_a_bearer_admin_ks_is_required_but_no_user_id(emu: EmulatorServer) -> None:
    with RawEventsApi(emu.app_registry_url, None) as anonymous:
        refusal(anonymous.post("app-registry/list"), 401, "INVALID_KS")
    user_ks = build_ks_v2(emu.admin_secret, emu.partner_id, "viewer", session_type=USER)
    with RawEventsApi(emu.app_registry_url, user_ks) as viewer:
        refusal(viewer.post("app-registry/add", {}), 403, "SERVICE_FORBIDDEN")
        assert viewer.ok("app-registry/list") == {"objects": [], "totalCount": 0}, (
            "list takes an analytics KS"
        )
    no_user = build_ks_v2(emu.admin_secret, emu.partner_id, "")
    with RawEventsApi(emu.user_profile_url, no_user) as admin:
        assert admin.ok("user-profile/list")["totalCount"] == 0


def test_only_the_guides_paths_and_post(apps: RawEventsApi) -> None:
    refusal(apps.post("app-registry/findEverything"), 404, "NOT_FOUND")
    refusal(apps.http.get("/app-registry/list"), 404, "NOT_FOUND")


def test_app_add_validates_fields_with_400_and_refuses_duplicates_with_200(apps: RawEventsApi) -> None:
    body = refusal(
        apps.post("app-registry/add", {"appCustomId": "x", "appType": "ep"}), 400, "VALIDATION_ERROR"
    )
    assert body["field"] == "appCustomName"
    body = refusal(
        apps.post("app-registry/add", {"appCustomId": "x", "appType": "portal", "appCustomName": "P"}),
        400,
        "VALIDATION_ERROR",
    )
    assert body["field"] == "appType" and "'portal'" in body["message"]
    app = add_app(apps, organizationDomain={"domain": " example.com, other.com ", "organizationId": "o1"})
    assert (app["status"], app["version"], app["objectType"]) == ("enabled", 0, "App")
    assert app["organizationDomain"]["domain"] == "example.com,other.com"
    refusal(
        apps.post("app-registry/add", {**_app_body("site-1")}),
        200,
        "APP_REGISTRY_ALREADY_EXISTS_WITH_THIS_APP_CUSTOM_ID",
    )
    refusal(
        apps.post(
            "app-registry/add",
            {**_app_body("site-2"), "organizationDomain": {"domain": "other.com", "organizationId": "o1"}},
        ),
        200,
        "ORGANIZATION_ID_DOMAIN_AND_APP_TYPE_MUST_BE_UNIQUE",
    )


def _app_body(custom_id: str) -> dict[str, Any]:
    return {"appCustomId": custom_id, "appType": "ep", "appCustomName": "Portal"}


def test_enable_disable_bump_the_version_only_on_a_change_and_delete_answers_nothing(
    apps: RawEventsApi,
) -> None:
    guid = add_app(apps)["id"]
    assert apps.ok("app-registry/enable", {"id": guid})["version"] == 0
    assert apps.ok("app-registry/disable", {"id": guid})["version"] == 1
    assert apps.ok("app-registry/disable", {"id": guid})["version"] == 1
    assert [a["id"] for a in apps.ok("app-registry/list", {"filter": {"status": "disabled"}})["objects"]] == [
        guid
    ]
    deleted = apps.post("app-registry/delete", {"id": guid})
    assert deleted.status_code == 200 and deleted.content == b""
    refusal(apps.post("app-registry/get", {"id": guid}), 200, "OBJECT_NOT_FOUND")


@pytest.mark.parametrize(
    ("pager", "field"),
    [({"limit": 0}, "pager.limit"), ({"limit": 5001}, "pager.limit"), ({"offset": -1}, "pager.offset")],
)
def test_app_list_pager_bounds(apps: RawEventsApi, pager: dict[str, int], field: str) -> None:
    assert (
        refusal(apps.post("app-registry/list", {"pager": pager}), 400, "VALIDATION_ERROR")["field"] == field
    )


def test_app_list_filters_and_pages(apps: RawEventsApi, events_api: RawEventsApi) -> None:
    event = events_api.create_event("Town hall")
    for n in range(3):
        add_app(apps, f"site-{n}")
    page = apps.ok("app-registry/list", {"filter": {"appType": "ep"}, "pager": {"offset": 1, "limit": 1}})
    assert page["totalCount"] == 3 and [a["appCustomId"] for a in page["objects"]] == ["site-1"]
    found = apps.ok("app-registry/list", {"filter": {"appCustomIdIn": [str(event["id"])]}})["objects"]
    assert [(a["appType"], a["appCustomName"]) for a in found] == [("epmEvent", "Town hall")]
    assert apps.ok("app-registry/list", {"filter": {"domain": "example.com"}})["totalCount"] == 0


# -- user.add / user.get (API v3) ---------------------------------------------------------


def test_user_add_and_get_form_encoded(api_v3: RawApiV3, admin_ks: str) -> None:
    added = api_v3.call(
        "user",
        "add",
        form={
            "ks": admin_ks,
            "user[objectType]": "KalturaUser",
            "user[id]": "ada@example.com",
            "user[email]": "ada@example.com",
        },
    )
    assert added["objectType"] == "KalturaUser" and added["id"] == "ada@example.com"
    assert api_v3.call("user", "get", form={"ks": admin_ks, "userId": "ada@example.com"}) == added
    assert (
        api_v3.call("user", "add", form={"ks": admin_ks, "user[id]": "ada@example.com"})["code"]
        == "DUPLICATE_USER_BY_ID"
    )
    assert api_v3.call("user", "get", form={"ks": admin_ks, "userId": "bo"})["code"] == "INVALID_USER_ID"
    assert (
        api_v3.call("user", "add", form={"ks": admin_ks, "user[email]": "x@y.example"})["code"]
        == "PROPERTY_VALIDATION_CANNOT_BE_NULL"
    )
    assert api_v3.call("user", "get", form={"userId": "ada@example.com"})["code"] == "MISSING_KS"


# -- User Profile ---------------------------------------------------------------------------


def test_profile_add_validates_its_fields(profiles: RawEventsApi, guid: str, ada: str) -> None:
    for body, field in (
        ({"appGuid": guid, "userId": ada}, "profileData"),
        ({"appGuid": guid, "userId": ada, "profileData": []}, "profileData"),
        (
            {"appGuid": guid, "userId": ada, "profileData": {}, "eventData": {"attendanceStatus": "came"}},
            "eventData.attendanceStatus",
        ),
        (
            {
                "appGuid": guid,
                "userId": ada,
                "profileData": {},
                "loginData": {"lastLoginDate": "2031-01-01T00:00:00Z"},
            },
            "loginData.lastLoginType",
        ),
        ({"appGuid": guid, "userId": ada, "profileData": {}, "status": "deleted"}, "status"),
    ):
        assert refusal(profiles.post("user-profile/add", body), 400, "VALIDATION_ERROR")["field"] == field
    refusal(
        profiles.post("user-profile/add", {"appGuid": "nope", "userId": ada, "profileData": {}}),
        200,
        "OBJECT_NOT_FOUND",
    )


def test_profile_update_merges_event_data_and_replaces_profile_data(
    profiles: RawEventsApi, guid: str, ada: str
) -> None:
    made = profiles.ok(
        "user-profile/add",
        {
            "appGuid": guid,
            "userId": ada,
            "profileData": {"name": "Ada", "company": "X"},
            "eventData": {"regOrigin": "invite", "attendanceStatus": "attended"},
        },
    )
    assert made["eventData"]["firstAttendedStatusTime"] == made["eventData"]["statusUpdateTime"], (
        "at creation too"
    )
    updated = profiles.ok(
        "user-profile/update",
        {
            "id": made["id"],
            "profileData": {"name": "Ada L."},
            "eventData": {"attendanceStatus": "blocked", "firstAttendedStatusTime": "1999-01-01T00:00:00Z"},
        },
    )
    assert updated["profileData"] == {"name": "Ada L."}
    assert updated["eventData"]["regOrigin"] == "invite"
    assert updated["eventData"]["previousAttendanceStatus"] == "attended"
    assert updated["eventData"]["firstAttendedStatusTime"] == made["eventData"]["firstAttendedStatusTime"]
    deleted = profiles.post("user-profile/delete", {"id": made["id"]})
    assert deleted.status_code == 200 and deleted.content == b""
    refusal(profiles.post("user-profile/get", {"id": made["id"]}), 200, "USER_PROFILE_NOT_FOUND")
    again = profiles.ok("user-profile/add", {"appGuid": guid, "userId": ada, "profileData": {}})
    assert again["id"] != made["id"], "after a soft delete the user may have a new profile"


def test_profile_list_orders_counts_and_refuses_an_unknown_order(
    emu: EmulatorServer, profiles: RawEventsApi, guid: str, events_api: RawEventsApi
) -> None:
    event_id = events_api.ok("events/list", {})["events"][0]["id"]
    emu.control.mark_attendance(
        event_id, ["a@x.example", "b@x.example"], "attended", at="2031-01-01T10:00:00Z"
    )
    emu.control.mark_attendance(event_id, ["c@x.example"], "registered", at="2031-01-02T10:00:00Z")
    newest = profiles.ok(
        "user-profile/list", {"filter": {"appGuidIn": [guid]}, "orderBy": "-createdAt", "pager": {"limit": 1}}
    )
    assert newest["totalCount"] == 3 and newest["objects"][0]["userId"] == "c@x.example"
    uncounted = profiles.ok(
        "user-profile/list", {"filter": {"appGuidIn": [guid]}, "includeTotalCount": False}
    )
    assert uncounted["totalCount"] == -1 and len(uncounted["objects"]) == 3
    only = profiles.ok("user-profile/list", {"filter": {"userIdIn": ["B@X.example"]}})
    assert [p["userId"] for p in only["objects"]] == ["b@x.example"]
    assert (
        refusal(profiles.post("user-profile/list", {"orderBy": "name"}), 400, "VALIDATION_ERROR")["field"]
        == "orderBy"
    )


def test_event_data_stats_needs_apps_and_dimensions(profiles: RawEventsApi, guid: str) -> None:
    assert (
        refusal(
            profiles.post("reports/eventDataStats", {"dimensions": ["attendanceStatus"]}),
            400,
            "VALIDATION_ERROR",
        )["field"]
        == "filter.appGuidIn"
    )
    assert (
        refusal(
            profiles.post("reports/eventDataStats", {"filter": {"appGuidIn": [guid]}}),
            400,
            "VALIDATION_ERROR",
        )["field"]
        == "dimensions"
    )
    assert profiles.ok(
        "reports/eventDataStats", {"filter": {"appGuidIn": [guid]}, "dimensions": ["regOrigin"]}
    ) == {"results": [], "sum": 0}


def test_an_invitation_makes_no_profile(events_api: RawEventsApi, profiles: RawEventsApi, guid: str) -> None:
    event_id = events_api.ok("events/list", {})["events"][0]["id"]
    events_api.ok(
        "event-users/invite",
        {"eventId": event_id, "email": "bo@example.com", "firstName": "Bo", "lastName": "Li"},
    )
    assert profiles.ok("user-profile/list", {"filter": {"appGuidIn": [guid]}})["totalCount"] == 0


def test_an_invited_person_who_joins_is_a_user_by_the_invitations_name(
    emu: EmulatorServer, events_api: RawEventsApi, api_v3: RawApiV3, admin_ks: str, guid: str
) -> None:
    event_id = events_api.ok("events/list", {})["events"][0]["id"]
    events_api.ok(
        "event-users/invite",
        {"eventId": event_id, "email": "Bo@Example.com", "firstName": "Bo", "lastName": "Li"},
    )
    emu.control.mark_attendance(event_id, ["bo@example.com", "walk-in@example.com"], "attended")
    bo = api_v3.call("user", "get", form={"ks": admin_ks, "userId": "bo@example.com"})
    assert (bo["firstName"], bo["lastName"]) == ("Bo", "Li")
    walk_in = api_v3.call("user", "get", form={"ks": admin_ks, "userId": "walk-in@example.com"})
    assert not walk_in.get("firstName"), "nobody named someone who came uninvited"


def test_a_copy_whose_job_fails_takes_its_app_away(
    emu: EmulatorServer, events_api: RawEventsApi, apps: RawEventsApi
) -> None:
    emu.control.reset(duplicate_seconds=0)
    emu.control.set_faults([{"endpoint": "events/duplicate", "kind": "duplicate_fail"}])
    source = events_api.create_event("Original")
    job = events_api.ok(
        "events/duplicate", {"sourceEventId": source["id"], "event": {"name": "Copy", "timezone": "UTC"}}
    )["jobId"]
    assert events_api.ok("events/duplicateStatus", {"jobId": job})["jobState"] == "failed"
    listed = apps.ok("app-registry/list", {"filter": {"appType": "epmEvent"}})["objects"]
    assert [a["appCustomId"] for a in listed] == [str(source["id"])]
