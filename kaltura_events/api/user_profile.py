"""UserProfileClient: who registered for and attended an event, from the User Profile service.

Each attendee of an event is one profile of the event's app (``appGuid``,
from the App Registry), carrying ``eventData.attendanceStatus``
(KALTURA_USER_PROFILE_API.md §4-5). Listing pages by skip-count offset and
refuses a collection that does not add up to ``totalCount``, as every listing
here does: an attendance report on a partial picture would be wrong silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from kaltura_events.api import validation as v
from kaltura_events.api.answers import ACKNOWLEDGED, Reader, shaped
from kaltura_events.api.attendance_models import (
    EventDataStats,
    ProfileRow,
    UserProfile,
    UserProfilePage,
    profile_rows,
)
from kaltura_events.api.bearer import BearerJsonClient
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.paging import FetchPage, collect_pages, fold_pages

PROFILE_PAGE_SIZE = 500
MAX_PROFILE_PAGE_SIZE = 500
"""The largest page the guide's own examples ask for; it states no maximum (§10.2 default 50)."""
PROFILE_ORDER = "createdAt"
"""Oldest first (§10.3): a new profile lands on the last page, not shifting the pages before it."""

PROFILE = shaped(UserProfile, "a JSON object that is a UserProfile (`id`, `appGuid`, `userId`)")
PROFILE_PAGE = shaped(UserProfilePage, "a JSON object with `objects` (a list of profiles) and `totalCount`")
PROFILE_ROWS = Reader(
    "a JSON object with `objects` (a list of profiles, each with `id`, `appGuid`, `userId`) and `totalCount`",
    profile_rows,
)
EVENT_DATA_STATS = shaped(EventDataStats, "a JSON object with `results` (appGuid, dimensions, count)")

P = TypeVar("P")
T = TypeVar("T")

NO_STATUS = ""
"""``event_data_stats``' key for profiles that have no attendance status."""


def _guids(app_guids: Sequence[str]) -> list[str]:
    return v.require_string_list("app_guids", app_guids, v.require_app_guid)


def _status(field: str, value: Any) -> str:
    return v.require_choice(field, value, v.ATTENDANCE_STATUSES)


class UserProfileClient(BearerJsonClient):
    """Thread-safe and pooled; an application error arrives as a ``KalturaAPIException`` with HTTP 200."""

    refusals_at_200 = True

    def list_profiles(
        self,
        app_guids: Sequence[str],
        *,
        attendance_status: str | None = None,
        updated_since: datetime | None = None,
        page_size: int = PROFILE_PAGE_SIZE,
    ) -> list[UserProfile]:
        """Every profile of these apps (deleted ones never come back), each once, oldest first.

        No GUIDs returns [] without a call: an empty ``appGuidIn`` would be no
        filter, and every profile of the partner would come back.
        """
        listing = self._listing(app_guids, attendance_status, updated_since, page_size)
        if listing is None:
            return []
        fetch = listing.pages(PROFILE_PAGE, lambda page: (page.objects, page.total_count))
        return collect_pages("user-profile/list", fetch, page_size=page_size, key=lambda p: p.id)

    def fold_profiles(
        self,
        app_guids: Sequence[str],
        consume: Callable[[list[ProfileRow]], object],
        *,
        updated_since: datetime | None = None,
        page_size: int = PROFILE_PAGE_SIZE,
    ) -> int:
        """``list_profiles`` for a report: each page's profiles, each once, handed to ``consume`` in
        page order as the pages arrive, read only for the fields a report needs; how many there were.

        Holds one wave of pages at a time, where ``list_profiles`` holds every
        profile as a model: 50,000 of them took about 250 MB.
        """
        listing = self._listing(app_guids, None, updated_since, page_size)
        if listing is None:
            return 0
        fetch = listing.pages(PROFILE_ROWS, lambda page: page)
        return fold_pages("user-profile/list", fetch, consume, page_size=page_size, key=lambda row: row.id)

    def _listing(
        self,
        app_guids: Sequence[str],
        attendance_status: str | None,
        updated_since: datetime | None,
        page_size: int,
    ) -> _ProfileListing | None:
        """The checked filter of a listing, before any call; None when no app is named."""
        guids = _guids(app_guids)
        profile_filter: dict[str, Any] = {"appGuidIn": guids}
        if attendance_status is not None:
            profile_filter["attendanceStatus"] = _status("attendance_status", attendance_status)
        if updated_since is not None:
            moment = v.parse_iso_datetime("updated_since", updated_since)
            profile_filter["updatedAtGreaterThanOrEqual"] = v.format_iso(moment)
        if type(page_size) is not int or not 1 <= page_size <= MAX_PROFILE_PAGE_SIZE:
            raise InvalidArgumentError(
                "page_size", page_size, f"a page size is from 1 to {MAX_PROFILE_PAGE_SIZE}"
            )
        return _ProfileListing(self, profile_filter, page_size) if guids else None

    def find_profile(self, app_guid: str, user_id: str) -> UserProfile | None:
        """This user's profile in this app; emails match case-insensitively, as the service matches them."""
        guid = v.require_app_guid("app_guid", app_guid)
        uid = v.require_kaltura_user_id("user_id", user_id)
        body = {"filter": {"appGuidIn": [guid], "userIdIn": [uid]}, "pager": {"offset": 0, "limit": 2}}
        page = self._call("user-profile/list", body, PROFILE_PAGE)
        wanted = uid.lower() if "@" in uid else uid
        for profile in page.objects:
            if (profile.user_id.lower() if "@" in profile.user_id else profile.user_id) == wanted:
                return profile
        return None

    def event_data_stats(self, app_guids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Profiles per attendance status, per app: ``{appGuid: {status: count}}``.

        Only the apps the answer has rows for: no guide says whether an app
        with no profiles gets one, so an app left out is not read as zeros
        here (``planning.attendance.observed_counts`` decides). Profiles
        without a status count under ``NO_STATUS``. No GUIDs returns {}
        without a call (the service requires at least one).
        """
        guids = _guids(app_guids)
        if not guids:
            return {}
        body = {"filter": {"appGuidIn": guids}, "dimensions": ["attendanceStatus"]}
        stats = self._call("reports/eventDataStats", body, EVENT_DATA_STATS)
        counts: dict[str, dict[str, int]] = {}
        for row in stats.results:
            status = row.dimensions.get("attendanceStatus") or NO_STATUS
            per_app = counts.setdefault(row.app_guid, {})
            per_app[status] = per_app.get(status, 0) + row.count
        return counts

    def add_profile(
        self, app_guid: str, user_id: str, *, attendance_status: str, name: str | None = None
    ) -> UserProfile:
        """A profile for an existing Kaltura user (API v3 ``user.add`` first) in an enabled app.

        After an ambiguous failure (5xx, timeout, an unreadable answer) the
        profile it may have made is looked for and adopted, never made twice.
        """
        body: dict[str, Any] = {
            "appGuid": v.require_app_guid("app_guid", app_guid),
            "userId": v.require_kaltura_user_id("user_id", user_id),
            "profileData": {} if name is None else {"name": v.require_name("name", name)},
            "eventData": {"attendanceStatus": _status("attendance_status", attendance_status)},
        }

        def reconcile() -> UserProfile | None:
            return self.find_profile(body["appGuid"], body["userId"])

        return self._call("user-profile/add", body, PROFILE, reconcile=reconcile)

    def update_profile_status(self, profile_id: str, status: str) -> UserProfile:
        """Set the attendance status; the service records the previous one and when it changed."""
        body = {
            "id": v.require_profile_id("profile_id", profile_id),
            "eventData": {"attendanceStatus": _status("status", status)},
        }
        return self._call("user-profile/update", body, PROFILE)

    def delete_profile(self, profile_id: str) -> None:
        """Soft-deletes; raises NotFoundError when the profile was already gone before this call."""
        body = {"id": v.require_profile_id("profile_id", profile_id)}
        self._call("user-profile/delete", body, ACKNOWLEDGED, gone_is_done=True)


@dataclass(frozen=True)
class _ProfileListing:
    client: UserProfileClient
    profile_filter: dict[str, Any]
    page_size: int

    def pages(self, read: Reader[P], items: Callable[[P], tuple[Sequence[T], int]]) -> FetchPage[T]:
        """Page ``number`` (0 first) of this listing, read with ``read``, as (items, totalCount)."""

        def fetch(number: int) -> tuple[Sequence[T], int]:
            body = {
                "filter": self.profile_filter,
                "pager": {"offset": number * self.page_size, "limit": self.page_size},
                "orderBy": PROFILE_ORDER,
                "includeTotalCount": True,
            }
            return items(self.client._call("user-profile/list", body, read))

        return fetch
