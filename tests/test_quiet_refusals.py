"""The terminal filter drops a refused credential's records and nothing else: a real bug's traceback stays."""

from __future__ import annotations

import logging
import sys

from deployments.quiet_refusals import RefusalsOffTheConsole
from kaltura_events.api.errors import AuthenticationError, CredentialsRefused

REFUSAL = CredentialsRefused(AuthenticationError("events/list", "the KS signature is invalid"), "check X")


def record(message: str, error: BaseException | None = None, level: int = logging.ERROR) -> logging.LogRecord:
    exc_info = None
    if error is not None:
        try:
            raise error
        except BaseException:
            exc_info = sys.exc_info()
    return logging.LogRecord("prefect.task_runs", level, __file__, 1, message, None, exc_info)


def test_a_refusal_and_the_lines_repeating_it_are_dropped() -> None:
    quiet = RefusalsOffTheConsole()
    assert not quiet.filter(record(f"Task run failed with exception: {REFUSAL!r}", REFUSAL))
    assert not quiet.filter(
        record(f"Finished in state Failed('Task run encountered an exception {REFUSAL}')")
    )
    assert not quiet.filter(record(f"Finished in state Failed({str(REFUSAL)!r})"))


def test_any_other_error_reaches_the_terminal_with_its_traceback() -> None:
    quiet = RefusalsOffTheConsole()
    quiet.filter(record("refused", REFUSAL))
    bug = record("Task run failed with exception: KeyError('start')", KeyError("start"))
    assert quiet.filter(bug) and bug.exc_info is not None
    assert quiet.filter(record("Finished in state Failed('KeyError: start')"))
    assert quiet.filter(record(f"a warning that quotes it: {REFUSAL}", level=logging.WARNING))
