"""The Starlette app Kaltura POSTs notifications to: refuse what is not Kaltura's, forward the rest.

Order of checks, each a refusal that emits no Prefect event:

====  ===============================================================
404   the path token is not ours (same answer as any unknown path)
413   the body is larger than the cap (Content-Length, or counted
      while reading: the rest is never read)
401   no signature, wrong signature, or another hash algorithm than
      the configured one (an absent X-KALTURA-HASH-ALGO means sha1)
400   the signed body is not a notification (not JSON, a form without
      ``data``, no ``eventNotificationJobId``, ...)
====  ===============================================================

Then the notification is claimed in the delivery ledger (``ledger``: one
Prefect Variable per notification, in the server's database). Delivered
before, by Kaltura or by whoever replays a captured request: 200, and
nothing is posted. Being delivered by another request right now: 503. Else
the event goes to ``{PREFECT_API_URL}/events``, the ledger records it, and
Kaltura hears 200 only once Prefect said 2xx; a failed post gives the claim
back. Prefect unreachable, slow, 429 or 5xx at any of these calls: 503, and
Kaltura delivers again later; its retries are the queue, so nothing waits in
this process's memory to be lost on a restart. Any other answer from Prefect
(a 401 for a wrong API key, a 422 for an event it refuses) is 502 and an
ERROR line: a redelivery will not fix it, a person must.

Every answer is one log line: a refusal a WARNING, an accepted notification
an INFO line naming its job id, event name and resource. Lines name the job
id, template system name, object type and object id, never the token, the
secret, a signature or the payload.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from kaltura_events.webhooks.config import LOGGER_NAME, ReceiverConfig
from kaltura_events.webhooks.ledger import Claim, Ledger
from kaltura_events.webhooks.notification import (
    Notification,
    NotificationError,
    parse_notification,
    to_prefect_event,
)
from kaltura_events.webhooks.prefect_api import PrefectRefused, PrefectUnavailable, call
from kaltura_events.webhooks.signature import ALGO_HEADER, SIGNATURE_HEADER, SignatureError, verify

logger = logging.getLogger(LOGGER_NAME)

NOTIFY_PATH = "/kaltura/{token}"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _refuse(status: int, reason: str, request: Request) -> Response:
    client = request.client.host if request.client else "-"
    logger.warning("refused a notification from %s: %s %s", client, status, reason)
    return PlainTextResponse(reason, status_code=status)


async def _read_capped(request: Request, cap: int) -> bytes | None:
    """The body, or None as soon as it passes ``cap`` bytes: an oversized body is never held whole."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _deliver(
    prefect: httpx.AsyncClient,
    ledger: Ledger,
    notification: Notification,
    event: dict[str, Any],
    clock: Callable[[], datetime],
) -> Response:
    """Post ``event`` once per notification, however often and however concurrently it arrives."""
    what = f"{notification.describe()}: {event['event']} on {event['resource']['prefect.resource.id']}"
    claim = await ledger.claim(notification.job_id, clock(), event)
    if claim is Claim.DELIVERED:
        logger.info("accepted %s, delivered before: nothing posted", what)
        return PlainTextResponse("ok", status_code=200)
    if claim is Claim.BUSY:
        logger.warning("%s is being delivered by another request; answering 503", notification.describe())
        return PlainTextResponse("the notification is being delivered", status_code=503)
    try:
        await call(prefect, "POST", "/events", json=[event])
    except (PrefectUnavailable, PrefectRefused):
        with contextlib.suppress(PrefectUnavailable, PrefectRefused):
            await ledger.give_back(notification.job_id)  # else the lease expires, and a retry retakes it
        raise
    try:
        await ledger.delivered(notification.job_id, clock(), event)
    except (PrefectUnavailable, PrefectRefused) as exc:
        # The event is in: Kaltura must hear 200. The claim stays pending, so a
        # replay after the lease would post it again (at-least-once; runs converge).
        logger.warning("posted %s but could not record it as delivered (%s)", what, exc)
    logger.info("accepted %s", what)
    return PlainTextResponse("ok", status_code=200)


def create_app(
    config: ReceiverConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> Starlette:
    """The receiver for ``config``; ``transport`` replaces the network to Prefect in tests."""
    token = config.token.encode()

    async def notify(request: Request) -> Response:
        if not hmac.compare_digest(request.path_params["token"].encode(), token):
            return PlainTextResponse("Not Found", status_code=404)
        body = await _read_capped(request, config.max_body_bytes)
        if body is None:
            return _refuse(413, f"the body is larger than {config.max_body_bytes} bytes", request)
        try:
            verify(
                config.admin_secret,
                body,
                request.headers.get(SIGNATURE_HEADER),
                request.headers.get(ALGO_HEADER),
                config.hash_algo,
            )
        except SignatureError as exc:
            return _refuse(401, str(exc), request)
        try:
            notification = parse_notification(body, request.headers.get("content-type"))
        except NotificationError as exc:
            return _refuse(400, str(exc), request)
        event = to_prefect_event(notification, partner_id=config.partner_id, occurred=clock())
        prefect: httpx.AsyncClient = request.app.state.prefect
        ledger = Ledger(prefect, config.partner_id, config.claim_lease_seconds)
        try:
            return await _deliver(prefect, ledger, notification, event, clock)
        except PrefectUnavailable as exc:
            logger.warning(
                "Prefect did not take %s (%s); answering 503 so Kaltura delivers it again",
                notification.describe(),
                exc,
            )
            return PlainTextResponse("the Prefect server is unavailable", status_code=503)
        except PrefectRefused as exc:
            logger.error(
                "Prefect refused %s with HTTP %s: check PREFECT_API_URL and PREFECT_API_KEY",
                notification.describe(),
                exc.status,
            )
            return PlainTextResponse("the Prefect server refused the event", status_code=502)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        headers = {"Authorization": auth} if (auth := config.authorization()) else {}
        async with httpx.AsyncClient(
            base_url=config.prefect_api_url,
            headers=headers,
            timeout=httpx.Timeout(config.prefect_timeout_seconds),
            transport=transport,
        ) as client:
            app.state.prefect = client
            yield

    return Starlette(
        routes=[Route(NOTIFY_PATH, notify, methods=["POST"]), Route("/healthz", health, methods=["GET"])],
        lifespan=lifespan,
    )
