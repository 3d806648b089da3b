"""The decorator every API task is declared with: its name, its UI description, its run names, no cache.

One retry layer, the client's (``kaltura_events.api.retry``): a task adds no Prefect
retries. Retry-After stays in the client, since Prefect cannot take a delay from
an exception. Each task run is named from its parameters (``api_task(run_name=...)``),
so the UI tells a year's 52 ``create-event`` runs apart.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from datetime import datetime
from string import Formatter
from typing import Any, ParamSpec, TypeVar, cast

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_logger
from prefect.tasks import TaskRunNameCallbackWithParameters
from prefect.utilities.annotations import quote

P = ParamSpec("P")
R = TypeVar("R")
V = TypeVar("V")

logger = get_logger("kaltura_events.tasks")


RunName = Callable[[Mapping[str, Any]], str]
"""A task run's name from its parameters (the credentials left out), after ``"<task name>: "``."""

RUN_NAME_LIMIT = 120


def api_task(
    name: str, *, endpoint: str, description: str, run_name: str | RunName | None = None
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """A task for one API call: readable name, the endpoint in its UI description, never cached.

    No Prefect retries: the client is the one retry layer (README, "Errors and
    retries"). It honours Retry-After, looks before repeating an ambiguous
    write, and takes the run's request slot per attempt, so a call waiting out
    its backoff holds no slot. A second layer here would multiply the attempts.
    Caching is off for writes too: a cached create would hide an event deleted
    since, and re-running must always observe.

    ``run_name`` names each run from its parameters, so a year's series shows
    ``create-event: Company All-Hands March 2027`` rather than 52 runs called
    ``create-event-xxx``: a ``str.format`` template of the parameters, or a
    function of them. The credentials are never part of it: a template may not
    name them, and a function is not given them. Without ``run_name`` (a task
    with nothing to tell its runs apart) the run carries the task's name.
    """

    def decorate(fn: Callable[P, R]) -> Task[P, R]:
        if isinstance(run_name, str):
            _check_template(name, run_name, fn)
        return task(
            name=name,
            description=f"{endpoint}: {description}",
            cache_policy=NO_CACHE,
            persist_result=False,
            task_run_name=_RunNamer(name, run_name),
        )(fn)

    return decorate


def _check_template(name: str, template: str, fn: Callable[..., Any]) -> None:
    """Refuse, when the task is declared, a template naming an unknown parameter or the credentials."""
    known = set(inspect.signature(fn).parameters) - {"credentials"}
    for _, field_name, _, _ in Formatter().parse(template):
        if field_name is None:
            continue
        root = field_name.split(".")[0].split("[")[0]
        if root not in known:
            raise ValueError(f"run_name of task {name!r} names {root!r}, not one of {sorted(known)}")


class _RunNamer(TaskRunNameCallbackWithParameters):
    """Prefect calls it with the run's parameters (it has a ``parameters`` argument) as the run starts."""

    def __init__(self, name: str, run_name: str | RunName | None) -> None:
        self.name = name
        self.run_name = run_name

    def __call__(self, parameters: dict[str, Any]) -> str:
        if self.run_name is None:
            return self.name
        shown = {key: value for key, value in parameters.items() if key != "credentials"}
        template = self.run_name
        try:
            detail = template.format(**shown) if isinstance(template, str) else template(shown)
        except Exception as exc:  # a name is for people: it must never fail the call it names
            logger.warning("Task %r: no run name from its parameters (%s)", self.name, type(exc).__name__)
            return self.name
        if len(detail) > RUN_NAME_LIMIT:
            detail = detail[: RUN_NAME_LIMIT - 1] + "…"
        return f"{self.name}: {detail}"


def untraversed(value: V) -> V:
    """A task argument Prefect hands over as it is, without walking into it for futures.

    Prefect visits every object inside a parameter twice per task run (its
    inputs, then their results): a page of 250 people was 2,000 objects and
    about 13 ms of CPU a task run, 6 s of A4's. A page of people holds no
    futures or states, so there is nothing to find; the task receives the same
    value and names its run from it, as before. (``quote``, typed as the value.)
    """
    return cast(V, quote(value))


def when(value: object) -> str:
    """A datetime parameter as a run name shows it: ``2027-03-04T15:00+00:00``."""
    return value.isoformat(timespec="minutes") if isinstance(value, datetime) else str(value)


def filter_summary(value: object) -> str:
    """A list filter (a dataclass) as its fields that are set: ``labels=kev-series:ab12, start_gte=...``."""
    if not is_dataclass(value) or isinstance(value, type):
        return str(value)
    parts = []
    for item in fields(value):
        field_value = getattr(value, item.name)
        if field_value is None or field_value == ():
            continue
        if isinstance(field_value, tuple):
            shown = ",".join(when(v) for v in field_value)
        else:
            shown = when(field_value)
        parts.append(f"{item.name}={shown}")
    return ", ".join(parts) or "everything"
