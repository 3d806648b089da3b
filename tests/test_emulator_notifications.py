"""The emulator's event notification templates, recording entries and signed HTTP notifications.

Raw API v3 calls (form-encoded, as the notifications guide sends them) against
the real emulator, and a real receiver on 127.0.0.1 for what it sends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawApiV3, RawEventsApi
from tests.notification_receiver import Receiver, notification_receiver

SERVICE = "eventnotification_eventnotificationtemplate"
ENTRY_STATUS_EQUALS = 10102
RECORDING_REPLACED = 10104
T = "eventNotificationTemplate"


def code_of(answer: Any) -> str | None:
    if isinstance(answer, dict) and answer.get("objectType") == "KalturaAPIException":
        return str(answer["code"])
    return None


@pytest.fixture
def v3(api_v3: RawApiV3, admin_ks: str) -> Any:
    """``v3(action, **form)``: one template action with the admin KS."""

    def call(action: str, service: str = SERVICE, **form: Any) -> Any:
        return api_v3.call(service, action, form={"ks": admin_ks, **{k: str(v) for k, v in form.items()}})

    return call


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with notification_receiver() as running:
        yield running


@pytest.fixture
def fast_retries(emu: EmulatorServer) -> None:
    emu.control.reset(notification_retry_base_seconds=0.05, notification_max_attempts=3)


def form_key(path: str) -> str:
    """``customHeaders.0.key`` -> ``eventNotificationTemplate[customHeaders][0][key]``."""
    return T + "".join(f"[{part}]" for part in path.split("."))


def clone(v3: Any, source: int = ENTRY_STATUS_EQUALS, **fields: Any) -> dict[str, Any]:
    form = {f"{T}[objectType]": "KalturaHttpNotificationTemplate"}
    form.update({form_key(k): v for k, v in fields.items()})
    answer: dict[str, Any] = v3("clone", id=source, **form)
    assert code_of(answer) is None, answer
    return answer


def hook(
    v3: Any, url: str, source: int = ENTRY_STATUS_EQUALS, algo: int = 2, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A JSON-posting template at ``url``, activated; ``extra`` fields by dotted path."""
    fields: dict[str, Any] = {
        "systemName": f"MINE_{source}_{algo}",
        "url": url,
        "method": 2,
        "secureHashingAlgo": algo,
        "data.objectType": "KalturaHttpNotificationObjectData",
        "data.format": 1,
        **(extra or {}),
    }
    template = clone(v3, source, **fields)
    assert v3("updateStatus", id=template["id"], status=2)["status"] == 2
    return template


def a_session(events_api: RawEventsApi) -> dict[str, Any]:
    event = events_api.create_event(template_id="tm2000")
    session: dict[str, Any] = events_api.ok("sessions/list", {"eventId": event["id"]})["sessions"][0]
    return session


# -- the template service ----------------------------------------------------------------


def test_list_templates_shows_the_system_http_templates(v3: Any) -> None:
    answer = v3("listTemplates", **{"filter[typeEqual]": "httpNotification.Http"})
    names = {t["systemName"]: t for t in answer["objects"]}
    assert answer["totalCount"] == len(names) == 6
    assert names["HTTP_ENTRY_STATUS_EQUALS"]["id"] == ENTRY_STATUS_EQUALS
    assert {t["partnerId"] for t in answer["objects"]} == {0}
    assert (
        names["HTTP_ENTRY_STATUS_CHANGED"]["eventType"],
        names["HTTP_ENTRY_STATUS_CHANGED"]["eventObjectType"],
    ) == (3, 1)
    email = v3("listTemplates", **{"filter[typeEqual]": "emailNotification.Email"})
    assert [t["id"] for t in email["objects"]] == [842]
    assert v3("list")["totalCount"] == 0, "system templates are not the partner's"


def test_clone_makes_a_disabled_partner_copy_that_keeps_the_event(v3: Any, emu: EmulatorServer) -> None:
    copy = clone(v3, systemName="MY_ENTRY_READY", name="Entry Ready Webhook", url="https://h.example/x")
    assert copy["partnerId"] == emu.partner_id and copy["id"] == 26970222
    assert (copy["status"], copy["eventType"], copy["eventObjectType"]) == (1, 3, 1)
    assert (copy["name"], copy["url"], copy["type"]) == (
        "Entry Ready Webhook",
        "https://h.example/x",
        "httpNotification.Http",
    )
    assert v3("get", id=copy["id"]) == copy
    assert "password" not in copy


def test_partners_cannot_add_templates(v3: Any) -> None:
    answer = v3("add", **{f"{T}[objectType]": "KalturaHttpNotificationTemplate", f"{T}[name]": "x"})
    assert code_of(answer) == "SERVICE_FORBIDDEN"


@pytest.mark.parametrize(
    ("action", "form", "code"),
    [
        ("get", {"id": 10101}, "EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND"),
        ("get", {"id": 999}, "EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND"),
        ("clone", {"id": 999}, "EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND"),
        (
            "clone",
            {"id": 842, f"{T}[objectType]": "KalturaHttpNotificationTemplate"},
            "EVENT_NOTIFICATION_WRONG_TYPE",
        ),
        ("clone", {}, "PROPERTY_VALIDATION_CANNOT_BE_NULL"),
        ("get", {"id": "x"}, "INVALID_FIELD_VALUE"),
        ("list", {"filter[orderBy]": "+name"}, "INVALID_FIELD_VALUE"),
        ("delete", {"id": 10102}, "EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND"),
    ],
)
def test_refusals(v3: Any, action: str, form: dict[str, Any], code: str) -> None:
    assert code_of(v3(action, **form)) == code


def test_system_names_are_unique_per_partner(v3: Any) -> None:
    clone(v3, systemName="ONE")
    assert code_of(v3("clone", id=ENTRY_STATUS_EQUALS, **{f"{T}[systemName]": "ONE"})) == (
        "EVENT_NOTIFICATION_TEMPLATE_DUPLICATE_SYSTEM_NAME"
    )
    clone(v3)  # keeps the source's systemName
    assert code_of(v3("clone", id=ENTRY_STATUS_EQUALS)) == "EVENT_NOTIFICATION_TEMPLATE_DUPLICATE_SYSTEM_NAME"


def test_update_changes_only_what_is_sent_and_refuses_status_and_event(v3: Any) -> None:
    copy = clone(v3, systemName="U", url="https://a.example/1", name="Before")
    updated = v3(
        "update",
        id=copy["id"],
        **{
            f"{T}[objectType]": "KalturaHttpNotificationTemplate",
            f"{T}[url]": "https://b.example/2",
            f"{T}[secureHashingAlgo]": 4,
            f"{T}[customHeaders][0][key]": "X-Env",
            f"{T}[customHeaders][0][value]": "test",
            f"{T}[password]": "pw-never-shown",
            f"{T}[signSecret]": "not-a-field",
        },
    )
    assert (updated["url"], updated["name"], updated["secureHashingAlgo"]) == (
        "https://b.example/2",
        "Before",
        4,
    )
    assert [(h["key"], h["value"]) for h in updated["customHeaders"]] == [("X-Env", "test")]
    assert "pw-never-shown" not in json.dumps(updated) and "not-a-field" not in json.dumps(updated)
    for field, value in (("status", 2), ("eventType", 5), ("eventObjectType", 2)):
        answer = v3("update", id=copy["id"], **{f"{T}[{field}]": value})
        assert code_of(answer) == "PROPERTY_VALIDATION_NOT_UPDATABLE", field
    for algo in (3, 5):
        assert (
            code_of(v3("update", id=copy["id"], **{f"{T}[secureHashingAlgo]": algo})) == "INVALID_FIELD_VALUE"
        )


def test_update_status_and_delete(v3: Any) -> None:
    first, second = clone(v3, systemName="A"), clone(v3, systemName="B")
    assert v3("updateStatus", id=first["id"], status=2)["status"] == 2
    assert code_of(v3("updateStatus", id=first["id"], status=7)) == "INVALID_FIELD_VALUE"
    assert [t["id"] for t in v3("list", **{"filter[statusEqual]": 2})["objects"]] == [first["id"]]
    assert [t["id"] for t in v3("list", **{"filter[systemNameEqual]": "B"})["objects"]] == [second["id"]]
    assert [t["id"] for t in v3("list", **{"filter[idIn]": f"{second['id']},1"})["objects"]] == [second["id"]]
    page = v3("list", **{"filter[orderBy]": "-id", "pager[pageSize]": 1, "pager[pageIndex]": 2})
    assert (page["totalCount"], [t["id"] for t in page["objects"]]) == (2, [first["id"]])
    assert v3("delete", id=first["id"]) is None
    assert v3("updateStatus", id=second["id"], status=3)["status"] == 3
    assert v3("list")["totalCount"] == 0
    assert code_of(v3("get", id=first["id"])) == "EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND"


def test_template_actions_need_an_admin_ks(api_v3: RawApiV3) -> None:
    assert code_of(api_v3.call(SERVICE, "list", form={})) == "MISSING_KS"


# -- recordings and entries ---------------------------------------------------------------


def test_a_finished_recording_is_a_ready_entry_of_the_session(
    emu: EmulatorServer, events_api: RawEventsApi, v3: Any
) -> None:
    session = a_session(events_api)
    entry = emu.control.finish_recording(session["id"])
    assert (entry["status"], entry["rootEntryId"], entry["name"], entry["change"]) == (
        2, session["id"], session["name"], "entry.ready",
    )  # fmt: skip
    again = emu.control.finish_recording(session["id"])
    assert (again["id"], again["change"]) == (entry["id"], "entry.content_replaced")
    fetched = v3("get", service="baseEntry", entryId=entry["id"])
    assert (fetched["id"], fetched["status"], fetched["objectType"]) == (entry["id"], 2, "KalturaMediaEntry")
    assert code_of(v3("get", service="baseEntry", entryId="1_nothing")) == "ENTRY_ID_NOT_FOUND"
    named = emu.control.finish_recording(session["id"], entry_id=entry["id"])
    assert named["id"] == entry["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "sessionId"), ({"sessionId": 5}, "sessionId"), ({"sessionId": "1_x", "entryId": ""}, "entryId"),
     ({"sessionId": "1_nosuch"}, "sessionId")],
)  # fmt: skip
def test_recordings_refuse_a_bad_body_naming_the_field(
    emu: EmulatorServer, body: dict[str, Any], field: str
) -> None:
    import httpx

    response = httpx.post(f"{emu.base_url}/_emulator/recordings", json=body)
    assert response.status_code == 400 and field in response.json()["message"]


# -- dispatch ---------------------------------------------------------------------------


def test_a_ready_recording_is_posted_signed_to_an_active_template(
    emu: EmulatorServer, events_api: RawEventsApi, v3: Any, receiver: Receiver, fast_retries: None
) -> None:
    template = hook(
        v3, receiver.url, algo=2, extra={"customHeaders.0.key": "X-Env", "customHeaders.0.value": "t"}
    )
    entry = emu.control.finish_recording(a_session(events_api)["id"])
    [job] = emu.control.wait_for_notifications(1)
    assert (job["state"], job["templateId"], job["changeKind"]) == (
        "delivered",
        template["id"],
        "entry.ready",
    )
    [request] = receiver.requests()
    assert (request.method, request.path) == ("POST", "/kaltura/notify-7f3a")
    assert request.headers["x-kaltura-hash-algo"] == "sha256"
    expected = hashlib.sha256(emu.admin_secret.encode() + request.body).hexdigest()
    assert request.headers["x-kaltura-signature"] == expected
    assert request.headers["content-type"] == "application/json" and request.headers["x-env"] == "t"
    body = json.loads(request.body)
    assert body["objectType"] == "KalturaHttpNotification"
    assert (body["templateId"], body["templateSystemName"], body["eventNotificationJobId"]) == (
        template["id"], template["systemName"], job["jobId"],
    )  # fmt: skip
    assert (body["eventType"], body["eventObjectType"]) == (3, 1)
    assert {k: body["object"][k] for k in ("id", "status", "rootEntryId")} == {
        "id": entry["id"], "status": 2, "rootEntryId": entry["rootEntryId"],
    }  # fmt: skip


@pytest.mark.parametrize(("algo", "name"), [(1, "sha1"), (4, "sha512")])
def test_the_signature_follows_the_templates_algorithm(
    emu: EmulatorServer, events_api: RawEventsApi, v3: Any, receiver: Receiver, algo: int, name: str
) -> None:
    hook(v3, receiver.url, algo=algo)
    emu.control.finish_recording(a_session(events_api)["id"])
    emu.control.wait_for_notifications(1)
    [request] = receiver.requests()
    assert request.headers["x-kaltura-hash-algo"] == name
    assert (
        request.headers["x-kaltura-signature"]
        == hashlib.new(name, emu.admin_secret.encode() + request.body).hexdigest()
    )


def test_an_answer_other_than_200_or_204_is_retried_with_the_same_job_id(
    emu: EmulatorServer, events_api: RawEventsApi, v3: Any, receiver: Receiver, fast_retries: None
) -> None:
    receiver.answer_with([500, 302, 204])
    hook(v3, receiver.url)
    emu.control.finish_recording(a_session(events_api)["id"])
    [job] = emu.control.wait_for_notifications(1)
    assert job["state"] == "delivered"
    assert [a["statusCode"] for a in job["attempts"]] == [500, 302, 204]
    requests = receiver.requests()
    assert {json.loads(r.body)["eventNotificationJobId"] for r in requests} == {job["jobId"]}
    assert len({r.body for r in requests}) == 1, "a retry sends the same notification"


def test_delivery_gives_up_after_the_last_attempt_and_connection_errors_count(
    emu: EmulatorServer, events_api: RawEventsApi, v3: Any, fast_retries: None
) -> None:
    hook(v3, "http://127.0.0.1:9/nobody-listens")
    emu.control.finish_recording(a_session(events_api)["id"])
    [job] = emu.control.wait_for_notifications(1)
    assert job["state"] == "failed" and len(job["attempts"]) == 3
    assert all(a["statusCode"] is None and a["error"] for a in job["attempts"])
    assert "nobody-listens" not in json.dumps(emu.control.state())


def test_disabled_templates_and_other_events_send_nothing(
    emu: EmulatorServer, events_api: RawEventsApi, v3: Any, receiver: Receiver, fast_retries: None
) -> None:
    disabled = hook(v3, receiver.url)
    v3("updateStatus", id=disabled["id"], status=1)
    replaced = hook(v3, receiver.url, source=RECORDING_REPLACED)
    session = a_session(events_api)
    emu.control.finish_recording(session["id"])  # entry.ready: the disabled template's event
    emu.control.finish_recording(session["id"])  # entry.content_replaced
    [job] = emu.control.wait_for_notifications(1)
    assert (job["templateId"], job["changeKind"]) == (replaced["id"], "entry.content_replaced")
    assert len(receiver.requests()) == 1


def test_without_json_object_data_the_body_is_empty_but_signed(
    emu: EmulatorServer, events_api: RawEventsApi, v3: Any, receiver: Receiver
) -> None:
    template = clone(v3, systemName="BARE", url=receiver.url)
    v3("updateStatus", id=template["id"], status=2)
    emu.control.finish_recording(a_session(events_api)["id"])
    emu.control.wait_for_notifications(1)
    [request] = receiver.requests()
    assert request.body == b""
    assert request.headers["x-kaltura-signature"] == hashlib.sha1(emu.admin_secret.encode()).hexdigest()


def test_category_templates_follow_category_changes(emu: EmulatorServer, v3: Any, receiver: Receiver) -> None:
    hook(v3, receiver.url, source=10105)
    added = v3("add", service="category", **{"category[name]": "notified"})
    [job] = emu.control.wait_for_notifications(1)
    assert (job["changeKind"], job["subject"]) == ("category.added", str(added["id"]))
    assert json.loads(receiver.requests()[0].body)["object"]["fullName"] == "notified"


def test_a_reset_forgets_templates_and_deliveries(
    emu: EmulatorServer, events_api: RawEventsApi, v3: Any, receiver: Receiver
) -> None:
    hook(v3, receiver.url)
    emu.control.finish_recording(a_session(events_api)["id"])
    emu.control.wait_for_notifications(1)
    emu.control.reset()
    assert emu.control.notifications() == []
    assert emu.control.state()["notificationTemplates"] == []
