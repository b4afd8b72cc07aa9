"""Class-load benchmark: N simulated students on one server (or a proxy), no browser.

    .venv/bin/python bench/bench_class.py --students 40 --think 0            # starts `streamlit run app.py`
    .venv/bin/python bench/bench_class.py --students 200 --think 3
    .venv/bin/python bench/bench_class.py --url http://127.0.0.1:8700 --server-pids 1234   # e.g. nginx
    .venv/bin/python bench/bench_class.py --browsers 8                       # headless Chromium pages
    .venv/bin/python bench/bench_class.py --per-page            # every page and a trivial app, one run
    .venv/bin/python bench/bench_class.py --capacity --replicas 2   # students held at 3 s and 10 s think

Each student opens a page (pages rotate over --pages) with its own configuration in the URL (or,
with --shared, the teacher's), then changes `units` --changes times through its widget, as a
browser does (the URL is read on a session's first run only), waiting --think seconds (±50 %)
between changes. A change's latency runs from the
rerun request to that run's `script_finished` (bench/class_client.py). Errors: exception elements,
dropped connections, timeouts. Server: peak RSS summed over its process tree (the --server-pids
roots and all their descendants: replicas, TensorFlow workers, nginx), sampled from /proc (shared
pages count once per process: an upper bound), and its CPU time: % of one core over the run, the
same for its busiest process (one interpreter cannot use much more than one core), and ms per
script run (opens, changes and fragment reruns).
`--per-page`: one student per page changes `units` --changes times (0.3 s apart) on the app and,
in the same run, on a trivial app (one number input, one st.plotly_chart, the app's own
.streamlit/config.toml); per change: the server process's CPU, full script runs started
(new_session messages, status reruns included: the student drains after every change), bytes
received, latency. `--capacity`: scripts/serve_class.sh --replicas N (nginx in front, N ≥ 1) and,
for each --think-times value, a bounded search for the most students with p95 ≤ 1 s and 0 errors.
A benchmark, not a test: it prints a markdown table and never fails on a missed target.
The client runs on the same cores as the server, so heavy runs understate the server a little.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from class_client import Student, StudentError  # noqa: E402
from streamlit_browser import StreamlitServer  # noqa: E402

PAGES = ["", "shapes", "parameters", "hidden_states", "gates"]
CELLS = ("SimpleRNN", "LSTM", "GRU")
TARGET_P95 = 1.0       # seconds, both targets of issue 13
TARGET_RSS_GB = 2.0
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def units_at(student: int, step: int, shared: bool) -> int:
    """`units` of `student` at `step` (0 = the link it opened)."""
    return 4 + ((0 if shared else student) * 37 + step * 11) % 61


def query_string(student: int, shared: bool) -> str:
    """The link `student` opens: the URL is read on a session's first run only, so the cell is the
    student's for good and later changes set `units` through its widget; own configs also get a
    seed of their own, so no two students share a result."""
    who = 0 if shared else student
    query = f"cell={CELLS[who % 3]}&units={units_at(student, 0, shared)}"
    return query if shared else f"{query}&seed={student + 1}"


@dataclass
class Tally:
    """What every student saw, summed."""
    latencies: list = field(default_factory=list)    # seconds per change
    opens: list = field(default_factory=list)        # seconds to the first page's script_finished
    exceptions: list = field(default_factory=list)
    dropped: int = 0
    timeouts: int = 0
    fragment_reruns: int = 0
    first_change: float | None = None
    last_change: float | None = None

    def failed(self, err: StudentError) -> None:
        if err.kind == "timeout":
            self.timeouts += 1
        else:
            self.dropped += 1

    def done_change(self, seconds: float) -> None:
        now = time.perf_counter()
        self.latencies.append(seconds)
        self.first_change = min(self.first_change or now - seconds, now - seconds)
        self.last_change = now


async def one_student(url: str, index: int, args, tally: Tally) -> None:
    page = args.pages[index % len(args.pages)]
    rng = random.Random(index)
    await asyncio.sleep(rng.uniform(0, args.ramp))
    try:
        async with Student(url, page, timeout=args.timeout, auto_rerun=not args.no_auto_rerun) as s:
            try:
                tally.opens.append(await s.open(query_string(index, args.shared)))
                for step in range(1, args.changes + 1):
                    await asyncio.sleep(args.think * rng.uniform(0.5, 1.5))
                    tally.done_change(await s.change(units=units_at(index, step, args.shared)))
            finally:
                tally.exceptions += s.exceptions
                tally.fragment_reruns += s.fragment_reruns
    except StudentError as err:
        tally.failed(err)


async def run_class(url: str, args) -> Tally:
    tally = Tally()
    tasks = [asyncio.create_task(one_student(url, i, args, tally)) for i in range(args.students)]
    _, pending = await asyncio.wait(tasks, timeout=args.max_seconds)
    for task in pending:  # bounded run: whoever is still going counts as a timeout
        task.cancel()
        tally.timeouts += 1
    await asyncio.gather(*pending, return_exceptions=True)
    return tally


async def warm_up(url: str, pages, timeout: float) -> None:
    """One visit per page, so imports and first-run costs are not in the class's figures."""
    for page in pages:
        async with Student(url, page, timeout=timeout, auto_rerun=False) as s:
            await s.open(query_string(0, True))


class ServerMeter:
    """Peak summed RSS and total CPU time of the given processes and all their descendants (/proc)."""

    def __init__(self, roots: list[int], every: float = 0.25):
        self.roots, self.every, self.peak, self.processes = roots, every, 0, 0
        self._cpu: dict[int, float] = {}       # pid -> last CPU seconds seen (exited ones stay counted)
        self._cpu_start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu.values()) - sum(self._cpu_start.values())

    @property
    def busiest_cpu_seconds(self) -> float:
        """CPU time of the busiest single process: near the wall time, it is bound by its GIL."""
        return max((cpu - self._cpu_start.get(pid, 0.0) for pid, cpu in self._cpu.items()), default=0.0)

    def __enter__(self):
        if self.roots:
            self._sample()
            self._cpu_start = dict(self._cpu)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
            self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def _sample(self) -> None:
        pids, total = self._tree(), 0
        for pid in pids:
            rss, cpu = _rss_and_cpu(pid)
            total += rss
            if cpu:
                self._cpu[pid] = cpu
        if total > self.peak:
            self.peak, self.processes = total, len(pids)

    def _tree(self) -> set[int]:
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
        seen, todo = set(), list(self.roots)
        while todo:
            pid = todo.pop()
            if pid not in seen:
                seen.add(pid)
                todo += children.get(pid, [])
        return seen


def _rss_and_cpu(pid: int) -> tuple[int, float]:
    """(resident bytes, user + system CPU seconds) of one process; (0, 0) once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0, 0.0
    # Fields after the command: state is [0]; utime, stime [11], [12]; rss (pages) [21].
    return int(fields[21]) * PAGE_BYTES, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def browser_class(url: str, args) -> Tally:
    """`--browsers K`: K headless Chromium pages, each typing new `units` into the sidebar."""
    from bench_app import ARM_RERUN_TIMER
    from playwright.async_api import async_playwright
    from streamlit_browser import CHROMIUM, CHROMIUM_ARGS, IDLE_JS, QUIET_JS

    tally = Tally()

    async def one_page(browser, index: int) -> None:
        rng = random.Random(index)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await context.new_page()
        try:
            start = time.perf_counter()
            await page.goto(f"{url}/{args.pages[index % len(args.pages)]}?"
                            f"{query_string(index, args.shared)}")
            await page.wait_for_function(IDLE_JS, timeout=args.timeout * 1000)
            tally.opens.append(time.perf_counter() - start)
            for step in range(1, args.changes + 1):
                await asyncio.sleep(args.think * rng.uniform(0.5, 1.5))
                await page.evaluate(QUIET_JS, [300, args.timeout * 1000])
                await page.evaluate(ARM_RERUN_TIMER)
                units = str(units_at(index, step, args.shared))
                box = page.locator(".st-key-units input")
                await box.fill(units)
                await box.press("Enter")
                tally.done_change(await page.evaluate("() => window.__rerunMs") / 1000)
            tally.exceptions += [await e.inner_text() for e in await page.locator(".stException").all()]
        except Exception as err:  # a browser-side timeout or a closed page: count it, keep the others going
            tally.failed(StudentError("timeout" if "Timeout" in type(err).__name__ else "dropped", repr(err)))
        finally:
            await context.close()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        await asyncio.wait_for(asyncio.gather(*(one_page(browser, i) for i in range(args.browsers))),
                               args.max_seconds)
        await browser.close()
    return tally


def percentile(values, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def table_row(label: str, args, tally: Tally, rss: ServerMeter, wall: float) -> str:
    errors = len(tally.exceptions) + tally.dropped + tally.timeouts
    span = (tally.last_change - tally.first_change) if tally.latencies and tally.last_change > tally.first_change else 0
    rate = len(tally.latencies) / span if span else float("nan")
    rss_text = f"{rss.peak / 2**30:.2f} ({rss.processes} proc)" if rss.peak else "n/a"
    runs = len(tally.opens) + len(tally.latencies) + tally.fragment_reruns
    # A browser's fragment reruns are not counted, so per run would be inflated there.
    per_run = "n/a" if args.browsers or not runs else f"{1000 * rss.cpu_seconds / runs:.0f}"
    cpu_text = (f"{rss.cpu_seconds / wall:.0%} ({rss.busiest_cpu_seconds / wall:.0%}) / {per_run}"
                if rss.peak else "n/a")
    p95 = percentile(tally.latencies, 0.95)
    ok = p95 <= TARGET_P95 and errors == 0 and (not rss.peak or rss.peak <= TARGET_RSS_GB * 2**30)
    who = f"{args.browsers} browsers" if args.browsers else f"{args.students} students"
    return (f"| {label} | {who} | {args.think:g} s | {'shared' if args.shared else 'own'} "
            f"| {len(tally.latencies)}/{(args.browsers or args.students) * args.changes} "
            f"| {statistics.median(tally.latencies) if tally.latencies else float('nan'):.2f} | {p95:.2f} "
            f"| {max(tally.latencies, default=float('nan')):.2f} "
            f"| {percentile(tally.opens, 0.95):.2f} ({len(tally.opens)}/{args.browsers or args.students}) "
            f"| {len(tally.exceptions)} / {tally.dropped} / {tally.timeouts} | {rate:.1f} "
            f"| {'n/a' if args.browsers else tally.fragment_reruns} | {cpu_text} | {rss_text} "
            f"| {'yes' if ok else 'no'} |")


HEADER = ("| server | load | think | configs | changes done | p50 s | p95 s | max s | open p95 s (opened) "
          "| errors exc / dropped / timeout | changes/s | fragment reruns "
          "| server CPU % of a core (busiest process) / ms per run "
          "| peak RSS GB | meets target |\n"
          "|---|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|---|:---:|")


# --- --per-page: each page against a trivial app, in one run ------------------------------------

TRIVIAL_APP = """import plotly.graph_objects as go
import streamlit as st

units = st.number_input("units", 1, 256, int(st.query_params.get("units", 8)), key="units")
st.plotly_chart(go.Figure(go.Scatter(y=list(range(units)))))
"""


def ephemeral_port() -> int:
    """A port the kernel picks: other agents' test servers crowd 8600-8699 (streamlit_browser.PORTS),
    and a server that loses the race for its port would leave us measuring someone else's."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process, not its children."""
    return _rss_and_cpu(pid)[1]


async def page_changes(url: str, page: str, pid: int, changes: int, timeout: float, seed: int) -> dict:
    """One student on `page`: open, settle, then `changes` changes of `units` (0.3 s apart, each
    drained), measured as the server process's CPU, full runs, bytes and latency per change.
    Each page gets its own `seed`: configurations no earlier page has computed or cross-checked
    (results are shared across pages and sessions), as for a student who picks a new one."""
    async with Student(url, page, timeout=timeout) as s:
        await s.open(f"units=6&seed={seed}")
        await s.drain()
        cpu0, runs0, frags0, bytes0 = process_cpu(pid), s.full_runs, s.fragment_runs, s.bytes_received
        latencies = []
        for k in range(changes):
            await asyncio.sleep(0.3)
            latencies.append(await s.change(units=7 + k % 24))  # small layers, all new
            await s.drain()
        # the drains' idle time costs the server next to nothing (tornado waits in epoll)
        cpu = process_cpu(pid) - cpu0
        return {"cpu_ms": 1000 * cpu / changes, "runs": (s.full_runs - runs0) / changes,
                "fragments": (s.fragment_runs - frags0) / changes,
                "kib": (s.bytes_received - bytes0) / changes / 1024,
                "p50": statistics.median(latencies), "errors": len(s.exceptions)}


def per_page(args) -> None:
    import shutil
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory(prefix="trivial-app-") as tmp:
        (Path(tmp) / ".streamlit").mkdir()
        shutil.copy(ROOT / ".streamlit" / "config.toml", Path(tmp) / ".streamlit" / "config.toml")
        (Path(tmp) / "trivial.py").write_text(TRIVIAL_APP)
        extra = tuple(args.server_args.split())
        with StreamlitServer("app.py", port=ephemeral_port(), extra_args=extra) as app, \
                StreamlitServer("trivial.py", cwd=tmp, port=ephemeral_port(), extra_args=extra) as trivial:
            asyncio.run(warm_up(app.url, args.pages, timeout=120))
            asyncio.run(warm_up(trivial.url, [""], timeout=120))
            time.sleep(args.settle)
            # interleaved: the trivial app is measured right before each page, under the same load
            for index, page in enumerate(args.pages):
                base = asyncio.run(page_changes(trivial.url, "", trivial.proc.pid, args.changes, args.timeout,
                                                seed=100 + index))
                got = asyncio.run(page_changes(app.url, page, app.proc.pid, args.changes, args.timeout,
                                               seed=100 + index))
                rows.append((page, got, base))
                print(f"  /{page}: {got['cpu_ms']:.0f} ms, trivial {base['cpu_ms']:.0f} ms", file=sys.stderr)
    print(f"\n**bench_class --per-page — {conditions()}{'; ' + args.server_args if args.server_args else ''}; {args.changes} changes of `units` per page, "
          "one student, shipped configuration**\n")
    print("| page | server CPU ms/change (trivial) | ratio | full runs/change (trivial) "
          "| fragment runs/change | KiB/change (trivial) | ratio | p50 latency s (trivial) | exceptions |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for page, got, base in rows:
        print(f"| /{page} | {got['cpu_ms']:.0f} ({base['cpu_ms']:.0f}) | {got['cpu_ms'] / base['cpu_ms']:.2f}× "
              f"| {got['runs']:.2f} ({base['runs']:.2f}) | {got['fragments']:.2f} "
              f"| {got['kib']:.0f} ({base['kib']:.0f}) | {got['kib'] / base['kib']:.1f}× "
              f"| {got['p50']:.3f} ({base['p50']:.3f}) | {got['errors']} |")


STEP_BYTES_QUERY = "cell=LSTM&units=8&timesteps={timesteps}&seed={seed}"


async def step_bytes_per_run(url: str, timesteps: int, runs: int, timeout: float) -> float:
    """KiB received per full run of /gates with LSTM(8) over `timesteps` steps, drained (so the
    status poll's messages count): a fresh session per seed, as the URL is read on a session's
    first run only. A change resends every element, so this is a change's bytes plus the session
    start's few (new_session, navigation)."""
    total = 0
    for k in range(runs):
        async with Student(url, "gates", timeout=timeout) as s:
            await s.open(STEP_BYTES_QUERY.format(timesteps=timesteps, seed=2 + k))
            await s.drain()
            total += s.bytes_received
    return total / runs / 1024


def step_bytes(args) -> None:
    """Issue 19.3's targets: /gates LSTM(8), T=10 <= 40 KiB per change; T=40 <= 4.5x that."""
    with StreamlitServer("app.py", port=ephemeral_port()) as app:
        asyncio.run(warm_up(app.url, ["gates"], timeout=120))
        kib = {t: asyncio.run(step_bytes_per_run(app.url, t, args.changes, args.timeout))
               for t in (10, 40)}
    print(f"\n**bench_class --step-bytes — {conditions()}; /gates LSTM(8), {args.changes} seeds "
          "each, all messages of a run (status poll included)**\n")
    print("| T | KiB/run | vs T=10 | target (per change) |\n|---:|---:|---:|---|")
    print(f"| 10 | {kib[10]:.1f} | 1.00× | ≤ 40 KiB |")
    print(f"| 40 | {kib[40]:.1f} | {kib[40] / kib[10]:.2f}× | ≤ 4.5× |")


def conditions() -> str:
    import subprocess

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return (f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, commit {commit}{'+changes' if dirty else ''}, "
            f"1-min load average at the end {os.getloadavg()[0]:.1f}")


# --- --capacity: students held behind scripts/serve_class.sh ----------------------------------

class ServeClass:
    """`bash scripts/serve_class.sh --replicas N` on a free loopback port, stopped by its own PID."""

    def __init__(self, replicas: int):
        self.replicas, self.port = replicas, ephemeral_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        import subprocess

        self.proc = subprocess.Popen(["bash", "scripts/serve_class.sh", "--replicas", str(self.replicas),
                                      "--port", str(self.port)], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        lines, deadline = [], time.monotonic() + 180
        for line in self.proc.stdout:
            lines.append(line)
            if line.startswith("serving "):
                threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # keep the pipe flowing
                return self
            if time.monotonic() > deadline:
                break
        self.__exit__()
        raise RuntimeError("serve_class.sh did not start:\n" + "".join(lines))

    def __exit__(self, *exc):
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # its trap stops nginx and every replica's group
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def trial(url: str, students: int, think: float, changes: int, pid: int, args) -> tuple[bool, str]:
    """One class of `students` at `think`: (held?, a table row's cells)."""
    trial_args = argparse.Namespace(**{**vars(args), "students": students, "think": think,
                                       "changes": changes, "ramp": think, "shared": False,
                                       "timeout": min(args.timeout, 10.0),
                                       "max_seconds": think * (changes + 2) * 1.5 + 30})
    with ServerMeter([pid]) as meter:
        tally = asyncio.run(run_class(url, trial_args))
    errors = len(tally.exceptions) + tally.dropped + tally.timeouts
    p95 = percentile(tally.latencies, 0.95)
    held = errors == 0 and p95 <= TARGET_P95
    return held, (f"{students} | {p95:.2f} | {len(tally.exceptions)}/{tally.dropped}/{tally.timeouts} "
                  f"| {meter.peak / 2**30:.2f} | {'yes' if held else 'no'}")


def capacity(args) -> None:
    """Bounded search per think time: double from --start-students while held (up to
    --max-students), then halve the gap twice; stops early when the time budget is spent."""
    lines, found = [], []
    with ServeClass(args.replicas) as served:
        asyncio.run(warm_up(served.url, args.pages, timeout=120))
        time.sleep(args.settle)
        for think in args.think_times:
            changes = 5 if think < 5 else 3
            budget = time.monotonic() + args.max_seconds / len(args.think_times)
            good, bad, n = 0, None, args.start_students
            while n and time.monotonic() < budget:
                held, row = trial(served.url, n, think, changes, served.proc.pid, args)
                lines.append(f"| {args.replicas} | {think:g} s | {changes} | {row} |")
                print("  " + lines[-1], file=sys.stderr)
                good, bad = (max(good, n), bad) if held else (good, n if bad is None else min(bad, n))
                if bad is None:
                    n = min(2 * n, args.max_students) if n < args.max_students else 0
                elif bad - good > max(2, good // 4):
                    n = (good + bad) // 2
                else:
                    n = 0
            found.append((think, good, bad))
    print(f"\n**bench_class --capacity — {conditions()}; scripts/serve_class.sh --replicas {args.replicas} "
          "(nginx), own configuration per student, pages in rotation**\n")
    print("| replicas | think | changes each | students | p95 s | errors exc/dropped/timeout "
          "| peak RSS GB | held |")
    print("|---:|---:|---:|---:|---:|---|---:|:---:|")
    print("\n".join(lines))
    print("\n| replicas | think | students held (p95 ≤ 1 s, 0 errors) | first not held |")
    print("|---:|---:|---:|---:|")
    for think, good, bad in found:
        beyond = (f"> {args.max_students}" if good >= args.max_students
                  else f"not reached: time budget spent after {good}")
        print(f"| {args.replicas} | {think:g} s | {good} | {bad if bad is not None else beyond} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--changes", type=int, default=10, help="configuration changes per student")
    parser.add_argument("--think", type=float, default=0.0, help="seconds between changes (±50 %%)")
    parser.add_argument("--shared", action="store_true", help="all students follow one config sequence")
    parser.add_argument("--pages", nargs="+", default=PAGES, help="url_paths students open, in rotation")
    parser.add_argument("--url", help="measure a running server or proxy instead of starting one")
    parser.add_argument("--server-pids", default="", help="comma-separated PIDs whose process trees "
                        "count as the server's memory (default: the server this script starts)")
    parser.add_argument("--label", help="first column of the table (default: direct / the --url)")
    parser.add_argument("--browsers", type=int, default=0, help="use this many headless Chromium pages")
    parser.add_argument("--ramp", type=float, default=2.0, help="students arrive over this many seconds")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per change before a timeout")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="bound on the whole run")
    parser.add_argument("--settle", type=float, default=8.0,
                        help="seconds after warm-up (the TensorFlow worker starts and imports)")
    parser.add_argument("--no-auto-rerun", action="store_true",
                        help="do not answer the app's run_every fragment polls as a browser does")
    parser.add_argument("--server-args", default="", help="--per-page: extra `streamlit run` options "
                        "for both servers (e.g. '--runner.postScriptGC false' to try a setting)")
    parser.add_argument("--per-page", action="store_true", help="every page against a trivial app")
    parser.add_argument("--step-bytes", action="store_true", help="/gates LSTM(8): KiB per change "
                        "at T=10 and T=40 (the step-through's bytes grow linearly in T)")
    parser.add_argument("--capacity", action="store_true", help="students held at p95 <= 1 s")
    parser.add_argument("--replicas", type=int, default=1, help="--capacity: serve_class.sh replicas")
    parser.add_argument("--think-times", type=float, nargs="+", default=[3.0, 10.0])
    parser.add_argument("--start-students", type=int, default=10)
    parser.add_argument("--max-students", type=int, default=320)
    args = parser.parse_args()
    if args.per_page:
        return per_page(args)
    if args.step_bytes:
        return step_bytes(args)
    if args.capacity:
        return capacity(args)
    if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        parser.error("--url: loopback addresses only (http://127.0.0.1:PORT)")

    server = None
    if args.url:
        url = args.url.rstrip("/")
    else:
        server = StreamlitServer("app.py", port=ephemeral_port()).start(timeout=120)
        url = server.url
    roots = [int(p) for p in args.server_pids.split(",") if p] or ([server.proc.pid] if server else [])
    try:
        asyncio.run(warm_up(url, args.pages, timeout=120))
        time.sleep(args.settle)
        with ServerMeter(roots) as rss:
            started = time.perf_counter()
            tally = asyncio.run(browser_class(url, args) if args.browsers else run_class(url, args))
            wall = time.perf_counter() - started
        load = os.getloadavg()[0]
    finally:
        if server is not None:
            server.stop()

    print(f"\n**bench_class — {time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; {wall:.0f} s wall; load average at the end {load:.1f}**\n")
    print(HEADER)
    print(table_row(args.label or ("direct" if server else url), args, tally, rss, wall))
    if tally.exceptions:
        print("\nExceptions seen (first 5):", *sorted(set(tally.exceptions))[:5], sep="\n- ")
    print(f"\nTargets (issue 13): p95 ≤ {TARGET_P95:g} s, 0 errors, server memory ≤ {TARGET_RSS_GB:g} GB.")


if __name__ == "__main__":
    main()
