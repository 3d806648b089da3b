"""The delivery report of a send, against the real emulator: counts as the outbox shows them, and a CSV
of exactly whom the send did not reach.

Sends go through MessagingClient as the send flow's would; bounces and
unsubscribes are the emulator's control endpoints. A count the service's
answer does not name is blank, never a made-up 0 (§8.3 does not say an
absent status means none).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.messaging_models import DiscreteMessage
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.formats.delivery_files import (
    COLUMNS,
    undelivered_file,
    write_undelivered,
)
from kaltura_events.formats.paths import Root, output_folder
from kaltura_events.planning.delivery import DeliveryReport, SendDelivery, SendRecord, delivery_of
from kaltura_events.planning.messages import DueSend, SendSpec
from tasks.message_reports import read_delivery
from tests.message_sends import FATES, Fate, Person, messaging_client, outbox_of, people_with, prepare, send

SESSION = "kev-msg:town-hall:2027-01-05:reminder-before-24h-invited"


def record(session: str = SESSION, audience: int = 0, unsubscribed: int = 0) -> SendRecord:
    return SendRecord(
        session=session,
        series_key="town-hall",
        occurrence="2027-01-05",
        send_name="reminder-before-24h-invited",
        template="reminder",
        audience=audience,
        unsubscribed=unsubscribed,
    )


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sent_and_read(
    emu: EmulatorServer, fates: list[Fate], batches: int = 1
) -> tuple[list[Person], SendDelivery]:
    people = people_with(fates)
    prepare(emu, people)
    with messaging_client(emu) as messaging:
        send(emu, messaging, SESSION, people, batches)
        return people, read_delivery(messaging, record(audience=len(people)))


def assert_matches_outbox(emu: EmulatorServer, people: list[Person], delivery: SendDelivery) -> None:
    """Each count is what the outbox shows; the failed ones reached no outbox at all."""
    outbox = Counter(m["status"] for m in outbox_of(emu, SESSION))
    fates = Counter(p.fate for p in people)
    assert delivery.sent == len(people)
    assert (delivery.delivered or 0) == outbox["delivered"] == fates["delivered"]
    assert delivery.bounced == outbox["bounce"] == fates["bounce"]
    assert delivery.errors == fates["unsubscribed"] + fates["unknown"]
    assert sum(outbox.values()) == fates["delivered"] + fates["bounce"], "an error mails nobody"
    assert delivery.dropped == 0 and not delivery.in_flight
    settled = (delivery.delivered or 0) + delivery.bounced + delivery.dropped + delivery.errors
    assert settled + (delivery.in_flight or 0) == delivery.sent


# -- against the emulator -------------------------------------------------------------


def test_counts_equal_the_outbox_and_the_csv_lists_whom_it_did_not_reach(
    emu: EmulatorServer, tmp_path: Path
) -> None:
    fates: list[Fate] = ["delivered", "delivered", "delivered", "delivered", "delivered", "bounce", "bounce"]
    fates += ["unsubscribed", "unknown"]
    people, delivery = sent_and_read(emu, fates)

    assert_matches_outbox(emu, people, delivery)
    assert (delivery.delivered, delivery.bounced, delivery.errors) == (5, 2, 2)
    [path] = write_undelivered(tmp_path, [delivery])
    assert path == tmp_path / "town-hall" / "2027-01-05" / "undelivered-reminder-before-24h-invited.csv"
    rows = read_rows(path)
    assert tuple(rows[0]) == COLUMNS
    by_user = {row["user_id"]: row for row in rows}
    assert set(by_user) == {p.user_id for p in people if p.fate != "delivered"}
    assert {by_user[p.user_id]["email"] for p in people if p.fate == "bounce"} == {
        p.email for p in people if p.fate == "bounce"
    }
    assert {row["status"] for row in rows} == {"bounce", "error"}
    errors = {p.fate: by_user[p.user_id]["error"] for p in people if p.fate in ("unsubscribed", "unknown")}
    assert errors == {"unsubscribed": "userUnsubscribeFromThisGroup", "unknown": "userNotFoundInOurDb"}


def test_a_send_with_no_bounce_writes_no_file_and_a_status_nobody_had_is_blank(
    emu: EmulatorServer, tmp_path: Path
) -> None:
    people, delivery = sent_and_read(emu, ["delivered"] * 3)
    assert_matches_outbox(emu, people, delivery)
    assert (delivery.opened, delivery.clicked) == (None, None), "the emulator answers no OPEN or CLICK"
    assert delivery.row()["opened"] == "" and delivery.row()["bounced"] == 0
    assert write_undelivered(tmp_path, [delivery]) == []
    assert list(tmp_path.iterdir()) == []


def test_a_session_sent_in_two_runs_is_reported_whole(emu: EmulatorServer) -> None:
    fates: list[Fate] = ["delivered", "bounce", "delivered", "unknown", "bounce"]
    people, delivery = sent_and_read(emu, fates, batches=2)
    assert_matches_outbox(emu, people, delivery)


def test_an_empty_session_reports_nothing_sent(emu: EmulatorServer) -> None:
    with messaging_client(emu) as messaging:
        delivery = read_delivery(messaging, record(session="kev-msg:town-hall:2027-01-05:none"))
    assert (delivery.sent, delivery.delivered, delivery.bounced, delivery.undelivered) == (0, None, 0, [])


@given(fates=st.lists(st.sampled_from(FATES), min_size=1, max_size=12), batches=st.integers(1, 3))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_mix_of_recipients_adds_up_and_lists_exactly_the_undelivered(
    emulator: EmulatorServer, tmp_path_factory: pytest.TempPathFactory, fates: list[Fate], batches: int
) -> None:
    """Generated: who bounces, who left the group, who is unknown, and how many runs sent to them."""
    emulator.control.reset()
    people, delivery = sent_and_read(emulator, fates, batches)
    assert_matches_outbox(emulator, people, delivery)

    folder = tmp_path_factory.mktemp("delivery")
    written = write_undelivered(folder, [delivery])
    undelivered = {p.user_id for p in people if p.fate != "delivered"}
    rows = read_rows(written[0]) if written else []
    assert {row["user_id"] for row in rows} == undelivered
    assert len(rows) == len(undelivered), "each once"
    assert {row["email"] for row in rows if row["status"] == "bounce"} == {
        p.email for p in people if p.fate == "bounce"
    }


# -- the row, without a service ---------------------------------------------------------


def message(status: str, user: str = "a@example.com", **extra: str) -> DiscreteMessage:
    return DiscreteMessage.model_validate(
        {"id": f"m-{user}-{status}", "bulkId": "bulk_1", "userId": user, "status": status, **extra}
    )


def test_an_absent_status_is_blank_not_zero_and_failures_come_from_the_listing() -> None:
    stats = {"DELIVERED": 4, "SENDING": 1, "OPEN": 2, "SPAMREPORT": 1}
    failed = [message("bounce", "b@example.com", email="b@example.com"), message("error", "c@example.com")]
    delivery = delivery_of(record(audience=7, unsubscribed=1), stats, failed)
    assert (delivery.delivered, delivery.in_flight, delivery.opened, delivery.clicked) == (4, 1, 2, None)
    assert (delivery.bounced, delivery.dropped, delivery.errors) == (1, 0, 1)
    assert delivery.sent == 4 + 1 + 2, "the failure statuses the answer left out come from the listing"
    assert delivery.other == {"SPAMREPORT": 1}
    row = delivery.row()
    assert (row["to"], row["unsubscribed (not sent)"], row["clicked"], row["skipped"]) == (7, 1, "", "")


def test_the_stats_total_is_sent_when_it_names_the_failures_too() -> None:
    delivery = delivery_of(record(), {"DELIVERED": 2, "BOUNCE": 1}, [message("bounce")])
    assert (delivery.sent, delivery.bounced) == (3, 1)


def test_a_message_that_did_not_fail_is_refused_from_the_failure_list() -> None:
    with pytest.raises(InvalidArgumentError, match="failed='delivered'"):
        delivery_of(record(), {}, [message("delivered")])


def test_no_token_shaped_text_reaches_the_csv(tmp_path: Path) -> None:
    ks = "djJ8MTIzNHxhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODk="
    failed = [
        message(
            "error",
            errorEnum="createMagicLinkFailed",
            errorDescription=f"https://events.example.com/join?ks={ks} could not be made",
        ),
        message("error", "d@example.com", errorEnum=ks),
    ]
    delivery = delivery_of(record(), {}, failed)
    [path] = write_undelivered(tmp_path, [delivery])
    text = path.read_text(encoding="utf-8")
    assert ks not in text and ks not in str(delivery.row())
    assert "createMagicLinkFailed" in text, "a §7.4 code is kept as answered"


@pytest.mark.parametrize(
    ("field", "value", "change"),
    [
        ("session", " x", {"session": " x"}),
        ("audience", -1, {"audience": -1}),
        ("unsubscribed", 3, {"audience": 2, "unsubscribed": 3}),
        ("occurrence", "", {"occurrence": ""}),
    ],
)
def test_a_bad_send_record_names_its_field(field: str, value: object, change: dict[str, object]) -> None:
    given = {**record().__dict__, **change}
    with pytest.raises(InvalidArgumentError, match=f"^{field}={value!r}"):
        SendRecord(**given)


def test_a_record_of_a_due_send_carries_its_session() -> None:
    from datetime import datetime, timezone

    when = datetime(2027, 1, 4, 15, tzinfo=timezone.utc)
    spec = SendSpec(template="reminder", before="24h", to="invited")
    due = DueSend("town-hall", "2027-01-05", spec, when, when)
    made = SendRecord.of(due, 300, 2, skipped=True)
    assert (made.session, made.send_name, made.template) == (due.session, spec.name, "reminder")
    report = DeliveryReport(sends=[delivery_of(made, {}, [])])
    assert report.summary().endswith("1 skipped, their window passed")


# -- where the CSV goes -------------------------------------------------------------------


def test_an_output_folder_outside_the_root_is_refused_naming_the_parameter(tmp_path: Path) -> None:
    root = [Root.of(tmp_path / "root", "the work root")]
    (tmp_path / "root").mkdir()
    for outside in ("../elsewhere", str(tmp_path / "elsewhere"), "~/reports"):
        with pytest.raises(InvalidArgumentError, match=r"^output_dir=.*refused"):
            output_folder(outside, "output_dir", root)
    assert not (tmp_path / "elsewhere").exists()
    assert output_folder("reports/messages", "output_dir", root) == tmp_path / "root" / "reports" / "messages"


def test_a_file_that_is_not_ours_is_not_replaced(tmp_path: Path) -> None:
    delivery = delivery_of(record(), {}, [message("bounce")])
    path = undelivered_file(tmp_path, delivery)
    path.parent.mkdir(parents=True)
    path.write_text("name,salary\nada,1\n", encoding="utf-8")
    with pytest.raises(InvalidArgumentError, match=r"^output_dir=.*undelivered-.*is not a list") as refused:
        write_undelivered(tmp_path, [delivery])
    assert path.read_text(encoding="utf-8") == "name,salary\nada,1\n"
    assert "salary" not in str(refused.value), "nothing of the file is quoted"


def test_a_rerun_rewrites_its_own_file(tmp_path: Path) -> None:
    first = delivery_of(record(), {}, [message("bounce")])
    later = delivery_of(record(), {}, [message("bounce"), message("dropped", "e@example.com")])
    [path] = write_undelivered(tmp_path, [first])
    assert write_undelivered(tmp_path, [later]) == [path]
    assert [row["status"] for row in read_rows(path)] == ["bounce", "dropped"]


def test_a_name_part_cannot_leave_the_folder(tmp_path: Path) -> None:
    delivery = delivery_of(record(), {}, [message("bounce")]).model_copy(
        update={"series_key": "../..", "occurrence": "/etc"}
    )
    path = undelivered_file(tmp_path, delivery)
    assert path.resolve().is_relative_to(tmp_path.resolve())
