"""Shared fixtures. Tests that need TensorFlow use the ``keras`` fixture, tests that need PyTorch
the ``torch`` fixture: each skips when its framework is missing on a developer machine, but
FAILS when CI=true (CI must run them).
With CI=true any skipped test, whatever skipped it, also fails the run."""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

try:
    from hypothesis import HealthCheck, settings

    # "ci" keeps the whole Keras property suite to a few minutes on 2 shared cores;
    # "dev" is for quick local iteration; "thorough" for a long local soak.
    _common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                   derandomize=False, print_blob=True)
    settings.register_profile("ci", max_examples=60, **_common)
    settings.register_profile("dev", max_examples=15, **_common)
    settings.register_profile("thorough", max_examples=1000, **_common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # hypothesis is a test requirement; the property tests import it themselves
    pass

# `pytest` from the repo root must import rnn_core without an install step.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ci_env import IN_CI, missing  # noqa: E402  (tests/ is on sys.path: pytest puts conftest dirs there)


def _require(module: str, what: str, hint: str):
    """Import ``module``: skip without it on a developer machine, fail in CI (CI=true)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing(f"{what} not installed ({exc}; {hint})")


def _import_keras():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _require("tensorflow", "TensorFlow/Keras", "pip install tensorflow")
    return _require("keras", "TensorFlow/Keras", "pip install tensorflow")


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failed run, whatever skipped it: CI must run every test."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if IN_CI and skipped and session.exitstatus == 0:
        reporter.write("\n")
        reporter.write_sep("=", f"CI=true: {len(skipped)} test(s) skipped, and CI must run every "
                                "test (reasons in the summary)", red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session")
def keras():
    """The real Keras 3 (TensorFlow backend), imported once per session."""
    return _import_keras()


@pytest.fixture(scope="session")
def torch():
    """The real PyTorch (CPU build pinned in requirements-dev.txt), imported once per session."""
    return _require("torch", "PyTorch", "pip install torch==2.13.0")


@pytest.fixture(scope="session")
def tf(keras):
    import tensorflow

    return tensorflow


@pytest.fixture
def rng():
    return np.random.default_rng(0)
