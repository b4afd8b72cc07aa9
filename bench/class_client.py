"""A simulated student: Streamlit's own websocket protocol, no browser.

Used by bench/bench_class.py (many students) and tests/test_serve_class.py (one, through nginx).
A change is one `rerun_script` BackMsg carrying the page's url_path and a query string (the URL
contract of ui/settings.py); it is done when that run's `script_finished` arrives. Like a browser,
a student answers `auto_rerun` (the app's `st.fragment(run_every=...)` status poll) with fragment
reruns until `stop_auto_rerun` or its next full run.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# script_finished values that end a full run (a fragment's own run ends with
# FINISHED_FRAGMENT_RUN_SUCCESSFULLY; an interrupted run with FINISHED_EARLY_FOR_RERUN).
_FULL_RUN_DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)


class StudentError(Exception):
    """A change that did not finish: `kind` is "timeout" or "dropped"."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclass
class Student:
    """One browser tab's worth of protocol: `async with Student(url, page) as s: await s.change(qs)`.

    `url` is the server's http(s) base URL; `headers` go with the websocket handshake (e.g. a
    sticky cookie); `handshake_headers` are the handshake response's headers.
    """

    url: str
    page: str = ""
    timeout: float = 30.0
    auto_rerun: bool = True
    headers: dict = field(default_factory=dict)
    exceptions: list = field(default_factory=list)   # exception elements' messages, in order
    fragment_reruns: int = 0
    full_runs: int = 0          # full script runs the server started (new_session, no fragment ids)
    fragment_runs: int = 0      # fragment runs it started (new_session with fragment_ids_this_run)
    messages: int = 0
    last_message: float = 0.0   # time.perf_counter() of the last message received
    bytes_received: int = 0
    handshake_headers: object = None

    async def __aenter__(self) -> "Student":
        ws_url = self.url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
        try:
            self._ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                                additional_headers=self.headers,
                                                open_timeout=self.timeout, ping_interval=None)
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as exc:
            raise StudentError("dropped", f"connect {ws_url}: {exc!r}") from None
        self.handshake_headers = self._ws.response.headers  # case-insensitive
        self._query = ""
        self._page_hash = ""
        self._waiting: asyncio.Future | None = None
        self._started = False          # a full run began after the pending change was sent
        self._pollers: dict[str, asyncio.Task] = {}
        self._closed: str | None = None
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        self._stop_pollers()
        self._reader.cancel()
        await self._ws.close()

    async def change(self, query_string: str) -> float:
        """Rerun the page with `query_string`; return seconds until that run finished."""
        if self._closed:
            raise StudentError("dropped", self._closed)
        self._query = query_string
        self._stop_pollers()  # a browser drops its fragment timers when the whole page reruns
        self._started = False
        self._waiting = asyncio.get_running_loop().create_future()
        start = time.perf_counter()
        await self._send(query_string)
        try:
            await asyncio.wait_for(asyncio.shield(self._waiting), self.timeout)
        except asyncio.TimeoutError:
            raise StudentError("timeout", f"no script_finished within {self.timeout} s "
                                          f"({self.page!r}?{query_string})") from None
        finally:
            self._waiting = None
        return time.perf_counter() - start

    async def _send(self, query_string: str, fragment_id: str = "") -> None:
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = query_string
        rerun.page_name = self.page
        rerun.page_script_hash = self._page_hash
        if fragment_id:
            rerun.fragment_id = fragment_id
            rerun.is_auto_rerun = True
        await self._ws.send(msg.SerializeToString())

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                self.messages += 1
                self.bytes_received += len(raw)
                self.last_message = time.perf_counter()
                self._handle(raw)
            reason = f"server closed the websocket ({self._ws.close_code})"
        except websockets.ConnectionClosed as exc:
            reason = f"websocket closed: {exc}"
        self._closed = reason
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_exception(StudentError("dropped", reason))

    def _handle(self, raw: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta":
            delta = msg.delta
            if delta.WhichOneof("type") == "new_element" and delta.new_element.WhichOneof("type") == "exception":
                exc = delta.new_element.exception
                self.exceptions.append(f"{exc.type}: {exc.message}")
        elif kind == "new_session":
            if msg.metadata.run.fragment_ids:  # this run's identity: empty for a full-app run
                self.fragment_runs += 1
            else:
                self.full_runs += 1
            self._started = True
        elif kind == "navigation":
            # The page that runs: new_session's page_script_hash is the main script's on a first
            # run, and sent back with a page_name it would override it (every change on home).
            self._page_hash = msg.navigation.page_script_hash or self._page_hash
        elif kind == "script_finished":
            waiting = self._waiting
            if (msg.script_finished in _FULL_RUN_DONE and self._started
                    and waiting is not None and not waiting.done()):
                waiting.set_result(None)
        elif kind == "auto_rerun" and self.auto_rerun:
            rerun = msg.auto_rerun
            if rerun.fragment_id not in self._pollers:
                self._pollers[rerun.fragment_id] = asyncio.create_task(
                    self._poll(rerun.fragment_id, rerun.interval))
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                task = self._pollers.pop(fragment_id, None)
                if task is not None:
                    task.cancel()

    async def _poll(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            if self._waiting is None and not self._closed:  # no fragment reruns over a pending change
                self.fragment_reruns += 1
                await self._send(self._query, fragment_id)

    async def drain(self, quiet: float = 2.5, limit: float = 15.0) -> None:
        """Wait until no message has come for `quiet` seconds (at most `limit`): whatever a change
        set off afterwards (a status poll's rerun, say) has arrived and is counted."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            idle = time.perf_counter() - self.last_message
            if idle >= quiet:
                return
            await asyncio.sleep(min(quiet - idle, deadline - time.perf_counter()) + 0.01)

    def _stop_pollers(self) -> None:
        for task in self._pollers.values():
            task.cancel()
        self._pollers.clear()
