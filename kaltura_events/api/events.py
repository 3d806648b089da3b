"""EventsClient: one typed method per Events Platform endpoint.

Every method checks its arguments before sending anything, so bad input
fails with the parameter's name and never half-writes. Creates that fail
ambiguously look for what they may have made before trying again: the API has
no idempotency key, so observing is the only way not to create twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kaltura_events.api import validation as v
from kaltura_events.api.answers import ACKNOWLEDGED, Reader, one, shaped
from kaltura_events.api.bearer import BearerJsonClient
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.models import (
    DuplicateAccepted,
    DuplicateJob,
    Event,
    EventPage,
    EventUser,
    EventUserPage,
    Participants,
    Session,
    SessionList,
    Speaker,
    SpeakerInput,
    SpeakerList,
    TeamMember,
    TeamMemberPage,
)
from kaltura_events.api.paging import FetchPage, collect_pages, fold_pages

DateLike = datetime | str
PEOPLE_PAGE_SIZE = 30

EVENT: Reader[Event] = one(Event, "event")
SESSION: Reader[Session] = one(Session, "session")
TEAM_MEMBER: Reader[TeamMember] = one(TeamMember, "teamMember")
EVENT_USER: Reader[EventUser] = one(EventUser, "user")
EVENT_PAGE = shaped(EventPage, "a JSON object with `events` (a list of events) and `totalCount`")
TEAM_MEMBER_PAGE = shaped(TeamMemberPage, "a JSON object with `teamMembers` (a list) and `totalCount`")
EVENT_USER_PAGE = shaped(EventUserPage, "a JSON object with `users` (a list) and `totalCount`")
SESSION_LIST = shaped(SessionList, "a JSON object with `sessions` (a list of sessions)")
SPEAKER_LIST = shaped(SpeakerList, "a JSON object with `speakers` (a list of speakers)")
DUPLICATE_JOB = shaped(DuplicateJob, "a JSON object with `jobId` and `jobState`")
PARTICIPANTS_SHAPE = shaped(Participants, "a JSON object with `speakers` and `moderators` (lists)")


def _participants(payload: Any) -> dict[str, Any]:
    """Callers get the answer as it came, once it has the shape the spec promises."""
    PARTICIPANTS_SHAPE.parse(payload)
    return dict(payload)


PARTICIPANTS: Reader[dict[str, Any]] = Reader(PARTICIPANTS_SHAPE.expected, _participants)


@dataclass(frozen=True)
class EventFilter:
    """The narrow filters ``events/list`` takes; empty fields are not sent."""

    id_in: tuple[int, ...] = ()
    template_id_in: tuple[str, ...] = ()
    search_term: str | None = None
    labels: tuple[str, ...] = ()
    start_gte: DateLike | None = None
    start_lte: DateLike | None = None
    end_gte: DateLike | None = None
    end_lte: DateLike | None = None

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.id_in:
            body["idIn"] = [v.require_event_id("filter.idIn", i) for i in self.id_in]
        if self.template_id_in:
            body["templateIdIn"] = [
                v.require_template_id("filter.templateIdIn", t) for t in self.template_id_in
            ]
        if self.search_term:
            body["searchTerm"] = self.search_term
        if self.labels:
            body["labels"] = list(self.labels)
        bounds = {
            "startDateGreaterThanOrEqual": self.start_gte,
            "startDateLessOrEqualThan": self.start_lte,
            "endDateGreaterThanOrEqual": self.end_gte,
            "endDateLessOrEqualThan": self.end_lte,
        }
        for key, value in bounds.items():
            if value is not None:
                body[key] = v.format_iso(v.parse_iso_datetime(f"filter.{key}", value))
        return body


@dataclass(frozen=True)
class DuplicateStarted:
    """A duplication in progress (``job_id``), or a copy an earlier ambiguous call already made."""

    job_id: str | None
    adopted_event: Event | None = None


DUPLICATE_STARTED: Reader[DuplicateStarted] = shaped(DuplicateAccepted, "a JSON object with `jobId`").then(
    lambda accepted: DuplicateStarted(job_id=accepted.job_id)
)


def _iso(field_name: str, value: DateLike) -> str:
    return v.format_iso(v.parse_iso_datetime(field_name, value))


def _same_instant(a: datetime | None, b: str) -> bool:
    return a is not None and v.format_iso(a) == b


class EventsClient(BearerJsonClient):
    """Thread-safe and pooled: one instance serves every task thread of a worker."""

    # -- events ---------------------------------------------------------------

    def create_event(
        self,
        *,
        name: str,
        template_id: str,
        start: DateLike,
        end: DateLike,
        timezone: str,
        description: str | None = None,
    ) -> Event:
        body: dict[str, Any] = {
            "name": v.require_name("name", name),
            "templateId": v.require_template_id("template_id", template_id),
            "startDate": _iso("start", start),
            "endDate": _iso("end", end),
            "timezone": v.require_zone("timezone", timezone),
        }
        v.require_order(
            "start", v.parse_iso_datetime("start", start), "end", v.parse_iso_datetime("end", end)
        )
        if description is not None:
            body["description"] = description

        def reconcile() -> Event | None:
            return self.find_event_by_name_and_start(body["name"], body["startDate"])

        return self._call("events/create", body, EVENT, reconcile=reconcile)

    def find_event_by_name_and_start(self, name: str, start: DateLike) -> Event | None:
        """The event an ambiguous create or duplicate may have made: exact name, same start."""
        start_iso = _iso("start", start)
        found = EventFilter(search_term=name, start_gte=start_iso, start_lte=start_iso)
        for event in self.iter_events(found):
            if event.name == name and _same_instant(event.start_date, start_iso):
                return event
        return None

    def update_event(
        self,
        event_id: int | str,
        *,
        name: str | None = None,
        description: str | None = None,
        start: DateLike | None = None,
        end: DateLike | None = None,
        doors_open: DateLike | None = None,
        timezone: str | None = None,
        labels: list[str] | None = None,
        logo_entry_id: str | None = None,
        banner_entry_id: str | None = None,
    ) -> Event:
        body: dict[str, Any] = {"id": v.require_event_id("event_id", event_id)}
        if name is not None:
            body["name"] = v.require_name("name", name)
        if description is not None:
            body["description"] = description
        if start is not None:
            body["startDate"] = _iso("start", start)
        if end is not None:
            body["endDate"] = _iso("end", end)
        if start is not None and end is not None:
            v.require_order(
                "start", v.parse_iso_datetime("start", start), "end", v.parse_iso_datetime("end", end)
            )
        if doors_open is not None:
            body["doorsOpenDate"] = _iso("doors_open", doors_open)
            if start is not None and v.parse_iso_datetime("doors_open", doors_open) > v.parse_iso_datetime(
                "start", start
            ):
                raise InvalidArgumentError(
                    "doors_open", body["doorsOpenDate"], "doors must open before start"
                )
        if timezone is not None:
            body["timezone"] = v.require_zone("timezone", timezone)
        if labels is not None:
            if not all(isinstance(label, str) and label for label in labels):
                raise InvalidArgumentError("labels", labels, "labels are non-empty strings")
            body["labels"] = list(labels)
        if logo_entry_id is not None:
            body["logoEntryId"] = logo_entry_id
        if banner_entry_id is not None:
            body["bannerEntryId"] = banner_entry_id
        return self._call("events/update", body, EVENT)

    def delete_event(self, event_id: int | str) -> None:
        """Raises NotFoundError when the event was already gone before this call."""
        body = {"id": v.require_event_id("event_id", event_id)}
        self._call("events/delete", body, ACKNOWLEDGED, gone_is_done=True)

    def list_events_page(
        self,
        event_filter: EventFilter | None = None,
        *,
        offset: int = 0,
        limit: int = v.MAX_PAGE_SIZE,
        order_by: str = "+createdAt",
    ) -> EventPage:
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise InvalidArgumentError("offset", offset, "an offset is an integer >= 0")
        body: dict[str, Any] = {
            "filter": (event_filter or EventFilter()).to_api(),
            "pager": {"offset": offset, "limit": v.require_limit("limit", limit)},
            "orderBy": v.require_choice("order_by", order_by, v.ORDER_FIELDS),
        }
        return self._call("events/list", body, EVENT_PAGE)

    def iter_events(
        self, event_filter: EventFilter | None = None, *, order_by: str = "+createdAt"
    ) -> Iterator[Event]:
        """Every matching event, paged at the API maximum, each id once.

        Raises IncompleteListingError when what was collected does not add up
        to ``totalCount``: a partial picture would make the caller create duplicates.
        """

        def fetch(number: int) -> tuple[Sequence[Event], int]:
            page = self.list_events_page(
                event_filter, offset=number * v.MAX_PAGE_SIZE, limit=v.MAX_PAGE_SIZE, order_by=order_by
            )
            return page.events, page.total_count

        yield from collect_pages("events/list", fetch, page_size=v.MAX_PAGE_SIZE, key=lambda e: e.id)

    def list_all_events(self, event_filter: EventFilter | None = None) -> list[Event]:
        return list(self.iter_events(event_filter))

    # -- duplication ----------------------------------------------------------

    def duplicate_event(
        self,
        source_event_id: int | str,
        *,
        name: str,
        timezone: str,
        start: DateLike | None = None,
        end: DateLike | None = None,
        description: str | None = None,
        copy_roles: tuple[str, ...] = (),
        skip_email: bool = True,
    ) -> DuplicateStarted:
        event: dict[str, Any] = {
            "name": v.require_name("name", name),
            "timezone": v.require_zone("timezone", timezone),
        }
        if start is not None:
            event["startDate"] = _iso("start", start)
        if end is not None:
            event["endDate"] = _iso("end", end)
        if start is not None and end is not None:
            v.require_order(
                "start", v.parse_iso_datetime("start", start), "end", v.parse_iso_datetime("end", end)
            )
        if description is not None:
            event["description"] = description
        body: dict[str, Any] = {
            "sourceEventId": v.require_event_id("source_event_id", source_event_id),
            "event": event,
        }
        if copy_roles:
            roles = [v.require_choice("copy_roles", role, v.DUPLICATE_ROLES) for role in copy_roles]
            body["duplicateUsers"] = {"roles": roles, "skipEmail": skip_email}

        def reconcile() -> DuplicateStarted | None:
            if start is None:
                return None
            found = self.find_event_by_name_and_start(event["name"], event["startDate"])
            return DuplicateStarted(job_id=None, adopted_event=found) if found else None

        return self._call("events/duplicate", body, DUPLICATE_STARTED, reconcile=reconcile)

    def duplicate_status(self, job_id: str) -> DuplicateJob:
        if not isinstance(job_id, str) or not job_id.strip():
            raise InvalidArgumentError("job_id", job_id, "a job id is a non-empty string")
        return self._call("events/duplicateStatus", {"jobId": job_id}, DUPLICATE_JOB)

    # -- sessions -------------------------------------------------------------

    def create_session(
        self,
        event_id: int | str,
        *,
        name: str,
        session_type: str,
        description: str | None = None,
        visibility: str = "published",
        start: DateLike | None = None,
        end: DateLike | None = None,
        tags: list[str] | None = None,
        source_entry_id: str | None = None,
        is_manual_live: bool | None = None,
    ) -> Session:
        eid = v.require_event_id("event_id", event_id)
        session: dict[str, Any] = {
            "name": v.require_name("name", name),
            "type": v.require_choice("session_type", session_type, v.SESSION_TYPES),
            "visibility": v.require_choice("visibility", visibility, v.VISIBILITIES),
        }
        if session_type == "SimuLive" and not source_entry_id:
            raise InvalidArgumentError(
                "source_entry_id", source_entry_id, "a SimuLive session needs a source entry"
            )
        if start is not None:
            session["startDate"] = _iso("start", start)
        if end is not None:
            session["endDate"] = _iso("end", end)
        if start is not None and end is not None:
            v.require_order(
                "start", v.parse_iso_datetime("start", start), "end", v.parse_iso_datetime("end", end)
            )
        if description is not None:
            session["description"] = description
        if tags is not None:
            session["tags"] = list(tags)
        if source_entry_id is not None:
            session["sourceEntryId"] = source_entry_id
        if is_manual_live is not None:
            session["isManualLive"] = is_manual_live

        def reconcile() -> Session | None:
            for existing in self.list_sessions(eid):
                if existing.name == session["name"] and (
                    start is None or _same_instant(existing.start_date, session["startDate"])
                ):
                    return existing
            return None

        return self._call(
            "sessions/create", {"eventId": eid, "session": session}, SESSION, reconcile=reconcile
        )

    def list_sessions(self, event_id: int | str) -> list[Session]:
        body = {"eventId": v.require_event_id("event_id", event_id)}
        return self._call("sessions/list", body, SESSION_LIST).sessions

    def list_speakers(self, event_id: int | str, session_id: str) -> list[Speaker]:
        body = {
            "eventId": v.require_event_id("event_id", event_id),
            "sessionId": v.require_session_id("session_id", session_id),
        }
        return self._call("sessions/speakerList", body, SPEAKER_LIST).speakers

    # -- team members ---------------------------------------------------------

    def create_team_member(self, *, email: str, role: str, first_name: str, last_name: str) -> TeamMember:
        body = {
            "email": v.require_email("email", email),
            "role": v.require_choice("role", role, v.TEAM_ROLES),
            "firstName": v.require_name("first_name", first_name),
            "lastName": v.require_name("last_name", last_name),
        }
        return self._call("team-members/create", body, TEAM_MEMBER)

    def list_team_members(self) -> list[TeamMember]:
        """All team members; pages until ``totalCount`` is reached and checks the sum."""

        def fetch(number: int) -> tuple[Sequence[TeamMember], int]:
            pager = {"offset": number * PEOPLE_PAGE_SIZE, "limit": PEOPLE_PAGE_SIZE}
            page = self._call("team-members/list", {"pager": pager}, TEAM_MEMBER_PAGE)
            return page.team_members, page.total_count

        return collect_pages("team-members/list", fetch, page_size=PEOPLE_PAGE_SIZE, key=lambda m: m.id)

    def update_team_member(
        self,
        member_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        role: str | None = None,
        disabled: bool | None = None,
    ) -> TeamMember:
        body: dict[str, Any] = {"id": v.require_member_id("member_id", member_id)}
        if first_name is not None:
            body["firstName"] = v.require_name("first_name", first_name)
        if last_name is not None:
            body["lastName"] = v.require_name("last_name", last_name)
        if role is not None:
            body["role"] = v.require_choice("role", role, v.TEAM_ROLES)
        if disabled is not None:
            body["disabled"] = disabled
        return self._call("team-members/update", body, TEAM_MEMBER)

    def delete_team_member(self, member_id: str) -> None:
        body = {"id": v.require_member_id("member_id", member_id)}
        self._call("team-members/delete", body, ACKNOWLEDGED, gone_is_done=True)

    # -- event users and session participants (speakers live here) -------------

    def invite_event_user(
        self,
        event_id: int | str,
        *,
        first_name: str,
        last_name: str,
        email: str,
        roles: tuple[str, ...] = ("Attendees",),
        title: str | None = None,
        company: str | None = None,
        bio: str | None = None,
        skip_email: bool = True,
    ) -> EventUser:
        body: dict[str, Any] = {
            "eventId": v.require_event_id("event_id", event_id),
            "firstName": v.require_name("first_name", first_name),
            "lastName": v.require_name("last_name", last_name),
            "email": v.require_email("email", email),
            "roles": [v.require_choice("roles", role, v.EVENT_USER_ROLES) for role in roles],
            "skipEmail": skip_email,
        }
        for key, value in (("title", title), ("company", company), ("bio", bio)):
            if value is not None:
                body[key] = value

        def reconcile() -> EventUser | None:
            return self.find_event_user(body["eventId"], body["email"])

        return self._call("event-users/invite", body, EVENT_USER, reconcile=reconcile)

    def find_event_user(self, event_id: int | str, email: str) -> EventUser | None:
        """The event user an ambiguous invite may have made: the same email, compared case-insensitively."""
        wanted = email.strip().lower()
        for user in self.list_event_users(event_id, search_term=email.strip()):
            if user.email.strip().lower() == wanted:
                return user
        return None

    def list_event_users(
        self, event_id: int | str, *, roles: tuple[str, ...] = (), search_term: str | None = None
    ) -> list[EventUser]:
        fetch = self._event_user_pages(event_id, roles, search_term)
        return collect_pages("event-users/list", fetch, page_size=PEOPLE_PAGE_SIZE, key=lambda u: u.id)

    def fold_event_users(self, event_id: int | str, consume: Callable[[list[EventUser]], object]) -> int:
        """``list_event_users`` for a report: each page's users, each once, handed to ``consume`` in page
        order as the pages arrive; how many there were. A 50,000-person invitation is never held whole."""
        fetch = self._event_user_pages(event_id, (), None)
        return fold_pages("event-users/list", fetch, consume, page_size=PEOPLE_PAGE_SIZE, key=lambda u: u.id)

    def _event_user_pages(
        self, event_id: int | str, roles: tuple[str, ...], search_term: str | None
    ) -> FetchPage[EventUser]:
        """Page ``number`` of an event's users (checked before any call), as (users, totalCount)."""
        eid = v.require_event_id("event_id", event_id)
        user_filter: dict[str, Any] = {}
        if roles:
            user_filter["roles"] = [v.require_choice("roles", role, v.EVENT_USER_ROLES) for role in roles]
        if search_term is not None:
            user_filter["searchTerm"] = search_term

        def fetch(number: int) -> tuple[Sequence[EventUser], int]:
            pager = {"offset": number * PEOPLE_PAGE_SIZE, "limit": PEOPLE_PAGE_SIZE}
            body = {"eventId": eid, "filter": user_filter, "pager": pager}
            page = self._call("event-users/list", body, EVENT_USER_PAGE)
            return page.users, page.total_count

        return fetch

    def update_event_user(
        self,
        event_id: int | str,
        user_id: str,
        *,
        roles: tuple[str, ...] | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        title: str | None = None,
        company: str | None = None,
    ) -> EventUser:
        """Only the fields given change; ``roles`` replaces the set, so send every role the user keeps."""
        body: dict[str, Any] = {
            "eventId": v.require_event_id("event_id", event_id),
            "userId": v.require_user_id("user_id", user_id),
        }
        if roles is not None:
            body["roles"] = [v.require_choice("roles", role, v.EVENT_USER_ROLES) for role in roles]
        if first_name is not None:
            body["firstName"] = v.require_name("first_name", first_name)
        if last_name is not None:
            body["lastName"] = v.require_name("last_name", last_name)
        for key, value in (("title", title), ("company", company)):
            if value is not None:
                body[key] = value
        return self._call("event-users/update", body, EVENT_USER)

    def delete_event_user(self, event_id: int | str, user_id: str) -> None:
        body = {
            "eventId": v.require_event_id("event_id", event_id),
            "userId": v.require_user_id("user_id", user_id),
        }
        self._call("event-users/delete", body, ACKNOWLEDGED, gone_is_done=True)

    def add_session_participants(
        self,
        event_id: int | str,
        session_id: str,
        *,
        speakers: tuple[SpeakerInput, ...] = (),
        moderator_ids: tuple[str, ...] = (),
    ) -> None:
        if len(speakers) > v.MAX_PARTICIPANTS_PER_CALL or len(moderator_ids) > v.MAX_PARTICIPANTS_PER_CALL:
            raise InvalidArgumentError(
                "speakers",
                len(speakers) + len(moderator_ids),
                f"at most {v.MAX_PARTICIPANTS_PER_CALL} of each per call",
            )
        body: dict[str, Any] = {
            "eventId": v.require_event_id("event_id", event_id),
            "sessionId": v.require_session_id("session_id", session_id),
            "speakers": [s.to_api() for s in speakers],
            "moderatorIds": list(moderator_ids),
        }
        self._call("session-participants/add", body, ACKNOWLEDGED)

    def remove_session_participants(
        self,
        event_id: int | str,
        session_id: str,
        *,
        speaker_ids: tuple[str, ...] = (),
        moderator_ids: tuple[str, ...] = (),
    ) -> None:
        body: dict[str, Any] = {
            "eventId": v.require_event_id("event_id", event_id),
            "sessionId": v.require_session_id("session_id", session_id),
            "speakerIds": list(speaker_ids),
            "moderatorIds": list(moderator_ids),
        }
        self._call("session-participants/remove", body, ACKNOWLEDGED)

    def update_session_participants(
        self, event_id: int | str, session_id: str, *, speakers: tuple[SpeakerInput, ...]
    ) -> None:
        body: dict[str, Any] = {
            "eventId": v.require_event_id("event_id", event_id),
            "sessionId": v.require_session_id("session_id", session_id),
            "speakers": [s.to_api() for s in speakers],
        }
        self._call("session-participants/update", body, ACKNOWLEDGED)

    def list_session_participants(self, event_id: int | str, session_id: str) -> dict[str, Any]:
        body = {
            "eventId": v.require_event_id("event_id", event_id),
            "sessionId": v.require_session_id("session_id", session_id),
        }
        return self._call("session-participants/list", body, PARTICIPANTS)
