"""Kaltura Session (KS) v2: build, parse, and keep one fresh.

A KS v2 is made the way Kaltura's own clients make it (``generateSessionV2``):
``base64url("v2|{partnerId}|" + AES128-CBC(sha1(secret)[:16], iv=0,
sha1(payload) + random16 + urlencoded(fields), NUL-padded))``.
Making it locally saves a round trip and lets the emulator check signatures
with nothing but the admin secret, as Kaltura's servers do.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from kaltura_events.api.errors import AuthenticationError, CredentialsRefused, KsParseError

USER = 0
ADMIN = 2

_FIELD_EXPIRY = "_e"
_FIELD_TYPE = "_t"
_FIELD_USER = "_u"
_RANDOM_SIZE = 16
_SHA1_SIZE = 20
_BLOCK = 16


@dataclass(frozen=True)
class KsInfo:
    """What a KS says about itself once decrypted and its signature checked."""

    partner_id: int
    user_id: str
    session_type: int
    expiry: int
    privileges: dict[str, str] = field(default_factory=dict)

    def expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expiry


def _aes_key(secret: str) -> bytes:
    return hashlib.sha1(secret.encode()).digest()[:_BLOCK]


def _cipher(secret: str) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(_aes_key(secret)), modes.CBC(b"\0" * _BLOCK))


def _privilege_fields(privileges: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for raw in privileges.split(","):
        privilege = raw.strip()
        if not privilege:
            continue
        if privilege == "*":
            privilege = "all:*"
        name, _, value = privilege.partition(":")
        fields[name] = value
    return fields


def build_ks_v2(
    admin_secret: str,
    partner_id: int,
    user_id: str,
    *,
    session_type: int = ADMIN,
    expiry_seconds: int = 86400,
    privileges: str = "",
    now: float | None = None,
    random_bytes: bytes | None = None,
) -> str:
    """Make a KS v2 byte-compatible with Kaltura's ``generateSessionV2``.

    ``now`` and ``random_bytes`` exist so a known test vector can be reproduced.
    """
    issued = int(time.time() if now is None else now)
    fields = _privilege_fields(privileges)
    fields[_FIELD_EXPIRY] = str(issued + int(expiry_seconds))
    fields[_FIELD_TYPE] = str(int(session_type))
    fields[_FIELD_USER] = str(user_id)
    payload = urlencode(fields).encode()
    rand = os.urandom(_RANDOM_SIZE) if random_bytes is None else random_bytes
    if len(rand) != _RANDOM_SIZE:
        raise ValueError(f"random_bytes must be {_RANDOM_SIZE} bytes, got {len(rand)}")
    plain = rand + payload
    plain = hashlib.sha1(plain).digest() + plain
    if len(plain) % _BLOCK:
        plain += b"\0" * (_BLOCK - len(plain) % _BLOCK)
    encryptor = _cipher(admin_secret).encryptor()
    encrypted = encryptor.update(plain) + encryptor.finalize()
    decoded = f"v2|{int(partner_id)}|".encode() + encrypted
    return base64.b64encode(decoded).decode().replace("+", "-").replace("/", "_")


def _b64decode(ks: str) -> bytes:
    text = ks.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise KsParseError("the KS is not valid base64") from exc


def ks_partner_id(ks: str) -> int:
    """Read the partner id from a KS without the secret (it is in clear text)."""
    decoded = _b64decode(ks)
    parts = decoded.split(b"|", 2)
    if len(parts) != 3 or parts[0] != b"v2":
        raise KsParseError("the KS is not a KS v2")
    try:
        return int(parts[1])
    except ValueError as exc:
        raise KsParseError("the KS has no numeric partner id") from exc


def parse_ks(ks: str, admin_secret: str) -> KsInfo:
    """Decrypt a KS v2 and check its signature; raise ``KsParseError`` when it does not parse."""
    decoded = _b64decode(ks)
    parts = decoded.split(b"|", 2)
    if len(parts) != 3 or parts[0] != b"v2":
        raise KsParseError("the KS is not a KS v2")
    partner_id = ks_partner_id(ks)
    encrypted = parts[2]
    if not encrypted or len(encrypted) % _BLOCK:
        raise KsParseError("the KS payload has a bad length")
    decryptor = _cipher(admin_secret).decryptor()
    plain = (decryptor.update(encrypted) + decryptor.finalize()).rstrip(b"\0")
    signature, body = plain[:_SHA1_SIZE], plain[_SHA1_SIZE:]
    if len(body) < _RANDOM_SIZE or hashlib.sha1(body).digest() != signature:
        raise KsParseError("the KS signature does not match")
    try:
        fields = dict(parse_qsl(body[_RANDOM_SIZE:].decode(), keep_blank_values=True))
        expiry = int(fields.pop(_FIELD_EXPIRY))
        session_type = int(fields.pop(_FIELD_TYPE))
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise KsParseError("the KS fields are malformed") from exc
    user_id = fields.pop(_FIELD_USER, "")
    return KsInfo(partner_id, user_id, session_type, expiry, fields)


Minted = tuple[str, float | None]
"""A fresh KS and when it expires (epoch seconds), or None when unknown."""

Advice = Callable[[AuthenticationError], str]
"""What to change when the API refuses the credentials (given the refusal): settings by name, no value."""

FIXED_KS_ADVICE = (
    "it was given as a fixed KS, so it cannot be renewed; give a fresh KS, or an admin secret or app "
    "token to mint one"
)
MINTED_KS_ADVICE = "a KS made just now was refused too: check the credentials it is made from"


class KsProvider:
    """Hands out a KS, renewing it before expiry and at most once per 401.

    Renewal is keyed on the KS that failed, so when several threads see a 401
    for the same KS only one of them mints a new one. A fixed KS cannot be
    renewed: once the API refuses it, every later call fails here, unsent, so
    a run with dozens of calls queued ends on the first refusal instead of
    sending each one to be refused in turn.

    ``advice`` says what to change when the credentials themselves are
    refused (a fresh KS refused, a KS that cannot be made); whoever made the
    provider knows which settings those are, so it is given, not guessed here.
    """

    def __init__(
        self,
        mint: Callable[[], Minted] | None = None,
        *,
        fixed_ks: str | None = None,
        renew_margin_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        advice: Advice | None = None,
    ) -> None:
        if (mint is None) == (fixed_ks is None):
            raise ValueError("KsProvider needs exactly one of mint or fixed_ks")
        self._mint = mint
        self._margin = renew_margin_seconds
        self._clock = clock
        self._advice = advice
        self._lock = threading.Lock()
        self._ks: str | None = fixed_ks
        self._expires_at: float | None = None
        self._refusal: CredentialsRefused | None = None
        self.renewals = 0

    def refused(self, refusal: AuthenticationError) -> CredentialsRefused:
        """``refusal`` as a refusal of the credentials, with what to change (once said, said as it was)."""
        if isinstance(refusal, CredentialsRefused):
            return refusal
        if self._advice is not None:
            advice = self._advice(refusal)
        else:
            advice = FIXED_KS_ADVICE if self._mint is None else MINTED_KS_ADVICE
        return CredentialsRefused(refusal, advice)

    def _fresh_locked(self) -> str:
        assert self._mint is not None
        try:
            self._ks, self._expires_at = self._mint()
        except AuthenticationError as refusal:  # the token or secret that makes a KS was refused
            raise self.refused(refusal) from refusal
        self.renewals += 1
        return self._ks

    def get(self, endpoint: str = "KS") -> str:
        with self._lock:
            if self._refusal is not None:
                # The check first, as on the call that met it: whichever call's error a run ends
                # with, its line reads the same.
                earlier = self._refusal.refused.api_message
                unsent = AuthenticationError(endpoint, f"{earlier} (not sent: refused on an earlier call)")
                raise CredentialsRefused(unsent, self._refusal.advice)
            if self._ks is None:
                return self._fresh_locked()
            expiring = self._expires_at is not None and self._clock() >= self._expires_at - self._margin
            if expiring and self._mint is not None:
                return self._fresh_locked()
            return self._ks

    def renew_after_rejection(self, rejected: str, endpoint: str, reason: str = "") -> str:
        """Mint a new KS because ``rejected`` got a 401; fail at once, and from now on, if that is impossible.

        ``reason`` is the API's own word on the refusal (``KS expired``), kept
        in the message because it tells the user what to fix.
        """
        with self._lock:
            if self._mint is None:
                said = f" ({reason})" if reason else ""
                if not self._ks:
                    raise AuthenticationError(
                        endpoint,
                        f"the API refused the call with HTTP 401{said}: no KS was given; "
                        "give a KS, or an admin secret or app token to mint one",
                    )
                self._refusal = self.refused(AuthenticationError(endpoint, reason or "the KS was refused"))
                raise self._refusal
            if self._ks is not None and self._ks != rejected:
                return self._ks
            return self._fresh_locked()


def local_minter(
    admin_secret: str,
    partner_id: int,
    user_id: str,
    *,
    expiry_seconds: int = 86400,
    privileges: str = "",
    session_type: int = ADMIN,
    clock: Callable[[], float] = time.time,
) -> Callable[[], Minted]:
    """A minter that builds KS v2 locally, so no secret crosses the network."""

    def mint() -> Minted:
        now = clock()
        ks = build_ks_v2(
            admin_secret,
            partner_id,
            user_id,
            session_type=session_type,
            expiry_seconds=expiry_seconds,
            privileges=privileges,
            now=now,
        )
        return ks, float(int(now) + expiry_seconds)

    return mint


def app_token_hash(widget_ks: str, token: str, hash_type: str = "SHA256") -> str:
    """``HASH(widget_ks + token)`` as the app-token guide defines it, lowercase hex."""
    algorithm = hash_type.strip().lower()
    if algorithm not in {"md5", "sha1", "sha256", "sha512"}:
        raise ValueError(f"hash_type must be one of MD5, SHA1, SHA256, SHA512, got {hash_type!r}")
    return hashlib.new(algorithm, (widget_ks + token).encode()).hexdigest()
