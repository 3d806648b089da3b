"""A refused credential ends a flow run with one line: its state message is the refusal itself.

A wrong admin secret, a given KS that expired or a disabled app token fails
every call the same way; retrying or reading on changes nothing. Raised out
of the flow, Prefect would make the state message ``Flow run encountered an
exception: CredentialsRefused: ...`` and log the traceback again. Returned as
a Failed state, the UI, ``prefect flow-run inspect`` and a command show the
same line, and ``state.result()`` still raises the refusal for a caller.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar, cast

from prefect.states import Failed

from kaltura_events.api.errors import CredentialsRefused

P = ParamSpec("P")
R = TypeVar("R")


class ends_in_one_line(Generic[P, R]):
    """Put under ``@flow``: a refused credential becomes the run's Failed state, its message that one line.

    Any other exception is Prefect's to record, traceback and all: only the
    refusal, whose message already says what failed and what to change, is cut short.

    A callable object rather than a closure, so that it can carry the flow
    function's ``__globals__``: Prefect resolves the parameters' annotations
    and hashes the flow's version from them, and a closure's would be this module's.
    """

    def __init__(self, fn: Callable[P, R]) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.__globals__: dict[str, Any] = fn.__globals__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return self.fn(*args, **kwargs)
        except CredentialsRefused as refusal:
            return cast(R, Failed(message=str(refusal), data=refusal))
