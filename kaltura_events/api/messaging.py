"""MessagingClient: email templates per event app, sends labelled by session, and what they reached.

Templates and messages belong to an App Registry app (``appGuid``): for a
virtual event, the event's app (KALTURA_MESSAGING_API.md §3, §6.1). Every send
carries a ``session`` label, so ``list_messages`` by that label shows what a
send already reached before anything is sent again: ``message/send`` is the
one call here that must not be repeated blind (see ``send_message``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kaltura_events.api import validation as v
from kaltura_events.api.answers import ACKNOWLEDGED, Reader, shaped
from kaltura_events.api.bearer import BearerJsonClient
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.messaging_models import (
    BulkMessage,
    BulkMessagePage,
    DiscreteMessage,
    DiscreteMessagePage,
    EmailProvider,
    EmailTemplate,
    EmailTemplatePage,
    UnsubscribedUser,
    UnsubscribedUserPage,
)
from kaltura_events.api.paging import collect_pages

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
"""Our bound: §5.4's pager defaults to 30 and states no maximum."""
MAX_APP_GUIDS = 15
MAX_SESSIONS = 15
MAX_FILTER_USERS = 100
"""Our bounds on one list filter (the guide states none), so a filter stays one readable request."""
TEMPLATE_STATUSES = ("enabled", "disabled", "deleted")
DISCRETE_STATUSES = ("sending", "processed", "delivered", "deferred", "dropped", "bounce", "error")
"""§7.2."""
TOKEN_TYPES = ("User", "String", "MagicLink", "Dynamic", "UnsubscribeUri")
"""§4.1 without ``JwtQrCode``: its value carries a signing secret, which nothing here keeps out of errors."""
RECIPIENT = "Message.userId"
"""§6.1: a ``User`` token with this value resolves to each recipient."""

TEMPLATE = shaped(EmailTemplate, "a JSON object that is an email template (`id`, `appGuid`, `name`)")
TEMPLATE_PAGE = shaped(
    EmailTemplatePage, "a JSON object with `objects` (a list of templates) and `totalCount`"
)
BULK = shaped(BulkMessage, "a JSON object that is a bulk message (`id`, `bulkId`, `appGuid`, `status`)")
BULK_PAGE = shaped(BulkMessagePage, "a JSON object with `objects` (a list of bulk messages) and `totalCount`")
DISCRETE_PAGE = shaped(
    DiscreteMessagePage, "a JSON object with `objects` (one message per recipient) and `totalCount`"
)
UNSUBSCRIBED = shaped(UnsubscribedUser, "a JSON object with `userId` and `unsubscribed` (a list of groups)")
UNSUBSCRIBED_PAGE = shaped(
    UnsubscribedUserPage, "a JSON object with `objects` (users and their groups) and `totalCount`"
)
PROVIDER = shaped(EmailProvider, "a JSON object that is an email provider (`id`, `type`, `status`)")


def _counts(payload: Any) -> dict[str, int]:
    if not isinstance(payload, dict):
        raise TypeError("not an object")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in payload.values()):
        raise ValueError("a count that is not a non-negative integer")
    return {str(status): int(count) for status, count in payload.items()}


STATS: Reader[dict[str, int]] = Reader(
    'a JSON object of upper-case statuses and counts, such as {"DELIVERED": 450}', _counts
)


@dataclass(frozen=True)
class Token:
    """One token's value at send time (§4.1, §6.1): ``{"type", "value"}`` in ``msgParams``."""

    type: str
    value: str | Mapping[str, Any]

    @classmethod
    def recipient(cls) -> Token:
        """A ``User`` token that resolves to each recipient's own Kaltura user record."""
        return cls("User", RECIPIENT)

    @classmethod
    def text(cls, value: str) -> Token:
        return cls("String", value)

    @classmethod
    def magic_link(cls, base_url: str, expiry_hours: int, privileges: str = "") -> Token:
        """§4.3: an auto-login link to ``base_url`` valid for ``expiry_hours``."""
        return cls("MagicLink", {"baseURL": base_url, "expiry": expiry_hours, "privileges": privileges})

    @classmethod
    def unsubscribe_link(cls, uri: str) -> Token:
        return cls("UnsubscribeUri", uri)

    def as_param(self, field_name: str) -> dict[str, Any]:
        """The ``msgParams`` entry, checked so a bad token is refused before the send, naming it."""
        kind = v.require_choice(f"{field_name}.type", self.type, TOKEN_TYPES)
        if isinstance(self.value, str):
            if kind == "MagicLink":
                raise InvalidArgumentError(
                    f"{field_name}.value", self.value, "a MagicLink value is {baseURL, expiry, privileges}"
                )
            return {"type": kind, "value": self.value}
        if kind not in ("MagicLink", "Dynamic"):
            raise InvalidArgumentError(f"{field_name}.value", self.value, f"a {kind} value is a string")
        link = dict(self.value)
        base_url = link.get("baseURL")
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise InvalidArgumentError(f"{field_name}.value.baseURL", base_url, "expected an http(s) URL")
        expiry = link.get("expiry")
        if type(expiry) is not int or expiry < 1:
            raise InvalidArgumentError(f"{field_name}.value.expiry", expiry, "hours, a positive integer")
        return {"type": kind, "value": link}


def _guids(app_guids: Sequence[str]) -> list[str]:
    return v.require_string_list("app_guids", app_guids, v.require_app_guid, most=MAX_APP_GUIDS)


def _page_size(page_size: Any) -> int:
    if type(page_size) is not int or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgumentError("page_size", page_size, f"a page size is from 1 to {MAX_PAGE_SIZE}")
    return int(page_size)


def _token_map(msg_params_map: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """§5.1 ``msgParamsMap``: token name -> ``{"type"}``, from name -> type."""
    if not isinstance(msg_params_map, Mapping) or not msg_params_map:
        raise InvalidArgumentError("msg_params_map", msg_params_map, "a template defines at least one token")
    tokens: dict[str, dict[str, str]] = {}
    for name, kind in msg_params_map.items():
        if not isinstance(name, str) or not name.strip() or any(c in name for c in "{}. "):
            raise InvalidArgumentError(
                "msg_params_map", name, "a token name is a word, without {}, dots or spaces"
            )
        tokens[name] = {"type": v.require_choice(f"msg_params_map.{name}", kind, TOKEN_TYPES)}
    return tokens


def _text(field_name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(field_name, value, "a non-empty string")
    return value


def _template_fields(
    *,
    name: str | None,
    subject: str | None,
    body: str | None,
    to_attribute_path: str | None,
    msg_params_map: Mapping[str, str] | None,
    from_address: str | None,
    from_name: str | None,
    unsubscribe_groups: Sequence[str] | None,
    admin_tags: str | None,
) -> dict[str, Any]:
    """The §5.1/§5.3 fields that are given, each checked; ``None`` leaves one out."""
    fields: dict[str, Any] = {}
    if name is not None:
        fields["name"] = v.require_name("name", name)
    for key, given in (("subject", subject), ("body", body), ("toAttributePath", to_attribute_path)):
        if given is not None:
            fields[key] = _text(key, given)
    if msg_params_map is not None:
        fields["msgParamsMap"] = _token_map(msg_params_map)
    if from_address is not None:
        fields["from"] = v.require_email("from_address", from_address)
    if from_name is not None:
        fields["fromName"] = _text("from_name", from_name)
    if unsubscribe_groups is not None:
        fields["unsubscribeGroups"] = v.require_string_list("unsubscribe_groups", unsubscribe_groups, _text)
    if admin_tags is not None:
        fields["adminTags"] = _text("admin_tags", admin_tags)
    return fields


def _recipients(user_ids: Sequence[str]) -> list[str]:
    """At least one user, each once: an email address twice in one send would be two emails."""
    ids = v.require_string_list("user_ids", user_ids, v.require_kaltura_user_id)
    if not ids:
        raise InvalidArgumentError("user_ids", user_ids, "a send needs at least one user id")
    seen: set[str] = set()
    for user_id in ids:
        key = user_id.lower() if "@" in user_id else user_id
        if key in seen:
            raise InvalidArgumentError("user_ids", user_id, "listed twice; each recipient once per send")
        seen.add(key)
    return ids


class MessagingClient(BearerJsonClient):
    """Thread-safe and pooled; an application error arrives as a ``KalturaAPIException`` with HTTP 200
    (or, as the guide's §13 shows it, bare ``{"code", "message"}``)."""

    refusals_at_200 = True
    bare_refusals = True

    # -- email templates (§5) ---------------------------------------------------------

    def add_template(
        self,
        app_guid: str,
        *,
        name: str,
        subject: str,
        body: str,
        msg_params_map: Mapping[str, str],
        to_attribute_path: str = "{recipient.email}",
        from_address: str | None = None,
        from_name: str | None = None,
        unsubscribe_groups: Sequence[str] | None = None,
        admin_tags: str | None = None,
    ) -> EmailTemplate:
        """A template of this app; ``msg_params_map`` is token name -> type (``{"recipient": "User"}``).

        A template is known by its name within its app (the flows keep one per
        name), so after an ambiguous failure the enabled template of this app
        with this name, subject and body is looked for and adopted, never made twice.
        """
        guid = v.require_app_guid("app_guid", app_guid)
        fields = _template_fields(
            name=name,
            subject=subject,
            body=body,
            to_attribute_path=to_attribute_path,
            msg_params_map=msg_params_map,
            from_address=from_address,
            from_name=from_name,
            unsubscribe_groups=unsubscribe_groups,
            admin_tags=admin_tags,
        )

        def reconcile() -> EmailTemplate | None:
            for template in self.list_templates([guid], name=fields["name"], status="enabled"):
                if template.subject == fields["subject"] and template.body == fields["body"]:
                    return template
            return None

        return self._call("email-template/add", {"appGuid": guid, **fields}, TEMPLATE, reconcile=reconcile)

    def get_template(self, template_id: str) -> EmailTemplate:
        """Raises NotFoundError for an id of no template (a deleted one is still read, ``status`` deleted)."""
        return self._call(
            "email-template/get", {"id": v.require_messaging_id("template_id", template_id)}, TEMPLATE
        )

    def update_template(
        self,
        template_id: str,
        *,
        name: str | None = None,
        subject: str | None = None,
        body: str | None = None,
        msg_params_map: Mapping[str, str] | None = None,
        to_attribute_path: str | None = None,
        from_address: str | None = None,
        from_name: str | None = None,
        unsubscribe_groups: Sequence[str] | None = None,
        admin_tags: str | None = None,
        status: str | None = None,
    ) -> EmailTemplate:
        """Only the fields given change (§5.3); setting the same values twice is harmless: retried."""
        changes = _template_fields(
            name=name,
            subject=subject,
            body=body,
            to_attribute_path=to_attribute_path,
            msg_params_map=msg_params_map,
            from_address=from_address,
            from_name=from_name,
            unsubscribe_groups=unsubscribe_groups,
            admin_tags=admin_tags,
        )
        if status is not None:
            changes["status"] = v.require_choice("status", status, TEMPLATE_STATUSES)
        request = {"id": v.require_messaging_id("template_id", template_id), **changes}
        if not changes:
            raise InvalidArgumentError("changes", changes, "an update needs at least one field to change")
        return self._call("email-template/update", request, TEMPLATE)

    def list_templates(
        self,
        app_guids: Sequence[str],
        *,
        name: str | None = None,
        name_contains: str | None = None,
        status: str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> list[EmailTemplate]:
        """The templates of these apps, each once, checked against totalCount.

        ``name`` matches exactly (``nameEq``), ``name_contains`` a substring
        (``name``, §5.4). Deleted templates are listed unless ``status`` says
        otherwise. No GUIDs returns [] without a call: an empty ``appGuidIn``
        would be no filter, and every template of the partner would come back.
        """
        guids = _guids(app_guids)
        template_filter: dict[str, Any] = {"appGuidIn": guids}
        if name is not None:
            template_filter["nameEq"] = v.require_name("name", name)
        if name_contains is not None:
            template_filter["name"] = _text("name_contains", name_contains)
        if status is not None:
            template_filter["status"] = v.require_choice("status", status, TEMPLATE_STATUSES)
        size = _page_size(page_size)
        if not guids:
            return []

        def fetch(number: int) -> tuple[Sequence[EmailTemplate], int]:
            pager = {"offset": number * size, "limit": size}
            page = self._call(
                "email-template/list", {"filter": template_filter, "pager": pager}, TEMPLATE_PAGE
            )
            return page.objects, page.total_count

        return collect_pages("email-template/list", fetch, page_size=size, key=lambda t: t.id)

    def delete_template(self, template_id: str) -> None:
        """Sets the status to ``deleted`` (§5.5); deleting it again is harmless."""
        body = {"id": v.require_messaging_id("template_id", template_id)}
        self._call("email-template/delete", body, ACKNOWLEDGED, gone_is_done=True)

    # -- sending (§6) ------------------------------------------------------------------

    def send_message(
        self,
        app_guid: str,
        template_id: str,
        user_ids: Sequence[str],
        *,
        session: str,
        tokens: Mapping[str, Token],
    ) -> BulkMessage:
        """One email per user, from this template, labelled ``session``; answers the bulk, ``sending``.

        Not retried once the request may have reached the service. A send is
        not idempotent and has no key of its own: a 500 or a timeout may come
        after the emails were queued (the guide does not rule it out), and
        sending again would mail everyone twice. So a 5xx, a timeout, a
        dropped connection or an unreadable answer raises OutcomeUnknownError
        at once (not retryable, by Prefect either), and the caller lists the
        session (``list_messages([session], user_ids=...)``) to see whom it
        reached before sending to the rest. Failures that sent nothing (429,
        a connection never opened) are retried as everywhere. ``session`` is
        required for that reason: without a label no later call can tell.
        """
        label = v.require_session_label("session", session)
        if not isinstance(tokens, Mapping):
            raise InvalidArgumentError("tokens", tokens, "a mapping of token name to Token")
        params: dict[str, Any] = {}
        for token_name, token in tokens.items():
            if not isinstance(token, Token):
                raise InvalidArgumentError(f"tokens.{token_name}", token, "expected a Token")
            params[token_name] = token.as_param(f"tokens.{token_name}")
        body = {
            "receiverType": "user",
            "userIds": _recipients(user_ids),
            "appGuid": v.require_app_guid("app_guid", app_guid),
            "templateId": v.require_messaging_id("template_id", template_id),
            "type": "email",
            "msgParams": params,
            "session": label,
        }
        advice = (
            f"list session {label!r} (message/list with sessionIn and userIds) to see whom it reached "
            "before sending again"
        )
        return self._call("message/send", body, BULK, at_most_once=advice)

    # -- tracking (§8) -----------------------------------------------------------------

    def list_messages(
        self,
        sessions: Sequence[str],
        *,
        user_ids: Sequence[str] | None = None,
        app_guids: Sequence[str] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> list[BulkMessage]:
        """Every send labelled with one of these sessions (to any of ``user_ids``), each once.

        What a caller reads before sending again; it refuses a partial picture
        (IncompleteListingError) rather than let a send go out twice. No
        sessions returns [] without a call: an empty ``sessionIn`` would be no
        filter, and every send of the partner would come back.
        """
        labels = v.require_string_list("sessions", sessions, v.require_session_label, most=MAX_SESSIONS)
        message_filter: dict[str, Any] = {"sessionIn": labels}
        if user_ids is not None:
            users = v.require_string_list(
                "user_ids", user_ids, v.require_kaltura_user_id, most=MAX_FILTER_USERS
            )
            if not users:
                raise InvalidArgumentError("user_ids", user_ids, "at least one user id, or None for everyone")
            message_filter["userIds"] = users
        if app_guids is not None:
            message_filter["appGuidIn"] = _guids(app_guids)
        size = _page_size(page_size)
        if not labels:
            return []

        def fetch(number: int) -> tuple[Sequence[BulkMessage], int]:
            pager = {"offset": number * size, "limit": size}
            page = self._call("message/list", {"filter": message_filter, "pager": pager}, BULK_PAGE)
            return page.objects, page.total_count

        return collect_pages("message/list", fetch, page_size=size, key=lambda bulk: bulk.id)

    def list_discrete_messages(
        self,
        sessions: Sequence[str],
        *,
        statuses: Sequence[str] | None = None,
        user_id: str | None = None,
        app_guids: Sequence[str] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> list[DiscreteMessage]:
        """Every recipient's message of these sessions (§8.4), each once: whom a send reached.

        Where ``BulkMessage.user_ids`` may be empty (the guide's answer does not
        echo recipients), this names each person a session reached. Refuses a
        partial picture (IncompleteListingError), as ``list_messages`` does;
        no sessions returns [] without a call.
        """
        labels = v.require_string_list("sessions", sessions, v.require_session_label, most=MAX_SESSIONS)
        message_filter: dict[str, Any] = {"sessionIn": labels}
        if statuses is not None:
            message_filter["statusIn"] = v.require_string_list(
                "statuses", statuses, lambda name, value: v.require_choice(name, value, DISCRETE_STATUSES)
            )
        if user_id is not None:
            message_filter["userId"] = v.require_kaltura_user_id("user_id", user_id)
        if app_guids is not None:
            message_filter["appGuidIn"] = _guids(app_guids)
        size = _page_size(page_size)
        if not labels:
            return []

        def fetch(number: int) -> tuple[Sequence[DiscreteMessage], int]:
            pager = {"offset": number * size, "limit": size}
            body = {"filter": message_filter, "pager": pager}
            page = self._call("message/listDiscreteAggregateMessages", body, DISCRETE_PAGE)
            return page.objects, page.total_count

        return collect_pages(
            "message/listDiscreteAggregateMessages", fetch, page_size=size, key=lambda message: message.id
        )

    def message_stats(self, *, bulk_id: str | None = None, session: str | None = None) -> dict[str, int]:
        """Messages per status (upper case, ``{"DELIVERED": 450, "BOUNCE": 3}``; §8.3) of a send or a session.

        Only the statuses that occur are keys. Both given: that send's
        messages within that session.
        """
        body: dict[str, Any] = {}
        if bulk_id is not None:
            body["bulkId"] = v.require_messaging_id("bulk_id", bulk_id)
        if session is not None:
            body["session"] = v.require_session_label("session", session)
        if not body:
            raise InvalidArgumentError("bulk_id", None, "give a bulk_id or a session")
        return self._call("message/stats", body, STATS)

    # -- unsubscribes (§10) --------------------------------------------------------------

    def list_unsubscribed_users(self, *, page_size: int = PAGE_SIZE) -> list[UnsubscribedUser]:
        """Everyone who left an unsubscribe group, with the groups they left (§10.4), each once."""
        size = _page_size(page_size)

        def fetch(number: int) -> tuple[Sequence[UnsubscribedUser], int]:
            pager = {"offset": number * size, "limit": size}
            page = self._call("unsubscribe-users/list", {"filter": {}, "pager": pager}, UNSUBSCRIBED_PAGE)
            return page.objects, page.total_count

        return collect_pages("unsubscribe-users/list", fetch, page_size=size, key=lambda user: user.user_id)

    def user_groups_status(self) -> UnsubscribedUser:
        """The groups the KS's own user left (§10.2: it needs a user-scoped KS and names no other user)."""
        return self._call("unsubscribe-users/userGroupsStatus", {}, UNSUBSCRIBED)

    # -- email providers (§11) -----------------------------------------------------------

    def lookup_email_provider(self, app_guid: str | None = None) -> EmailProvider:
        """The provider a send of this app would use: the app's, the partner's, or Kaltura's (§11.4)."""
        body = {} if app_guid is None else {"appGuid": v.require_app_guid("app_guid", app_guid)}
        return self._call("email-provider/lookup", body, PROVIDER)
