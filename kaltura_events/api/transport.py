"""HTTP plumbing shared by every client: one pooled httpx.Client, bounded timeouts,
error mapping, KS renewal on a single 401, the retry policy, and the request slot.

The slot (``slot``, a context-manager factory) is entered around each single
HTTP attempt and left before any backoff or Retry-After sleep, so a call
waiting to try again does not keep another call from the API.

The two APIs differ only in where the KS goes and how an error is spelled;
those are the two hooks a client supplies. Everything else happens here, once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar
from urllib.parse import urlparse

import httpx

from kaltura_events.api.answers import excerpt
from kaltura_events.api.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConnectionFailedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)
from kaltura_events.api.ks import KsProvider
from kaltura_events.api.retry import RetryPolicy, run_with_retries

T = TypeVar("T")

Slot = Callable[[], AbstractContextManager[None]]
"""Makes the context held around one HTTP attempt (e.g. one of a run's request slots)."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "kaltura-events/0.1 (+prefect)"


def shown_url(url: str) -> str:
    """A URL fit for a message: no user:password@, query or fragment (they may hold a secret)."""
    parsed = urlparse(url)
    return parsed._replace(netloc=parsed.netloc.rpartition("@")[2], query="", fragment="").geturl()


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def api_message(response: httpx.Response, sensitive: Iterable[str] = ()) -> str:
    """The API's own words, trimmed and scrubbed; never the request (which carries the KS)."""
    try:
        body = response.json()
    except ValueError:
        return excerpt(response.content or response.reason_phrase or "no message", sensitive, limit=300) or (
            "no message"
        )
    if isinstance(body, dict):
        # ``code``: the App Registry and User Profile refuse a bad field with 400 and a KalturaAPIException.
        parts = [str(body[key]) for key in ("code", "message", "status", "field") if body.get(key)]
        if parts:
            return excerpt(" | ".join(parts), sensitive, limit=300)
    return excerpt(str(body), sensitive, limit=300)


def error_for_status(endpoint: str, response: httpx.Response, sensitive: Iterable[str] = ()) -> ApiError:
    status = response.status_code
    message = api_message(response, sensitive)
    if status == 400:
        return BadRequestError(endpoint, message)
    if status == 401:
        return AuthenticationError(endpoint, message)
    if status == 403:
        return PermissionDeniedError(endpoint, message)
    if status == 404:
        return NotFoundError(endpoint, message)
    if status == 429:
        return RateLimitedError(endpoint, message, retry_after=retry_after_seconds(response))
    if status >= 500:
        return ServerError(endpoint, message, retry_after=retry_after_seconds(response), status_code=status)
    return ApiError(endpoint, message, status_code=status)


class Transport:
    """One connection pool and one KS for a client; thread-safe because httpx.Client is."""

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
        self.base_url = base_url.rstrip("/")
        self.url_hint = url_hint
        """Where this URL came from and how to change it, for an error that could not reach it."""
        self.slot: Slot = slot or nullcontext
        self.ks = ks
        self.retry = retry or RetryPolicy()
        self._sleep = sleep or time.sleep
        self._http = httpx.Client(
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"User-Agent": USER_AGENT},
        )
        # Every request goes to base_url, so the pool (or proxy, from the environment) httpx would pick
        # for each is picked once. Sending through it skips Client.send's per-request auth, redirect and
        # cookie machinery, none of which these APIs use: about 0.25 ms of CPU a call, a fifth of what a
        # 10 ms invite cost the flow process (BENCHMARKS.md, A4).
        self._pool = self._http._transport_for_url(httpx.URL(self.base_url))

    def close(self) -> None:
        self._http.close()

    def post(self, endpoint: str, url: str, **kwargs: Any) -> httpx.Response:
        """One POST to ``url`` (under base_url), read whole; failures become our errors without the request.

        The request is the one ``httpx.Client.post`` would send (its headers,
        timeouts), built by the client; redirects are not followed, as before.
        """
        request = self._http.build_request("POST", url, **kwargs)
        try:
            response = self._pool.handle_request(request)
            response.request = request
            try:
                response.read()
            finally:
                response.close()
            return response
        except httpx.ConnectError as exc:
            what = f"could not connect to {shown_url(self.base_url)} ({type(exc).__name__})"
            if self.url_hint:
                what += f"; {self.url_hint}"
            raise ConnectionFailedError(endpoint, what, before_send=True) from None
        except httpx.TimeoutException as exc:
            raise RequestTimeoutError(endpoint, f"no answer in time ({type(exc).__name__})") from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise ConnectionFailedError(endpoint, f"connection dropped ({type(exc).__name__})") from None

    def authed(self, endpoint: str, send: Callable[[str], T]) -> T:
        """One attempt, inside the slot: send with the current KS; on a 401 renew once and send again.

        The KS is read once the slot is held, so when a KS expires only the
        calls in flight meet a 401, not every call queued for a slot. A fresh
        KS refused too means the credentials are wrong: that refusal says what
        to change (``CredentialsRefused``).
        """
        with self.slot():
            ks = self.ks.get(endpoint)
            try:
                return send(ks)
            except AuthenticationError as refused:
                fresh = self.ks.renew_after_rejection(ks, endpoint, refused.api_message)
            try:
                return send(fresh)
            except AuthenticationError as again:
                raise self.ks.refused(again) from again

    def call(
        self,
        attempt_once: Callable[[], T],
        *,
        reconcile: Callable[[], T | None] | None = None,
        gone_is_done: bool = False,
        at_most_once: str | None = None,
    ) -> T:
        return run_with_retries(
            attempt_once,
            policy=self.retry,
            reconcile=reconcile,
            gone_is_done=gone_is_done,
            at_most_once=at_most_once,
            sleep=self._sleep,
        )
