"""Where a backend announces a change it has committed, for whoever wants to follow the platform.

Kaltura tells the outside world about changes (HTTP notifications); a
dispatcher that emulates that subscribes here, so no handler has to know it
exists. The feed outlives ``/_emulator/reset`` (the runtime hands the same feed
to every new platform), so a subscriber is not lost between tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    """One committed write: ``kind`` is "<record>.<what happened>", e.g. "event.created"."""

    service: str
    kind: str
    subject: str
    """The id of the record that changed, as a string (event ids are integers, entry ids are not)."""
    record: Mapping[str, Any] = field(default_factory=dict)
    """The record as its API renders it after the change (never a secret: no KS, no token value)."""


Subscriber = Callable[[Change], None]


class ChangeFeed:
    """Subscribers are called in commit order, on the writer's thread, with the platform lock held.

    So a subscriber must be quick and must not block: a dispatcher queues the
    change and delivers it elsewhere.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Follow every later change; returns the function that stops following."""
        with self._lock:
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not callback)

        return unsubscribe

    def announce(self, change: Change) -> None:
        for callback in self._subscribers:
            callback(change)
