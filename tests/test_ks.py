"""KS v2: byte-compatibility with Kaltura's algorithm, parsing, and renewal rules."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from kaltura_events.api.errors import AuthenticationError, CredentialsRefused, KsParseError
from kaltura_events.api.ks import (
    ADMIN,
    USER,
    KsProvider,
    app_token_hash,
    build_ks_v2,
    ks_partner_id,
    local_minter,
    parse_ks,
)

SECRET = "abcdef0123456789abcdef0123456789"
PARTNER = 1234567
USER_ID = "events-bot@example.com"
NOW = 1767225600  # 2026-01-01T00:00:00Z
RANDOM = bytes(range(16))
# Produced once with these inputs; pinned so any change in the byte layout shows.
VECTOR = (
    "djJ8MTIzNDU2N3x8vE0RVYxh1m6vND2FxWd52XJmGW1wsOjr865GaPqUGA-D8X2SZ-1t-wboz9Ug6uYtMNb1ZxMIq_m803r-71qO4kHG"
    "ZfUAf0k1biayI26icCXOwtwHphK7gZKeILEtzelJbyEkDLrafKt0ZoQKDxk5"
)


def server_decode(ks: str, secret: str) -> dict[str, object]:
    """Kaltura's server-side ks::parseKsV2, written out independently of kaltura_events.api.ks:
    base64 (url-safe) -> "v2|partner|cipher" -> AES-128-CBC with sha1(secret)[:16] and a zero IV
    -> strip NUL padding -> sha1 signature (20 bytes) over the rest -> 16 random bytes -> query string.
    """
    raw = base64.b64decode(ks.replace("-", "+").replace("_", "/") + "=" * (-len(ks) % 4))
    version, partner, encrypted = raw.split(b"|", 2)
    assert version == b"v2"
    key = hashlib.sha1(secret.encode()).digest()[:16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16)).decryptor()
    plain = (decryptor.update(encrypted) + decryptor.finalize()).rstrip(b"\x00")
    signature, rest = plain[:20], plain[20:]
    assert hashlib.sha1(rest).digest() == signature, "signature mismatch"
    fields = {k: v[0] for k, v in parse_qs(rest[16:].decode(), keep_blank_values=True).items()}
    return {"partner": int(partner), "random": rest[:16], **fields}


def test_known_vector_is_reproduced_byte_for_byte() -> None:
    ks = build_ks_v2(
        SECRET,
        PARTNER,
        USER_ID,
        session_type=ADMIN,
        expiry_seconds=86400,
        privileges="disableentitlement,sview:*",
        now=NOW,
        random_bytes=RANDOM,
    )
    assert ks == VECTOR


def test_known_vector_decodes_under_the_server_algorithm() -> None:
    decoded = server_decode(VECTOR, SECRET)
    assert decoded["partner"] == PARTNER
    assert decoded["random"] == RANDOM
    assert decoded["_u"] == USER_ID
    assert decoded["_t"] == "2"
    assert decoded["_e"] == str(NOW + 86400)
    assert decoded["disableentitlement"] == ""
    assert decoded["sview"] == "*"


def test_parse_round_trips_the_vector() -> None:
    info = parse_ks(VECTOR, SECRET)
    assert (info.partner_id, info.user_id, info.session_type, info.expiry) == (
        PARTNER,
        USER_ID,
        ADMIN,
        NOW + 86400,
    )
    assert info.privileges == {"disableentitlement": "", "sview": "*"}
    assert info.expired(now=NOW + 86400)
    assert not info.expired(now=NOW + 86399)
    assert ks_partner_id(VECTOR) == PARTNER


def test_star_privilege_becomes_all() -> None:
    ks = build_ks_v2(SECRET, PARTNER, USER_ID, privileges="*", now=NOW, random_bytes=RANDOM)
    assert server_decode(ks, SECRET)["all"] == "*"


def test_fresh_ks_is_random_each_time_and_user_type_kept() -> None:
    a = build_ks_v2(SECRET, PARTNER, "u", session_type=USER)
    b = build_ks_v2(SECRET, PARTNER, "u", session_type=USER)
    assert a != b
    assert parse_ks(a, SECRET).session_type == USER


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not base64 !!",
        base64.b64encode(b"v1|123|abc").decode(),
        base64.b64encode(b"v2|12a|" + b"x" * 16).decode(),
    ],
)
def test_garbage_is_reported_as_unparsable(bad: str) -> None:
    with pytest.raises(KsParseError):
        parse_ks(bad, SECRET)


def test_wrong_secret_fails_the_signature() -> None:
    with pytest.raises(KsParseError, match="signature"):
        parse_ks(VECTOR, "another-secret")


def test_parse_error_never_contains_the_ks() -> None:
    with pytest.raises(KsParseError) as caught:
        parse_ks(VECTOR, "another-secret")
    assert VECTOR not in str(caught.value)


def test_provider_renews_before_expiry() -> None:
    clock = [1000.0]
    minted: list[str] = []

    def mint() -> tuple[str, float]:
        minted.append(f"ks{len(minted)}")
        return minted[-1], clock[0] + 300

    provider = KsProvider(mint, renew_margin_seconds=60, clock=lambda: clock[0])
    assert provider.get() == "ks0"
    clock[0] += 200
    assert provider.get() == "ks0"
    clock[0] += 50  # 50 s left: inside the margin
    assert provider.get() == "ks1"


def test_provider_renews_once_for_many_rejections_of_the_same_ks() -> None:
    count = [0]

    def mint() -> tuple[str, None]:
        count[0] += 1
        return f"ks{count[0]}", None

    provider = KsProvider(mint)
    first = provider.get()
    assert provider.renew_after_rejection(first, "events/list") == "ks2"
    assert provider.renew_after_rejection(first, "events/list") == "ks2"
    assert count[0] == 2


def test_fixed_ks_cannot_be_renewed_and_says_so_without_the_ks() -> None:
    provider = KsProvider(fixed_ks=VECTOR)
    with pytest.raises(AuthenticationError) as caught:
        provider.renew_after_rejection(VECTOR, "events/list")
    assert "cannot be renewed" in str(caught.value)
    assert VECTOR not in str(caught.value)


def test_a_refused_fixed_ks_is_not_sent_again() -> None:
    """Calls queued behind the refusal fail here, unsent, naming why; the KS never appears."""
    provider = KsProvider(fixed_ks=VECTOR)
    assert provider.get("events/list") == VECTOR
    with pytest.raises(CredentialsRefused, match=r"^events/list: HTTP 401: KS expired: .*cannot be renewed"):
        provider.renew_after_rejection(VECTOR, "events/list", "KS expired")
    with pytest.raises(CredentialsRefused) as caught:
        provider.get("sessions/create")
    message = str(caught.value)
    assert message.startswith(
        "sessions/create: HTTP 401: KS expired (not sent: refused on an earlier call): "
    )
    assert "cannot be renewed" in message and VECTOR not in message


def test_a_refusal_says_what_the_maker_of_the_provider_advises() -> None:
    """The credentials know which setting to name; the provider adds it to the API's words."""
    provider = KsProvider(fixed_ks=VECTOR, advice=lambda refusal: f"fix KALTURA_KS ({refusal.endpoint})")
    with pytest.raises(CredentialsRefused) as caught:
        provider.renew_after_rejection(VECTOR, "events/list", "the KS has expired")
    assert str(caught.value) == "events/list: HTTP 401: the KS has expired: fix KALTURA_KS (events/list)"


def test_local_minter_reports_expiry() -> None:
    ks, expires = local_minter(SECRET, PARTNER, USER_ID, expiry_seconds=600, clock=lambda: NOW)()
    assert expires == NOW + 600
    assert parse_ks(ks, SECRET).expiry == NOW + 600


def test_app_token_hash_matches_the_guide_formula() -> None:
    assert app_token_hash("WKS", "TOKEN", "SHA256") == hashlib.sha256(b"WKSTOKEN").hexdigest()
    assert app_token_hash("WKS", "TOKEN", "SHA1") == hashlib.sha1(b"WKSTOKEN").hexdigest()
    with pytest.raises(ValueError, match="hash_type"):
        app_token_hash("WKS", "TOKEN", "CRC32")
