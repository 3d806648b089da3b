"""The series model, its plan and its diff: pure, so every convergence rule is checked alone."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from kaltura_events.api.models import Event
from kaltura_events.planning.labels import SPEC_LABEL_PREFIX
from kaltura_events.planning.series import AllHandsSeries
from kaltura_events.planning.series_diff import diff, missing_sessions
from kaltura_events.planning.series_plan import horizon, plan
from tests.specs import weekly_all_hands

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def series(**overrides: Any) -> AllHandsSeries:
    return AllHandsSeries.model_validate(weekly_all_hands(**overrides))


def as_event(item: Any, event_id: int, labels: list[str] | None = None) -> Event:
    return Event(
        id=event_id,
        name=item.name,
        start_date=item.start_utc,
        end_date=item.end_utc,
        timezone="America/New_York",
        doors_open_date=item.doors_open_utc,
        labels=list(item.labels) if labels is None else labels,
    )


def test_a_year_of_mondays_is_52_occurrences_at_10_local() -> None:
    planned = plan(series(), NOW)
    assert len(planned) == 52
    assert {p.local_start.hour for p in planned} == {10}
    assert {p.start_utc.hour for p in planned} == {14, 15}
    first = planned[0]
    assert first.name == "Company All-Hands 2026-01-05"
    assert first.start_iso == "2026-01-05T15:00:00.000Z"
    assert first.doors_open_iso == "2026-01-05T14:45:00.000Z"
    assert [s.name for s in first.sessions] == ["Keynote", "Q&A"]
    assert "kev-series:all-hands" in first.labels
    assert any(label.startswith(SPEC_LABEL_PREFIX) for label in first.labels)


def test_converged_series_diffs_to_nothing() -> None:
    planned = plan(series(), NOW)
    observed = [as_event(p, i + 1) for i, p in enumerate(planned)]
    changes = diff(planned, observed, series(), NOW)
    assert (len(changes.create), len(changes.finish), len(changes.update), len(changes.unchanged)) == (
        0,
        0,
        0,
        52,
    )


def test_unlabeled_leftover_is_finished_not_recreated() -> None:
    planned = plan(series(), NOW)
    observed = [as_event(planned[0], 1, labels=[])]
    changes = diff(planned, observed, series(), NOW)
    assert len(changes.finish) == 1 and changes.finish[0][1].id == 1
    assert len(changes.create) == 51


def test_drifted_name_is_updated() -> None:
    planned = plan(series(), NOW)
    drifted = as_event(planned[0], 1).model_copy(update={"description": "edited by hand"})
    changes = diff(planned, [drifted], series(), NOW)
    assert [e.id for _, e in changes.update] == [1]


def test_changed_spec_marks_events_unfinished() -> None:
    old = plan(series(), NOW)
    observed = [as_event(p, i + 1) for i, p in enumerate(old)]
    new_spec = series(sessions=[{"name": "Keynote", "type": "LiveWebcast", "duration_minutes": 45}])
    changes = diff(plan(new_spec, NOW), observed, new_spec, NOW)
    assert len(changes.finish) == 52


def test_prune_takes_only_future_series_events_the_rule_no_longer_yields() -> None:
    planned = plan(series(), NOW)
    observed = [as_event(p, i + 1) for i, p in enumerate(planned)]
    biweekly = series(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", prune=True, starts_on="2026-01-05")
    changes = diff(plan(biweekly, NOW), observed, biweekly, NOW)
    assert len(changes.prune) == 26
    assert len(changes.unchanged) + len(changes.update) + len(changes.finish) == 26


def test_missing_sessions_by_name() -> None:
    item = plan(series(), NOW)[0]
    from kaltura_events.api.models import Session

    existing = [Session(id="1_a", name="Keynote", type="LiveWebcast")]
    assert [s.name for s in missing_sessions(item, existing)] == ["Q&A"]


def test_search_fragment_is_the_longest_literal() -> None:
    assert series().search_fragment() == "Company All-Hands"
    assert series(name="{date:%Y-%m-%d}").search_fragment() is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"rrule": "garbage"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;COUNT=0"}, "rrule"),
        ({"horizon_days": 3 * 365}, "horizon_days"),
        ({"template_id": None}, "template_id"),
        ({"source_event_id": 5}, "template_id"),
        (
            {
                "sessions": [
                    {"name": "Long", "type": "LiveWebcast", "offset_minutes": 50, "duration_minutes": 30}
                ]
            },
            "sessions",
        ),
        ({"sessions": [{"name": "Rerun", "type": "SimuLive"}]}, "source_entry_id"),
        ({"sessions": [{"name": "W", "type": "Webinar"}]}, "type"),
        ({"name": "All-hands {when}"}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"key": "Bad Key!"}, "key"),
        ({"labels": ["kev-series:other"]}, "labels"),
    ],
)
def test_bad_parameters_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        series(**overrides)
    assert field in str(caught.value)


def test_rule_with_no_occurrence_in_horizon_is_refused_before_any_call() -> None:
    from kaltura_events.api.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="rrule"):
        plan(series(until="2025-06-01", starts_on="2025-01-01"), NOW)


# -- the rule's exceptions ---------------------------------------------------------


def dates(planned: list[Any]) -> list[str]:
    return [p.local_start.date().isoformat() for p in planned]


def test_skip_dates_and_holidays_remove_and_extra_dates_add() -> None:
    spec = series(
        horizon_days=28,
        holidays={"country": "US"},
        skip_dates=["2026-01-12"],
        extra_dates=["2026-01-21", "2026-01-05"],
    )
    planned = plan(spec, NOW)
    # 2026-01-19 is Martin Luther King Jr. Day; 2026-01-05 is a Monday already, so it is not doubled.
    assert dates(planned) == ["2026-01-05", "2026-01-21", "2026-01-26"]
    extra = planned[1]
    assert extra.local_start.strftime("%H:%M") == "10:00" and extra.occurrence_label == "kev-occ:2026-01-21"


def test_an_extra_date_on_a_holiday_is_kept_but_a_skipped_one_is_refused() -> None:
    kept = plan(series(horizon_days=28, holidays={"country": "US"}, extra_dates=["2026-01-19"]), NOW)
    assert "2026-01-19" in dates(kept)
    with pytest.raises(ValidationError, match="extra_dates"):
        series(skip_dates=["2026-01-19"], extra_dates=["2026-01-19"])


def test_holiday_subdivision_adds_its_own_days() -> None:
    """Massachusetts keeps Patriots' Day (third Monday of April); the nation does not."""
    national = plan(series(holidays={"country": "US"}), NOW)
    massachusetts = plan(series(holidays={"country": "US", "subdivision": "MA"}), NOW)
    assert set(dates(national)) - set(dates(massachusetts)) == {"2026-04-20"}


def test_extra_date_keeps_local_time_across_dst() -> None:
    """The Sunday of the March change: 10:00 EDT is 14:00 UTC, under the rule's own DST rule."""
    planned = plan(series(horizon_days=90, extra_dates=["2026-03-08"]), NOW)
    extra = next(p for p in planned if p.original_date and p.original_date.isoformat() == "2026-03-08")
    assert extra.start_iso == "2026-03-08T14:00:00.000Z"


def test_overrides_move_retime_rename_and_cancel_one_occurrence_each() -> None:
    spec = series(
        horizon_days=28,
        overrides={
            "2026-01-05": {"date": "2026-01-07", "name": "Moved {date:%a %d}"},
            "2026-01-12": {"start_time": "15:30", "duration_minutes": 90, "description": "Longer"},
            "2026-01-19": {"cancelled": True},
        },
    )
    planned = {p.original_date.isoformat(): p for p in plan(spec, NOW) if p.original_date}
    assert sorted(planned) == ["2026-01-05", "2026-01-12", "2026-01-26"]
    moved, retimed = planned["2026-01-05"], planned["2026-01-12"]
    assert moved.name == "Moved Wed 07" and moved.local_start.isoformat() == "2026-01-07T10:00:00-05:00"
    assert moved.occurrence_label == "kev-occ:2026-01-05" and "kev-occ:2026-01-05" in moved.labels
    assert retimed.local_start.strftime("%H:%M") == "15:30"
    assert (retimed.end_utc - retimed.start_utc).total_seconds() == 90 * 60
    assert retimed.description == "Longer" and planned["2026-01-26"].description == ""
    assert retimed.sessions[0].start_utc == retimed.start_utc


def test_an_occurrence_moved_across_the_horizon_edge_follows_its_final_start() -> None:
    """The flow observes only the horizon, so the plan holds what starts in it after the move."""
    inside = plan(series(horizon_days=28, overrides={"2026-02-02": {"date": "2026-01-28"}}), NOW)
    assert "2026-01-28" in dates(inside)
    outside = plan(series(horizon_days=28, overrides={"2026-01-26": {"date": "2026-02-04"}}), NOW)
    assert dates(outside) == ["2026-01-05", "2026-01-12", "2026-01-19"]


def test_an_override_outside_the_horizon_waits_its_turn() -> None:
    planned = plan(series(horizon_days=28, overrides={"2026-06-08": {"name": "June"}}), NOW)
    assert len(planned) == 4


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"2026-01-06": {"name": "Tue"}}, "is not an occurrence"),
        ({"2026-01-05": {"date": "2026-01-12"}}, "two occurrences would start"),
    ],
)
def test_override_mistakes_inside_the_horizon_are_refused(overrides: dict[str, Any], match: str) -> None:
    from kaltura_events.api.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match=match):
        plan(series(horizon_days=28, overrides=overrides), NOW)


def test_an_override_of_a_holiday_is_refused() -> None:
    from kaltura_events.api.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="original_date"):
        plan(
            series(horizon_days=28, holidays={"country": "US"}, overrides={"2026-01-19": {"name": "x"}}), NOW
        )


# -- identity and the diff -----------------------------------------------------------


def test_a_moved_occurrence_is_matched_by_its_label_not_its_name_or_start() -> None:
    before = plan(series(horizon_days=28), NOW)
    observed = [as_event(p, i + 1) for i, p in enumerate(before)]
    moved_spec = series(horizon_days=28, overrides={"2026-01-12": {"date": "2026-01-13", "name": "Tuesday"}})
    changes = diff(plan(moved_spec, NOW), observed, moved_spec, NOW)
    assert [(item.name, event.id) for item, event in changes.finish] == [("Tuesday", 2)]
    assert not changes.create and not changes.prune and len(changes.unchanged) == 3


def test_a_labeled_event_of_a_dropped_date_is_never_adopted_by_name() -> None:
    """2026-01-12 skipped and added back as an extra date the same day: the old event is the same occurrence.

    A different occurrence with the same name (a renamed one) must not take it over.
    """
    before = plan(series(horizon_days=28), NOW)
    observed = [as_event(p, i + 1) for i, p in enumerate(before)]
    renamed = series(
        horizon_days=28,
        skip_dates=["2026-01-12"],
        overrides={"2026-01-19": {"name": "Company All-Hands 2026-01-12"}},
    )
    changes = diff(plan(renamed, NOW), observed, renamed, NOW)
    assert [e.id for e in changes.stale] == [2] and not changes.prune
    assert [event.id for _, event in changes.finish] == [3]


def test_stale_without_prune_and_pruned_with_it() -> None:
    before = plan(series(horizon_days=28), NOW)
    observed = [as_event(p, i + 1) for i, p in enumerate(before)]
    kept = series(horizon_days=28, overrides={"2026-01-19": {"cancelled": True}})
    assert [e.id for e in diff(plan(kept, NOW), observed, kept, NOW).stale] == [3]
    pruned = series(horizon_days=28, overrides={"2026-01-19": {"cancelled": True}}, prune=True)
    changes = diff(plan(pruned, NOW), observed, pruned, NOW)
    assert [e.id for e in changes.prune] == [3] and not changes.stale


def test_a_converged_series_with_overrides_diffs_to_nothing() -> None:
    spec = series(overrides={"2026-03-09": {"start_time": "16:00"}, "2026-05-25": {"cancelled": True}})
    planned = plan(spec, NOW)
    changes = diff(planned, [as_event(p, i + 1) for i, p in enumerate(planned)], spec, NOW)
    assert len(changes.unchanged) == 51 and not (changes.create or changes.finish or changes.update)


def test_the_spec_hash_covers_speakers_and_session_details() -> None:
    def marker(**session: Any) -> str:
        spec = series(
            sessions=[{"name": "Keynote", "type": "LiveWebcast", "duration_minutes": 30, **session}]
        )
        return next(label for label in plan(spec, NOW)[0].labels if label.startswith(SPEC_LABEL_PREFIX))

    jane = {"email": "jane@example.com", "first_name": "Jane", "last_name": "Doe"}
    base = marker()
    with_jane = marker(speakers=[jane])
    assert len({base, with_jane, marker(speakers=[{**jane, "role": "advancedSpeaker"}])}) == 3
    assert marker(speakers=[{**jane, "order": 2}]) != with_jane
    assert marker(visibility="unlisted") != base and marker(description="Live") != base


# -- speakers ------------------------------------------------------------------------


def test_speaker_changes_add_update_and_remove_in_batches_of_10() -> None:
    from kaltura_events.planning.speakers import SessionParticipant, SpeakerSpec, speaker_changes

    wanted = [
        SpeakerSpec(email=f"s{i}@example.com", first_name="S", last_name=str(i), order=i) for i in range(23)
    ]
    on_session = [
        SessionParticipant(id="u0", email="s0@example.com", order=0, session_role="simpleSpeaker"),
        SessionParticipant(id="u1", email="s1@example.com", order=7, session_role="simpleSpeaker"),
        SessionParticipant(id="gone", email="gone@example.com", order=0, session_role="simpleSpeaker"),
    ]
    changes = speaker_changes(wanted, on_session)
    assert [s.email for s in changes.add] == [f"s{i}@example.com" for i in range(2, 23)]
    assert [u.user_id for u in changes.update] == ["u1"] and changes.update[0].order == 1
    assert changes.remove == ["gone"]
    ids = {f"S{i}@example.com": f"new{i}" for i in range(2, 23)}
    batches = changes.add_batches(ids)
    assert [len(b) for b in batches] == [10, 10, 1]
    assert batches[0][0].user_id == "new2" and batches[2][0].user_id == "new22"

    converged = speaker_changes(wanted[:1], [on_session[0]])
    assert converged.empty and converged.add_batches({}) == []


def test_speakers_of_a_session_need_an_id_before_they_are_added() -> None:
    from kaltura_events.api.errors import InvalidArgumentError
    from kaltura_events.planning.speakers import SpeakerSpec, speaker_changes

    changes = speaker_changes([SpeakerSpec(email="a@example.com", first_name="A", last_name="B")], [])
    with pytest.raises(InvalidArgumentError, match=r"a@example\.com"):
        changes.add_batches({})


# -- the team roster -------------------------------------------------------------------


def test_roster_diff_creates_updates_and_deletes_unlisted_only_when_asked() -> None:
    from kaltura_events.api.models import TeamMember
    from kaltura_events.planning.roster import TeamMemberSpec, roster_diff

    roster = [
        TeamMemberSpec(email="a@example.com", role="Admin", first_name="A", last_name="A"),
        TeamMemberSpec(email="b@example.com", role="Organizer", first_name="B", last_name="B"),
        TeamMemberSpec(email="c@example.com", role="ContentManager", first_name="C", last_name="C"),
    ]
    existing = [
        TeamMember(id="1", email="A@example.com", role="Admin", first_name="A", last_name="A"),
        TeamMember(id="2", email="b@example.com", role="Admin", first_name="B", last_name="B"),
        TeamMember(id="9", email="other@example.com", role="Admin", first_name="O", last_name="O"),
    ]
    kept = roster_diff(roster, existing, remove_unlisted=False)
    assert [s.email for s in kept.create] == ["c@example.com"]
    assert [(s.role, m.id) for s, m in kept.update] == [("Organizer", "2")]
    assert [m.id for _, m in kept.unchanged] == ["1"]
    assert [m.id for m in kept.unlisted] == ["9"] and not kept.delete and kept.writes == 2
    removed = roster_diff(roster, existing, remove_unlisted=True)
    assert [m.id for m in removed.delete] == ["9"] and removed.writes == 3


def test_a_pendulum_now_plans_a_series_with_overrides() -> None:
    """The flow's default ``now`` is pendulum's; the override search margin is arithmetic on it."""
    import pendulum

    now = pendulum.now("UTC").astimezone(pendulum.UTC)
    series = AllHandsSeries.model_validate(
        {
            "key": "pendulum-now",
            "name": "All-Hands {date:%Y-%m-%d}",
            "template_id": "tm0000",
            "timezone": "America/New_York",
            "rrule": "FREQ=WEEKLY;BYDAY=MO",
            "horizon_days": 60,
            "holidays": {"country": "US"},
            "overrides": [{"original_date": "2001-01-01", "cancelled": True}],
        }
    )
    planned = plan(series, now)
    assert planned and all(p.start_utc.tzinfo is not None for p in planned)
    assert planned[0].start_utc >= horizon(series, now).start
