"""The emulator's Messaging service, driven as a script for the live service would drive it.

Plain httpx against ``$KALTURA_MESSAGING_URL`` with a Bearer KS: the wire is
what is checked (status, ``KalturaAPIException`` code, the field a refusal
names). Each test walks one part of KALTURA_MESSAGING_API.md end to end.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kaltura_events.api.ks import USER, build_ks_v2
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawApiV3, RawEventsApi

RECIPIENT = {"recipient": {"type": "User", "value": "Message.userId"}}
RECIPIENT_MAP = {"recipient": {"type": "User"}}
MAGIC = {"baseURL": "https://events.example.com/join?lang=en", "expiry": 48, "privileges": "actionslimit:2"}


@pytest.fixture
def messaging(emu: EmulatorServer, admin_ks: str) -> Iterator[RawEventsApi]:
    with RawEventsApi(emu.messaging_url, admin_ks) as api:
        yield api


@pytest.fixture
def app_guid(emu: EmulatorServer, admin_ks: str) -> str:
    with RawEventsApi(emu.app_registry_url, admin_ks) as apps:
        app = apps.ok("app-registry/add", {"appCustomId": "42", "appType": "epmEvent", "appCustomName": "Q4"})
    guid: str = app["id"]
    return guid


def refusal(response: httpx.Response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["message"], body
    if field is not None:
        assert body["field"] == field, body
    return body


def add_user(api_v3: RawApiV3, admin_ks: str, user_id: str, first: str, email: str | None = None) -> None:
    form = {"ks": admin_ks, "user[id]": user_id, "user[email]": email or user_id, "user[firstName]": first}
    assert api_v3.call("user", "add", form=form)["id"] == user_id


def invitation(app_guid: str, **extra: Any) -> dict[str, Any]:
    return {
        "appGuid": app_guid,
        "name": "Event Invitation",
        "subject": "You're invited to {eventName}",
        "body": "<p>Hi {recipient.firstName},</p><a href='{joinLink}'>Join</a> "
        "<a href='{unsubLink}'>Leave</a>",
        "toAttributePath": "{recipient.email}",
        "msgParamsMap": {
            "recipient": {"type": "User"},
            "eventName": {"type": "String"},
            "joinLink": {"type": "MagicLink"},
            "unsubLink": {"type": "UnsubscribeUri"},
        },
        "unsubscribeGroups": ["event-invitations"],
        **extra,
    }


def send_body(app_guid: str, template_id: str, user_ids: list[str], session: str) -> dict[str, Any]:
    return {
        "receiverType": "user",
        "userIds": user_ids,
        "appGuid": app_guid,
        "templateId": template_id,
        "type": "email",
        "msgParams": {
            **RECIPIENT,
            "eventName": {"type": "String", "value": "Q4 Town Hall"},
            "joinLink": {"type": "MagicLink", "value": MAGIC},
            "unsubLink": {"type": "UnsubscribeUri", "value": "https://events.example.com/unsubscribe"},
        },
        "session": session,
    }


def test_a_bearer_admin_ks_on_the_guides_paths_only(emu: EmulatorServer, messaging: RawEventsApi) -> None:
    with RawEventsApi(emu.messaging_url, None) as anonymous:
        refusal(anonymous.post("email-template/list"), 401, "INVALID_KS")
    viewer = build_ks_v2(emu.admin_secret, emu.partner_id, "viewer@example.com", session_type=USER)
    with RawEventsApi(emu.messaging_url, viewer) as user:
        refusal(user.post("email-template/list"), 403, "SERVICE_FORBIDDEN")
    refusal(messaging.post("email-template/clone"), 404, "NOT_FOUND")
    refusal(messaging.http.get("/email-template/list"), 404, "NOT_FOUND")
    assert messaging.ok("email-template/list") == {"objects": [], "totalCount": 0}


def test_template_lifecycle_filters_and_refusals(messaging: RawEventsApi, app_guid: str) -> None:
    refusal(
        messaging.post("email-template/add", {**invitation(app_guid), "subject": None}),
        400,
        "VALIDATION_ERROR",
        "subject",
    )
    bad_type = invitation(app_guid, msgParamsMap={"recipient": {"type": "Person"}})
    body = refusal(messaging.post("email-template/add", bad_type), 400, "VALIDATION_ERROR")
    assert body["field"] == "msgParamsMap.recipient.type" and "'Person'" in body["message"]
    refusal(messaging.post("email-template/add", invitation("no-such-app")), 200, "OBJECT_NOT_FOUND")

    first = messaging.ok("email-template/add", invitation(app_guid, adminTags="events, q4"))
    assert {k: first[k] for k in ("appGuid", "status", "templateType", "version", "numberOfTokenUsed")} == {
        "appGuid": app_guid,
        "status": "enabled",
        "templateType": "email",
        "version": 0,
        "numberOfTokenUsed": 4,
    }
    assert first["createdAt"].endswith("Z") and first["emailProviderId"]
    second = messaging.ok(
        "email-template/add",
        invitation(
            app_guid, name="Reminder", subject="Tomorrow: {eventName}", adminTags="events", status="disabled"
        ),
    )
    assert messaging.ok("email-template/get", {"id": first["id"]}) == first

    updated = messaging.ok("email-template/update", {"id": first["id"], "description": "Q4 invitations"})
    assert updated["version"] == 1 and updated["description"] == "Q4 invitations"
    assert updated["subject"] == first["subject"], "fields not sent stay"
    refusal(messaging.post("email-template/update", {"id": "nope", "name": "x"}), 200, "OBJECT_NOT_FOUND")

    def ids(filter_: dict[str, Any], pager: dict[str, int] | None = None) -> list[str]:
        answer = messaging.ok("email-template/list", {"filter": filter_, "pager": pager or {}})
        return [t["id"] for t in answer["objects"]]

    assert ids({"appGuidIn": [app_guid]}) == [first["id"], second["id"]]
    assert ids({"status": "enabled"}) == [first["id"]]
    assert ids({"name": "Remind"}) == ids({"nameEq": "Reminder"}) == [second["id"]]
    assert ids({"subject": "Tomorrow"}) == [second["id"]]
    assert ids({"adminTagsAll": "q4,events"}) == [first["id"]]
    assert ids({"excludeAdminTags": "q4"}) == [second["id"]]
    assert ids({}, {"offset": 1, "limit": 1}) == [second["id"]]
    refusal(
        messaging.post("email-template/list", {"filter": {"status": "gone"}}),
        400,
        "VALIDATION_ERROR",
        "filter.status",
    )

    deleted = messaging.ok("email-template/delete", {"id": second["id"]})
    assert deleted["status"] == "deleted"
    assert messaging.ok("email-template/get", {"id": second["id"]})["status"] == "deleted"
    assert ids({"status": "deleted"}) == [second["id"]]
    assert messaging.ok("unsubscribe-groups/list") == {"objects": ["event-invitations"], "totalCount": 1}


def test_a_send_reaches_each_recipient_once_skipping_who_left_and_tracks_it(
    emu: EmulatorServer, messaging: RawEventsApi, api_v3: RawApiV3, admin_ks: str, app_guid: str
) -> None:
    add_user(api_v3, admin_ks, "ada@example.com", "Ada")
    add_user(api_v3, admin_ks, "bo@example.com", "Bo")
    add_user(api_v3, admin_ks, "cy@example.com", "Cy", email="cy@bounces.example.com")
    add_user(api_v3, admin_ks, "dee", "Dee", email="")
    bo_ks = build_ks_v2(emu.admin_secret, emu.partner_id, "bo@example.com", session_type=USER)
    with RawEventsApi(emu.messaging_url, bo_ks) as bo:
        left = bo.ok(
            "unsubscribe-users/syncGroups", {"unsubscribed": ["event-invitations"], "subscribed": []}
        )
        assert left == {"userId": "bo@example.com", "unsubscribed": ["event-invitations"]}
        assert bo.ok("unsubscribe-users/userGroupsStatus") == left
    emu.control.mark_bouncing(["CY@bounces.example.com"])
    template = messaging.ok("email-template/add", invitation(app_guid))

    everyone = ["ada@example.com", "BO@example.com", "cy@example.com", "dee", "ghost@example.com"]
    bulk = messaging.ok("message/send", send_body(app_guid, template["id"], everyone, "q4-invite"))
    assert bulk["status"] == "sending", "§6.1: a send starts as sending"
    assert bulk["bulkId"] == f"bulk_{bulk['id'][:8]}" and bulk["session"] == "q4-invite"

    sent = messaging.ok(
        "message/list", {"filter": {"sessionIn": ["q4-invite"], "userIds": ["Ada@example.com"]}}
    )
    assert sent["totalCount"] == 1 and sent["objects"][0]["status"] == "completed"
    assert messaging.ok("message/list", {"filter": {"userIds": ["zed@example.com"]}})["totalCount"] == 0

    discrete = messaging.ok("message/listDiscreteAggregateMessages", {"filter": {"sessionIn": ["q4-invite"]}})
    outcome = {m["userId"]: (m["status"], m.get("errorEnum")) for m in discrete["objects"]}
    assert outcome == {
        "ada@example.com": ("delivered", None),
        "BO@example.com": ("error", "userUnsubscribeFromThisGroup"),
        "cy@example.com": ("bounce", None),
        "dee": ("error", "emailNotResolvedToValidEmailAddress"),
        "ghost@example.com": ("error", "userNotFoundInOurDb"),
    }
    bounced = messaging.ok("message/listDiscreteAggregateMessages", {"filter": {"statusIn": ["bounce"]}})
    assert [m["email"] for m in bounced["objects"]] == ["cy@bounces.example.com"]
    by_bulk = messaging.ok("message/stats", {"bulkId": bulk["bulkId"]})
    assert (
        by_bulk
        == messaging.ok("message/stats", {"session": "q4-invite"})
        == {
            "DELIVERED": 1,
            "ERROR": 3,
            "BOUNCE": 1,
        }
    )
    refusal(messaging.post("message/stats", {}), 400, "VALIDATION_ERROR", "bulkId")

    outbox = emu.control.outbox()
    assert [(m["to"], m["status"]) for m in outbox] == [
        ("ada@example.com", "delivered"),
        ("cy@bounces.example.com", "bounce"),
    ]
    ada = outbox[0]
    assert (ada["subject"], ada["session"], ada["templateId"]) == (
        "You're invited to Q4 Town Hall",
        "q4-invite",
        template["id"],
    )
    assert ada["body"].startswith("<p>Hi Ada,</p><a href='https://events.example.com/join?lang=en&token=")
    assert ada["body"].endswith("<a href='https://events.example.com/unsubscribe'>Leave</a>")
    assert "{" not in ada["body"], "every token is filled"

    again = messaging.ok(
        "message/send", send_body(app_guid, template["id"], ["ada@example.com"], "q4-invite")
    )
    assert again["bulkId"] != bulk["bulkId"], "the service does not deduplicate: a client checks first"
    assert len(emu.control.outbox()) == 3


def test_sends_are_grouped_by_session_and_stay_sending_as_long_as_configured(
    emu: EmulatorServer, messaging: RawEventsApi, api_v3: RawApiV3, admin_ks: str, app_guid: str
) -> None:
    add_user(api_v3, admin_ks, "ada@example.com", "Ada")
    template = messaging.ok("email-template/add", invitation(app_guid, adminTags="reminders"))
    for session in ("occ-1:reminder", "occ-2:reminder", "occ-1:reminder"):
        messaging.ok("message/send", send_body(app_guid, template["id"], ["ada@example.com"], session))

    grouped = messaging.ok("message/listGroupedBySession", {"filter": {"appGuidIn": [app_guid]}})
    assert grouped["totalCount"] == 2
    assert [(g["session"], g["totalCount"]) for g in grouped["objects"]] == [
        ("occ-1:reminder", 2),
        ("occ-2:reminder", 1),
    ]
    only = messaging.ok(
        "message/listGroupedBySession",
        {"filter": {"sessionIn": ["occ-2:reminder"], "templateAdminTags": ["reminders"]}},
    )
    assert [g["session"] for g in only["objects"]] == ["occ-2:reminder"]
    none = messaging.ok(
        "message/listGroupedBySession", {"filter": {"excludeTemplateAdminTags": ["reminders"]}}
    )
    assert none == {"objects": [], "totalCount": 0}

    emu.control.reset(message_sending_seconds=3600)
    add_user(api_v3, admin_ks, "ada@example.com", "Ada")
    guid = app_guid_of(emu, admin_ks)
    template = messaging.ok("email-template/add", invitation(guid))
    bulk = messaging.ok("message/send", send_body(guid, template["id"], ["ada@example.com"], "slow"))
    listed = messaging.ok("message/list", {"filter": {"statusIn": ["sending"]}})
    assert [b["bulkId"] for b in listed["objects"]] == [bulk["bulkId"]]
    assert messaging.ok("message/stats", {"session": "slow"}) == {"SENDING": 1}


def app_guid_of(emu: EmulatorServer, admin_ks: str) -> str:
    with RawEventsApi(emu.app_registry_url, admin_ks) as apps:
        guid: str = apps.ok("app-registry/add", {"appCustomId": "7", "appType": "ep", "appCustomName": "P"})[
            "id"
        ]
    return guid


def test_a_send_is_refused_whole_before_anything_is_sent(
    emu: EmulatorServer, messaging: RawEventsApi, api_v3: RawApiV3, admin_ks: str, app_guid: str
) -> None:
    add_user(api_v3, admin_ks, "ada@example.com", "Ada")
    template = messaging.ok("email-template/add", invitation(app_guid))
    good = send_body(app_guid, template["id"], ["ada@example.com"], "s")

    missing = {**good, "msgParams": {k: v for k, v in good["msgParams"].items() if k != "joinLink"}}
    body = refusal(messaging.post("message/send", missing), 400, "VALIDATION_ERROR", "msgParams.joinLink")
    assert "joinLink" in body["message"]
    wrong = {**good, "msgParams": {**good["msgParams"], "eventName": {"type": "MagicLink", "value": MAGIC}}}
    refusal(messaging.post("message/send", wrong), 400, "VALIDATION_ERROR", "msgParams.eventName.type")
    attachment = {"fileName": "agenda.pdf", "content": "not base64!", "mimeType": "application/pdf"}
    unreadable = {**good, "attachments": [{**attachment, "disposition": "attachment"}]}
    refusal(messaging.post("message/send", unreadable), 400, "VALIDATION_ERROR", "attachments[0].content")
    refusal(messaging.post("message/send", {**good, "userIds": []}), 400, "VALIDATION_ERROR", "userIds")
    refusal(messaging.post("message/send", {**good, "type": "sms"}), 400, "VALIDATION_ERROR", "type")
    refusal(messaging.post("message/send", {**good, "appGuid": "no-such-app"}), 200, "OBJECT_NOT_FOUND")
    refusal(messaging.post("message/send", {**good, "templateId": "nope"}), 200, "OBJECT_NOT_FOUND")
    groups = {**good, "receiverType": "group", "groupIds": ["all-employees"]}
    refusal(messaging.post("message/send", groups), 200, "noActiveGroups")
    assert messaging.ok("message/list")["totalCount"] == 0 and emu.control.outbox() == []

    pdf = base64.b64encode(b"%PDF-1.4").decode()
    dynamic = {
        **good,
        "msgParams": {**good["msgParams"], "eventName": {"type": "Dynamic", "value": "Q4"}},
        "attachments": [{**attachment, "content": pdf, "disposition": "attachment"}],
        "customHeaders": {"X-Campaign": "q4"},
    }
    messaging.ok(
        "email-template/update",
        {
            "id": template["id"],
            "msgParamsMap": {**template["msgParamsMap"], "eventName": {"type": "Dynamic"}},
        },
    )
    messaging.ok("message/send", dynamic)
    (sent,) = emu.control.outbox()
    assert (sent["subject"], sent["attachments"], sent["headers"]) == (
        "You're invited to Q4",
        ["agenda.pdf"],
        {"X-Campaign": "q4"},
    )

    qr = invitation(app_guid, body="{code}", msgParamsMap={**RECIPIENT_MAP, "code": {"type": "JwtQrCode"}})
    qr_template = messaging.ok("email-template/add", qr)
    check_in = {"type": "JwtQrCode", "value": {"payload": {"eventId": "42"}, "secret": "jwt-secret"}}
    messaging.ok(
        "message/send",
        {**good, "templateId": qr_template["id"], "msgParams": {**RECIPIENT, "code": check_in}},
    )
    _header, payload, _signature = emu.control.outbox()[-1]["body"].split(".")
    assert json.loads(base64.urlsafe_b64decode(payload + "==")) == {"eventId": "42"}
    no_base = {**good["msgParams"], "joinLink": {"type": "MagicLink", "value": {"expiry": 1}}}
    failed = messaging.ok("message/send", {**good, "msgParams": no_base, "session": "no-base"})
    (message,) = messaging.ok(
        "message/listDiscreteAggregateMessages", {"filter": {"sessionIn": ["no-base"]}}
    )["objects"]
    assert (message["status"], message["errorEnum"]) == ("error", "createMagicLinkFailed")
    assert failed["bulkId"] == message["bulkId"] and len(emu.control.outbox()) == 2


def test_a_500_that_still_sent_is_found_by_its_session(
    emu: EmulatorServer, messaging: RawEventsApi, api_v3: RawApiV3, admin_ks: str, app_guid: str
) -> None:
    add_user(api_v3, admin_ks, "ada@example.com", "Ada")
    template = messaging.ok("email-template/add", invitation(app_guid))
    emu.control.set_faults([{"endpoint": "message/send", "kind": "error_after_commit", "times": 1}])

    answer = messaging.post("message/send", send_body(app_guid, template["id"], ["ada@example.com"], "occ-1"))
    assert answer.status_code == 500
    reached = messaging.ok(
        "message/list", {"filter": {"sessionIn": ["occ-1"], "userIds": ["ada@example.com"]}}
    )
    assert reached["totalCount"] == 1, "the send went out behind the 500"
    assert [m["to"] for m in emu.control.outbox()] == ["ada@example.com"]
    assert emu.control.stats()["writes"]["message/send"] == {"attempted": 1, "committed": 1}


def test_unsubscribes_and_unsubscribe_uris(
    emu: EmulatorServer, messaging: RawEventsApi, app_guid: str
) -> None:
    no_user = build_ks_v2(emu.admin_secret, emu.partner_id, "")
    with RawEventsApi(emu.messaging_url, no_user) as admin:
        refusal(admin.post("unsubscribe-users/userGroupsStatus"), 403, "SERVICE_FORBIDDEN")
    ada_ks = build_ks_v2(emu.admin_secret, emu.partner_id, "ada@example.com", session_type=USER)
    with RawEventsApi(emu.messaging_url, ada_ks) as ada:
        assert ada.ok("unsubscribe-users/userGroupsStatus")["unsubscribed"] == []
        ada.ok("unsubscribe-users/syncGroups", {"unsubscribed": ["marketing", "event-updates"]})
        kept = ada.ok("unsubscribe-users/syncGroups", {"unsubscribed": [], "subscribed": ["event-updates"]})
        assert kept["unsubscribed"] == ["marketing"]
        refusal(
            ada.post("unsubscribe-users/syncGroups", {"unsubscribed": ["a"], "subscribed": ["a"]}),
            400,
            "VALIDATION_ERROR",
            "subscribed",
        )
    emu.control.mark_unsubscribed("bo@example.com", ["event-updates"])
    assert messaging.ok("unsubscribe-users/list", {"filter": {}, "pager": {"offset": 0, "limit": 50}}) == {
        "objects": [
            {"userId": "ada@example.com", "unsubscribed": ["marketing"]},
            {"userId": "bo@example.com", "unsubscribed": ["event-updates"]},
        ],
        "totalCount": 2,
    }

    refusal(messaging.post("unsubscribe-uri/add", {"appGuid": app_guid}), 400, "VALIDATION_ERROR", "uri")
    uri = messaging.ok(
        "unsubscribe-uri/add", {"appGuid": app_guid, "uri": "https://events.example.com/unsub"}
    )
    assert (uri["status"], uri["version"]) == ("enabled", 0)
    moved = messaging.ok("unsubscribe-uri/update", {"id": uri["id"], "uri": "https://events.example.com/v2"})
    assert (moved["uri"], moved["version"]) == ("https://events.example.com/v2", 1)
    listed = messaging.ok("unsubscribe-uri/list", {"filter": {"appGuidIn": [app_guid], "status": "enabled"}})
    assert [u["id"] for u in listed["objects"]] == [uri["id"]]
    assert messaging.ok("unsubscribe-uri/list", {"filter": {"uriIn": ["https://other"]}})["totalCount"] == 0
    assert messaging.post("unsubscribe-uri/delete", {"id": uri["id"]}).status_code == 200
    refusal(messaging.post("unsubscribe-uri/get", {"id": uri["id"]}), 200, "OBJECT_NOT_FOUND")


def test_email_providers_resolve_app_then_partner_then_default(
    emu: EmulatorServer, messaging: RawEventsApi, app_guid: str
) -> None:
    default = messaging.ok("email-provider/lookup", {"appGuid": app_guid})
    assert default["partnerId"] == 0
    refusal(messaging.post("email-provider/add", {"type": "sendGrid"}), 400, "VALIDATION_ERROR", "apiKey")
    typo = messaging.post("email-provider/add", {"type": "sendGrid", "apiKey": 31415926})
    assert "31415926" not in refusal(typo, 400, "VALIDATION_ERROR", "apiKey")["message"], (
        "a key is never echoed"
    )
    refusal(
        messaging.post("email-provider/add", {"type": "smtp", "apiKey": "k"}), 400, "VALIDATION_ERROR", "type"
    )
    secret = "SG.very-secret-key"
    partner = messaging.ok(
        "email-provider/add",
        {
            "type": "sendGrid",
            "apiKey": secret,
            "sendgridWebhookKey": "whk",
            "domains": ["events.example.com"],
        },
    )
    app_own = messaging.ok(
        "email-provider/add", {"type": "sendGrid", "apiKey": secret, "overrideResidency": "EU"}
    )
    assert partner["partnerId"] == emu.partner_id and partner["status"] == "enabled"
    shown = json.dumps([messaging.ok("email-provider/list"), emu.control.state()])
    assert secret not in shown and "whk" not in shown, "provider keys never come back"

    assert messaging.ok("email-provider/lookup", {"appGuid": app_guid})["id"] == partner["id"]
    rule = messaging.ok("email-provider/emailProviderAssignment", {"id": app_own["id"], "appGuid": app_guid})
    assert (rule["emailProviderId"], rule["appGuid"], rule["version"]) == (app_own["id"], app_guid, 0)
    assert messaging.ok("email-provider/lookup", {"appGuid": app_guid})["id"] == app_own["id"]
    assert messaging.ok("email-provider/lookup")["id"] == partner["id"]
    template = messaging.ok("email-template/add", invitation(app_guid))
    assert template["emailProviderId"] == app_own["id"]

    disabled = messaging.ok("email-provider/disable", {"id": app_own["id"]})
    assert (disabled["status"], disabled["version"]) == ("disabled", 1)
    assert messaging.ok("email-provider/lookup", {"appGuid": app_guid})["id"] == partner["id"]
    assert messaging.ok("email-provider/enable", {"id": app_own["id"]})["status"] == "enabled"
    assert messaging.ok("email-provider/delete", {"id": partner["id"]})["status"] == "deleted"
    messaging.ok("email-provider/disable", {"id": app_own["id"]})
    assert messaging.ok("email-provider/lookup", {"appGuid": app_guid})["id"] == default["id"]
    refusal(messaging.post("email-provider/enable", {"id": "nope"}), 200, "OBJECT_NOT_FOUND")
