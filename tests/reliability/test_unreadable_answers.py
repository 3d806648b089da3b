"""Unreadable answers: every public method of every client, against every kind a proxy may send.

A real server on 127.0.0.1 answers an HTML page with 200 (echoing the request's
KS and body back), JSON cut off, ``null``, a list, a string, plain text, an
object of another shape, a missing or mistyped field, or no body. Each call
must end in one UnexpectedResponseError that names the endpoint, the status,
the content type and what was expected, and carries no KS and no secret even
though the server sent them back. Writes that can look for what they made
treat such an answer like a 5xx: they look before trying again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from kaltura_events.api.api_v3 import ApiV3Client, CategoryFilter, HttpTemplateSettings
from kaltura_events.api.app_registry import AppRegistryClient
from kaltura_events.api.errors import (
    ApiV3AuthenticationError,
    AuthenticationError,
    KalturaError,
    OutcomeUnknownError,
    ServerError,
    UnexpectedResponseError,
)
from kaltura_events.api.events import EventsClient
from kaltura_events.api.ks import ADMIN, KsProvider, build_ks_v2, local_minter
from kaltura_events.api.messaging import MessagingClient, Token
from kaltura_events.api.models import SpeakerInput
from kaltura_events.api.retry import RetryPolicy
from kaltura_events.api.user_profile import UserProfileClient
from kaltura_events.emulator.server import EmulatorProcess
from tests.bad_answers import BAD_ANSWERS, BadAnswer, BadAnswerServer, bad_answer_server

pytestmark = pytest.mark.reliability

START = datetime(2031, 5, 5, 14, 0, tzinfo=timezone.utc)
END = START + timedelta(hours=1)
ADMIN_SECRET = "short-s3cret"
"""Too short to look like a token: only knowing what was sent keeps it out of messages."""
KS = build_ks_v2("f" * 32, 7391034, "events-admin@example.com", session_type=ADMIN)
TOKEN_HASH = "9" * 64
ONE_RETRY = RetryPolicy(max_retries=1, base_delay=0.0)
TEMPLATES = "eventnotification_eventnotificationtemplate"
HOOK_TOKEN = "hook-token-4d2e"
HOOK = f"https://hooks.example.com/kaltura/{HOOK_TOKEN}"
"""A receiver URL's path may be a token: the echo page sends it back, messages must not."""


@dataclass(frozen=True)
class Call:
    name: str
    endpoint: str
    run: Callable[[Any, Any], Any]
    """Takes (EventsClient, ApiV3Client), (AppRegistryClient, UserProfileClient) when ``attendance``,
    or (MessagingClient, None) when ``messaging``."""
    needs_nothing: bool = False
    """The answer carries nothing the method uses (deletes, participant writes): any object will do."""
    v3_void: bool = False
    """An API v3 action that answers ``null``."""
    attendance: bool = False
    messaging: bool = False
    at_most_once: bool = False
    """A write never repeated after an ambiguous failure (``message/send``): one request only."""

    def on(self, clients: Clients) -> Any:
        if self.messaging:
            return self.run(clients[4], None)
        return self.run(*(clients[2:4] if self.attendance else clients[:2]))


Clients = tuple[EventsClient, ApiV3Client, AppRegistryClient, UserProfileClient, MessagingClient]
GUID = "6f8a3c12-4b5d-4e9f-a1c7-8d2e3f4a5b6c"


CALLS = (
    Call(
        "create_event",
        "events/create",
        lambda c, _: c.create_event(
            name="Town hall", template_id="tm0000", start=START, end=END, timezone="UTC"
        ),
    ),
    Call(
        "find_event_by_name_and_start", "events/list", lambda c, _: c.find_event_by_name_and_start("x", START)
    ),
    Call("update_event", "events/update", lambda c, _: c.update_event(12, name="Renamed")),
    Call("delete_event", "events/delete", lambda c, _: c.delete_event(12), needs_nothing=True),
    Call("list_events_page", "events/list", lambda c, _: c.list_events_page()),
    Call("iter_events", "events/list", lambda c, _: list(c.iter_events())),
    Call("list_all_events", "events/list", lambda c, _: c.list_all_events()),
    Call(
        "duplicate_event",
        "events/duplicate",
        lambda c, _: c.duplicate_event(12, name="Copy", timezone="UTC", start=START, end=END),
    ),
    Call("duplicate_status", "events/duplicateStatus", lambda c, _: c.duplicate_status("job-1")),
    Call(
        "create_session",
        "sessions/create",
        lambda c, _: c.create_session(12, name="Keynote", session_type="LiveWebcast", start=START, end=END),
    ),
    Call("list_sessions", "sessions/list", lambda c, _: c.list_sessions(12)),
    Call("list_speakers", "sessions/speakerList", lambda c, _: c.list_speakers(12, "0_abc")),
    Call(
        "create_team_member",
        "team-members/create",
        lambda c, _: c.create_team_member(email="a@b.example", role="Admin", first_name="A", last_name="B"),
    ),
    Call("list_team_members", "team-members/list", lambda c, _: c.list_team_members()),
    Call("update_team_member", "team-members/update", lambda c, _: c.update_team_member("m1", role="Admin")),
    Call("delete_team_member", "team-members/delete", lambda c, _: c.delete_team_member("m1"), True),
    Call(
        "invite_event_user",
        "event-users/invite",
        lambda c, _: c.invite_event_user(12, first_name="A", last_name="B", email="a@b.example"),
    ),
    Call("list_event_users", "event-users/list", lambda c, _: c.list_event_users(12)),
    Call("fold_event_users", "event-users/list", lambda c, _: c.fold_event_users(12, lambda users: None)),
    Call("find_event_user", "event-users/list", lambda c, _: c.find_event_user(12, "ada@example.com")),
    Call("update_event_user", "event-users/update", lambda c, _: c.update_event_user(12, "u1", title="CEO")),
    Call("delete_event_user", "event-users/delete", lambda c, _: c.delete_event_user(12, "u1"), True),
    Call(
        "add_session_participants",
        "session-participants/add",
        lambda c, _: c.add_session_participants(12, "0_abc", speakers=(SpeakerInput("u1"),)),
        needs_nothing=True,
    ),
    Call(
        "remove_session_participants",
        "session-participants/remove",
        lambda c, _: c.remove_session_participants(12, "0_abc", speaker_ids=("u1",)),
        needs_nothing=True,
    ),
    Call(
        "update_session_participants",
        "session-participants/update",
        lambda c, _: c.update_session_participants(12, "0_abc", speakers=(SpeakerInput("u1"),)),
        needs_nothing=True,
    ),
    Call(
        "list_session_participants",
        "session-participants/list",
        lambda c, _: c.list_session_participants(12, "0_abc"),
    ),
    Call(
        "start_session",
        "session.start",
        lambda _, v3: v3.start_session(secret=ADMIN_SECRET, partner_id=7391034, user_id="admin"),
    ),
    Call(
        "start_widget_session", "session.startWidgetSession", lambda _, v3: v3.start_widget_session(7391034)
    ),
    Call(
        "start_app_token_session",
        "appToken.startSession",
        lambda _, v3: v3.start_app_token_session(
            widget_ks=KS, token_id="0_token", token_hash=TOKEN_HASH, user_id="admin"
        ),
    ),
    Call(
        "list_categories_page",
        "category.list",
        lambda _, v3: v3.list_categories_page(CategoryFilter(full_name_equal="x")),
    ),
    Call("iter_categories", "category.list", lambda _, v3: list(v3.iter_categories(CategoryFilter()))),
    Call("list_categories", "category.list", lambda _, v3: v3.list_categories(CategoryFilter())),
    Call("delete_category", "category.delete", lambda _, v3: v3.delete_category(5), v3_void=True),
    Call("list_system_templates", f"{TEMPLATES}.listTemplates", lambda _, v3: v3.list_system_templates()),
    Call("list_templates", f"{TEMPLATES}.list", lambda _, v3: v3.list_templates()),
    Call("get_template", f"{TEMPLATES}.get", lambda _, v3: v3.get_template(26970222)),
    Call(
        "clone_template",
        f"{TEMPLATES}.clone",
        lambda _, v3: v3.clone_template(
            10102, HttpTemplateSettings(system_name="KALTURA_EVENTS_X", url=HOOK)
        ),
    ),
    Call(
        "update_template",
        f"{TEMPLATES}.update",
        lambda _, v3: v3.update_template(26970222, HttpTemplateSettings(url=HOOK)),
    ),
    Call(
        "update_template_status",
        f"{TEMPLATES}.updateStatus",
        lambda _, v3: v3.update_template_status(26970222, 2),
    ),
    Call("delete_template", f"{TEMPLATES}.delete", lambda _, v3: v3.delete_template(26970222), v3_void=True),
    Call("add_user", "user.add", lambda _, v3: v3.add_user("ada@example.com", email="ada@example.com")),
    Call("get_user", "user.get", lambda _, v3: v3.get_user("ada@example.com")),
    Call("get_entry", "baseEntry.get", lambda _, v3: v3.get_entry("1_rec00001")),
    Call("list_apps", "app-registry/list", lambda ar, _: ar.list_apps(["12"]), attendance=True),
    Call("get_app", "app-registry/get", lambda ar, _: ar.get_app(GUID), attendance=True),
    Call("list_profiles", "user-profile/list", lambda _, up: up.list_profiles([GUID]), attendance=True),
    Call(
        "fold_profiles",
        "user-profile/list",
        lambda _, up: up.fold_profiles([GUID], lambda rows: None),
        attendance=True,
    ),
    Call(
        "find_profile",
        "user-profile/list",
        lambda _, up: up.find_profile(GUID, "a@b.example"),
        attendance=True,
    ),
    Call(
        "event_data_stats",
        "reports/eventDataStats",
        lambda _, up: up.event_data_stats([GUID]),
        attendance=True,
    ),
    Call(
        "add_profile",
        "user-profile/add",
        lambda _, up: up.add_profile(GUID, "a@b.example", attendance_status="registered"),
        attendance=True,
    ),
    Call(
        "update_profile_status",
        "user-profile/update",
        lambda _, up: up.update_profile_status("6620a1b2c3d4e5f6a7b8c9d0", "attended"),
        attendance=True,
    ),
    Call(
        "delete_profile",
        "user-profile/delete",
        lambda _, up: up.delete_profile("6620a1b2c3d4e5f6a7b8c9d0"),
        needs_nothing=True,
        attendance=True,
    ),
    Call(
        "add_template",
        "email-template/add",
        lambda m, _: m.add_template(
            GUID,
            name="Reminder",
            subject="Soon",
            body="<p>{recipient.firstName}</p>",
            msg_params_map={"recipient": "User"},
        ),
        messaging=True,
    ),
    Call("get_template", "email-template/get", lambda m, _: m.get_template("t1"), messaging=True),
    Call(
        "update_template",
        "email-template/update",
        lambda m, _: m.update_template("t1", subject="S"),
        messaging=True,
    ),
    Call("list_templates", "email-template/list", lambda m, _: m.list_templates([GUID]), messaging=True),
    Call(
        "delete_template",
        "email-template/delete",
        lambda m, _: m.delete_template("t1"),
        needs_nothing=True,
        messaging=True,
    ),
    Call(
        "send_message",
        "message/send",
        lambda m, _: m.send_message(
            GUID, "t1", ["a@b.example"], session="s", tokens={"recipient": Token.recipient()}
        ),
        messaging=True,
        at_most_once=True,
    ),
    Call("list_messages", "message/list", lambda m, _: m.list_messages(["s"]), messaging=True),
    Call("message_stats", "message/stats", lambda m, _: m.message_stats(session="s"), messaging=True),
    Call(
        "list_discrete_messages",
        "message/listDiscreteAggregateMessages",
        lambda m, _: m.list_discrete_messages(["s"]),
        messaging=True,
    ),
    Call(
        "list_unsubscribed_users",
        "unsubscribe-users/list",
        lambda m, _: m.list_unsubscribed_users(),
        messaging=True,
    ),
    Call(
        "user_groups_status",
        "unsubscribe-users/userGroupsStatus",
        lambda m, _: m.user_groups_status(),
        messaging=True,
    ),
    Call(
        "lookup_email_provider",
        "email-provider/lookup",
        lambda m, _: m.lookup_email_provider(GUID),
        messaging=True,
    ),
)


def readable(call: Call, answer: BadAnswer) -> bool:
    if call.needs_nothing or call.v3_void:
        return answer.readable_as_acknowledgement or (call.v3_void and answer.name == "json-null")
    return False


CASES = [
    pytest.param(call, answer, id=f"{call.name}-{answer.name}")
    for call in CALLS
    for answer in BAD_ANSWERS
    if not readable(call, answer)
]


@pytest.fixture(scope="module")
def server() -> Iterator[BadAnswerServer]:
    with bad_answer_server() as running:
        yield running


@pytest.fixture(scope="module")
def clients(server: BadAnswerServer) -> Iterator[Clients]:
    fixed = KsProvider(fixed_ks=KS)
    no_sleep: Callable[[float], None] = lambda _seconds: None  # noqa: E731
    options: dict[str, Any] = {"retry": ONE_RETRY, "timeout": 5.0, "sleep": no_sleep}
    with (
        EventsClient(server.events_api_url, fixed, **options) as events,
        ApiV3Client(server.service_url, fixed, **options) as v3,
        AppRegistryClient(server.app_registry_url, fixed, **options) as registry,
        UserProfileClient(server.user_profile_url, fixed, **options) as profiles,
        MessagingClient(server.messaging_url, fixed, **options) as messaging,
    ):
        yield events, v3, registry, profiles, messaging


def assert_secret_free(text: str) -> None:
    for secret in (KS, ADMIN_SECRET, TOKEN_HASH, KS[:24], KS[-24:], HOOK_TOKEN):
        assert secret not in text


def test_there_are_at_least_seven_kinds_and_every_public_method_is_covered() -> None:
    assert len(BAD_ANSWERS) >= 7
    public = {
        name
        for cls in (EventsClient, ApiV3Client, AppRegistryClient, UserProfileClient, MessagingClient)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_") and name != "close"
    }
    assert public == {call.name for call in CALLS}


@pytest.mark.parametrize(("call", "answer"), CASES)
def test_an_unreadable_answer_is_one_error_naming_endpoint_status_and_what_was_expected(
    server: BadAnswerServer, clients: Clients, call: Call, answer: BadAnswer
) -> None:
    server.answer_with(answer.name)
    with pytest.raises((UnexpectedResponseError, OutcomeUnknownError)) as caught:
        call.on(clients)
    error = caught.value
    if call.at_most_once:
        assert isinstance(error, OutcomeUnknownError) and server.requests[call.endpoint] == 1
        assert_secret_free(str(error))
        error = error.failure
    assert isinstance(error, UnexpectedResponseError)
    message = str(error)
    assert message.startswith(f"{call.endpoint}: HTTP {answer.status}: unreadable answer"), message
    assert error.endpoint == call.endpoint and error.status_code == answer.status
    assert answer.content_type.split(";")[0] in message
    assert "expected " in message and error.expected in message
    assert_secret_free(message)
    assert_secret_free(repr(error.args))
    if error.__cause__ is not None:
        assert isinstance(error.__cause__, KalturaError), "the cause is a look-up, never a parse error"
        assert_secret_free(str(error.__cause__))
    assert (
        server.requests[call.endpoint] == 1 + ONE_RETRY.max_retries
        or error.__cause__ is not None
        or call.at_most_once
    )


@pytest.mark.parametrize("call", [c for c in CALLS if c.needs_nothing or c.v3_void], ids=lambda c: c.name)
def test_answers_carrying_nothing_needed_are_accepted_when_they_are_json_objects_or_empty(
    server: BadAnswerServer, clients: Clients, call: Call
) -> None:
    for answer in BAD_ANSWERS:
        if readable(call, answer):
            server.answer_with(answer.name)
            assert call.on(clients) is None


def test_the_echoed_ks_would_have_been_there_without_the_scrub(server: BadAnswerServer) -> None:
    """The HTML page really carries the KS and the secret; the messages above left them out."""
    server.answer_with("html-200")
    response = httpx.post(
        f"{server.service_url}/service/session/action/start",
        json={"secret": ADMIN_SECRET},
        headers={"Authorization": f"Bearer {KS}"},
    )
    assert KS in response.text and ADMIN_SECRET in response.text


def test_an_api_v3_refusal_quoting_the_ks_does_not_repeat_it(
    server: BadAnswerServer, clients: Clients
) -> None:
    """Kaltura words INVALID_KS as 'Invalid KS "<the KS>"'; the error keeps the words, not the KS."""
    server.answer_with("v3-invalid-ks-echo")
    with pytest.raises(AuthenticationError) as caught:
        clients[1].list_categories_page(CategoryFilter())
    message = str(caught.value)
    assert 'INVALID_KS: Invalid KS "[redacted]"' in message, "the API's words stay"
    assert_secret_free(message)
    refusal = caught.value.__context__
    assert isinstance(refusal, ApiV3AuthenticationError)
    assert_secret_free(str(refusal))
    assert_secret_free(repr(vars(refusal)))


# -- writes: an unreadable answer is ambiguous, so look before trying again ---------------


@pytest.fixture
def proxy(emu: EmulatorProcess) -> Iterator[BadAnswerServer]:
    with bad_answer_server(upstream=emu.base_url) as running:
        yield running


@pytest.fixture
def through_proxy(proxy: BadAnswerServer, emu: EmulatorProcess) -> Iterator[EventsClient]:
    provider = KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))
    fast = RetryPolicy(max_retries=2, base_delay=0.0)
    with EventsClient(
        proxy.events_api_url, provider, retry=fast, timeout=5.0, sleep=lambda _: None
    ) as client:
        yield client


def test_a_create_whose_answer_a_proxy_mangled_is_adopted_not_repeated(
    proxy: BadAnswerServer, through_proxy: EventsClient, emu: EmulatorProcess
) -> None:
    proxy.answer_with("html-200", "events/create", after_upstream=True)
    event = through_proxy.create_event(
        name="Mangled town hall", template_id="tm0000", start=START, end=END, timezone="UTC"
    )
    events = emu.control.state()["events"]
    assert [e["id"] for e in events] == [event.id]
    assert proxy.requests["events/create"] == 1, "found by its look-up, never sent twice"


def test_an_ambiguous_write_whose_look_up_fails_names_the_write_first(
    proxy: BadAnswerServer, through_proxy: EventsClient, emu: EmulatorProcess
) -> None:
    emu.control.set_faults([{"endpoint": "events/create", "kind": "error_after_commit", "rate": 1.0}])
    proxy.answer_with("html-200", "events/list")
    with pytest.raises(ServerError) as caught:
        through_proxy.create_event(
            name="Unknown town hall", template_id="tm0000", start=START, end=END, timezone="UTC"
        )
    message = str(caught.value)
    assert message.startswith("events/create: HTTP 500: ")
    assert "; looking for what it may have created, events/list: HTTP 200: unreadable answer" in message
    assert isinstance(caught.value.__cause__, UnexpectedResponseError)
    assert_secret_free(message)
    assert proxy.requests["events/create"] == 1, "the look-up failed, so the write was not repeated"
    assert len(emu.control.state()["events"]) == 1
