"""The server process as a class uses it, over Streamlit's own websocket protocol (bench/class_client.py)
with the shipped configuration (.streamlit/config.toml: runner.postScriptGC = false):

- after a visit to every page, the server process has loaded neither PyTorch nor TensorFlow (the
  cross-checks run in a worker process; a framework in the server makes every collection walk a
  heap twice the size, and every student pays for it);
- memory stays bounded without Streamlit's collection after every run: after 1,000 changes in one
  session, the server's RSS is within 10 % of its RSS after 100.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from bench_class import ephemeral_port  # noqa: E402
from class_client import Student  # noqa: E402
from streamlit_browser import StreamlitServer  # noqa: E402

pytestmark = [pytest.mark.slow]
# Every page of app.py's st.navigation, by url_path.
PAGES = ["", "shapes", "parameters", "hidden_states", "gates", "encoder_decoder", "cross_check",
         "training", "quiz"]
# Shared objects the frameworks load (their native cores), as they appear in /proc/PID/maps.
FRAMEWORK_LIBS = {"torch": ("libtorch", "torch/_C"), "tensorflow": ("libtensorflow", "_pywrap_tensorflow")}


@pytest.fixture(scope="module")
def server():
    with StreamlitServer("app.py", port=ephemeral_port()) as srv:  # cwd: the repo, its config.toml
        yield srv


def loaded_frameworks(pid: int) -> dict[str, list[str]]:
    """The framework libraries mapped into process `pid` (not its children)."""
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    paths = sorted({line.split()[-1] for line in maps if "/" in line})
    return {name: [p for p in paths if any(m in p for m in marks)]
            for name, marks in FRAMEWORK_LIBS.items()
            if any(m in p for p in paths for m in marks)}


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def run(coro):
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps an event loop
    running in this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="module")
def visited(server):
    """The server after a visit to every page with every cell."""
    async def visit_all():
        for page in PAGES:
            for cell in ("LSTM", "GRU", "SimpleRNN"):
                async with Student(server.url, page, timeout=120, auto_rerun=False) as s:
                    await s.open(f"cell={cell}&units=5")  # the URL is read on the first run
                    assert not s.exceptions, (page, s.exceptions)

    run(visit_all())
    assert server.proc.poll() is None
    return server


@pytest.mark.timeout(600)
@pytest.mark.parametrize("framework", ["tensorflow", "torch"])
def test_no_framework_in_the_server_after_every_page(visited, framework):
    assert framework not in loaded_frameworks(visited.proc.pid)


@pytest.mark.timeout(1200)
def test_memory_is_flat_over_1000_changes_in_one_session(server):
    rss = {}

    async def changes():
        async with Student(server.url, "shapes", timeout=120, auto_rerun=False) as s:
            await s.open("cell=LSTM&units=4")
            for k in range(1, 1001):
                # a new configuration every time (seed), set as a browser sets it: the shared
                # caches fill up and evict
                await s.change(units=4 + k % 29, seed=k)
                if k in (100, 1000):
                    rss[k] = rss_bytes(server.proc.pid)
            assert not s.exceptions, s.exceptions[:3]

    run(changes())
    growth = rss[1000] / rss[100] - 1
    assert growth <= 0.10, f"RSS {rss[100] / 2**20:.0f} MiB after 100 changes, {rss[1000] / 2**20:.0f} after 1000"
