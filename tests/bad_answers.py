"""A real HTTP server on 127.0.0.1 that answers what a misbehaving proxy answers.

Requests to the chosen endpoints get one kind of unreadable answer (an HTML
page with 200, JSON cut off, ``null``...); everything else is passed through
to ``upstream`` (the emulator) when one is given, as a proxy in front of it
would. The HTML page echoes the request's Authorization header and body, as a
proxy's debug page might, so a test can show that no KS or secret reaches an
error message even when the server sends it back.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


@dataclass(frozen=True)
class BadAnswer:
    name: str
    status: int
    content_type: str
    body: bytes
    readable_as_acknowledgement: bool = False
    """An answer that endpoints which need nothing from it (deletes, participant writes) accept."""


BAD_ANSWERS = (
    BadAnswer("html-200", 200, "text/html; charset=utf-8", b""),  # the body is the echo page, see below
    BadAnswer("truncated-json", 200, "application/json", b'{"event": {"id": 12, "name": "Town h'),
    BadAnswer("json-null", 200, "application/json", b"null"),
    BadAnswer("json-list", 200, "application/json", b'[{"id": 12, "name": "Town hall"}]'),
    BadAnswer("json-string", 200, "application/json", b'"ok"'),
    BadAnswer("plain-text", 200, "text/plain", b"Service temporarily unavailable, try later"),
    BadAnswer(
        "wrong-shape-object",
        200,
        "application/json",
        b'{"result": {"data": [1, 2, 3]}, "ok": true}',
        readable_as_acknowledgement=True,
    ),
    BadAnswer(
        "missing-field", 200, "application/json", b'{"status": "ok"}', readable_as_acknowledgement=True
    ),
    BadAnswer(
        "mistyped-field",
        200,
        "application/json",
        b'{"status": "ok", "event": {"id": "not-a-number", "name": 7}, "events": "none", '
        b'"totalCount": "many", "session": [], "sessions": "none", "speakers": 3, "moderators": 3, '
        b'"teamMember": {"id": 5}, "teamMembers": "none", "user": {"id": []}, "users": "none", '
        b'"jobId": ["x"], "jobState": 1, "objects": "none", "ks": 42, "expiry": "soon", '
        b'"id": "x", "name": 7}',
        readable_as_acknowledgement=True,
    ),
    BadAnswer("empty-body", 200, "application/json", b"", readable_as_acknowledgement=True),
)
INVALID_KS_ECHO = BadAnswer("v3-invalid-ks-echo", 200, "application/json", b"")
"""Not unreadable: API v3 refusing the KS the way Kaltura words it, quoting the KS it was sent."""
BY_NAME = {answer.name: answer for answer in (*BAD_ANSWERS, INVALID_KS_ECHO)}


def endpoint_of(path: str) -> str:
    """``/api/v1/events/list`` is ``events/list`` (``/user-profile/api/v1/user-profile/list`` is
    ``user-profile/list``), ``.../service/category/action/list`` is ``category.list``."""
    if "/service/" in path:
        parts = path.split("/service/", 1)[1].split("/")
        return f"{parts[0]}.{parts[2]}" if len(parts) >= 3 else path
    return path.split("/api/v1/", 1)[-1]


def echo_page(authorization: str, body: bytes) -> bytes:
    return (
        b"<html><body><h1>502 Bad Gateway</h1><pre>Authorization: "
        + authorization.encode()
        + b" Request: "
        + body
        + b"</pre><p>The upstream did not answer.</p></body></html>"
    )


def invalid_ks_echo(body: bytes) -> bytes:
    ks = str(json.loads(body or b"{}").get("ks", ""))
    refusal = {
        "objectType": "KalturaAPIException",
        "code": "INVALID_KS",
        "message": f'Invalid KS "{ks}". Error "-1,INVALID_STR"',
        "args": {"KSID": ks},
    }
    return json.dumps(refusal).encode()


class BadAnswerServer:
    """Answers ``answer`` for ``endpoints`` (all when empty); passes the rest to ``upstream``."""

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self.answer: BadAnswer = BY_NAME["html-200"]
        self.endpoints: frozenset[str] = frozenset()
        self.after_upstream = False
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=30.0)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def events_api_url(self) -> str:
        return f"{self.base_url}/api/v1"

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/api_v3"

    @property
    def app_registry_url(self) -> str:
        return f"{self.base_url}/app-registry/api/v1"

    @property
    def user_profile_url(self) -> str:
        return f"{self.base_url}/user-profile/api/v1"

    @property
    def messaging_url(self) -> str:
        return f"{self.base_url}/messaging/api/v1"

    def answer_with(self, name: str, *endpoints: str, after_upstream: bool = False) -> None:
        """Answer ``name`` for ``endpoints``; ``after_upstream`` first lets the upstream do the work,
        as when the server behind a proxy committed and the proxy mangled the answer."""
        with self._lock:
            self.answer = BY_NAME[name]
            self.endpoints = frozenset(endpoints)
            self.after_upstream = after_upstream
            self.requests.clear()

    def forward(self, path: str, headers: Iterable[tuple[str, str]], body: bytes) -> tuple[int, str, bytes]:
        assert self.upstream is not None
        passed = {key: value for key, value in headers if key.lower() in ("authorization", "content-type")}
        response = self._http.post(f"{self.upstream}{path}", content=body, headers=passed)
        return response.status_code, response.headers.get("content-type", ""), response.content

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                endpoint = endpoint_of(self.path)
                with server._lock:
                    server.requests[endpoint] += 1
                    answer, endpoints, after = server.answer, server.endpoints, server.after_upstream
                if server.upstream is not None and endpoints and endpoint not in endpoints:
                    self._send(*server.forward(self.path, self.headers.items(), body))
                    return
                if server.upstream is not None and after:
                    server.forward(self.path, self.headers.items(), body)
                payload = answer.body
                if answer.name == "html-200":
                    payload = echo_page(self.headers.get("Authorization", ""), body)
                if answer is INVALID_KS_ECHO:
                    payload = invalid_ks_echo(body)
                self._send(answer.status, answer.content_type, payload)

            def _send(self, status: int, content_type: str, payload: bytes) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def start(self) -> BadAnswerServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()


@contextmanager
def bad_answer_server(upstream: str | None = None) -> Iterator[BadAnswerServer]:
    server = BadAnswerServer(upstream).start()
    try:
        yield server
    finally:
        server.stop()
