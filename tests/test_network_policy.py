"""Every server benchgen renders (the observer's and the status API's Deployments)
is behind a NetworkPolicy, and its probes have a port of their own that no client
rule admits and no client Service port exposes (issue 14). The one exception is
opt-in: with spec.observe.metrics, the scrape (``scrapeFrom``, and nobody else)
reaches that port through a Service port named ``metrics`` (runtime/metrics.py says
why /metrics lives there). Checked on the example and every golden case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.compile import build, metrics
from generator.config.load import load_file
from tests.test_safety import CONFIGS

Obj = dict[str, Any]


def _objects(config: Path) -> list[Obj]:
    return build(*load_file(config, fast=False)).manifests


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _policies(objects: list[Obj], pod_labels: dict[str, str]) -> list[Obj]:
    return [
        o
        for o in objects
        if o["kind"] == "NetworkPolicy"
        and _selects(o["spec"]["podSelector"].get("matchLabels", {}), pod_labels)
    ]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.parent.name)
def test_every_deployment_is_behind_a_policy_that_never_admits_its_probes(config: Path) -> None:
    bench, names = load_file(config, fast=False)
    objects = build(bench, names).manifests
    scrape = metrics.scrape_rule(bench)  # [] unless spec.observe.metrics
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]
        policies = _policies(objects, pod["metadata"]["labels"])
        assert policies, f"{name}: no NetworkPolicy selects its pods"
        assert all(p["spec"]["policyTypes"] == ["Ingress"] for p in policies)
        every_rule = [rule for p in policies for rule in p["spec"].get("ingress", [])]
        # The metrics scrape's rule, exactly as configured, is the only one that may
        # name the probes' port; every other rule is a client's.
        rules = [rule for rule in every_rule if rule not in scrape]
        # A rule without ports admits every port: none may exist.
        assert all(rule.get("ports") for rule in rules), name
        admitted = {port["port"] for rule in rules for port in rule["ports"]}
        for container in pod["spec"]["containers"]:
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            probed = {
                ports[container[probe]["httpGet"]["port"]]
                for probe in ("livenessProbe", "readinessProbe")
            }
            assert not probed & admitted, f"{name}: a client may reach the probes' port"
            served = {
                ports.get(port["targetPort"], port["targetPort"])
                for service in objects
                if service["kind"] == "Service"
                and _selects(service["spec"]["selector"], pod["metadata"]["labels"])
                for port in service["spec"]["ports"]
                if port["name"] != metrics.PORT_NAME or not scrape
            }
            assert not probed & served, f"{name}: a Service exposes the probes' port"
            assert served <= admitted, f"{name}: a Service port the policy does not admit"


def _status_policy(case: str) -> Obj:
    objects = _objects(Path(__file__).parent / "golden" / case / "config.yaml")
    (policy,) = (
        o
        for o in objects
        if o["kind"] == "NetworkPolicy" and o["metadata"]["name"].endswith("-status")
    )
    return policy


def test_the_status_api_admits_the_configured_namespaces_only() -> None:
    (rule,) = _status_policy("cloudevents-observe")["spec"]["ingress"]
    assert rule == {
        "from": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ci-runners"}}}
        ],
        "ports": [{"protocol": "TCP", "port": 8080}],
    }


def test_the_status_api_without_network_policy_admits_pods_of_the_cluster_only() -> None:
    # networkPolicy left out: any namespace's pods (an Ingress controller, CI runners),
    # never an address outside the pod network, and still only the API's port.
    (rule,) = _status_policy("cloudevents-existing-broker")["spec"]["ingress"]
    assert rule == {
        "from": [{"namespaceSelector": {}}],
        "ports": [{"protocol": "TCP", "port": 8080}],
    }


def test_with_metrics_only_the_scrape_reaches_the_probes_port() -> None:
    config = Path(__file__).parent / "golden" / "observe-metrics" / "config.yaml"
    objects = _objects(config)
    scrape_peer = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
    }
    for policy in (o for o in objects if o["kind"] == "NetworkPolicy"):
        for rule in policy["spec"].get("ingress", []):
            if any(port["port"] == 8081 for port in rule["ports"]):
                assert rule == {"from": [scrape_peer], "ports": [{"protocol": "TCP", "port": 8081}]}
    exposed = [
        (o["metadata"]["name"], port["name"])
        for o in objects
        if o["kind"] == "Service"
        for port in o["spec"]["ports"]
        if port["targetPort"] == "health"
    ]
    assert sorted(exposed) == [
        ("metrics-bench-observer", "metrics"),
        ("metrics-bench-status", "metrics"),
    ]
