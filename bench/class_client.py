"""A simulated student: Streamlit's own websocket protocol, no browser.

Used by bench/bench_class.py (many students) and tests/test_serve_class.py (one, through nginx).
A change is one `rerun_script` BackMsg carrying the page's url_path, the query string and the
widget states; it is done when that run's `script_finished` arrives. The app reads the URL on a
session's first run only (ui/controls/sidebar.py apply_query_params), so only the first change's query
string configures the page; later changes set widgets by key, as a browser does: each keyed
widget's id (read from the run's deltas) contains its key, and the rerun carries every widget
value this student has set, with the query string the server last wrote (page_info_changed).
Like a browser, a student answers the cross-check status's poll: while the status fragment draws
the `crosscheck_ticker` component (ui/js/ticker.js), it sends, TICK_SECONDS after the element
arrived, that component's trigger as a rerun of the status fragment alone. It also answers
`auto_rerun` (an `st.fragment(run_every=...)`) with fragment reruns until `stop_auto_rerun` or
its next full run.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# script_finished values that end a full run (a fragment's own run ends with
# FINISHED_FRAGMENT_RUN_SUCCESSFULLY; an interrupted run with FINISHED_EARLY_FOR_RERUN).
_FULL_RUN_DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)
TICKER_KEY = "crosscheck_ticker"   # ui/runtime/status.py's poll component
TICK_SECONDS = 2.0                 # ui/runtime/status.py POLL_SECONDS: the component's timer
# Components v2 (streamlit/components/v2/bidi_component/main.py _make_trigger_id): a component's
# triggers travel as one JSON-list widget, "$$STREAMLIT_INTERNAL_KEY_" + its id + "__events".
_TRIGGER_ID = "$$STREAMLIT_INTERNAL_KEY_{}__events"


class StudentError(Exception):
    """A change that did not finish: `kind` is "timeout" or "dropped"."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclass
class Student:
    """One browser tab's worth of protocol: `async with Student(url, page) as s: await s.open(qs); await s.change(units=12)`.

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
    ticks: int = 0              # status fragment reruns sent for the ticker component

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
        self._widget_ids: dict[str, tuple[str, str]] = {}  # key -> (widget id, WidgetState value field)
        self._set: dict[str, object] = {}                  # key -> the value this student gave it
        self._ticker: asyncio.Task | None = None           # the ticker component's pending timer
        self._ticker_drawn = False                          # the current run drew the ticker
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

    async def open(self, query_string: str = "") -> float:
        """The session's first run, on the page's URL with `query_string`: seconds to its end."""
        self._query = query_string
        return await self._rerun(query_string)

    async def change(self, **widgets) -> float:
        """Set keyed widgets (`units=12`) as a browser does and rerun the page; return seconds
        until that run finished. The keys must have been drawn by an earlier run (the app reads
        the URL on a session's first run only: `open(query_string)`)."""
        unknown = sorted(set(widgets) - set(self._widget_ids))
        if unknown:
            raise ValueError(f"no widget with key {unknown} on {self.page!r} (have {sorted(self._widget_ids)})")
        self._set.update(widgets)
        return await self._rerun(", ".join(f"{k}={v}" for k, v in widgets.items()))

    async def _rerun(self, what: str) -> float:
        if self._closed:
            raise StudentError("dropped", self._closed)
        self._stop_pollers()  # a browser drops its fragment timers when the whole page reruns
        self._started = False
        self._waiting = asyncio.get_running_loop().create_future()
        start = time.perf_counter()
        await self._send()
        try:
            await asyncio.wait_for(asyncio.shield(self._waiting), self.timeout)
        except asyncio.TimeoutError:
            raise StudentError("timeout", f"no script_finished within {self.timeout} s "
                                          f"({self.page!r}: {what})") from None
        finally:
            self._waiting = None
        return time.perf_counter() - start

    async def _send(self, fragment_id: str = "", auto: bool = False, trigger: tuple | None = None) -> None:
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = self._query
        rerun.page_name = self.page
        rerun.page_script_hash = self._page_hash
        for key, value in self._set.items():
            widget_id, field = self._widget_ids[key]
            state = rerun.widget_states.widgets.add()
            state.id = widget_id
            setattr(state, field, value)
        if trigger is not None:  # (widget id, JSON payload list)
            state = rerun.widget_states.widgets.add()
            state.id, state.json_trigger_value = trigger
        if fragment_id:
            rerun.fragment_id = fragment_id
            rerun.is_auto_rerun = auto
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
            if delta.WhichOneof("type") == "new_element":
                self._element(delta.new_element, delta.fragment_id)
        elif kind == "new_session":
            if msg.metadata.run.fragment_ids:  # this run's identity: empty for a full-app run
                self.fragment_runs += 1
            else:
                self.full_runs += 1
            self._started = True
            self._ticker_drawn = False
        elif kind == "page_info_changed":  # the app wrote st.query_params: the browser's new URL
            self._query = msg.page_info_changed.query_string
        elif kind == "navigation":
            # The page that runs: new_session's page_script_hash is the main script's on a first
            # run, and sent back with a page_name it would override it (every change on home).
            self._page_hash = msg.navigation.page_script_hash or self._page_hash
        elif kind == "script_finished":
            if not self._ticker_drawn and self._ticker is not None:
                # the run left the ticker out (result in): the browser unmounts it, and its timer
                self._ticker.cancel()
                self._ticker = None
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

    def _element(self, element, fragment_id: str) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.exceptions.append(f"{element.exception.type}: {element.exception.message}")
            return
        widget_id = getattr(getattr(element, kind), "id", "") if kind else ""
        if not widget_id:
            return
        key = widget_id.rsplit("-", 1)[-1]  # keyed ids end in "-<key>" (compute_and_register_element_id)
        if kind == "number_input":
            field = "int_value" if element.number_input.data_type == element.number_input.INT else "double_value"
            self._widget_ids[key] = (widget_id, field)
        elif kind == "bidi_component" and TICKER_KEY in widget_id and self.auto_rerun:
            # ticker.js: setTriggerValue("tick", data.run) after data.ms; a new element re-arms it
            self._ticker_drawn = True
            data = element.bidi_component
            run = json.loads(data.json or "{}").get("run") if data.WhichOneof("data") == "json" else None
            if self._ticker is not None:
                self._ticker.cancel()
            self._ticker = asyncio.create_task(self._tick(
                fragment_id, (_TRIGGER_ID.format(widget_id), json.dumps([{"event": "tick", "value": run}]))))

    async def _tick(self, fragment_id: str, trigger: tuple) -> None:
        await asyncio.sleep(TICK_SECONDS)
        self._ticker = None
        if self._waiting is None and not self._closed:  # a pending full run redraws the ticker itself
            self.ticks += 1
            self.fragment_reruns += 1
            await self._send(fragment_id, trigger=trigger)

    async def _poll(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            if self._waiting is None and not self._closed:  # no fragment reruns over a pending change
                self.fragment_reruns += 1
                await self._send(fragment_id, auto=True)

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
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        for task in self._pollers.values():
            task.cancel()
        self._pollers.clear()
