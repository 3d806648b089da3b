"""The App Registry's state: the partner's apps, by GUID.

The Events Platform registers each new event's app here through
:meth:`AppRegistryBackend.register_event_app` (§14), and User Profile asks
:meth:`AppRegistryBackend.enabled_app` whether an ``appGuid`` may hold profiles.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from kaltura_events.emulator.changes import Change
from kaltura_events.emulator.failures import ApiV3Failure
from kaltura_events.emulator.platform import Platform
from kaltura_events.emulator.services.app_registry.models import (
    EVENT_APP_TYPE,
    App,
    AppChanges,
    render_app,
    split_domains,
)

SERVICE_NAME = "app_registry"


def object_not_found(what: str) -> ApiV3Failure:
    """§6, §8, §13: ``OBJECT_NOT_FOUND`` (HTTP 200) for an id naming no app of this partner."""
    return ApiV3Failure("OBJECT_NOT_FOUND", f"Object not found: {what}")


class AppRegistryBackend:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.reset()

    def reset(self) -> None:
        with self.platform.lock:
            self.apps: dict[str, App] = {}

    def _announce(self, kind: str, app: App) -> None:
        self.platform.changes.announce(Change(SERVICE_NAME, kind, app.id, self._render(app)))

    def _render(self, app: App) -> dict[str, Any]:
        return render_app(app, self.platform.partner_id)

    def _new_guid(self) -> str:
        """A GUID like the guide's, drawn from the seeded ids so a run replays."""
        while True:
            guid = str(uuid.UUID(int=self.platform.ids.getrandbits(128), version=4))
            if guid not in self.apps:
                return guid

    def _app(self, guid: str) -> App:
        app = self.apps.get(guid)
        if app is None:
            raise object_not_found(f"app {guid!r}")
        return app

    def _by_custom_id(self, custom_id: str) -> App | None:
        return next((app for app in self.apps.values() if app.app_custom_id == custom_id), None)

    # -- the API -------------------------------------------------------------

    def add(
        self, custom_id: str, custom_name: str, app_type: str, organization_domain: dict[str, str] | None
    ) -> dict[str, Any]:
        """§5: ``status`` always starts enabled, ``version`` at 0; ``appCustomId`` unique per partner;
        organizationId + each domain + appType unique."""
        with self.platform.locked():
            if self._by_custom_id(custom_id) is not None:
                raise ApiV3Failure(
                    "APP_REGISTRY_ALREADY_EXISTS_WITH_THIS_APP_CUSTOM_ID",
                    f"An app with appCustomId {custom_id!r} already exists",
                )
            if organization_domain is not None:
                self._check_domain_free(organization_domain, app_type)
            now = self.platform.now()
            app = App(self._new_guid(), custom_id, custom_name, app_type, now, now)
            app.organization_domain = organization_domain
            self.apps[app.id] = app
            self._announce("app.added", app)
            return self._render(app)

    def update(self, guid: str, changes: AppChanges) -> dict[str, Any]:
        """§7: only the fields given change; ``version`` +1 and ``updatedAt`` refreshed. The §5
        uniqueness holds for the app as updated, other apps only."""
        with self.platform.locked():
            app = self._app(guid)
            custom_id = changes.app_custom_id
            taken = None if custom_id is None else self._by_custom_id(custom_id)
            if taken is not None and taken is not app:
                raise ApiV3Failure(
                    "APP_REGISTRY_ALREADY_EXISTS_WITH_THIS_APP_CUSTOM_ID",
                    f"An app with appCustomId {custom_id!r} already exists",
                )
            app_type = app.app_type if changes.app_type is None else changes.app_type
            domain_changes = changes.organization_domain is not None or changes.app_type is not None
            organization_domain = changes.organization_domain or app.organization_domain
            if organization_domain is not None and domain_changes:
                self._check_domain_free(organization_domain, app_type, besides=app.id)
            if custom_id is not None:
                app.app_custom_id = custom_id
            if changes.app_custom_name is not None:
                app.app_custom_name = changes.app_custom_name
            app.app_type = app_type
            app.organization_domain = organization_domain
            app.version += 1
            app.updated_at = self.platform.now()
            self._announce("app.updated", app)
            return self._render(app)

    def _check_domain_free(
        self, organization_domain: dict[str, str], app_type: str, besides: str | None = None
    ) -> None:
        wanted = split_domains(organization_domain)
        organization = organization_domain.get("organizationId")
        for app in self.apps.values():
            same_owner = app.organization_domain is not None and (
                app.organization_domain.get("organizationId") == organization
            )
            if app.id != besides and same_owner and app.app_type == app_type and app.domains() & wanted:
                raise ApiV3Failure(
                    "ORGANIZATION_ID_DOMAIN_AND_APP_TYPE_MUST_BE_UNIQUE",
                    "The organizationId, domain and appType combination is already taken",
                )

    def get(self, guid: str) -> dict[str, Any]:
        with self.platform.locked():
            return self._render(self._app(guid))

    def set_status(self, guid: str, status: str) -> dict[str, Any]:
        """§9, §12: ``version`` and ``updatedAt`` move only when the status actually changes."""
        with self.platform.locked():
            app = self._app(guid)
            if app.status != status:
                app.status = status
                app.version += 1
                app.updated_at = self.platform.now()
                self._announce(f"app.{status}", app)
            return self._render(app)

    def delete(self, guid: str) -> None:
        with self.platform.locked():
            app = self._app(guid)
            del self.apps[guid]
            self._announce("app.deleted", app)

    def list_apps(
        self, matches: Callable[[App], bool], skip: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """§10, §11: oldest first (no order is stated; creation order keeps offset paging stable)."""
        with self.platform.locked():
            found = sorted((a for a in self.apps.values() if matches(a)), key=lambda a: (a.created_at, a.id))
            return len(found), [self._render(app) for app in found[skip : skip + limit]]

    # -- for other services ----------------------------------------------------

    def register_event_app(self, event_id: int, event_name: str) -> None:
        """§14: creating a virtual event registers an enabled ``epmEvent`` app with appCustomId = its id.

        The app's name is the event's (``appCustomName`` is required, §5, and no
        source says what the platform puts there). An app a test already made
        with that custom id is left as it is. The platform lock is held.
        """
        with self.platform.lock:
            custom_id = str(event_id)
            if self._by_custom_id(custom_id) is not None:
                return
            now = self.platform.now()
            app = App(self._new_guid(), custom_id, event_name, EVENT_APP_TYPE, now, now)
            self.apps[app.id] = app
            self._announce("app.added", app)

    def discard_event_app(self, event_id: int) -> None:
        """A copy that failed never existed for the platform: its app goes with its categories."""
        with self.platform.lock:
            app = self._by_custom_id(str(event_id))
            if app is not None and app.app_type == EVENT_APP_TYPE:
                del self.apps[app.id]

    def enabled_app(self, guid: str) -> App:
        """User Profile §3, §6: an ``appGuid`` must name a registered, enabled app, else OBJECT_NOT_FOUND."""
        with self.platform.lock:
            app = self.apps.get(guid)
            if app is None or app.status != "enabled":
                raise object_not_found(f"app {guid!r} (not registered, or not enabled)")
            return app

    def event_app(self, event_id: int) -> App | None:
        """The app a virtual event registered (appCustomId = its id), for the attendance control endpoint."""
        with self.platform.lock:
            return self._by_custom_id(str(event_id))

    def snapshot(self) -> dict[str, Any]:
        with self.platform.locked():
            return {"apps": [self._render(app) for app in self.apps.values()]}
