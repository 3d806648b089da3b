"""People on the platform: account team members, event users, session speakers and moderators.

Kept apart from events to keep modules small; it works on the same
:class:`Records` as the event book (and under the platform's lock), so a user
removed from an event also leaves its sessions in the same step.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from kaltura_events.emulator.changes import Change
from kaltura_events.emulator.failures import BadArgument, Missing
from kaltura_events.emulator.platform import Platform
from kaltura_events.emulator.services.events_platform.models import (
    EventUser,
    Session,
    SpeakerSlot,
    TeamMember,
    public_domain,
    render_event_user,
    render_participant,
    render_speaker,
    render_team_member,
)
from kaltura_events.emulator.services.events_platform.records import SERVICE_NAME, Records

LISTINGS_KEPT = 64


@dataclass
class SpeakerInput:
    """One entry of ``speakers``; None means "default" on add and "unchanged" on update."""

    user_id: str
    order: int | float | None = None
    is_hidden: bool | None = None
    role: str | None = None


class People:
    def __init__(self, platform: Platform, records: Records) -> None:
        self.platform = platform
        self.records = records
        self._listings: OrderedDict[Hashable, tuple[Records, int, list[tuple[int, EventUser]]]] = (
            OrderedDict()
        )
        """Sorted listings of an event's users kept for paging, as User Profile keeps its own: a 50,000-user
        event is 100 pages, and sorting it again for each made the emulator the bottleneck."""

    def _announce(self, kind: str, subject: object, record: dict[str, Any]) -> None:
        self.platform.changes.announce(Change(SERVICE_NAME, kind, str(subject), record))

    def _announce_participants(self, kind: str, event_id: int, session: Session) -> None:
        """Who is on the session now, by user id (the subject is the session's entry id)."""
        record = {
            "eventId": event_id,
            "sessionId": session.id,
            "speakerIds": list(session.speakers),
            "moderatorIds": list(session.moderators),
        }
        self._announce(kind, session.id, record)

    # -- team members ---------------------------------------------------------

    def create_team_member(self, email: str, role: str, first_name: str, last_name: str) -> dict[str, Any]:
        """A second create for the same email is stated nowhere as an error: it answers that member, now
        with the request's role and names (a member's id is its Kaltura user id, one per email)."""
        with self.platform.locked():
            now = self.platform.now()
            existing = next((m for m in self.records.team.values() if m.email.lower() == email.lower()), None)
            if existing is not None:
                existing.role, existing.first_name, existing.last_name = role, first_name, last_name
                existing.updated_at = now
                rendered = render_team_member(existing)
                self._announce("team_member.updated", existing.id, rendered)
                return rendered
            member = TeamMember(
                id=hashlib.sha256(email.lower().encode()).hexdigest()[:17],
                email=email,
                first_name=first_name,
                last_name=last_name,
                role=role,
                created_at=now,
                updated_at=now,
            )
            self.records.team[member.id] = member
            rendered = render_team_member(member)
            self._announce("team_member.created", member.id, rendered)
            return rendered

    def _member(self, member_id: str) -> TeamMember:
        member = self.records.team.get(member_id)
        if member is None:
            raise Missing("id", member_id, "team member")
        return member

    def update_team_member(self, member_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        with self.platform.locked():
            member = self._member(member_id)
            for key, value in changes.items():
                setattr(member, key, value)
            member.updated_at = self.platform.now()
            rendered = render_team_member(member)
            self._announce("team_member.updated", member.id, rendered)
            return rendered

    def delete_team_member(self, member_id: str) -> None:
        with self.platform.locked():
            rendered = render_team_member(self._member(member_id))
            del self.records.team[member_id]
            self._announce("team_member.deleted", member_id, rendered)

    def list_team_members(self, skip: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        with self.platform.locked():
            members = list(self.records.team.values())
            return len(members), [render_team_member(m) for m in members[skip : skip + limit]]

    # -- event users ----------------------------------------------------------

    def _users(self, event_id: int) -> dict[str, EventUser]:
        self.records.event(event_id, "eventId")
        return self.records.event_users.setdefault(event_id, {})

    def _user(self, event_id: int, user_id: str, field: str = "userId") -> EventUser:
        user = self._users(event_id).get(user_id)
        if user is None:
            raise Missing(field, user_id, f"user of event {event_id}")
        return user

    def user_id_for(self, email: str) -> str:
        """A stable 64-hex id per partner and email, like the platform's hashed user ids."""
        return hashlib.sha256(f"{self.platform.partner_id}:{email.lower()}".encode()).hexdigest()

    def invite(
        self, event_id: int, email: str, first_name: str, last_name: str, **profile: Any
    ) -> dict[str, Any]:
        """Invite a user; inviting the same email again adds the new roles and keeps the rest."""
        roles: list[str] = profile.pop("roles", None) or ["Attendees"]
        emailed = 0 if profile.pop("skip_email", False) else 1
        with self.platform.locked():
            users = self._users(event_id)
            user_id = self.user_id_for(email)
            existing = users.get(user_id)
            self.records.users_version += 1
            if existing is not None:
                existing.roles = existing.roles + [r for r in roles if r not in existing.roles]
                existing.invitations += 1
                existing.emails_sent += emailed
                existing.updated_at = self.platform.now()
                rendered = render_event_user(existing, self.platform.partner_id)
                self._announce("event_user.updated", existing.id, rendered)
                return rendered
            now = self.platform.now()
            user = EventUser(
                id=user_id,
                email=email,
                first_name=first_name,
                last_name=last_name,
                roles=list(dict.fromkeys(roles)),
                created_at=now,
                updated_at=now,
                invitations=1,
                emails_sent=emailed,
                **profile,
            )
            users[user_id] = user
            rendered = render_event_user(user, self.platform.partner_id)
            self._announce("event_user.invited", user_id, rendered)
            return rendered

    def update_user(self, event_id: int, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Profile fields change as given; ``roles`` replaces the whole set, as the spec's field says."""
        with self.platform.locked():
            user = self._user(event_id, user_id)
            self.records.users_version += 1
            for key, value in changes.items():
                setattr(user, key, value)
            user.updated_at = self.platform.now()
            rendered = render_event_user(user, self.platform.partner_id)
            self._announce("event_user.updated", user_id, rendered)
            return rendered

    def delete_user(self, event_id: int, user_id: str) -> None:
        """Remove a user from the event, and from every session of it."""
        with self.platform.locked():
            rendered = render_event_user(self._user(event_id, user_id), self.platform.partner_id)
            del self.records.event_users[event_id][user_id]
            self.records.users_version += 1
            for session in self.records.sessions.get(event_id, {}).values():
                session.speakers.pop(user_id, None)
                if user_id in session.moderators:
                    session.moderators.remove(user_id)
            self._announce("event_user.deleted", user_id, rendered)

    def list_users(
        self,
        event_id: int,
        *,
        search: str,
        roles: set[str] | None,
        id_in: set[str] | None,
        skip: int,
        limit: int,
        order: str,
    ) -> tuple[int, list[dict[str, Any]]]:
        with self.platform.locked():
            key = (event_id, search, None if roles is None else tuple(sorted(roles)), order)
            kept = self._listings.get(key) if id_in is None else None
            if kept is not None and kept[0] is self.records and kept[1] == self.records.users_version:
                matches = kept[2]
                self._listings.move_to_end(key)
            else:
                matches = self._sorted_users(event_id, search, roles, id_in, order)
                if id_in is None:
                    self._listings[key] = (self.records, self.records.users_version, matches)
                    while len(self._listings) > LISTINGS_KEPT:
                        self._listings.popitem(last=False)
            page = matches[skip : skip + limit]
            pid = self.platform.partner_id
            return len(matches), [render_event_user(user, pid) for _, user in page]

    def _sorted_users(
        self, event_id: int, search: str, roles: set[str] | None, id_in: set[str] | None, order: str
    ) -> list[tuple[int, EventUser]]:
        """The platform lock is held."""
        indexed = list(enumerate(self._users(event_id).values()))
        term = search.strip().lower()
        matches = [
            (index, user)
            for index, user in indexed
            if (not term or term in f"{user.first_name} {user.last_name} {user.email}".lower())
            and (roles is None or roles.intersection(user.roles))
            and (id_in is None or user.id in id_in)
        ]
        if order.endswith("fullName"):
            matches.sort(key=lambda pair: (f"{pair[1].first_name} {pair[1].last_name}".lower(), pair[0]))
        else:
            matches.sort(key=lambda pair: (pair[1].created_at, pair[0]))
        if order.startswith("-"):
            matches.reverse()
        return matches

    # -- session participants ---------------------------------------------------

    def _participant(self, event_id: int, user_id: Any, field: str, role: str) -> EventUser:
        if not isinstance(user_id, str):
            raise BadArgument(field, user_id, "expected a string")
        user = self._user(event_id, user_id, field)
        if role not in user.roles:
            # spec paths./api/v1/session-participants/add.post.summary: "users must have event-level
            # Speaker/Moderator role".
            raise BadArgument(field, user_id, f"the user needs the event role {role} first")
        return user

    def add_participants(
        self, event_id: int, session_id: str, speakers: list[SpeakerInput], moderator_ids: list[str]
    ) -> None:
        """Check every participant first, then add them all: a bad entry changes nothing."""
        with self.platform.locked():
            session = self.records.session(event_id, session_id)
            for index, speaker in enumerate(speakers):
                self._participant(event_id, speaker.user_id, f"speakers[{index}].userId", "Speaker")
            for index, moderator_id in enumerate(moderator_ids):
                self._participant(event_id, moderator_id, f"moderatorIds[{index}]", "Moderator")
            for speaker in speakers:
                session.speakers[speaker.user_id] = SpeakerSlot(
                    order=speaker.order or 0,
                    is_hidden=bool(speaker.is_hidden),
                    role=speaker.role or "simpleSpeaker",
                )
            for moderator_id in moderator_ids:
                if moderator_id not in session.moderators:
                    session.moderators.append(moderator_id)
            session.updated_at = self.platform.now()
            self._announce_participants("session_participants.added", event_id, session)

    def remove_participants(
        self, event_id: int, session_id: str, speaker_ids: list[str], moderator_ids: list[str]
    ) -> None:
        """Removing someone who is not there is not an error: the outcome is the same."""
        with self.platform.locked():
            session = self.records.session(event_id, session_id)
            for user_id in speaker_ids:
                session.speakers.pop(user_id, None)
            session.moderators = [uid for uid in session.moderators if uid not in set(moderator_ids)]
            session.updated_at = self.platform.now()
            self._announce_participants("session_participants.removed", event_id, session)

    def update_participants(self, event_id: int, session_id: str, speakers: list[SpeakerInput]) -> None:
        with self.platform.locked():
            session = self.records.session(event_id, session_id)
            for index, speaker in enumerate(speakers):
                if speaker.user_id not in session.speakers:
                    # spec session-participants/update summary: "speakers already assigned to a session".
                    raise BadArgument(
                        f"speakers[{index}].userId", speaker.user_id, "not a speaker of this session"
                    )
            for speaker in speakers:
                slot = session.speakers[speaker.user_id]
                if speaker.order is not None:
                    slot.order = speaker.order
                if speaker.is_hidden is not None:
                    slot.is_hidden = speaker.is_hidden
                if speaker.role is not None:
                    slot.role = speaker.role
            session.updated_at = self.platform.now()
            self._announce_participants("session_participants.updated", event_id, session)

    def list_participants(self, event_id: int, session_id: str) -> dict[str, Any]:
        with self.platform.locked():
            session = self.records.session(event_id, session_id)
            users = self.records.event_users.get(event_id, {})
            pid = self.platform.partner_id
            ordered = sorted(session.speakers.items(), key=lambda item: item[1].order)
            return {
                "speakers": [
                    render_participant(users[uid], pid, slot) for uid, slot in ordered if uid in users
                ],
                "moderators": [
                    render_participant(users[uid], pid) for uid in session.moderators if uid in users
                ],
            }

    def speaker_list(self, event_id: int, session_id: str) -> list[dict[str, Any]]:
        with self.platform.locked():
            session = self.records.session(event_id, session_id)
            users = self.records.event_users.get(event_id, {})
            pid, domain = self.platform.partner_id, public_domain(self.platform.partner_id)
            ordered = sorted(session.speakers.items(), key=lambda item: item[1].order)
            return [render_speaker(users[uid], slot, pid, domain) for uid, slot in ordered if uid in users]

    def snapshot(self) -> dict[str, Any]:
        with self.platform.locked():
            return self._snapshot()

    def _snapshot(self) -> dict[str, Any]:
        pid = self.platform.partner_id
        return {
            "teamMembers": [render_team_member(m) for m in self.records.team.values()],
            "eventUsers": {
                str(eid): [
                    {**render_event_user(u, pid), "invitations": u.invitations, "emailsSent": u.emails_sent}
                    for u in users.values()
                ]
                for eid, users in self.records.event_users.items()
            },
            "sessionParticipants": {
                session.id: {
                    "speakers": {
                        uid: {"order": slot.order, "isHidden": slot.is_hidden, "role": slot.role}
                        for uid, slot in session.speakers.items()
                    },
                    "moderators": list(session.moderators),
                }
                for sessions in self.records.sessions.values()
                for session in sessions.values()
                if session.speakers or session.moderators
            },
        }
