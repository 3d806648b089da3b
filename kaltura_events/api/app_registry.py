"""AppRegistryClient: from a virtual event's id to its app GUID, the key the User Profile service uses.

The Events Platform registers an ``epmEvent`` app for each event it creates,
with ``appCustomId`` = the event id (KALTURA_APP_REGISTRY_API.md §14).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kaltura_events.api import validation as v
from kaltura_events.api.answers import shaped
from kaltura_events.api.attendance_models import App, AppPage
from kaltura_events.api.bearer import BearerJsonClient
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.paging import collect_pages

MAX_CUSTOM_IDS = 15
"""Ids per ``list_apps`` call: our bound (the guide states none), so callers chunk like event pages."""
APP_PAGE_SIZE = 100
MAX_APP_PAGE_SIZE = 5000
"""KALTURA_APP_REGISTRY_API.md §10.2: ``pager.limit`` max 5000."""

APP = shaped(App, "a JSON object that is an App (`id`, `appCustomId`, `appType`, `status`)")
APP_PAGE = shaped(AppPage, "a JSON object with `objects` (a list of apps) and `totalCount`")


def _custom_id(field: str, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.strip() and len(value) <= 255:
        return value
    raise InvalidArgumentError(
        field, value, "an app custom id is a non-empty string (an event id for events)"
    )


class AppRegistryClient(BearerJsonClient):
    """Thread-safe and pooled; an application error arrives as a ``KalturaAPIException`` with HTTP 200."""

    refusals_at_200 = True

    def list_apps(
        self, custom_ids: Sequence[str], app_type: str = "epmEvent", *, page_size: int = APP_PAGE_SIZE
    ) -> list[App]:
        """The apps with these custom ids (event ids for ``epmEvent``), each once, checked against totalCount.

        No ids returns [] without a call: an empty ``appCustomIdIn`` would be
        no filter at all, and every app of the partner would come back.
        """
        ids = v.require_string_list("custom_ids", custom_ids, _custom_id, most=MAX_CUSTOM_IDS)
        kind = v.require_choice("app_type", app_type, v.APP_TYPES)
        if type(page_size) is not int or not 1 <= page_size <= MAX_APP_PAGE_SIZE:
            raise InvalidArgumentError(
                "page_size", page_size, f"a page size is from 1 to {MAX_APP_PAGE_SIZE}"
            )
        if not ids:
            return []
        app_filter = {"appCustomIdIn": ids, "appType": kind}

        def fetch(number: int) -> tuple[Sequence[App], int]:
            pager = {"offset": number * page_size, "limit": page_size}
            page = self._call("app-registry/list", {"filter": app_filter, "pager": pager}, APP_PAGE)
            return page.objects, page.total_count

        return collect_pages("app-registry/list", fetch, page_size=page_size, key=lambda app: app.id)

    def get_app(self, app_guid: str) -> App:
        """Raises NotFoundError (``OBJECT_NOT_FOUND``) for a GUID of no app of this partner."""
        return self._call("app-registry/get", {"id": v.require_app_guid("app_guid", app_guid)}, APP)
