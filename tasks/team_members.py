"""Team member tasks: account-level Events Platform users (Admin, Organizer, ContentManager)."""

from __future__ import annotations

from kaltura_events.api.errors import NotFoundError
from kaltura_events.api.models import TeamMember
from kaltura_events.credentials import KalturaCredentials
from tasks.announce import announce, team_member_saved, team_member_written
from tasks.api_task import api_task
from tasks.clients import events_client


@api_task(
    "list-team-members",
    endpoint="team-members/list",
    description="The account's Events Platform team, paged inside the task.",
)
def list_team_members(*, credentials: KalturaCredentials | None) -> list[TeamMember]:
    client = events_client(credentials)
    return client.list_team_members()


@api_task(
    "create-team-member",
    endpoint="team-members/create",
    description="Add one member to the account's team.",
    run_name="{email} as {role}",
)
def create_team_member(
    *, credentials: KalturaCredentials | None, email: str, role: str, first_name: str, last_name: str
) -> TeamMember:
    client = events_client(credentials)
    member = client.create_team_member(email=email, role=role, first_name=first_name, last_name=last_name)
    announce(team_member_saved("created", member))
    return member


@api_task(
    "update-team-member",
    endpoint="team-members/update",
    description="Change one team member's role or name.",
    run_name="member {member_id}",
)
def update_team_member(
    *,
    credentials: KalturaCredentials | None,
    member_id: str,
    role: str | None = None,
    disabled: bool | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> TeamMember:
    client = events_client(credentials)
    member = client.update_team_member(
        member_id, role=role, disabled=disabled, first_name=first_name, last_name=last_name
    )
    announce(team_member_saved("updated", member))
    return member


@api_task(
    "delete-team-member",
    endpoint="team-members/delete",
    description="Remove one member from the account's team; already gone counts as done.",
    run_name="member {member_id}",
)
def delete_team_member(*, credentials: KalturaCredentials | None, member_id: str) -> bool:
    client = events_client(credentials)
    try:
        client.delete_team_member(member_id)
    except NotFoundError:
        return False
    announce(team_member_written("deleted", member_id))
    return True
