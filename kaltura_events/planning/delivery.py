"""What became of a send: its Messaging counts and whom it did not reach, as a report row.

Pure: the answers come in (``message/stats`` of the send's session, and its
messages whose status is a failure), a row and the failed recipients go out.

Counts are never made up. The guide's ``message/stats`` answer is
"uppercase status keys with counts (e.g. ``{"DELIVERED": 450, "BOUNCE": 3,
"OPEN": 320}``)" (KALTURA_MESSAGING_API.md §8.3); it does not say that a
status with no messages is left out rather than answered 0, nor that every
status is always there. So a count the answer does not name is None (shown
as blank), not 0. The failure counts (bounced, dropped, errors) come from
the failed messages themselves instead, which a complete listing (paged to
its ``totalCount``) gives exactly, so the table and the CSV of the same send
always agree, even when a message bounces between the two calls.

``sent`` is every message the service made for the send: one per recipient
it was asked to mail (§7.2), failed ones included, in flight or settled:
the stats answer's own total over §7.2's statuses (one snapshot), with a
failure status it does not name counted from the listing. Once the send has
settled, delivered + in flight + bounced + dropped + errors = sent; while
messages still move, the two calls may see one of them on either side.
Whether an ``open`` (§7.3) moves a message out of ``delivered`` or is
counted beside it, the guide does not say, so opens and clicks are shown,
never added.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from kaltura_events.api import validation as v
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.messaging_models import DiscreteMessage
from kaltura_events.api.redaction import scrub
from kaltura_events.planning.messages import DueSend

FAILED_STATUSES = ("bounce", "dropped", "error")
"""§7.2's statuses of a message that reached nobody: what the CSV lists, so someone can fix the address."""
IN_FLIGHT_STATUSES = ("sending", "processed", "deferred")
"""§7.2's statuses of a message not yet settled."""
DELIVERED, OPEN, CLICK = "DELIVERED", "OPEN", "CLICK"
"""§8.3's keys: §7.2's and §7.3's statuses in upper case."""
_STATUS_KEYS = {status.upper() for status in (*FAILED_STATUSES, *IN_FLIGHT_STATUSES)} | {DELIVERED}
_SHOWN_KEYS = _STATUS_KEYS | {OPEN, CLICK}
MISSED = "window passed: not sent"
_ERROR_CODE = re.compile(r"[A-Za-z]{1,64}")


@dataclass(frozen=True)
class SendRecord:
    """One send a run handled, as the report needs it; ``session`` is the send's identity.

    ``audience`` is how many people the send's ``to:`` chose, those who
    unsubscribed included; ``unsubscribed`` how many of them were left out
    for it. ``skipped``: the send's window had passed, so it was not sent
    (its session may still hold what an earlier run sent).
    """

    session: str
    series_key: str
    occurrence: str
    send_name: str
    template: str
    audience: int
    unsubscribed: int = 0
    skipped: bool = False

    def __post_init__(self) -> None:
        v.require_session_label("session", self.session)
        for name in ("series_key", "occurrence", "send_name", "template"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidArgumentError(name, value, "a non-blank string")
        for name in ("audience", "unsubscribed"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidArgumentError(name, value, "a whole number, 0 or more")
        if self.unsubscribed > self.audience:
            raise InvalidArgumentError(
                "unsubscribed", self.unsubscribed, f"more than the audience of {self.audience}"
            )

    @classmethod
    def of(cls, due: DueSend, audience: int, unsubscribed: int = 0, *, skipped: bool = False) -> SendRecord:
        """The record of a send as the plan names it: its session label, template and send name."""
        return cls(
            session=due.session,
            series_key=due.series_key,
            occurrence=due.occurrence,
            send_name=due.send.name,
            template=due.send.template,
            audience=audience,
            unsubscribed=unsubscribed,
            skipped=skipped,
        )


class Undelivered(BaseModel):
    """One recipient a send did not reach; ``detail`` is the service's description, tokens scrubbed."""

    model_config = ConfigDict(frozen=True)

    email: str
    user_id: str
    status: str
    error: str = ""
    detail: str = ""


class SendDelivery(BaseModel):
    """One send's report row: a count is None where the service's answer did not name it."""

    model_config = ConfigDict(frozen=True)

    session: str
    series_key: str
    occurrence: str
    send_name: str
    template: str
    audience: int
    unsubscribed: int
    skipped: bool
    sent: int
    delivered: int | None
    in_flight: int | None
    bounced: int
    dropped: int
    errors: int
    opened: int | None
    clicked: int | None
    other: dict[str, int]
    """Keys of the stats answer this report has no column for (``SPAMREPORT``...), kept as answered."""
    undelivered: list[Undelivered]

    def row(self) -> dict[str, str | int]:
        """The table artifact's row: blank where the service did not say."""

        def shown(count: int | None) -> str | int:
            return "" if count is None else count

        return {
            "send": self.send_name,
            "occurrence": self.occurrence,
            "series": self.series_key,
            "to": self.audience,
            "sent": self.sent,
            "delivered": shown(self.delivered),
            "in flight": shown(self.in_flight),
            "bounced": self.bounced,
            "dropped": self.dropped,
            "errors": self.errors,
            "opened": shown(self.opened),
            "clicked": shown(self.clicked),
            "unsubscribed (not sent)": self.unsubscribed,
            "skipped": MISSED if self.skipped else "",
        }


def _code(text: str | None) -> str:
    """A §7.4 code as answered (``emailNotResolvedToValidEmailAddress``: letters only, so never a KS);
    anything else scrubbed as a description would be."""
    text = text or ""
    return text if _ERROR_CODE.fullmatch(text) else scrub(text)


def _undelivered(message: DiscreteMessage) -> Undelivered:
    return Undelivered(
        email=message.email or "",
        user_id=message.user_id,
        status=message.status,
        error=_code(message.error_enum),
        detail=" ".join(scrub(message.error_description or "").split()),
    )


def delivery_of(
    record: SendRecord, stats: Mapping[str, int], failed: Iterable[DiscreteMessage]
) -> SendDelivery:
    """The row of one send from its session's stats and its messages with a failed status.

    ``failed`` must be the whole listing of the session's ``bounce``,
    ``dropped`` and ``error`` messages; a message of another status in it is
    a caller's mistake, refused rather than counted as a failure.
    """
    rows = []
    for message in failed:
        if message.status not in FAILED_STATUSES:
            raise InvalidArgumentError(
                "failed", message.status, f"only messages of status {', '.join(FAILED_STATUSES)}"
            )
        rows.append(_undelivered(message))
    rows.sort(key=lambda row: (row.status, row.email.lower(), row.user_id))
    by_status = Counter(row.status for row in rows)
    answered = {key.upper(): count for key, count in stats.items()}
    in_flight_keys = [s.upper() for s in IN_FLIGHT_STATUSES if s.upper() in answered]
    in_flight = sum(answered[key] for key in in_flight_keys) if in_flight_keys else None
    delivered = answered.get(DELIVERED)
    sent = sum(count for key, count in answered.items() if key in _STATUS_KEYS)
    sent += sum(by_status[status] for status in FAILED_STATUSES if status.upper() not in answered)
    return SendDelivery(
        session=record.session,
        series_key=record.series_key,
        occurrence=record.occurrence,
        send_name=record.send_name,
        template=record.template,
        audience=record.audience,
        unsubscribed=record.unsubscribed,
        skipped=record.skipped,
        sent=sent,
        delivered=delivered,
        in_flight=in_flight,
        bounced=by_status["bounce"],
        dropped=by_status["dropped"],
        errors=by_status["error"],
        opened=answered.get(OPEN),
        clicked=answered.get(CLICK),
        other={key: count for key, count in sorted(answered.items()) if key not in _SHOWN_KEYS},
        undelivered=rows,
    )


class DeliveryReport(BaseModel):
    """Every send a run handled; ``files`` are the CSVs of whom they did not reach."""

    sends: list[SendDelivery]
    files: list[str] = []

    def rows(self) -> list[dict[str, str | int]]:
        return [send.row() for send in self.sends]

    def summary(self) -> str:
        if not self.sends:
            return "no send to report"
        skipped = sum(1 for send in self.sends if send.skipped)
        sent = sum(send.sent for send in self.sends)
        known = [send.delivered for send in self.sends if send.delivered is not None]
        delivered = f"{sum(known)} delivered" if known else "delivered not reported"
        failed = sum(len(send.undelivered) for send in self.sends)
        text = (
            f"{len(self.sends)} send(s): {sent} message(s), {delivered}, {failed} not delivered "
            f"(bounced, dropped or failed), {sum(send.unsubscribed for send in self.sends)} unsubscribed "
            "left out"
        )
        return text + (f"; {skipped} skipped, their window passed" if skipped else "")


def sessions_of(records: Sequence[SendRecord]) -> list[str]:
    """Each send's session once, in order: two records of one send would be one send counted twice."""
    seen: dict[str, None] = {}
    for index, record in enumerate(records):
        if record.session in seen:
            raise InvalidArgumentError(f"sends[{index}].session", record.session, "the same send twice")
        seen[record.session] = None
    return list(seen)
