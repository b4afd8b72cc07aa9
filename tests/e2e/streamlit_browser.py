"""Start `streamlit run` and Debian's headless Chromium; shared by tests/e2e and bench/bench_app.py.

Browsers cannot be downloaded here, so Playwright drives /usr/bin/chromium (apt package
`chromium`) through `executable_path`; `playwright install` is never needed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this
# machine's closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PORTS = range(8600, 8700)  # the app's own dev servers use 8510-8519


def free_port(ports=PORTS) -> int:
    """First port in `ports` that can be bound on 127.0.0.1 (the servers listen there only)."""
    for port in ports:
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError(f"ports: no free port in {ports.start}-{ports.stop - 1}")


class StreamlitServer:
    """`streamlit run <script>` on a free port; `start()` returns once /_stcore/health answers ok.

    `started_at` is time.perf_counter() just before the process was spawned (for the start-up bench).
    """

    def __init__(self, script: str | Path = "app.py", cwd: str | Path = ROOT, port: int | None = None,
                 extra_args: tuple[str, ...] = ()):
        self.script, self.cwd, self.extra_args = str(script), Path(cwd), tuple(extra_args)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.started_at: float | None = None
        self._log = tempfile.NamedTemporaryFile(prefix=f"streamlit-{self.port}-", suffix=".log", delete=False)

    def spawn(self) -> "StreamlitServer":
        cmd = [sys.executable, "-m", "streamlit", "run", self.script,
               "--server.headless", "true", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false", *self.extra_args]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.started_at = time.perf_counter()
        # Own process group, so stop() also ends anything the server spawned (and only that).
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def wait_healthy(self, timeout: float = 60.0) -> "StreamlitServer":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"streamlit on port {self.port} not healthy after {timeout} s:\n{self.log()}")

    def start(self, timeout: float = 60.0) -> "StreamlitServer":
        return self.spawn().wait_healthy(timeout)

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # group id == the server's own PID
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# In-page waits, shared by the sync helpers below and async callers (bench/bench_class.py).
IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]') !== null;
}"""

QUIET_JS = """([quietMs, timeoutMs]) => new Promise((resolve, reject) => {
    const app = document.querySelector('[data-testid="stApp"]');
    let timer = null;
    const check = () => {
        clearTimeout(timer);
        if (app.getAttribute('data-test-script-state') === 'notRunning')
            timer = setTimeout(() => { observer.disconnect(); resolve(); }, quietMs);
    };
    const observer = new MutationObserver(check);
    observer.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    check();
    setTimeout(() => { observer.disconnect(); reject(new Error('page never went quiet')); }, timeoutMs);
})"""


def messages(frames, proto_class) -> list:
    """Streamlit's protobuf messages (ForwardMsg received, BackMsg sent) from websocket frames."""
    out = []
    for frame in frames:
        if isinstance(frame, str):
            continue
        msg = proto_class()
        msg.ParseFromString(frame)
        out.append(msg)
    return out


def launch_chromium(playwright):
    """Headless Debian Chromium; Playwright gives every launch a fresh temporary user-data-dir."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def wait_until_idle(page, timeout: float = 30_000) -> None:
    """Wait until the Streamlit script run that the last action triggered has finished.

    The app root carries `data-test-script-state`; right after connecting it reads notRunning
    before the first run starts, hence also waiting for a rendered element. After an action the
    old DOM lingers while the rerun is queued, so callers should still wait for the content they
    expect.
    """
    page.wait_for_function(IDLE_JS, timeout=timeout)


def wait_until_quiet(page, quiet_ms: int = 1500, timeout_ms: int = 120_000) -> None:
    """Wait until no script run has started for `quiet_ms`.

    The app's live cross-check status polls until TensorFlow's result is in (a browser timer,
    ui/js/ticker.js, reruns the status fragment only), then draws it and stops polling.
    """
    page.evaluate(QUIET_JS, [quiet_ms, timeout_ms])


def set_widget(page, key: str, value: int) -> None:
    """Set a number input (type, then Enter) or a slider (keyboard) by its Streamlit widget key."""
    widget = page.locator(f".st-key-{key}")
    slider = widget.get_by_role("slider")
    if slider.count():
        slider.focus()
        current = int(float(slider.get_attribute("aria-valuenow")))
        key_name = "ArrowRight" if value > current else "ArrowLeft"
        for _ in range(abs(value - current)):
            slider.press(key_name)
    else:
        box = widget.locator("input")
        box.fill(str(value))
        box.press("Enter")


def record_frames(page, event: str = "framesent") -> list[bytes]:
    """Every websocket frame the page sends (``framesent``) or receives (``framereceived``) from
    now on, as protobuf bytes for ``messages``; clear the list to start counting again."""
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on(event, lambda payload: frames.append(payload)))
    return frames
