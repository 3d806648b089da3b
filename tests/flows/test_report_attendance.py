"""report_attendance against the emulator: what the report says must be what the User Profile service holds.

Every check compares the report with the emulator's own state (its profiles
and apps), never with numbers the test wrote down itself.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.image import imread

from flows.report_attendance import AttendanceIncomplete, AttendanceReport, report_attendance, watermark_name
from flows.schedule_all_hands import schedule_all_hands
from kaltura_events.api.errors import InvalidArgumentError
from kaltura_events.api.validation import ATTENDANCE_STATUSES
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from kaltura_events.environment import CredentialsError
from kaltura_events.formats.attendance_files import MATRIX_FILE, SUMMARY_FILE, occurrence_file
from kaltura_events.planning.attendance import Counts, Occurrence
from kaltura_events.planning.selection import EventSelector
from tests.specs import weekly_all_hands

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
EARLY = datetime(2026, 2, 1, 15, 0, tzinfo=timezone.utc)


def make_series(creds: KalturaCredentials, key: str, weeks: int) -> list[int]:
    """The series' events, made the way users make them (so each registers its app)."""
    spec: Any = weekly_all_hands(key=key, horizon_days=7 * weeks, sessions=[])
    report = schedule_all_hands(spec, creds, now=NOW)
    assert len(report.created) == weeks and not report.failed
    return [row.event_id for row in sorted(report.created, key=lambda r: r.start_utc) if row.event_id]


def profiles_by_event(emu: EmulatorServer) -> dict[int, list[dict[str, Any]]]:
    """The emulator's profiles per event id, through its apps (appCustomId = event id)."""
    state = emu.control.state()
    event_of = {app["id"]: int(app["appCustomId"]) for app in state["apps"] if app["appType"] == "epmEvent"}
    found: dict[int, list[dict[str, Any]]] = {}
    for profile in state["userProfiles"]:
        if profile.get("status") != "deleted" and profile["appGuid"] in event_of:
            found.setdefault(event_of[profile["appGuid"]], []).append(profile)
    return found


def expected_counts(profiles: list[dict[str, Any]]) -> Counts:
    return Counts.from_statuses(Counter(p["eventData"]["attendanceStatus"] for p in profiles))


def event_users(emu: EmulatorServer) -> dict[int, list[dict[str, Any]]]:
    """The emulator's users of each event: the people it was asked to invite."""
    return {int(k): users for k, users in emu.control.state()["eventUsers"].items()}


def assert_report_matches(report: AttendanceReport, emu: EmulatorServer) -> None:
    held = profiles_by_event(emu)
    invited = event_users(emu)
    for row in report.occurrences:
        assert row.problem is None, row
        counts = expected_counts(held.get(row.event_id, []))
        assert (row.invited, row.profiles, row.registered, row.confirmed, row.attended) == (
            len(invited.get(row.event_id, [])),
            counts.profiles,
            counts.registered,
            counts.confirmed,
            counts.attended,
        ), row.occurrence


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def at(minutes: int) -> str:
    return (EARLY + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def test_twelve_occurrences_three_hundred_people(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    events = make_series(creds, "att-twelve", 12)
    people = [f"person{i}@example.com" for i in range(300)]
    statuses = ["registered", "confirmed", "attended", "participated", "invited", "unregistered", "blocked"]
    for index, event_id in enumerate(events):
        # Everyone has a profile at every occurrence, in a status that rotates with the occurrence.
        by_status: dict[str, list[str]] = {}
        for number, email in enumerate(people):
            by_status.setdefault(statuses[(number + index) % len(statuses)], []).append(email)
        for status, emails in by_status.items():
            emu.control.mark_attendance(event_id, emails, status, at=at(index))
    # One person comes only to the first three occurrences, and registers at none of the rest.
    emu.control.mark_attendance(events[0], ["Only.Some@Example.com"], "attended", at=at(1))
    emu.control.mark_attendance(events[1], ["only.some@example.com"], "participated", at=at(2))
    emu.control.mark_attendance(events[2], ["only.some@example.com"], "participatedPostEvent", at=at(3))

    out = tmp_path / "report"
    report = report_attendance(EventSelector(series_key="att-twelve"), creds, output_dir=str(out))

    assert [row.event_id for row in report.occurrences] == events
    assert_report_matches(report, emu)
    assert report.people == 301
    matrix = read_csv(out / MATRIX_FILE)
    assert len(matrix) == 301 and len({row["email"] for row in matrix}) == 301, "one row per person"
    [some] = [row for row in matrix if row["email"] == "only.some@example.com"]
    assert some["attended"] == "3"
    assert [some[o.occurrence] for o in report.occurrences[:3]] == [
        "attended",
        "participated",
        "participatedPostEvent",
    ]
    assert all(some[o.occurrence] == "" for o in report.occurrences[3:])
    summary = read_csv(out / SUMMARY_FILE)
    assert [int(r["attended"]) for r in summary] == [r.attended for r in report.occurrences]

    assert report.chart is not None
    png = Path(report.chart).read_bytes()
    height, width = imread(io.BytesIO(png), format="png").shape[:2]
    assert (width, height) == (800, 360)
    assert sum(row.profiles_read for row in report.occurrences) == sum(
        len(p) for p in profiles_by_event(emu).values()
    ), "a first run reads every profile"


def test_a_scheduled_run_reads_only_what_changed_and_its_totals_stay_complete(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    events = make_series(creds, "att-incremental", 3)
    # One person at a time, as people register: each profile gets its own updatedAt.
    for event_id in events:
        for i in range(40):
            emu.control.mark_attendance(event_id, [f"p{i}@example.com"], "registered")
    out = tmp_path / "scheduled"
    first = report_attendance(EventSelector(series_key="att-incremental"), creds, output_dir=str(out))
    assert [row.profiles_read for row in first.occurrences] == [40, 40, 40]
    watermark = {e: max(p["updatedAt"] for p in ps) for e, ps in profiles_by_event(emu).items()}

    emu.control.mark_attendance(events[1], [f"p{i}@example.com" for i in range(5)], "attended", at=at(60))
    emu.control.mark_attendance(events[1], ["late@example.com"], "attended", at=at(61))
    emu.control.reset_stats()
    second = report_attendance(EventSelector(series_key="att-incremental"), creds, output_dir=str(out))

    assert_report_matches(second, emu)
    # Only the profiles updated since the last run's newest one (inclusive, as the guide advises).
    held = profiles_by_event(emu)
    for row in second.occurrences:
        since = watermark[row.event_id]
        assert row.profiles_read == sum(1 for p in held[row.event_id] if p["updatedAt"] >= since), row
    assert second.occurrences[1].profiles_read < 40

    full = report_attendance(
        EventSelector(series_key="att-incremental"),
        creds,
        output_dir=str(tmp_path / "full"),
        incremental=False,
    )
    assert [r.profiles_read for r in full.occurrences] == [40, 41, 40]
    for name in sorted(p.name for p in out.iterdir() if p.suffix == ".csv"):
        assert (out / name).read_text() == (tmp_path / "full" / name).read_text(), name
    from prefect.variables import Variable

    stored: Any = Variable.get(watermark_name("att-incremental"))
    assert set(stored["updated_since"]) == {str(e) for e in events}


def test_an_event_with_no_app_and_an_id_with_no_event_are_reported_not_crashed(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    [with_app] = make_series(creds, "att-noapp", 1)
    emu.control.bulk_events(1, "Made elsewhere", labels=["elsewhere"])
    [without_app] = [e["id"] for e in emu.control.state()["events"] if "elsewhere" in e["labels"]]
    emu.control.mark_attendance(with_app, ["a@example.com"], "attended")

    report = report_attendance(EventSelector(event_ids=[with_app, without_app, 999_999]), creds)

    rows = {row.event_id: row for row in report.occurrences}
    assert rows[with_app].attended == 1 and rows[with_app].problem is None
    assert rows[without_app].problem == "no app in the App Registry for this event"
    assert rows[999_999].problem == "no such event"
    assert "2 occurrence(s) not read" in report.summary()
    assert rows[without_app].invited == 0, "its users were still read"


def test_invited_counts_the_events_users_and_their_names_fill_the_files(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    """Invited is who the event invited, not who has a profile; a name either service has is written."""
    [event_id] = make_series(creds, "att-invited", 1)
    events = creds.get_events_client()
    invitees = [f"guest{i}@example.com" for i in range(7)]
    for number, email in enumerate(invitees):
        events.invite_event_user(event_id, first_name=f"Guest{number}", last_name="Lee", email=email)
    emu.control.mark_attendance(event_id, invitees[:2], "registered")
    emu.control.mark_attendance(event_id, invitees[2:4], "attended", at=at(5))
    emu.control.mark_attendance(event_id, ["walk.in@example.com"], "attended", at=at(6))

    out = tmp_path / "invited"
    report = report_attendance(EventSelector(series_key="att-invited"), creds, output_dir=str(out))

    assert_report_matches(report, emu)
    [row] = report.occurrences
    users = event_users(emu)[event_id]
    assert row.invited == len(users) == len(invitees)
    assert row.profiles == len(profiles_by_event(emu)[event_id]) == 5
    names = {u["email"].lower(): f"{u['firstName']} {u['lastName']}" for u in users}
    occurrence = Occurrence(event_id, row.name, row.start, row.occurrence)
    written = {r["email"]: r["name"] for r in read_csv(out / occurrence_file(occurrence))}
    for email, name in written.items():
        assert name == names.get(email, ""), email
    assert sum(1 for name in written.values() if name) == 4, "the four invitees with a profile"


def test_times_are_on_the_events_clock(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    """The series runs at 10:00 New York; the table and the summary say 10:00 and the zone, in any season."""
    events = make_series(creds, "att-zone", 3)
    starts = {e["id"]: e for e in emu.control.state()["events"] if e["id"] in events}
    out = tmp_path / "zone"
    report = report_attendance(EventSelector(series_key="att-zone"), creds, output_dir=str(out))
    for row, line in zip(report.occurrences, read_csv(out / SUMMARY_FILE), strict=True):
        zone = ZoneInfo(starts[row.event_id]["timezone"])
        assert row.timezone == line["timezone"] == starts[row.event_id]["timezone"] == "America/New_York"
        written = datetime.fromisoformat(line["start"])
        assert (
            written
            == row.start
            == datetime.fromisoformat(starts[row.event_id]["startDate"].replace("Z", "+00:00"))
        )
        assert written.utcoffset() == zone.utcoffset(written.replace(tzinfo=None))
        assert (written.hour, written.minute) == (10, 0)


def test_a_failed_count_is_a_problem_on_its_rows_and_the_rest_is_reported(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    events = make_series(creds, "att-nostats", 2)
    for event_id in events:
        emu.control.mark_attendance(event_id, ["a@example.com", "b@example.com"], "attended", at=at(1))
    emu.control.set_faults([{"endpoint": "reports/eventDataStats", "kind": "error_before_commit"}])
    out = tmp_path / "nostats"

    state = report_attendance(
        EventSelector(series_key="att-nostats"), creds, output_dir=str(out), return_state=True
    )

    assert state.is_failed()
    assert "2 occurrence(s) not read in full" in (state.message or "")
    summary = read_csv(out / SUMMARY_FILE)
    assert [int(line["event_id"]) for line in summary] == events
    for line in summary:
        assert line["problem"].startswith("counts not read: reports/eventDataStats"), line
        assert line["profiles"] == line["registered"] == line["attended"] == "", "no count made up"
        assert line["invited"] == "0", "the event's users were still read"
    for person_rows in (read_csv(path) for path in out.glob("occurrence-*.csv")):
        assert {r["email"] for r in person_rows} == {"a@example.com", "b@example.com"}
    assert len(list(out.glob("occurrence-*.csv"))) == 2, "who came is still written"


def test_an_app_the_stats_leave_out_is_not_counted_as_zeros(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    """Its profiles deleted, an event has no stats row; an incremental read cannot tell how many are left."""
    [event_id] = make_series(creds, "att-gone", 1)
    emu.control.mark_attendance(event_id, ["a@example.com", "b@example.com"], "registered")
    out = tmp_path / "gone"
    first = report_attendance(EventSelector(series_key="att-gone"), creds, output_dir=str(out))
    assert first.occurrences[0].registered == 2
    profiles = creds.get_user_profile_client()
    for held in profiles_by_event(emu)[event_id]:
        profiles.delete_profile(held["id"])

    with pytest.raises(AttendanceIncomplete, match="reports/eventDataStats had no row"):
        report_attendance(EventSelector(series_key="att-gone"), creds, output_dir=str(out))
    [line] = read_csv(out / SUMMARY_FILE)
    assert line["registered"] == "" and "had no row" in line["problem"]

    full = report_attendance(
        EventSelector(series_key="att-gone"), creds, output_dir=str(out), incremental=False
    )
    [row] = full.occurrences
    assert (row.profiles, row.registered, row.problem) == (0, 0, None), "a full read found nobody"


def test_each_runs_artifacts_are_keyed_by_what_it_reports(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    from prefect.artifacts import Artifact

    first, second = make_series(creds, "att-keys", 2)
    for event_id in (first, second):
        report_attendance(EventSelector(event_ids=[event_id]), creds)
    report_attendance(EventSelector(event_ids=[second, first]), creds)
    report_attendance(EventSelector(series_key="att-keys"), creds)
    for key in (
        f"attendance-events-{first}",
        f"attendance-events-{second}",
        "attendance-events-" + "-".join(str(i) for i in sorted((first, second))),
        "attendance-series-att-keys",
    ):
        for suffix in ("", "-chart"):
            found: Any = Artifact.get(key + suffix)
            assert found is not None, key + suffix
            assert found.key == key + suffix
    table: Any = Artifact.get(f"attendance-events-{first}")
    assert table is not None and isinstance(table.data, str)
    assert [row["event_id"] for row in json.loads(table.data)] == [str(first)]


def test_an_unknown_series_key_fails_before_any_profile_is_read(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    emu.control.reset_stats()
    with pytest.raises(
        InvalidArgumentError, match=r"selector\.series_key.*no-such-series.*kev-series:no-such-series"
    ):
        report_attendance(EventSelector(series_key="no-such-series"), creds)
    used = emu.control.stats()["requests"]
    assert set(used) == {"events/list"}, used


def test_an_app_registry_url_no_rule_gives_is_refused_before_any_call(
    creds: KalturaCredentials, emu: EmulatorServer
) -> None:
    """The emulator's URLs set but its App Registry's: the run names the variable, not NVP's registry."""
    unset = creds.model_copy(update={"app_registry_url": None})
    emu.control.reset_stats()
    with pytest.raises(CredentialsError, match="KALTURA_APP_REGISTRY_URL is not set") as caught:
        report_attendance(EventSelector(series_key="att-any"), unset)
    assert emu.events_api_url in str(caught.value)
    assert emu.control.stats()["requests"] == {}


def test_an_output_dir_that_is_a_file_is_refused_before_any_call(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("not a directory")
    emu.control.reset_stats()
    with pytest.raises(InvalidArgumentError, match="output_dir"):
        report_attendance(EventSelector(series_key="att-any"), creds, output_dir=str(blocker))
    assert emu.control.stats()["requests"] == {}


@given(
    st.lists(
        st.lists(st.sampled_from(ATTENDANCE_STATUSES), min_size=0, max_size=4),
        min_size=1,
        max_size=8,
    )
)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_mix_of_statuses_is_counted_as_the_service_holds_it(
    creds: KalturaCredentials, emu: EmulatorServer, per_person: list[list[str]]
) -> None:
    """Generated: people with a status at some of three occurrences (changed in between, even)."""
    emu.control.reset()
    events = make_series(creds, "att-generated", 3)
    for number, statuses in enumerate(per_person):
        for step, status in enumerate(statuses):
            emu.control.mark_attendance(events[step % 3], [f"g{number}@example.com"], status, at=at(step))
    report = report_attendance(EventSelector(series_key="att-generated"), creds)
    assert_report_matches(report, emu)
    held = profiles_by_event(emu)
    assert report.people == len({str(p["userId"]).lower() for ps in held.values() for p in ps})


def test_a_scheduled_report_waits_while_another_keeps_its_watermark(
    creds: KalturaCredentials, emu: EmulatorServer, tmp_path: Path
) -> None:
    """Two reports of one series at once would both read the watermark, both write the files and
    the second save would drop the first's marks: the second waits, reads nothing meanwhile, and
    then finds the first's watermark."""
    import threading
    import time

    from flows.series_lock import one_writer, variable_lock

    events = make_series(creds, "att-locked", 2)
    for event_id in events:
        emu.control.mark_attendance(event_id, ["a@example.com", "b@example.com"], "registered")
    out = tmp_path / "locked"
    emu.control.reset_stats()
    done: list[AttendanceReport] = []
    with one_writer([variable_lock(watermark_name("att-locked"))]):
        runner = threading.Thread(
            target=lambda: done.append(
                report_attendance(EventSelector(series_key="att-locked"), creds, output_dir=str(out))
            )
        )
        runner.start()
        time.sleep(3)
        assert not done and emu.control.stats()["requests"] == {}, "it read while the watermark was held"
    runner.join(timeout=120)
    assert [row.profiles_read for row in done[0].occurrences] == [2, 2]
