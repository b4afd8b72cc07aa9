"""Whether this run is CI (CI=1/true/yes): there a missing TensorFlow or browser fails a test
instead of skipping it. One definition for every conftest."""
import os

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> None:
    """A test requirement is missing: fail in CI (it must run there), skip on a developer machine."""
    import pytest

    if IN_CI:
        pytest.fail(reason + " (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason + "; set CI=true to make this a failure")
