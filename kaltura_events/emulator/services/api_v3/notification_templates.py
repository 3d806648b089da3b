"""API v3 event notification templates: the system templates, the partner's clones, and their rules.

Sources: KALTURA_EVENT_NOTIFICATIONS_WEBHOOK_AND_EMAIL_API.md (**EN**) for the
actions, filters, status values and error codes; the reference README (**REF**)
where Kaltura's server code contradicts EN: the HTTP template fields are
``url``, ``method``, ``username``/``password``, ``secureHashingAlgo`` and
``customHeaders`` (EN's ``signSecret``, ``contentType`` and ``authUsername``
do not exist, so they are ignored like any unknown property), and HTTP
templates exist for entries, categories and REACH tasks only.

Not locked on its own: the platform's one lock guards it (the backend takes it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kaltura_events.emulator.failures import ApiV3Failure
from kaltura_events.emulator.services.api_v3.params import integer

HTTP_TYPE = "httpNotification.Http"
EMAIL_TYPE = "emailNotification.Email"
OBJECT_TYPES = {HTTP_TYPE: "KalturaHttpNotificationTemplate", EMAIL_TYPE: "KalturaEmailNotificationTemplate"}
"""EN §4.2: the template type and the ``objectType`` a clone must name."""

DISABLED, ACTIVE, DELETED = 1, 2, 3
"""EN §4.5 names 1 and 2; 3 (DELETED) is EventNotificationTemplateStatus in Kaltura's server code."""
GET, POST = 1, 2
"""EN §6.3 ``method``."""
HASH_ALGOS = {1: "sha1", 2: "sha256", 4: "sha512"}
"""EN §6.3's codes minus SHA384 and MD5, which REF says the code does not have; unset means sha1 (REF)."""

ENTRY, CATEGORY, CATEGORY_USER = 1, 2, 12
"""EN §4.4 event object types."""
OBJECT_CHANGED, OBJECT_CREATED, OBJECT_DELETED = 3, 5, 7
"""EN §4.3/§5.3 event types (entry templates: eventType 3, eventObjectType 1, EN §12.1)."""

JSON_OBJECT_DATA = "KalturaHttpNotificationObjectData"
"""EN §10.2: the event object as JSON (``format`` 1); without it the POST body is empty (EN §10.1)."""

FIRST_PARTNER_TEMPLATE_ID = 26970222
"""EN §10.5's example ``templateId``; the partner's templates count up from it."""
DEFAULT_PAGE_SIZE = 30
ORDER_FIELDS = ("createdAt", "updatedAt", "id")
"""EN §11.2 ``orderBy``."""
UPDATABLE_HTTP_FIELDS = (
    "name",
    "description",
    "systemName",
    "url",
    "method",
    "secureHashingAlgo",
    "customHeaders",
    "username",
    "password",
    "data",
    "timeout",
)
NOT_UPDATABLE = ("status", "eventType", "eventObjectType", "partnerId", "type", "id")
"""EN §11.4 (status only through updateStatus) and §13 (event type and object fixed at clone time)."""


@dataclass(frozen=True)
class SystemTemplate:
    """A partner-0 template, and which change-feed kinds it fires on (its ``eventConditions``)."""

    id: int
    name: str
    system_name: str
    type: str
    event_type: int
    event_object_type: int
    fires_on: frozenset[str]
    description: str = ""


SYSTEM_TEMPLATES: tuple[SystemTemplate, ...] = (
    SystemTemplate(
        10101,
        "Entry Status Changed",
        "HTTP_ENTRY_STATUS_CHANGED",
        HTTP_TYPE,
        OBJECT_CHANGED,
        ENTRY,
        frozenset({"entry.ready"}),
        "Entry status transitions",
    ),
    SystemTemplate(
        10102,
        "Entry Status Equals",
        "HTTP_ENTRY_STATUS_EQUALS",
        HTTP_TYPE,
        OBJECT_CHANGED,
        ENTRY,
        frozenset({"entry.ready"}),
        "Entry reaches READY (status 2)",
    ),
    SystemTemplate(
        10103,
        "Entry Changed",
        "HTTP_ENTRY_CHANGED",
        HTTP_TYPE,
        OBJECT_CHANGED,
        ENTRY,
        frozenset({"entry.ready", "entry.content_replaced"}),
        "Any entry modification",
    ),
    SystemTemplate(
        10104,
        "Recorded Entry Content Replaced",
        "HTTP_RECORDED_ENTRY_CONTENT_REPLACED",
        HTTP_TYPE,
        OBJECT_CHANGED,
        ENTRY,
        frozenset({"entry.content_replaced"}),
        "A live entry's recording got new content",
    ),
    SystemTemplate(
        10105,
        "Category Created",
        "HTTP_CATEGORY_CREATED",
        HTTP_TYPE,
        OBJECT_CREATED,
        CATEGORY,
        frozenset({"category.added"}),
        "New category added",
    ),
    SystemTemplate(
        10106,
        "Category Deleted",
        "HTTP_CATEGORY_DELETED",
        HTTP_TYPE,
        OBJECT_DELETED,
        CATEGORY,
        frozenset({"category.deleted"}),
        "Category removed",
    ),
    SystemTemplate(
        842,
        "User was added to category as [role]",
        "User_Was_Added_To_Category",
        EMAIL_TYPE,
        OBJECT_CHANGED,
        CATEGORY_USER,
        frozenset(),
        "Category membership notification",
    ),
)
"""Ids 101xx are the emulator's (EN gives no HTTP template ids); 842 and the names are EN §5.3, §12.4."""


@dataclass
class PartnerTemplate:
    """A partner's copy; ``password`` is write-only and never rendered."""

    id: int
    source: SystemTemplate
    name: str
    system_name: str
    description: str
    status: int
    created_at: int
    updated_at: int
    url: str = ""
    method: int = POST
    secure_hashing_algo: int | None = None
    custom_headers: list[dict[str, str]] = field(default_factory=list)
    username: str = ""
    password: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    timeout: int = 0

    @property
    def hash_algo(self) -> str:
        return HASH_ALGOS.get(self.secure_hashing_algo or 1, "sha1")

    @property
    def sends_json(self) -> bool:
        return self.data.get("objectType") == JSON_OBJECT_DATA and str(self.data.get("format", "1")) == "1"


def render_system(template: SystemTemplate) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": template.id,
        "partnerId": 0,
        "name": template.name,
        "systemName": template.system_name,
        "description": template.description,
        "type": template.type,
        "status": ACTIVE,
        "eventType": template.event_type,
        "eventObjectType": template.event_object_type,
        "objectType": OBJECT_TYPES[template.type],
    }
    if template.type == HTTP_TYPE:
        body.update({"url": "", "method": POST, "customHeaders": [], "data": None})
    return body


def render_partner(template: PartnerTemplate, partner_id: int) -> dict[str, Any]:
    """KalturaHttpNotificationTemplate (or Email) without the password."""
    source = template.source
    body: dict[str, Any] = {
        "id": template.id,
        "partnerId": partner_id,
        "name": template.name,
        "systemName": template.system_name,
        "description": template.description,
        "type": source.type,
        "status": template.status,
        "createdAt": template.created_at,
        "updatedAt": template.updated_at,
        "eventType": source.event_type,
        "eventObjectType": source.event_object_type,
        "objectType": OBJECT_TYPES[source.type],
    }
    if source.type == HTTP_TYPE:
        body.update(
            {
                "url": template.url,
                "method": template.method,
                "secureHashingAlgo": template.secure_hashing_algo,
                "customHeaders": [dict(h, objectType="KalturaKeyValue") for h in template.custom_headers],
                "username": template.username,
                "data": dict(template.data) or None,
                "timeout": template.timeout,
            }
        )
    return body


def not_found(template_id: Any) -> ApiV3Failure:
    """EN §13."""
    return ApiV3Failure(
        "EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND",
        f"Event notification template id [{template_id}] not found",
        {"ID": str(template_id)},
    )


def _invalid(name: str, value: Any) -> ApiV3Failure:
    return ApiV3Failure("INVALID_FIELD_VALUE", f"Invalid value [{value}] for [{name}]", {"PROP_NAME": name})


class TemplateBook:
    """The system templates (read-only) and one partner's templates (clone, update, status, delete)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._next_id = FIRST_PARTNER_TEMPLATE_ID
        self.system = {t.id: t for t in SYSTEM_TEMPLATES}
        self.partner: dict[int, PartnerTemplate] = {}

    def get(self, template_id: int) -> PartnerTemplate:
        """A partner's own template; a system template's id names none of them (EN §4.6 "your templates")."""
        found = self.partner.get(template_id)
        if found is None:
            raise not_found(template_id)
        return found

    def clone(self, template_id: int, fields: dict[str, Any]) -> PartnerTemplate:
        """EN §6.1-6.4: a copy of a system (or the partner's own) template, DISABLED until activated."""
        source = self.system.get(template_id) or (
            self.partner[template_id].source if template_id in self.partner else None
        )
        if source is None:
            raise not_found(template_id)
        object_type = fields.get("objectType")
        if object_type and object_type != OBJECT_TYPES[source.type]:
            raise ApiV3Failure(
                "EVENT_NOTIFICATION_WRONG_TYPE",
                f"Wrong event notification template type [{object_type}]",
                {"TYPE": str(object_type)},
            )
        now = int(self._clock())
        template = PartnerTemplate(
            id=self._next_id,
            source=source,
            name=source.name,
            system_name=source.system_name,
            description=source.description,
            status=DISABLED,
            created_at=now,
            updated_at=now,
        )
        self._apply(template, fields, check_fixed=False)
        self._next_id += 1
        self.partner[template.id] = template
        return template

    def update(self, template_id: int, fields: dict[str, Any]) -> PartnerTemplate:
        """EN §11.3: only the fields sent change; status and the event are refused (EN §11.4, §13)."""
        template = self.get(template_id)
        changed = dataclasses.replace(template, custom_headers=list(template.custom_headers))
        self._apply(changed, fields, check_fixed=True)
        changed.updated_at = int(self._clock())
        self.partner[template_id] = changed
        return changed

    def update_status(self, template_id: int, status: int) -> PartnerTemplate:
        template = self.get(template_id)
        if status not in (DISABLED, ACTIVE, DELETED):
            raise _invalid("status", status)
        if status == DELETED:
            del self.partner[template_id]
        template.status = status
        template.updated_at = int(self._clock())
        return template

    def delete(self, template_id: int) -> None:
        """EN §11.5: gone for good."""
        self.get(template_id)
        del self.partner[template_id]

    def list_partner(
        self, filters: dict[str, Any], pager: dict[str, Any]
    ) -> tuple[int, list[PartnerTemplate]]:
        """EN §11.2's filters (``idIn`` too, as every API v3 filter has) and pager."""
        found = [
            t
            for t in self.partner.values()
            if _matches(t.id, t.source.type, t.system_name, t.status, filters)
        ]
        return _page(found, filters, pager, lambda t: {"createdAt": t.created_at, "updatedAt": t.updated_at})

    def list_system(self, filters: dict[str, Any], pager: dict[str, Any]) -> tuple[int, list[SystemTemplate]]:
        """EN §5.1-5.5: the partner-0 templates, by type, with a pager."""
        found = [t for t in self.system.values() if _matches(t.id, t.type, t.system_name, ACTIVE, filters)]
        return _page(found, filters, pager, lambda t: {"createdAt": 0, "updatedAt": 0})

    def active_for(self, kind: str) -> list[PartnerTemplate]:
        """The partner's ACTIVE HTTP templates whose event covers this change kind, by id."""
        return sorted(
            (
                t
                for t in self.partner.values()
                if t.status == ACTIVE and t.source.type == HTTP_TYPE and kind in t.source.fires_on
            ),
            key=lambda t: t.id,
        )

    # -- fields -------------------------------------------------------------

    def _apply(self, template: PartnerTemplate, fields: dict[str, Any], *, check_fixed: bool) -> None:
        if check_fixed:
            for name in NOT_UPDATABLE:
                if fields.get(name) not in (None, ""):
                    raise ApiV3Failure(
                        "PROPERTY_VALIDATION_NOT_UPDATABLE",
                        f"Property [eventNotificationTemplate:{name}] is not updatable",
                        {"PROP_NAME": f"eventNotificationTemplate:{name}"},
                    )
        if "systemName" in fields and fields["systemName"] not in (None, ""):
            system_name = str(fields["systemName"])
            if any(t.system_name == system_name and t.id != template.id for t in self.partner.values()):
                raise ApiV3Failure(
                    "EVENT_NOTIFICATION_TEMPLATE_DUPLICATE_SYSTEM_NAME",
                    f"Event notification template with system name [{system_name}] already exists",
                    {"SYSTEM_NAME": system_name},
                )
            template.system_name = system_name
        elif not check_fixed and any(t.system_name == template.system_name for t in self.partner.values()):
            raise ApiV3Failure(
                "EVENT_NOTIFICATION_TEMPLATE_DUPLICATE_SYSTEM_NAME",
                f"Event notification template with system name [{template.system_name}] already exists",
                {"SYSTEM_NAME": template.system_name},
            )
        for name, attribute in (("name", "name"), ("description", "description"), ("url", "url")):
            if fields.get(name) is not None:
                setattr(template, attribute, str(fields[name]))
        if fields.get("username") is not None:
            template.username = str(fields["username"])
        if fields.get("password") is not None:
            template.password = str(fields["password"])
        if fields.get("method") not in (None, ""):
            method = integer(fields["method"], "eventNotificationTemplate:method")
            if method not in (GET, POST):
                raise _invalid("eventNotificationTemplate:method", method)
            template.method = method
        if fields.get("secureHashingAlgo") not in (None, ""):
            algo = integer(fields["secureHashingAlgo"], "eventNotificationTemplate:secureHashingAlgo")
            if algo not in HASH_ALGOS:
                raise _invalid("eventNotificationTemplate:secureHashingAlgo", algo)
            template.secure_hashing_algo = algo
        if fields.get("timeout") not in (None, ""):
            template.timeout = integer(fields["timeout"], "eventNotificationTemplate:timeout")
        if fields.get("customHeaders") is not None:
            template.custom_headers = _headers(fields["customHeaders"])
        if fields.get("data") is not None:
            if not isinstance(fields["data"], dict):
                raise _invalid("eventNotificationTemplate:data", fields["data"])
            data = dict(fields["data"])
            if data.get("format") not in (None, ""):
                data["format"] = integer(data["format"], "eventNotificationTemplate:data:format")
            template.data = data


def _headers(value: Any) -> list[dict[str, str]]:
    """EN §7.3: ``customHeaders[i][key]``/``[value]``; forms arrive as a dict keyed by index."""
    items: Iterable[Any]
    if isinstance(value, dict):
        items = [value[k] for k in sorted(value, key=lambda k: int(k) if str(k).isdigit() else 0)]
    elif isinstance(value, list):
        items = value
    else:
        raise _invalid("eventNotificationTemplate:customHeaders", value)
    headers = []
    for item in items:
        if not isinstance(item, dict) or not item.get("key"):
            raise _invalid("eventNotificationTemplate:customHeaders", item)
        headers.append({"key": str(item["key"]), "value": str(item.get("value", ""))})
    return headers


def _csv_ints(value: Any, name: str) -> set[int]:
    items = value if isinstance(value, list) else str(value).split(",")
    return {integer(str(item).strip(), name) for item in items if str(item).strip()}


def _matches(template_id: int, kind: str, system_name: str, status: int, filters: dict[str, Any]) -> bool:
    if filters.get("typeEqual") not in (None, "") and filters["typeEqual"] != kind:
        return False
    if filters.get("systemNameEqual") not in (None, "") and filters["systemNameEqual"] != system_name:
        return False
    if (
        filters.get("statusEqual") not in (None, "")
        and integer(filters["statusEqual"], "filter:statusEqual") != status
    ):
        return False
    if (
        filters.get("idEqual") not in (None, "")
        and integer(filters["idEqual"], "filter:idEqual") != template_id
    ):
        return False
    return not (
        filters.get("idIn") not in (None, "") and template_id not in _csv_ints(filters["idIn"], "filter:idIn")
    )


def _page(
    found: list[Any], filters: dict[str, Any], pager: dict[str, Any], dates: Callable[[Any], dict[str, int]]
) -> tuple[int, list[Any]]:
    order = str(filters.get("orderBy") or "+id")
    direction, order_field = (order[0], order[1:]) if order[:1] in "+-" else ("+", order)
    if order_field not in ORDER_FIELDS:
        raise _invalid("filter:orderBy", order)

    def key(item: Any) -> tuple[int, int]:
        value = item.id if order_field == "id" else dates(item)[order_field]
        return value, item.id

    found.sort(key=key, reverse=direction == "-")
    size = integer(pager.get("pageSize"), "pager:pageSize", DEFAULT_PAGE_SIZE)
    size = DEFAULT_PAGE_SIZE if size <= 0 else size
    index = max(integer(pager.get("pageIndex"), "pager:pageIndex", 1), 1)
    start = (index - 1) * size
    return len(found), found[start : start + size]
