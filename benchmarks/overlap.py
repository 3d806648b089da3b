"""O1: a short run beside a long one, under one ``kaltura-api`` limit of 8 (issue 26).

A1's 6,000 invites run (L = 50 ms, ``max_api_in_flight=8``, the ``kaltura-api``
global concurrency limit created on the benchmark's Prefect server with 8
slots, as ``kaltura-events limits create`` makes it). Once A1 is at work (its
first invites answered, every slot of the limit held), the watcher
(flows/watch_events.py) starts beside it. Measured, from the emulator's own
counters, not from the flows' reports:

1. the watcher's time from its call to its first request answered by the
   emulator (its one ``events/list``: A1 sends none once its invites have
   begun), goal 5 s, ratio = time / 5 s. The emulator counts a request per
   endpoint when it answers it, so this includes the request's own L; the
   counters are sampled every 25 ms;
2. A1's run time with the watcher beside it, ratio to A1's ``calls·L/8``,
   goal 1.25;
3. the most requests the emulator answered at once over both runs: at most 8.

For the breakdown, the same watcher alone (no other run) and A1 alone with
the limit are measured in every round; the ``kaltura-api`` and
``kaltura-api-runs`` limits are sampled every 100 ms while the watcher runs
(when it was counted among the runs, when A1 gave slots back), the
watcher's "All 8 kaltura-api slots are in use" log line is timed, and so are
its calls to its Variable lock, to Prefect's ``concurrency()`` inside it, to
``run_api_limit`` and to the list task (``_marks``). Just before each call,
one lease taken and handed back by a plain sync client shows how fast the
Prefect server answers at that moment. A watcher run that fails (its
Variable lock not granted within 60 s) is recorded, not raised.

Run alone with ``python -m benchmarks.overlap``; ``overlap_scenarios`` takes
the shared ``Bench`` of ``make bench``.
"""

from __future__ import annotations

import logging
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.standalone import run_alone

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.states import State

    from benchmarks.scenarios import Bench, ScenarioResult, Timing

LATENCY_MS = 50.0
WATCH_GOAL_SECONDS = 5.0
A1_GOAL_RATIO = 1.25
START_AFTER_INVITES = 200
"""The watcher starts once the emulator has answered this many of A1's invites (about 1.3 s of them)."""
SAMPLE_SECONDS = 0.025
LIMITS_EVERY = 4
"""The Prefect limits are read every 4 sample periods (100 ms), in a thread of their own: each
read is a request to the server. A limits sample's time is when the server's answer came back."""
WATCH_LIMIT_SECONDS = 120.0
API_LIMIT = "kaltura-api"
RUNS_LIMIT = "kaltura-api-runs"
WATCHER_THREAD = "o1-watcher"
WATCHER_LOCK = "kaltura-variable-kaltura-watch-default"
PROBE_LIMIT = "o1-probe"
"""The default watcher's Variable lock: a run holds it from before its list until after its report."""


@dataclass(frozen=True)
class Sample:
    at: float
    """``time.time()`` when the sample came back."""
    lists: int
    """``events/list`` requests the emulator has answered (-1: a sample of the limits only)."""
    in_flight: int
    api_slots: int | None = None
    """Active slots of ``kaltura-api`` (None: not read in this sample)."""
    runs: int | None = None
    """Active slots of ``kaltura-api-runs``: the runs at work."""
    lock: int | None = None
    """Active slots of the watcher's Variable lock (flows/series_lock.py ``variable_lock``)."""


@dataclass
class WatchRun:
    """One watcher run, its times from its call (seconds, wall clock of this machine)."""

    called: float
    probe: float
    """Seconds for one lease taken and given back by a sync client just before the call."""
    first_answer: float | None = None
    running: float | None = None
    counted: float | None = None
    """When ``kaltura-api-runs`` first showed one more run than before the call."""
    waiting_logged: float | None = None
    """When the watcher logged that every ``kaltura-api`` slot was in use (None: it never waited)."""
    shrunk: float | None = None
    """When ``kaltura-api`` first showed fewer slots held than before the call (A1 giving back)."""
    returned: float | None = None
    marks: dict[str, float] = field(default_factory=dict)
    """When the watcher called and got its Variable's lock, its API limit and its list (``_marks``)."""
    cpu: float = 0.0
    failed: str | None = None
    """The flow run's final state and message when it did not complete."""
    flow_run_id: Any = None
    samples: list[Sample] = field(default_factory=list)

    def after(self, moment: float | None) -> float | None:
        return None if moment is None else moment - self.called

    def breakdown(self) -> str:
        def shown(label: str, moment: float | None) -> str:
            seconds = self.after(moment)
            return f"{label} {'-' if seconds is None else f'{seconds:.2f} s'}"

        moments = [
            ("Running", self.running),
            ("lock asked", self.marks.get("one_writer called")),
            ("Prefect concurrency() called", self.marks.get("concurrency called")),
            ("concurrency() granted", self.marks.get("concurrency entered")),
            ("lock held", self.marks.get("one_writer entered")),
            ("run_api_limit called", self.marks.get("run_api_limit called")),
            ("counted in kaltura-api-runs", self.counted),
            ("'all slots in use' logged", self.waiting_logged),
            ("kaltura-api below its count at the call", self.shrunk),
            ("run_api_limit entered", self.marks.get("run_api_limit entered")),
            ("list task called", self.marks.get("list_events called")),
            ("first events/list answered", self.first_answer),
            ("flow call returned", self.returned),
        ]
        held = self.samples[0].lock if self.samples else None
        failed = "" if self.failed is None else f"; the run ended {self.failed}"
        return (
            f"a lease taken and given back in {self.probe:.2f} s just before; "
            f"its Variable lock had {'?' if held is None else held} slot(s) held at the call; "
            + "; ".join(shown(label, moment) for label, moment in moments)
            + failed
        )


class _WaitLog(logging.Handler):
    """Times the watcher's "All N kaltura-api slots are in use: waiting for one" line (tasks/api_limit.py)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.at: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        mine = record.threadName == WATCHER_THREAD
        if self.at is None and mine and "waiting for one" in record.getMessage():
            self.at = record.created


@contextmanager
def _marks(marks: dict[str, float]) -> Iterator[None]:
    """Timestamp, in the watcher's thread only, its calls to ``one_writer``, ``run_api_limit`` and
    ``list_events``, and the lock's call to Prefect's ``concurrency`` (wrapping the names
    flows/watch_events.py and flows/series_lock.py look up; nothing else changes)."""
    import flows.watch_events as module

    def mine() -> bool:
        return threading.current_thread().name == WATCHER_THREAD

    def context(name: str, original: Callable[..., AbstractContextManager[Any]]) -> Callable[..., Any]:
        @contextmanager
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            if mine():
                marks.setdefault(f"{name} called", time.time())
            with original(*args, **kwargs) as value:
                if mine():
                    marks.setdefault(f"{name} entered", time.time())
                yield value

        return wrapper

    def call(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if mine():
                marks.setdefault(f"{name} called", time.time())
            return original(*args, **kwargs)

        return wrapper

    import flows.series_lock as lock_module

    originals = {name: getattr(module, name) for name in ("one_writer", "run_api_limit", "list_events")}
    prefect_concurrency = lock_module.concurrency
    module.one_writer = context("one_writer", originals["one_writer"])
    module.run_api_limit = context("run_api_limit", originals["run_api_limit"])
    module.list_events = call("list_events", originals["list_events"])  # type: ignore[assignment]
    lock_module.concurrency = context("concurrency", prefect_concurrency)
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(module, name, original)
        lock_module.concurrency = prefect_concurrency


def create_probe_limit() -> None:
    """Made once per scenario: a create per sample made the server log a UNIQUE-constraint error
    each time, which read like two runs racing to create a series lock."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client, suppress(ObjectAlreadyExists):
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=PROBE_LIMIT, limit=1))


def probe_round_trip(client: SyncPrefectClient) -> float:
    """Seconds for one lease of ``o1-probe`` taken and handed back by a sync client in this thread:
    the Prefect server's own speed at the moment, without Prefect's acquisition service."""
    from uuid import UUID

    began = time.perf_counter()
    response = client.increment_concurrency_slots_with_lease(
        names=[PROBE_LIMIT], slots=1, mode="concurrency", lease_duration=60
    )
    client.release_concurrency_slots_with_lease(UUID(response.json()["lease_id"]))
    return time.perf_counter() - began


def _sample(bench: Bench, client: SyncPrefectClient | None) -> Sample:
    stats = bench.emu.control.stats()
    lists = sum(stats["requests"].get("events/list", {}).values())
    api_slots = runs = lock = None
    if client is not None:
        api_slots, runs, lock = _limits(client)
    return Sample(time.time(), lists, int(stats["in_flight"]), api_slots, runs, lock)


def _limits(client: SyncPrefectClient) -> tuple[int | None, int, int]:
    """Active slots of ``kaltura-api`` (None without it), ``kaltura-api-runs`` and the watcher's lock."""
    limits = {limit.name: limit.active_slots for limit in client.read_global_concurrency_limits(limit=50)}
    return limits.get(API_LIMIT), limits.get(RUNS_LIMIT, 0), limits.get(WATCHER_LOCK, 0)


def watch_beside(bench: Bench, labels: list[str]) -> WatchRun:
    """Start the watcher in a thread of this process; sample the emulator and the limits until it returns."""
    from prefect.client.orchestration import get_client

    from flows.watch_events import watch_events

    limit_logger = logging.getLogger("prefect.kaltura_events.tasks")
    wait_log = _WaitLog()
    level = limit_logger.level
    limit_logger.addHandler(wait_log)
    limit_logger.setLevel(logging.INFO)
    outcome: dict[str, Any] = {}
    with get_client(sync_client=True) as client, ExitStack() as stack:
        probe = probe_round_trip(client)
        before = _sample(bench, client)
        run = WatchRun(called=time.time(), probe=probe)
        run.samples.append(before)

        def watch() -> None:
            cpu0 = time.thread_time()
            try:
                outcome["state"] = watch_events(
                    labels=labels, credentials=bench.credentials, max_api_in_flight=8, return_state=True
                )
            except BaseException as exc:  # reported below, in the benchmark's own thread
                outcome["error"] = exc
            finally:
                run.returned = time.time()
                run.cpu = time.thread_time() - cpu0

        thread = threading.Thread(target=watch, name=WATCHER_THREAD, daemon=True)
        # The limits are read in a thread of their own: a slow Prefect server must not hold up the
        # emulator's samples, which time the first request.
        stop = threading.Event()
        limits: list[Sample] = []

        def read_limits() -> None:
            with get_client(sync_client=True) as own:
                while not stop.wait(SAMPLE_SECONDS * LIMITS_EVERY):
                    api_slots, runs, lock = _limits(own)
                    limits.append(Sample(time.time(), -1, -1, api_slots, runs, lock))

        reader = threading.Thread(target=read_limits, name="o1-limits", daemon=True)
        try:
            stack.enter_context(_marks(run.marks))
            reader.start()
            thread.start()
            while thread.is_alive() or run.first_answer is None:
                sample = _sample(bench, None)
                run.samples.append(sample)
                if run.first_answer is None and sample.lists > before.lists:
                    run.first_answer = sample.at
                if time.time() - run.called > WATCH_LIMIT_SECONDS or (
                    not thread.is_alive() and run.first_answer is None and sample.at > (run.returned or 0) + 1
                ):
                    break
                time.sleep(SAMPLE_SECONDS)
            thread.join(WATCH_LIMIT_SECONDS)
        finally:
            stop.set()
            reader.join()
            limit_logger.removeHandler(wait_log)
            limit_logger.setLevel(level)
    if "error" in outcome:
        raise RuntimeError(f"the watcher failed: {outcome['error']!r}") from outcome["error"]
    state: State[Any] = outcome["state"]
    if not state.is_completed():
        # Recorded, not raised: a watcher that never got its turn is a result of the benchmark.
        run.failed = f"{state.type.value}: {state.message}"
    run.waiting_logged = wait_log.at
    for sample in limits:
        if sample.runs is not None and run.counted is None and sample.runs > (before.runs or 0):
            run.counted = sample.at
        if sample.api_slots is not None and before.api_slots is not None and run.shrunk is None:
            run.shrunk = sample.at if sample.api_slots < before.api_slots else None
    run.flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(run.flow_run_id)
    run.running = None if flow_run.start_time is None else flow_run.start_time.timestamp()
    return run


def _watch_timing(run: WatchRun) -> Timing:
    from benchmarks.scenarios import Timing

    first = run.after(run.first_answer)
    returned = run.after(run.returned)
    return Timing(run=float("inf") if first is None else first, call=returned or 0.0, cpu=run.cpu)


SERVER_LOG_SHOWN = 40
"""A slow round prints this many of the Prefect server's last log lines from that round."""
LOCKED = "database is locked"


def server_log_note(lines: Sequence[str]) -> str:
    """What the Prefect server logged during a slow round, in one note: its SQLite lock errors first.

    The server logs warnings and errors only; a "database is locked" record is a
    write SQLite refused, which the server answers with 503 and the client retries.
    """
    if not lines:
        return "the Prefect server logged nothing during it"
    locked = sum(LOCKED in line for line in lines)
    last = next((line.strip() for line in reversed(lines) if line.strip()), "")
    return (
        f"the Prefect server logged {len(lines)} line(s) during it, {locked} naming '{LOCKED}'; "
        f"the last: {last[:200]}"
    )


def overlap_scenarios(bench: Bench, workdir: Path) -> tuple[ScenarioResult, ...]:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from benchmarks.audience import OCCURRENCES, PEOPLE, series, write_people
    from benchmarks.bounds import concurrent_bound
    from benchmarks.report import load_average
    from benchmarks.scenarios import CONCURRENCY, NOW, ScenarioResult, Timing, calls_by_endpoint
    from flows.schedule_all_hands import schedule_all_hands
    from kaltura_events.credentials import ensure_api_limit

    path = workdir / "all-employees.csv"
    labels = ["kev-series:bench-audience"]
    invites = PEOPLE * OCCURRENCES

    def a1() -> Any:
        return schedule_all_hands(
            series=series(path),
            credentials=bench.credentials,
            max_api_in_flight=CONCURRENCY,
            now=NOW,
            return_state=True,
        )

    beside = ScenarioResult(
        "O1",
        f"A1 ({invites:,} invites) with the watcher started beside it, "
        f"under a kaltura-api limit of {CONCURRENCY}",
        goal=f"ratio ≤ {A1_GOAL_RATIO}; at most {CONCURRENCY} requests at the emulator at once",
    )
    watcher = ScenarioResult(
        "O1 watcher",
        "the watcher's call to its first request answered by the emulator, beside A1",
        goal=f"every run ≤ {WATCH_GOAL_SECONDS:g} s",
        bound=WATCH_GOAL_SECONDS,
        bound_formula=f"the goal, {WATCH_GOAL_SECONDS:g} s",
    )
    alone = ScenarioResult(
        "O1 A1 alone",
        f"A1 alone under the kaltura-api limit of {CONCURRENCY} (reference)",
        goal="- (reference for O1)",
    )
    watcher_alone = ScenarioResult(
        "O1 watcher alone",
        "the watcher alone, call to first request answered (reference for O1 watcher)",
        goal="- (reference for O1 watcher)",
        bound=WATCH_GOAL_SECONDS,
        bound_formula=f"the goal, {WATCH_GOAL_SECONDS:g} s",
    )
    ok = True
    failures = 0
    max_in_flight: list[int] = []
    a1_calls = 0
    created = ensure_api_limit(CONCURRENCY)
    try:
        create_probe_limit()
        for round_ in range(1, bench.repeats + 1):
            load = load_average()
            # The watcher alone: its own cost (flow start, its lock, its Variable, the list), no other run.
            bench.emu.control.reset()
            run = watch_beside(bench, labels)
            watcher_alone.timings.append(_watch_timing(run))
            watcher_alone.calls = calls_by_endpoint(bench.emu.control.stats())
            watcher_alone.notes.append(f"round {round_}: {run.breakdown()}")
            bench.settle(run.flow_run_id)

            # A1 alone under the limit.
            bench.emu.control.reset()
            write_people(path, range(PEOPLE))
            alone.timings.append(bench.timed(a1, settle_limit=120.0))
            alone.calls = calls_by_endpoint(bench.emu.control.stats())
            ok = ok and _invited_once(bench, invites)

            # A1 with the watcher started beside it once A1 is at work.
            bench.emu.control.reset()
            write_people(path, range(PEOPLE))
            a1_outcome: dict[str, Any] = {}

            def run_a1(outcome: dict[str, Any] = a1_outcome) -> None:
                cpu0, wall0 = time.process_time(), time.perf_counter()
                try:
                    outcome["state"] = a1()
                except BaseException as exc:  # reported below
                    outcome["error"] = exc
                outcome["call"] = time.perf_counter() - wall0
                outcome["cpu"] = time.process_time() - cpu0

            log_mark = bench.server_log_size()
            a1_began = time.time()
            a1_thread = threading.Thread(target=run_a1, name="o1-a1", daemon=True)
            a1_thread.start()
            answered = _wait_for_invites(bench, START_AFTER_INVITES, a1_thread)
            started_after = time.time() - a1_began
            run = watch_beside(bench, labels)
            a1_thread.join()
            if "error" in a1_outcome:
                raise RuntimeError(f"A1 failed: {a1_outcome['error']!r}") from a1_outcome["error"]
            state = a1_outcome["state"]
            if not state.is_completed():
                raise RuntimeError(f"A1's flow run ended {state.type.value}: {state.message}")
            stats = bench.emu.control.stats()
            max_in_flight.append(int(stats["max_in_flight"]))
            a1_id = state.state_details.flow_run_id
            beside.timings.append(
                Timing(run=bench.run_seconds(a1_id), call=a1_outcome["call"], cpu=a1_outcome["cpu"])
            )
            watcher.timings.append(_watch_timing(run))
            failures += run.failed is not None
            calls = calls_by_endpoint(stats)
            watcher_lists = run.samples[-1].lists - run.samples[0].lists
            beside.calls = calls
            watcher.calls = {"events/list": watcher_lists}
            a1_calls = sum(calls.values()) - watcher_lists
            ok = ok and _invited_once(bench, invites)
            held = run.samples[0].api_slots
            watcher.notes.append(
                f"round {round_} (load {load}): started {started_after:.1f} s into A1, after "
                f"{answered} invites answered, with {held} kaltura-api slots held and "
                f"{run.samples[0].runs} run(s) counted; {run.breakdown()}"
            )
            if (first := _watch_timing(run).run) > WATCH_GOAL_SECONDS:
                watcher.notes.append(f"round {round_}: {server_log_note(bench.server_log_since(log_mark))}")
                for line in bench.server_log_since(log_mark)[-SERVER_LOG_SHOWN:]:
                    print(f"   server ({first:.2f} s round {round_}): {line}", flush=True)
            bench.settle(run.flow_run_id)
            bench.settle(a1_id, limit_seconds=120.0)
    finally:
        with get_client(sync_client=True) as client:
            for name in (API_LIMIT, PROBE_LIMIT) if created == "created" else (PROBE_LIMIT,):
                with suppress(ObjectNotFound):
                    client.delete_global_concurrency_limit_by_name(name)
    for result in (beside, alone):
        result.bound = concurrent_bound(a1_calls, bench.latency, CONCURRENCY)
        result.bound_formula = f"max(2·L, {a1_calls} calls·L/{CONCURRENCY}) (A1's calls)"
    beside.notes.append(
        f"the emulator answered at most {max(max_in_flight, default=0)} requests at once over both runs "
        f"(per round: {', '.join(map(str, max_in_flight))}); every person invited exactly once: "
        f"{'yes' if ok else 'NO'}"
    )
    beside.notes.append(
        "its calls include the watcher's events/list; the bound counts A1's own calls; CPU is this "
        "process's, the watcher's included"
    )
    firsts = [t.run for t in watcher.timings]
    watcher.notes.append(
        "time = the watcher's flow call to the emulator's answer to its first request (the answer, so "
        "it includes that request's own L); the emulator's counters sampled every "
        f"{SAMPLE_SECONDS * 1000:.0f} ms, the Prefect limits every "
        f"{SAMPLE_SECONDS * LIMITS_EVERY * 1000:.0f} ms"
    )
    beside.met = (
        ok and (beside.ratio_median() or 0) <= A1_GOAL_RATIO and max(max_in_flight, default=0) <= CONCURRENCY
    )
    watcher.met = bool(firsts) and max(firsts) <= WATCH_GOAL_SECONDS and not failures
    if firsts:
        watcher.notes.append(
            f"median {statistics.median(firsts):.2f} s, worst {max(firsts):.2f} s, "
            f"goal {WATCH_GOAL_SECONDS:g} s"
        )
    return beside, watcher, alone, watcher_alone


def _wait_for_invites(bench: Bench, count: int, a1: threading.Thread, limit_seconds: float = 120.0) -> int:
    """Wait until the emulator has answered ``count`` invites (A1 is at work); returns how many."""
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline and a1.is_alive():
        answered = sum(bench.emu.control.stats()["requests"].get("event-users/invite", {}).values())
        if answered >= count:
            return answered
        time.sleep(SAMPLE_SECONDS)
    raise RuntimeError(f"A1 did not reach {count} invites")


def _invited_once(bench: Bench, invites: int) -> bool:
    users = bench.emu.control.state()["eventUsers"]
    once = all(u["invitations"] == 1 for event in users.values() for u in event)
    return once and sum(len(event) for event in users.values()) == invites


def main(argv: Sequence[str] | None = None) -> int:
    scenarios: Callable[[Bench, Path], Sequence[ScenarioResult]] = overlap_scenarios
    return run_alone(scenarios, __doc__ or "", argv, LATENCY_MS)


if __name__ == "__main__":
    sys.exit(main())
