"""MessagingClient against the real emulator: templates, sends by session, what they reached.

Bad arguments are refused before anything is sent, naming the field and the
value; listings page until totalCount; reads are retried on a 503; and a send
that may have gone out is never sent again by the client: the error says to
list the session, and the session shows whom it reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from kaltura_events.api.answers import refusing, shaped
from kaltura_events.api.api_v3 import ApiV3Client
from kaltura_events.api.errors import (
    ApiV3Error,
    BadRequestError,
    InvalidArgumentError,
    NotFoundError,
    OutcomeUnknownError,
    ServerError,
)
from kaltura_events.api.ks import USER, KsProvider, local_minter
from kaltura_events.api.messaging import MessagingClient, Token
from kaltura_events.api.messaging_models import EmailTemplate
from kaltura_events.api.retry import RetryPolicy, is_retryable
from kaltura_events.credentials import (
    KalturaCredentials,
    UnderivableUrlError,
    close_cached_clients,
    region_of,
)
from kaltura_events.emulator.server import EmulatorServer

NO_WAIT = RetryPolicy(max_retries=3, base_delay=0.0)
no_sleep: Callable[[float], None] = lambda _seconds: None  # noqa: E731
ADA, GRACE = "ada@example.com", "grace@example.com"
REMINDER = {"recipient": "User", "eventName": "String", "joinLink": "MagicLink"}


@pytest.fixture
def ks(emu: EmulatorServer) -> KsProvider:
    return KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))


@pytest.fixture
def messaging(emu: EmulatorServer, ks: KsProvider) -> Iterator[MessagingClient]:
    with MessagingClient(emu.messaging_url, ks, retry=NO_WAIT, sleep=no_sleep) as client:
        yield client


@pytest.fixture
def people(emu: EmulatorServer, ks: KsProvider) -> list[str]:
    """Two Kaltura users with names and addresses, whom a ``User`` token resolves to."""
    with ApiV3Client(emu.service_url, ks) as v3:
        v3.add_user(ADA, email=ADA, first_name="Ada")
        v3.add_user(GRACE, email=GRACE, first_name="Grace")
    return [ADA, GRACE]


def requests_to(emu: EmulatorServer, endpoint: str) -> int:
    counts: dict[str, int] = emu.control.stats()["requests"].get(endpoint, {})
    return sum(counts.values())


def reminder(messaging: MessagingClient, app_guid: str, name: str = "Reminder") -> EmailTemplate:
    return messaging.add_template(
        app_guid,
        name=name,
        subject="Tomorrow: {eventName}",
        body="<p>Hi {recipient.firstName}, <a href='{joinLink}'>join</a></p>",
        msg_params_map=REMINDER,
        unsubscribe_groups=["event-reminders"],
    )


def tokens(event_name: str = "Q4 Town Hall") -> dict[str, Token]:
    return {
        "recipient": Token.recipient(),
        "eventName": Token.text(event_name),
        "joinLink": Token.magic_link("https://events.example.com/join", 24),
    }


# -- templates ------------------------------------------------------------------------


def test_a_template_is_added_read_updated_listed_by_name_and_deleted(
    messaging: MessagingClient, guid: str
) -> None:
    made = reminder(messaging, guid)
    other = reminder(messaging, guid, name="Follow-up")
    assert (made.app_guid, made.name, made.enabled) == (guid, "Reminder", True)
    assert made.msg_params_map == {name: {"type": kind} for name, kind in REMINDER.items()}
    assert made.unsubscribe_groups == ["event-reminders"]
    assert messaging.get_template(made.id) == made

    changed = messaging.update_template(made.id, subject="In one hour: {eventName}")
    assert (changed.subject, changed.body, changed.version) == (
        "In one hour: {eventName}",
        made.body,
        made.version + 1,
    )
    assert [t.id for t in messaging.list_templates([guid], name="Reminder")] == [made.id]
    assert [t.id for t in messaging.list_templates([guid], name_contains="low-u")] == [other.id]

    messaging.delete_template(made.id)
    assert messaging.get_template(made.id).status == "deleted"
    assert [t.id for t in messaging.list_templates([guid], status="enabled")] == [other.id]
    assert messaging.list_templates([]) == []


def test_templates_page_until_total_count(emu: EmulatorServer, messaging: MessagingClient, guid: str) -> None:
    made = {reminder(messaging, guid, name=f"Reminder {n}").id for n in range(5)}
    emu.control.reset_stats()
    assert {t.id for t in messaging.list_templates([guid], page_size=2)} == made
    assert requests_to(emu, "email-template/list") == 3


def test_an_unknown_template_is_not_found(messaging: MessagingClient) -> None:
    with pytest.raises(NotFoundError, match="OBJECT_NOT_FOUND"):
        messaging.get_template("6621a3f0b2c4d5e6f7890abc")


# -- sending and tracking ---------------------------------------------------------------


def test_a_send_reaches_each_user_and_its_session_shows_it(
    emu: EmulatorServer, messaging: MessagingClient, guid: str, people: list[str]
) -> None:
    template = reminder(messaging, guid)
    bulk = messaging.send_message(guid, template.id, people, session="event-12-reminder", tokens=tokens())
    assert (bulk.app_guid, bulk.template_id, bulk.session, bulk.status) == (
        guid,
        template.id,
        "event-12-reminder",
        "sending",
    )
    mail = emu.control.outbox()
    assert sorted((m["to"], m["subject"]) for m in mail) == [
        (ADA, "Tomorrow: Q4 Town Hall"),
        (GRACE, "Tomorrow: Q4 Town Hall"),
    ]
    assert "Hi Ada" in next(m["body"] for m in mail if m["to"] == ADA)

    assert [b.bulk_id for b in messaging.list_messages(["event-12-reminder"])] == [bulk.bulk_id]
    assert [b.bulk_id for b in messaging.list_messages(["event-12-reminder"], user_ids=[GRACE])] == [
        bulk.bulk_id
    ]
    assert messaging.list_messages(["event-12-reminder"], user_ids=["nobody@example.com"]) == []
    assert messaging.list_messages(["another-session"]) == []
    assert messaging.list_messages([]) == []
    assert messaging.message_stats(bulk_id=bulk.bulk_id) == {"DELIVERED": 2}
    assert messaging.message_stats(session="event-12-reminder") == {"DELIVERED": 2}
    assert messaging.message_stats(session="another-session") == {}


def test_sends_of_a_session_are_listed_across_pages(
    emu: EmulatorServer, messaging: MessagingClient, guid: str, people: list[str]
) -> None:
    template = reminder(messaging, guid)
    sent = {
        messaging.send_message(guid, template.id, [ADA], session="weekly", tokens=tokens(f"Week {n}")).id
        for n in range(5)
    }
    messaging.send_message(guid, template.id, [GRACE], session="other", tokens=tokens())
    emu.control.reset_stats()
    assert {b.id for b in messaging.list_messages(["weekly"], page_size=2)} == sent
    assert requests_to(emu, "message/list") == 3


def test_a_send_that_may_have_gone_out_is_not_sent_again(
    emu: EmulatorServer, messaging: MessagingClient, guid: str, people: list[str]
) -> None:
    """The emulator queues the emails, then answers 500: one request, and the error says where to look."""
    template = reminder(messaging, guid)
    emu.control.set_faults([{"endpoint": "message/send", "kind": "error_after_commit"}])
    with pytest.raises(OutcomeUnknownError) as caught:
        messaging.send_message(guid, template.id, people, session="event-12-reminder", tokens=tokens())
    error = caught.value
    assert isinstance(error.failure, ServerError) and error.status_code == 500
    assert error.endpoint == "message/send"
    assert str(error).startswith("message/send: HTTP 500")
    assert "list session 'event-12-reminder'" in str(error)
    assert not is_retryable(error), "a Prefect task must not repeat it either"
    assert requests_to(emu, "message/send") == 1
    emu.control.clear_faults()
    assert len(emu.control.outbox()) == 2, "it had gone out: once"
    (reached,) = messaging.list_messages(["event-12-reminder"], user_ids=people)
    assert sorted(reached.user_ids) == sorted(people)


def test_a_send_refused_before_it_was_done_is_tried_again(
    emu: EmulatorServer, messaging: MessagingClient, guid: str, people: list[str]
) -> None:
    """429 sends nothing: retried as everywhere, and everyone gets one email."""
    template = reminder(messaging, guid)
    emu.control.set_faults([{"endpoint": "message/send", "kind": "rate_limit", "retry_after": 0, "times": 1}])
    messaging.send_message(guid, template.id, people, session="s", tokens=tokens())
    assert requests_to(emu, "message/send") == 2
    assert len(emu.control.outbox()) == 2


def test_reads_are_retried_through_a_503(emu: EmulatorServer, messaging: MessagingClient, guid: str) -> None:
    emu.control.set_faults(
        [{"endpoint": "message/list", "kind": "unavailable", "retry_after": 0, "times": 2}]
    )
    assert messaging.list_messages(["s"]) == []
    assert requests_to(emu, "message/list") == 3


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (
            lambda m, g: m.send_message(g, "t1", [ADA], session=" padded", tokens=tokens()),
            "session=' padded'",
        ),
        (lambda m, g: m.send_message(g, "t1", [], session="s", tokens=tokens()), "user_ids=[]"),
        (lambda m, g: m.send_message(g, "t1", ADA, session="s", tokens=tokens()), "user_ids='ada@"),
        (
            lambda m, g: m.send_message(g, "t1", [ADA, ADA.upper()], session="s", tokens=tokens()),
            "user_ids='ADA@",
        ),
        (
            lambda m, g: m.send_message(g, "t1", [ADA], session="s", tokens={"qr": Token("JwtQrCode", "x")}),
            "tokens.qr.type='JwtQrCode'",
        ),
        (
            lambda m, g: m.send_message(
                g, "t1", [ADA], session="s", tokens={"j": Token.magic_link("ftp://x", 2)}
            ),
            "tokens.j.value.baseURL='ftp://x'",
        ),
        (lambda m, g: m.add_template(g, name="", subject="s", body="b", msg_params_map=REMINDER), "name=''"),
        (
            lambda m, g: m.add_template(g, name="n", subject="s", body="b", msg_params_map={"x": "Person"}),
            "msg_params_map.x='Person'",
        ),
        (lambda m, g: m.update_template("t1"), "changes={}"),
        (lambda m, g: m.list_templates([g], status="gone"), "status='gone'"),
        (lambda m, g: m.list_messages(["s"], page_size=0), "page_size=0"),
        (lambda m, g: m.message_stats(), "bulk_id=None"),
    ],
)
def test_bad_arguments_name_the_field_and_value_before_any_request(
    emu: EmulatorServer, messaging: MessagingClient, call: Callable[[MessagingClient, str], Any], named: str
) -> None:
    emu.control.reset_stats()
    with pytest.raises(InvalidArgumentError) as caught:
        call(messaging, "6f8a3c12-4b5d-4e9f-a1c7-8d2e3f4a5b6c")
    assert str(caught.value).startswith(named), str(caught.value)
    assert emu.control.stats()["requests"] == {}


def test_a_field_the_service_refuses_is_named(
    messaging: MessagingClient, guid: str, people: list[str]
) -> None:
    """The template defines ``joinLink``; a send without it is a 400 naming ``msgParams.joinLink``."""
    template = reminder(messaging, guid)
    partial = {"recipient": Token.recipient(), "eventName": Token.text("Q4")}
    with pytest.raises(BadRequestError) as caught:
        messaging.send_message(guid, template.id, people, session="s", tokens=partial)
    assert "msgParams.joinLink" in str(caught.value) and "HTTP 400" in str(caught.value)
    assert messaging.list_messages(["s"]) == []


def test_the_guides_bare_refusal_is_read_as_one() -> None:
    """§13 shows ``{"code", "message"}`` without ``objectType``: with a 200 it is a refusal, not a result."""
    read = refusing("message/send", shaped(EmailTemplate, "a template"), bare=True)
    with pytest.raises(ApiV3Error, match="noActiveGroups: All specified groups are inactive") as caught:
        read.parse({"code": "noActiveGroups", "message": "All specified groups are inactive"})
    assert not is_retryable(caught.value)
    plain = refusing("email-template/get", shaped(EmailTemplate, "a template"))
    with pytest.raises(ValueError):
        plain.parse({"code": "noActiveGroups", "message": "All specified groups are inactive"})


# -- unsubscribes and providers ---------------------------------------------------------


def test_who_left_which_group_is_listed_and_skipped_by_sends(
    emu: EmulatorServer, ks: KsProvider, messaging: MessagingClient, guid: str, people: list[str]
) -> None:
    emu.control.mark_unsubscribed(GRACE, ["event-reminders"])
    assert [(u.user_id, u.unsubscribed) for u in messaging.list_unsubscribed_users(page_size=1)] == [
        (GRACE, ["event-reminders"])
    ]
    grace = KsProvider(local_minter(emu.admin_secret, emu.partner_id, GRACE, session_type=USER))
    with MessagingClient(emu.messaging_url, grace) as as_grace:
        assert as_grace.user_groups_status().unsubscribed == ["event-reminders"]
    template = reminder(messaging, guid)
    bulk = messaging.send_message(guid, template.id, people, session="s", tokens=tokens())
    assert messaging.message_stats(bulk_id=bulk.bulk_id) == {"DELIVERED": 1, "ERROR": 1}
    assert [m["to"] for m in emu.control.outbox()] == [ADA]


def test_the_provider_an_app_would_send_with(messaging: MessagingClient, guid: str) -> None:
    provider = messaging.lookup_email_provider(guid)
    assert provider.partner_id == 0 and provider.status == "enabled"
    assert messaging.lookup_email_provider() == provider


# -- where the service is ---------------------------------------------------------------

KS = SecretStr("djJ8MTIzfGZpeGVk")


def test_the_region_gives_its_messaging_url_and_the_url_gives_the_region() -> None:
    assert (
        KalturaCredentials(ks=KS).resolved_messaging_url() == "https://messaging.nvp1.ovp.kaltura.com/api/v1"
    )
    eu = KalturaCredentials(ks=KS, region="eu").resolved_messaging_url()
    assert eu == "https://messaging.irp2.ovp.kaltura.com/api/v1"
    de_events = KalturaCredentials(ks=KS, events_api_url="https://events-api.frp2.ovp.kaltura.com/api/v1")
    assert de_events.resolved_messaging_url() == "https://messaging.frp2.ovp.kaltura.com/api/v1"
    assert region_of("https://messaging.irp2.ovp.kaltura.com/api/v1") == "eu"


def test_the_variable_or_the_blocks_field_points_at_the_emulator(emu: EmulatorServer) -> None:
    from_env = KalturaCredentials.from_env(emu.exports)
    block = KalturaCredentials(
        partner_id=emu.partner_id,
        user_id=emu.user_id,
        admin_secret=SecretStr(emu.admin_secret),
        events_api_url=emu.events_api_url,
        service_url=emu.service_url,
        messaging_url=emu.messaging_url,
    )
    try:
        for credentials in (from_env, block):
            client = credentials.get_messaging_client()
            assert client is credentials.get_messaging_client()
            assert client.base_url == emu.messaging_url
            assert client.list_templates(["6f8a3c12-4b5d-4e9f-a1c7-8d2e3f4a5b6c"]) == []
        assert from_env.get_messaging_client()._t.ks is from_env.get_events_client()._t.ks
    finally:
        close_cached_clients()


def test_the_emulators_urls_without_messaging_never_read_a_regions(emu: EmulatorServer) -> None:
    env = {name: value for name, value in emu.exports.items() if name != "KALTURA_MESSAGING_URL"}
    with pytest.raises(UnderivableUrlError) as caught:
        KalturaCredentials.from_env(env).get_messaging_client()
    message = str(caught.value)
    assert message.startswith("KALTURA_MESSAGING_URL is not set (the Block's messaging_url)")
    assert "kaltura.com" not in message


def test_whom_a_session_reached_is_listed_per_recipient(
    emu: EmulatorServer, messaging: MessagingClient, guid: str, people: list[str]
) -> None:
    template = reminder(messaging, guid)
    emu.control.reset_stats()
    messaging.send_message(guid, template.id, [ADA], session="town-hall", tokens=tokens())
    messaging.send_message(guid, template.id, [GRACE], session="town-hall", tokens=tokens())
    messaging.send_message(guid, template.id, [ADA], session="other", tokens=tokens())
    reached = messaging.list_discrete_messages(["town-hall"], page_size=1)
    assert sorted(m.user_id for m in reached) == sorted([ADA, GRACE])
    assert {m.session for m in reached} == {"town-hall"}
    assert requests_to(emu, "message/listDiscreteAggregateMessages") == 2
    assert [m.user_id for m in messaging.list_discrete_messages(["town-hall"], user_id=GRACE)] == [GRACE]
    assert messaging.list_discrete_messages(["town-hall"], statuses=["bounce"]) == []
    assert messaging.list_discrete_messages([]) == []
    with pytest.raises(InvalidArgumentError, match="statuses"):
        messaging.list_discrete_messages(["town-hall"], statuses=["bounced"])
