"""sync_team_members: keep the account's Events Platform team equal to a declared roster.

plan (the roster) -> observe (one paged team-members/list) -> diff -> apply:
create the missing, update changed roles and names, and delete unlisted
members only when ``remove_unlisted`` is on. Dry run by default: the table
artifact is the plan. A re-run of a synced roster makes no write.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, cast

from prefect import flow
from pydantic import BaseModel, Field

from flows.parameters import ApiInFlight
from flows.refusals import ends_in_one_line
from flows.reporting import publish
from flows.units import run_units
from kaltura_events.api.errors import KalturaError
from kaltura_events.api.models import TeamMember
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.planning.roster import Roster, RosterDiff, TeamMemberSpec, member_changes, roster_diff
from tasks.api_limit import DEFAULT_MAX_IN_FLIGHT, run_api_limit, thread_runner
from tasks.clients import resolve
from tasks.team_members import (
    create_team_member,
    delete_team_member,
    list_team_members,
    update_team_member,
)


class MemberRow(BaseModel):
    action: str
    email: str
    role: str | None
    name: str
    member_id: str | None
    change: str = ""


class RosterReport(BaseModel):
    dry_run: bool
    created: list[MemberRow] = Field(default_factory=list)
    updated: list[MemberRow] = Field(default_factory=list)
    deleted: list[MemberRow] = Field(default_factory=list)
    unchanged: list[MemberRow] = Field(default_factory=list)
    unlisted: list[MemberRow] = Field(default_factory=list)
    """Members the roster does not list, left alone because remove_unlisted is off."""
    failed: list[str] = Field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        groups = (self.created, self.updated, self.deleted, self.unchanged, self.unlisted)
        return [row.model_dump() for group in groups for row in group]


class RosterIncomplete(KalturaError):
    pass


def _spec_row(action: str, spec: TeamMemberSpec, member_id: str | None, change: str = "") -> MemberRow:
    return MemberRow(
        action=action,
        email=spec.email,
        role=spec.role,
        name=f"{spec.first_name} {spec.last_name}",
        member_id=member_id,
        change=change,
    )


def _member_row(action: str, member: TeamMember) -> MemberRow:
    return MemberRow(
        action=action,
        email=member.email,
        role=member.role,
        name=f"{member.first_name} {member.last_name}".strip(),
        member_id=member.id,
    )


def _describe(spec: TeamMemberSpec, member: TeamMember) -> str:
    have = {"role": member.role, "first_name": member.first_name, "last_name": member.last_name}
    return ", ".join(f"{key}: {have[key]} -> {value}" for key, value in member_changes(spec, member).items())


def _plan_report(changes: RosterDiff, dry_run: bool) -> RosterReport:
    would = "would " if dry_run else ""
    return RosterReport(
        dry_run=dry_run,
        created=[_spec_row(f"{would}create", spec, None) for spec in changes.create],
        updated=[
            _spec_row(f"{would}update", spec, member.id, _describe(spec, member))
            for spec, member in changes.update
        ],
        deleted=[_member_row(f"{would}delete", member) for member in changes.delete],
        unchanged=[_spec_row("unchanged", spec, member.id) for spec, member in changes.unchanged],
        unlisted=[_member_row("unlisted, kept", member) for member in changes.unlisted]
        + [_member_row("unlisted, kept: the flow's own user", member) for member in changes.kept_caller],
    )


def apply(credentials: KalturaCredentials | None, changes: RosterDiff) -> RosterReport:
    """One unit per member write, all at once under the run's API limit; rows show writes that landed."""
    creates = {f"create {spec.email}": (spec, partial(_create, credentials, spec)) for spec in changes.create}
    updates = {
        f"update {spec.email}": (spec, member, partial(_update, credentials, spec, member))
        for spec, member in changes.update
    }
    deletes = {
        f"delete {member.email}": (
            member,
            partial(delete_team_member, credentials=credentials, member_id=member.id),
        )
        for member in changes.delete
    }
    units: dict[str, Callable[[], object]] = {
        **{key: work for key, (_, work) in creates.items()},
        **{key: work for key, (_, _, work) in updates.items()},
        **{key: work for key, (_, work) in deletes.items()},
    }
    results = run_units(units)
    report = _plan_report(
        RosterDiff(unchanged=changes.unchanged, unlisted=changes.unlisted, kept_caller=changes.kept_caller),
        False,
    )
    done = results.done
    report.created = [
        _spec_row("created", spec, cast(TeamMember, done[key]).id)
        for key, (spec, _) in creates.items()
        if key in done
    ]
    report.updated = [
        _spec_row("updated", spec, member.id, _describe(spec, member))
        for key, (spec, member, _) in updates.items()
        if key in done
    ]
    report.deleted = [_member_row("deleted", member) for key, (member, _) in deletes.items() if key in done]
    report.failed = [f"{key}: {message}" for key, message in results.messages().items()]
    return report


def _create(credentials: KalturaCredentials | None, spec: TeamMemberSpec) -> TeamMember:
    return create_team_member(
        credentials=credentials,
        email=spec.email,
        role=spec.role,
        first_name=spec.first_name,
        last_name=spec.last_name,
    )


def _update(credentials: KalturaCredentials | None, spec: TeamMemberSpec, member: TeamMember) -> TeamMember:
    change = member_changes(spec, member)
    return update_team_member(
        credentials=credentials,
        member_id=member.id,
        role=change.get("role"),
        first_name=change.get("first_name"),
        last_name=change.get("last_name"),
    )


def converge_roster(
    credentials: KalturaCredentials | None,
    roster: list[TeamMemberSpec],
    *,
    remove_unlisted: bool,
    dry_run: bool,
) -> RosterReport:
    """Observe the team, diff it with the roster, apply unless ``dry_run``; the caller holds the limit."""
    existing = list_team_members(credentials=credentials)
    caller = resolve(credentials).user_id
    changes = roster_diff(roster, existing, remove_unlisted=remove_unlisted, caller=caller)
    return _plan_report(changes, True) if dry_run else apply(credentials, changes)


@flow(
    name="sync-team-members",
    description="Keep the account's Events Platform team equal to a declared roster.",
    task_runner=thread_runner(),
)
@ends_in_one_line
def sync_team_members(
    roster: Annotated[
        Roster,
        Field(title="Roster", description="Every team member the account should have: email, role, names."),
    ],
    credentials: KalturaCredentials | None = None,
    remove_unlisted: Annotated[
        bool,
        Field(
            title="Remove unlisted members",
            description="Delete team members the roster does not list; off leaves them alone.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, Field(title="Dry run", description="Compute and publish the plan; write nothing.")
    ] = True,
    max_api_in_flight: ApiInFlight = DEFAULT_MAX_IN_FLIGHT,
) -> RosterReport:
    """Keep the account's Events Platform team equal to a declared roster.

    Prefect takes the parameter descriptions the UI shows from this Args section.

    Args:
        roster: Every team member the account should have: email, role, first and last name.
        credentials: A saved Kaltura Credentials Block; empty uses the worker's KALTURA_* variables.
        remove_unlisted: Delete team members the roster does not list; off leaves them alone.
        dry_run: Compute and publish the plan; write nothing (the default).
        max_api_in_flight: Most requests in flight from this run (at most that many kaltura-api slots).
    """
    credentials = resolve(credentials)
    with run_api_limit(max_api_in_flight):
        report = converge_roster(credentials, roster, remove_unlisted=remove_unlisted, dry_run=dry_run)
    key = ["sync-team-members", "plan"] if dry_run else ["sync-team-members"]
    publish(key, report.rows(), summarize_roster(report))
    if report.failed:
        raise RosterIncomplete(
            f"{len(report.failed)} change(s) not made; re-run to converge: {report.failed[:5]}"
        )
    return report


def summarize_roster(report: RosterReport) -> str:
    verb = "Roster plan" if report.dry_run else "Roster"
    return (
        f"{verb}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.deleted)} deleted, {len(report.unchanged)} unchanged, "
        f"{len(report.unlisted)} unlisted and kept."
    )
