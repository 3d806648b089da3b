"""AppRegistryClient, UserProfileClient and ApiV3Client's users against the real emulator.

From an event id to its app, from the app to its attendees' profiles and
their counts: bad arguments refused before anything is sent, naming the field
and the value; pages collected each profile once; the service's side effects
(previous status, first attended time) read back as the guide states them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from kaltura_events.api.api_v3 import ApiV3Client
from kaltura_events.api.app_registry import AppRegistryClient
from kaltura_events.api.attendance_models import ProfileRow
from kaltura_events.api.errors import ApiV3Error, InvalidArgumentError, NotFoundError
from kaltura_events.api.events import EventsClient
from kaltura_events.api.ks import KsProvider, local_minter
from kaltura_events.api.user_profile import NO_STATUS, UserProfileClient
from kaltura_events.api.validation import ATTENDANCE_STATUSES
from kaltura_events.credentials import KalturaCredentials, close_cached_clients
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.emulator.testing import RawEventsApi

START = datetime(2031, 3, 4, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def ks(emu: EmulatorServer) -> KsProvider:
    return KsProvider(local_minter(emu.admin_secret, emu.partner_id, emu.user_id))


@pytest.fixture
def registry(emu: EmulatorServer, ks: KsProvider) -> Iterator[AppRegistryClient]:
    with AppRegistryClient(emu.app_registry_url, ks) as client:
        yield client


@pytest.fixture
def profiles(emu: EmulatorServer, ks: KsProvider) -> Iterator[UserProfileClient]:
    with UserProfileClient(emu.user_profile_url, ks) as client:
        yield client


@pytest.fixture
def v3(emu: EmulatorServer, ks: KsProvider) -> Iterator[ApiV3Client]:
    with ApiV3Client(emu.service_url, ks) as client:
        yield client


def requests_to(emu: EmulatorServer, endpoint: str) -> int:
    """Requests the endpoint answered, whatever the status."""
    counts: dict[str, int] = emu.control.stats()["requests"].get(endpoint, {})
    return sum(counts.values())


def event_app_guid(registry: AppRegistryClient, event_id: int) -> str:
    (app,) = registry.list_apps([str(event_id)])
    return app.id


# -- App Registry -------------------------------------------------------------------


def test_each_new_event_has_an_enabled_epm_event_app_found_by_its_id(
    events_api: RawEventsApi, registry: AppRegistryClient
) -> None:
    first, second = events_api.create_event("One"), events_api.create_event("Two")
    apps = registry.list_apps([str(first["id"]), str(second["id"]), "999999"])
    assert sorted((a.app_custom_id, a.name, a.app_type, a.enabled) for a in apps) == [
        (str(first["id"]), "One", "epmEvent", True),
        (str(second["id"]), "Two", "epmEvent", True),
    ]
    assert registry.get_app(apps[0].id) == apps[0]
    assert registry.list_apps([str(first["id"])], app_type="ep") == []


def test_a_deleted_event_keeps_its_app(events_api: RawEventsApi, registry: AppRegistryClient) -> None:
    event = events_api.create_event()
    events_api.ok("events/delete", {"id": event["id"]})
    assert [a.app_custom_id for a in registry.list_apps([str(event["id"])])] == [str(event["id"])]


def test_list_apps_pages_until_total_count(
    emu: EmulatorServer, events_api: RawEventsApi, registry: AppRegistryClient
) -> None:
    ids = [str(events_api.create_event(f"Event {n}")["id"]) for n in range(5)]
    emu.control.reset_stats()
    assert sorted(a.app_custom_id for a in registry.list_apps(ids, page_size=2)) == sorted(ids)
    assert requests_to(emu, "app-registry/list") == 3


def test_list_apps_refuses_more_than_fifteen_ids_and_sends_nothing_for_none(
    emu: EmulatorServer, registry: AppRegistryClient
) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^custom_ids=.*at most 15") as caught:
        registry.list_apps([str(n) for n in range(1, 17)])
    assert caught.value.field == "custom_ids"
    with pytest.raises(InvalidArgumentError, match="custom_ids='12'"):
        registry.list_apps("12")
    with pytest.raises(InvalidArgumentError, match="app_type='virtualEvent'"):
        registry.list_apps(["12"], app_type="virtualEvent")
    assert registry.list_apps([]) == []
    assert requests_to(emu, "app-registry/list") == 0


def test_an_unknown_app_guid_is_not_found(registry: AppRegistryClient) -> None:
    with pytest.raises(NotFoundError, match="OBJECT_NOT_FOUND"):
        registry.get_app("00000000-0000-4000-8000-000000000000")


# -- API v3 users ---------------------------------------------------------------


def test_a_user_added_can_be_read_and_not_added_twice(v3: ApiV3Client) -> None:
    added = v3.add_user("ada@example.com", email="ada@example.com", first_name="Ada", last_name="Lovelace")
    assert v3.get_user("ada@example.com") == added
    assert (added.id, added.email, added.first_name) == ("ada@example.com", "ada@example.com", "Ada")
    with pytest.raises(ApiV3Error, match="DUPLICATE_USER_BY_ID"):
        v3.add_user("ada@example.com")
    with pytest.raises(NotFoundError, match="INVALID_USER_ID"):
        v3.get_user("nobody@example.com")
    with pytest.raises(InvalidArgumentError, match=r"user_id=' ada@example\.com'"):
        v3.add_user(" ada@example.com")


# -- User Profile ----------------------------------------------------------------


@pytest.fixture
def guid(events_api: RawEventsApi, registry: AppRegistryClient) -> str:
    return event_app_guid(registry, events_api.create_event("Town hall")["id"])


def test_a_profile_needs_an_existing_user_and_an_enabled_app(
    events_api: RawEventsApi,
    emu: EmulatorServer,
    ks: KsProvider,
    guid: str,
    profiles: UserProfileClient,
    v3: ApiV3Client,
) -> None:
    with pytest.raises(ApiV3Error, match="USER_ID_NOT_FOUND"):
        profiles.add_profile(guid, "ada@example.com", attendance_status="registered")
    v3.add_user("ada@example.com")
    with RawEventsApi(emu.app_registry_url, ks.get("test")) as apps:
        assert apps.ok("app-registry/disable", {"id": guid})["version"] == 1
        with pytest.raises(NotFoundError, match="OBJECT_NOT_FOUND"):
            profiles.add_profile(guid, "ada@example.com", attendance_status="registered")
        apps.ok("app-registry/enable", {"id": guid})
    profile = profiles.add_profile(guid, "ada@example.com", attendance_status="registered", name="Ada")
    assert (profile.app_guid, profile.user_id, profile.attendance_status) == (
        guid,
        "ada@example.com",
        "registered",
    )
    assert profile.profile_data == {"name": "Ada"} and profile.first_attended_at is None
    with pytest.raises(ApiV3Error, match="USER_ALREADY_ASSOCIATED_TO_APP_GUID"):
        profiles.add_profile(guid, "ada@example.com", attendance_status="registered")
    assert profiles.find_profile(guid, "Ada@Example.com") == profile


def test_status_changes_record_the_previous_one_and_the_first_attendance_once(
    guid: str, profiles: UserProfileClient, v3: ApiV3Client
) -> None:
    v3.add_user("bo@example.com")
    profile = profiles.add_profile(guid, "bo@example.com", attendance_status="confirmed")
    attended = profiles.update_profile_status(profile.id, "attended")
    assert attended.previous_attendance_status == "confirmed"
    assert attended.first_attended_at is not None and attended.status_updated_at == attended.first_attended_at
    later = profiles.update_profile_status(profile.id, "participatedPostEvent")
    assert later.previous_attendance_status == "attended"
    assert later.first_attended_at == attended.first_attended_at, "set once, never overwritten"
    profiles.delete_profile(profile.id)
    assert profiles.list_profiles([guid]) == []
    with pytest.raises(NotFoundError, match="USER_PROFILE_NOT_FOUND"):
        profiles.update_profile_status(profile.id, "attended")


@pytest.mark.parametrize(
    ("call", "field", "value"),
    [
        (
            lambda up: up.add_profile("g", "a@b.example", attendance_status="came"),
            "attendance_status",
            "came",
        ),
        (lambda up: up.update_profile_status("p1", "Attended"), "status", "Attended"),
        (lambda up: up.update_profile_status("", "attended"), "profile_id", ""),
        (lambda up: up.list_profiles(["g"], attendance_status="present"), "attendance_status", "present"),
        (lambda up: up.list_profiles(["g"], page_size=0), "page_size", 0),
        (lambda up: up.list_profiles(["g"], updated_since=datetime(2031, 1, 1)), "updated_since", "2031"),
        (lambda up: up.list_profiles("g"), "app_guids", "g"),
        (lambda up: up.event_data_stats([""]), "app_guids", ""),
        (
            lambda up: up.add_profile("g", "a@b.example", attendance_status="registered", name=" "),
            "name",
            " ",
        ),
    ],
)
def test_bad_arguments_name_the_field_and_value_before_any_request(
    emu: EmulatorServer, profiles: UserProfileClient, call: Any, field: str, value: Any
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        call(profiles)
    assert caught.value.field == field and str(value) in str(caught.value)
    assert emu.control.stats()["total_requests"] == 0


def test_no_app_guids_means_no_request(emu: EmulatorServer, profiles: UserProfileClient) -> None:
    assert profiles.list_profiles([]) == [] and profiles.event_data_stats([]) == {}
    assert emu.control.stats()["total_requests"] == 0


def test_listing_pages_filters_by_status_and_by_update_time(
    emu: EmulatorServer,
    events_api: RawEventsApi,
    guid: str,
    profiles: UserProfileClient,
    registry: AppRegistryClient,
) -> None:
    event_id = int(registry.get_app(guid).app_custom_id)
    emails = [f"person{n}@example.com" for n in range(7)]
    emu.control.mark_attendance(event_id, emails[4:], "registered", at="2031-03-01T09:00:00Z")
    # updatedAt is the platform's clock (when the record was written), not the status time.
    written = max(datetime.fromisoformat(p["updatedAt"]) for p in emu.control.state()["userProfiles"])
    time.sleep(0.01)
    emu.control.mark_attendance(event_id, emails[:4], "attended", at="2031-03-04T15:05:00Z")
    emu.control.reset_stats()
    listed = profiles.list_profiles([guid], page_size=3)
    assert sorted(p.user_id for p in listed) == emails
    assert requests_to(emu, "user-profile/list") == 3
    attended = profiles.list_profiles([guid], attendance_status="attended")
    assert sorted(p.user_id.lower() for p in attended) == emails[:4]
    recent = profiles.list_profiles([guid], updated_since=written + timedelta(milliseconds=1))
    assert {p.user_id for p in recent} == set(emails[:4])
    assert all(p.first_attended_at == START + timedelta(minutes=5) for p in attended)
    assert profiles.event_data_stats([guid, "no-such-app"]) == {guid: {"attended": 4, "registered": 3}}, (
        "an app the answer has no row for is left out, not read as zeros"
    )


def test_folding_reads_what_listing_reads_page_by_page_and_a_change_between_reads_shows(
    emu: EmulatorServer, guid: str, profiles: UserProfileClient, registry: AppRegistryClient
) -> None:
    event_id = int(registry.get_app(guid).app_custom_id)
    emu.control.mark_attendance(event_id, [f"p{n}@example.com" for n in range(7)], "registered")
    pages: list[list[ProfileRow]] = []
    read = profiles.fold_profiles([guid], pages.append, page_size=3)
    listed = profiles.list_profiles([guid], page_size=3)
    assert read == 7 and [len(page) for page in pages] == [3, 3, 1]
    assert [(r.id, r.user_id, r.attendance_status, r.updated_at) for page in pages for r in page] == [
        (p.id, p.user_id, p.attendance_status, p.updated_at) for p in listed
    ]
    # The emulator keeps a listing's sort between pages: a write must show in the next read.
    emu.control.mark_attendance(event_id, ["p0@example.com"], "attended")
    again = {p.user_id: p.attendance_status for p in profiles.list_profiles([guid], page_size=3)}
    assert again["p0@example.com"] == "attended"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    statuses=st.lists(st.sampled_from(ATTENDANCE_STATUSES), min_size=0, max_size=25),
    page_size=st.integers(min_value=1, max_value=30),
)
def test_any_page_size_lists_each_profile_once_and_the_counts_agree(
    emu: EmulatorServer,
    ks: KsProvider,
    profiles: UserProfileClient,
    statuses: list[str],
    page_size: int,
) -> None:
    emu.control.reset()
    with (
        EventsClient(emu.events_api_url, ks) as events,
        AppRegistryClient(emu.app_registry_url, ks) as registry,
    ):
        event = events.create_event(
            name="Series", template_id="tm0000", start=START, end=START + timedelta(hours=1), timezone="UTC"
        )
        guid = event_app_guid(registry, event.id)
    for index, status in enumerate(statuses):
        emu.control.mark_attendance(event.id, [f"p{index}@example.com"], status)
    listed = profiles.list_profiles([guid], page_size=page_size)
    assert len(listed) == len({p.id for p in listed}) == len(statuses)
    by_status = Counter(p.attendance_status or NO_STATUS for p in listed)
    assert profiles.event_data_stats([guid]) == ({guid: dict(by_status)} if statuses else {})


# -- /_emulator/attendance ------------------------------------------------------------


def test_attendance_makes_users_and_profiles_where_missing_and_times_the_change(
    emu: EmulatorServer, registry: AppRegistryClient, v3: ApiV3Client, guid: str, profiles: UserProfileClient
) -> None:
    app_event = int(registry.get_app(guid).app_custom_id)
    v3.add_user("ada@example.com")
    existing = profiles.add_profile(guid, "ada@example.com", attendance_status="registered")
    marked = emu.control.mark_attendance(
        app_event, ["Ada@Example.com", "bo@example.com"], "attended", at="2031-03-04T15:10:00Z"
    )
    assert marked["appGuid"] == guid and marked["created"] == 1
    assert v3.get_user("bo@example.com").id == "bo@example.com"
    ada = profiles.find_profile(guid, "ada@example.com")
    assert ada is not None and ada.id == existing.id
    assert (ada.attendance_status, ada.previous_attendance_status) == ("attended", "registered")
    assert ada.first_attended_at == START + timedelta(minutes=10)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"emails": ["a@b.example"], "status": "attended"}, "eventId"),
        ({"eventId": "12", "emails": ["a@b.example"], "status": "attended"}, "eventId"),
        ({"eventId": 1, "emails": [], "status": "attended"}, "emails"),
        ({"eventId": 1, "emails": "a@b.example", "status": "attended"}, "emails"),
        ({"eventId": 1, "emails": ["not an email"], "status": "attended"}, "emails"),
        ({"eventId": 1, "emails": ["a@b.example"], "status": "came"}, "status"),
        ({"eventId": 1, "emails": ["a@b.example"], "status": "attended", "at": "yesterday"}, "at"),
        ({"eventId": 999, "emails": ["a@b.example"], "status": "attended"}, "eventId"),
    ],
)
def test_attendance_refuses_a_bad_body_naming_the_field(
    emu: EmulatorServer, events_api: RawEventsApi, body: dict[str, Any], named: str
) -> None:
    events_api.create_event()
    response = emu.control._http.post("/attendance", json=body)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{named}="), response.text


# -- credentials --------------------------------------------------------------------


def test_the_block_gives_shared_clients_on_the_region_or_its_own_urls(emu: EmulatorServer) -> None:
    preset = KalturaCredentials(region="eu", ks=SecretStr("djJ8MTIzfGZpeGVk"))
    assert preset.resolved_attendance_urls() == (
        "https://app-registry.irp2.ovp.kaltura.com/api/v1",
        "https://user.irp2.ovp.kaltura.com/api/v1",
    )
    credentials = KalturaCredentials.from_env(
        {
            "KALTURA_EVENTS_API_URL": emu.events_api_url,
            "KALTURA_SERVICE_URL": emu.service_url,
            "KALTURA_APP_REGISTRY_URL": emu.app_registry_url,
            "KALTURA_USER_PROFILE_URL": emu.user_profile_url,
            "KALTURA_PARTNER_ID": str(emu.partner_id),
            "KALTURA_ADMIN_SECRET": emu.admin_secret,
            "KALTURA_USER_ID": emu.user_id,
        }
    )
    try:
        registry = credentials.get_app_registry_client()
        assert registry is credentials.get_app_registry_client()
        assert registry.base_url == emu.app_registry_url
        assert credentials.get_user_profile_client().base_url == emu.user_profile_url
        assert credentials.get_user_profile_client()._t.ks is credentials.get_events_client()._t.ks
        assert registry.list_apps(["1"]) == []
    finally:
        close_cached_clients()
    with pytest.raises(ValueError, match="user_profile_url"):
        KalturaCredentials(
            ks=SecretStr("djJ8MTIzfGZpeGVk"), user_profile_url="http://user.example.com/api/v1"
        )
