"""Registering our notification templates: the client's template calls, idempotence, the CLI.

Against the real emulator, whose request counters show what each run sent:
a second ``register`` with the same settings sends one ``list`` and no write.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaltura_events.api.api_v3 import ApiV3Client, HttpTemplateSettings, TemplateFilter
from kaltura_events.api.errors import ApiV3Error, ApiV3NotFoundError, InvalidArgumentError
from kaltura_events.api.ks import KsProvider, local_minter
from kaltura_events.api.retry import RetryPolicy
from kaltura_events.api.validation import masked_url
from kaltura_events.cli import main
from kaltura_events.credentials import close_cached_clients
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.webhooks import registration
from kaltura_events.webhooks.registration import OURS, SUBSCRIPTIONS, list_ours, register, remove
from tests.notification_receiver import notification_receiver

SERVICE = "eventnotification_eventnotificationtemplate"
TOKEN = "tok-5b1e9c"
URL = f"https://hooks.example.com/kaltura/{TOKEN}"
OTHER_URL = f"https://hooks.example.com/v2/{TOKEN}"


@pytest.fixture
def v3(emu: EmulatorServer) -> Iterator[ApiV3Client]:
    provider = KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))
    retry = RetryPolicy(base_delay=0.0)
    with ApiV3Client(emu.service_url, provider, retry=retry, sleep=lambda _: None) as client:
        yield client


def writes(emu: EmulatorServer) -> int:
    return sum(
        counts["attempted"]
        for name, counts in emu.control.stats()["writes"].items()
        if name.startswith(SERVICE)
    )


def requests(emu: EmulatorServer) -> int:
    return sum(
        sum(counts.values())
        for name, counts in emu.control.stats()["requests"].items()
        if name.startswith(SERVICE)
    )


# -- the client ------------------------------------------------------------------------


def test_client_template_round_trip(v3: ApiV3Client) -> None:
    system = {t.system_name: t for t in v3.list_system_templates()}
    assert "HTTP_ENTRY_STATUS_EQUALS" in system and all(t.partner_id == 0 for t in system.values())
    clone = v3.clone_template(
        system["HTTP_ENTRY_STATUS_EQUALS"].id,
        HttpTemplateSettings(
            system_name="MINE", url=URL, method="POST", hash_algo="sha512", json_payload=True
        ),
    )
    assert (clone.status, clone.url, clone.hash_algo, clone.system_name) == (1, URL, "sha512", "MINE")
    assert TOKEN not in repr(clone), "a receiver URL may carry a token"
    assert v3.update_template_status(clone.id, 2).active
    updated = v3.update_template(clone.id, HttpTemplateSettings(custom_headers=(("X-Env", "t"),)))
    assert [(h.key, h.value) for h in updated.custom_headers] == [("X-Env", "t")] and updated.url == URL
    assert v3.get_template(clone.id) == updated
    assert [t.id for t in v3.list_templates(TemplateFilter(status_equal=2))] == [clone.id]
    v3.delete_template(clone.id)
    with pytest.raises(ApiV3NotFoundError):
        v3.get_template(clone.id)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_template(0),
        lambda c: c.get_template("7"),
        lambda c: c.delete_template(True),
        lambda c: c.update_template_status(5, 3),
        lambda c: c.clone_template(10102, HttpTemplateSettings(url=URL)),
        lambda c: c.clone_template(10102, HttpTemplateSettings(system_name="X", hash_algo="md5")),
        lambda c: c.clone_template(10102, HttpTemplateSettings(system_name="X", method="PUT")),
        lambda c: c.update_template(5, HttpTemplateSettings(url="ftp://x.example/" + TOKEN)),
        lambda c: c.update_template(5, HttpTemplateSettings(url=f"https://u:p@x.example/{TOKEN}")),
        lambda c: c.update_template(5, HttpTemplateSettings(custom_headers=(("", "v"),))),
        lambda c: c.list_templates(TemplateFilter(order_by="+name")),
        lambda c: c.list_templates(TemplateFilter(status_equal=3)),
    ],
)
def test_arguments_are_checked_before_anything_is_sent(
    emu: EmulatorServer, v3: ApiV3Client, call: Any
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        call(v3)
    assert TOKEN not in str(caught.value)
    assert requests(emu) == 0


def test_an_api_refusal_does_not_echo_the_url(v3: ApiV3Client) -> None:
    with pytest.raises(ApiV3Error) as caught:
        v3.clone_template(842, HttpTemplateSettings(system_name="X", url=URL))
    assert caught.value.code == "EVENT_NOTIFICATION_WRONG_TYPE" and TOKEN not in str(caught.value)


def test_masked_url_keeps_scheme_and_host_only() -> None:
    assert masked_url(URL) == "https://hooks.example.com/…"
    assert masked_url("http://127.0.0.1:8080/a/b?c=d") == "http://127.0.0.1:8080/…"
    assert masked_url("no url") == "(not a URL)"


# -- registration --------------------------------------------------------------------------


def test_register_clones_activates_and_a_second_run_changes_nothing(
    emu: EmulatorServer, v3: ApiV3Client
) -> None:
    first = register(v3, URL)
    assert [(o.system_name, o.action, o.status) for o in first] == [
        (s.system_name, "created", 2) for s in SUBSCRIPTIONS
    ]
    assert all(o.url == "https://hooks.example.com/…" and o.hash_algo == "sha256" for o in first)
    templates = {t.system_name: t for t in v3.list_templates()}
    ready = templates[f"{OURS}ENTRY_READY"]
    assert (ready.url, ready.method, ready.data) == (
        URL,
        2,
        {"objectType": "KalturaHttpNotificationObjectData", "format": 1},
    )
    emu.control.reset_stats()

    second = register(v3, URL)
    assert [o.action for o in second] == ["unchanged"] * len(SUBSCRIPTIONS)
    assert (writes(emu), requests(emu)) == (0, 1), "one list, no write"


def test_register_updates_only_what_differs(emu: EmulatorServer, v3: ApiV3Client) -> None:
    register(v3, URL)
    ready = next(t for t in v3.list_templates() if t.system_name == f"{OURS}ENTRY_READY")
    v3.update_template_status(ready.id, 1)
    emu.control.reset_stats()
    outcomes = register(v3, OTHER_URL, "sha1")
    assert [o.action for o in outcomes] == ["updated", "updated"]
    assert all(o.status == 2 and o.hash_algo == "sha1" for o in outcomes)
    counted = emu.control.stats()["writes"]
    assert (
        counted[f"{SERVICE}.update"]["attempted"] == 2
        and counted[f"{SERVICE}.updateStatus"]["attempted"] == 1
    )
    assert f"{SERVICE}.clone" not in counted


def test_remove_deletes_ours_only(v3: ApiV3Client) -> None:
    theirs = v3.clone_template(10103, HttpTemplateSettings(system_name="PARTNER_OWN", url=URL))
    register(v3, URL)
    removed = remove(v3)
    assert sorted(o.system_name for o in removed) == sorted(s.system_name for s in SUBSCRIPTIONS)
    assert [t.id for t in v3.list_templates()] == [theirs.id]
    assert remove(v3) == [] and list_ours(v3) == []


def test_registered_templates_deliver_a_recording(emu: EmulatorServer, v3: ApiV3Client) -> None:
    from kaltura_events.emulator.testing import RawEventsApi

    with notification_receiver() as receiver:
        register(v3, receiver.url)
        ks = v3._t.ks.get("test")
        with RawEventsApi(emu.events_api_url, ks) as events_api:
            event = events_api.create_event(template_id="tm2000")
            session = events_api.ok("sessions/list", {"eventId": event["id"]})["sessions"][0]
        emu.control.finish_recording(session["id"])
        emu.control.finish_recording(session["id"])
        jobs = emu.control.wait_for_notifications(2)
    assert sorted(j["templateSystemName"] for j in jobs) == sorted(s.system_name for s in SUBSCRIPTIONS)
    assert all(j["state"] == "delivered" for j in jobs)


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("register"),
            st.sampled_from([URL, OTHER_URL]),
            st.sampled_from(["sha1", "sha256", "sha512"]),
        ),
        st.tuples(st.just("remove"), st.none(), st.none()),
        st.tuples(st.just("disable"), st.none(), st.none()),
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=OPERATIONS)
def test_any_sequence_of_register_and_remove_converges(
    emu: EmulatorServer, v3: ApiV3Client, operations: list[tuple[str, str | None, str | None]]
) -> None:
    emu.control.reset()
    for kind, url, algo in operations:
        if kind == "register":
            assert url is not None and algo is not None
            register(v3, url, algo)
        elif kind == "remove":
            remove(v3)
        else:  # someone disables one of ours by hand
            for template in registration.our_templates(v3)[:1]:
                v3.update_template_status(template.id, 1)
    url, algo = OTHER_URL, "sha512"
    register(v3, url, algo)
    ours = registration.our_templates(v3)
    assert sorted(t.system_name for t in ours) == sorted(s.system_name for s in SUBSCRIPTIONS)
    assert all(t.active and t.url == url and t.hash_algo == algo for t in ours)
    emu.control.reset_stats()
    assert {o.action for o in register(v3, url, algo)} == {"unchanged"}
    assert writes(emu) == 0


# -- the CLI -------------------------------------------------------------------------------


@pytest.fixture
def env(emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "KALTURA_EVENTS_API_URL": emu.events_api_url,
        "KALTURA_SERVICE_URL": emu.service_url,
        "KALTURA_PARTNER_ID": str(emu.partner_id),
        "KALTURA_ADMIN_SECRET": emu.admin_secret,
        "KALTURA_USER_ID": emu.user_id,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KALTURA_EVENTS_WEBHOOK_URL", raising=False)
    yield
    close_cached_clients()


def test_cli_register_list_remove(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["webhooks", "register", "--url", URL]) == 0
    out = capsys.readouterr()
    assert out.out.count("created, active, POST https://hooks.example.com/…") == 2
    assert TOKEN not in out.out + out.err
    assert main(["webhooks", "register", "--url", URL]) == 0
    assert capsys.readouterr().out.count(": unchanged, active") == 2
    assert main(["webhooks", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"{OURS}ENTRY_READY" in listed and TOKEN not in listed
    assert main(["webhooks", "remove"]) == 0
    assert capsys.readouterr().out.count(": deleted") == 2
    assert main(["webhooks", "list"]) == 0
    assert "No templates of ours" in capsys.readouterr().out


def test_cli_takes_the_url_from_the_environment(
    env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["webhooks", "register"]) == 2
    assert "--url" in capsys.readouterr().err
    monkeypatch.setenv("KALTURA_EVENTS_WEBHOOK_URL", URL)
    assert main(["webhooks", "register", "--hash-algo", "sha1"]) == 0
    assert "sha1" in capsys.readouterr().out


def test_cli_errors_are_one_line_without_the_url(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["webhooks", "register", "--url", f"ftp://hooks.example.com/{TOKEN}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kaltura-events: url=") and TOKEN not in err and "Traceback" not in err
    with pytest.raises(SystemExit) as usage:
        main(["webhooks", "register", "--url", URL, "--hash-algo", "md5"])
    assert usage.value.code == 2


def test_cli_without_credentials_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("KALTURA_KS", "KALTURA_ADMIN_SECRET", "KALTURA_APP_TOKEN_ID", "KALTURA_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["webhooks", "list"]) == 1
    assert "KALTURA_ADMIN_SECRET" in capsys.readouterr().err
