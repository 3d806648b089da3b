"""The services that take ``Authorization: Bearer <KS>`` and a JSON POST body: one way to call them.

The Events Platform, the App Registry, User Profile and Messaging differ only in where
they live and in whether an HTTP 200 may carry a refusal (the latter two answer
an application error as a ``KalturaAPIException`` with 200, their guides' §13).
Everything else (the KS in a header and never in a URL, error mapping, retries,
the one 401 renewal, the request slot, reading the answer) is written once here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Self, TypeVar

import httpx

from kaltura_events.api.answers import Reader, read_answer, refusing
from kaltura_events.api.ks import KsProvider
from kaltura_events.api.retry import RetryPolicy
from kaltura_events.api.transport import DEFAULT_TIMEOUT, Slot, Transport, error_for_status

T = TypeVar("T")


class BearerJsonClient:
    """Base of the Bearer + JSON clients; thread-safe and pooled, one instance per worker."""

    refusals_at_200: ClassVar[bool] = False
    """Whether an HTTP 200 answer may be a ``KalturaAPIException`` rather than a result."""
    bare_refusals: ClassVar[bool] = False
    """Whether such a refusal may come as bare ``{"code", "message"}`` (Messaging §13)."""

    def __init__(
        self,
        base_url: str,
        ks: KsProvider,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_connections: int = 32,
        sleep: Callable[[float], None] | None = None,
        slot: Slot | None = None,
        url_hint: str | None = None,
    ) -> None:
        self._t = Transport(
            base_url,
            ks,
            timeout=timeout,
            retry=retry,
            max_connections=max_connections,
            sleep=sleep,
            slot=slot,
            url_hint=url_hint,
        )

    @property
    def base_url(self) -> str:
        return self._t.base_url

    def close(self) -> None:
        self._t.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(
        self,
        endpoint: str,
        body: dict[str, Any],
        read: Reader[T],
        *,
        reconcile: Callable[[], T | None] | None = None,
        gone_is_done: bool = False,
        at_most_once: str | None = None,
    ) -> T:
        """One API call under the retry policy, its answer read as ``T`` (or UnexpectedResponseError).

        ``reconcile`` finds what an ambiguous write may have made, as the same ``T``;
        ``at_most_once`` (see ``run_with_retries``) is for a write that has no such look-up.
        """
        url = f"{self._t.base_url}/{endpoint}"

        def send(ks: str) -> T:
            response = self._t.post(endpoint, url, json=body, headers={"Authorization": f"Bearer {ks}"})
            if response.status_code >= 400:
                raise error_for_status(endpoint, response, sensitive=(ks,))
            reader = (
                refusing(endpoint, read, (ks,), bare=self.bare_refusals) if self.refusals_at_200 else read
            )
            return read_answer(endpoint, response, reader, sensitive=(ks,))

        return self._t.call(
            lambda: self._t.authed(endpoint, send),
            reconcile=reconcile,
            gone_is_done=gone_is_done,
            at_most_once=at_most_once,
        )
