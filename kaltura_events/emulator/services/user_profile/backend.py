"""User Profile's state: every profile, soft-deleted ones too (§11), by id.

A new profile needs its user in API v3 and its app registered and enabled in
the App Registry (§3); both are asked through those services' backends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import Any

from kaltura_events.emulator.changes import Change
from kaltura_events.emulator.dates import within
from kaltura_events.emulator.failures import ApiV3Failure
from kaltura_events.emulator.platform import Platform
from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend
from kaltura_events.emulator.services.app_registry.backend import AppRegistryBackend
from kaltura_events.emulator.services.user_profile.models import (
    READ_ONLY_EVENT_DATA,
    NewProfile,
    Profile,
    render_profile,
    user_key,
)

SERVICE_NAME = "user_profile"

Order = Callable[[Profile], Any]


def profile_not_found(profile_id: str) -> ApiV3Failure:
    """§8.1, §11, §13: an id naming no profile, or a deleted one."""
    return ApiV3Failure("USER_PROFILE_NOT_FOUND", f"User profile {profile_id!r} not found")


class UserProfileBackend:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.reset()

    def reset(self) -> None:
        with self.platform.lock:
            self.profiles: dict[str, Profile] = {}
            self.by_app: dict[str, dict[str, Profile]] = {}
            """The same profiles by app GUID (an app's never changes): a listing of one app, or a
            look-up within one, reads that app's profiles rather than the partner's."""

    def _render(self, profile: Profile) -> dict[str, Any]:
        return render_profile(profile, self.platform.partner_id)

    def _announce(self, kind: str, profile: Profile) -> None:
        self.platform.changes.announce(Change(SERVICE_NAME, kind, profile.id, self._render(profile)))

    def _new_id(self) -> str:
        """24 hex digits, like the guide's ``6620a1b2c3d4e5f6a7b8c9d0``, from the seeded ids."""
        while True:
            candidate = f"{self.platform.ids.getrandbits(96):024x}"
            if candidate not in self.profiles:
                return candidate

    def _active(self, profile_id: str) -> Profile:
        profile = self.profiles.get(profile_id)
        if profile is None or profile.deleted:
            raise profile_not_found(profile_id)
        return profile

    def _active_of(self, app_guid: str, user_id: str) -> Profile | None:
        key = user_key(user_id)
        return next(
            (p for p in self.by_app.get(app_guid, {}).values() if not p.deleted and p.user_key() == key),
            None,
        )

    # -- the API -------------------------------------------------------------

    def add(self, new: NewProfile) -> dict[str, Any]:
        """§3, §6: the app enabled (OBJECT_NOT_FOUND), the user existing (USER_ID_NOT_FOUND), one
        active profile per app and user (USER_ALREADY_ASSOCIATED_TO_APP_GUID)."""
        with self.platform.locked():
            self.platform.backend(AppRegistryBackend).enabled_app(new.app_guid)
            return self._add(new)

    def bulk_add(self, items: list[NewProfile]) -> list[dict[str, Any] | ApiV3Failure]:
        """§7: the one shared app is checked once, and refuses the whole call; then each item is
        added or refused on its own, in order, as ``add`` would (a later item meets an earlier one)."""
        with self.platform.locked():
            self.platform.backend(AppRegistryBackend).enabled_app(items[0].app_guid)
            results: list[dict[str, Any] | ApiV3Failure] = []
            for item in items:
                try:
                    results.append(self._add(item))
                except ApiV3Failure as refusal:
                    results.append(refusal)
            return results

    def _add(self, new: NewProfile) -> dict[str, Any]:
        """The platform lock is held and the app checked."""
        if not self.platform.backend(ApiV3Backend).user_exists(new.user_id):
            raise ApiV3Failure("USER_ID_NOT_FOUND", f"User id {new.user_id!r} does not exist in the account")
        profile = self._insert(
            new.app_guid, new.user_id, new.profile_data, new.event_data, self.platform.now()
        )
        profile.login_data = new.login_data
        profile.app_data = dict(new.app_data)
        profile.status = new.status
        self._announce("user_profile.added", profile)
        return self._render(profile)

    def _insert(
        self,
        app_guid: str,
        user_id: str,
        profile_data: dict[str, Any],
        event_data: dict[str, Any],
        at: datetime,
    ) -> Profile:
        if self._active_of(app_guid, user_id) is not None:
            raise ApiV3Failure(
                "USER_ALREADY_ASSOCIATED_TO_APP_GUID",
                f"User {user_id!r} already has a profile for app {app_guid!r}",
            )
        given = {k: v for k, v in event_data.items() if k not in READ_ONLY_EVENT_DATA}
        status = given.pop("attendanceStatus", None)
        profile = Profile(self._new_id(), app_guid, user_id, at, at, profile_data=dict(profile_data))
        profile.event_data = {"isRegistered": False, **given}
        if status is not None:
            profile.set_attendance(status, at)
        self.profiles[profile.id] = profile
        self.by_app.setdefault(app_guid, {})[profile.id] = profile
        return profile

    def get(self, profile_id: str) -> dict[str, Any]:
        with self.platform.locked():
            return self._render(self._active(profile_id))

    def update(self, profile_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """§9: ``eventData`` and ``loginData`` shallow-merged, ``profileData`` and ``appData`` replaced;
        the read-only ``eventData`` fields are the service's to set (§4.2)."""
        with self.platform.locked():
            profile = self._active(profile_id)
            now = self.platform.now()
            if "status" in changes:
                profile.status = changes["status"]
            if "profileData" in changes:
                profile.profile_data = dict(changes["profileData"])
            if "appData" in changes:
                profile.app_data = dict(changes["appData"])
            if "loginData" in changes:
                profile.login_data = {**(profile.login_data or {}), **changes["loginData"]}
            if "eventData" in changes:
                given = {k: v for k, v in changes["eventData"].items() if k not in READ_ONLY_EVENT_DATA}
                status = given.pop("attendanceStatus", None)
                profile.event_data.update(given)
                if status is not None:
                    profile.set_attendance(status, now)
            profile.updated_at = now
            self._announce("user_profile.updated", profile)
            return self._render(profile)

    def delete(self, profile_id: str) -> None:
        """§11: a soft delete; the same user may then get a new profile in the app."""
        with self.platform.locked():
            profile = self._active(profile_id)
            now = self.platform.now()
            profile.status, profile.deleted_at, profile.updated_at = "deleted", now, now
            self._announce("user_profile.deleted", profile)

    def list_profiles(
        self,
        matches: Callable[[Profile], bool],
        order: Order,
        descending: bool,
        skip: int,
        limit: int,
        app_guids: Collection[str] | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """§10: deleted profiles never listed, whatever the filter; ``app_guids``, when the filter
        names apps, reads only theirs (``matches`` still checks every filter)."""
        with self.platform.locked():
            if app_guids is None:
                candidates: Iterable[Profile] = self.profiles.values()
            else:
                candidates = [p for guid in set(app_guids) for p in self.by_app.get(guid, {}).values()]
            found = [p for p in candidates if not p.deleted and matches(p)]
            found.sort(key=lambda p: (order(p), p.id), reverse=descending)
            return len(found), [self._render(p) for p in found[skip : skip + limit]]

    def first_attendance_per_app(self, since: datetime | None, until: datetime | None) -> dict[str, int]:
        """§12.2: per app, the profiles whose ``firstAttendedStatusTime`` is in the range (deleted ones
        are in no query, §11); an app with none is not listed."""
        with self.platform.locked():
            counts = Counter(
                p.app_guid
                for p in self.profiles.values()
                if not p.deleted
                and (first := p.first_attended_at) is not None
                and within(first, since, until)
            )
            return dict(sorted(counts.items()))

    def event_data_stats(
        self, matches: Callable[[Profile], bool], dimensions: list[str]
    ) -> tuple[list[dict[str, Any]], int]:
        """§12.1: a count per app and combination of the dimensions' values, and their sum."""
        with self.platform.locked():
            counts: Counter[tuple[str, tuple[Any, ...]]] = Counter(
                (p.app_guid, tuple(p.event_data.get(d) for d in dimensions))
                for p in self.profiles.values()
                if not p.deleted and matches(p)
            )
            results = [
                {"appGuid": guid, "dimensions": dict(zip(dimensions, values, strict=True)), "count": count}
                for (guid, values), count in sorted(
                    counts.items(), key=lambda item: (item[0][0], str(item[0][1]))
                )
            ]
            return results, sum(counts.values())

    # -- for the control endpoint ---------------------------------------------

    def mark_attendance(self, app_guid: str, emails: list[str], status: str, at: datetime) -> dict[str, Any]:
        """What the platform does when these people join the event's app, at ``at``.

        Each gets an API v3 user and a profile where missing (``regOrigin`` is
        left out: no source says what joining sets), then the status, with the
        guide's side effects (§5) timed at ``at``. Control endpoints announce nothing.

        ``updatedAt`` (and a new profile's ``createdAt``) is the platform's own
        clock, whatever ``at`` says: it records when the record was written, and
        a backdated one would hide the write from an incremental reader
        (``updatedAtGreaterThanOrEqual``), which no real write can do.
        """
        with self.platform.locked():
            users = self.platform.backend(ApiV3Backend)
            marked, created = [], 0
            for email in emails:
                profile = self._active_of(app_guid, email)
                if profile is None:
                    users.ensure_user(email, email)
                    profile = self._insert(app_guid, email, {}, {}, self.platform.now())
                    created += 1
                profile.set_attendance(status, at)
                profile.updated_at = self.platform.now()
                marked.append(self._render(profile))
            return {"appGuid": app_guid, "profiles": marked, "created": created}

    def snapshot(self) -> dict[str, Any]:
        with self.platform.locked():
            return {"userProfiles": [self._render(p) for p in self.profiles.values()]}
