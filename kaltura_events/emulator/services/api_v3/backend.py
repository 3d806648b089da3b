"""API v3's state: the partner's category tree, its category lock, app tokens, users, entries and
event notification templates (whose HTTP notifications a dispatcher sends on each change).

The Events Platform makes and removes categories here too (the guides say an
event makes its categories); it does so through :meth:`ApiV3Backend.ensure_path`
and :meth:`ApiV3Backend.discard`, so the tree stays this service's own.
"""

from __future__ import annotations

from typing import Any

from kaltura_events.emulator.changes import Change
from kaltura_events.emulator.failures import ApiV3Failure, CategoriesLocked
from kaltura_events.emulator.platform import Platform
from kaltura_events.emulator.services.api_v3.app_tokens import AppTokenBook
from kaltura_events.emulator.services.api_v3.categories import CategoryTree
from kaltura_events.emulator.services.api_v3.entries import EntryBook, render_entry
from kaltura_events.emulator.services.api_v3.models import Category, User, render_category, render_user
from kaltura_events.emulator.services.api_v3.notification_dispatch import NotificationDispatcher
from kaltura_events.emulator.services.api_v3.notification_templates import (
    DELETED,
    PartnerTemplate,
    TemplateBook,
    render_partner,
    render_system,
)

SERVICE_NAME = "api_v3"


class ApiV3Backend:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.reset()
        self.notifications = NotificationDispatcher(platform)
        self._unfollow = platform.changes.subscribe(self._dispatch)

    def reset(self) -> None:
        with self.platform.lock:
            self.categories = CategoryTree(self.platform.clock)
            self.category_lock_held = False
            self.app_tokens = AppTokenBook(self.platform.config.seed, self.platform.clock)
            self.templates = TemplateBook(self.platform.clock)
            self.entries = EntryBook(self.platform.clock)

            self.users: dict[str, User] = {}

    def announce(self, kind: str, subject: str, record: dict[str, Any]) -> None:
        self.platform.changes.announce(Change(SERVICE_NAME, kind, subject, record))

    def _render(self, category: Category) -> dict[str, Any]:
        return render_category(
            category, self.platform.partner_id, self.categories.direct_children_count(category.id)
        )

    # -- session.* and appToken.* ----------------------------------------------

    def session_started(self, ks: str, user_id: str, session_type: int) -> None:
        """A KS was issued: the ledger remembers it (for expire-ks), the feed hears of it (without it)."""
        with self.platform.lock:
            self.platform.ks_ledger.note(ks)
            self.announce("session.started", user_id, {"userId": user_id, "sessionType": session_type})

    # -- category.* ----------------------------------------------------------

    def render_category_by_id(self, category_id: int) -> dict[str, Any]:
        with self.platform.locked():
            return self._render(self.categories.get(category_id))

    def list_categories(
        self, filters: dict[str, Any], pager: dict[str, Any]
    ) -> tuple[int, list[dict[str, Any]]]:
        with self.platform.locked():
            total, page = self.categories.list(filters, pager)
            return total, [self._render(c) for c in page]

    def add_category(self, name: str, parent_id: int) -> dict[str, Any]:
        with self.platform.locked():
            rendered = render_category(self.categories.add(name, parent_id), self.platform.partner_id, 0)
            self.announce("category.added", str(rendered["id"]), rendered)
            return rendered

    def delete_category(self, category_id: int) -> tuple[list[int], bool]:
        """Delete a subtree; returns (ids removed, whether the caller now holds the category lock).

        A delete of a category with children takes the partner-wide lock; the
        caller holds it for ``category_lock_seconds`` and then calls
        :meth:`release_category_lock`. Any delete meanwhile is refused.
        """
        with self.platform.locked():
            if self.category_lock_held:
                raise CategoriesLocked()
            has_children = self.categories.direct_children_count(self.categories.get(category_id).id) > 0
            removed = self.categories.delete(category_id)
            if has_children:
                self.category_lock_held = True
            self.announce("category.deleted", str(category_id), {"id": category_id, "removedIds": removed})
            return removed, has_children

    def release_category_lock(self) -> None:
        with self.platform.lock:
            self.category_lock_held = False

    # -- user.* ----------------------------------------------------------------

    def add_user(self, user_id: str, email: str, first_name: str, last_name: str) -> dict[str, Any]:
        """kaltura/server UserService::addAction: an id already taken -> ``DUPLICATE_USER_BY_ID``."""
        with self.platform.locked():
            if user_id in self.users:
                raise ApiV3Failure(
                    "DUPLICATE_USER_BY_ID", f"User with id [{user_id}] already exists", {"ID": user_id}
                )
            now = int(self.platform.clock())
            user = User(user_id, email, first_name, last_name, now, now)
            self.users[user_id] = user
            rendered = render_user(user, self.platform.partner_id)
            self.announce("user.added", user_id, rendered)
            return rendered

    def get_user(self, user_id: str) -> dict[str, Any]:
        """Unknown id -> ``INVALID_USER_ID`` (CAT §11 "User ID does not exist"; UserService::getAction)."""
        with self.platform.locked():
            user = self.users.get(user_id)
            if user is None:
                raise ApiV3Failure("INVALID_USER_ID", f"Invalid user id [{user_id}]", {"USER_ID": user_id})
            return render_user(user, self.platform.partner_id)

    # -- for the control endpoints and other services --------------------------

    def user_exists(self, user_id: str) -> bool:
        """What User Profile checks with ``user.get`` before adding a profile (its guide §3)."""
        with self.platform.lock:
            return user_id in self.users

    def ensure_user(self, user_id: str, email: str, first_name: str = "", last_name: str = "") -> None:
        """A user for someone joining an event (``/_emulator/attendance``); unannounced, as controls are."""
        with self.platform.lock:
            if user_id not in self.users:
                now = int(self.platform.clock())
                self.users[user_id] = User(user_id, email, first_name, last_name, now, now)

    def ensure_category_path(self, full_name: str) -> tuple[dict[str, Any], int]:
        """Make every missing level of ``a>b>c`` (``/_emulator/categories``); the leaf and how many made."""
        with self.platform.locked():
            leaf, made = self.categories.ensure_path(full_name)
            return self._render(leaf), made

    def ensure_path(self, full_name: str) -> Category:
        """Like :meth:`ensure_category_path`, for a service that makes categories inside its own write."""
        with self.platform.lock:
            leaf, _ = self.categories.ensure_path(full_name)
            return leaf

    def discard(self, category_ids: list[int]) -> None:
        """Remove these categories (with their subtrees) if they are still there; no category lock."""
        with self.platform.lock:
            for category_id in category_ids:
                if category_id in self.categories.by_id:
                    self.categories.delete(category_id)

    def snapshot(self) -> dict[str, Any]:
        with self.platform.locked():
            return {
                "categories": [self._render(c) for c in self.categories.by_id.values()],
                "categoryLockHeld": self.category_lock_held,
                "appTokens": self.app_tokens.snapshot(),
                "entries": [render_entry(e, self.platform.partner_id) for e in self.entries.by_id.values()],
                "notificationTemplates": [
                    _without_url(self._render_template(t)) for t in self.templates.partner.values()
                ],
                "notificationDeliveries": self.notifications.snapshot(),
                "users": [render_user(user, self.platform.partner_id) for user in self.users.values()],
            }

    # -- eventnotification_eventnotificationtemplate.* ---------------------------

    def _render_template(self, template: PartnerTemplate) -> dict[str, Any]:
        return render_partner(template, self.platform.partner_id)

    def list_system_templates(
        self, filters: dict[str, Any], pager: dict[str, Any]
    ) -> tuple[int, list[dict[str, Any]]]:
        with self.platform.locked():
            total, page = self.templates.list_system(filters, pager)
            return total, [render_system(t) for t in page]

    def list_templates(
        self, filters: dict[str, Any], pager: dict[str, Any]
    ) -> tuple[int, list[dict[str, Any]]]:
        with self.platform.locked():
            total, page = self.templates.list_partner(filters, pager)
            return total, [self._render_template(t) for t in page]

    def get_template(self, template_id: int) -> dict[str, Any]:
        with self.platform.locked():
            return self._render_template(self.templates.get(template_id))

    def clone_template(self, template_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        with self.platform.locked():
            return self._template_changed("added", self.templates.clone(template_id, fields))

    def update_template(self, template_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        with self.platform.locked():
            return self._template_changed("updated", self.templates.update(template_id, fields))

    def update_template_status(self, template_id: int, status: int) -> dict[str, Any]:
        with self.platform.locked():
            template = self.templates.update_status(template_id, status)
            return self._template_changed("deleted" if status == DELETED else "updated", template)

    def delete_template(self, template_id: int) -> None:
        with self.platform.locked():
            template = self.templates.get(template_id)
            self.templates.delete(template_id)
            self._template_changed("deleted", template)

    def _template_changed(self, what: str, template: PartnerTemplate) -> dict[str, Any]:
        rendered = self._render_template(template)
        self.announce(f"notification_template.{what}", str(template.id), _without_url(rendered))
        return rendered

    # -- entries and their notifications -------------------------------------------

    def render_entry_by_id(self, entry_id: str) -> dict[str, Any]:
        with self.platform.locked():
            return render_entry(self.entries.get(entry_id), self.platform.partner_id)

    def finish_recording(self, live_entry_id: str, name: str, entry_id: str | None = None) -> dict[str, Any]:
        """The session's recording becomes READY (made first if missing), announced as an entry change.

        Stands in for Kaltura finishing a live session's recording; the
        Events Platform's ``/_emulator/recordings`` calls it for a session it knows.
        """
        with self.platform.locked():
            existing = self.entries.recording_of(live_entry_id)
            chosen = entry_id or (existing.id if existing else self.platform.new_entry_id())
            entry, kind = self.entries.finish_recording(chosen, name, live_entry_id)
            rendered = render_entry(entry, self.platform.partner_id)
            self.announce(kind, entry.id, rendered)
            return {**rendered, "change": kind}

    def _dispatch(self, change: Change) -> None:
        """On the change feed (lock held): queue a job per ACTIVE template covering the change."""
        if self.platform.retired:
            self._unfollow()  # this world was replaced by a reset; the new backend follows the feed
            return
        for template in self.templates.active_for(change.kind):
            self.notifications.enqueue(template, change)


def _without_url(template: dict[str, Any]) -> dict[str, Any]:
    """A template as the change feed and the state show it: its URL may carry a token."""
    return {key: value for key, value in template.items() if key not in ("url", "username")}
