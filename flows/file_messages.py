"""The events file's messages in a sync run: templates converged per occurrence's app, sends announced.

Apply converges each series' templates in the app of each of its occurrences
(every event is an App Registry app, and templates belong to an app), inside
the series lock the run already holds, after the series' own unit: the unit
may have just made the event, and with it its app. A plan observes the same
way and writes nothing; an occurrence the plan would create has no app yet,
so all its templates count as creates.

Sends never happen here: a send goes at its time, from the send-messages
flow. The plan only says what will be sent and when, one row per upcoming
send; those rows are not changes, so a plan with nothing else to do still
exits 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from flows.schedule_all_hands import SeriesReport
from flows.units import in_parallel, run_units
from kaltura_events.api.attendance_models import App
from kaltura_events.api.errors import KalturaError
from kaltura_events.api.messaging_models import EmailTemplate
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.formats.events_file import Target
from kaltura_events.planning.message_templates import TemplatePlan, plan_templates
from kaltura_events.planning.messages import DueSend, template_name
from tasks.attendance import APPS_PER_CALL, find_event_apps
from tasks.message_templates import APPS_PER_LIST, apply_template_plan, list_message_templates


class TemplateChange(BaseModel):
    """One template name's change across a series' apps: ``create kev:reminder`` in 12 apps."""

    action: str
    """``create``, ``update`` or ``delete``."""
    name: str
    apps: int
    note: str = ""


class TemplatesReport(BaseModel):
    """What converging one series' templates did (or would do), app by app added up."""

    series_key: str
    apps: int = 0
    """Apps observed: one per occurrence whose event the App Registry knows."""
    changes: list[TemplateChange] = Field(default_factory=list)
    unknown: list[int] = Field(default_factory=list)
    """Events the App Registry does not know yet: their templates come with a later apply or send."""
    failed: list[str] = Field(default_factory=list)

    def writes(self) -> int:
        return sum(change.apps for change in self.changes)

    def add(self, action: str, name: str, apps: int = 1, note: str = "") -> None:
        """Count ``apps`` more apps for this action on this template name; notes are kept once each."""
        for change in self.changes:
            if change.action == action and change.name == name:
                change.apps += apps
                if note and note not in change.note.split("; "):
                    change.note = f"{change.note}; {note}" if change.note else note
                return
        self.changes.append(TemplateChange(action=action, name=name, apps=apps, note=note))

    def count(self, plan: TemplatePlan) -> None:
        """Add one app's writes."""
        for key in plan.create:
            self.add("create", plan.content[key].name)
        for update in plan.update:
            self.add("update", plan.content[update.key].name, note="changed: " + ", ".join(update.fields))
        for gone in plan.delete:
            self.add("delete", gone.name, note=gone.why)


class SendRow(BaseModel):
    """One upcoming send of one occurrence, as the plan announces it."""

    series_key: str
    occurrence: str
    session: str
    text: str
    """``reminder (24h before) to 3,000 on 2027-01-05 09:30 America/New_York``."""


def upcoming_sends(target: Target, moment: datetime) -> list[SendRow]:
    """Every send of the target's planned occurrences whose window has not closed, earliest first."""
    audience = {p.original_date.isoformat(): p.audience for p in target.planned}
    zone = ZoneInfo(target.series.timezone)
    rows = []
    for due in target.due_sends():
        if due.state(moment) == "missed":
            continue
        people = audience.get(due.occurrence)
        rows.append(
            SendRow(
                series_key=target.key,
                occurrence=due.occurrence,
                session=due.session,
                text=_send_text(due, None if people is None else len(people.people), zone)
                + (" (due now: the next send-messages run sends it)" if due.state(moment) == "due" else ""),
            )
        )
    return rows


def _send_text(due: DueSend, invited: int | None, zone: ZoneInfo) -> str:
    send = due.send
    moment = f"{send.before} before" if send.before is not None else f"{send.after} after"
    if send.to != "invited":
        whom = f"{send.to} (counted when sent)"
    elif invited:
        whom = f"{invited:,}"
    else:
        whom = "nobody (no audience)"
    local = due.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return f"{send.template} ({moment}) to {whom} on {local} {zone.key}"


def _event_ids(report: SeriesReport) -> list[int]:
    """The events of the series' planned occurrences, as its unit reported them."""
    rows = (*report.created, *report.finished, *report.updated, *report.held, *report.unchanged)
    return [row.event_id for row in rows if row.event_id is not None]


def _not_yet_made(report: SeriesReport) -> int:
    """Occurrences a plan would create: no event, so no app yet."""
    return sum(1 for row in report.created if row.event_id is None)


def _observe(
    credentials: KalturaCredentials | None, event_ids: list[int]
) -> tuple[dict[int, App], dict[str, list[EmailTemplate]]]:
    """Each event's app (15 events a call) and each app's templates of ours (15 apps a call)."""
    apps: dict[int, App] = {}
    for found in in_parallel(
        [
            partial(find_event_apps, credentials=credentials, event_ids=event_ids[i : i + APPS_PER_CALL])
            for i in range(0, len(event_ids), APPS_PER_CALL)
        ]
    ):
        apps.update(found)
    guids = sorted({app.id for app in apps.values()})
    existing: dict[str, list[EmailTemplate]] = {}
    for listed in in_parallel(
        [
            partial(list_message_templates, credentials=credentials, app_guids=guids[i : i + APPS_PER_LIST])
            for i in range(0, len(guids), APPS_PER_LIST)
        ]
    ):
        existing.update(listed)
    return apps, existing


def converge_file_templates(
    credentials: KalturaCredentials | None,
    targets: Sequence[Target],
    series_reports: Mapping[str, SeriesReport],
    *,
    dry_run: bool,
) -> list[TemplatesReport]:
    """Each target's templates in each of its occurrences' apps; one report per target with messages.

    ``series_reports`` is each series unit's SeriesReport by key: a target
    whose unit failed has none, and its templates wait for the next run.
    Apps are found 15 events a call and their templates listed 15 apps a
    call; the writes of each app are a unit of their own.
    """
    chosen = [t for t in targets if t.messages is not None and t.key in series_reports]
    if not chosen:
        return []
    events = {t.key: _event_ids(series_reports[t.key]) for t in chosen}
    try:
        apps, existing = _observe(credentials, sorted({e for ids in events.values() for e in ids}))
    except KalturaError as exc:  # the series converged; their templates wait for the next run
        return [TemplatesReport(series_key=t.key, failed=[f"templates not observed: {exc}"]) for t in chosen]
    reports: list[TemplatesReport] = []
    plans: dict[str, tuple[TemplatesReport, TemplatePlan]] = {}
    for target in chosen:
        assert target.messages is not None
        report = TemplatesReport(series_key=target.key)
        reports.append(report)
        known = [apps[e] for e in events[target.key] if e in apps]
        report.unknown = [e for e in events[target.key] if e not in apps]
        report.apps = len({app.id for app in known})
        for guid in sorted({app.id for app in known}):
            plans[f"{target.key}:{guid}"] = (
                report,
                plan_templates(guid, target.messages, existing.get(guid, [])),
            )
    if dry_run:
        done = {key: plan for key, (_, plan) in plans.items()}
    else:
        units: dict[str, Callable[[], dict[str, str]]] = {
            key: partial(apply_template_plan, credentials, plan)
            for key, (_, plan) in plans.items()
            if plan.writes
        }
        results = run_units(units)
        for key, message in results.messages().items():
            plans[key][0].failed.append(f"templates in app {key.split(':', 1)[1]}: {message}")
        done = {key: plan for key, (_, plan) in plans.items() if key not in results.failed}
    for key, plan in done.items():
        plans[key][0].count(plan)
    if dry_run:
        for report, target in zip(reports, chosen, strict=True):
            new = _not_yet_made(series_reports[target.key])
            assert target.messages is not None
            for template_key in target.messages.spec.templates if new else ():
                report.add("create", template_name(template_key), apps=new, note="with its new event")
    return reports
