"""API v3 on the emulator: sessions, app tokens, categories, both body encodings, the category lock."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from kaltura_events.api.ks import ADMIN, USER, app_token_hash, build_ks_v2, parse_ks
from kaltura_events.emulator.config import DEFAULT_USER_ID
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawApiV3


def error_code(answer: Any) -> str | None:
    if isinstance(answer, dict) and answer.get("objectType") == "KalturaAPIException":
        assert set(answer) == {"objectType", "code", "message", "args"}
        code: str = answer["code"]
        return code
    return None


def test_session_start_returns_a_bare_ks_string(emu: EmulatorServer, api_v3: RawApiV3) -> None:
    ks = api_v3.call(
        "session",
        "start",
        form={
            "secret": emu.admin_secret,
            "partnerId": str(emu.partner_id),
            "userId": DEFAULT_USER_ID,
            "type": "2",
            "expiry": "600",
            "privileges": "disableentitlement",
        },
    )
    assert isinstance(ks, str)
    info = parse_ks(ks, emu.admin_secret)
    assert (info.partner_id, info.user_id, info.session_type) == (emu.partner_id, DEFAULT_USER_ID, ADMIN)
    assert 590 <= info.expiry - time.time() <= 600
    listing = httpx.post(
        f"{emu.events_api_url}/events/list", json={}, headers={"Authorization": f"Bearer {ks}"}
    )
    assert listing.status_code == 200


@pytest.mark.parametrize("wrong", ["secret", "partnerId"])
def test_session_start_with_wrong_credentials(emu: EmulatorServer, api_v3: RawApiV3, wrong: str) -> None:
    form = {"secret": emu.admin_secret, "partnerId": str(emu.partner_id), "type": "2"}
    form[wrong] = "12345"
    answer = api_v3.call("session", "start", form=form)
    assert error_code(answer) == "START_SESSION_ERROR"
    assert emu.admin_secret not in str(answer)


def test_widget_session(emu: EmulatorServer, api_v3: RawApiV3) -> None:
    answer = api_v3.call("session", "startWidgetSession", form={"widgetId": f"_{emu.partner_id}"})
    assert answer["objectType"] == "KalturaStartWidgetSessionResponse"
    assert (answer["partnerId"], answer["userId"]) == (emu.partner_id, "0")
    info = parse_ks(answer["ks"], emu.admin_secret)
    assert (info.session_type, info.user_id) == (USER, "0")
    assert (
        error_code(api_v3.call("session", "startWidgetSession", form={"widgetId": "_1"}))
        == "INVALID_WIDGET_ID"
    )
    assert (
        error_code(api_v3.call("session", "startWidgetSession", form={}))
        == "PROPERTY_VALIDATION_CANNOT_BE_NULL"
    )


@pytest.mark.parametrize("hash_type", ["SHA1", "SHA256"])
def test_app_token_session(emu: EmulatorServer, api_v3: RawApiV3, hash_type: str) -> None:
    token = emu.control.create_app_token(hash_type, session_type=ADMIN, session_user_id=DEFAULT_USER_ID)
    widget_ks = api_v3.call("session", "startWidgetSession", form={"widgetId": f"_{emu.partner_id}"})["ks"]
    form = {
        "ks": widget_ks,
        "id": token["id"],
        "tokenHash": app_token_hash(widget_ks, token["token"], hash_type),
        "userId": "someone-else",
        "type": "0",
        "expiry": "3600",
    }
    session = api_v3.call("appToken", "startSession", form=form)
    assert session["objectType"] == "KalturaSessionInfo"
    assert (session["sessionType"], session["userId"], session["partnerId"]) == (
        ADMIN,
        DEFAULT_USER_ID,
        emu.partner_id,
    )
    assert session["expiry"] > time.time() + 3500
    listing = httpx.post(
        f"{emu.events_api_url}/events/list", json={}, headers={"Authorization": f"Bearer {session['ks']}"}
    )
    assert listing.status_code == 200

    wrong_algorithm = "SHA256" if hash_type == "SHA1" else "SHA1"
    bad_hash = {**form, "tokenHash": app_token_hash(widget_ks, token["token"], wrong_algorithm)}
    assert error_code(api_v3.call("appToken", "startSession", form=bad_hash)) == "INVALID_APP_TOKEN_HASH"
    unknown = {**form, "id": "1_nosuchtoken"}
    assert error_code(api_v3.call("appToken", "startSession", form=unknown)) == "INVALID_APP_TOKEN_ID"
    state = emu.control.state()
    assert token["token"] not in str(state)
    assert [t["id"] for t in state["appTokens"]] == [token["id"]]


def test_app_token_without_overrides_uses_the_request(emu: EmulatorServer, api_v3: RawApiV3) -> None:
    token = emu.control.create_app_token("SHA256", session_duration=60)
    widget_ks = api_v3.call("session", "startWidgetSession", json={"widgetId": f"_{emu.partner_id}"})["ks"]
    session = api_v3.call(
        "apptoken",
        "startsession",
        json={
            "ks": widget_ks,
            "id": token["id"],
            "tokenHash": app_token_hash(widget_ks, token["token"]),
            "userId": "integration",
            "type": 2,
        },
    )
    assert (session["userId"], session["sessionType"]) == ("integration", ADMIN)
    assert session["expiry"] <= time.time() + 61, "capped by the token's sessionDuration"


def test_category_list_form_json_and_colon_encodings_agree(
    emu: EmulatorServer, api_v3: RawApiV3, admin_ks: str
) -> None:
    for path in ("ep_a>one", "ep_a>two", "ep_b", "other"):
        emu.control.add_category(path)
    form = api_v3.call(
        "category",
        "list",
        form={
            "ks": admin_ks,
            "filter[objectType]": "KalturaCategoryFilter",
            "filter[fullNameStartsWith]": "ep_",
            "filter[orderBy]": "+fullName",
            "pager[pageSize]": "50",
        },
    )
    as_json = api_v3.call(
        "category",
        "list",
        json={
            "ks": admin_ks,
            "filter": {
                "objectType": "KalturaCategoryFilter",
                "fullNameStartsWith": "ep_",
                "orderBy": "+fullName",
            },
            "pager": {"pageSize": 50},
        },
    )
    colon = api_v3.call(
        "category",
        "list",
        form={"ks": admin_ks, "filter:fullNameStartsWith": "ep_", "filter:orderBy": "+fullName"},
    )
    assert form == as_json == colon
    assert form["objectType"] == "KalturaCategoryListResponse" and form["totalCount"] == 4
    assert [c["fullName"] for c in form["objects"]] == ["ep_a", "ep_a>one", "ep_a>two", "ep_b"]
    root = form["objects"][0]
    assert (root["depth"], root["parentId"], root["directSubCategoriesCount"], root["status"]) == (0, 0, 2, 2)
    child = form["objects"][1]
    assert child["fullIds"] == f"{root['id']}>{child['id']}" and child["parentId"] == root["id"]
    assert child["objectType"] == "KalturaCategory" and child["partnerId"] == emu.partner_id


def test_category_filters_and_pager(emu: EmulatorServer, api_v3: RawApiV3, admin_ks: str) -> None:
    ids = [emu.control.add_category(f"cat{index:02d}")["id"] for index in range(12)]

    def names(filter_: dict[str, Any], pager: dict[str, Any] | None = None) -> list[str]:
        answer = api_v3.call(
            "category", "list", json={"ks": admin_ks, "filter": filter_, "pager": pager or {}}
        )
        return [c["fullName"] for c in answer["objects"]]

    assert names({"fullNameIn": "cat01,cat03,nope"}) == ["cat01", "cat03"]
    assert names({"idIn": f"{ids[2]},{ids[4]}"}) == ["cat02", "cat04"]
    assert names({"fullNameEqual": "cat05"}) == ["cat05"]
    assert names({"orderBy": "-name"}, {"pageSize": 5, "pageIndex": 1}) == [
        f"cat{i:02d}" for i in range(11, 6, -1)
    ]
    assert names({}, {"pageSize": 5, "pageIndex": 3}) == ["cat10", "cat11"]
    assert len(names({}, {"pageSize": 100000})) == 12
    default = api_v3.call("category", "list", form={"ks": admin_ks})
    assert default["totalCount"] == 12 and len(default["objects"]) == 12
    bad = api_v3.call("category", "list", json={"ks": admin_ks, "pager": {"pageSize": "many"}})
    assert error_code(bad) == "INVALID_FIELD_VALUE"


def test_category_services_need_an_admin_ks(emu: EmulatorServer, api_v3: RawApiV3) -> None:
    user_ks = build_ks_v2(emu.admin_secret, emu.partner_id, "viewer", session_type=USER)
    forged = build_ks_v2("not-the-secret", emu.partner_id, "x")
    assert error_code(api_v3.call("category", "list", form={})) == "MISSING_KS"
    assert error_code(api_v3.call("category", "list", form={"ks": user_ks})) == "SERVICE_FORBIDDEN"
    assert error_code(api_v3.call("category", "list", form={"ks": forged})) == "INVALID_KS"
    assert error_code(api_v3.call("category", "list", form={"ks": "garbage"})) == "INVALID_KS"
    assert error_code(api_v3.call("nothing", "here", form={})) is not None


def test_category_add_and_delete(emu: EmulatorServer, api_v3: RawApiV3, admin_ks: str) -> None:
    parent = api_v3.call("category", "add", form={"ks": admin_ks, "category[name]": "parent"})
    child = api_v3.call(
        "category",
        "add",
        form={"ks": admin_ks, "category[name]": "child", "category[parentId]": str(parent["id"])},
    )
    assert child["fullName"] == "parent>child" and child["depth"] == 1
    duplicate = api_v3.call("category", "add", form={"ks": admin_ks, "category[name]": "parent"})
    assert error_code(duplicate) == "DUPLICATE_CATEGORY"
    assert (
        error_code(api_v3.call("category", "delete", form={"ks": admin_ks}))
        == "PROPERTY_VALIDATION_CANNOT_BE_NULL"
    )
    missing = api_v3.call("category", "delete", form={"ks": admin_ks, "id": "999999"})
    assert error_code(missing) == "CATEGORY_NOT_FOUND" and missing["args"] == {"CATEGORY_ID": "999999"}
    emu.control.reset(category_lock_seconds=0.05)
    parent = emu.control.add_category("parent>child>grandchild")
    root_id = int(emu.control.state()["categories"][0]["id"])
    assert api_v3.call("category", "delete", form={"ks": admin_ks, "id": str(root_id)}) is None
    assert emu.control.state()["categories"] == [], "a delete takes the whole subtree"


def test_concurrent_deletes_meet_the_category_lock(emu: EmulatorServer, admin_ks: str) -> None:
    emu.control.reset(category_lock_seconds=1.5)
    first_root = emu.control.add_category("first>child")["fullIds"].split(">")[0]
    second_root = emu.control.add_category("second>child")["fullIds"].split(">")[0]
    leaf = emu.control.add_category("leaf")["id"]
    answers: dict[str, Any] = {}

    def delete(name: str, category_id: str) -> None:
        with RawApiV3(emu.service_url) as api:
            started = time.monotonic()
            answers[name] = api.call("category", "delete", form={"ks": admin_ks, "id": category_id})
            answers[f"{name}-seconds"] = time.monotonic() - started

    holder = threading.Thread(target=delete, args=("first", first_root))
    holder.start()
    deadline = time.monotonic() + 2
    while not emu.control.state()["categoryLockHeld"] and time.monotonic() < deadline:
        time.sleep(0.01)
    delete("second", second_root)
    delete("leaf", str(leaf))
    holder.join()
    assert answers["first"] is None and answers["first-seconds"] >= 1.4
    assert error_code(answers["second"]) == "CATEGORIES_LOCKED"
    assert error_code(answers["leaf"]) == "CATEGORIES_LOCKED"
    delete("second", second_root)
    delete("leaf", str(leaf))
    assert answers["second"] is None and answers["leaf"] is None
    assert answers["leaf-seconds"] < 1.4, "deleting a leaf does not hold the lock for its 1.5 s"
    counts = emu.control.stats()["requests"]["category.delete"]
    assert counts == {"200": 3, "200:CATEGORIES_LOCKED": 2}


def test_error_codes_are_the_guides(emu: EmulatorServer, api_v3: RawApiV3) -> None:
    """KALTURA_API_GETTING_STARTED.md §10, KALTURA_SESSION_GUIDE.md §5.1, KALTURA_APPTOKENS_API.md §10."""
    assert error_code(api_v3.call("nothing", "here", form={})) == "SERVICE_DOES_NOT_EXISTS"
    assert error_code(api_v3.call("category", "explode", form={})) == "ACTION_DOES_NOT_EXISTS"
    untyped = {"secret": emu.admin_secret, "partnerId": str(emu.partner_id)}
    no_type = api_v3.call("session", "start", form=untyped)
    assert error_code(no_type) == "PROPERTY_VALIDATION_CANNOT_BE_NULL" and no_type["args"] == {
        "PROP_NAME": "type"
    }
    assert emu.admin_secret not in str(no_type)
    widget_ks = api_v3.call("session", "startWidgetSession", form={"widgetId": f"_{emu.partner_id}"})["ks"]
    expired = emu.control.create_app_token("SHA256", expiry=int(time.time()) - 10)
    form = {"ks": widget_ks, "id": expired["id"], "tokenHash": app_token_hash(widget_ks, expired["token"])}
    assert error_code(api_v3.call("appToken", "startSession", form=form)) == "EXPIRED_TOKEN"
    forever = emu.control.create_app_token("SHA256", expiry=0)
    form = {"ks": widget_ks, "id": forever["id"], "tokenHash": app_token_hash(widget_ks, forever["token"])}
    assert api_v3.call("appToken", "startSession", form=form)["objectType"] == "KalturaSessionInfo", (
        "0 = never"
    )
