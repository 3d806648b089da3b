"""The platform's fixed vocabularies and limits, each copied from the reference that states it.

Paths are in ``/work/shared/reference``; "spec" is events-platform-openapi.yaml.
"""

from __future__ import annotations

PRESET_TEMPLATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "tm0000": ("Blank event", ()),
    "tm1000": ("Interactive room", ("MeetingEntry",)),
    "tm2000": ("Live webcast", ("LiveWebcast",)),
    "tm3000": ("Simulive", ("SimuLive",)),
    "tm4000": ("Room broadcasting to webcast", ("MeetingEntry", "LiveWebcast")),
}
"""KALTURA_EVENTS_PLATFORM_API.md §8: template id -> (description, sessions it adds)."""

SESSION_TYPES = ("MeetingEntry", "SimuLive", "LiveWebcast", "LiveKME", "VirtualLearningRoom", "Invalid")
"""spec components.schemas.CreateSessionDto.properties.type.enum (it does list "Invalid")."""

VISIBILITIES = ("published", "unlisted", "private")
"""spec components.schemas.CreateSessionDto.properties.visibility.enum."""

EVENT_ORDERS = ("+name", "-name", "+createdAt", "-createdAt", "+startDate", "-startDate")
"""spec components.schemas.ListEventOrderFields.enum."""

EVENT_USER_ORDERS = ("+createdAt", "-createdAt", "+fullName", "-fullName")
"""spec components.schemas.ListEventUserRequestDto.properties.orderBy.description."""

TEAM_ROLES = ("Admin", "Organizer", "ContentManager")
"""spec components.schemas.CreateTeamRequestDto.properties.role.enum."""

EVENT_USER_ROLES = ("Attendees", "Speaker", "Moderator")
"""spec components.schemas.InviteEventUserRequestDto.properties.roles.items.enum."""

DUPLICATE_ROLES = ("Speaker", "Moderator", "EventTeam")
"""spec components.schemas.DuplicateUsersDto.properties.roles.items.enum."""

SPEAKER_ROLES = ("simpleSpeaker", "advancedSpeaker")
"""spec components.schemas.SpeakerInputDto.properties.role.enum."""

EVENTS_PAGE_MAX = 15
"""KALTURA_EVENTS_PLATFORM_API.md §5.2, pager ``limit``: "max 15"."""

EVENTS_PAGE_DEFAULT = 5
"""spec components.schemas.ListEventPagerDto.properties.limit.default."""

PEOPLE_PAGE_DEFAULT = 30
"""spec ListTeamPagerDto / ListEventUserPagerDto ``limit.default``."""

PARTICIPANTS_PER_CALL = 10
"""spec AddSessionParticipantsRequestDto (and Remove/Update): speakers, moderatorIds "(max 10)"."""
