"""Thin raw-HTTP helpers for tests that talk to an emulator without the real client.

They add nothing but a base URL, a KS and JSON decoding, so a test still sees
exactly what went over the wire (status codes, headers, error bodies).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx


class RawEventsApi:
    def __init__(
        self, events_api_url: str, ks: str | None, timeout: float = 10.0, scheme: str = "Bearer"
    ) -> None:
        headers = {"Authorization": f"{scheme} {ks}"} if ks else {}
        self.http = httpx.Client(base_url=events_api_url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RawEventsApi:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def post(
        self, endpoint: str, body: dict[str, Any] | list[Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """The body as JSON; none sends ``{}`` (User Profile's ``bulkAdd`` takes a list)."""
        return self.http.post(f"/{endpoint}", json={} if body is None else body, **kwargs)

    def ok(self, endpoint: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST and insist on HTTP 200; the assertion message carries the error body."""
        response = self.post(endpoint, body)
        assert response.status_code == 200, f"{endpoint}: HTTP {response.status_code} {response.text}"
        data: dict[str, Any] = response.json()
        return data

    def create_event(
        self,
        name: str = "Town hall",
        *,
        template_id: str = "tm0000",
        start: str = "2025-05-01T14:00:00Z",
        end: str = "2025-05-01T16:00:00Z",
        timezone: str = "America/New_York",
        **extra: Any,
    ) -> dict[str, Any]:
        body = {
            "templateId": template_id,
            "name": name,
            "startDate": start,
            "endDate": end,
            "timezone": timezone,
        }
        event: dict[str, Any] = self.ok("events/create", {**body, **extra})["event"]
        return event


def kaltura_exception(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Insist on a ``KalturaAPIException`` with this HTTP status and code (App Registry and User
    Profile refusals, their guides' §13), and return its body."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["objectType"] == "KalturaAPIException" and body["code"] == code, body
    return body


class RawApiV3:
    def __init__(self, service_url: str, timeout: float = 10.0) -> None:
        self.http = httpx.Client(base_url=service_url, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RawApiV3:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def response(
        self,
        service: str,
        action: str,
        *,
        form: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Form-encoded when ``form`` is given (as the guides send), else JSON; format=1 in the query."""
        path = f"/service/{service}/action/{action}"
        if form is not None:
            return self.http.post(path, params={"format": "1"}, data=form)
        return self.http.post(path, params={"format": "1"}, json=json or {})

    def call(
        self,
        service: str,
        action: str,
        *,
        form: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> Any:
        response = self.response(service, action, form=form, json=json)
        assert response.status_code == 200, f"{service}.{action}: HTTP {response.status_code} {response.text}"
        return response.json()
