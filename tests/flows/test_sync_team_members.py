"""sync_team_members under a real Prefect harness against the emulator: a roster of 30, 10 foreign members."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from flows.sync_team_members import sync_team_members
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer

TEAM_WRITES = ("team-members/create", "team-members/update", "team-members/delete")
ROLES = ("Admin", "Organizer", "ContentManager")


def calls(emu: EmulatorServer) -> Counter[str]:
    return Counter(
        {endpoint: sum(by_status.values()) for endpoint, by_status in emu.control.stats()["requests"].items()}
    )


def roster() -> Any:
    """As the UI form or a YAML file sends it: plain JSON."""
    return [
        {
            "email": f"producer{i:02d}@example.com",
            "role": ROLES[i % 3],
            "first_name": f"Pro{i:02d}",
            "last_name": "Ducer",
        }
        for i in range(30)
    ]


def team(emu: EmulatorServer) -> dict[str, tuple[str, str, str]]:
    return {
        m["email"].lower(): (m.get("role"), m.get("firstName"), m.get("lastName"))
        for m in emu.control.state()["teamMembers"]
    }


@pytest.fixture
def seeded(creds: KalturaCredentials, emu: EmulatorServer) -> dict[str, Any]:
    """10 foreign members, plus 3 of the roster's: one with another role, one renamed, one exact."""
    client = creds.get_events_client()
    for i in range(10):
        client.create_team_member(
            email=f"Foreign{i}@Other.example", role="Organizer", first_name="For", last_name=f"Eign{i}"
        )
    wanted = roster()
    client.create_team_member(
        email="producer00@example.com", role="Organizer", first_name="Pro00", last_name="Ducer"
    )
    client.create_team_member(
        email="PRODUCER01@example.com", role="Organizer", first_name="Pro01", last_name="Old"
    )
    client.create_team_member(**{**wanted[2], "email": "producer02@example.com"})
    emu.control.reset_stats()
    return {"roster": wanted}


def test_roster_of_30_converges_and_foreign_members_stay(
    creds: KalturaCredentials, emu: EmulatorServer, seeded: dict[str, Any]
) -> None:
    report = sync_team_members(seeded["roster"], creds, dry_run=False)
    assert (len(report.created), len(report.updated), len(report.unchanged)) == (27, 2, 1)
    assert len(report.unlisted) == 10 and not report.deleted and not report.failed
    assert sorted(row.change for row in report.updated) == [
        "last_name: Old -> Ducer",
        "role: Organizer -> Admin",
    ]
    now = team(emu)
    assert len(now) == 40
    for member in seeded["roster"]:
        assert now[member["email"]] == (member["role"], member["first_name"], member["last_name"])
    assert sum(email.endswith("@other.example") for email in now) == 10
    used = calls(emu)
    assert (used["team-members/create"], used["team-members/update"], used["team-members/delete"]) == (
        27,
        2,
        0,
    )

    emu.control.reset_stats()
    again = sync_team_members(seeded["roster"], creds, dry_run=False)
    assert len(again.unchanged) == 30 and not (again.created or again.updated or again.deleted)
    assert set(calls(emu)) == {"team-members/list"}, "a synced roster costs its list calls only"


def test_remove_unlisted_deletes_only_the_unlisted(
    creds: KalturaCredentials, emu: EmulatorServer, seeded: dict[str, Any]
) -> None:
    report = sync_team_members(seeded["roster"], creds, remove_unlisted=True, dry_run=False)
    assert len(report.deleted) == 10 and all(row.email.endswith("@Other.example") for row in report.deleted)
    assert sorted(team(emu)) == sorted(m["email"] for m in seeded["roster"])

    emu.control.reset_stats()
    sync_team_members(seeded["roster"], creds, remove_unlisted=True, dry_run=False)
    assert not any(calls(emu)[w] for w in TEAM_WRITES)


def test_dry_run_is_the_default_and_writes_nothing(
    creds: KalturaCredentials, emu: EmulatorServer, seeded: dict[str, Any]
) -> None:
    before = team(emu)
    report = sync_team_members(seeded["roster"], creds, remove_unlisted=True)
    assert report.dry_run
    assert (len(report.created), len(report.updated), len(report.deleted)) == (27, 2, 10)
    assert all(row.action == "would create" for row in report.created)
    assert not any(calls(emu)[w] for w in TEAM_WRITES)
    assert team(emu) == before


@pytest.mark.parametrize(
    ("member", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"role": "Owner"}, "role"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_a_bad_roster_entry_fails_before_any_request(
    creds: KalturaCredentials, emu: EmulatorServer, member: dict[str, Any], field: str
) -> None:
    bad: Any = roster()
    bad[7] = {**bad[7], **member}
    with pytest.raises(Exception, match=field):
        sync_team_members(bad, creds, dry_run=False)
    assert emu.control.stats()["total_requests"] == 0


def test_remove_unlisted_never_deletes_the_user_the_flow_runs_as(
    creds: KalturaCredentials, emu: EmulatorServer, seeded: dict[str, Any]
) -> None:
    assert creds.user_id is not None
    creds.get_events_client().create_team_member(
        email=creds.user_id.upper(), role="Organizer", first_name="Events", last_name="Bot"
    )
    emu.control.reset_stats()
    report = sync_team_members(seeded["roster"], creds, remove_unlisted=True, dry_run=False)
    assert len(report.deleted) == 10 and not report.failed
    [kept] = [row for row in report.unlisted]
    assert kept.email.lower() == creds.user_id and kept.action == "unlisted, kept: the flow's own user"
    assert creds.user_id in team(emu)


def test_a_roster_that_would_remove_every_admin_fails_before_any_write(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    creds.get_events_client().create_team_member(
        email="boss@example.com", role="Admin", first_name="The", last_name="Boss"
    )
    typo: Any = [{"email": "bos@example.com", "role": "Admin", "first_name": "The", "last_name": "Boss"}]
    demoted: Any = [
        {"email": "boss@example.com", "role": "Organizer", "first_name": "The", "last_name": "Boss"}
    ]
    emu.control.reset_stats()
    for wanted, remove in ((typo, True), (demoted, False)):
        with pytest.raises(Exception, match=r"roster=\['boss@example\.com'\].*Admin"):
            sync_team_members(wanted, creds, remove_unlisted=remove, dry_run=False)
    assert set(calls(emu)) == {"team-members/list"}, "refused after the read, before any write"
    assert team(emu) == {"boss@example.com": ("Admin", "The", "Boss")}
    # Handing the role over in two runs: add the new Admin, then remove the old.
    report = sync_team_members(typo, creds, dry_run=False)
    assert [row.email for row in report.created] == ["bos@example.com"]
    report = sync_team_members(typo, creds, remove_unlisted=True, dry_run=False)
    assert [row.email for row in report.deleted] == ["boss@example.com"]
    assert team(emu) == {"bos@example.com": ("Admin", "The", "Boss")}
