"""ApiV3Client: the few API v3 actions this project needs, over JSON with ``format=1``.

API v3 reports errors as HTTP 200 with ``objectType: KalturaAPIException``; they
are turned into the same exception tree as the Events Platform's, keeping the
code and message. The KS travels in the body, never in the URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from kaltura_events.api import validation as v
from kaltura_events.api.answers import V3_VOID, Reader, read_answer, refusing, shaped
from kaltura_events.api.errors import InvalidArgumentError, NotFoundError
from kaltura_events.api.ks import KsProvider, Minted
from kaltura_events.api.models import (
    HASH_ALGO_CODES,
    TEMPLATE_ACTIVE,
    TEMPLATE_DISABLED,
    BaseEntry,
    Category,
    CategoryPage,
    KalturaUser,
    NotificationTemplate,
    NotificationTemplatePage,
)
from kaltura_events.api.paging import collect_pages
from kaltura_events.api.retry import RetryPolicy
from kaltura_events.api.transport import DEFAULT_TIMEOUT, Slot, Transport, error_for_status
from kaltura_events.api.validation import require_receiver_url

T = TypeVar("T")

MAX_CATEGORY_PAGE = 500
MAX_TEMPLATE_PAGE = 500
"""No reference states the template list's largest page; 500 is API v3's usual pager ceiling."""
TEMPLATES = "eventnotification_eventnotificationtemplate"
HTTP_TEMPLATE_TYPE = "httpNotification.Http"
HTTP_TEMPLATE_OBJECT = "KalturaHttpNotificationTemplate"
TEMPLATE_ORDERS = ("+createdAt", "-createdAt", "+updatedAt", "-updatedAt", "+id", "-id")
CATEGORY_ORDERS = ("+createdAt", "-createdAt", "+name", "-name", "+depth", "-depth", "+fullName", "-fullName")


@dataclass(frozen=True)
class CategoryFilter:
    """The category filters our teardown needs; empty fields are not sent."""

    full_name_equal: str | None = None
    full_name_in: tuple[str, ...] = ()
    full_name_starts_with: str | None = None
    parent_id_equal: int | None = None
    id_in: tuple[int, ...] = ()
    ancestor_id_in: tuple[int, ...] = ()
    order_by: str | None = None

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"objectType": "KalturaCategoryFilter"}
        if self.full_name_equal is not None:
            body["fullNameEqual"] = self.full_name_equal
        if self.full_name_in:
            if any("," in name for name in self.full_name_in):
                raise InvalidArgumentError("full_name_in", self.full_name_in, "names may not contain commas")
            body["fullNameIn"] = ",".join(self.full_name_in)
        if self.full_name_starts_with is not None:
            body["fullNameStartsWith"] = self.full_name_starts_with
        if self.parent_id_equal is not None:
            body["parentIdEqual"] = _require_category_id(
                "parent_id_equal", self.parent_id_equal, allow_zero=True
            )
        if self.id_in:
            body["idIn"] = ",".join(str(_require_category_id("id_in", i)) for i in self.id_in)
        if self.ancestor_id_in:
            body["ancestorIdIn"] = ",".join(
                str(_require_category_id("ancestor_id_in", i)) for i in self.ancestor_id_in
            )
        if self.order_by is not None:
            body["orderBy"] = v.require_choice("order_by", self.order_by, CATEGORY_ORDERS)
        return body


@dataclass(frozen=True)
class TemplateFilter:
    """The notifications guide's template filters (§5.5, §11.2); empty fields are not sent."""

    type_equal: str | None = None
    system_name_equal: str | None = None
    status_equal: int | None = None
    id_in: tuple[int, ...] = ()
    order_by: str | None = None

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"objectType": "KalturaEventNotificationTemplateFilter"}
        if self.type_equal is not None:
            body["typeEqual"] = self.type_equal
        if self.system_name_equal is not None:
            if not isinstance(self.system_name_equal, str) or not self.system_name_equal:
                raise InvalidArgumentError("system_name_equal", self.system_name_equal, "a non-empty string")
            body["systemNameEqual"] = self.system_name_equal
        if self.status_equal is not None:
            body["statusEqual"] = _require_status("status_equal", self.status_equal)
        if self.id_in:
            body["idIn"] = ",".join(str(_require_template_id("id_in", i)) for i in self.id_in)
        if self.order_by is not None:
            body["orderBy"] = v.require_choice("order_by", self.order_by, TEMPLATE_ORDERS)
        return body


@dataclass(frozen=True)
class HttpTemplateSettings:
    """What a partner sets on an HTTP template (Kaltura's code's fields, reference README).

    ``None`` leaves a field as it is. ``json_payload`` asks for the entry as
    a JSON ``KalturaHttpNotification`` body (else Kaltura posts an empty body).
    Neither ``url`` nor ``password`` is ever shown in an error or a repr.
    """

    name: str | None = None
    system_name: str | None = None
    description: str | None = None
    url: str | None = field(default=None, repr=False)
    method: str | None = None
    hash_algo: str | None = None
    custom_headers: tuple[tuple[str, str], ...] | None = None
    json_payload: bool | None = None

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"objectType": HTTP_TEMPLATE_OBJECT}
        for name, key in (("name", "name"), ("system_name", "systemName"), ("description", "description")):
            value = getattr(self, name)
            if value is not None:
                if not isinstance(value, str) or (name != "description" and not value.strip()):
                    raise InvalidArgumentError(name, value, "a non-empty string")
                body[key] = value
        if self.url is not None:
            body["url"] = require_receiver_url("url", self.url)
        if self.method is not None:
            if self.method not in _METHODS:
                raise InvalidArgumentError("method", self.method, "expected GET or POST")
            body["method"] = _METHODS[self.method]
        if self.hash_algo is not None:
            if self.hash_algo not in HASH_ALGO_CODES:
                raise InvalidArgumentError(
                    "hash_algo", self.hash_algo, f"expected one of {', '.join(HASH_ALGO_CODES)}"
                )
            body["secureHashingAlgo"] = HASH_ALGO_CODES[self.hash_algo]
        if self.custom_headers is not None:
            headers = []
            for pair in self.custom_headers:
                if len(pair) != 2 or not all(isinstance(part, str) for part in pair) or not pair[0].strip():
                    raise InvalidArgumentError("custom_headers", "(a pair)", "each header is (name, value)")
                headers.append({"objectType": "KalturaKeyValue", "key": pair[0], "value": pair[1]})
            body["customHeaders"] = headers
        if self.json_payload:
            body["data"] = {"objectType": "KalturaHttpNotificationObjectData", "format": 1}
        return body


_METHODS = {"GET": 1, "POST": 2}
_TEMPLATE_STATUSES = (TEMPLATE_DISABLED, TEMPLATE_ACTIVE)


def _require_template_id(field: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise InvalidArgumentError(field, value, "a template id is a positive integer")


def _require_status(field: str, value: Any) -> int:
    if type(value) is int and value in _TEMPLATE_STATUSES:
        return value
    raise InvalidArgumentError(field, value, "a template status is 1 (disabled) or 2 (active)")


def _require_category_id(field: str, value: Any, *, allow_zero: bool = False) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and (value > 0 or (allow_zero and value == 0)):
        return value
    raise InvalidArgumentError(field, value, "a category id is a positive integer")


class ApiV3Client:
    """Category and session actions; sessions need no KS, categories use the provider's."""

    def __init__(
        self,
        service_url: str,
        ks: KsProvider | None = None,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        slot: Slot | None = None,
        url_hint: str | None = None,
    ) -> None:
        provider = ks or KsProvider(fixed_ks="")
        self._t = Transport(
            service_url,
            provider,
            timeout=timeout,
            retry=retry,
            max_connections=8,
            sleep=sleep,
            slot=slot,
            url_hint=url_hint,
        )

    def close(self) -> None:
        self._t.close()

    def __enter__(self) -> ApiV3Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------

    def _post(self, service: str, action: str, params: dict[str, Any], read: Reader[T]) -> T:
        """One attempt: an HTTP error, a ``KalturaAPIException``, an unreadable answer, or ``T``."""
        endpoint = f"{service}.{action}"
        sensitive = _sensitive(params)
        response = self._t.post(
            endpoint, f"{self._t.base_url}/service/{service}/action/{action}", json={**params, "format": 1}
        )
        if response.status_code >= 400:
            raise error_for_status(endpoint, response, sensitive)
        return read_answer(endpoint, response, refusing(endpoint, read, sensitive), sensitive)

    def _authed(
        self,
        service: str,
        action: str,
        params: dict[str, Any],
        read: Reader[T],
        *,
        gone_is_done: bool = False,
        reconcile: Callable[[], T | None] | None = None,
    ) -> T:
        endpoint = f"{service}.{action}"

        def attempt() -> T:
            return self._t.authed(
                endpoint, lambda ks: self._post(service, action, {**params, "ks": ks}, read)
            )

        return self._t.call(attempt, gone_is_done=gone_is_done, reconcile=reconcile)

    # -- sessions -------------------------------------------------------------

    def start_session(
        self,
        *,
        secret: str,
        partner_id: int,
        user_id: str,
        session_type: int = 2,
        expiry_seconds: int = 86400,
        privileges: str = "",
    ) -> str:
        """``session.start``: the server makes the KS (for accounts that want it so)."""
        params = {
            "secret": secret,
            "partnerId": partner_id,
            "userId": user_id,
            "type": session_type,
            "expiry": expiry_seconds,
            "privileges": privileges,
        }
        return self._t.call(lambda: self._post("session", "start", params, KS))

    def start_widget_session(self, partner_id: int) -> str:
        params = {"widgetId": f"_{partner_id}"}
        return self._t.call(lambda: self._post("session", "startWidgetSession", params, KS))

    def start_app_token_session(
        self,
        *,
        widget_ks: str,
        token_id: str,
        token_hash: str,
        user_id: str,
        session_type: int = 2,
        expiry_seconds: int = 86400,
    ) -> Minted:
        params = {
            "ks": widget_ks,
            "id": token_id,
            "tokenHash": token_hash,
            "userId": user_id,
            "type": session_type,
            "expiry": expiry_seconds,
        }
        return self._t.call(lambda: self._post("appToken", "startSession", params, KS_WITH_EXPIRY))

    # -- categories -----------------------------------------------------------

    def list_categories_page(
        self, category_filter: CategoryFilter, *, page_index: int = 1, page_size: int = MAX_CATEGORY_PAGE
    ) -> CategoryPage:
        if type(page_size) is not int or not 1 <= page_size <= MAX_CATEGORY_PAGE:
            raise InvalidArgumentError(
                "page_size", page_size, f"a page size is from 1 to {MAX_CATEGORY_PAGE}"
            )
        if type(page_index) is not int or page_index < 1:
            raise InvalidArgumentError("page_index", page_index, "page indexes start at 1")
        params = {
            "filter": category_filter.to_api(),
            "pager": {"objectType": "KalturaFilterPager", "pageSize": page_size, "pageIndex": page_index},
        }
        return self._authed("category", "list", params, CATEGORY_PAGE)

    def iter_categories(self, category_filter: CategoryFilter) -> Iterator[Category]:
        """Every matching category, 500 a page, each id once, checked against ``totalCount``."""

        def fetch(number: int) -> tuple[Sequence[Category], int]:
            page = self.list_categories_page(category_filter, page_index=number + 1)
            return page.objects, page.total_count

        yield from collect_pages("category.list", fetch, page_size=MAX_CATEGORY_PAGE, key=lambda c: c.id)

    def list_categories(self, category_filter: CategoryFilter) -> list[Category]:
        return list(self.iter_categories(category_filter))

    def delete_category(self, category_id: int) -> None:
        """Deletes the category and its subtree; a category lock is waited out by the retry policy."""
        params = {"id": _require_category_id("category_id", category_id)}
        self._authed("category", "delete", params, V3_VOID, gone_is_done=True)

    # -- event notification templates -------------------------------------------

    def _templates_page(
        self, action: str, template_filter: TemplateFilter, page_index: int, page_size: int
    ) -> NotificationTemplatePage:
        if type(page_size) is not int or not 1 <= page_size <= MAX_TEMPLATE_PAGE:
            raise InvalidArgumentError(
                "page_size", page_size, f"a page size is from 1 to {MAX_TEMPLATE_PAGE}"
            )
        if type(page_index) is not int or page_index < 1:
            raise InvalidArgumentError("page_index", page_index, "page indexes start at 1")
        params = {
            "filter": template_filter.to_api(),
            "pager": {"objectType": "KalturaFilterPager", "pageSize": page_size, "pageIndex": page_index},
        }
        return self._authed(TEMPLATES, action, params, TEMPLATE_PAGE)

    def _all_templates(self, action: str, template_filter: TemplateFilter) -> list[NotificationTemplate]:
        template_filter.to_api()  # refuse a bad filter before the first request

        def fetch(number: int) -> tuple[Sequence[NotificationTemplate], int]:
            page = self._templates_page(action, template_filter, number + 1, MAX_TEMPLATE_PAGE)
            return page.objects, page.total_count

        return list(
            collect_pages(f"{TEMPLATES}.{action}", fetch, page_size=MAX_TEMPLATE_PAGE, key=lambda t: t.id)
        )

    def list_system_templates(
        self, template_filter: TemplateFilter = TemplateFilter(type_equal=HTTP_TEMPLATE_TYPE)
    ) -> list[NotificationTemplate]:
        """``listTemplates``: the system templates (partner 0) a partner may clone; HTTP ones by default."""
        return self._all_templates("listTemplates", template_filter)

    def list_templates(
        self, template_filter: TemplateFilter = TemplateFilter()
    ) -> list[NotificationTemplate]:
        """``list``: the partner's own templates, every page."""
        return self._all_templates("list", template_filter)

    def get_template(self, template_id: int) -> NotificationTemplate:
        params = {"id": _require_template_id("template_id", template_id)}
        return self._authed(TEMPLATES, "get", params, TEMPLATE)

    def clone_template(self, template_id: int, settings: HttpTemplateSettings) -> NotificationTemplate:
        """A partner copy of a system template (disabled until activated).

        ``settings.system_name`` is required: it is how an ambiguous failure
        (5xx, timeout) finds the copy it may have made instead of making a second.
        """
        if not settings.system_name:
            raise InvalidArgumentError("settings.system_name", settings.system_name, "a clone needs one")
        params = {
            "id": _require_template_id("template_id", template_id),
            "eventNotificationTemplate": settings.to_api(),
        }

        def reconcile() -> NotificationTemplate | None:
            found = self.list_templates(TemplateFilter(system_name_equal=settings.system_name))
            return found[0] if found else None

        return self._authed(TEMPLATES, "clone", params, TEMPLATE, reconcile=reconcile)

    def update_template(self, template_id: int, settings: HttpTemplateSettings) -> NotificationTemplate:
        """Only the fields set change (the guide, §11.3); repeating it is harmless."""
        params = {
            "id": _require_template_id("template_id", template_id),
            "eventNotificationTemplate": settings.to_api(),
        }
        return self._authed(TEMPLATES, "update", params, TEMPLATE)

    def update_template_status(self, template_id: int, status: int) -> NotificationTemplate:
        """1 disables, 2 activates (``updateStatus``, the only way to change it)."""
        params = {
            "id": _require_template_id("template_id", template_id),
            "status": _require_status("status", status),
        }
        return self._authed(TEMPLATES, "updateStatus", params, TEMPLATE)

    def delete_template(self, template_id: int) -> None:
        """A template already gone after an ambiguous failure counts as deleted."""
        params = {"id": _require_template_id("template_id", template_id)}
        self._authed(TEMPLATES, "delete", params, V3_VOID, gone_is_done=True)

    # -- entries --------------------------------------------------------------

    def get_entry(self, entry_id: str) -> BaseEntry:
        """``baseEntry.get``; raises NotFoundError (``ENTRY_ID_NOT_FOUND``) when there is no such entry."""
        return self._authed("baseEntry", "get", {"entryId": v.require_entry_id("entry_id", entry_id)}, ENTRY)

    # -- users ----------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> KalturaUser:
        """``user.add``: the account-level user a User Profile row needs (its guide §3).

        After an ambiguous failure the user it may have made is looked for
        (``user.get``) and adopted, never added twice.
        """
        user: dict[str, Any] = {
            "objectType": "KalturaUser",
            "id": v.require_kaltura_user_id("user_id", user_id),
        }
        if email is not None:
            user["email"] = v.require_email("email", email)
        if first_name is not None:
            user["firstName"] = v.require_name("first_name", first_name)
        if last_name is not None:
            user["lastName"] = v.require_name("last_name", last_name)

        def reconcile() -> KalturaUser | None:
            try:
                return self.get_user(user["id"])
            except NotFoundError:
                return None

        def attempt() -> KalturaUser:
            return self._t.authed(
                "user.add", lambda ks: self._post("user", "add", {"user": user, "ks": ks}, USER)
            )

        return self._t.call(attempt, reconcile=reconcile)

    def get_user(self, user_id: str) -> KalturaUser:
        """``user.get``; raises NotFoundError (``INVALID_USER_ID``) when there is no such user."""
        return self._authed("user", "get", {"userId": v.require_kaltura_user_id("user_id", user_id)}, USER)


_SENSITIVE_PARAMS = ("ks", "secret", "tokenHash")


_SENSITIVE_TEMPLATE_FIELDS = ("url", "password")
"""A receiver's URL may carry a path token."""


def _sensitive(params: dict[str, Any]) -> Iterable[str]:
    """What we sent that an echoing server must not get into an error message."""
    template = params.get("eventNotificationTemplate")
    nested = template if isinstance(template, dict) else {}
    return (
        *(str(params[key]) for key in _SENSITIVE_PARAMS if params.get(key)),
        *(str(nested[key]) for key in _SENSITIVE_TEMPLATE_FIELDS if nested.get(key)),
    )


_KS_SHAPE = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")
"""Base64 (v1 or v2), long: enough to tell a KS from ``"ok"`` without knowing its version."""


def _ks_from(payload: Any) -> str:
    """``session.start`` answers the KS as a JSON string; some gateways wrap it in ``{ks}``."""
    ks = payload.get("ks") if isinstance(payload, dict) else payload
    if isinstance(ks, str) and _KS_SHAPE.fullmatch(ks):
        return ks
    raise TypeError("no KS in it")


def _ks_with_expiry(payload: Any) -> Minted:
    expiry = payload.get("expiry") if isinstance(payload, dict) else None
    if expiry is not None and (isinstance(expiry, bool) or not isinstance(expiry, (int, float))):
        raise TypeError("`expiry` is not a number")
    return _ks_from(payload), float(expiry) if expiry else None


KS: Reader[str] = Reader("a KS: a non-empty JSON string (or an object with `ks`)", _ks_from)
KS_WITH_EXPIRY: Reader[Minted] = Reader("a JSON object with `ks` (a string) and `expiry`", _ks_with_expiry)
ENTRY = shaped(BaseEntry, "a JSON object that is an entry (`id`, `rootEntryId`)")
USER = shaped(KalturaUser, "a JSON object that is a KalturaUser (`id`)")
CATEGORY_PAGE = shaped(CategoryPage, "a JSON object with `totalCount` and `objects` (a list of categories)")
TEMPLATE = shaped(
    NotificationTemplate, "a KalturaEventNotificationTemplate (a JSON object with `id`, `status`)"
)
TEMPLATE_PAGE = shaped(
    NotificationTemplatePage,
    "a JSON object with `totalCount` and `objects` (a list of notification templates)",
)
