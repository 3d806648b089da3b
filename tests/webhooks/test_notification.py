"""Parsing Kaltura's notification bodies, and the one Prefect event each becomes."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaltura_events.webhooks.notification import (
    Notification,
    NotificationError,
    event_id,
    event_name,
    parse_notification,
    recording,
    to_prefect_event,
)
from tests.webhooks.samples import FORM, PARTNER_ID, SECRET, entry_notification, form_body, json_body
from tests.webhooks.triggers import starts_an_encore_run

WHEN = datetime(2025, 5, 1, 14, 0, tzinfo=timezone.utc)
job_ids = st.integers(min_value=0, max_value=2**63 - 1)
partners = st.integers(min_value=1, max_value=2**31 - 1)


def test_json_and_form_bodies_give_the_same_notification() -> None:
    sample = entry_notification()
    from_json = parse_notification(json_body(sample), "application/json; charset=utf-8")
    from_form = parse_notification(form_body(sample), FORM)
    assert from_json == from_form
    assert from_json.job_id == 33578094492
    assert (from_json.event_type, from_json.event_object_type) == ("3", "1")
    assert from_json.template_system_name == "MY_ENTRY_READY"
    assert from_json.object_id == "1_abc123"


def test_a_body_without_content_type_is_read_as_json() -> None:
    assert parse_notification(json_body(entry_notification(7)), None).job_id == 7


def test_numeric_enum_codes_and_string_job_ids_read_like_kalturas_strings() -> None:
    sample = entry_notification() | {"eventType": 3, "eventObjectType": 1, "eventNotificationJobId": "99"}
    parsed = parse_notification(json_body(sample), "application/json")
    assert (parsed.event_type, parsed.event_object_type, parsed.job_id) == ("3", "1", 99)


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", "application/json", "not JSON"),
        (b"<xml/>", "application/json", "not JSON"),
        (b"\xff\xfe", "application/json", "not JSON"),
        (b"[1, 2]", "application/json", "not a JSON object"),
        (b"{}", "application/json", "eventNotificationJobId"),
        (b'{"eventNotificationJobId": true}', "application/json", "eventNotificationJobId"),
        (b'{"eventNotificationJobId": "abc"}', "application/json", "not an integer"),
        (b'{"eventNotificationJobId": -1}', "application/json", "negative"),
        (b'{"eventNotificationJobId": 1, "object": [1]}', "application/json", "'object'"),
        (b'{"eventNotificationJobId": 1, "eventType": {}}', "application/json", "enum"),
        (form_body(None, entryId="1_abc"), FORM, "'data'"),
        (form_body(entry_notification()) + b"&" + form_body(entry_notification()), FORM, "'data'"),
        (b"data=%7Bnot+json", FORM, "not JSON"),
        (b"data=%ff", FORM, "not JSON"),
        (b"&&&===", FORM, "cannot be read"),
    ],
)
def test_bodies_that_are_not_notifications_are_refused_with_a_reason(
    body: bytes, content_type: str, reason: str
) -> None:
    with pytest.raises(NotificationError, match=reason) as caught:
        parse_notification(body, content_type)
    assert SECRET not in str(caught.value)


def _named(**changes: Any) -> str:
    sample = entry_notification()
    obj = changes.pop("object", None)
    if obj is not None:
        sample["object"] = sample["object"] | obj
    return event_name(parse_notification(json_body(sample | changes), "application/json"))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"eventType": "3", "object": {"status": 2}}, "kaltura.entry.ready"),
        ({"eventType": "3", "object": {"status": "2"}}, "kaltura.entry.ready"),
        ({"eventType": "2", "object": {"status": 2}}, "kaltura.entry.ready"),
        ({"eventType": "3", "object": {"status": 4}}, "kaltura.entry.changed"),
        ({"eventType": "6", "object": {"status": 1}}, "kaltura.entry.changed"),
        ({"eventType": "2", "object": {"status": 0}}, "kaltura.entry.added"),
        ({"eventType": "5", "object": {"status": 1}}, "kaltura.entry.added"),
        ({"eventType": "7", "object": {"status": 2}}, "kaltura.entry.deleted"),
        ({"eventType": "8", "object": {"status": 2}}, "kaltura.entry.deleted"),
        ({"eventType": "3", "object": {"status": 3}}, "kaltura.entry.deleted"),
        (
            {"eventObjectType": "2", "eventType": "5", "object": {"id": 12, "status": 2}},
            "kaltura.category.added",
        ),
        (
            {"eventObjectType": "2", "eventType": "3", "object": {"id": 12, "status": 2}},
            "kaltura.category.changed",
        ),
        ({"eventObjectType": "2", "eventType": "7", "object": {"id": 12}}, "kaltura.category.deleted"),
        (
            {"eventObjectType": "2", "eventType": "3", "object": {"id": 12, "status": 4}},
            "kaltura.category.deleted",
        ),
        ({"eventObjectType": "4", "eventType": "3"}, "kaltura.notification.received"),
        ({"eventObjectType": "metadataEventNotifications.Metadata"}, "kaltura.notification.received"),
        ({"eventObjectType": None, "eventType": None}, "kaltura.notification.received"),
        ({"object": {"id": "../../etc"}}, "kaltura.notification.received"),
        ({"object": {"id": None}}, "kaltura.notification.received"),
    ],
)
def test_event_names_follow_the_documented_table(changes: dict[str, Any], expected: str) -> None:
    assert _named(**changes) == expected


def test_an_entry_event_carries_a_small_payload_the_resource_and_related_partner_and_template() -> None:
    notification = parse_notification(json_body(entry_notification()), "application/json")
    event = to_prefect_event(notification, partner_id=PARTNER_ID, occurred=WHEN)
    assert event["event"] == "kaltura.entry.ready"
    assert event["resource"] == {
        "prefect.resource.id": "kaltura.entry.1_abc123",
        "prefect.resource.name": "All-hands recording",
        "kaltura.entry.recording": "no",
    }
    assert event["related"] == [
        {"prefect.resource.id": f"kaltura.partner.{PARTNER_ID}", "prefect.resource.role": "partner"},
        {
            "prefect.resource.id": "kaltura.notification-template.26970222",
            "prefect.resource.role": "notification-template",
            "prefect.resource.name": "MY_ENTRY_READY",
        },
    ]
    assert event["payload"] == {
        "job_id": 33578094492,
        "partner_id": PARTNER_ID,
        "event_type": "OBJECT_CHANGED",
        "event_object_type": "1",
        "template_system_name": "MY_ENTRY_READY",
        "entry_id": "1_abc123",
        "name": "All-hands recording",
        "status": 2,
        "root_entry_id": "1_abc123",
        "recorded_entry_id": "1_rec456",
    }
    assert event["occurred"] == WHEN.isoformat()
    assert event["id"] == str(event_id(PARTNER_ID, 33578094492))
    assert "downloadUrl" not in json.dumps(event) and "SECRETISH" not in json.dumps(event)


def test_an_unknown_object_is_a_notification_resource_named_by_job() -> None:
    sample = entry_notification(5) | {"eventObjectType": "42", "templateId": None}
    event = to_prefect_event(parse_notification(json_body(sample), None), partner_id=1, occurred=WHEN)
    assert event["event"] == "kaltura.notification.received"
    assert event["resource"] == {"prefect.resource.id": "kaltura.notification.5"}
    assert event["payload"]["object_id"] == "1_abc123"
    assert event["payload"]["object_api_type"] == "KalturaMediaEntry"
    assert [r["prefect.resource.role"] for r in event["related"]] == ["partner"]


def test_long_texts_are_cut_short() -> None:
    sample = entry_notification()
    sample["object"]["name"] = "x" * 10_000
    event = to_prefect_event(parse_notification(json_body(sample), None), partner_id=1, occurred=WHEN)
    assert len(event["payload"]["name"]) == 256 and len(event["resource"]["prefect.resource.name"]) == 256


@given(partner=partners, job=job_ids, status=st.sampled_from([0, 1, 2, 3, 7]), name=st.text(max_size=40))
def test_the_same_job_is_the_same_event_id_whatever_else_differs(
    partner: int, job: int, status: int, name: str
) -> None:
    first = Notification(job_id=job, event_object_type="1", object={"id": "0_a", "status": 2})
    again = Notification(
        job_id=job, event_object_type="1", object={"id": "0_a", "status": status, "name": name}
    )
    one = to_prefect_event(first, partner_id=partner, occurred=WHEN)
    two = to_prefect_event(again, partner_id=partner, occurred=datetime.now(timezone.utc))
    assert one["id"] == two["id"] == str(event_id(partner, job))


@given(partner=partners, jobs=st.lists(job_ids, min_size=2, max_size=20, unique=True))
def test_different_jobs_are_different_event_ids(partner: int, jobs: list[int]) -> None:
    assert len({event_id(partner, job) for job in jobs}) == len(jobs)


@given(partners=st.lists(partners, min_size=2, max_size=2, unique=True), job=job_ids)
def test_the_same_job_id_of_two_partners_is_two_events(partners: list[int], job: int) -> None:
    assert event_id(partners[0], job) != event_id(partners[1], job)


def test_describe_names_ids_only() -> None:
    notification = parse_notification(json_body(entry_notification()), None)
    assert (
        notification.describe() == "job 33578094492, template MY_ENTRY_READY, object type 1, object 1_abc123"
    )


entry_ids = st.from_regex(r"[01]_[a-z0-9]{8}", fullmatch=True)
roots = st.one_of(
    st.just("itself"),
    entry_ids,
    st.integers(min_value=1, max_value=10**9),
    st.just(""),
    st.none(),
    st.just("absent"),
)


@given(
    entry=entry_ids, root=roots, template=st.sampled_from(["KALTURA_EVENTS_ENTRY_READY", "MY_ENTRY_READY"])
)
def test_only_an_entry_that_is_its_own_root_is_kept_from_the_encore_trigger(
    entry: str, root: str | int | None, template: str
) -> None:
    """Kaltura reports an ordinary entry as its own root; anything else may be a recording of ours."""
    obj: dict[str, Any] = {"objectType": "KalturaMediaEntry", "id": entry, "status": 2}
    if root != "absent":
        obj["rootEntryId"] = entry if root == "itself" else root
    sample = entry_notification(1) | {"object": obj, "templateSystemName": template}
    notification = parse_notification(json_body(sample), "application/json")
    event = to_prefect_event(notification, partner_id=PARTNER_ID, occurred=WHEN)
    label = event["resource"]["kaltura.entry.recording"]
    assert label == recording(notification)
    if root in ("", None, "absent"):
        assert label == "unknown"
    else:
        assert label == ("no" if root == "itself" or str(root) == entry else "yes")
    assert starts_an_encore_run(event) == (label != "no" and template == "KALTURA_EVENTS_ENTRY_READY")


def test_a_category_or_an_unknown_object_has_no_recording_label() -> None:
    for changes in ({"eventObjectType": "2", "object": {"id": 12, "status": 2}}, {"eventObjectType": "42"}):
        sample = entry_notification(3) | changes
        event = to_prefect_event(parse_notification(json_body(sample), None), partner_id=1, occurred=WHEN)
        assert "kaltura.entry.recording" not in event["resource"]
