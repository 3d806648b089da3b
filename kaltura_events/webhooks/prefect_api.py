"""The receiver's calls to the Prefect server's REST API, and what a failed one tells Kaltura.

Every call the receiver makes (the delivery ledger's Variables, the event
itself) fails the same two ways, so each is answered the same way whichever
call it was: the server unreachable, slow, 429 or 5xx means "later" (503,
and Kaltura delivers again); any other refusal (401 for a wrong API key,
422) means a person must look (502), because a redelivery will not fix it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from typing import Any

import httpx


class PrefectUnavailable(Exception):
    """The server did not answer, or answered 429/5xx: worth trying again later."""


class PrefectRefused(Exception):
    """The server answered a status the call cannot use and that waiting will not change."""

    def __init__(self, method: str, path: str, status: int) -> None:
        super().__init__(f"{method} {path} answered HTTP {status}")
        self.status = status


async def call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    json: Any = None,
    expected: Collection[int] = (),
    pauses: Sequence[float] = (),
) -> httpx.Response:
    """The answer when it is 2xx or one of ``expected`` (a 409 or 404 the caller reads), else raise.

    ``pauses``: seconds to wait before each further try while the server is
    unavailable, for a write that must not be left undone (a SQLite server
    under concurrent writes answers 503 now and then). Messages name the
    method, the path and the status: paths are built from ids, never from a
    secret, and the client's headers are never shown.
    """
    for pause in pauses:
        try:
            return await _once(client, method, path, json=json, expected=expected)
        except PrefectUnavailable:
            await asyncio.sleep(pause)
    return await _once(client, method, path, json=json, expected=expected)


async def _once(
    client: httpx.AsyncClient, method: str, path: str, *, json: Any, expected: Collection[int]
) -> httpx.Response:
    try:
        answer = await client.request(method, path, json=json)
    except httpx.HTTPError as exc:
        raise PrefectUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from None
    if answer.is_success or answer.status_code in expected:
        return answer
    if answer.status_code == 429 or answer.status_code >= 500:
        raise PrefectUnavailable(f"{method} {path} answered HTTP {answer.status_code}")
    raise PrefectRefused(method, path, answer.status_code)
