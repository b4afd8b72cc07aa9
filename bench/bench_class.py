"""Class-load benchmark: N simulated students on one server (or a proxy), no browser.

    .venv/bin/python bench/bench_class.py --students 40 --think 0            # starts `streamlit run app.py`
    .venv/bin/python bench/bench_class.py --students 200 --think 3
    .venv/bin/python bench/bench_class.py --url http://127.0.0.1:8700 --server-pids 1234   # e.g. nginx
    .venv/bin/python bench/bench_class.py --browsers 8                       # headless Chromium pages

Each student opens a page (pages rotate over --pages) with its own configuration (or, with
--shared, the teacher's), then changes it --changes times through the query string (ui/config.py's
URL contract), waiting --think seconds (±50 %) between changes. A change's latency runs from the
rerun request to that run's `script_finished` (bench/class_client.py). Errors: exception elements,
dropped connections, timeouts. Server: peak RSS summed over its process tree (the --server-pids
roots and all their descendants: replicas, TensorFlow workers, nginx), sampled from /proc (shared
pages count once per process: an upper bound), and its CPU time: % of one core over the run, the
same for its busiest process (one interpreter cannot use much more than one core), and ms per
script run (opens, changes and fragment reruns).
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


def query_string(student: int, step: int, shared: bool) -> str:
    """The configuration of `student` at `step` (0 = the link it opened): units and cell change
    every step; own configs also get a seed of their own, so no two students share a result."""
    who = 0 if shared else student
    units = 4 + (who * 37 + step * 11) % 61
    query = f"cell={CELLS[(who + step) % 3]}&units={units}"
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
                tally.opens.append(await s.change(query_string(index, 0, args.shared)))
                for step in range(1, args.changes + 1):
                    await asyncio.sleep(args.think * rng.uniform(0.5, 1.5))
                    tally.done_change(await s.change(query_string(index, step, args.shared)))
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
            await s.change(query_string(0, 0, True))


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
                            f"{query_string(index, 0, args.shared)}")
            await page.wait_for_function(IDLE_JS, timeout=args.timeout * 1000)
            tally.opens.append(time.perf_counter() - start)
            for step in range(1, args.changes + 1):
                await asyncio.sleep(args.think * rng.uniform(0.5, 1.5))
                await page.evaluate(QUIET_JS, [300, args.timeout * 1000])
                await page.evaluate(ARM_RERUN_TIMER)
                units = query_string(index, step, args.shared).split("units=")[1].split("&")[0]
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
    args = parser.parse_args()
    if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        parser.error("--url: loopback addresses only (http://127.0.0.1:PORT)")

    server = None
    if args.url:
        url = args.url.rstrip("/")
    else:
        server = StreamlitServer("app.py").start(timeout=120)
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
