"""One retry layer: inside a flow, a call is sent 1 + max_retries times at most, a 4xx once,
and a call waiting out its backoff holds no request slot.

Counted by the emulator, a real server, under a real flow run: Prefect's task
retries are off, so the client's documented attempts are all there is.
"""

from __future__ import annotations

import time

from prefect import flow

from kaltura_events.api.errors import NotFoundError, ServerError
from kaltura_events.api.events import EventFilter
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.emulator.server import EmulatorServer
from tasks.api_limit import run_api_limit, thread_runner
from tasks.events import list_events, update_event

MAX_RETRIES = 3


def sent(emu: EmulatorServer, endpoint: str) -> int:
    return sum(emu.control.stats()["requests"].get(endpoint, {}).values())


@flow(task_runner=thread_runner())
def list_once(credentials: KalturaCredentials) -> None:
    with run_api_limit(8):
        list_events(credentials=credentials, event_filter=EventFilter())


@flow(task_runner=thread_runner())
def update_missing(credentials: KalturaCredentials) -> None:
    with run_api_limit(8):
        update_event(credentials=credentials, event_id=987654, name="x")


def test_a_persistent_503_is_sent_one_plus_max_retries_times(
    emu: EmulatorServer, creds: KalturaCredentials
) -> None:
    assert creds.max_retries == MAX_RETRIES
    emu.control.set_faults([{"endpoint": "events/list", "kind": "unavailable", "retry_after": 0.01}])
    state = list_once(creds, return_state=True)
    assert state.is_failed()
    assert isinstance(state.result(raise_on_failure=False), ServerError)
    assert sent(emu, "events/list") == 1 + MAX_RETRIES


def test_a_4xx_is_sent_exactly_once(emu: EmulatorServer, creds: KalturaCredentials) -> None:
    state = update_missing(creds, return_state=True)
    assert state.is_failed()
    assert isinstance(state.result(raise_on_failure=False), NotFoundError)
    assert sent(emu, "events/update") == 1


@flow(task_runner=thread_runner())
def one_slot_two_calls(credentials: KalturaCredentials) -> dict[str, float]:
    """With one request slot, a call in backoff must let another call through before it gives up."""
    ended: dict[str, float] = {}
    with run_api_limit(1):
        waiting = list_events.submit(credentials=credentials, event_filter=EventFilter(search_term="x"))
        time.sleep(0.3)
        other = update_event.submit(credentials=credentials, event_id=987654, name="y")
        other.wait()
        ended["other"] = time.monotonic()
        waiting.wait()
        ended["waiting"] = time.monotonic()
    return ended


def test_a_call_waiting_out_its_backoff_holds_no_slot(emu: EmulatorServer, creds: KalturaCredentials) -> None:
    emu.control.set_faults([{"endpoint": "events/list", "kind": "unavailable", "retry_after": 1.0}])
    ended = one_slot_two_calls(creds)
    assert ended["other"] < ended["waiting"], "the other call waited for the backing-off call's slot"
    assert sent(emu, "events/list") == 1 + MAX_RETRIES
    assert sent(emu, "events/update") == 1
