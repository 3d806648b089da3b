"""Keep a refused credential's Prefect log records off the terminal: the command says it once, in one line.

A wrong admin secret fails every call in flight at once, and Prefect logs
each task's failure at ERROR with its traceback, then each task's and the
flow's final state: hundreds of lines before the command's own. The refusal
already says which check failed and what to change, so on the console (and
only there: the Prefect server still gets every record for the UI) this
drops the records that carry a ``CredentialsRefused`` and the final-state
lines that repeat one. Every other record, a real bug's traceback included,
reaches the terminal as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from kaltura_events.api.errors import CredentialsRefused


def _refusal(record: logging.LogRecord) -> CredentialsRefused | None:
    error = record.exc_info[1] if record.exc_info else None
    return error if isinstance(error, CredentialsRefused) else None


class RefusalsOffTheConsole(logging.Filter):
    """Drops a refusal's records, and later ERROR records that only repeat a refusal seen."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        refusal = _refusal(record)
        if refusal is not None:
            self.refusals.add(str(refusal))
            return False
        if record.levelno < logging.ERROR or not self.refusals:
            return True
        text = record.getMessage()
        return not any(line in text for line in self.refusals)


def _console_handlers() -> list[logging.Handler]:
    """Prefect's terminal handlers; they exist once Prefect has set its logging up (importing a flow does)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = (logging.getLogger(), logging.getLogger("prefect"))
    return [h for lg in loggers for h in lg.handlers if isinstance(h, PrefectConsoleHandler)]


@contextmanager
def refusals_off_the_console() -> Iterator[None]:
    """While a command runs its flow in this process: a refusal is the command's one line, not Prefect's.

    Enter it once the flow is imported, so Prefect's handlers are there to filter.
    """
    quiet = RefusalsOffTheConsole()
    handlers = _console_handlers()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)
