"""The five benchmark scenarios, each run as real Prefect flow runs against the emulator.

Imports Prefect: ``benchmarks.run`` imports this module only after it has
pointed ``PREFECT_*`` at the server it started, because Prefect reads its
settings once, at import.

What is timed is the flow run itself: the Running -> Completed interval the
engine reports to the Prefect API (``flow_run.start_time``/``end_time``).
Creating the flow run and tearing it down are timed too (the wall time of the
call), but shown apart, as is server start.
"""

from __future__ import annotations

import concurrent.futures
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from datetime import time as wall_time
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.states import State

from benchmarks import pinning
from benchmarks.bounds import SeriesCalls, concurrent_bound, ratio, teardown_bound
from benchmarks.memory import peak_memory
from benchmarks.profile import profile_run
from benchmarks.sequential import SequentialResult, round_trip, run_sequential, run_threads
from flows.duplicate_event import DuplicateSpec, duplicate_event
from flows.duplication import PollSettings
from flows.schedule_all_hands import schedule_all_hands
from flows.teardown_events import teardown_events
from kaltura_events.api.ks import ADMIN, build_ks_v2
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.config import DEFAULT_USER_ID
from kaltura_events.emulator.server import EmulatorProcess
from kaltura_events.planning.series import AllHandsSeries, SessionSpec
from kaltura_events.planning.series_plan import horizon, plan

LATENCY_MS = 50.0
CONCURRENCY = 8
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
"""A Tuesday: the 364 days after it hold exactly 52 Mondays."""
UNRELATED_EVENTS = 10_000
TEARDOWN_EVENTS = 100
DUPLICATE_SECONDS = 7.0
RERUN_GOAL = "4 list calls in 2 round trips, 0 writes; ratio ≤ 1.3"
SCALE_DAYS = 730
"""P6: a daily series over two years (the longest horizon a series allows)."""


def bench_series(
    key: str = "bench-all-hands", rrule: str = "FREQ=WEEKLY;BYDAY=MO", horizon_days: int = 364
) -> AllHandsSeries:
    """P1's series by default: 52 weekly occurrences from the blank template, two sessions each."""
    return AllHandsSeries(
        key=key,
        name="Company All-Hands {date:%Y-%m-%d}",
        template_id="tm0000",
        timezone="America/New_York",
        rrule=rrule,
        start_time=wall_time(10, 0),
        duration_minutes=60,
        doors_open_minutes=15,
        horizon_days=horizon_days,
        sessions=[
            SessionSpec(name="Keynote", type="LiveWebcast", offset_minutes=0, duration_minutes=30),
            SessionSpec(name="Q&A", type="MeetingEntry", offset_minutes=30, duration_minutes=30),
        ],
    )


@dataclass(frozen=True)
class Timing:
    """One timed flow run: the run itself, the whole call around it, and this process's CPU."""

    run: float
    call: float
    cpu: float


@dataclass
class ScenarioResult:
    key: str
    title: str
    timings: list[Timing] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    bound: float | None = None
    bound_formula: str = ""
    goal: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    peak_mib: float | None = None
    """The flow process's peak resident memory during the run, where measured (P6)."""

    @property
    def best(self) -> float:
        return min(t.run for t in self.timings)

    @property
    def median(self) -> float:
        return statistics.median(t.run for t in self.timings)

    @property
    def median_call(self) -> float:
        return statistics.median(t.call for t in self.timings)

    @property
    def median_cpu(self) -> float:
        return statistics.median(t.cpu for t in self.timings)

    def ratio_best(self) -> float | None:
        return None if self.bound is None else ratio(self.best, self.bound)

    def ratio_median(self) -> float | None:
        return None if self.bound is None else ratio(self.median, self.bound)


def calls_by_endpoint(stats: dict[str, Any]) -> dict[str, int]:
    """The emulator's per-endpoint counts, summed over response statuses."""
    return {endpoint: sum(counts.values()) for endpoint, counts in sorted(stats["requests"].items())}


def list_calls(calls: dict[str, int]) -> int:
    return sum(n for endpoint, n in calls.items() if endpoint.endswith("list"))


def write_calls(stats: dict[str, Any]) -> int:
    return int(stats["write_requests"])


def emulator_occupancy(stats: dict[str, Any]) -> tuple[float, float]:
    """(mean requests the emulator was answering at once, its mean time per request in seconds).

    A client allowed 8 in flight that keeps fewer than 8 at the emulator spends
    the difference on its own side: building, parsing, waiting for its GIL.
    """
    busy, active, total = stats["busy_seconds"], stats["active_seconds"], stats["total_requests"]
    return (busy / active if active else 0.0), (busy / total if total else 0.0)


def round_trips(stats: dict[str, Any]) -> tuple[float, int]:
    """(round trips the calls took, most requests at once), from the emulator's own clock.

    ``calls * active / busy`` is the number of back-to-back round trips that
    would fill the stretch the emulator was answering: 4 pages read one after
    another give 4, a first page and then the other three at once give 2.
    Time the client spends between its requests counts as part of a trip.
    """
    busy, active, total = stats["busy_seconds"], stats["active_seconds"], stats["total_requests"]
    return (total * active / busy if busy else 0.0), int(stats["max_in_flight"])


def occupancy_note(who: str, samples: list[tuple[float, float]]) -> str:
    at_once = statistics.median(s[0] for s in samples)
    per_request = statistics.median(s[1] for s in samples)
    return (
        f"{who}: the emulator was answering {at_once:.2f} requests at once on average "
        f"(of the {CONCURRENCY} allowed), {per_request * 1000:.1f} ms each on its side (medians)"
    )


class Bench:
    """One emulator process and one Prefect server, shared by every scenario of a run."""

    def __init__(
        self, emulator: EmulatorProcess, api_url: str, repeats: int, server_log: Path | None = None
    ) -> None:
        self.emu = emulator
        self.api_url = api_url
        self.repeats = repeats
        self.server_log = server_log
        """The Prefect server's own log (warnings and errors): where a slow round shows its 503s."""
        self.latency = LATENCY_MS / 1000.0
        self.credentials = KalturaCredentials.from_env(emulator.exports)
        self.series = bench_series()
        self.planned = plan(self.series, NOW)
        if len(self.planned) != 52:
            raise RuntimeError(f"the benchmark series plans {len(self.planned)} occurrences, not 52")
        self.last_profile_target: Callable[[], State[Any]] | None = None

    # -- measuring ------------------------------------------------------------

    def server_log_size(self) -> int:
        """Where the server's log ends now: ``server_log_since`` reads what a round added after it."""
        try:
            return self.server_log.stat().st_size if self.server_log is not None else 0
        except OSError:
            return 0

    def server_log_since(self, offset: int) -> list[str]:
        """The server's log lines written since ``offset`` (a ``server_log_size``)."""
        if self.server_log is None:
            return []
        try:
            with self.server_log.open("rb") as log:
                log.seek(offset)
                return log.read().decode(errors="replace").splitlines()
        except OSError:
            return []

    def timed(self, run: Callable[[], State[Any]], settle_limit: float = 30.0) -> Timing:
        """Run one flow; take its Running -> Completed time from the API, then let the server settle."""
        cpu0, wall0 = time.process_time(), time.perf_counter()
        state = run()
        call = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        if not state.is_completed():
            raise RuntimeError(f"benchmark flow run ended {state.type.value}: {state.message}")
        flow_run_id = state.state_details.flow_run_id
        assert flow_run_id is not None
        seconds = self.run_seconds(flow_run_id)
        self.settle(flow_run_id, limit_seconds=settle_limit)
        return Timing(run=seconds, call=call, cpu=cpu)

    def run_seconds(self, flow_run_id: UUID) -> float:
        with get_client(sync_client=True) as client:
            flow_run = client.read_flow_run(flow_run_id)
        if flow_run.start_time is None or flow_run.end_time is None:
            raise RuntimeError(f"flow run {flow_run_id} has no start or end time")
        return (flow_run.end_time - flow_run.start_time).total_seconds()

    def settle(self, flow_run_id: UUID, quiet_seconds: float = 1.0, limit_seconds: float = 30.0) -> None:
        """Wait until the server has recorded the run's task runs, so it is idle for the next run.

        On two cores the server ingesting one run's events would otherwise
        compete for CPU with the next run and add noise to it.
        """
        body = {"flow_runs": {"id": {"any_": [str(flow_run_id)]}}}
        deadline = time.monotonic() + limit_seconds
        last, stable_since = -1, time.monotonic()
        with httpx.Client(base_url=self.api_url, timeout=10.0) as http:
            while time.monotonic() < deadline:
                count = int(http.post("/task_runs/count", json=body).json())
                if count != last:
                    last, stable_since = count, time.monotonic()
                elif time.monotonic() - stable_since >= quiet_seconds:
                    return
                time.sleep(0.2)

    def ks(self) -> str:
        return build_ks_v2(self.emu.admin_secret, self.emu.partner_id, DEFAULT_USER_ID, session_type=ADMIN)

    # -- flows ----------------------------------------------------------------

    def run_series(self, series: AllHandsSeries | None = None) -> State[Any]:
        state: State[Any] = schedule_all_hands(
            series=series or self.series,
            credentials=self.credentials,
            max_api_in_flight=CONCURRENCY,
            now=NOW,
            return_state=True,
        )
        return state

    def check_series(self, series: AllHandsSeries | None = None) -> None:
        """The account holds the series exactly: one event per occurrence, two sessions each."""
        series = series or self.series
        state = self.emu.control.state()
        mine = [e for e in state["events"] if series.series_label in e.get("labels", [])]
        names = sorted(e["name"] for e in mine)
        expected = sorted(p.name for p in plan(series, NOW))
        if names != expected:
            raise RuntimeError(f"the series has {len(names)} events, expected {len(expected)}")
        for event in mine:
            if len(state["sessions"][str(event["id"])]) != 2:
                raise RuntimeError(f"event {event['id']} does not have its two sessions")

    # -- scenarios ------------------------------------------------------------

    def p1_p2_p4(
        self, pin_servers: list[int] | None = None
    ) -> tuple[ScenarioResult, ScenarioResult, ScenarioResult, ScenarioResult | None]:
        """P1, its re-runs P2 and P4, and with ``pin_servers`` P1 again with the servers on their own core.

        The pinned run comes in each round, right after the others, so load
        from other work on the machine hits both alike.
        """
        must = SeriesCalls(occurrences=52, sessions_per_occurrence=2, list_calls=2)
        p1 = ScenarioResult(
            "P1",
            "provision 52 weekly occurrences (blank template, 1 update + 2 sessions each)",
            bound_formula=f"max(2·L, {must.total} calls·L/{CONCURRENCY})",
            goal="ratio ≤ 1.25",
        )
        p1.bound = concurrent_bound(must.total, self.latency, CONCURRENCY)
        pinned: ScenarioResult | None = None
        pinned_occupancy: list[tuple[float, float]] = []
        placement = ""
        if pin_servers is not None and pinning.supported():
            pinned = ScenarioResult(
                "P1 pinned",
                "P1 with the Prefect server and the emulator on one core, the flow process on the other",
                bound_formula=p1.bound_formula,
                goal="ratio ≤ 1.25",
                bound=p1.bound,
            )
        p2 = ScenarioResult("P2", "re-run P1 on the converged series", goal=RERUN_GOAL)
        p4 = ScenarioResult(
            "P4", f"P2 with {UNRELATED_EVENTS:,} unrelated events on the account", goal=RERUN_GOAL
        )
        p2_ok = p4_ok = True
        trips: dict[str, list[tuple[float, int]]] = {"P2": [], "P4": []}
        occupancy: list[tuple[float, float]] = []
        for _ in range(self.repeats):
            self.emu.control.reset()
            p1.timings.append(self.timed(self.run_series))
            stats = self.emu.control.stats()
            occupancy.append(emulator_occupancy(stats))
            p1.calls = calls_by_endpoint(stats)
            if p1.calls != must.by_endpoint():
                p1.notes.append(f"calls differ from the must-make set {must.by_endpoint()}")
            self.check_series()

            self.emu.control.reset_stats()
            p2.timings.append(self.timed(self.run_series))
            stats = self.emu.control.stats()
            p2.calls = calls_by_endpoint(stats)
            trips["P2"].append(round_trips(stats))
            p2_ok = p2_ok and list_calls(p2.calls) == 4 and write_calls(stats) == 0

            window = horizon(self.series, NOW)
            self.emu.control.bulk_events(
                UNRELATED_EVENTS,
                name_prefix="Unrelated webinar",
                start_date=window.start.isoformat(),
                labels=["other-team"],
                interval_minutes=50,
            )
            self.emu.control.reset_stats()
            p4.timings.append(self.timed(self.run_series))
            stats = self.emu.control.stats()
            p4.calls = calls_by_endpoint(stats)
            trips["P4"].append(round_trips(stats))
            p4_ok = p4_ok and list_calls(p4.calls) == 4 and write_calls(stats) == 0
            self.check_series()

            if pinned is not None and pin_servers is not None:
                self.emu.control.reset()
                with pinning.pinned(pin_servers) as placement:
                    pinned.timings.append(self.timed(self.run_series))
                stats = self.emu.control.stats()
                pinned_occupancy.append(emulator_occupancy(stats))
                pinned.calls = calls_by_endpoint(stats)
                self.check_series()
        for scenario, ok in ((p2, p2_ok), (p4, p4_ok)):
            scenario.bound = 2 * self.latency
            scenario.bound_formula = "2·L (the first page, then the other pages at once)"
            median_trips = statistics.median(t for t, _ in trips[scenario.key])
            at_once = max(m for _, m in trips[scenario.key])
            scenario.notes.append(
                f"{list_calls(scenario.calls)} list calls in {median_trips:.1f} round trips (median; "
                f"calls * the emulator's active time / its busy time), at most {at_once} at once"
            )
            scenario.met = ok and median_trips <= 2.5 and (scenario.ratio_median() or 0) <= 1.3
        p1.notes.append(occupancy_note("flow run", occupancy))
        p1.met = (p1.ratio_median() or 0) <= 1.25
        if pinned is not None:
            pinned.notes.append(placement)
            pinned.notes.append(occupancy_note("flow run, pinned", pinned_occupancy))
            pinned.met = (pinned.ratio_median() or 0) <= 1.25
        return p1, p2, p4, pinned

    def p6(self) -> ScenarioResult:
        """A daily series over two years from nothing: the ratio at scale, and the flow's peak memory."""
        series = bench_series("bench-daily", "FREQ=DAILY", SCALE_DAYS)
        must = SeriesCalls(occurrences=len(plan(series, NOW)), sessions_per_occurrence=2, list_calls=2)
        result = ScenarioResult(
            "P6",
            f"provision a daily series over {SCALE_DAYS} days ({must.occurrences} occurrences, "
            f"{must.total} calls)",
            bound_formula=f"max(2·L, {must.total} calls·L/{CONCURRENCY})",
            goal="ratio ≤ 1.25; peak memory < 500 MiB",
        )
        result.bound = concurrent_bound(must.total, self.latency, CONCURRENCY)
        self.emu.control.reset()
        with peak_memory() as memory:
            # The server records ~2,900 task runs after the run; let it finish before anything else.
            result.timings.append(self.timed(lambda: self.run_series(series), settle_limit=300.0))
        stats = self.emu.control.stats()
        result.calls = calls_by_endpoint(stats)
        if result.calls != must.by_endpoint():
            result.notes.append(f"calls differ from the must-make set {must.by_endpoint()}")
        self.check_series(series)
        result.notes.append(
            f"peak resident memory of the flow process (this one) during the run: {memory.peak_mib:.0f} MiB "
            f"({memory.before_mib:.0f} MiB before it; peak over {memory.scope})"
        )
        result.notes.append(occupancy_note("flow run", [emulator_occupancy(stats)]))
        result.peak_mib = memory.peak_mib
        result.met = (result.ratio_median() or 0) <= 1.25 and memory.peak_mib < 500
        return result

    def sequential(self) -> SequentialResult:
        self.emu.control.reset()
        result = run_sequential(
            self.emu.events_api_url,
            self.emu.admin_secret,
            self.emu.partner_id,
            DEFAULT_USER_ID,
            self.series,
            NOW,
        )
        self.check_series()
        return result

    def threads_floor(self) -> tuple[float, tuple[float, float]]:
        """P1 with the flow's dependencies on plain threads (see benchmarks/sequential.py).

        Returns its time and the emulator's occupancy during it.
        """
        self.emu.control.reset()
        seconds = run_threads(
            self.emu.events_api_url,
            self.emu.admin_secret,
            self.emu.partner_id,
            DEFAULT_USER_ID,
            self.series,
            NOW,
            CONCURRENCY,
        )
        occupancy = emulator_occupancy(self.emu.control.stats())
        self.check_series()
        return seconds, occupancy

    def round_trip(self) -> float:
        return round_trip(self.emu.events_api_url, self.ks())

    def _make_events(self, count: int) -> list[int]:
        """``count`` events from the blank template, each with the categories the platform makes."""
        self.emu.control.set_faults([], latency_ms=0)
        try:
            headers = {"Authorization": f"Bearer {self.ks()}"}
            with httpx.Client(base_url=self.emu.events_api_url, headers=headers, timeout=30.0) as http:

                def create(index: int) -> int:
                    start = NOW + timedelta(days=index)
                    response = http.post(
                        "/events/create",
                        json={
                            "name": f"Teardown bench {index:03d}",
                            "templateId": "tm0000",
                            "startDate": start.isoformat(),
                            "endDate": (start + timedelta(hours=1)).isoformat(),
                            "timezone": "UTC",
                        },
                    )
                    response.raise_for_status()
                    return int(response.json()["event"]["id"])

                with concurrent.futures.ThreadPoolExecutor(8) as pool:
                    return sorted(pool.map(create, range(count)))
        finally:
            self.emu.control.set_faults([], latency_ms=LATENCY_MS)

    def p3(self) -> ScenarioResult:
        result = ScenarioResult(
            "P3",
            f"tear down {TEARDOWN_EVENTS} events, each with its default categories",
            goal="ratio ≤ 1.15; list calls ≤ 0.1 per event",
        )
        ok = True
        for _ in range(self.repeats):
            self.emu.control.reset()
            event_ids = self._make_events(TEARDOWN_EVENTS)
            before = len(self.emu.control.state()["categories"])
            self.emu.control.reset_stats()

            run = self._teardown_run(event_ids)
            result.timings.append(self.timed(run))
            stats = self.emu.control.stats()
            result.calls = calls_by_endpoint(stats)
            left = self.emu.control.state()
            if left["events"] or left["categories"]:
                raise RuntimeError(
                    f"teardown left {len(left['events'])} events and {len(left['categories'])} categories"
                )
            category_deletes = result.calls.get("category.delete", 0)
            if category_deletes != before:
                result.notes.append(f"{before} categories existed, {category_deletes} deletes were sent")
            per_event = list_calls(result.calls) / TEARDOWN_EVENTS
            ok = ok and per_event <= 0.1
        category_deletes = result.calls.get("category.delete", 0)
        event_deletes = result.calls.get("events/delete", 0)
        result.bound = teardown_bound(category_deletes, event_deletes, self.latency, CONCURRENCY)
        result.bound_formula = (
            f"{category_deletes} category deletes·L + {event_deletes} event deletes·L/{CONCURRENCY}"
        )
        per_event = list_calls(result.calls) / TEARDOWN_EVENTS
        result.notes.append(f"{per_event:.2f} list calls per event (selector: event_ids)")
        result.met = ok and (result.ratio_median() or 0) <= 1.15
        return result

    def _teardown_run(self, event_ids: list[int]) -> Callable[[], State[Any]]:
        def run() -> State[Any]:
            state: State[Any] = teardown_events(
                selector={"event_ids": event_ids},
                credentials=self.credentials,
                dry_run=False,
                max_events=TEARDOWN_EVENTS,
                max_api_in_flight=CONCURRENCY,
                return_state=True,
            )
            return state

        return run

    def profile(self, key: str, processes: dict[str, int]) -> str:
        """One extra, untimed run of P1 or P3 under the profiler (see benchmarks/profile.py)."""
        self.emu.control.reset()
        run = self.run_series if key == "P1" else self._teardown_run(self._make_events(TEARDOWN_EVENTS))
        return profile_run(run, latency=self.latency, concurrency=CONCURRENCY, other_processes=processes)

    def p5(self) -> tuple[ScenarioResult, float]:
        """One duplication whose job takes 7 s, polled on the default schedule; returns its notice lag."""
        poll = PollSettings(timeout_seconds=300)
        waits = ", ".join(f"{poll.interval(n):g}" for n in range(9))
        result = ScenarioResult(
            "P5",
            f"duplicate an event; the job takes {DUPLICATE_SECONDS:g} s; default poll waits {waits}... s",
            goal="noticed ≤ 2 s after the job ended",
        )
        self.emu.control.reset(duplicate_seconds=DUPLICATE_SECONDS)
        headers = {"Authorization": f"Bearer {self.ks()}"}
        with httpx.Client(base_url=self.emu.events_api_url, headers=headers, timeout=30.0) as http:
            response = http.post(
                "/events/create",
                json={
                    "name": "Template event",
                    "templateId": "tm2000",
                    "startDate": NOW.isoformat(),
                    "endDate": (NOW + timedelta(hours=1)).isoformat(),
                    "timezone": "America/New_York",
                },
            )
            response.raise_for_status()
            source_id = int(response.json()["event"]["id"])
        self.emu.control.reset_stats()
        spec = DuplicateSpec(
            source_event_id=source_id,
            name="Copy of the template event",
            start=datetime(2030, 3, 2, 10, 0),
            timezone="America/New_York",
            duration_minutes=60,
            poll=poll,
        )
        states: list[State[Any]] = []

        def run() -> State[Any]:
            state: State[Any] = duplicate_event(
                spec=spec, credentials=self.credentials, max_api_in_flight=CONCURRENCY, return_state=True
            )
            states.append(state)
            return state

        result.timings.append(self.timed(run))
        result.calls = calls_by_endpoint(self.emu.control.stats())
        flow_run_id = states[0].state_details.flow_run_id
        assert flow_run_id is not None
        jobs = self.emu.control.state()["jobs"]
        job_end = float(jobs[0]["dueAt"])
        noticed = self.noticed_at(flow_run_id)
        lag = noticed - job_end
        result.bound = DUPLICATE_SECONDS + 4 * self.latency
        result.bound_formula = f"{DUPLICATE_SECONDS:g} s job + 4·L (find, duplicate, status, update)"
        polls = result.calls.get("events/duplicateStatus", 0)
        result.notes.append(
            f"the job ended {job_end - self.job_started(jobs[0]):.2f} s after it started; "
            f"the flow noticed {lag:.2f} s after it ended, with {polls} status calls"
        )
        result.met = lag <= 2.0
        return result, lag

    @staticmethod
    def job_started(job: dict[str, Any]) -> float:
        return float(job["startedAt"])

    def noticed_at(self, flow_run_id: UUID, limit_seconds: float = 15.0) -> float:
        """When the status poll that saw ``completed`` ended: the last get-duplicate-status task run."""
        flow_runs = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        deadline = time.monotonic() + limit_seconds
        while True:
            with get_client(sync_client=True) as client:
                runs = client.read_task_runs(flow_run_filter=flow_runs)
            polls = [r for r in runs if r.name.startswith("get-duplicate-status") and r.end_time is not None]
            if polls or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        if not polls:
            raise RuntimeError("no get-duplicate-status task run was recorded")
        last = max(r.end_time for r in polls if r.end_time is not None)
        return last.timestamp()
