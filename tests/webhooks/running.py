"""The receiver app on a real uvicorn in a background thread, on a free loopback port."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from kaltura_events.emulator.server import LOOPBACK_HOST, base_url_for, bind_socket


class ReceiverThread:
    """``with ReceiverThread(app) as server: httpx.post(server.base_url + ...)``; stopped on exit."""

    def __init__(self, app: Starlette) -> None:
        self._server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, log_config=None)
        )
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def __enter__(self) -> ReceiverThread:
        sock = bind_socket(LOOPBACK_HOST, 0)
        self.base_url = base_url_for(LOOPBACK_HOST, sock.getsockname()[1])
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the receiver did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
