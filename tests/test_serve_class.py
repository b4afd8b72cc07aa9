"""scripts/serve_class.sh for real: 2 replicas behind Debian's nginx on loopback ports, one simulated
student through the proxy (bench/class_client.py), gzip, sticky cookie, and a clean SIGTERM.

Needs /usr/sbin/nginx (scripts/test.sh installs it); without it this fails in CI and skips elsewhere.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gzip
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ci_env import missing

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from class_client import Student  # noqa: E402

NGINX = "/usr/sbin/nginx"
pytestmark = pytest.mark.timeout(150)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def _alive(pid: int) -> bool:
    # A zombie (exited, not yet reaped by its parent) has stopped serving: count it as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _group_members(groups: set[int]) -> list[int]:
    """Live processes whose process group is one of `groups` (each replica leads its own)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def served():
    """serve_class.sh --replicas 2 on a free port; yields (url, {role: (pid, port)}, process)."""
    if not os.access(NGINX, os.X_OK):
        missing(f"{NGINX} is missing: apt-get install nginx (bash scripts/test.sh installs it)")
    port = _free_port()
    proc = subprocess.Popen(["bash", "scripts/serve_class.sh", "--replicas", "2", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    started: dict[str, tuple[int, int | None]] = {}
    lines = []
    deadline = time.monotonic() + 120
    try:
        for line in proc.stdout:
            lines.append(line)
            if m := re.match(r"(replica \d+): pid (\d+) port (\d+)", line):
                started[m[1]] = (int(m[2]), int(m[3]))
            elif m := re.match(r"nginx: pid (\d+)", line):
                started["nginx"] = (int(m[1]), port)
            elif line.startswith("serving "):
                break
            assert time.monotonic() < deadline, "serve_class.sh not serving after 120 s"
        else:
            pytest.fail("serve_class.sh exited before serving:\n" + "".join(lines))
        yield f"http://127.0.0.1:{port}", started, proc
    finally:
        _stop_everything(proc, started)


def _stop_everything(proc: subprocess.Popen, started: dict) -> None:
    """Only when a test failed before the SIGTERM test: the script's trap first, then by PID."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the script and nginx (its process group)
    for role, (pid, _) in started.items():
        if role.startswith("replica") and _group_members({pid}):
            os.killpg(pid, signal.SIGKILL)  # each replica leads its own group


def test_health_and_a_student_session_through_nginx(served):
    url, started, _ = served
    assert {"replica 1", "replica 2", "nginx"} <= started.keys()
    status, headers, body = _get(url + "/_stcore/health")
    assert (status, body) == (200, b"ok")
    assert headers["X-Upstream"] in {f"127.0.0.1:{started[r][1]}" for r in ("replica 1", "replica 2")}

    # As a browser does: load the page (which sets the sticky cookie), then open the websocket.
    _, page_headers, _ = _get(url + "/shapes")
    cookie = page_headers["Set-Cookie"].split(";")[0]

    async def session():
        async with Student(url, "shapes", timeout=60, headers={"Cookie": cookie}) as student:
            await student.open("cell=GRU&units=16")
            await student.change(units=17)
        return student

    # its own thread: the browser tests' Playwright keeps an event loop running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        student = pool.submit(asyncio.run, session()).result()
    assert student.handshake_headers["X-Upstream"] == page_headers["X-Upstream"]
    assert not student.exceptions
    assert student.messages > 20


def test_static_bundle_is_gzipped(served):
    url = served[0]
    index = _get(url + "/")[2].decode()
    bundle = re.search(r'src="\.?/?(static/js/[^"]+\.js)"', index)[1]
    _, headers, body = _get(f"{url}/{bundle}", {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body)[:1000].strip()


def test_a_browser_is_pinned_to_one_replica(served):
    url = served[0]
    _, first, _ = _get(url + "/")
    cookie = first["Set-Cookie"].split(";")[0]
    assert cookie.startswith("rnnlab_replica=")
    replicas = {_get(url + "/_stcore/health", {"Cookie": cookie})[1]["X-Upstream"] for _ in range(6)}
    assert replicas == {first["X-Upstream"]}
    _, pinned, _ = _get(url + "/", {"Cookie": cookie})
    assert "Set-Cookie" not in pinned or not pinned["Set-Cookie"].startswith("rnnlab_replica=")


def test_sigterm_stops_nginx_and_every_replica(served):
    url, started, proc = served
    replica_groups = {pid for role, (pid, _) in started.items() if role.startswith("replica")}
    assert _group_members(replica_groups)  # the replicas (and, once started, their TensorFlow workers)
    proc.send_signal(signal.SIGTERM)  # the script only, not its group: its trap must do the rest
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert [role for role, (pid, _) in started.items() if _alive(pid)] == []
    assert _group_members(replica_groups) == []
    assert [role for role, (_, port) in started.items() if _port_open(port)] == []
