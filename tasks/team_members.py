"""Team member tasks: account-level Events Platform users (Admin, Organizer, ContentManager)."""

from __future__ import annotations

from kaltura_events.credentials import KalturaCredentials
from kaltura_events.errors import NotFoundError
from kaltura_events.models import TeamMember
from tasks.runtime import api_slot, api_task, events_client


@api_task("list-team-members")
def list_team_members(credentials: KalturaCredentials | None) -> list[TeamMember]:
    client = events_client(credentials)
    with api_slot():
        return client.list_team_members()


@api_task("create-team-member")
def create_team_member(
    credentials: KalturaCredentials | None, email: str, role: str, first_name: str, last_name: str
) -> TeamMember:
    client = events_client(credentials)
    with api_slot():
        return client.create_team_member(email=email, role=role, first_name=first_name, last_name=last_name)


@api_task("update-team-member")
def update_team_member(
    credentials: KalturaCredentials | None,
    member_id: str,
    role: str | None = None,
    disabled: bool | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> TeamMember:
    client = events_client(credentials)
    with api_slot():
        return client.update_team_member(
            member_id, role=role, disabled=disabled, first_name=first_name, last_name=last_name
        )


@api_task("delete-team-member")
def delete_team_member(credentials: KalturaCredentials | None, member_id: str) -> bool:
    client = events_client(credentials)
    with api_slot():
        try:
            client.delete_team_member(member_id)
        except NotFoundError:
            return False
        return True
