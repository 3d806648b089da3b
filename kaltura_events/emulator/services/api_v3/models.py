"""API v3's records (categories, app tokens), and how each is rendered on the wire."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Category:
    id: int
    name: str
    parent_id: int
    full_name: str
    full_ids: str
    depth: int
    created_at: int
    updated_at: int


def render_category(category: Category, partner_id: int, direct_children: int) -> dict[str, Any]:
    """KalturaCategory as API v3 sends it (timestamps are epoch seconds)."""
    return {
        "id": category.id,
        "name": category.name,
        "fullName": category.full_name,
        "fullIds": category.full_ids,
        "parentId": category.parent_id,
        "depth": category.depth,
        "directSubCategoriesCount": direct_children,
        "partnerId": partner_id,
        "status": 2,
        "privacy": 1,
        "appearInList": 1,
        "contributionPolicy": 1,
        "inheritanceType": 2,
        "userJoinPolicy": 3,
        "defaultPermissionLevel": 3,
        "moderation": 0,
        "entriesCount": 0,
        "directEntriesCount": 0,
        "membersCount": 0,
        "description": "",
        "tags": "",
        "referenceId": "",
        "owner": "",
        "createdAt": category.created_at,
        "updatedAt": category.updated_at,
        "objectType": "KalturaCategory",
    }


@dataclass
class AppToken:
    id: str
    token: str
    hash_type: str
    session_type: int | None
    session_user_id: str | None
    expiry: int | None
    session_duration: int | None
    session_privileges: str
    created_at: int
    status: int = 2
    """AT §4: 1 disabled, 2 active, 3 deleted; only an active token starts a session (§10)."""


def render_app_token(token: AppToken) -> dict[str, Any]:
    """An app token WITHOUT its token value: the value is a secret."""
    return {
        "id": token.id,
        "hashType": token.hash_type,
        "sessionType": token.session_type,
        "sessionUserId": token.session_user_id,
        "expiry": token.expiry,
        "sessionDuration": token.session_duration,
        "sessionPrivileges": token.session_privileges,
        "createdAt": token.created_at,
        "status": token.status,
        "objectType": "KalturaAppToken",
    }


@dataclass
class User:
    """A KalturaUser: the account-level person (User Profile guide §3 needs one per profile)."""

    id: str
    email: str
    first_name: str
    last_name: str
    created_at: int
    updated_at: int


def render_user(user: User, partner_id: int) -> dict[str, Any]:
    """KalturaUser as API v3 sends it (timestamps are epoch seconds, as for categories)."""
    return {
        "id": user.id,
        "partnerId": partner_id,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "fullName": " ".join(part for part in (user.first_name, user.last_name) if part),
        "status": 1,
        "createdAt": user.created_at,
        "updatedAt": user.updated_at,
        "objectType": "KalturaUser",
    }
