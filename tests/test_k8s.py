"""deploy/k8s/: every manifest valid against the Kubernetes schemas (kubernetes-validate, offline,
strict: unknown fields are errors), and wired together the way a class needs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

kubernetes_validate = pytest.importorskip("kubernetes_validate")  # requirements-dev.txt
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
# The oldest Kubernetes still supported upstream when this was written, and the newest known to
# the validator: the manifests must be valid on both.
VERSIONS = ["1.32.0", kubernetes_validate.latest_version()]
MANIFESTS = sorted(K8S.glob("*.yaml"))


def documents() -> dict[str, dict]:
    """Every manifest in deploy/k8s, by kind (one of each)."""
    out = {}
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            assert doc["kind"] not in out, f"two {doc['kind']}s"
            out[doc["kind"]] = doc
    return out


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid_against_the_kubernetes_schema(path, version):
    for doc in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(doc, version, strict=True)  # raises ValidationError


def test_the_validator_rejects_a_broken_manifest():
    deployment = documents()["Deployment"]
    broken = dict(deployment, spec=dict(deployment["spec"], replicas="two"))
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_pieces_fit_together():
    docs = documents()
    assert {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"} <= docs.keys()
    deployment, service = docs["Deployment"], docs["Service"]
    ingress, hpa = docs["Ingress"], docs["HorizontalPodAutoscaler"]
    pod = deployment["spec"]["template"]
    [container] = pod["spec"]["containers"]

    # The Service selects the pods, and the Ingress routes to the Service's port.
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}

    # The container listens where the image's streamlit does (the Dockerfile's CMD).
    port = int(re.search(r'"--server.port", "(\d+)"', (ROOT / "Dockerfile").read_text())[1])
    assert [p["containerPort"] for p in container["ports"]] == [port]

    # Health: readiness and liveness on Streamlit's own health endpoint.
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] == "/_stcore/health", probe

    # One cookie secret for all replicas, from a Secret.
    [secret] = [e for e in container["env"] if e["name"] == "STREAMLIT_SERVER_COOKIE_SECRET"]
    assert "secretKeyRef" in secret["valueFrom"]

    # Sticky sessions and websockets that outlive a quiet lesson.
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(notes[f"nginx.ingress.kubernetes.io/{timeout}"]) >= 3600, timeout

    # The autoscaler scales this Deployment on CPU, against a CPU request it can measure.
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert "cpu" in container["resources"]["requests"]
