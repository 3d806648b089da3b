"""Sending HTTP notifications the way Kaltura's server does, from a background worker.

What Kaltura's code does (REF, the reference README): the request is signed
with ``X-KALTURA-SIGNATURE`` = hex digest of hash(partner admin secret + raw
body), not an HMAC, with ``X-KALTURA-HASH-ALGO`` naming the template's
algorithm (sha1 by default); only HTTP 200 or 204 counts as delivered and
anything else is tried again later. EN (the notifications guide) §10.2, §10.5
and §10.6 give the JSON body (``KalturaHttpNotification``) and "up to 10
retries with exponential backoff"; here the backoff is
``notification_retry_base_seconds`` doubling per attempt, so tests can make it short.

The job is built when the change is committed (template fields as they were
then), and keeps its ``eventNotificationJobId`` on every retry, so a receiver
can tell a retry from a new notification. Nothing is sent under the platform
lock or on a request's thread: the change feed only queues.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import itertools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from kaltura_events.emulator.changes import Change
from kaltura_events.emulator.platform import Platform
from kaltura_events.emulator.services.api_v3.notification_templates import GET, PartnerTemplate

FIRST_JOB_ID = 33578094492
"""EN §10.5's example ``eventNotificationJobId``; jobs count up from it."""
DELIVERED_STATUSES = (200, 204)
_WORKERS = 4
_IDLE_WAIT = 0.05


@dataclass
class Attempt:
    at: float
    status_code: int | None
    error: str | None


@dataclass
class Delivery:
    """One notification job; its URL, headers and body stay here (the URL may carry a token)."""

    job_id: int
    template_id: int
    template_system_name: str
    kind: str
    subject: str
    method: int
    url: str
    headers: dict[str, str]
    body: bytes
    attempts: list[Attempt] = field(default_factory=list)
    state: str = "pending"

    def render(self) -> dict[str, Any]:
        """What ``/_emulator/notifications`` shows: no URL, no headers (a password may be in them)."""
        return {
            "jobId": self.job_id,
            "templateId": self.template_id,
            "templateSystemName": self.template_system_name,
            "changeKind": self.kind,
            "subject": self.subject,
            "state": self.state,
            "attempts": [{"at": a.at, "statusCode": a.status_code, "error": a.error} for a in self.attempts],
        }


def signature(admin_secret: str, body: bytes, algo: str) -> str:
    """REF: hex digest of hash(admin secret + raw body)."""
    return hashlib.new(algo, admin_secret.encode() + body).hexdigest()


def notification_body(template: PartnerTemplate, job_id: int, record: dict[str, Any]) -> bytes:
    """EN §10.5's ``KalturaHttpNotification``, or an empty body without JSON object data (EN §10.1)."""
    if not template.sends_json:
        return b""
    payload = {
        "object": dict(record),
        "eventObjectType": template.source.event_object_type,
        "eventNotificationJobId": job_id,
        "templateId": template.id,
        "templateName": template.name,
        "templateSystemName": template.system_name,
        "eventType": template.source.event_type,
        "objectType": "KalturaHttpNotification",
    }
    return json.dumps(payload, separators=(",", ":")).encode()


class NotificationDispatcher:
    """Queues jobs on commit; a worker thread sends them when due, a small pool does the HTTP."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._cond = threading.Condition()
        self._due: list[tuple[float, int]] = []
        self._deliveries: dict[int, Delivery] = {}
        self._job_ids = itertools.count(FIRST_JOB_ID)
        self._worker: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._http: httpx.Client | None = None

    # -- on commit (platform lock held: quick, no I/O) ---------------------------

    def enqueue(self, template: PartnerTemplate, change: Change) -> Delivery:
        job_id = next(self._job_ids)
        body = notification_body(template, job_id, dict(change.record))
        algo = template.hash_algo
        headers = {h["key"]: h["value"] for h in template.custom_headers}
        headers.update(
            {
                "X-KALTURA-SIGNATURE": signature(self._platform.config.admin_secret, body, algo),
                "X-KALTURA-HASH-ALGO": algo,
            }
        )
        if body:
            headers["Content-Type"] = "application/json"
        if template.username:
            basic = base64.b64encode(f"{template.username}:{template.password}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        delivery = Delivery(
            job_id, template.id, template.system_name, change.kind, change.subject, template.method,
            template.url, headers, body,
        )  # fmt: skip
        with self._cond:
            self._deliveries[job_id] = delivery
            heapq.heappush(self._due, (time.monotonic(), job_id))
            self._ensure_worker()
            self._cond.notify()
        return delivery

    def snapshot(self) -> list[dict[str, Any]]:
        with self._cond:
            return [delivery.render() for delivery in self._deliveries.values()]

    # -- the worker ---------------------------------------------------------------

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            if self._pool is None:
                self._pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="emulator-notify")
            self._worker = threading.Thread(target=self._run, name="emulator-notify-scheduler", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        """Hand each due job to the pool; end when the platform is reset or the server stops."""
        while not self._platform.stopping:
            with self._cond:
                now = time.monotonic()
                if not self._due or self._due[0][0] > now:
                    wait = _IDLE_WAIT if not self._due else min(_IDLE_WAIT, self._due[0][0] - now)
                    self._cond.wait(wait)
                    continue
                _, job_id = heapq.heappop(self._due)
                delivery = self._deliveries[job_id]
                pool = self._pool
            if pool is not None:
                pool.submit(self._attempt, delivery)
        if self._platform.retired:
            self._close()

    def _close(self) -> None:
        with self._cond:
            pool, http = self._pool, self._http
            self._pool = self._http = None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if http is not None:
            http.close()

    def _client(self) -> httpx.Client:
        with self._cond:
            if self._http is None:
                self._http = httpx.Client(timeout=self._platform.config.notification_timeout_seconds)
            return self._http

    def _attempt(self, delivery: Delivery) -> None:
        if self._platform.stopping:
            return
        status: int | None = None
        error: str | None = None
        try:
            client = self._client()
            if delivery.method == GET:
                response = client.get(delivery.url, headers=delivery.headers)
            else:
                response = client.post(delivery.url, content=delivery.body, headers=delivery.headers)
            status = response.status_code
        except (httpx.HTTPError, ValueError) as exc:
            # The type only: httpx's messages can quote the URL, and the URL may carry a token.
            error = type(exc).__name__
        config = self._platform.config
        with self._cond:
            delivery.attempts.append(Attempt(time.time(), status, error))
            if status in DELIVERED_STATUSES:
                delivery.state = "delivered"
            elif len(delivery.attempts) >= config.notification_max_attempts:
                delivery.state = "failed"
            else:
                delay = config.notification_retry_base_seconds * 2 ** (len(delivery.attempts) - 1)
                heapq.heappush(self._due, (time.monotonic() + delay, delivery.job_id))
                self._cond.notify()
