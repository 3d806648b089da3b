"""How one emulator instance behaves: identity, timing and fault settings.

Everything a test may want to vary lives here as plain data, so the same
settings can come from Python, from the CLI, or from a JSON body sent to
``/_emulator/reset`` and ``/_emulator/faults``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

DEFAULT_PARTNER_ID = 4815162
DEFAULT_ADMIN_SECRET = "emulator-admin-secret"
DEFAULT_USER_ID = "events-bot@example.com"
OFFSET_MODES = ("skip", "page")
ADMIN_SECRET_ENV = "KALTURA_EMULATOR_ADMIN_SECRET"
"""Lets a parent process hand the CLI the emulator's secret without putting it on a command line."""

_NON_NEGATIVE_NUMBERS = (
    "latency_ms",
    "jitter_ms",
    "duplicate_seconds",
    "category_lock_seconds",
    "hang_seconds",
    "notification_retry_base_seconds",
    "notification_timeout_seconds",
    "message_sending_seconds",
)


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings of one emulator; frozen so a running server never sees half an update.

    ``offset_mode`` exists because the sources disagree on ``pager.offset``:
    "skip" (the default) treats it as a number of items to skip, "page" as a
    page index (skip = offset * limit), so a client can be tested against both.

    ``check_date_order`` turns on refusals no reference states (an end not
    after its start, for events, copies and sessions; ``doorsOpenDate`` after
    ``startDate``). Off by default: where no source says, the emulator accepts.
    """

    partner_id: int = DEFAULT_PARTNER_ID
    admin_secret: str = DEFAULT_ADMIN_SECRET
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    duplicate_seconds: float = 2.0
    category_lock_seconds: float = 0.5
    hang_seconds: float = 30.0
    offset_mode: str = "skip"
    seed: int = 0
    faults: list[dict[str, Any]] = field(default_factory=list)
    first_event_id: int = 1
    check_date_order: bool = False
    notification_retry_base_seconds: float = 1.0
    """HTTP notifications: the wait before the first retry, doubling after each failed attempt."""
    notification_max_attempts: int = 11
    """The guide's "up to 10 retries" (§10.6) after the first attempt."""
    notification_timeout_seconds: float = 5.0
    message_sending_seconds: float = 0.0
    """Messaging: how long a send stays ``sending`` (no source says; 0 = completed at the next look)."""

    def __post_init__(self) -> None:
        if self.offset_mode not in OFFSET_MODES:
            raise ValueError(
                f"offset_mode must be one of {', '.join(OFFSET_MODES)}, got {self.offset_mode!r}"
            )
        for name in _NON_NEGATIVE_NUMBERS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        for name in ("partner_id", "first_event_id", "notification_max_attempts"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(self.check_date_order, bool):
            raise ValueError(f"check_date_order must be true or false, got {self.check_date_order!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        if not isinstance(self.admin_secret, str) or not self.admin_secret:
            raise ValueError("admin_secret must be a non-empty string")
        if not isinstance(self.faults, list) or not all(isinstance(rule, dict) for rule in self.faults):
            raise ValueError("faults must be a list of rule objects")

    def replace(self, **changes: Any) -> EmulatorConfig:
        """A copy with ``changes``; unknown names fail loudly rather than being ignored."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(
                f"unknown config field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return dataclasses.replace(self, **changes)

    def public_dict(self) -> dict[str, Any]:
        """The settings without the admin secret, safe to show in ``/_emulator/state``."""
        shown = dataclasses.asdict(self)
        shown.pop("admin_secret")
        return shown
