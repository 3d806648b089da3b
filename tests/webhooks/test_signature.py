"""The signature is Kaltura's: hex(hash(secret + body)), the algorithm pinned, compared in constant time."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaltura_events.webhooks.signature import HASH_ALGOS, SignatureError, sign, verify

algos = st.sampled_from(HASH_ALGOS)
secrets = st.text(min_size=1, max_size=64)
bodies = st.binary(max_size=2048)


def test_sign_is_a_plain_hash_of_secret_then_body_not_an_hmac() -> None:
    assert sign("s3cret", b'{"a":1}', "sha1") == hashlib.sha1(b's3cret{"a":1}').hexdigest()
    assert sign("s3cret", b"", "sha512") == hashlib.sha512(b"s3cret").hexdigest()


@given(secret=secrets, body=bodies, algo=algos)
def test_any_body_secret_and_algorithm_round_trip(secret: str, body: bytes, algo: str) -> None:
    verify(secret, body, sign(secret, body, algo), algo, algo)  # type: ignore[arg-type]


@given(secret=secrets, body=bodies.filter(bool), algo=algos, data=st.data())
def test_any_single_byte_change_fails(secret: str, body: bytes, algo: str, data: st.DataObject) -> None:
    signature = sign(secret, body, algo)  # type: ignore[arg-type]
    index = data.draw(st.integers(0, len(body) - 1), label="index")
    flip = data.draw(st.integers(1, 255), label="xor")
    changed = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    with pytest.raises(SignatureError, match="does not match"):
        verify(secret, changed, signature, algo, algo)  # type: ignore[arg-type]


@given(secret=secrets, other=secrets, body=bodies, algo=algos)
def test_another_secret_fails(secret: str, other: str, body: bytes, algo: str) -> None:
    if other == secret:
        return
    with pytest.raises(SignatureError):
        verify(secret, body, sign(other, body, algo), algo, algo)  # type: ignore[arg-type]


def test_an_absent_algorithm_header_means_sha1_so_a_pinned_sha256_refuses_it() -> None:
    body = b'{"eventNotificationJobId": 1}'
    with pytest.raises(SignatureError, match="'sha1' is not the configured 'sha256'"):
        verify("k", body, sign("k", body, "sha256"), None, "sha256")
    verify("k", body, sign("k", body, "sha1"), None, "sha1")


@pytest.mark.parametrize("claimed", ["sha1", "sha512", "md5", "SHA384", ""])
def test_another_algorithm_than_the_pinned_one_is_refused_even_with_its_valid_signature(claimed: str) -> None:
    body = b"{}"
    signature = sign("k", body, "sha1")
    with pytest.raises(SignatureError, match="is not the configured"):
        verify("k", body, signature, claimed, "sha256")


def test_the_algorithm_header_is_case_insensitive_and_the_hex_may_be_upper_case() -> None:
    body = b"{}"
    verify("k", body, sign("k", body, "sha256").upper(), "SHA256", "sha256")


@pytest.mark.parametrize("signature", [None, "", "not-hex", "é" * 64, "0" * 64])
def test_missing_or_malformed_signatures_fail_without_raising_anything_else(signature: str | None) -> None:
    with pytest.raises(SignatureError):
        verify("k", b"{}", signature, "sha256", "sha256")


def test_refusals_name_neither_the_secret_nor_a_digest() -> None:
    secret, body = "very-secret-value", b"{}"
    expected = sign(secret, body, "sha256")
    for signature in (None, "0" * 64):
        with pytest.raises(SignatureError) as caught:
            verify(secret, body, signature, "sha256", "sha256")
        assert secret not in str(caught.value) and expected not in str(caught.value)
