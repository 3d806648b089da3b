"""ApiV3Client against the real emulator: sessions, app tokens, category listing and deletes.

No mocks: every call crosses HTTP to the emulator, and the emulator's request
counters say how many requests the client really sent (retries included).
Retry delays are tiny or skipped, so the whole file runs in a few seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any, cast

import pytest

from kaltura_events.api.api_v3 import MAX_CATEGORY_PAGE, ApiV3Client, CategoryFilter
from kaltura_events.api.errors import (
    ApiV3AuthenticationError,
    ApiV3Error,
    ApiV3NotFoundError,
    ApiV3PermissionError,
    AuthenticationError,
    CategoriesLockedError,
    CredentialsRefused,
    InvalidArgumentError,
)
from kaltura_events.api.ks import ADMIN, USER, KsProvider, app_token_hash, build_ks_v2, local_minter, parse_ks
from kaltura_events.api.models import Category
from kaltura_events.api.retry import RetryPolicy
from kaltura_events.emulator.server import EmulatorServer

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)


def no_sleep(seconds: float) -> None:
    """Retries happen at once: the tests count requests, not seconds."""


def requests_to(emu: EmulatorServer, endpoint: str) -> dict[str, int]:
    counts: dict[str, int] = emu.control.stats()["requests"].get(endpoint, {})
    return counts


def total_requests(emu: EmulatorServer) -> int:
    return int(emu.control.stats()["total_requests"])


def renewable_provider(emu: EmulatorServer) -> KsProvider:
    return KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))


@pytest.fixture
def v3(emu: EmulatorServer) -> Iterator[ApiV3Client]:
    """A client with a renewable, locally built KS and instant retries."""
    with ApiV3Client(emu.service_url, renewable_provider(emu), retry=FAST, sleep=no_sleep) as client:
        yield client


@pytest.fixture
def anonymous(emu: EmulatorServer) -> Iterator[ApiV3Client]:
    """A client with no KS at all: enough for session.start and startWidgetSession."""
    with ApiV3Client(emu.service_url, retry=FAST, sleep=no_sleep) as client:
        yield client


def names(categories: list[Category]) -> list[str]:
    return [c.full_name for c in categories]


# -- sessions ---------------------------------------------------------------------


def test_session_start_returns_a_ks_for_the_partner_and_user(
    emu: EmulatorServer, anonymous: ApiV3Client
) -> None:
    ks = anonymous.start_session(
        secret=emu.admin_secret, partner_id=emu.partner_id, user_id=emu.user_id, expiry_seconds=600
    )
    info = parse_ks(ks, emu.admin_secret)
    assert (info.partner_id, info.user_id, info.session_type) == (emu.partner_id, emu.user_id, ADMIN)
    assert 590 <= info.expiry - time.time() <= 600
    with ApiV3Client(emu.service_url, KsProvider(fixed_ks=ks), retry=FAST, sleep=no_sleep) as client:
        assert client.list_categories(CategoryFilter()) == []


def test_session_start_with_a_wrong_secret_is_final_and_does_not_echo_it(
    emu: EmulatorServer, anonymous: ApiV3Client
) -> None:
    wrong = "not-the-admin-secret-5f1e"
    with pytest.raises(ApiV3AuthenticationError) as caught:
        anonymous.start_session(secret=wrong, partner_id=emu.partner_id, user_id=emu.user_id)
    error = caught.value
    assert error.code == "START_SESSION_ERROR"
    assert str(emu.partner_id) in str(error)
    for text in (str(error), repr(error), repr(error.args), str(error.error_args)):
        assert wrong not in text
        assert emu.admin_secret not in text
    assert requests_to(emu, "session.start") == {"200:START_SESSION_ERROR": 1}


def test_category_calls_without_a_ks_are_refused(emu: EmulatorServer, anonymous: ApiV3Client) -> None:
    with pytest.raises(AuthenticationError, match=r"MISSING_KS.*no KS was given") as caught:
        anonymous.list_categories(CategoryFilter())
    assert isinstance(caught.value.__context__, ApiV3AuthenticationError)
    assert caught.value.__context__.code == "MISSING_KS"
    assert requests_to(emu, "category.list") == {"200:MISSING_KS": 1}


def test_category_calls_with_a_user_ks_are_forbidden(emu: EmulatorServer) -> None:
    user_ks = build_ks_v2(emu.admin_secret, emu.partner_id, "viewer", session_type=USER)
    client = ApiV3Client(emu.service_url, ks=KsProvider(fixed_ks=user_ks), retry=FAST, sleep=no_sleep)
    with client, pytest.raises(ApiV3PermissionError) as caught:
        client.list_categories(CategoryFilter())
    assert caught.value.code == "SERVICE_FORBIDDEN"
    assert requests_to(emu, "category.list") == {"200:SERVICE_FORBIDDEN": 1}


@pytest.mark.parametrize("hash_type", ["SHA256", "SHA1"])
def test_app_token_session_gives_a_working_ks(
    emu: EmulatorServer, anonymous: ApiV3Client, hash_type: str
) -> None:
    token = emu.control.create_app_token(hash_type)
    assert token["hashType"] == hash_type
    emu.control.add_category("ep_private_7")
    widget_ks = anonymous.start_widget_session(emu.partner_id)
    assert parse_ks(widget_ks, emu.admin_secret).user_id == "0"

    ks, expires_at = anonymous.start_app_token_session(
        widget_ks=widget_ks,
        token_id=token["id"],
        token_hash=app_token_hash(widget_ks, token["token"], hash_type),
        user_id=emu.user_id,
        expiry_seconds=3600,
    )

    info = parse_ks(ks, emu.admin_secret)
    assert (info.partner_id, info.user_id, info.session_type) == (emu.partner_id, emu.user_id, ADMIN)
    assert expires_at is not None
    assert abs(expires_at - (time.time() + 3600)) < 60
    with ApiV3Client(emu.service_url, KsProvider(fixed_ks=ks), retry=FAST, sleep=no_sleep) as client:
        assert names(client.list_categories(CategoryFilter())) == ["ep_private_7"]


@pytest.mark.parametrize(
    "wrong_hash",
    [
        pytest.param(lambda widget_ks, token: app_token_hash(widget_ks, token, "SHA1"), id="wrong-algorithm"),
        pytest.param(lambda widget_ks, token: app_token_hash(widget_ks, token + "x"), id="wrong-token"),
        pytest.param(lambda widget_ks, token: app_token_hash(widget_ks + "x", token), id="wrong-widget-ks"),
    ],
)
def test_a_wrong_app_token_hash_is_refused_and_not_retried(
    emu: EmulatorServer, anonymous: ApiV3Client, wrong_hash: Any
) -> None:
    token = emu.control.create_app_token("SHA256")
    widget_ks = anonymous.start_widget_session(emu.partner_id)
    emu.control.reset_stats()

    with pytest.raises(ApiV3AuthenticationError) as caught:
        anonymous.start_app_token_session(
            widget_ks=widget_ks,
            token_id=token["id"],
            token_hash=wrong_hash(widget_ks, token["token"]),
            user_id=emu.user_id,
        )

    assert caught.value.code == "INVALID_APP_TOKEN_HASH"
    assert token["token"] not in str(caught.value)
    assert requests_to(emu, "appToken.startSession") == {"200:INVALID_APP_TOKEN_HASH": 1}
    assert total_requests(emu) == 1


def test_an_unknown_app_token_id_is_an_authentication_error(
    emu: EmulatorServer, anonymous: ApiV3Client
) -> None:
    widget_ks = anonymous.start_widget_session(emu.partner_id)
    with pytest.raises(ApiV3AuthenticationError) as caught:
        anonymous.start_app_token_session(
            widget_ks=widget_ks, token_id="1_doesnotexist", token_hash="00", user_id=emu.user_id
        )
    assert caught.value.code == "INVALID_APP_TOKEN_ID"
    assert "1_doesnotexist" in str(caught.value)
    assert requests_to(emu, "appToken.startSession") == {"200:INVALID_APP_TOKEN_ID": 1}


# -- category listing -----------------------------------------------------------


@pytest.fixture
def tree(emu: EmulatorServer) -> dict[str, int]:
    """A small partner tree shaped like what the Events Platform leaves behind; name -> id.

    The category lock is off here (a subtree delete would otherwise hold it for 0.5 s).
    """
    emu.control.reset(category_lock_seconds=0.0)
    full_names = [
        "12EPa1b2>Sessions>Keynote",
        "12EPa1b2>Recordings",
        "ep_agenda_12",
        "ep_private_12",
        "ep_private_123",
        "ep_media_account>ep_media_event_12",
    ]
    for full_name in full_names:
        emu.control.add_category(full_name)
    ids = {c["fullName"]: int(c["id"]) for c in emu.control.state()["categories"]}
    emu.control.reset_stats()
    return ids


def test_full_name_equal_matches_exactly(v3: ApiV3Client, tree: dict[str, int]) -> None:
    found = v3.list_categories(CategoryFilter(full_name_equal="ep_private_12"))
    assert names(found) == ["ep_private_12"]
    assert found[0].id == tree["ep_private_12"]
    assert found[0].is_root


def test_full_name_in_matches_each_name_exactly(v3: ApiV3Client, tree: dict[str, int]) -> None:
    found = v3.list_categories(
        CategoryFilter(full_name_in=("ep_private_12", "ep_agenda_12", "ep_media_account>ep_media_event_12"))
    )
    assert sorted(names(found)) == ["ep_agenda_12", "ep_media_account>ep_media_event_12", "ep_private_12"]


def test_full_name_starts_with_is_a_prefix_match(v3: ApiV3Client, tree: dict[str, int]) -> None:
    """Why teardown matches by exact name: a prefix of ep_private_12 also catches ep_private_123."""
    found = v3.list_categories(CategoryFilter(full_name_starts_with="ep_private_12"))
    assert sorted(names(found)) == ["ep_private_12", "ep_private_123"]


def test_parent_id_equal_zero_lists_the_roots(v3: ApiV3Client, tree: dict[str, int]) -> None:
    found = v3.list_categories(CategoryFilter(parent_id_equal=0))
    assert sorted(names(found)) == [
        "12EPa1b2",
        "ep_agenda_12",
        "ep_media_account",
        "ep_private_12",
        "ep_private_123",
    ]
    assert all(c.is_root and c.depth == 0 for c in found)


def test_parent_id_equal_lists_direct_children(v3: ApiV3Client, tree: dict[str, int]) -> None:
    found = v3.list_categories(CategoryFilter(parent_id_equal=tree["12EPa1b2"]))
    assert sorted(names(found)) == ["12EPa1b2>Recordings", "12EPa1b2>Sessions"]
    sessions = next(c for c in found if c.name == "Sessions")
    assert sessions.direct_sub_categories_count == 1


def test_id_in(v3: ApiV3Client, tree: dict[str, int]) -> None:
    wanted = (tree["ep_private_123"], tree["12EPa1b2>Sessions>Keynote"])
    found = v3.list_categories(CategoryFilter(id_in=wanted))
    assert sorted(c.id for c in found) == sorted(wanted)


def test_ancestor_id_in_lists_the_whole_subtree_without_the_root(
    v3: ApiV3Client, tree: dict[str, int]
) -> None:
    found = v3.list_categories(CategoryFilter(ancestor_id_in=(tree["12EPa1b2"],)))
    assert sorted(names(found)) == ["12EPa1b2>Recordings", "12EPa1b2>Sessions", "12EPa1b2>Sessions>Keynote"]


def test_order_by_depth_descending_lists_deepest_first(v3: ApiV3Client, tree: dict[str, int]) -> None:
    found = v3.list_categories(CategoryFilter(full_name_starts_with="12EPa1b2", order_by="-depth"))
    assert [c.depth for c in found] == [2, 1, 1, 0]
    assert found[0].full_name == "12EPa1b2>Sessions>Keynote"
    assert found[-1].full_name == "12EPa1b2"


def test_filters_combine(v3: ApiV3Client, tree: dict[str, int]) -> None:
    found = v3.list_categories(
        CategoryFilter(full_name_starts_with="ep_", parent_id_equal=0, order_by="+name")
    )
    assert names(found) == ["ep_agenda_12", "ep_media_account", "ep_private_12", "ep_private_123"]


def test_no_match_is_an_empty_list_after_one_request(
    emu: EmulatorServer, v3: ApiV3Client, tree: dict[str, int]
) -> None:
    assert v3.list_categories(CategoryFilter(full_name_equal="ep_private_99")) == []
    assert requests_to(emu, "category.list") == {"200": 1}


def test_iter_categories_pages_past_500(emu: EmulatorServer, v3: ApiV3Client) -> None:
    count = MAX_CATEGORY_PAGE + 20
    for i in range(count):
        emu.control.add_category(f"bulk>c{i:04d}")
    emu.control.add_category("other")
    root_id = int(emu.control.add_category("bulk")["id"])
    emu.control.reset_stats()

    found = list(v3.iter_categories(CategoryFilter(ancestor_id_in=(root_id,))))

    assert len(found) == count
    assert len({c.id for c in found}) == count
    assert {c.full_name for c in found} == {f"bulk>c{i:04d}" for i in range(count)}
    assert requests_to(emu, "category.list") == {"200": 2}


def test_list_categories_page_returns_one_page_and_the_total(emu: EmulatorServer, v3: ApiV3Client) -> None:
    for i in range(7):
        emu.control.add_category(f"p{i}")
    page = v3.list_categories_page(CategoryFilter(order_by="+name"), page_index=2, page_size=3)
    assert page.total_count == 7
    assert [c.name for c in page.objects] == ["p3", "p4", "p5"]


# -- deletes ----------------------------------------------------------------------


def test_delete_category_removes_its_subtree(
    emu: EmulatorServer, v3: ApiV3Client, tree: dict[str, int]
) -> None:
    v3.delete_category(tree["12EPa1b2"])

    left = sorted(c["fullName"] for c in emu.control.state()["categories"])
    assert left == [
        "ep_agenda_12",
        "ep_media_account",
        "ep_media_account>ep_media_event_12",
        "ep_private_12",
        "ep_private_123",
    ]
    assert requests_to(emu, "category.delete") == {"200": 1}


def test_delete_is_exact_ep_private_12_leaves_ep_private_123(
    emu: EmulatorServer, v3: ApiV3Client, tree: dict[str, int]
) -> None:
    v3.delete_category(tree["ep_private_12"])
    left = v3.list_categories(CategoryFilter(full_name_starts_with="ep_private_12"))
    assert [(c.id, c.full_name) for c in left] == [(tree["ep_private_123"], "ep_private_123")]


def test_deleting_a_missing_category_is_not_found_and_not_retried(
    emu: EmulatorServer, v3: ApiV3Client
) -> None:
    with pytest.raises(ApiV3NotFoundError) as caught:
        v3.delete_category(987654)
    assert caught.value.code == "CATEGORY_NOT_FOUND"
    assert "987654" in str(caught.value)
    assert requests_to(emu, "category.delete") == {"200:CATEGORY_NOT_FOUND": 1}


def test_categories_locked_is_waited_out(emu: EmulatorServer) -> None:
    """A delete of a category with children holds the partner's lock; a concurrent delete retries."""
    emu.control.reset(category_lock_seconds=1.0)
    emu.control.add_category("12EPlock>child>grandchild")
    other = emu.control.add_category("ep_private_42")
    root_id = next(c["id"] for c in emu.control.state()["categories"] if c["fullName"] == "12EPlock")

    holder_errors: list[BaseException] = []
    waits: list[float] = []

    def recording_sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    def hold_the_lock() -> None:
        try:
            with ApiV3Client(emu.service_url, renewable_provider(emu), retry=FAST) as holder:
                holder.delete_category(root_id)
        except BaseException as exc:  # reported by the main thread
            holder_errors.append(exc)

    patient = RetryPolicy(max_retries=10, base_delay=0.05, max_delay=0.25)
    with ApiV3Client(
        emu.service_url, renewable_provider(emu), retry=patient, sleep=recording_sleep
    ) as waiter:
        thread = threading.Thread(target=hold_the_lock)
        thread.start()
        try:
            deadline = time.monotonic() + 5
            while not emu.control.state()["categoryLockHeld"]:
                assert time.monotonic() < deadline, "the first delete never took the category lock"
                time.sleep(0.01)
            waiter.delete_category(int(other["id"]))
        finally:
            thread.join(timeout=10)

    assert not holder_errors
    assert emu.control.state()["categories"] == []
    deletes = requests_to(emu, "category.delete")
    assert deletes.get("200") == 2
    locked = deletes.get("200:CATEGORIES_LOCKED", 0)
    assert locked >= 1
    assert len(waits) == locked
    assert set(deletes) == {"200", "200:CATEGORIES_LOCKED"}


def test_categories_locked_gives_up_after_the_retries(emu: EmulatorServer) -> None:
    emu.control.reset(category_lock_seconds=2.0)  # ample for three quick attempts on a loaded machine
    emu.control.add_category("12EPlock>child")
    other = emu.control.add_category("ep_private_42")
    root_id = next(c["id"] for c in emu.control.state()["categories"] if c["fullName"] == "12EPlock")

    with ApiV3Client(emu.service_url, renewable_provider(emu), retry=FAST) as holder:
        thread = threading.Thread(target=holder.delete_category, args=(root_id,))
        thread.start()
        try:
            deadline = time.monotonic() + 5
            while not emu.control.state()["categoryLockHeld"]:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            impatient = RetryPolicy(max_retries=2, base_delay=0.0)
            with (
                ApiV3Client(
                    emu.service_url, renewable_provider(emu), retry=impatient, sleep=no_sleep
                ) as waiter,
                pytest.raises(CategoriesLockedError),
            ):
                waiter.delete_category(int(other["id"]))
        finally:
            thread.join(timeout=10)

    assert requests_to(emu, "category.delete") == {"200": 1, "200:CATEGORIES_LOCKED": 3}


@pytest.mark.parametrize("kind", ["error_after_commit", "reset"])
def test_a_delete_that_committed_but_failed_then_is_not_found_counts_as_done(
    emu: EmulatorServer, v3: ApiV3Client, kind: str
) -> None:
    leaf = emu.control.add_category("ep_agenda_77")
    emu.control.set_faults([{"endpoint": "category.delete", "kind": kind, "rate": 1.0, "times": 1}])

    v3.delete_category(int(leaf["id"]))

    assert emu.control.state()["categories"] == []
    first = "500" if kind == "error_after_commit" else "reset"
    assert requests_to(emu, "category.delete") == {first: 1, "200:CATEGORY_NOT_FOUND": 1}
    assert emu.control.stats()["writes"]["category.delete"] == {"attempted": 2, "committed": 1}


def test_a_delete_refused_before_commit_is_retried(emu: EmulatorServer, v3: ApiV3Client) -> None:
    leaf = emu.control.add_category("ep_agenda_78")
    emu.control.set_faults(
        [{"endpoint": "category.delete", "kind": "rate_limit", "rate": 1.0, "times": 2, "retry_after": 0}]
    )
    v3.delete_category(int(leaf["id"]))
    assert requests_to(emu, "category.delete") == {"429": 2, "200": 1}


def test_not_found_without_an_ambiguous_failure_first_is_still_an_error(
    emu: EmulatorServer, v3: ApiV3Client
) -> None:
    """gone_is_done only forgives a 404 that follows an attempt that may have committed."""
    emu.control.set_faults(
        [{"endpoint": "category.delete", "kind": "rate_limit", "rate": 1.0, "times": 1, "retry_after": 0}]
    )
    with pytest.raises(ApiV3NotFoundError):
        v3.delete_category(424242)
    assert requests_to(emu, "category.delete") == {"429": 1, "200:CATEGORY_NOT_FOUND": 1}


# -- KS renewal -------------------------------------------------------------------


def test_an_expired_ks_is_renewed_once(emu: EmulatorServer) -> None:
    emu.control.add_category("ep_private_5")
    provider = renewable_provider(emu)
    with ApiV3Client(emu.service_url, provider, retry=FAST, sleep=no_sleep) as client:
        assert len(client.list_categories(CategoryFilter())) == 1
        first_ks = provider.get()
        assert emu.control.expire_ks() >= 1
        emu.control.reset_stats()

        assert names(client.list_categories(CategoryFilter())) == ["ep_private_5"]

    assert provider.renewals == 2  # the first KS, and one renewal
    assert provider.get() != first_ks
    assert requests_to(emu, "category.list") == {"200:EXPIRED_KS": 1, "200": 1}


def test_a_fixed_ks_that_expired_fails_at_once(emu: EmulatorServer, admin_ks: str) -> None:
    with ApiV3Client(emu.service_url, KsProvider(fixed_ks=admin_ks), retry=FAST, sleep=no_sleep) as client:
        client.list_categories(CategoryFilter())
        emu.control.expire_ks()
        emu.control.reset_stats()

        with pytest.raises(AuthenticationError) as caught:
            client.list_categories(CategoryFilter())

    # The message says why and what to do; the API's own exception stays attached.
    message = str(caught.value)
    assert "EXPIRED_KS" in message and "cannot be renewed" in message, message
    refusal = caught.value.__context__
    assert isinstance(refusal, ApiV3Error) and refusal.code == "EXPIRED_KS"
    assert admin_ks not in message and admin_ks not in str(refusal)
    assert requests_to(emu, "category.list") == {"200:EXPIRED_KS": 1}
    assert total_requests(emu) == 1


def test_a_ks_still_rejected_after_renewal_is_not_renewed_again(emu: EmulatorServer) -> None:
    """A minter that keeps producing bad KSs gets one renewal, then the error: never a loop."""
    minted: list[str] = []

    def bad_minter() -> tuple[str, float | None]:
        minted.append("x")
        return local_minter("a-wrong-secret", emu.partner_id, emu.user_id)()

    client = ApiV3Client(emu.service_url, KsProvider(bad_minter), retry=FAST, sleep=no_sleep)
    with client, pytest.raises(CredentialsRefused) as caught:
        client.list_categories(CategoryFilter())
    refusal = caught.value.refused  # the API's own exception, kept under the advice
    assert isinstance(refusal, ApiV3AuthenticationError) and refusal.code == "INVALID_KS"
    assert str(caught.value).endswith(
        "a KS made just now was refused too: check the credentials it is made from"
    )
    assert len(minted) == 2
    assert requests_to(emu, "category.list") == {"200:INVALID_KS": 2}


# -- arguments checked before any request -------------------------------------------


BAD_CALLS: list[Any] = [
    pytest.param(lambda c: c.list_categories_page(CategoryFilter(), page_size=0), "page_size", id="size-0"),
    pytest.param(
        lambda c: c.list_categories_page(CategoryFilter(), page_size=501), "page_size", id="size-501"
    ),
    pytest.param(
        lambda c: c.list_categories_page(CategoryFilter(), page_size=True), "page_size", id="size-bool"
    ),
    pytest.param(
        lambda c: c.list_categories_page(CategoryFilter(), page_index=0), "page_index", id="index-0"
    ),
    pytest.param(
        lambda c: c.list_categories_page(CategoryFilter(), page_index="2"), "page_index", id="index-str"
    ),
    pytest.param(
        lambda c: c.list_categories_page(CategoryFilter(), page_index=True), "page_index", id="index-bool"
    ),
    pytest.param(lambda c: c.delete_category("12a"), "category_id", id="delete-12a"),
    pytest.param(lambda c: c.delete_category("12"), "category_id", id="delete-str"),
    pytest.param(lambda c: c.delete_category(0), "category_id", id="delete-0"),
    pytest.param(lambda c: c.delete_category(-3), "category_id", id="delete-negative"),
    pytest.param(lambda c: c.delete_category(True), "category_id", id="delete-bool"),
    pytest.param(
        lambda c: c.list_categories(CategoryFilter(full_name_in=("ep_private_1,ep_private_2",))),
        "full_name_in",
        id="name-with-comma",
    ),
    pytest.param(
        lambda c: c.list_categories(CategoryFilter(full_name_in=("ok", "a,b"))),
        "full_name_in",
        id="second-name-with-comma",
    ),
    pytest.param(
        lambda c: c.list_categories(CategoryFilter(parent_id_equal=-1)), "parent_id_equal", id="parent--1"
    ),
    pytest.param(lambda c: c.list_categories(CategoryFilter(id_in=(5, 0))), "id_in", id="id-in-0"),
    pytest.param(
        lambda c: c.list_categories(CategoryFilter(ancestor_id_in=cast(Any, ("7",)))),
        "ancestor_id_in",
        id="ancestor-str",
    ),
    pytest.param(
        lambda c: c.list_categories(CategoryFilter(order_by="depth desc")), "order_by", id="bad-order"
    ),
]


@pytest.mark.parametrize(("call", "field"), BAD_CALLS)
def test_bad_arguments_fail_before_any_request(
    emu: EmulatorServer, v3: ApiV3Client, call: Any, field: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        call(v3)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}=")
    assert total_requests(emu) == 0
