"""Whether this run is CI (CI=1/true/yes): there a missing TensorFlow or browser fails a test
instead of skipping it. One definition for every conftest."""
import os

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
