"""R1 and R2's second bound: the script a user would write instead of the attendance flow.

It pages the same ``user-profile/list`` calls the flow makes (500 profiles a
page, oldest first, the first page of each app and then its other pages),
with plain httpx on threads under the same limit of requests in flight, and
only counts statuses: no models, no report, no files. What the flow takes
beyond it is the price of the report itself and of Prefect, not of the API.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

PAGE_SIZE = 500


@dataclass
class ScriptResult:
    seconds: float
    calls: int
    statuses: dict[str, Counter[str]] = field(default_factory=dict)
    """Per app GUID, how many profiles had each ``attendanceStatus``."""


def count_statuses(
    user_profile_url: str, ks: str, app_guids: Sequence[str], concurrency: int
) -> ScriptResult:
    """Every app's profiles paged at ``concurrency`` requests in flight; their statuses counted."""
    statuses: dict[str, Counter[str]] = {guid: Counter() for guid in app_guids}
    calls = 0
    lock = threading.Lock()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with (
        httpx.Client(
            base_url=user_profile_url,
            headers={"Authorization": f"Bearer {ks}"},
            timeout=60.0,
            limits=limits,
        ) as http,
        ThreadPoolExecutor(concurrency) as pool,
    ):

        def page(guid: str, number: int) -> int:
            nonlocal calls
            response = http.post(
                "/user-profile/list",
                json={
                    "filter": {"appGuidIn": [guid]},
                    "pager": {"offset": number * PAGE_SIZE, "limit": PAGE_SIZE},
                    "orderBy": "createdAt",
                    "includeTotalCount": True,
                },
            )
            response.raise_for_status()
            answer: dict[str, Any] = response.json()
            counted = Counter(
                str((p.get("eventData") or {}).get("attendanceStatus")) for p in answer["objects"]
            )
            with lock:
                statuses[guid].update(counted)
                calls += 1
            return int(answer["totalCount"])

        began = time.perf_counter()
        firsts = {guid: pool.submit(page, guid, 0) for guid in app_guids}
        rest: list[Future[int]] = []
        for guid, first in firsts.items():
            pages = math.ceil(first.result() / PAGE_SIZE)
            rest += [pool.submit(page, guid, number) for number in range(1, pages)]
        for future in rest:
            future.result()
        seconds = time.perf_counter() - began
    return ScriptResult(seconds=seconds, calls=calls, statuses=statuses)
