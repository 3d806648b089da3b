"""Typed views of what the APIs return, tolerant of both shapes the docs show.

The spec wraps results (``{event, status}``); the first description shows a
bare event. ``answers.unwrap`` accepts either, and every model ignores fields it
does not know, so a new field on Kaltura's side does not break a running flow.
A field we need that is missing or mistyped is an error, read as
``UnexpectedResponseError`` by ``answers.read_answer``.

One request shape lives here too, ``SpeakerInput``: planning builds it and the
client sends it, so planning needs this module and not the client's (which
imports httpx).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


def _empty_to_none(value: Any) -> Any:
    return None if value in ("", None) else value


def _none_to_blank(value: Any) -> Any:
    return "" if value is None else value


class Event(ApiModel):
    id: int
    name: str
    description: str = ""
    start_date: datetime
    end_date: datetime
    timezone: str = "UTC"
    labels: list[str] = Field(default_factory=list)
    doors_open_date: datetime | None = None
    template_id: str | None = None
    template_name: str | None = None
    public_domain: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    _blank_dates = field_validator("doors_open_date", "created_at", "updated_at", mode="before")(
        _empty_to_none
    )

    @field_validator("description", mode="before")
    @classmethod
    def _none_description(cls, value: Any) -> Any:
        return "" if value is None else value


class SourceEntry(ApiModel):
    id: str
    status: str | None = None


class Session(ApiModel):
    id: str
    name: str
    type: str
    visibility: str = "published"
    description: str = ""
    start_date: datetime | None = None
    end_date: datetime | None = None
    tags: list[str] = Field(default_factory=list)
    source_entry: SourceEntry | None = None

    _blank_dates = field_validator("start_date", "end_date", mode="before")(_empty_to_none)


class Speaker(ApiModel):
    id: str
    email: str = ""
    order: int = 0
    is_hidden: bool = False
    first_name: str = ""
    last_name: str = ""


class TeamMember(ApiModel):
    id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    role: str | None = None
    disabled: bool = False


class EventUser(ApiModel):
    id: str
    first_name: str
    last_name: str
    email: str
    roles: list[str] = Field(default_factory=list)
    status: str | None = None
    title: str | None = None
    company: str | None = None


class DuplicateJob(ApiModel):
    """``eventId`` arrives as a string; callers get an integer."""

    job_id: str
    job_state: str = "unknown"
    event_id: int | None = None

    @field_validator("event_id", mode="before")
    @classmethod
    def _int_event_id(cls, value: Any) -> Any:
        if value in ("", None):
            return None
        return int(value)

    @property
    def finished(self) -> bool:
        return self.job_state in ("completed", "failed")


class Page(ApiModel):
    total_count: int


class EventPage(Page):
    events: list[Event]


class TeamMemberPage(Page):
    team_members: list[TeamMember]


class EventUserPage(Page):
    users: list[EventUser]


class SessionList(ApiModel):
    sessions: list[Session]


class SpeakerList(ApiModel):
    speakers: list[Speaker]


class DuplicateAccepted(ApiModel):
    """``events/duplicate`` answers with the job to poll."""

    job_id: str

    @field_validator("job_id", mode="before")
    @classmethod
    def _numeric_job_id(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Participants(ApiModel):
    """``session-participants/list``; callers get the answer itself, checked against this shape."""

    speakers: list[dict[str, Any]]
    moderators: list[dict[str, Any]]


class Category(ApiModel):
    id: int
    name: str
    full_name: str
    parent_id: int = 0
    depth: int = 0
    direct_sub_categories_count: int = 0

    @property
    def is_root(self) -> bool:
        return self.parent_id == 0


class CategoryPage(Page):
    objects: list[Category] = Field(default_factory=list)


@dataclass(frozen=True)
class SpeakerInput:
    user_id: str
    order: int = 0
    is_hidden: bool = False
    role: str = "simpleSpeaker"

    def to_api(self) -> dict[str, Any]:
        return {"userId": self.user_id, "order": self.order, "isHidden": self.is_hidden, "role": self.role}


class KeyValue(ApiModel):
    key: str
    value: str = ""


HASH_ALGO_CODES: dict[str, int] = {"sha1": 1, "sha256": 2, "sha512": 4}
"""``secureHashingAlgo``: the notifications guide's codes minus SHA384 and MD5, which Kaltura's code
lacks (reference README); unset means sha1."""
TEMPLATE_DISABLED, TEMPLATE_ACTIVE = 1, 2


class NotificationTemplate(ApiModel):
    """``KalturaHttpNotificationTemplate`` (or another template type); ``url`` stays out of repr:
    a receiver's URL may carry a path token."""

    id: int
    status: int
    name: str = ""
    system_name: str = ""
    description: str = ""
    type: str = ""
    partner_id: int = 0
    event_type: int | str | None = None
    event_object_type: int | str | None = None
    url: str = Field(default="", repr=False)
    method: int | None = None
    secure_hashing_algo: int | None = None
    custom_headers: list[KeyValue] = Field(default_factory=list)
    data: dict[str, Any] | None = None

    _blank_url = field_validator("url", "system_name", "description", "name", mode="before")(
        lambda value: "" if value is None else value
    )

    @field_validator("custom_headers", mode="before")
    @classmethod
    def _no_headers(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def hash_algo(self) -> str:
        codes = {code: name for name, code in HASH_ALGO_CODES.items()}
        return codes.get(self.secure_hashing_algo or 1, f"code {self.secure_hashing_algo}")

    @property
    def active(self) -> bool:
        return self.status == TEMPLATE_ACTIVE


class NotificationTemplatePage(Page):
    objects: list[NotificationTemplate] = Field(default_factory=list)


ENTRY_READY = 2
"""KalturaEntryStatus READY (KALTURA_API_GETTING_STARTED.md §5.3)."""


class BaseEntry(ApiModel):
    """An API v3 entry as ``baseEntry.get`` gives it: what links a recording to its session.

    A session is a live entry; its recording is a media entry whose
    ``rootEntryId`` is that live entry. An entry that is not a recording is
    its own root (or has none).
    """

    id: str
    name: str = ""
    status: int | str | None = None
    root_entry_id: str = ""
    created_at: int | None = None

    _blank_root = field_validator("root_entry_id", mode="before")(_none_to_blank)


class KalturaUser(ApiModel):
    """An API v3 ``KalturaUser``: the account-level person a User Profile row belongs to.

    ``objectType`` is required: API v3 always sends it, and only an id is
    otherwise needed, which too many other objects also carry.
    """

    object_type: Literal["KalturaUser"]
    id: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""

    @field_validator("email", "first_name", "last_name", mode="before")
    @classmethod
    def _none_is_blank(cls, value: Any) -> Any:
        return "" if value is None else value
