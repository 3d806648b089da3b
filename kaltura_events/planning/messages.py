"""Reminders and follow-ups as the events file declares them, and when each is due.

Pure: no I/O, no Prefect. The events file layer reads the body files and
hands their text here; the send flow asks which sends are due at a moment and
whom each reaches. Every refusal names the field and the value, and happens
when the file is loaded, before any write.

A send has an identity, ``(series key, occurrence, send name)``, which is also
its Messaging ``session`` label: the label is how a later run (or the same run
after a crash, or a second run at once) lists what the send already reached,
so nobody gets one message twice. The send name comes from what the file
says (``reminder-before-24h``), never from a position in a list: reordering
the list must not make a sent reminder look unsent.

A send is never late. A reminder's window closes when the occurrence starts
(a "starts tomorrow" mail after the start is wrong, not late); a follow-up's
window closes ``FOLLOW_UP_WINDOW`` after it fell due. Outside its window a
send is skipped and reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kaltura_events.api import validation as v
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.planning.attendance import ATTENDED, REGISTERED

Recipients = Literal["invited", "registered", "attended", "absent"]
"""``invited``: the audience; the rest from the User Profile service; ``absent``: registered, not attended."""

USER_FIELDS = frozenset(
    {
        "id",
        "partnerId",
        "externalId",
        "firstName",
        "lastName",
        "email",
        "fullName",
        "screenName",
        "dateOfBirth",
        "gender",
        "thumbnailUrl",
        "description",
        "title",
        "country",
        "company",
        "state",
        "city",
        "zip",
    }
)
"""The Kaltura user record's fields a ``User`` token can show (Messaging guide §4.2)."""

RECIPIENT_TOKEN = "recipient"
"""The one ``User`` token: resolved from each recipient (``Message.userId``, §6.1)."""

TOKEN_TYPES: Mapping[str, str] = {
    RECIPIENT_TOKEN: "User",
    "eventName": "String",
    "eventStart": "String",
    "joinLink": "MagicLink",
    "unsubLink": "UnsubscribeUri",
}
"""Every token a run fills, with its Messaging type (§4.1). A template naming another is refused."""

FOLLOW_UP_WINDOW = timedelta(hours=72)
"""How long after it fell due a follow-up may still go: a run down for a weekend still thanks people."""

MAX_OFFSET = timedelta(days=60)
TEMPLATE_NAME_PREFIX = "kev:"
"""Templates we own are named ``kev:<template key>`` in each event's app; nothing else is touched."""
SESSION_PREFIX = "kev-msg:"

_TOKEN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\}")
_OFFSET = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_KEY = r"^[a-z0-9][a-z0-9_-]{0,39}$"


def tokens_in(text: str) -> list[tuple[str, str | None]]:
    """Every ``{name}`` and ``{name.field}`` reference, in order: what the service would fill."""
    return [(match.group(1), match.group(2)) for match in _TOKEN.finditer(text)]


def check_tokens(field: str, text: str) -> str:
    """``text`` if every token in it is one a run fills; else the first unknown one, named with ``field``.

    A token the service cannot fill reaches people as ``{eventNmae}`` in their
    inbox, so it is refused when the file is read, never found in a sent mail.
    """
    for name, part in tokens_in(text):
        shown = "{" + name + ("" if part is None else "." + part) + "}"
        if name not in TOKEN_TYPES:
            known = ", ".join("{" + t + "}" for t in TOKEN_TYPES if t != RECIPIENT_TOKEN)
            raise InvalidArgumentError(
                field, shown, f"no such token; a template may use {{recipient.<field>}}, {known}"
            )
        if name == RECIPIENT_TOKEN:
            if part not in USER_FIELDS:
                raise InvalidArgumentError(
                    field, shown, "a recipient token names a user field: " + ", ".join(sorted(USER_FIELDS))
                )
        elif part is not None:
            raise InvalidArgumentError(field, shown, f"{{{name}}} has no fields")
    return text


def parse_offset(field: str, text: object) -> timedelta:
    """``24h``, ``15m``, ``2d``, ``1h30m``: how long before the start or after the end."""
    match = _OFFSET.match(text) if isinstance(text, str) else None
    if match is None or not any(match.groups()):
        raise InvalidArgumentError(field, text, "a duration such as 24h, 15m, 2d or 1h30m")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    offset = timedelta(days=days, hours=hours, minutes=minutes)
    if not timedelta(0) < offset <= MAX_OFFSET:
        raise InvalidArgumentError(field, text, f"more than 0 and at most {MAX_OFFSET.days} days")
    return offset


class Sender(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(title="From address")
    name: str = Field(default="", max_length=200, title="From name")

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        return v.require_email("email", value)


class TemplateSpec(BaseModel):
    """One email as the file names it; ``body_file`` is HTML relative to the events file."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=998, title="Subject")
    body_file: str = Field(min_length=1, title="Body file (HTML)")

    @field_validator("subject")
    @classmethod
    def _subject_tokens(cls, value: str) -> str:
        return check_tokens("subject", value)


class SendSpec(BaseModel):
    """One send: a template, when (``before`` the start or ``after`` the end), and to whom."""

    model_config = ConfigDict(extra="forbid")

    template: str = Field(pattern=_KEY, title="Template key")
    before: str | None = Field(default=None, title="Before the start", description="e.g. 24h, 15m")
    after: str | None = Field(default=None, title="After the end", description="e.g. 2h, 1d")
    to: Recipients = Field(title="To")

    @model_validator(mode="after")
    def _one_moment(self) -> SendSpec:
        if (self.before is None) == (self.after is None):
            raise InvalidArgumentError(
                "before", self.before, "give exactly one of before (the start) or after (the end)"
            )
        if self.before is not None:
            parse_offset("before", self.before)
        if self.after is not None:
            parse_offset("after", self.after)
        return self

    @property
    def offset(self) -> timedelta:
        return (
            parse_offset("before", self.before)
            if self.before is not None
            else parse_offset("after", self.after)
        )

    @property
    def name(self) -> str:
        """``reminder-before-24h``: the send's identity within an occurrence, from what the file says."""
        moment = f"before-{self.before}" if self.before is not None else f"after-{self.after}"
        return f"{self.template}-{moment}-{self.to}"


class MessagesSpec(BaseModel):
    """The ``messages:`` block of a series, a standalone event or the file's defaults."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    sender: Sender = Field(alias="from", title="From")
    unsubscribe_group: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        title="Unsubscribe group",
        description="CAN-SPAM: every mail carries an unsubscribe link, and nobody who left gets mail.",
    )
    templates: dict[str, TemplateSpec] = Field(min_length=1, max_length=20, title="Templates")
    send: list[SendSpec] = Field(min_length=1, max_length=20, title="Sends")

    @field_validator("templates")
    @classmethod
    def _template_keys(cls, value: dict[str, TemplateSpec]) -> dict[str, TemplateSpec]:
        for key in value:
            if not re.match(_KEY, key):
                raise InvalidArgumentError(
                    "templates", key, "a template key is lower case letters, digits, - and _ (up to 40)"
                )
        return value

    @model_validator(mode="after")
    def _sends_name_templates(self) -> MessagesSpec:
        seen: set[str] = set()
        for index, send in enumerate(self.send):
            if send.template not in self.templates:
                raise InvalidArgumentError(
                    f"send[{index}].template",
                    send.template,
                    "not among templates: " + ", ".join(self.templates),
                )
            if send.name in seen:
                raise InvalidArgumentError(f"send[{index}]", send.name, "the same send twice")
            seen.add(send.name)
        return self


@dataclass(frozen=True)
class SeriesMessages:
    """A series' ``messages:`` block with each template's body read from its ``body_file``."""

    spec: MessagesSpec
    bodies: Mapping[str, str]
    """Body HTML by template key; every key of ``spec.templates`` is here, tokens checked."""


def template_name(template_key: str) -> str:
    return f"{TEMPLATE_NAME_PREFIX}{template_key}"


@dataclass(frozen=True)
class OccurrenceTimes:
    """What a send needs of an occurrence: which it is and when it runs (UTC)."""

    series_key: str
    occurrence: str
    """``2027-03-04`` for a series occurrence (its ``kev-occ:`` date)."""
    start_utc: datetime
    end_utc: datetime


@dataclass(frozen=True)
class DueSend:
    """One send of one occurrence, and the moments that bound it."""

    series_key: str
    occurrence: str
    send: SendSpec
    due_at: datetime
    closes_at: datetime

    @property
    def session(self) -> str:
        """The Messaging ``session`` label: what a later run lists before sending again."""
        return f"{SESSION_PREFIX}{self.series_key}:{self.occurrence}:{self.send.name}"

    def state(self, now: datetime) -> Literal["waiting", "due", "missed"]:
        if now < self.due_at:
            return "waiting"
        return "due" if now < self.closes_at else "missed"


def due_sends(spec: MessagesSpec, occurrences: Iterable[OccurrenceTimes]) -> list[DueSend]:
    """Every send of every occurrence, earliest first."""
    found = []
    for times in occurrences:
        for send in spec.send:
            if send.before is not None:
                due_at, closes_at = times.start_utc - send.offset, times.start_utc
            else:
                due_at = times.end_utc + send.offset
                closes_at = due_at + FOLLOW_UP_WINDOW
            found.append(DueSend(times.series_key, times.occurrence, send, due_at, closes_at))
    return sorted(found, key=lambda due: (due.due_at, due.session))


def recipients(
    to: Recipients, invited: Set[str], statuses: Mapping[str, str], unsubscribed: Set[str]
) -> set[str]:
    """Whom a send reaches: user ids, never one who left the unsubscribe group.

    ``statuses`` is each person's ``attendanceStatus`` in the occurrence's app,
    by user id; ``invited`` the audience's user ids.
    """
    if to == "invited":
        chosen = set(invited)
    elif to == "registered":
        chosen = {user for user, status in statuses.items() if status in REGISTERED}
    elif to == "attended":
        chosen = {user for user, status in statuses.items() if status in ATTENDED}
    else:
        chosen = {
            user for user, status in statuses.items() if status in REGISTERED and status not in ATTENDED
        }
    return chosen - set(unsubscribed)


MISSED_SHOWN_FOR = timedelta(hours=24)
"""How long after its window closed a send that reached nobody is still reported as missed: a run
every five minutes says so for a day, then the occurrence leaves what a run observes."""


def user_key(user_id: str) -> str:
    """How two user ids are compared: an email without regard to case, as the services treat it."""
    return user_id.lower() if "@" in user_id else user_id


def observed_span(spec: MessagesSpec, now: datetime) -> tuple[datetime, datetime]:
    """``(ended after, starts before)``: the occurrences with a send due, or just missed, at ``now``.

    A reminder falls due at most the longest ``before`` ahead of a start; a
    follow-up's window closes the longest ``after`` plus ``FOLLOW_UP_WINDOW``
    past an end; a send missed within ``MISSED_SHOWN_FOR`` is still reported.
    """
    before = max((s.offset for s in spec.send if s.before is not None), default=timedelta(0))
    after = max((s.offset + FOLLOW_UP_WINDOW for s in spec.send if s.after is not None), default=timedelta(0))
    return now - after - MISSED_SHOWN_FOR, now + before
