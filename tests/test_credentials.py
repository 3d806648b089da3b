"""KalturaCredentials: Prefect's Block standards, validation, URLs, environment, secrets, clients.

None of Prefect's standard Block tests needs a Prefect server (they read class
attributes and docstrings), and nothing else here saves or loads a Block, so
this file starts no Prefect server or ``prefect_test_harness``: it runs in a
couple of seconds. The clients are exercised against the real emulator.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prefect.blocks.core import Block
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from pydantic import SecretStr, ValidationError

from kaltura_events.api.api_v3 import CategoryFilter
from kaltura_events.api.errors import (
    AuthenticationError,
    ConnectionFailedError,
    InvalidArgumentError,
    ServerError,
)
from kaltura_events.api.events import EventsClient
from kaltura_events.api.ks import parse_ks
from kaltura_events.api.retry import RetryPolicy
from kaltura_events.credentials import (
    REGIONS,
    URL_FIELDS,
    KalturaCredentials,
    UnderivableUrlError,
    close_cached_clients,
    region_urls,
    require_safe_url,
)
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.environment import ENV_VARS, VARIABLE_OF, CredentialsError

ADMIN_SECRET = "admin-secret-9f8e7d6c5b4a"
KS_VALUE = "djJ8MTIzfGZpeGVkLWtzLXZhbHVlLTAxMjM0NTY3ODk="
KS = SecretStr(KS_VALUE)
APP_TOKEN = "app-token-0a1b2c3d4e5f6a7b"
LOCAL = {"events_api_url": "http://127.0.0.1:9/api/v1", "service_url": "http://127.0.0.1:9/api_v3"}


class TestKalturaCredentialsFollowsPrefectBlockStandards(BlockStandardTestSuite):
    @pytest.fixture
    def block(self) -> type[Block]:
        return KalturaCredentials

    def test_has_a_valid_image(self, block: type[Block]) -> None:
        """Prefect's own check downloads the logo; we ship none on purpose.

        A logo URL would make every browser that opens the Blocks page fetch from a third-party
        host, which corporate proxies log or block; the UI shows its default icon instead.
        """
        assert block._logo_url is None


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Cached clients outlive a test otherwise; each test starts with an empty cache."""
    close_cached_clients()
    yield
    close_cached_clients()


def assert_hidden(secret: str, text: str) -> None:
    """Not the secret, and not any 8-character piece of it (pydantic truncates long inputs)."""
    pieces = {secret[i : i + 8] for i in range(max(1, len(secret) - 7))}
    shown = sorted(piece for piece in pieces if piece in text)
    assert not shown, f"pieces of a secret appear in: {text}"


def validation_message(**fields: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        KalturaCredentials(**fields)
    return str(caught.value)


# -- exactly one auth mode -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "mode"),
    [
        ({"ks": KS_VALUE}, "ks"),
        ({"partner_id": 1, "admin_secret": ADMIN_SECRET, "user_id": "bot"}, "admin_secret"),
        (
            {"partner_id": 1, "admin_secret": ADMIN_SECRET, "user_id": "bot", "use_session_start": True},
            "admin_secret",
        ),
        ({"partner_id": 1, "app_token_id": "1_x", "app_token": APP_TOKEN, "user_id": "bot"}, "app_token"),
    ],
)
def test_each_auth_mode_alone_is_accepted(fields: dict[str, Any], mode: str) -> None:
    block = KalturaCredentials(**fields)
    assert block.auth_modes() == [mode]


def test_no_auth_mode_is_refused() -> None:
    message = validation_message(partner_id=1, user_id="bot")
    assert "exactly one auth mode" in message
    assert "found: none" in message
    for field in ("ks", "admin_secret", "app_token_id", "app_token", "partner_id", "user_id"):
        assert field in message


def test_two_auth_modes_are_refused() -> None:
    message = validation_message(ks=KS_VALUE, partner_id=1, admin_secret=ADMIN_SECRET, user_id="bot")
    assert "found: ks, admin_secret" in message


def test_three_auth_modes_are_refused() -> None:
    message = validation_message(
        ks=KS_VALUE,
        partner_id=1,
        admin_secret=ADMIN_SECRET,
        app_token_id="1_x",
        app_token=APP_TOKEN,
        user_id="bot",
    )
    assert "found: ks, admin_secret, app_token" in message


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"app_token_id": "1_x"}, id="id-without-token"),
        pytest.param({"app_token": APP_TOKEN}, id="token-without-id"),
    ],
)
def test_app_token_mode_needs_both_id_and_token(fields: dict[str, Any]) -> None:
    message = validation_message(partner_id=1, user_id="bot", **fields)
    assert "app_token_id" in message
    assert "app_token" in message


@pytest.mark.parametrize(
    ("fields", "mode"),
    [
        pytest.param({"partner_id": 1, "admin_secret": ADMIN_SECRET}, "admin_secret", id="secret-no-user"),
        pytest.param(
            {"admin_secret": ADMIN_SECRET, "user_id": "bot"}, "admin_secret", id="secret-no-partner"
        ),
        pytest.param(
            {"app_token_id": "1_x", "app_token": APP_TOKEN, "partner_id": 1}, "app_token", id="token-no-user"
        ),
        pytest.param(
            {"partner_id": 1, "admin_secret": ADMIN_SECRET, "user_id": ""}, "admin_secret", id="empty-user"
        ),
    ],
)
def test_secret_and_token_modes_need_partner_and_user(fields: dict[str, Any], mode: str) -> None:
    message = validation_message(**fields)
    assert f"auth mode {mode} needs partner_id and user_id" in message


def test_field_limits_are_checked() -> None:
    assert "partner_id" in validation_message(partner_id=0, admin_secret=ADMIN_SECRET, user_id="bot")
    assert "max_retries" in validation_message(ks=KS_VALUE, max_retries=-1)
    assert "ks_expiry_seconds" in validation_message(ks=KS_VALUE, ks_expiry_seconds=10)
    assert "request_timeout_seconds" in validation_message(ks=KS_VALUE, request_timeout_seconds=0)
    assert "region" in validation_message(ks=KS_VALUE, region="mars")


# -- URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/api/v1",
        "http://127.0.0.1:8080/api/v1",
        "http://127.3.2.1/api/v1",
        "http://localhost/api/v1",
        "http://localhost:5000/api/v1",
        "http://[::1]:8/api/v1",
        "https://example.com/api/v1",
        "https://10.0.0.7:8443/api/v1",
        "https://events-api.nvp1.ovp.kaltura.com/api/v1",
    ],
)
def test_https_or_loopback_http_is_allowed(url: str) -> None:
    assert require_safe_url("events_api_url", url) == url
    block = KalturaCredentials(ks=KS, events_api_url=url, service_url=url.replace("api/v1", "api_v3"))
    assert block.resolved_urls()[0] == url


def test_a_trailing_slash_is_dropped() -> None:
    assert require_safe_url("service_url", "https://example.com/api_v3/") == "https://example.com/api_v3"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/api/v1",
        "http://10.0.0.7/api/v1",
        "http://0.0.0.0:8000/api/v1",
        "http://localhost.example.com/api/v1",
    ],
)
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        require_safe_url("events_api_url", url)
    assert caught.value.field == "events_api_url"
    assert "https" in str(caught.value)
    message = validation_message(ks=KS_VALUE, events_api_url=url)
    assert "events_api_url" in message
    assert url in message


def test_the_service_url_is_checked_too() -> None:
    message = validation_message(ks=KS_VALUE, service_url="http://example.com/api_v3")
    assert "service_url" in message
    assert "http://example.com/api_v3" in message


@pytest.mark.parametrize("url", ["ftp://example.com/api/v1", "example.com/api/v1", "https:///api/v1", ""])
def test_what_is_not_an_http_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidArgumentError, match="expected an http"):
        require_safe_url("events_api_url", url)


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("https://bot:hunter2-pass@example.com/api/v1", "hunter2-pass"),
        ("http://bot:hunter2-pass@127.0.0.1/api/v1", "hunter2-pass"),
        (f"https://example.com/api/v1?ks={KS_VALUE}", KS_VALUE),
        (f"http://127.0.0.1:8/api/v1?ks={KS_VALUE}", KS_VALUE),
        (f"https://example.com/api/v1#ks={KS_VALUE}", KS_VALUE),
    ],
)
def test_urls_carrying_credentials_are_refused_without_echoing_them(url: str, secret: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        require_safe_url("events_api_url", url)
    assert "credentials" in str(caught.value)
    assert_hidden(secret, str(caught.value))
    assert_hidden(secret, repr(caught.value.value))
    message = validation_message(ks="another-ks", events_api_url=url)
    assert "events_api_url" in message
    assert_hidden(secret, message)


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_region_presets_resolve_to_https(region: Any) -> None:
    block = KalturaCredentials(ks=KS, region=region)
    events, service = block.resolved_urls()
    assert (events, service) == REGIONS[region]
    assert events.startswith("https://") and events.endswith("/api/v1")
    assert service.startswith("https://") and service.endswith("/api_v3")


def resolved(block: KalturaCredentials) -> dict[str, str]:
    return {field: block.resolved_url(field) for field in URL_FIELDS}


@given(
    st.sampled_from(sorted(REGIONS)), st.sampled_from(sorted(REGIONS)), st.sets(st.sampled_from(URL_FIELDS))
)
def test_a_regions_url_gives_that_regions_other_urls(region: Any, other: Any, given_fields: set[str]) -> None:
    """Whatever the region field says: the URLs set decide, and they are one region's."""
    urls = region_urls(region)
    settings: dict[str, Any] = {field: urls[field] for field in given_fields}
    block = KalturaCredentials(ks=KS, region=other, **settings)
    assert resolved(block) == (urls if given_fields else region_urls(other))


@given(st.sets(st.sampled_from(URL_FIELDS), min_size=1), st.integers(1024, 65535))
def test_a_url_of_no_region_needs_the_others_set_too(given_fields: set[str], port: int) -> None:
    """An emulator or a proxy: each unset URL is an error naming its variable and the URLs set."""
    urls = {field: f"http://127.0.0.1:{port}/{field}" for field in URL_FIELDS}
    settings: dict[str, Any] = {field: urls[field] for field in given_fields}
    if {"events_api_url", "service_url"} <= given_fields:
        block = KalturaCredentials(ks=KS, region="eu", **settings)
    else:
        with pytest.raises(ValidationError, match=r"KALTURA_(EVENTS_API|SERVICE)_URL is not set"):
            KalturaCredentials(ks=KS, region="eu", **settings)
        block = KalturaCredentials.model_construct(ks=KS, region="eu", **settings)
    for field in URL_FIELDS:
        if field in given_fields:
            assert block.resolved_url(field) == urls[field]
            continue
        with pytest.raises(UnderivableUrlError) as caught:
            block.resolved_url(field)
        message = str(caught.value)
        assert message.startswith(f"{VARIABLE_OF[field]} is not set")
        assert all(f"{VARIABLE_OF[name]}={urls[name]}" in message for name in given_fields), message
        assert isinstance(caught.value, CredentialsError)


def test_urls_of_two_regions_give_no_third() -> None:
    eu, de = region_urls("eu"), region_urls("de")
    block = KalturaCredentials(ks=KS, events_api_url=eu["events_api_url"], service_url=de["service_url"])
    with pytest.raises(UnderivableUrlError, match="KALTURA_APP_REGISTRY_URL is not set"):
        block.resolved_attendance_urls()


def test_the_emulators_events_url_alone_never_reads_a_regions_app_registry(emu: EmulatorServer) -> None:
    """The issue: KALTURA_EVENTS_API_URL set, no KALTURA_APP_REGISTRY_URL, and the NVP registry was read."""
    env = {name: value for name, value in emu.exports.items() if "APP_REGISTRY" not in name}
    credentials = KalturaCredentials.from_env(env)
    with pytest.raises(CredentialsError) as caught:
        credentials.get_app_registry_client()
    message = str(caught.value)
    assert "KALTURA_APP_REGISTRY_URL is not set" in message
    assert f"KALTURA_EVENTS_API_URL={emu.events_api_url}" in message
    assert "kaltura.com" not in message
    assert credentials.resolved_url("user_profile_url") == emu.user_profile_url, "a set URL is used as given"


def test_a_url_that_cannot_be_reached_is_named_with_its_variable() -> None:
    """Nothing listens on port 9 of loopback: the error says which URL was tried and what sets it."""
    local: dict[str, Any] = LOCAL
    block = KalturaCredentials(
        ks=KS,
        **local,
        app_registry_url="http://127.0.0.1:9/app-registry/api/v1",
        user_profile_url="http://127.0.0.1:9/user-profile/api/v1",
        max_retries=0,
    )
    with pytest.raises(ConnectionFailedError) as caught:
        block.get_app_registry_client().list_apps(["12"])
    message = str(caught.value)
    assert "app-registry/list: could not connect to http://127.0.0.1:9/app-registry/api/v1" in message
    assert "KALTURA_APP_REGISTRY_URL (the Block's app_registry_url) sets this URL" in message
    region = KalturaCredentials(ks=KS, max_retries=0)
    assert "is a Kaltura region's; set KALTURA_USER_PROFILE_URL" in region.url_hint("user_profile_url")


# -- the environment ------------------------------------------------------------------


def test_from_env_admin_secret_mode() -> None:
    block = KalturaCredentials.from_env(
        {
            "KALTURA_EVENTS_API_URL": LOCAL["events_api_url"],
            "KALTURA_SERVICE_URL": LOCAL["service_url"],
            "KALTURA_PARTNER_ID": "4815162",
            "KALTURA_ADMIN_SECRET": ADMIN_SECRET,
            "KALTURA_USER_ID": "bot@example.com",
            "KALTURA_KS": "",
            "UNRELATED": "x",
        }
    )
    assert block.auth_modes() == ["admin_secret"]
    assert block.partner_id == 4815162
    assert block.user_id == "bot@example.com"
    assert isinstance(block.admin_secret, SecretStr)
    assert block.admin_secret.get_secret_value() == ADMIN_SECRET
    assert block.resolved_urls() == (LOCAL["events_api_url"], LOCAL["service_url"])


def test_from_env_ks_mode_with_a_region() -> None:
    block = KalturaCredentials.from_env({"KALTURA_KS": KS_VALUE, "KALTURA_REGION": "de"})
    assert block.auth_modes() == ["ks"]
    assert block.ks is not None and block.ks.get_secret_value() == KS_VALUE
    assert block.resolved_urls() == REGIONS["de"]


def test_from_env_app_token_mode() -> None:
    block = KalturaCredentials.from_env(
        {
            "KALTURA_PARTNER_ID": "12",
            "KALTURA_USER_ID": "bot",
            "KALTURA_APP_TOKEN_ID": "1_abc",
            "KALTURA_APP_TOKEN": APP_TOKEN,
            "KALTURA_APP_TOKEN_HASH_TYPE": "SHA1",
        }
    )
    assert block.auth_modes() == ["app_token"]
    assert (block.app_token_id, block.app_token_hash_type) == ("1_abc", "SHA1")
    assert block.app_token is not None and block.app_token.get_secret_value() == APP_TOKEN


def test_from_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KALTURA_KS", KS_VALUE)
    monkeypatch.setenv("KALTURA_REGION", "eu")
    block = KalturaCredentials.from_env()
    assert block.auth_modes() == ["ks"]
    assert block.region == "eu"


@pytest.mark.parametrize("value", ["12a", "1.5", "0x10", " "])
def test_from_env_bad_partner_id_names_the_variable(value: str) -> None:
    env = {"KALTURA_PARTNER_ID": value, "KALTURA_ADMIN_SECRET": ADMIN_SECRET, "KALTURA_USER_ID": "bot"}
    with pytest.raises(InvalidArgumentError) as caught:
        KalturaCredentials.from_env(env)
    assert caught.value.field == "KALTURA_PARTNER_ID"
    assert "KALTURA_PARTNER_ID" in str(caught.value)
    assert ADMIN_SECRET not in str(caught.value)


def test_from_env_conflicting_modes_are_refused() -> None:
    env = {
        "KALTURA_KS": KS_VALUE,
        "KALTURA_PARTNER_ID": "12",
        "KALTURA_ADMIN_SECRET": ADMIN_SECRET,
        "KALTURA_USER_ID": "bot",
    }
    with pytest.raises(CredentialsError) as caught:
        KalturaCredentials.from_env(env)
    assert "KALTURA_KS and KALTURA_ADMIN_SECRET are both set" in str(caught.value)
    assert ADMIN_SECRET not in str(caught.value) and KS_VALUE not in str(caught.value)


def test_from_env_with_nothing_set_says_what_to_set_in_one_line() -> None:
    with pytest.raises(CredentialsError) as caught:
        KalturaCredentials.from_env({})
    message = str(caught.value)
    assert message.startswith("no Kaltura credentials")
    assert "KALTURA_ADMIN_SECRET" in message and "Credentials Block" in message
    assert "\n" not in message and "pydantic" not in message


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"KALTURA_ADMIN_SECRET": ADMIN_SECRET, "KALTURA_USER_ID": "bot"}, "KALTURA_PARTNER_ID"),
        ({"KALTURA_ADMIN_SECRET": ADMIN_SECRET, "KALTURA_PARTNER_ID": "12"}, "KALTURA_USER_ID"),
        (
            {"KALTURA_APP_TOKEN_ID": "0_tok", "KALTURA_PARTNER_ID": "12", "KALTURA_USER_ID": "b"},
            "KALTURA_APP_TOKEN",
        ),
        (
            {"KALTURA_APP_TOKEN": ADMIN_SECRET, "KALTURA_PARTNER_ID": "12", "KALTURA_USER_ID": "b"},
            "KALTURA_APP_TOKEN_ID",
        ),
    ],
)
def test_from_env_with_half_an_auth_mode_names_the_missing_variable(
    env: dict[str, str], missing: str
) -> None:
    with pytest.raises(CredentialsError) as caught:
        KalturaCredentials.from_env(env)
    assert f"also need {missing}," in str(caught.value)
    assert ADMIN_SECRET not in str(caught.value)


def test_from_env_bad_url_names_the_variable_without_pydantic_links() -> None:
    env = {"KALTURA_KS": KS_VALUE, "KALTURA_EVENTS_API_URL": "ftp://example.com/api"}
    with pytest.raises(CredentialsError) as caught:
        KalturaCredentials.from_env(env)
    assert "KALTURA_EVENTS_API_URL" in str(caught.value) or "events_api_url" in str(caught.value)
    assert "errors.pydantic.dev" not in str(caught.value) and KS_VALUE not in str(caught.value)


# -- secrets never leave --------------------------------------------------------------


SECRET_BLOCKS = [
    pytest.param({"ks": KS_VALUE}, KS_VALUE, id="ks"),
    pytest.param({"partner_id": 1, "admin_secret": ADMIN_SECRET, "user_id": "bot"}, ADMIN_SECRET, id="admin"),
    pytest.param(
        {"partner_id": 1, "app_token_id": "1_x", "app_token": APP_TOKEN, "user_id": "bot"},
        APP_TOKEN,
        id="app-token",
    ),
]


@pytest.mark.parametrize(("fields", "secret"), SECRET_BLOCKS)
def test_secrets_are_masked_in_every_rendering(fields: dict[str, Any], secret: str) -> None:
    block = KalturaCredentials(**fields)
    renderings = [
        repr(block),
        str(block),
        f"{block}",
        str(block.model_dump()),
        json.dumps(block.model_dump(mode="json")),
        block.model_dump_json(),
    ]
    for text in renderings:
        assert secret not in text
    assert "**********" in block.model_dump_json()


@pytest.mark.parametrize(("fields", "secret"), SECRET_BLOCKS)
def test_validation_errors_do_not_show_the_secrets(fields: dict[str, Any], secret: str) -> None:
    with pytest.raises(ValidationError) as caught:
        KalturaCredentials(events_api_url="http://example.com/api/v1", **fields)
    assert "events_api_url" in str(caught.value)
    assert_hidden(secret, str(caught.value))
    assert_hidden(secret, repr(caught.value))


def test_a_mode_conflict_error_does_not_show_the_secrets() -> None:
    fields: dict[str, Any] = {
        "ks": KS_VALUE,
        "partner_id": 1,
        "admin_secret": ADMIN_SECRET,
        "app_token": APP_TOKEN,
        "user_id": "bot",
    }
    with pytest.raises(ValidationError) as caught:
        KalturaCredentials(**fields)
    for secret in (KS_VALUE, ADMIN_SECRET, APP_TOKEN):
        assert_hidden(secret, str(caught.value))


# -- clients against the emulator -----------------------------------------------------


def emulator_block(emu: EmulatorServer, **fields: Any) -> KalturaCredentials:
    settings: dict[str, Any] = {
        "events_api_url": emu.events_api_url,
        "service_url": emu.service_url,
        "retry_base_delay_seconds": 0.01,
    }
    return KalturaCredentials(**{**settings, **fields})


def requests_to(emu: EmulatorServer, endpoint: str) -> dict[str, int]:
    counts: dict[str, int] = emu.control.stats()["requests"].get(endpoint, {})
    return counts


def local_ks_block(emu: EmulatorServer, **fields: Any) -> KalturaCredentials:
    return emulator_block(
        emu, partner_id=emu.partner_id, admin_secret=emu.admin_secret, user_id=emu.user_id, **fields
    )


def assert_lists_events(client: EventsClient, emu: EmulatorServer) -> None:
    emu.control.bulk_events(3, "Town hall")
    page = client.list_events_page()
    assert page.total_count == 3
    assert [e.name for e in page.events] == ["Town hall 1", "Town hall 2", "Town hall 3"]


def test_events_client_with_a_locally_built_ks(emu: EmulatorServer) -> None:
    client = local_ks_block(emu).get_events_client()
    assert_lists_events(client, emu)
    stats = emu.control.stats()["requests"]
    assert set(stats) == {"events/list"}  # no session call: the KS v2 is built locally


def test_events_client_with_session_start(emu: EmulatorServer) -> None:
    block = local_ks_block(emu, use_session_start=True)
    client = block.get_events_client()
    assert_lists_events(client, emu)
    assert requests_to(emu, "session.start") == {"200": 1}
    # the API v3 client of the same Block shares the KS: no second session.start
    block.get_api_v3_client().list_categories(CategoryFilter())
    assert requests_to(emu, "session.start") == {"200": 1}
    assert requests_to(emu, "category.list") == {"200": 1}


@pytest.mark.parametrize("hash_type", ["SHA256", "SHA1"])
def test_events_client_with_an_app_token(emu: EmulatorServer, hash_type: str) -> None:
    token = emu.control.create_app_token(hash_type)
    block = emulator_block(
        emu,
        partner_id=emu.partner_id,
        app_token_id=token["id"],
        app_token=token["token"],
        app_token_hash_type=hash_type,
        user_id=emu.user_id,
    )
    client = block.get_events_client()
    assert_lists_events(client, emu)
    client.list_events_page()
    assert requests_to(emu, "session.startWidgetSession") == {"200": 1}
    assert requests_to(emu, "appToken.startSession") == {"200": 1}
    assert requests_to(emu, "events/list") == {"200": 2}


def test_events_client_with_a_fixed_ks(emu: EmulatorServer, admin_ks: str) -> None:
    client = emulator_block(emu, ks=admin_ks).get_events_client()
    assert_lists_events(client, emu)
    assert requests_to(emu, "events/list") == {"200": 1}


def test_a_wrong_app_token_fails_with_an_error_that_does_not_show_it(emu: EmulatorServer) -> None:
    token = emu.control.create_app_token("SHA256")
    wrong = "0123456789abcdef0123456789abcdef"
    block = emulator_block(
        emu, partner_id=emu.partner_id, app_token_id=token["id"], app_token=wrong, user_id=emu.user_id
    )
    with pytest.raises(AuthenticationError) as caught:
        block.get_events_client().list_events_page()
    assert "INVALID_APP_TOKEN_HASH" in str(caught.value)
    assert wrong not in str(caught.value)
    assert token["token"] not in str(caught.value)
    assert requests_to(emu, "events/list") == {}


def test_the_session_start_ks_is_renewed_after_it_expires(emu: EmulatorServer) -> None:
    client = local_ks_block(emu, use_session_start=True).get_events_client()
    client.list_events_page()
    emu.control.expire_ks()
    client.list_events_page()
    assert requests_to(emu, "session.start") == {"200": 2}
    assert requests_to(emu, "events/list") == {"200": 2, "401": 1}


def test_the_same_block_returns_the_same_cached_clients(emu: EmulatorServer) -> None:
    block = local_ks_block(emu)
    first, again = block.get_events_client(), block.get_events_client()
    assert first is again
    assert block.get_api_v3_client() is block.get_api_v3_client()
    assert local_ks_block(emu).get_events_client() is first  # same settings, same client
    assert local_ks_block(emu, max_retries=1).get_events_client() is not first
    assert block.get_events_client(retry=RetryPolicy(max_retries=0)) is not first


_SLOT_ENTRIES: list[str] = []


@contextmanager
def _noting_slot() -> Iterator[None]:
    _SLOT_ENTRIES.append("in")
    yield


def test_clients_are_cached_per_slot_factory_and_both_use_it(emu: EmulatorServer) -> None:
    block = local_ks_block(emu)
    plain = block.get_events_client()
    slotted = block.get_events_client(slot=_noting_slot)
    assert slotted is not plain and block.get_events_client(slot=_noting_slot) is slotted
    assert block.get_api_v3_client(slot=_noting_slot) is not block.get_api_v3_client()
    _SLOT_ENTRIES.clear()
    plain.list_events_page()
    assert _SLOT_ENTRIES == []
    slotted.list_events_page()
    block.get_api_v3_client(slot=_noting_slot).list_categories_page(CategoryFilter())
    assert _SLOT_ENTRIES == ["in", "in"]


def test_close_cached_clients_forgets_them(emu: EmulatorServer) -> None:
    block = local_ks_block(emu)
    first = block.get_events_client()
    close_cached_clients()
    second = block.get_events_client()
    assert second is not first
    assert_lists_events(second, emu)


def test_the_ks_provider_is_shared_by_both_clients(emu: EmulatorServer) -> None:
    block = local_ks_block(emu)
    events_ks = block.get_events_client()._t.ks
    assert block.get_api_v3_client()._t.ks is events_ks
    info = parse_ks(events_ks.get(), emu.admin_secret)
    assert (info.partner_id, info.user_id) == (emu.partner_id, emu.user_id)


# -- retry settings reach the clients ------------------------------------------------


def test_retry_policy_comes_from_the_block() -> None:
    block = KalturaCredentials(ks=KS, max_retries=5, retry_base_delay_seconds=0.25)
    assert block.retry_policy() == RetryPolicy(max_retries=5, base_delay=0.25)


def test_max_retries_zero_means_one_request(emu: EmulatorServer) -> None:
    emu.control.set_faults([{"endpoint": "events/list", "kind": "unavailable", "rate": 1.0}])
    client = local_ks_block(emu, max_retries=0).get_events_client()
    with pytest.raises(ServerError) as caught:
        client.list_events_page()
    assert caught.value.status_code == 503
    assert requests_to(emu, "events/list") == {"503": 1}


def test_max_retries_from_the_block_bounds_the_attempts(emu: EmulatorServer) -> None:
    emu.control.set_faults(
        [{"endpoint": "events/list", "kind": "unavailable", "rate": 1.0, "retry_after": 0}]
    )
    client = local_ks_block(emu, max_retries=2, retry_base_delay_seconds=0.0).get_events_client()
    with pytest.raises(ServerError):
        client.list_events_page()
    assert requests_to(emu, "events/list") == {"503": 3}


def test_retry_base_delay_from_the_block_is_waited(emu: EmulatorServer) -> None:
    """A 500 without Retry-After waits the Block's base delay (with +-20% jitter) before the retry."""
    emu.control.set_faults([{"endpoint": "events/list", "kind": "error_before_commit", "times": 1}])
    client = local_ks_block(emu, max_retries=1, retry_base_delay_seconds=0.3).get_events_client()
    started = time.monotonic()
    client.list_events_page()
    elapsed = time.monotonic() - started
    assert elapsed >= 0.23, "the retry waited the base delay, less at most 20% jitter"
    assert requests_to(emu, "events/list") == {"500": 1, "200": 1}
