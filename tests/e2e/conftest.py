"""Fixtures for the real-browser tests: one `streamlit run app.py` per session, one Chromium per session,
a fresh browser context per test.

In CI (CI=true) a missing /usr/bin/chromium or Playwright fails these tests; locally they skip.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ci_env import missing as lacking  # noqa: E402  (tests/, put on sys.path by the parent conftest)
from streamlit_browser import CHROMIUM, StreamlitServer, launch_chromium  # noqa: E402


def _require_browser() -> None:
    missing = [what for what, ok in (
        (f"{CHROMIUM} (apt-get install chromium)", os.path.exists(CHROMIUM)),
        ("the playwright package (pip install -r requirements-dev.txt)", importlib.util.find_spec("playwright")),
    ) if not ok]
    if missing:
        lacking("browser tests need " + " and ".join(missing))


def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def app_server():
    """The real app, served on a free port in 8600-8699; ended by its own PID afterwards."""
    _require_browser()
    server = StreamlitServer("app.py")
    try:
        server.start(timeout=120)
    except Exception:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    # A 2-core machine shared with TensorFlow imports: give content generous time to appear.
    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_server):
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()
