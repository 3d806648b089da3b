"""The receiver on real uvicorn, with Prefect replaced by a recording transport (or a closed port)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from deployments.local_server import free_port
from kaltura_events.webhooks.config import ReceiverConfig
from kaltura_events.webhooks.ledger import variable_name
from kaltura_events.webhooks.notification import event_id
from kaltura_events.webhooks.receiver import create_app
from tests.webhooks.running import ReceiverThread
from tests.webhooks.samples import (
    FORM,
    PARTNER_ID,
    SECRET,
    TOKEN,
    entry_notification,
    form_body,
    json_body,
    signed_headers,
)

API = "http://prefect.test/api"
URL = f"/kaltura/{TOKEN}"
WHEN = datetime(2025, 5, 1, tzinfo=timezone.utc)


class FakePrefect:
    """Records what the receiver sends and answers like the server's events and Variables endpoints.

    ``status`` (or ``error``) answers every request, as a server that is down
    or refuses the API key does; ``events_status`` only the event posts. The
    real server's Variables (409 on a taken name, concurrency, restarts) are
    tested in test_replays.py.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests: list[httpx.Request] = []
        self.status: int | None = None
        self.events_status = 204
        self.error: Exception | None = None
        self.variables: dict[str, object] = {}
        self.stored: list[dict[str, object]] = []
        """The server's event store, as a test fills it."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        if self.status is not None:
            return httpx.Response(self.status)
        path = request.url.path.removeprefix("/api")
        if path == "/events":
            return httpx.Response(self.events_status)
        if path == "/events/filter":
            wanted = json.loads(request.content)["filter"]["id"]["id"]
            return httpx.Response(200, json={"events": [e for e in self.stored if e["id"] in wanted]})
        if path == "/variables/" and request.method == "POST":
            sent = json.loads(request.content)
            if sent["name"] in self.variables:
                return httpx.Response(409)
            self.variables[sent["name"]] = sent["value"]
            return httpx.Response(201, json=sent)
        name = path.removeprefix("/variables/name/")
        if name not in self.variables:
            return httpx.Response(404)
        if request.method == "GET":
            return httpx.Response(200, json={"name": name, "value": self.variables[name]})
        if request.method == "PATCH":
            self.variables[name] = json.loads(request.content)["value"]
        elif request.method == "DELETE":
            del self.variables[name]
        return httpx.Response(204)

    @property
    def event_posts(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/api/events"]

    @property
    def events(self) -> list[dict[str, object]]:
        return [event for request in self.event_posts for event in json.loads(request.content)]


def config(**changes: object) -> ReceiverConfig:
    settings: dict[str, object] = {
        "token": TOKEN,
        "admin_secret": SECRET,
        "partner_id": PARTNER_ID,
        "prefect_api_url": API,
    }
    return ReceiverConfig(**(settings | changes))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def _shared_prefect() -> FakePrefect:
    return FakePrefect()


@pytest.fixture
def prefect(_shared_prefect: FakePrefect) -> FakePrefect:
    """The module's fake Prefect, emptied and answering 204 again."""
    _shared_prefect.reset()
    return _shared_prefect


@pytest.fixture
def make_client(prefect: FakePrefect) -> Iterator[Callable[..., httpx.Client]]:
    """A receiver with other settings than the shared one (each costs a uvicorn start and stop)."""
    with ExitStack() as stack:

        def make(**changes: object) -> httpx.Client:
            app = create_app(config(**changes), transport=httpx.MockTransport(prefect), clock=lambda: WHEN)
            server = stack.enter_context(ReceiverThread(app))
            return stack.enter_context(httpx.Client(base_url=server.base_url, timeout=10))

        yield make


@pytest.fixture(scope="module")
def _shared_client(_shared_prefect: FakePrefect) -> Iterator[httpx.Client]:
    app = create_app(config(), transport=httpx.MockTransport(_shared_prefect), clock=lambda: WHEN)
    with ReceiverThread(app) as server, httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def client(_shared_client: httpx.Client, prefect: FakePrefect) -> httpx.Client:
    return _shared_client


def test_a_valid_notification_is_posted_to_prefect_then_answered_200(
    client: httpx.Client, prefect: FakePrefect
) -> None:
    body = json_body(entry_notification())
    answer = client.post(URL, content=body, headers=signed_headers(body))
    assert (answer.status_code, answer.text) == (200, "ok")
    [request] = prefect.event_posts
    assert (request.method, str(request.url)) == ("POST", f"{API}/events")
    assert not any("authorization" in r.headers for r in prefect.requests)
    [event] = prefect.events
    assert event["event"] == "kaltura.entry.ready"
    assert event["id"] == str(event_id(PARTNER_ID, 33578094492))
    assert prefect.variables[variable_name(PARTNER_ID, 33578094492)] == {
        "state": "delivered",
        "at": WHEN.isoformat(),
        "event": "kaltura.entry.ready",
        "resource": "kaltura.entry.1_abc123",
    }


def test_a_form_encoded_notification_is_accepted(client: httpx.Client, prefect: FakePrefect) -> None:
    body = form_body(entry_notification(11))
    answer = client.post(URL, content=body, headers=signed_headers(body, content_type=FORM))
    assert answer.status_code == 200
    assert prefect.events[0]["payload"]["job_id"] == 11  # type: ignore[index]


def test_a_redelivery_is_answered_200_and_posts_nothing(
    client: httpx.Client, prefect: FakePrefect, caplog: pytest.LogCaptureFixture
) -> None:
    body = json_body(entry_notification(5))
    with caplog.at_level(logging.INFO, logger="kaltura_events.webhooks"):
        for _ in range(3):
            assert client.post(URL, content=body, headers=signed_headers(body)).status_code == 200
    assert len(prefect.events) == 1
    accepted = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(accepted) == 3 and all("job 5," in line for line in accepted)
    assert sum("delivered before: nothing posted" in line for line in accepted) == 2


def test_each_accepted_notification_is_one_info_line_with_job_event_and_resource(
    client: httpx.Client, prefect: FakePrefect, caplog: pytest.LogCaptureFixture
) -> None:
    body = json_body(entry_notification(6))
    with caplog.at_level(logging.DEBUG, logger="kaltura_events.webhooks"):
        assert client.post(URL, content=body, headers=signed_headers(body)).status_code == 200
    [line] = [r.getMessage() for r in caplog.records if r.name == "kaltura_events.webhooks"]
    assert [r.levelno for r in caplog.records if r.name == "kaltura_events.webhooks"] == [logging.INFO]
    assert line == (
        "accepted job 6, template MY_ENTRY_READY, object type 1, object 1_abc123: "
        "kaltura.entry.ready on kaltura.entry.1_abc123"
    )
    assert TOKEN not in caplog.text and SECRET not in caplog.text and "SECRETISH" not in caplog.text


def test_a_post_that_failed_gives_the_claim_back_so_kalturas_retry_delivers(
    client: httpx.Client, prefect: FakePrefect
) -> None:
    body = json_body(entry_notification(7))
    prefect.events_status = 503
    assert client.post(URL, content=body, headers=signed_headers(body)).status_code == 503
    assert prefect.variables == {}
    prefect.events_status = 204
    assert client.post(URL, content=body, headers=signed_headers(body)).status_code == 200
    assert len(prefect.events) == 2  # the refused post, then the retry's
    assert prefect.variables[variable_name(PARTNER_ID, 7)]["state"] == "delivered"  # type: ignore[index]


@pytest.mark.parametrize(
    ("claimed_ago", "answer", "posted"), [(timedelta(0), 503, 0), (timedelta(hours=1), 200, 1)]
)
def test_a_claim_in_flight_is_left_alone_and_a_dead_requests_claim_is_taken_over(
    client: httpx.Client, prefect: FakePrefect, claimed_ago: timedelta, answer: int, posted: int
) -> None:
    prefect.variables[variable_name(PARTNER_ID, 8)] = {
        "state": "pending",
        "at": (WHEN - claimed_ago).isoformat(),
    }
    body = json_body(entry_notification(8))
    assert client.post(URL, content=body, headers=signed_headers(body)).status_code == answer
    assert len(prefect.events) == posted


def test_a_stale_claim_whose_event_the_server_stored_is_marked_delivered_not_posted_again(
    client: httpx.Client, prefect: FakePrefect
) -> None:
    """The request that claimed it posted, then could not write "delivered": its event is in the store."""
    name = variable_name(PARTNER_ID, 9)
    prefect.variables[name] = {"state": "pending", "at": (WHEN - timedelta(hours=1)).isoformat()}
    prefect.stored = [{"id": str(event_id(PARTNER_ID, 9))}]
    body = json_body(entry_notification(9))
    assert client.post(URL, content=body, headers=signed_headers(body)).status_code == 200
    assert prefect.events == []
    assert prefect.variables[name]["state"] == "delivered"  # type: ignore[index]


def _tampered() -> tuple[bytes, dict[str, str]]:
    body = json_body(entry_notification())
    return body.replace(b"All-hands", b"All-hands!"), signed_headers(body)


def _oversized() -> tuple[bytes, dict[str, str]]:
    sample = entry_notification()
    sample["object"]["description"] = "x" * (256 * 1024)
    body = json_body(sample)
    return body, signed_headers(body)


REFUSALS: dict[str, tuple[str, Callable[[], tuple[bytes, dict[str, str]]], int]] = {
    "no signature": (
        URL,
        lambda: (json_body(entry_notification()), {"Content-Type": "application/json"}),
        401,
    ),
    "wrong secret": (
        URL,
        lambda: (b := json_body(entry_notification()), signed_headers(b, secret="another-secret")),
        401,
    ),
    "body changed after signing": (URL, _tampered, 401),
    "sha1 when sha256 is pinned": (
        URL,
        lambda: (b := json_body(entry_notification()), signed_headers(b, algo="sha1", header_algo="sha1")),
        401,
    ),
    "no algorithm header (sha1)": (
        URL,
        lambda: (b := json_body(entry_notification()), signed_headers(b, algo="sha1", header_algo=None)),
        401,
    ),
    "wrong path token": (
        "/kaltura/not-the-token-0123456789",
        lambda: (b := json_body(entry_notification()), signed_headers(b)),
        404,
    ),
    "no path token": ("/kaltura/", lambda: (b := json_body(entry_notification()), signed_headers(b)), 404),
    "oversized body": (URL, _oversized, 413),
    "form without data": (
        URL,
        lambda: (b := form_body(None, entryId="1_abc123"), signed_headers(b, content_type=FORM)),
        400,
    ),
    "signed non-JSON": (URL, lambda: (b := b"hello", signed_headers(b)), 400),
    "no job id": (
        URL,
        lambda: (b := json.dumps({"object": {"id": "1_a"}}).encode(), signed_headers(b)),
        400,
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_each_refusal_has_its_status_and_posts_no_event(
    case: str, client: httpx.Client, prefect: FakePrefect, caplog: pytest.LogCaptureFixture
) -> None:
    url, build, status = REFUSALS[case]
    body, headers = build()
    with caplog.at_level(logging.INFO, logger="kaltura_events.webhooks"):
        answer = client.post(url, content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert prefect.requests == []
    for text in (caplog.text, answer.text):
        assert TOKEN not in text and SECRET not in text and "All-hands" not in text


def test_the_cap_is_configurable_and_a_declared_length_over_it_is_refused_before_reading(
    make_client: Callable[..., httpx.Client], prefect: FakePrefect
) -> None:
    client = make_client(max_body_bytes=100)
    body = json_body(entry_notification())
    assert len(body) > 100
    assert client.post(URL, content=body, headers=signed_headers(body)).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
        yield body[:60]
        yield body[60:]

    assert client.post(URL, content=chunks(), headers=signed_headers(body)).status_code == 413
    assert prefect.requests == []


def test_sha512_when_pinned(make_client: Callable[..., httpx.Client], prefect: FakePrefect) -> None:
    client = make_client(hash_algo="sha512")
    body = json_body(entry_notification())
    headers = signed_headers(body, algo="sha512", header_algo="sha512")
    assert client.post(URL, content=body, headers=headers).status_code == 200
    headers = signed_headers(body, algo="sha256", header_algo="sha256")
    assert client.post(URL, content=body, headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("prefect_status", "answer_status"), [(500, 503), (503, 503), (429, 503), (401, 502), (422, 502)]
)
def test_kaltura_hears_200_only_when_prefect_took_the_event(
    client: httpx.Client, prefect: FakePrefect, prefect_status: int, answer_status: int
) -> None:
    prefect.status = prefect_status
    body = json_body(entry_notification())
    assert client.post(URL, content=body, headers=signed_headers(body)).status_code == answer_status
    prefect.status = None
    prefect.events_status = prefect_status
    assert client.post(URL, content=body, headers=signed_headers(body)).status_code == answer_status
    assert prefect.variables == {}, "a claim whose event was not taken is given back"


@pytest.mark.parametrize("error", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])
def test_an_unreachable_or_slow_prefect_is_503(
    client: httpx.Client, prefect: FakePrefect, error: Exception
) -> None:
    prefect.error = error
    body = json_body(entry_notification())
    assert client.post(URL, content=body, headers=signed_headers(body)).status_code == 503


def test_a_closed_port_is_503_over_a_real_connection() -> None:
    app = create_app(config(prefect_api_url=f"http://127.0.0.1:{free_port()}/api", prefect_timeout_seconds=2))
    body = json_body(entry_notification())
    with ReceiverThread(app) as server, httpx.Client(base_url=server.base_url) as client:
        assert client.post(URL, content=body, headers=signed_headers(body)).status_code == 503


def test_the_api_key_is_sent_as_a_bearer_token_and_never_logged(
    make_client: Callable[..., httpx.Client], prefect: FakePrefect, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(prefect_api_key="pnu_key_value_1234")
    prefect.status = 401
    body = json_body(entry_notification())
    with caplog.at_level(logging.DEBUG):
        assert client.post(URL, content=body, headers=signed_headers(body)).status_code == 502
    assert prefect.requests[0].headers["authorization"] == "Bearer pnu_key_value_1234"
    assert "pnu_key_value_1234" not in caplog.text
    assert "job 33578094492, template MY_ENTRY_READY, object type 1, object 1_abc123" in caplog.text


def test_an_auth_string_is_sent_as_basic_auth(
    make_client: Callable[..., httpx.Client], prefect: FakePrefect
) -> None:
    client = make_client(prefect_auth_string="admin:pass")
    body = json_body(entry_notification())
    assert client.post(URL, content=body, headers=signed_headers(body)).status_code == 200
    assert prefect.requests[0].headers["authorization"] == "Basic YWRtaW46cGFzcw=="


def test_get_is_not_a_notification_and_health_answers(client: httpx.Client) -> None:
    assert client.get(URL).status_code == 405
    assert client.get("/healthz").text == "ok"


def test_the_config_repr_shows_no_secret() -> None:
    shown = repr(config(prefect_api_key="pnu_key_value_1234"))
    assert TOKEN not in shown and SECRET not in shown and "pnu_key" not in shown
