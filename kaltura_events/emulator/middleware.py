"""The outermost ASGI layer: latency, faults and request counting around every API call.

It is raw ASGI rather than Starlette middleware because the "reset" fault needs
uvicorn's own ``send`` (a bound method of the connection's request cycle) to
reach the TCP transport and abort it, so the client sees a dropped connection
instead of any HTTP answer. Faults are decided here, before authentication,
the way a proxy or an overloaded front end fails in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kaltura_events.emulator.failures import INTERNAL_ERROR_MESSAGE, events_error_body
from kaltura_events.emulator.faults import AFTER_COMMIT, BEFORE_COMMIT
from kaltura_events.emulator.request_context import CONTEXT_KEY, RequestContext
from kaltura_events.emulator.runtime import Runtime
from kaltura_events.emulator.services.registry import SERVICES, WRITE_ENDPOINTS, classify
from kaltura_events.emulator.stats import Stats

logger = logging.getLogger("kaltura_events.emulator")

_SERVICE_NAMES = frozenset(service.name for service in SERVICES)


@dataclass
class _Outcome:
    """What the client saw (``status``) and what the handler produced (``handler_status``).

    They differ when a fault hides a committed answer behind a 500 or a reset.
    """

    status: str = "unanswered"
    started: bool = False
    handler_status: str | None = None


def _retry_after(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def fault_response(kind: str, retry_after: float) -> JSONResponse:
    """The HTTP answer of a fault: plain JSON even on API v3, as a proxy's 5xx is no API exception."""
    if kind == "rate_limit":
        body = events_error_body(429, "Rate limit reached, retry later")
        return JSONResponse(body, status_code=429, headers={"Retry-After": _retry_after(retry_after)})
    if kind == "rate_limit_reached":
        # The spec's response ``status`` enum names RateLimitReached; no HTTP code is stated with it.
        body = {"status": "RateLimitReached", "message": "Rate limit reached, retry later"}
        return JSONResponse(body, status_code=200)
    if kind == "unavailable":
        body = events_error_body(503, "Service temporarily unavailable")
        return JSONResponse(body, status_code=503, headers={"Retry-After": _retry_after(retry_after)})
    return JSONResponse(events_error_body(500, INTERNAL_ERROR_MESSAGE), status_code=500)


async def abort_connection(send: Send) -> bool:
    """Drop the TCP connection with an RST and no response; False if the server is not uvicorn."""
    cycle: Any = getattr(send, "__self__", None)
    transport: Any = getattr(cycle, "transport", None)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    if hasattr(cycle, "disconnected"):
        cycle.disconnected = True  # so uvicorn does not try to answer a connection that is gone
    await asyncio.sleep(0)
    return True


def _client_gone(send: Send) -> bool:
    """Whether uvicorn saw the client hang up (a timed-out client closes its connection)."""
    return bool(getattr(getattr(send, "__self__", None), "disconnected", False))


class FaultsAndStats:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        family, endpoint = classify(scope["path"])
        if family in ("control", "other"):
            await self.app(scope, receive, send)
            return
        stats = self.runtime.stats
        context = RequestContext(endpoint, family, endpoint in WRITE_ENDPOINTS)
        scope[CONTEXT_KEY] = context
        outcome = _Outcome()
        began = stats.begin(endpoint, context.is_write)
        try:
            if family in _SERVICE_NAMES:
                await self._serve_api(scope, receive, send, context, outcome, stats)
            else:
                await self.app(scope, receive, self._recording(send, outcome))
        except Exception:
            logger.exception("emulator failed while answering %s", endpoint)
            if not outcome.started:
                await self._send(fault_response("error_before_commit", 0), scope, receive, send, outcome)
        finally:
            shown = outcome.status
            if context.api_code and shown == "200":
                shown = f"200:{context.api_code}"
            produced = outcome.handler_status
            committed = produced is not None and produced.startswith("2") and not context.api_code
            stats.end(endpoint, shown, context.is_write, committed and context.is_write, began)

    @staticmethod
    def _recording(send: Send, outcome: _Outcome) -> Send:
        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status = str(message["status"])
                outcome.started = True
            await send(message)

        return recording_send

    async def _send(
        self, response: JSONResponse, scope: Scope, receive: Receive, send: Send, outcome: _Outcome
    ) -> None:
        await response(scope, receive, self._recording(send, outcome))

    async def _serve_api(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        context: RequestContext,
        outcome: _Outcome,
        stats: Stats,
    ) -> None:
        runtime = self.runtime
        delay = runtime.faults.latency_seconds()
        if delay > 0:
            await runtime.platform.pause(delay)
        injection = runtime.faults.draw(context.endpoint)
        context.injection = injection
        kind = injection.kind if injection else None
        if injection is not None:
            stats.fault(context.endpoint, injection.kind)
        if injection is not None and kind in BEFORE_COMMIT:
            await self._send(
                fault_response(injection.kind, injection.retry_after), scope, receive, send, outcome
            )
            return
        if kind not in AFTER_COMMIT:
            await self.app(scope, receive, self._recording(send, outcome))
            outcome.handler_status = outcome.status
            return
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        await self.app(scope, receive, capture)
        outcome.handler_status = next(
            (str(m["status"]) for m in captured if m["type"] == "http.response.start"), "500"
        )
        if kind == "timeout_after_commit":
            await runtime.platform.pause(runtime.config.hang_seconds)
            replay = self._recording(send, outcome)
            for message in captured:
                await replay(message)
            if _client_gone(send):
                outcome.status = "timeout"
        elif kind == "reset" and await abort_connection(send):
            outcome.status, outcome.started = "reset", True
        else:
            await self._send(fault_response("error_after_commit", 0), scope, receive, send, outcome)
