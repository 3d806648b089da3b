"""Kaltura's notification signature: hex(hash(admin secret + raw body)), checked in constant time.

Kaltura's server code, not its guide, decides the details: it is a plain
hash of the concatenation, not an HMAC; the key is the partner admin secret;
``X-KALTURA-HASH-ALGO`` names the algorithm and means sha1 when absent. There
is no timestamp and no nonce, so a captured request stays valid forever:
the receiver's ledger (``ledger``) answers a notification delivered before
with 200 and posts nothing, however late the replay comes.

The algorithm is pinned by configuration rather than taken from the header:
if the sender could choose, a forged request would simply choose the weakest
one, and a template set to another algorithm than the receiver expects would
pass unnoticed instead of failing loudly on its first delivery.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal, get_args

HashAlgo = Literal["sha1", "sha256", "sha512"]
HASH_ALGOS: tuple[HashAlgo, ...] = get_args(HashAlgo)
ALGO_WHEN_ABSENT: HashAlgo = "sha1"
"""What Kaltura means when it sends no X-KALTURA-HASH-ALGO header."""

SIGNATURE_HEADER = "X-KALTURA-SIGNATURE"
ALGO_HEADER = "X-KALTURA-HASH-ALGO"


class SignatureError(Exception):
    """Why a request's signature is refused; the text names no secret and no digest."""


def sign(secret: str, body: bytes, algo: HashAlgo) -> str:
    """The value Kaltura puts in X-KALTURA-SIGNATURE for ``body`` (tests and the emulator use it too)."""
    return hashlib.new(algo, secret.encode() + body).hexdigest()


def verify(
    secret: str,
    body: bytes,
    signature: str | None,
    algo_header: str | None,
    pinned: HashAlgo,
) -> None:
    """Raise SignatureError unless ``signature`` is Kaltura's for ``body`` under the pinned algorithm.

    The header's algorithm must equal the pinned one (absent means sha1), so a
    request cannot pick a weaker hash than the one configured.
    """
    claimed = (algo_header or ALGO_WHEN_ABSENT).strip().lower()
    if claimed != pinned:
        raise SignatureError(f"hash algorithm {claimed[:16]!r} is not the configured {pinned!r}")
    if not signature:
        raise SignatureError(f"no {SIGNATURE_HEADER} header")
    expected = sign(secret, body, pinned).encode()
    # compare_digest on bytes: a str with non-ASCII characters would raise instead of failing.
    given = signature.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected, given):
        raise SignatureError("the signature does not match the body")
