"""What the reliability tests share: the P1 series, exactness checks, and the secret book.

The checks read the emulator's own state, never the flow's report: the point
is what ended up on the platform, whatever the flow believes it did.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_plan import PlannedEvent, plan
from kaltura_events.planning.teardown import owner_of_media_child, owner_of_root
from tests.specs import weekly_all_hands

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
"""A Tuesday: the 364 days after it hold exactly 52 Mondays."""
WRITES = (
    "events/create",
    "events/update",
    "events/delete",
    "events/duplicate",
    "sessions/create",
    "category.add",
    "category.delete",
)


def p1_spec(key: str = "rel-all-hands", **overrides: Any) -> dict[str, Any]:
    """P1 as a deployment would send it: 52 weekly occurrences, blank template, two sessions each."""
    return weekly_all_hands(key=key, **overrides)


def planned(spec: dict[str, Any], now: datetime = NOW) -> list[PlannedEvent]:
    return plan(AllHandsSeries.model_validate(spec), now)


def category_owner(full_name: str) -> int | None:
    """The event a platform-made category belongs to (its root's or media folder's owner)."""
    owner = owner_of_root(full_name.split(">", 1)[0])
    if owner is not None:
        return owner
    head, _, rest = full_name.partition(">")
    return owner_of_media_child(f"{head}>{rest.split('>', 1)[0]}") if rest else None


def categories_of(state: dict[str, Any], event_ids: set[int]) -> list[str]:
    return sorted(c["fullName"] for c in state["categories"] if category_owner(c["fullName"]) in event_ids)


def wait_for_server(api_url: str, quiet_seconds: float = 0.5, limit_seconds: float = 30.0) -> None:
    """Wait until the Prefect server has recorded the task runs sent so far (their count holds still).

    On 2 cores the server ingesting one run's events makes the next run's own
    API calls wait (SQLite allows one writer), and Prefect's client then backs
    off for seconds; letting it finish first is quicker overall, and steadier.
    """
    import httpx

    deadline = time.monotonic() + limit_seconds
    last, still_since = -1, time.monotonic()
    with httpx.Client(base_url=api_url, timeout=10.0) as http:
        while time.monotonic() < deadline:
            count = int(http.post("/task_runs/count", json={}).json())
            if count != last:
                last, still_since = count, time.monotonic()
            elif time.monotonic() - still_since >= quiet_seconds:
                return
            time.sleep(0.1)


def write_attempts(stats: dict[str, Any]) -> int:
    return int(stats["write_requests"])


def statuses(stats: dict[str, Any]) -> Counter[str]:
    """Responses by status over every endpoint, e.g. {"200": 210, "401": 3}."""
    total: Counter[str] = Counter()
    for by_status in stats["requests"].values():
        total.update(by_status)
    return total


def one_week_later(moment: datetime) -> datetime:
    return moment + timedelta(days=7)


# -- the secret book -------------------------------------------------------------


def ks_prefix(partner_id: int) -> str:
    """What every KS of ``partner_id`` starts with: the base64url of ``v2|{partner_id}|``.

    Only whole 3-byte groups are stable whatever follows, so the prefix covers
    the longest multiple of 3 bytes. Finding it anywhere means some KS of the
    partner leaked, including ones no test held on to.
    """
    head = f"v2|{partner_id}|".encode()
    stable = head[: len(head) - len(head) % 3]
    return base64.b64encode(stable).decode().replace("+", "-").replace("/", "_")


@dataclass
class SecretBook:
    """The session's secrets, and everything the scan must search: logs, outputs, exception texts."""

    admin_secret: str
    partner_id: int
    app_tokens: list[str] = field(default_factory=list)
    kss: list[str] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def needles(self) -> dict[str, str]:
        """label -> secret string to search for."""
        found = {"admin secret": self.admin_secret, "KS prefix": ks_prefix(self.partner_id)}
        found.update({f"app token {i}": token for i, token in enumerate(self.app_tokens)})
        found.update({f"KS {i}": ks for i, ks in enumerate(self.kss)})
        return found

    def exception(self, exc: BaseException) -> str:
        """Record what an exception says (message, repr and chained causes); returns the message."""
        import traceback

        text = "".join(traceback.format_exception(exc))
        with self.lock:
            self.exceptions.append(f"{exc!s}\n{exc!r}\n{text}")
        return str(exc)

    def output(self, name: str, text: str) -> None:
        with self.lock:
            self.outputs[name] = self.outputs.get(name, "") + text


def find_secrets(blob: bytes | str, needles: dict[str, str]) -> list[str]:
    """Labels of the needles present in ``blob``."""
    data = blob.encode("utf-8", "surrogateescape") if isinstance(blob, str) else blob
    return [label for label, needle in needles.items() if needle and needle.encode() in data]
