"""The emulator's own KS v2 code against the client's: each must read what the other writes.

The two are written apart (the emulator's from kaltura/server's kSessionBase,
the client's from Kaltura's client libraries), so agreement here is evidence,
not construction. The pinned vector is the one tests/test_ks.py pins for the client.
"""

from __future__ import annotations

import base64

import httpx
import pytest

from kaltura_events.api.ks import ADMIN, app_token_hash, build_ks_v2, parse_ks
from kaltura_events.emulator import kaltura_session
from kaltura_events.emulator.config import DEFAULT_USER_ID
from kaltura_events.emulator.kaltura_session import ADMIN_SESSION, USER_SESSION, KsInvalid
from kaltura_events.emulator.server import EmulatorServer
from tests.test_ks import NOW, PARTNER, SECRET, USER_ID, VECTOR


def tampered(ks: str, index: int) -> str:
    """The KS with one byte of its encrypted part flipped (index counts from the end)."""
    raw = bytearray(base64.b64decode(ks.replace("-", "+").replace("_", "/") + "=" * (-len(ks) % 4)))
    raw[-index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode().replace("+", "-").replace("/", "_")


def test_the_clients_pinned_vector_verifies_on_the_emulator() -> None:
    session = kaltura_session.verify(VECTOR, SECRET, now=NOW)
    assert (session.partner_id, session.user_id, session.session_type, session.expiry) == (
        PARTNER,
        USER_ID,
        ADMIN_SESSION,
        NOW + 86400,
    )
    assert session.privileges == {"disableentitlement": "", "sview": "*"}
    assert kaltura_session.partner_of(VECTOR) == PARTNER


@pytest.mark.parametrize("index", [1, 17, 40])
def test_a_tampered_ks_is_invalid(index: int) -> None:
    with pytest.raises(KsInvalid, match="signature") as caught:
        kaltura_session.verify(tampered(VECTOR, index), SECRET, now=NOW)
    assert not caught.value.expired


def test_wrong_secret_expiry_and_garbage_are_refused_without_echoing_the_ks() -> None:
    with pytest.raises(KsInvalid, match="signature") as wrong:
        kaltura_session.verify(VECTOR, "another-secret", now=NOW)
    with pytest.raises(KsInvalid, match="expired") as late:
        kaltura_session.verify(VECTOR, SECRET, now=NOW + 86400)
    assert late.value.expired
    for caught in (wrong, late):
        assert VECTOR not in str(caught.value)
    for garbage in ("", "not base64 !!", base64.b64encode(b"v1|123|abc").decode()):
        with pytest.raises(KsInvalid):
            kaltura_session.verify(garbage, SECRET, now=NOW)


def test_a_ks_the_emulator_mints_parses_with_the_client() -> None:
    ks = kaltura_session.mint(SECRET, PARTNER, USER_ID, USER_SESSION, 600, "sview:*,*", now=NOW)
    info = parse_ks(ks, SECRET)
    assert (info.partner_id, info.user_id, info.session_type, info.expiry) == (PARTNER, USER_ID, 0, NOW + 600)
    assert info.privileges == {"sview": "*", "all": "*"}


def test_token_hash_agrees_with_the_client() -> None:
    for hash_type in kaltura_session.TOKEN_HASH_TYPES:
        assert kaltura_session.token_hash("WKS", "TOKEN", hash_type) == app_token_hash(
            "WKS", "TOKEN", hash_type
        )
    with pytest.raises(ValueError, match="hashType"):
        kaltura_session.token_hash("WKS", "TOKEN", "CRC32")


def test_over_http_the_clients_ks_passes_and_a_tampered_one_is_401(emu: EmulatorServer) -> None:
    ks = build_ks_v2(emu.admin_secret, emu.partner_id, DEFAULT_USER_ID, session_type=ADMIN)
    url = f"{emu.events_api_url}/events/list"
    assert httpx.post(url, json={}, headers={"Authorization": f"Bearer {ks}"}).status_code == 200
    refused = httpx.post(url, json={}, headers={"Authorization": f"Bearer {tampered(ks, 5)}"})
    assert refused.status_code == 401 and refused.json()["status"] == "NEW_LOGIN_REQUIRED"
    assert "signature" in refused.json()["message"] and ks not in refused.text
