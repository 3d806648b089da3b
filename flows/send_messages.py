"""send_messages: every due reminder and follow-up of an events file reaches each person once.

The file is loaded as ``sync_events_file`` loads it (the same path rules and
work root); each series with a ``messages:`` block is a unit, all under the
run's API limit and each series' lock. A unit observes the series' events in
Kaltura (its ``kev-series:`` label, each occurrence by its ``kev-occ:`` label),
asks the pure model which sends are due at this moment, and for each one:

  the event's app (App Registry) -> its templates, converged -> whom the send
  should reach (the event's users, or the app's User Profile statuses), less
  whoever left the unsubscribe group -> whom its session already reached
  (``message/listDiscreteAggregateMessages`` by session) -> one
  ``message/send`` per chunk of the rest.

The session label is the record. There is nothing else to write after a send,
so a run killed between a send and its end leaves nothing half-recorded: the
next run's listing shows whom the send reached. A send that failed
ambiguously (OutcomeUnknownError) is never repeated blind; the session is
listed again, and what it still cannot account for fails that send in one
line, for the next run's listing to decide. The series lock keeps two runs
from listing the same session at once and both sending.

A send is never late: the moment is read from the clock, never from a
parameter, and each chunk checks again that its window is still open. A send
whose window closed before it reached anyone is skipped and reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any, Literal

import pendulum
from prefect import flow
from pydantic import BaseModel, Field

from flows.delivery_report import SendsReport, report_sends
from flows.parameters import ApiInFlight, LockWaitSeconds
from flows.refusals import ends_in_one_line
from flows.reporting import publish
from flows.series_lock import DEFAULT_LOCK_WAIT_SECONDS, one_writer, partner_of, series_lock
from flows.units import in_parallel, run_units
from kaltura_events.api.attendance_models import App
from kaltura_events.api.errors import (
    AuthenticationError,
    InvalidArgumentError,
    KalturaError,
)
from kaltura_events.api.events import EventFilter
from kaltura_events.api.messaging import Token
from kaltura_events.api.models import Event
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.formats.events_file import Target, load_events_file, targets
from kaltura_events.formats.paths import inside, output_folder, shown, work_roots
from kaltura_events.planning.delivery import SendRecord
from kaltura_events.planning.labels import SERIES_LABEL_PREFIX
from kaltura_events.planning.messages import (
    RECIPIENT_TOKEN,
    DueSend,
    OccurrenceTimes,
    SeriesMessages,
    due_sends,
    observed_span,
    recipients,
    user_key,
)
from kaltura_events.planning.series_diff import occurrence_of
from kaltura_events.planning.speakers import batches
from tasks.api_limit import DEFAULT_MAX_IN_FLIGHT, run_api_limit, thread_runner
from tasks.attendance import APPS_PER_CALL, find_event_apps, list_profiles
from tasks.clients import resolve
from tasks.events import list_events
from tasks.message_templates import converge_templates
from tasks.messages import list_session_recipients, list_unsubscribed, send_in_chunks, session_stats
from tasks.speakers import list_event_users

DEFAULT_EVENTS_FILE = "examples/kaltura-events.yaml"
"""The file ``sync_events_file`` converges by default: the one whose sends this run makes."""
RECIPIENTS_PER_SEND = 100
"""Users per ``message/send``. The guide states no maximum; a chunk this size that fails ambiguously
leaves at most this many people for the session listing to account for."""
LINK_GRACE = timedelta(hours=24)
"""How long a join link stays valid after the event ends: the page shows the recording afterwards."""

TemplateIds = Callable[[str, SeriesMessages], Mapping[str, str]]
"""An app's template ids by template key, made to match the file (``converge_templates``)."""

State = Literal["sent", "done", "nobody", "missed", "failed"]
"""``done``: everyone it should reach already had it; ``nobody``: it should reach no one (yet)."""


class SendRow(BaseModel):
    """One send of one occurrence, due or missed at this run."""

    series: str
    occurrence: str
    event_id: int
    send: str
    template: str
    to: str
    due: str
    """When it fell due, on the event's clock: ``2027-01-05 09:30 America/New_York``."""
    session: str
    state: State
    recipients: int = 0
    """Whom it should reach now, those who left the unsubscribe group not counted."""
    sent: int = 0
    already_sent: int = 0
    unsubscribed: int = 0
    bulk_ids: list[str] = Field(default_factory=list)
    note: str = ""


class SendReport(BaseModel):
    file: str
    rows: list[SendRow] = Field(default_factory=list)
    waiting: int = 0
    """Sends of the observed occurrences not due yet."""
    failed: list[str] = Field(default_factory=list)
    waited: str = ""
    delivery: SendsReport | None = None
    """How the sends of this run (and their sessions' earlier sends) were delivered."""

    def totals(self) -> dict[str, int]:
        """People sent to, already reached, left out as unsubscribed; sends skipped (missed) and failed."""
        return {
            "sent": sum(r.sent for r in self.rows),
            "already sent": sum(r.already_sent for r in self.rows),
            "unsubscribed": sum(r.unsubscribed for r in self.rows),
            "skipped (missed)": sum(1 for r in self.rows if r.state == "missed"),
            "failed": sum(1 for r in self.rows if r.state == "failed"),
        }

    def summary(self) -> str:
        t = self.totals()
        waited = f" It {self.waited} first." if self.waited else ""
        return (
            f"{self.file}: {len(self.rows)} send(s) due or missed, {self.waiting} waiting; "
            f"sent to {t['sent']} people, {t['already sent']} already had theirs, "
            f"{t['unsubscribed']} unsubscribed; {t['skipped (missed)']} send(s) skipped (missed), "
            f"{t['failed']} failed.{waited}"
        )

    def table(self) -> list[dict[str, Any]]:
        return [row.model_dump(exclude={"bulk_ids"}) for row in self.rows]

    def delivery_records(self) -> list[SendRecord]:
        """The sends whose sessions a delivery report reads: every one that sent, had sent, or was missed.

        A send that should reach nobody has nothing to report; a failed one
        may still have reached some, so it is read too.
        """
        return [
            SendRecord(
                session=row.session,
                series_key=row.series,
                occurrence=row.occurrence,
                send_name=row.send,
                template=row.template,
                audience=row.recipients + row.unsubscribed,
                unsubscribed=row.unsubscribed,
                skipped=row.state == "missed",
            )
            for row in self.rows
            if row.state != "nobody"
        ]


class SendIncomplete(KalturaError):
    """A due send could not be made in full; the next run's session listing finishes it."""


def _now() -> datetime:
    return pendulum.now("UTC")


def local(moment: datetime, zone: str) -> str:
    return pendulum.instance(moment).in_timezone(zone).format("YYYY-MM-DD HH:mm") + f" {zone}"


def event_page(event: Event) -> str:
    """The event's own site, where a joinLink leads: the Events Platform's ``publicDomain``.

    The spec's example is a bare host (``example.com``), the guide's a URL
    (``https://1234567-5.events.kaltura.com``); both are read.
    """
    domain = (event.public_domain or "").strip().rstrip("/")
    if not domain:
        raise InvalidArgumentError(
            "publicDomain", event.public_domain, f"event {event.id} has no site for a join link"
        )
    return (domain if domain.startswith(("https://", "http://")) else f"https://{domain}") + "/"


def unsubscribe_page(event: Event) -> str:
    """The ``UnsubscribeUri`` token's value: the event site's unsubscribe page (§10.5 names none)."""
    return f"{event_page(event)}unsubscribe"


def tokens_for(event: Event, now: datetime) -> dict[str, Token]:
    """Every token a template may use (``TOKEN_TYPES``), with this occurrence's values.

    The service fills the ones a template defines and ignores the rest, so one
    set serves every template. The join link lasts until a day after the end.
    """
    hours = math.ceil((event.end_date + LINK_GRACE - now).total_seconds() / 3600)
    return {
        RECIPIENT_TOKEN: Token.recipient(),
        "eventName": Token.text(event.name),
        "eventStart": Token.text(local(event.start_date, event.timezone)),
        "joinLink": Token.magic_link(event_page(event), max(hours, 1)),
        "unsubLink": Token.unsubscribe_link(unsubscribe_page(event)),
    }


@dataclass
class _Occurrence:
    """One event's sends and what they share: its app, its templates, its people, read once."""

    credentials: KalturaCredentials
    event: Event
    app: App | None
    messages: SeriesMessages
    templates: TemplateIds
    unsubscribed: frozenset[str]
    _invited: dict[str, str] | None = None
    _statuses: dict[str, str] | None = None
    _ids: dict[str, str] = field(default_factory=dict)
    _template_ids: Mapping[str, str] | None = None

    def app_guid(self) -> str:
        if self.app is None:
            raise KalturaError(f"event {self.event.id} has no app in the App Registry; nothing can be sent")
        return self.app.id

    def template_id(self, key: str) -> str:
        if self._template_ids is None:
            self._template_ids = self.templates(self.app_guid(), self.messages)
        found = self._template_ids.get(key)
        if found is None:
            raise KalturaError(f"template {key!r} was not converged in app {self.app_guid()}")
        return found

    def invited(self) -> set[str]:
        """The event's users by email, the Kaltura user id a send takes (Messaging guide §6.1)."""
        if self._invited is None:
            users = list_event_users(credentials=self.credentials, event_id=self.event.id)
            self._invited = {user_key(u.email): u.email for u in users if u.email}
            self._ids.update(self._invited)
        return set(self._invited)

    def statuses(self) -> dict[str, str]:
        """Each profile's attendance status in the event's app, by user id."""
        if self._statuses is None:
            profiles = list_profiles(
                credentials=self.credentials, event_id=self.event.id, app_guid=self.app_guid()
            )
            self._statuses = {}
            for profile in profiles:
                self._statuses[user_key(profile.user_id)] = profile.attendance_status or "created"
                self._ids.setdefault(user_key(profile.user_id), profile.user_id)
        return dict(self._statuses)

    def wanted(self, due: DueSend) -> tuple[set[str], set[str]]:
        """Whom the send should reach, and who of them left the unsubscribe group (keys of ``user_key``)."""
        to = due.send.to
        invited = self.invited() if to == "invited" else set()
        statuses = self.statuses() if to != "invited" else {}
        everyone = recipients(to, invited, statuses, set())
        return recipients(to, invited, statuses, self.unsubscribed), everyone & self.unsubscribed

    def user_id(self, key: str) -> str:
        return self._ids[key]


def send_one(occurrence: _Occurrence, due: DueSend, row: SendRow) -> SendRow:
    """One due send: whom it should reach, less whom its session reached, in chunks at once; ``row`` filled.

    Each chunk's outcome counts by itself: the sent are sent, the chunks that
    failed ambiguously are looked for in one more listing of the session, and
    a chunk whose window closed before it went is left for nobody (missed).
    """
    wanted, left = occurrence.wanted(due)
    row.recipients, row.unsubscribed = len(wanted), len(left)
    reached = {
        user_key(u) for u in list_session_recipients(credentials=occurrence.credentials, session=due.session)
    }
    row.already_sent = len(wanted & reached)
    rest = sorted(wanted - reached)
    if not rest:
        row.state = "done" if row.already_sent else "nobody"
        return row
    template_id = occurrence.template_id(due.send.template)
    now = _now()
    if due.state(now) != "due":
        return _closed_while_sending(occurrence, due, row, len(rest))
    outcomes = send_in_chunks(
        credentials=occurrence.credentials,
        app_guid=occurrence.app_guid(),
        template_id=template_id,
        chunks=[[occurrence.user_id(key) for key in chunk] for chunk in batches(rest, RECIPIENTS_PER_SEND)],
        session=due.session,
        tokens=tokens_for(occurrence.event, now),
        closes_at=due.closes_at,
    )
    problems: list[str] = []
    unknown: set[str] = set()
    unknown_notes: list[str] = []
    for outcome in outcomes:
        if outcome.bulk_id is not None:
            row.bulk_ids.append(outcome.bulk_id)
            row.sent += len(outcome.user_ids)
        elif outcome.unknown is not None:
            unknown |= {user_key(u) for u in outcome.user_ids}
            unknown_notes.append(f"message/send to {len(outcome.user_ids)} failed ({outcome.unknown})")
        elif outcome.refused is not None:
            problems.append(outcome.refused)
    if unknown:
        accounted = _account(occurrence, due, unknown)
        row.sent += len(accounted or ())
        if accounted is None or accounted != unknown:
            got = "could not be listed" if accounted is None else f"shows {len(accounted)} of them reached"
            problems += [
                *unknown_notes,
                f"the session {got}; nobody was sent it again: the next run's listing decides",
            ]
    if problems:
        row.state, row.note = "failed", "; ".join(problems)
        return row
    late = sum(len(o.user_ids) for o in outcomes if o.late)
    if late:
        return _closed_while_sending(occurrence, due, row, late)
    row.state = "sent"
    return row


def _closed_while_sending(occurrence: _Occurrence, due: DueSend, row: SendRow, not_sent: int) -> SendRow:
    closed = local(due.closes_at, occurrence.event.timezone)
    row.note = f"its window closed at {closed} while sending: {not_sent} not sent late"
    row.state = "missed"
    return row


def _account(occurrence: _Occurrence, due: DueSend, chunk: set[str]) -> set[str] | None:
    """Who of ``chunk`` the session reached, listed again after an ambiguous send; None if unreadable."""
    try:
        listed = list_session_recipients(credentials=occurrence.credentials, session=due.session)
    except AuthenticationError:
        raise
    except KalturaError:
        return None
    return {user_key(u) for u in listed} & chunk


def missed_one(occurrence: _Occurrence, due: DueSend, row: SendRow) -> SendRow | None:
    """A send whose window closed: reported if it reached nobody, else it was done in time (no row)."""
    counts = session_stats(credentials=occurrence.credentials, session=due.session)
    if sum(counts.values()):
        return None
    row.state = "missed"
    row.note = f"its window closed at {local(due.closes_at, occurrence.event.timezone)}; not sent late"
    return row


def run_occurrence(occurrence: _Occurrence, sends: Sequence[DueSend], now: datetime) -> list[SendRow]:
    """An event's sends one after another (they share its people); each failure stays its own row."""
    rows: list[SendRow] = []
    event = occurrence.event
    for due in sends:
        row = SendRow(
            series=due.series_key,
            occurrence=due.occurrence,
            event_id=event.id,
            send=due.send.name,
            template=due.send.template,
            to=due.send.to,
            due=local(due.due_at, event.timezone),
            session=due.session,
            state="failed",
        )
        try:
            done = (
                missed_one(occurrence, due, row)
                if due.state(now) == "missed"
                else send_one(occurrence, due, row)
            )
        except AuthenticationError:
            raise
        except KalturaError as exc:
            row.state, row.note = "failed", str(exc) or type(exc).__name__
            done = row
        if done is not None:
            rows.append(done)
    return rows


@dataclass
class SeriesSends:
    rows: list[SendRow]
    waiting: int


def _apps(credentials: KalturaCredentials, event_ids: Sequence[int]) -> dict[int, App]:
    found: dict[int, App] = {}
    for page in in_parallel(
        [
            partial(find_event_apps, credentials=credentials, event_ids=list(chunk))
            for chunk in batches(event_ids, APPS_PER_CALL)
        ]
    ):
        found.update(page)
    return found


def send_series(
    credentials: KalturaCredentials,
    series_key: str,
    messages: SeriesMessages,
    templates: TemplateIds,
) -> SeriesSends:
    """Every due send of one series' observed occurrences; the caller holds the series' lock.

    One event per occurrence: should an old overlap have left two, the lower id
    speaks for it, so both never send under one session at once.
    """
    now = _now()
    ended_after, starts_before = observed_span(messages.spec, now)
    events = list_events(
        credentials=credentials,
        event_filter=EventFilter(
            labels=(SERIES_LABEL_PREFIX + series_key,), end_gte=ended_after, start_lte=starts_before
        ),
    )
    by_occurrence: dict[str, Event] = {}
    for event in sorted(events, key=lambda e: e.id):
        by_occurrence.setdefault(occurrence_of(event) or str(event.id), event)
    due = due_sends(
        messages.spec,
        [OccurrenceTimes(series_key, occ, e.start_date, e.end_date) for occ, e in by_occurrence.items()],
    )
    acting = [d for d in due if d.state(now) != "waiting"]
    waiting = len(due) - len(acting)
    if not acting:
        return SeriesSends([], waiting)
    per_event: dict[int, list[DueSend]] = {}
    for send in acting:
        per_event.setdefault(by_occurrence[send.occurrence].id, []).append(send)
    apps = _apps(credentials, sorted(per_event))
    left = (
        frozenset(
            user_key(u)
            for u in list_unsubscribed(credentials=credentials, group=messages.spec.unsubscribe_group)
        )
        if any(d.state(now) == "due" for d in acting)
        else frozenset()
    )
    events_by_id = {e.id: e for e in by_occurrence.values()}
    steps = [
        partial(
            run_occurrence,
            _Occurrence(credentials, events_by_id[event_id], apps.get(event_id), messages, templates, left),
            sends,
            now,
        )
        for event_id, sends in per_event.items()
    ]
    rows = [row for found in in_parallel(steps) for row in found]
    rows.sort(key=lambda r: (r.due, r.occurrence, r.send))
    return SeriesSends(rows, waiting)


def send_all(
    credentials: KalturaCredentials,
    series: Sequence[tuple[str, SeriesMessages]],
    templates: TemplateIds,
    *,
    file: str,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> SendReport:
    """Each series a unit, at once under the run's API limit, all of them under their series' locks.

    The locks are taken together, as ``sync_events_file`` takes them, so a file
    run and a send run cannot deadlock; while the file's series converge, the
    sends wait (their occurrences may be moving).
    """
    report = SendReport(file=file)
    partner = partner_of(credentials)
    with one_writer([series_lock(partner, key) for key, _ in series], wait_seconds=lock_wait_seconds) as lock:
        with run_api_limit(max_in_flight):
            units: dict[str, Callable[[], SeriesSends]] = {
                key: partial(send_series, credentials, key, messages, templates) for key, messages in series
            }
            results = run_units(units)
        report.waited = lock.note
    for key in units:
        done = results.done.get(key)
        if done is not None:
            report.rows += done.rows
            report.waiting += done.waiting
    report.failed += [f"{key}: {message}" for key, message in results.messages().items()]
    report.failed += [f"{row.session}: {row.note}" for row in report.rows if row.state == "failed"]
    return report


def chosen_targets(planned: Sequence[Target], series_key: str | None, file: str) -> list[Target]:
    """The file's series with messages, or the one named; a key the file lacks is refused, naming it."""
    with_messages = [t for t in planned if t.messages is not None]
    if series_key is None:
        return with_messages
    chosen = [t for t in with_messages if t.key == series_key]
    if not chosen:
        known = ", ".join(t.key for t in with_messages) or "none"
        raise InvalidArgumentError(
            "series_key",
            series_key,
            f"no series of {file} with messages has this key (those that do: {known})",
        )
    return chosen


@flow(
    name="send-messages",
    description="Send each due reminder and follow-up of an events file, once to each person.",
    task_runner=thread_runner(),
)
@ends_in_one_line
def send_messages(
    events_file: Annotated[
        str,
        Field(
            title="Events file",
            description="Path of the kaltura-events.yaml, inside the worker's work root (by default the "
            "repository root).",
        ),
    ] = DEFAULT_EVENTS_FILE,
    series_key: Annotated[
        str | None,
        Field(
            title="Series key", description="Only this series of the file; empty: every series with messages."
        ),
    ] = None,
    credentials: KalturaCredentials | None = None,
    output_dir: Annotated[
        str | None,
        Field(
            title="Output directory",
            description="Where the CSVs of addresses a send did not reach go (bounced, dropped), inside the "
            "worker's work root; empty writes none.",
        ),
    ] = None,
    max_api_in_flight: ApiInFlight = DEFAULT_MAX_IN_FLIGHT,
    lock_wait_seconds: LockWaitSeconds = DEFAULT_LOCK_WAIT_SECONDS,
) -> SendReport:
    """Send each due reminder and follow-up of an events file, once to each person.

    There is no "now" to set: a send goes when the clock says it is due, or not at all.

    Args:
        events_file: Path of the kaltura-events.yaml, inside the worker's work root (by default the
            repository root).
        series_key: Only this series of the file; empty sends for every series with messages.
        credentials: A saved Kaltura Credentials Block; empty uses the worker's KALTURA_* variables.
        output_dir: Where the CSVs of addresses a send did not reach go (bounced, dropped), inside the
            worker's work root; empty writes none.
        max_api_in_flight: Most requests in flight from this run, across all its series.
        lock_wait_seconds: While another run writes one of these series, wait this long, then fail.
    """
    output_folder(output_dir, "output_dir")  # refused before any send, not after
    roots = work_roots()
    file = inside(events_file, "events_file", roots)
    name = shown(file, roots)
    loaded = load_events_file(file, shown_as=name)
    chosen = chosen_targets(targets(loaded, name, _now()), series_key, name)
    credentials = resolve(credentials)
    report = send_all(
        credentials,
        [(t.key, t.messages) for t in chosen if t.messages is not None],
        partial(converge_templates, credentials),
        file=name,
        max_in_flight=max_api_in_flight,
        lock_wait_seconds=lock_wait_seconds,
    )
    publish(["send-messages", loaded.name], report.table(), report.summary())
    records = report.delivery_records()
    if records:
        with run_api_limit(max_api_in_flight):
            report.delivery = report_sends(
                credentials, records, output_dir=output_dir, key_parts=[loaded.name]
            )
    if report.failed:
        raise SendIncomplete(
            f"{len(report.failed)} send(s) not finished; the next run's session listing resumes them: "
            f"{report.failed[:5]}"
        )
    return report
