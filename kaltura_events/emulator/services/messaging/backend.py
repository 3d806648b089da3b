"""The Messaging service's state: templates, sends, unsubscribes, unsubscribe URIs and email providers.

Templates, sends and URIs belong to App Registry apps (§3, §6.1, §10.5): an
``appGuid`` is checked with :meth:`AppRegistryBackend.get`. Recipients are
Kaltura users (§4.2 "from the Kaltura user record"): API v3's, read with
:meth:`ApiV3Backend.get_user`. A send leaves ``sending`` for ``completed``
once ``message_sending_seconds`` have passed (default 0: at the next look),
since no source says how soon it does (reference README).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any, TypeVar

from kaltura_events.emulator.changes import Change
from kaltura_events.emulator.failures import ApiV3Failure
from kaltura_events.emulator.platform import Platform
from kaltura_events.emulator.services.api_v3.backend import ApiV3Backend
from kaltura_events.emulator.services.app_registry.backend import AppRegistryBackend
from kaltura_events.emulator.services.messaging.models import (
    DEFAULT_PROVIDER_PARTNER,
    Assignment,
    Bulk,
    Discrete,
    Provider,
    Template,
    UnsubscribeUri,
    render_assignment,
    render_bulk,
    render_discrete,
    render_provider,
    render_template,
    render_uri,
)
from kaltura_events.emulator.services.messaging.tokens import Recipient, RecipientFailure, referenced
from kaltura_events.emulator.services.user_profile.models import user_key

SERVICE_NAME = "messaging"
TOKEN_FIELDS = ("subject", "body", "fromName", "toAttributePath")
"""§3: the fields that may refer to tokens."""

R = TypeVar("R")


def not_found(what: str) -> ApiV3Failure:
    """An id naming nothing. The guide names no code (§10.5 says only "a not-found error"): the App
    Registry's ``OBJECT_NOT_FOUND``, the same family of service."""
    return ApiV3Failure("OBJECT_NOT_FOUND", f"Object not found: {what}")


class MessagingBackend:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        platform.catch_up_on_lock(self._settle)
        self.reset()

    def reset(self) -> None:
        with self.platform.lock:
            now = self.platform.now()
            self.templates: dict[str, Template] = {}
            self.bulks: dict[str, Bulk] = {}
            self.sending: list[Bulk] = []
            """The bulks still ``sending``: every lock looks at them, so only they are looked at."""
            self.uris: dict[str, UnsubscribeUri] = {}
            self.providers: dict[str, Provider] = {}
            self.assignments: dict[str, Assignment] = {}
            self.unsubscribed: dict[str, tuple[str, set[str]]] = {}
            """user key -> (the user id as last given, the groups they left)."""
            self.bouncing: set[str] = set()
            self.default_provider = Provider(
                self._new_id(), DEFAULT_PROVIDER_PARTNER, {"type": "sendGrid"}, "", None, now, now
            )

    # -- shared ------------------------------------------------------------------

    def _new_id(self) -> str:
        """24 hex digits like the guide's ``6621a3f0b2c4d5e6f7890abc``, from the seeded ids."""
        return f"{self.platform.ids.getrandbits(96):024x}"

    def _announce(self, kind: str, subject: str, record: dict[str, Any]) -> None:
        self.platform.changes.announce(Change(SERVICE_NAME, kind, subject, record))

    def _app(self, guid: str) -> None:
        """The app must be registered in the App Registry, else its OBJECT_NOT_FOUND."""
        self.platform.backend(AppRegistryBackend).get(guid)

    def _user(self, user_id: str) -> dict[str, Any] | None:
        try:
            return self.platform.backend(ApiV3Backend).get_user(user_id)
        except ApiV3Failure:
            return None

    @staticmethod
    def _page(found: list[R], skip: int, limit: int) -> tuple[int, list[R]]:
        return len(found), found[skip : skip + limit]

    def _settle(self) -> None:
        """§7.1, §7.2: a send past its time completes; its messages still sending are delivered or bounce."""
        now = self.platform.now()
        for bulk in [b for b in self.sending if now >= b.settles_at]:
            self.sending.remove(bulk)
            bulk.status, bulk.updated_at = "completed", now
            for message in bulk.recipients:
                if message.status == "sending":
                    message.status, message.updated_at = message.settles_to, now

    # -- email templates (§5) ------------------------------------------------------

    def _template(self, template_id: str) -> Template:
        template = self.templates.get(template_id)
        if template is None:
            raise not_found(f"email template {template_id!r}")
        return template

    def _render_template(self, template: Template) -> dict[str, Any]:
        texts = [str(template.fields.get(key) or "") for key in TOKEN_FIELDS]
        used = referenced(texts, template.fields.get("msgParamsMap") or {})
        provider = self._resolve_provider(template.app_guid)
        return render_template(template, self.platform.partner_id, provider.id, len(used))

    def add_template(self, app_guid: str, fields: dict[str, Any], status: str) -> dict[str, Any]:
        with self.platform.locked():
            self._app(app_guid)
            now = self.platform.now()
            template = Template(self._new_id(), app_guid, dict(fields), now, now, status)
            self.templates[template.id] = template
            rendered = self._render_template(template)
            self._announce("email_template.added", template.id, rendered)
            return rendered

    def get_template(self, template_id: str) -> dict[str, Any]:
        with self.platform.locked():
            return self._render_template(self._template(template_id))

    def update_template(self, template_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """§5.3: the fields sent change, the rest stay; ``version`` increments on each update."""
        with self.platform.locked():
            template = self._template(template_id)
            if "status" in changes:
                template.status = changes.pop("status")
            template.fields.update(changes)
            template.version += 1
            template.updated_at = self.platform.now()
            rendered = self._render_template(template)
            self._announce("email_template.updated", template.id, rendered)
            return rendered

    def delete_template(self, template_id: str) -> dict[str, Any]:
        """§5.5: the template stays, with status ``deleted``."""
        with self.platform.locked():
            template = self._template(template_id)
            template.status, template.updated_at = "deleted", self.platform.now()
            rendered = self._render_template(template)
            self._announce("email_template.deleted", template.id, rendered)
            return rendered

    def list_templates(
        self, matches: Callable[[Template], bool], skip: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """§5.4; no order is stated: oldest first, so offset paging is stable."""
        with self.platform.locked():
            total, page = self._page([t for t in self.templates.values() if matches(t)], skip, limit)
            return total, [self._render_template(t) for t in page]

    def unsubscribe_groups(self) -> list[str]:
        """§10.1: every group any template names, each once, in the order first named."""
        with self.platform.locked():
            groups: dict[str, None] = {}
            for template in self.templates.values():
                groups.update(dict.fromkeys(template.unsubscribe_groups))
            return list(groups)

    # -- message/send (§6) -----------------------------------------------------------

    def send(
        self,
        app_guid: str,
        template_id: str,
        user_ids: list[str],
        params: dict[str, dict[str, Any]],
        extras: dict[str, Any],
    ) -> dict[str, Any]:
        """One bulk message, one discrete message per recipient (§7.2).

        ``params`` are checked against the template's ``msgParamsMap`` already;
        ``extras`` are the optional ``session``, ``adminTags``, ``customHeaders``
        and ``attachments``. A recipient whose tokens cannot be made, whose
        address does not resolve, or who left one of the template's unsubscribe
        groups (§10, §14) gets no email: their message is ``error`` with the
        §7.4 code. The answer is the bulk, ``sending`` (§6.1).
        """
        with self.platform.locked():
            self._app(app_guid)
            template = self._template(template_id)
            now = self.platform.now()
            bulk_key = self._new_id()
            bulk = Bulk(
                bulk_key,
                f"bulk_{bulk_key[:8]}",
                app_guid,
                template_id,
                "user",
                list(user_ids),
                extras.get("session"),
                extras.get("adminTags"),
                now,
                now,
                now + timedelta(seconds=self.platform.config.message_sending_seconds),
            )
            bulk.recipients = [self._message(bulk, template, user_id, params, extras) for user_id in user_ids]
            self.bulks[bulk.id] = bulk
            self.sending.append(bulk)
            rendered = render_bulk(bulk, self.platform.partner_id)
            self._announce("message.sent", bulk.bulk_id, rendered)
            return rendered

    def _message(
        self,
        bulk: Bulk,
        template: Template,
        user_id: str,
        params: dict[str, dict[str, Any]],
        extras: dict[str, Any],
    ) -> Discrete:
        now = self.platform.now()
        message = Discrete(self._new_id(), bulk.bulk_id, user_id, now, now)
        try:
            left = self._left_groups(user_id) & set(template.unsubscribe_groups)
            if left:
                raise RecipientFailure(
                    "userUnsubscribeFromThisGroup",
                    f"the user unsubscribed from {', '.join(sorted(left))}",
                )
            recipient = Recipient(user_id, params, self._user, self._new_id)
            address = recipient.fill(str(template.fields.get("toAttributePath") or "")).strip()
            if "@" not in address or any(c in address for c in "{} "):
                raise RecipientFailure(
                    "emailNotResolvedToValidEmailAddress",
                    f"toAttributePath resolved to {address!r}, not an email address",
                )
            message.email = address
        except RecipientFailure as failure:
            message.status, message.error_enum, message.error_description = (
                "error",
                failure.code,
                str(failure),
            )
            return message
        if address.lower() in self.bouncing:
            message.settles_to = "bounce"
        fields = template.fields
        message.rendered = {
            "to": address,
            "from": fields.get("from"),
            "fromName": recipient.fill(str(fields.get("fromName") or "")) or None,
            "cc": fields.get("cc"),
            "bcc": fields.get("bcc"),
            "subject": recipient.fill(str(fields.get("subject") or "")),
            "body": recipient.fill(str(fields.get("body") or "")),
            "headers": {**(fields.get("customHeaders") or {}), **(extras.get("customHeaders") or {})},
            "attachments": [a["fileName"] for a in extras.get("attachments") or []],
        }
        return message

    def _left_groups(self, user_id: str) -> set[str]:
        entry = self.unsubscribed.get(user_key(user_id))
        return set() if entry is None else set(entry[1])

    # -- tracking (§8) ---------------------------------------------------------------

    def list_bulks(
        self, matches: Callable[[Bulk], bool], skip: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """§8.1; oldest first (no order is stated)."""
        with self.platform.locked():
            total, page = self._page([b for b in self.bulks.values() if matches(b)], skip, limit)
            return total, [render_bulk(b, self.platform.partner_id) for b in page]

    def list_by_session(
        self, matches: Callable[[Bulk, Template | None], bool], skip: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """§8.2: one group per ``session`` label (sends without one under ``null``), in order of first use."""
        with self.platform.locked():
            groups: dict[str | None, list[Bulk]] = {}
            for bulk in self.bulks.values():
                if matches(bulk, self.templates.get(bulk.template_id)):
                    groups.setdefault(bulk.session, []).append(bulk)
            total, page = self._page(list(groups.items()), skip, limit)
            return total, [
                {
                    "session": session,
                    "totalCount": len(bulks),
                    "objects": [render_bulk(b, self.platform.partner_id) for b in bulks],
                }
                for session, bulks in page
            ]

    def stats(self, bulk_id: str | None, session: str | None) -> dict[str, int]:
        """§8.3: discrete messages counted by status, keys upper-case, only the statuses that occur."""
        with self.platform.locked():
            counts: dict[str, int] = {}
            for bulk in self.bulks.values():
                if (bulk_id is None or bulk.bulk_id == bulk_id) and (
                    session is None or bulk.session == session
                ):
                    for message in bulk.recipients:
                        key = message.status.upper()
                        counts[key] = counts.get(key, 0) + 1
            return counts

    def list_discrete(
        self,
        matches: Callable[[Bulk, Discrete], bool],
        skip: int,
        limit: int,
        sessions: Collection[str] | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """§8.4; in the order sent. ``sessions``, when the filter names them, skips the other sends
        whole rather than weighing each of their messages (``matches`` still checks every filter)."""
        with self.platform.locked():
            bulks = [b for b in self.bulks.values() if sessions is None or b.session in sessions]
            found = [(b, m) for b in bulks for m in b.recipients if matches(b, m)]
            total, page = self._page(found, skip, limit)
            return total, [render_discrete(m, b, self.platform.partner_id) for b, m in page]

    # -- unsubscribes (§10.2-10.4) ----------------------------------------------------

    def user_groups(self, user_id: str) -> dict[str, Any]:
        with self.platform.locked():
            return {"userId": user_id, "unsubscribed": sorted(self._left_groups(user_id))}

    def sync_groups(self, user_id: str, unsubscribed: list[str], subscribed: list[str]) -> dict[str, Any]:
        """§10.3: leave the ``unsubscribed`` groups, rejoin the ``subscribed`` ones; other groups stay."""
        with self.platform.locked():
            groups = (self._left_groups(user_id) | set(unsubscribed)) - set(subscribed)
            if groups:
                self.unsubscribed[user_key(user_id)] = (user_id, groups)
            else:
                self.unsubscribed.pop(user_key(user_id), None)
            answer = {"userId": user_id, "unsubscribed": sorted(groups)}
            self._announce("unsubscribe.synced", user_id, answer)
            return answer

    def unsubscribed_users(self, skip: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        with self.platform.locked():
            everyone = [
                {"userId": user_id, "unsubscribed": sorted(groups)}
                for user_id, groups in self.unsubscribed.values()
            ]
            return self._page(everyone, skip, limit)

    # -- unsubscribe URIs (§10.5) --------------------------------------------------------

    def _uri(self, uri_id: str) -> UnsubscribeUri:
        uri = self.uris.get(uri_id)
        if uri is None:
            raise not_found(f"unsubscribe URI {uri_id!r}")
        return uri

    def add_uri(self, app_guid: str, uri: str, status: str) -> dict[str, Any]:
        with self.platform.locked():
            self._app(app_guid)
            now = self.platform.now()
            record = UnsubscribeUri(self._new_id(), app_guid, uri, now, now, status)
            self.uris[record.id] = record
            rendered = render_uri(record, self.platform.partner_id)
            self._announce("unsubscribe_uri.added", record.id, rendered)
            return rendered

    def get_uri(self, uri_id: str) -> dict[str, Any]:
        with self.platform.locked():
            return render_uri(self._uri(uri_id), self.platform.partner_id)

    def update_uri(self, uri_id: str, uri: str | None, status: str | None) -> dict[str, Any]:
        """§10.5: ``version`` increments."""
        with self.platform.locked():
            record = self._uri(uri_id)
            record.uri = uri if uri is not None else record.uri
            record.status = status if status is not None else record.status
            record.version += 1
            record.updated_at = self.platform.now()
            rendered = render_uri(record, self.platform.partner_id)
            self._announce("unsubscribe_uri.updated", record.id, rendered)
            return rendered

    def delete_uri(self, uri_id: str) -> None:
        """§10.5: deleted for good; a later ``get`` is not found."""
        with self.platform.locked():
            record = self._uri(uri_id)
            del self.uris[uri_id]
            self._announce("unsubscribe_uri.deleted", uri_id, render_uri(record, self.platform.partner_id))

    def list_uris(
        self, matches: Callable[[UnsubscribeUri], bool], skip: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        with self.platform.locked():
            total, page = self._page([u for u in self.uris.values() if matches(u)], skip, limit)
            return total, [render_uri(u, self.platform.partner_id) for u in page]

    # -- email providers (§11) -----------------------------------------------------------

    def _provider(self, provider_id: str) -> Provider:
        provider = self.providers.get(provider_id)
        if provider is None:
            raise not_found(f"email provider {provider_id!r}")
        return provider

    def _resolve_provider(self, app_guid: str | None) -> Provider:
        """§11.4: the app's assigned provider, then the partner's, then the default (partner 0); a
        disabled or deleted provider is passed over."""
        assignment = self.assignments.get(app_guid) if app_guid is not None else None
        if assignment is not None and self.providers[assignment.provider_id].status == "enabled":
            return self.providers[assignment.provider_id]
        own = [p for p in self.providers.values() if p.status == "enabled"]
        return own[0] if own else self.default_provider

    def add_provider(self, settings: dict[str, Any], api_key: str, webhook_key: str | None) -> dict[str, Any]:
        with self.platform.locked():
            now = self.platform.now()
            provider = Provider(
                self._new_id(), self.platform.partner_id, dict(settings), api_key, webhook_key, now, now
            )
            self.providers[provider.id] = provider
            rendered = render_provider(provider)
            self._announce("email_provider.added", provider.id, rendered)
            return rendered

    def list_providers(self) -> tuple[int, list[dict[str, Any]]]:
        with self.platform.locked():
            return len(self.providers), [render_provider(p) for p in self.providers.values()]

    def lookup_provider(self, app_guid: str | None) -> dict[str, Any]:
        with self.platform.locked():
            return render_provider(self._resolve_provider(app_guid))

    def assign_provider(self, provider_id: str, app_guid: str) -> dict[str, Any]:
        """§11.5: one provider per app; assigning again replaces it and increments ``version``."""
        with self.platform.locked():
            self._provider(provider_id)
            self._app(app_guid)
            now = self.platform.now()
            assignment = self.assignments.get(app_guid)
            if assignment is None:
                assignment = Assignment(self._new_id(), provider_id, app_guid, now, now)
                self.assignments[app_guid] = assignment
            else:
                assignment.provider_id, assignment.updated_at = provider_id, now
                assignment.version += 1
            rendered = render_assignment(assignment, self.platform.partner_id)
            self._announce("email_provider.assigned", assignment.id, rendered)
            return rendered

    def set_provider_status(self, provider_id: str, status: str) -> dict[str, Any]:
        """§11.6, §11.7; ``version`` moves only when the status does."""
        with self.platform.locked():
            provider = self._provider(provider_id)
            if provider.status != status:
                provider.status, provider.updated_at = status, self.platform.now()
                provider.version += 1
            rendered = render_provider(provider)
            self._announce(f"email_provider.{status}", provider.id, rendered)
            return rendered

    # -- for the control endpoints ---------------------------------------------------------

    def mark_bouncing(self, emails: list[str]) -> list[str]:
        with self.platform.locked():
            self.bouncing.update(email.lower() for email in emails)
            return sorted(self.bouncing)

    def outbox(self) -> list[dict[str, Any]]:
        """Every email a send rendered, with what its recipient reads, in the order sent."""
        with self.platform.locked():
            return [
                {
                    "bulkId": bulk.bulk_id,
                    "messageId": message.id,
                    "session": bulk.session,
                    "appGuid": bulk.app_guid,
                    "templateId": bulk.template_id,
                    "userId": message.user_id,
                    "status": message.status,
                    **message.rendered,
                }
                for bulk in self.bulks.values()
                for message in bulk.recipients
                if message.rendered is not None
            ]

    def snapshot(self) -> dict[str, Any]:
        with self.platform.locked():
            partner = self.platform.partner_id
            return {
                "emailTemplates": [self._render_template(t) for t in self.templates.values()],
                "bulkMessages": [render_bulk(b, partner) for b in self.bulks.values()],
                "discreteMessages": [
                    render_discrete(m, b, partner) for b in self.bulks.values() for m in b.recipients
                ],
                "unsubscribeUris": [render_uri(u, partner) for u in self.uris.values()],
                "emailProviders": [render_provider(p) for p in self.providers.values()],
                "unsubscribedUsers": self.unsubscribed_users(0, len(self.unsubscribed))[1],
            }
