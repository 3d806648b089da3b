"""API v3's state: the partner's category tree, its category lock, app tokens and users.

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
from kaltura_events.emulator.services.api_v3.models import Category, User, render_category, render_user

SERVICE_NAME = "api_v3"


class ApiV3Backend:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.reset()

    def reset(self) -> None:
        with self.platform.lock:
            self.categories = CategoryTree(self.platform.clock)
            self.category_lock_held = False
            self.app_tokens = AppTokenBook(self.platform.config.seed, self.platform.clock)
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

    def ensure_user(self, user_id: str, email: str) -> None:
        """A user for someone joining an event (``/_emulator/attendance``); unannounced, as controls are."""
        with self.platform.lock:
            if user_id not in self.users:
                now = int(self.platform.clock())
                self.users[user_id] = User(user_id, email, "", "", now, now)

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
                "users": [render_user(user, self.platform.partner_id) for user in self.users.values()],
            }
