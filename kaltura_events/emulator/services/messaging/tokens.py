"""Filling a template's tokens for one recipient (KALTURA_MESSAGING_API.md §4, §6.1, §7.4).

A reference is ``{name.field}`` for a ``User`` token and ``{name}`` for the
others (§4). Only names the template defines in ``msgParamsMap`` are filled;
anything else in braces (CSS, a name the template never defined, a field §4.2
does not list) is left as written, since the guide says nothing of it. A token
that cannot be made for a recipient fails that recipient's message with the
§7.4 code of its kind, and nobody else's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from kaltura_events.emulator.services.messaging.models import RECIPIENT_IS_MESSAGE_USER, USER_FIELDS

REFERENCE = re.compile(r"\{([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?\}")
"""§4 "Token reference syntax"."""

UserLookup = Callable[[str], dict[str, Any] | None]
"""A Kaltura user record by id (the API v3 user), None when there is none."""


class RecipientFailure(Exception):
    """Why one recipient gets no email (a token that cannot be made, an address, an unsubscribe):
    ``code`` is §7.4's discrete error."""

    def __init__(self, code: str, description: str) -> None:
        self.code = code
        super().__init__(description)


def referenced(texts: Iterable[str], defined: Iterable[str]) -> set[str]:
    """The defined token names the texts refer to (``numberOfTokenUsed``, §3)."""
    names = set(defined)
    return {match.group(1) for text in texts for match in REFERENCE.finditer(text) if match.group(1) in names}


def magic_link(value: dict[str, Any], token: str) -> str:
    """§4.3: the base URL with an auth token added to its query.

    The token's form is stated nowhere; the emulator's is opaque and logs
    nobody in, so an outbox shown in a test or the demo carries no credential.
    """
    base = value.get("baseURL")
    if not base:
        raise RecipientFailure("createMagicLinkFailed", "the MagicLink value has no baseURL")
    parts = urlsplit(base)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({"token": token})))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_qr_code(value: dict[str, Any]) -> str:
    """§4.4: the JWT (HS256 over ``payload`` with ``secret``) the QR code carries; no image is drawn."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(value["payload"], separators=(",", ":"), sort_keys=True).encode())
    signature = hmac.new(str(value["secret"]).encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{_b64url(signature.digest())}"


class Recipient:
    """The tokens of one send, resolved for one recipient."""

    def __init__(
        self,
        user_id: str,
        params: dict[str, dict[str, Any]],
        users: UserLookup,
        new_token: Callable[[], str],
    ) -> None:
        self.values: dict[str, str | dict[str, Any]] = {}
        for name, param in params.items():
            self.values[name] = self._resolve(user_id, param, users, new_token)

    @staticmethod
    def _resolve(
        user_id: str, param: dict[str, Any], users: UserLookup, new_token: Callable[[], str]
    ) -> str | dict[str, Any]:
        kind, value = param["type"], param["value"]
        if kind == "User":
            wanted = user_id if value == RECIPIENT_IS_MESSAGE_USER else str(value)
            record = users(wanted)
            if record is None:
                raise RecipientFailure("userNotFoundInOurDb", f"user {wanted!r} not found")
            return record
        if kind == "MagicLink":
            return magic_link(value, new_token())
        if kind == "JwtQrCode":
            return jwt_qr_code(value)
        return str(value)

    def fill(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            value = self.values.get(match.group(1))
            field = match.group(2)
            if isinstance(value, dict):
                if field is None or field not in USER_FIELDS:
                    return match.group(0)
                found = value.get(field)
                return "" if found is None else str(found)
            if value is None or field is not None:
                return match.group(0)
            return value

        return REFERENCE.sub(replace, text)
