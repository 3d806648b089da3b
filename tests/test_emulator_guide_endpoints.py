"""The App Registry and User Profile calls no flow makes yet, as their guides state them.

Plain httpx against the emulator, as a script for the live services would
send them: App Registry `update` (§7) and `findByOrganizationDomain` (§11),
the §4.2 length limits; User Profile `bulkAdd` (§7), `getByFilter` (§8.2),
`firstAttendanceStatusPerApp` (§12.2) and email ids unique without regard
to case (§4).
"""

from __future__ import annotations

from typing import Any

import pytest

from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawApiV3, RawEventsApi, kaltura_exception


def add_app(apps: RawEventsApi, custom_id: str, app_type: str = "kms", **extra: Any) -> dict[str, Any]:
    return apps.ok(
        "app-registry/add",
        {"appCustomId": custom_id, "appType": app_type, "appCustomName": custom_id.title(), **extra},
    )


def add_users(api_v3: RawApiV3, admin_ks: str, *user_ids: str) -> None:
    for user_id in user_ids:
        api_v3.call("user", "add", json={"ks": admin_ks, "user": {"id": user_id}})


def listed(profiles: RawEventsApi, guid: str) -> list[str]:
    objects = profiles.ok("user-profile/list", {"filter": {"appGuidIn": [guid]}})["objects"]
    return [p["userId"] for p in objects]


# -- App Registry §7: update ----------------------------------------------------------------


def test_update_changes_only_what_is_sent_and_bumps_the_version(apps: RawEventsApi) -> None:
    app = add_app(apps, "site-a", organizationDomain={"domain": "a.example", "organizationId": "o1"})
    updated = apps.ok(
        "app-registry/update",
        {"id": app["id"], "appCustomName": "Renamed", "appType": None, "status": "disabled", "version": 9},
    )
    assert updated["appCustomName"] == "Renamed" and updated["version"] == 1
    unchanged = ("appCustomId", "appType", "status", "organizationDomain", "createdAt", "partnerId")
    assert {k: updated[k] for k in unchanged} == {k: app[k] for k in unchanged}
    again = apps.ok(
        "app-registry/update",
        {"id": app["id"], "appType": "sites", "organizationDomain": {"domain": " b.example "}},
    )
    assert (again["appType"], again["organizationDomain"], again["version"]) == (
        "sites",
        {"domain": "b.example"},
        2,
    )
    assert apps.ok("app-registry/get", {"id": app["id"]}) == again


def test_update_refuses_a_taken_custom_id_or_domain_and_an_unknown_app(apps: RawEventsApi) -> None:
    first = add_app(apps, "site-a", organizationDomain={"domain": "a.example,c.example"})
    second = add_app(apps, "site-b", organizationDomain={"domain": "b.example"})
    kaltura_exception(
        apps.post("app-registry/update", {"id": second["id"], "appCustomId": "site-a"}),
        200,
        "APP_REGISTRY_ALREADY_EXISTS_WITH_THIS_APP_CUSTOM_ID",
    )
    kaltura_exception(
        apps.post("app-registry/update", {"id": second["id"], "organizationDomain": {"domain": "c.example"}}),
        200,
        "ORGANIZATION_ID_DOMAIN_AND_APP_TYPE_MUST_BE_UNIQUE",
    )
    assert apps.ok("app-registry/get", {"id": second["id"]}) == second, "a refused update changes nothing"
    kept = apps.ok(
        "app-registry/update",
        {"id": first["id"], "appCustomId": "site-a", "organizationDomain": {"domain": "a.example"}},
    )
    assert kept["version"] == 1, "an app does not collide with itself"
    kaltura_exception(apps.post("app-registry/update", {"id": "nope"}), 200, "OBJECT_NOT_FOUND")
    for body, field in (({}, "id"), ({"id": first["id"], "appType": "portal"}, "appType")):
        refused = kaltura_exception(apps.post("app-registry/update", body), 400, "VALIDATION_ERROR")
        assert refused["field"] == field


# -- App Registry §11: findByOrganizationDomain, §4.2 lengths -------------------------------


def test_find_by_organization_domain_matches_type_domain_and_organization(apps: RawEventsApi) -> None:
    both = add_app(
        apps, "kms-main", organizationDomain={"domain": "example.com,other.com", "organizationId": "o1"}
    )
    alone = add_app(apps, "kms-2", organizationDomain={"domain": "example.com", "organizationId": "o2"})
    add_app(apps, "ep-1", "ep", organizationDomain={"domain": "example.com", "organizationId": "o1"})
    add_app(apps, "kms-3")

    found = apps.ok("app-registry/findByOrganizationDomain", {"domain": " example.com ", "appType": "kms"})
    assert found["totalCount"] == 2 and [a["id"] for a in found["objects"]] == [both["id"], alone["id"]]
    by_org = apps.ok(
        "app-registry/findByOrganizationDomain",
        {"domain": "other.com", "appType": "kms", "organizationId": "o1"},
    )
    assert [a["appCustomId"] for a in by_org["objects"]] == ["kms-main"]
    paged = apps.ok(
        "app-registry/findByOrganizationDomain",
        {"domain": "example.com", "appType": "kms", "pager": {"offset": 1, "limit": 1}},
    )
    assert paged["totalCount"] == 2 and [a["id"] for a in paged["objects"]] == [alone["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"appType": "kms"}, "domain"),
        ({"domain": "example.com"}, "appType"),
        ({"domain": "example.com", "appType": "portal"}, "appType"),
        ({"domain": "x" * 256, "appType": "kms"}, "domain"),
        ({"domain": "example.com", "appType": "kms", "pager": {"limit": 5001}}, "pager.limit"),
    ],
)
def test_find_by_organization_domain_validates(apps: RawEventsApi, body: dict[str, Any], field: str) -> None:
    refused = kaltura_exception(
        apps.post("app-registry/findByOrganizationDomain", body), 400, "VALIDATION_ERROR"
    )
    assert refused["field"] == field


def test_organization_fields_hold_at_most_255_characters(apps: RawEventsApi) -> None:
    for domain, organization, field in (
        ("d" * 253 + ".io", None, "organizationDomain.domain"),
        ("example.com", "o" * 256, "organizationDomain.organizationId"),
    ):
        given = (
            {"domain": domain} if organization is None else {"domain": domain, "organizationId": organization}
        )
        refused = kaltura_exception(
            apps.post(
                "app-registry/add",
                {"appCustomId": "x", "appType": "kms", "appCustomName": "X", "organizationDomain": given},
            ),
            400,
            "VALIDATION_ERROR",
        )
        assert refused["field"] == field
    exactly = add_app(
        apps, "x", organizationDomain={"domain": " " + "d" * 252 + ".io ", "organizationId": "o" * 255}
    )
    assert len(exactly["organizationDomain"]["domain"]) == 255, "counted after whitespace is stripped"
    assert apps.ok("app-registry/list")["totalCount"] == 1


# -- User Profile §4: email ids unique without regard to case --------------------------------


def test_an_email_id_is_one_person_whatever_its_case_other_ids_are_exact(
    profiles: RawEventsApi, api_v3: RawApiV3, admin_ks: str, guid: str, ada: str
) -> None:
    add_users(api_v3, admin_ks, "Ada@Example.COM", "bo", "BO")
    profiles.ok("user-profile/add", {"appGuid": guid, "userId": ada, "profileData": {}})
    kaltura_exception(
        profiles.post("user-profile/add", {"appGuid": guid, "userId": "Ada@Example.COM", "profileData": {}}),
        200,
        "USER_ALREADY_ASSOCIATED_TO_APP_GUID",
    )
    for user_id in ("bo", "BO"):
        profiles.ok("user-profile/add", {"appGuid": guid, "userId": user_id, "profileData": {}})
    assert sorted(listed(profiles, guid)) == ["BO", "ada@example.com", "bo"]


# -- User Profile §7: bulkAdd ---------------------------------------------------------------


def test_bulk_add_answers_each_item_in_order_partial_success_included(
    profiles: RawEventsApi, api_v3: RawApiV3, admin_ks: str, guid: str, ada: str
) -> None:
    add_users(api_v3, admin_ks, "bo@example.com", "BO@example.com")
    response = profiles.post(
        "user-profile/bulkAdd",
        [
            {"appGuid": guid, "userId": "bo@example.com", "profileData": {"name": "Bo"}},
            {"appGuid": guid, "userId": "nobody@example.com", "profileData": {}},
            {
                "appGuid": guid,
                "userId": ada,
                "profileData": {"name": "Ada"},
                "eventData": {"regOrigin": "invite", "attendanceStatus": "invited"},
            },
            {"appGuid": guid, "userId": "BO@example.com", "profileData": {}},
        ],
    )
    assert response.status_code == 200, response.text
    bo, nobody, made, again = response.json()
    assert (bo["objectType"], bo["userId"], bo["profileData"]) == (
        "UserProfile",
        "bo@example.com",
        {"name": "Bo"},
    )
    assert (nobody["objectType"], nobody["code"]) == ("KalturaAPIException", "USER_ID_NOT_FOUND")
    assert made["eventData"]["attendanceStatus"] == "invited" and made["eventData"]["regOrigin"] == "invite"
    assert (again["objectType"], again["code"]) == (
        "KalturaAPIException",
        "USER_ALREADY_ASSOCIATED_TO_APP_GUID",
    )
    assert sorted(listed(profiles, guid)) == ["ada@example.com", "bo@example.com"]
    assert profiles.ok("user-profile/get", {"id": made["id"]}) == made


def test_bulk_add_refuses_the_whole_call_before_any_write(
    emu: EmulatorServer, profiles: RawEventsApi, apps: RawEventsApi, guid: str, ada: str
) -> None:
    item: dict[str, Any] = {"appGuid": guid, "userId": ada, "profileData": {}}
    other = add_app(apps, "site-b")["id"]
    whole_call_refusals: list[tuple[list[Any], str]] = [
        ([], "AMOUNT_OF_USERS_SENT_NOT_IN_ALLOWED_RANGE"),
        ([item] * 51, "AMOUNT_OF_USERS_SENT_NOT_IN_ALLOWED_RANGE"),
        ([item, {**item, "appGuid": other}], "NOT_YET_SUPPORTED"),
        ([{**item, "appGuid": "nope"}], "OBJECT_NOT_FOUND"),
    ]
    for body, code in whole_call_refusals:
        kaltura_exception(profiles.post("user-profile/bulkAdd", body), 200, code)
    apps.ok("app-registry/disable", {"id": guid})
    kaltura_exception(profiles.post("user-profile/bulkAdd", [item]), 200, "OBJECT_NOT_FOUND")
    apps.ok("app-registry/enable", {"id": guid})
    bad_bodies: list[tuple[list[Any] | dict[str, Any], str]] = [
        ([item, {"appGuid": guid, "userId": ada}], "[1].profileData"),
        ([item, {**item, "eventData": {"attendanceStatus": "came"}}], "[1].eventData.attendanceStatus"),
        ([item, "ada@example.com"], "[1]"),
        (item, "body"),
    ]
    for bad, field in bad_bodies:
        refused = kaltura_exception(profiles.post("user-profile/bulkAdd", bad), 400, "VALIDATION_ERROR")
        assert refused["field"] == field
    assert emu.control.state()["userProfiles"] == []
    fifty = profiles.post("user-profile/bulkAdd", [item] * 50).json()
    assert [r["objectType"] for r in fifty] == ["UserProfile"] + ["KalturaAPIException"] * 49


# -- User Profile §8.2: getByFilter ---------------------------------------------------------


def test_get_by_filter_answers_the_first_match_or_null(
    emu: EmulatorServer, profiles: RawEventsApi, events_api: RawEventsApi, guid: str
) -> None:
    event_id = events_api.ok("events/list", {})["events"][0]["id"]
    for email, status in (
        ("a@x.example", "registered"),
        ("b@x.example", "registered"),
        ("c@x.example", "attended"),
    ):
        emu.control.mark_attendance(event_id, [email], status)

    first = profiles.ok("user-profile/getByFilter", {"appGuidIn": [guid], "attendanceStatus": "registered"})
    assert (first["userId"], first["objectType"]) == ("a@x.example", "UserProfile")
    only = profiles.ok("user-profile/getByFilter", {"appGuidIn": [guid], "userIdIn": ["B@X.EXAMPLE"]})
    assert only["userId"] == "b@x.example", "email ids match without regard to case"

    assert profiles.post("user-profile/delete", {"id": only["id"]}).status_code == 200
    missing = profiles.post("user-profile/getByFilter", {"userIdIn": ["b@x.example"]})
    assert missing.status_code == 200 and missing.content == b"null", "a deleted profile is in no query"
    refused = kaltura_exception(
        profiles.post("user-profile/getByFilter", {"status": "deleted"}), 400, "VALIDATION_ERROR"
    )
    assert refused["field"] == "status"


# -- User Profile §12.2: firstAttendanceStatusPerApp ----------------------------------------


def test_first_attendance_per_app_counts_first_attended_times_in_range(
    emu: EmulatorServer, profiles: RawEventsApi, events_api: RawEventsApi
) -> None:
    one, two = events_api.create_event("One")["id"], events_api.create_event("Two")["id"]
    emu.control.mark_attendance(one, ["a@x.example", "b@x.example"], "attended", at="2031-01-01T10:00:00Z")
    emu.control.mark_attendance(one, ["c@x.example"], "registered", at="2031-01-01T10:00:00Z")
    emu.control.mark_attendance(two, ["a@x.example"], "participated", at="2031-03-01T10:00:00Z")
    emu.control.mark_attendance(one, ["a@x.example"], "participatedPostEvent", at="2031-06-01T10:00:00Z")
    guid_one = emu.control.mark_attendance(one, ["d@x.example"], "blocked")["appGuid"]
    guid_two = emu.control.mark_attendance(two, ["d@x.example"], "blocked")["appGuid"]

    assert profiles.ok("user-profile/firstAttendanceStatusPerApp") == {guid_one: 2, guid_two: 1}
    assert profiles.ok("user-profile/firstAttendanceStatusPerApp", {"fromDate": "2031-02-01T00:00:00Z"}) == {
        guid_two: 1
    }, "a's first attended time in One stays January"
    assert profiles.ok(
        "user-profile/firstAttendanceStatusPerApp",
        {"fromDate": "2031-01-01T10:00:00Z", "toDate": "2031-01-01T10:00:00Z"},
    ) == {guid_one: 2}, "both ends inclusive"
    b = profiles.ok("user-profile/getByFilter", {"appGuidIn": [guid_one], "userIdIn": ["b@x.example"]})
    assert profiles.post("user-profile/delete", {"id": b["id"]}).status_code == 200
    assert profiles.ok("user-profile/firstAttendanceStatusPerApp") == {guid_one: 1, guid_two: 1}, (
        "a deleted profile is in no query"
    )
    refused = kaltura_exception(
        profiles.post("user-profile/firstAttendanceStatusPerApp", {"toDate": "June"}), 400, "VALIDATION_ERROR"
    )
    assert refused["field"] == "toDate"


# -- App Registry §6: list by creation and update time ---------------------------------------


def test_apps_are_listed_within_their_creation_and_update_bounds(apps: RawEventsApi) -> None:
    first = add_app(apps, "site-a")
    second = add_app(apps, "site-b")
    apps.ok("app-registry/update", {"id": second["id"], "appCustomName": "Later"})
    second = apps.ok("app-registry/get", {"id": second["id"]})

    def ids(**bounds: str) -> set[str]:
        return {a["id"] for a in apps.ok("app-registry/list", {"filter": bounds})["objects"]}

    everyone = {first["id"], second["id"]}
    assert ids(createdAtGreaterThanOrEqual=first["createdAt"]) == everyone
    assert ids(createdAtLessThanOrEqual=first["createdAt"]) == {first["id"]} | (
        {second["id"]} if second["createdAt"] == first["createdAt"] else set()
    )
    assert ids(updatedAtGreaterThanOrEqual=second["updatedAt"]) >= {second["id"]}
    assert ids(createdAtLessThanOrEqual="2000-01-01T00:00:00.000Z") == set()
    assert ids(updatedAtGreaterThanOrEqual="2999-01-01T00:00:00.000Z") == set()
