"""A small httpx client for ``/_emulator/*``, so tests arrange the emulator in one line."""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx


class EmulatorControlError(RuntimeError):
    """The emulator refused a control request (its message says why)."""


class EmulatorControl:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.base_url}/_emulator", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EmulatorControl:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _answer(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise EmulatorControlError(f"{response.request.url.path}: HTTP {response.status_code}: {message}")
        return response.json()

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._answer(self._http.post(path, json=body or {}))

    def _get(self, path: str) -> Any:
        return self._answer(self._http.get(path))

    def health(self) -> bool:
        try:
            return bool(self._get("/health").get("status") == "ok")
        except (httpx.HTTPError, EmulatorControlError):
            return False

    def reset(self, **config: Any) -> dict[str, Any]:
        """Empty everything; config returns to start-up values, then ``config`` overrides apply."""
        result: dict[str, Any] = self._post("/reset", config)
        return result

    def set_faults(
        self,
        rules: Sequence[dict[str, Any]],
        seed: int | None = None,
        latency_ms: float | None = None,
        jitter_ms: float | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"rules": list(rules)}
        for name, value in (("seed", seed), ("latency_ms", latency_ms), ("jitter_ms", jitter_ms)):
            if value is not None:
                body[name] = value
        result: dict[str, Any] = self._post("/faults", body)
        return result

    def clear_faults(self) -> dict[str, Any]:
        return self.set_faults([])

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._get("/state")
        return result

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._get("/stats")
        return result

    def reset_stats(self) -> None:
        self._post("/stats/reset")

    def create_app_token(
        self,
        hash_type: str = "SHA256",
        *,
        session_type: int | None = None,
        session_user_id: str | None = None,
        expiry: int | None = None,
        session_duration: int | None = None,
        session_privileges: str = "",
        status: int = 2,
    ) -> dict[str, Any]:
        """Returns ``{"id", "token", "hashType", ...}``; the token value appears nowhere else.

        ``status`` 1 makes a disabled token (AT §4), which ``appToken.startSession`` refuses.
        """
        body: dict[str, Any] = {
            "hashType": hash_type,
            "sessionPrivileges": session_privileges,
            "status": status,
        }
        for name, value in (
            ("sessionType", session_type),
            ("sessionUserId", session_user_id),
            ("expiry", expiry),
            ("sessionDuration", session_duration),
        ):
            if value is not None:
                body[name] = value
        result: dict[str, Any] = self._post("/app-tokens", body)
        return result

    def add_template(
        self, template_id: str, sessions: Sequence[str] = (), name: str = "Custom template"
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._post(
            "/templates", {"id": template_id, "sessions": list(sessions), "name": name}
        )
        return result

    def add_category(self, full_name: str) -> dict[str, Any]:
        """Create ``a>b>c`` (every missing level); returns the leaf KalturaCategory."""
        category: dict[str, Any] = self._post("/categories", {"fullName": full_name})["category"]
        return category

    def bulk_events(
        self,
        count: int,
        name_prefix: str = "Bulk event",
        *,
        start_date: str | None = None,
        labels: Sequence[str] = (),
        template_id: str = "tm0000",
        interval_minutes: int = 60,
        duration_minutes: int = 60,
        timezone: str = "UTC",
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "count": count,
            "namePrefix": name_prefix,
            "labels": list(labels),
            "templateId": template_id,
            "intervalMinutes": interval_minutes,
            "durationMinutes": duration_minutes,
            "timezone": timezone,
        }
        if start_date is not None:
            body["startDate"] = start_date
        result: dict[str, Any] = self._post("/bulk-events", body)
        return result

    def finish_recording(self, session_id: str, entry_id: str | None = None) -> dict[str, Any]:
        """The session's recording becomes READY (as Kaltura finishing it); returns the entry and
        ``change`` ("entry.ready", or "entry.content_replaced" the next times)."""
        body: dict[str, Any] = {"sessionId": session_id}
        if entry_id is not None:
            body["entryId"] = entry_id
        entry: dict[str, Any] = self._post("/recordings", body)["entry"]
        return entry

    def notifications(self) -> list[dict[str, Any]]:
        """Every HTTP notification job: ``jobId``, ``templateId``, ``state``, ``attempts``..."""
        deliveries: list[dict[str, Any]] = self._get("/notifications")["deliveries"]
        return deliveries

    def wait_for_notifications(
        self, count: int, *, settled: bool = True, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Poll until ``count`` jobs exist (and, with ``settled``, none is still pending)."""
        deadline = time.monotonic() + timeout
        while True:
            deliveries = self.notifications()
            done = len(deliveries) >= count and not (
                settled and any(d["state"] == "pending" for d in deliveries)
            )
            if done:
                return deliveries
            if time.monotonic() > deadline:
                raise EmulatorControlError(
                    f"/notifications: {len(deliveries)} job(s), states "
                    f"{[d['state'] for d in deliveries]} after {timeout}s; wanted {count}"
                )
            time.sleep(0.02)

    def mark_attendance(
        self, event_id: int, emails: Sequence[str], status: str = "attended", *, at: str | None = None
    ) -> dict[str, Any]:
        """These people joined the event (user and profile made where missing) with ``status`` at ``at``.

        Returns ``{"appGuid", "profiles": [...], "created": n}``.
        """
        body: dict[str, Any] = {"eventId": event_id, "emails": list(emails), "status": status}
        if at is not None:
            body["at"] = at
        result: dict[str, Any] = self._post("/attendance", body)
        return result

    def outbox(self) -> list[dict[str, Any]]:
        """Every email the Messaging service rendered, in the order sent: ``to``, ``subject``, ``body``
        (tokens filled), ``session``, ``templateId``, ``bulkId``, ``userId``, ``status``, ..."""
        messages: list[dict[str, Any]] = self._get("/outbox")["messages"]
        return messages

    def mark_bouncing(self, emails: Sequence[str]) -> list[str]:
        """Messages sent to these addresses from now on bounce; returns every bouncing address."""
        bouncing: list[str] = self._post("/bouncing", {"emails": list(emails)})["bouncing"]
        return bouncing

    def mark_unsubscribed(self, user_id: str, groups: Sequence[str]) -> list[str]:
        """The user leaves these unsubscribe groups, as the email's link would; returns all they left."""
        left: list[str] = self._post("/unsubscribed", {"userId": user_id, "groups": list(groups)})[
            "unsubscribed"
        ]
        return left

    def expire_ks(self) -> int:
        """Make every KS issued or seen so far count as expired; returns how many are now expired."""
        return int(self._post("/expire-ks")["expired"])
