"""spec.observe.metrics: located problems, and what it adds to the rendered objects
(the full output is the golden case tests/golden/observe-metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.compile import build
from generator.config.fullload import load_bytes
from generator.errors import ConfigError

CASE = Path(__file__).parent / "golden" / "observe-metrics" / "config.yaml"


def config(**metrics: Any) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(CASE.read_text())
    if metrics:
        doc["spec"]["observe"]["metrics"] = metrics
    return doc


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_bytes(yaml.safe_dump(doc).encode(), "b.yaml")
    return [str(p) for p in caught.value.problems]


def objects(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    loaded = load_bytes(yaml.safe_dump(doc).encode(), "b.yaml")
    return {
        (m["kind"], m["metadata"]["name"]): m for m in build(loaded.bench, loaded.names).manifests
    }


@pytest.mark.parametrize("interval", ["0s", "1.5s", "30", "1s1m", "500ms", ""])
def test_a_scrape_interval_prometheus_or_go_would_not_read_is_refused(interval: str) -> None:
    [problem] = problems(config(interval=interval))
    assert "spec.observe.metrics.interval" in problem
    assert "whole hours, minutes and seconds" in problem


def test_scrape_peers_are_checked_where_they_are_written() -> None:
    found = problems(
        config(scrapeFrom={"namespaces": ["Not_A_Namespace"], "podLabels": {"app": ""}})
    )
    assert any("spec.observe.metrics.scrapeFrom.namespaces" in p for p in found), found
    assert any("spec.observe.metrics.scrapeFrom.podLabels" in p for p in found), found


def test_the_observers_metrics_service_needs_a_dns1035_name() -> None:
    doc = config()
    doc["metadata"]["name"] = "9bench"
    found = problems(doc)
    assert any("metrics Service" in p and "metadata.name" in p for p in found), found


def test_without_metrics_nothing_reaches_the_probes_port() -> None:
    doc = config()
    del doc["spec"]["observe"]["metrics"]
    out = objects(doc)
    assert not any(kind in ("ServiceMonitor",) for kind, _ in out)
    assert ("Service", "metrics-bench-observer") not in out
    assert [p["name"] for p in out[("Service", "metrics-bench-status")]["spec"]["ports"]] == [
        "http"
    ]
    assert "ingress" not in out[("NetworkPolicy", "metrics-bench-observer")]["spec"]
    status_rules = out[("NetworkPolicy", "metrics-bench-status")]["spec"]["ingress"]
    assert [rule["ports"][0]["port"] for rule in status_rules] == [8080]


def test_metrics_without_a_service_monitor_keep_the_services_and_policies() -> None:
    out = objects(config(scrapeFrom={"namespaces": ["prom"]}))
    assert not any(kind == "ServiceMonitor" for kind, _ in out)
    observer = out[("Service", "metrics-bench-observer")]
    assert observer["spec"]["ports"] == [
        {"name": "metrics", "port": 8081, "targetPort": "health", "protocol": "TCP"}
    ]
    [rule] = out[("NetworkPolicy", "metrics-bench-observer")]["spec"]["ingress"]
    assert rule == {
        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "prom"}}}],
        "ports": [{"protocol": "TCP", "port": 8081}],
    }


def test_the_custom_task_controller_is_scraped_too() -> None:
    doc = config()
    doc["spec"]["poll"] = {"mode": "controller"}
    out = objects(doc)
    svc = out[("Service", "metrics-bench-custom-tasks")]
    assert svc["spec"]["selector"]["benchgen.dev/role"] == "custom-tasks"
    assert svc["metadata"]["labels"]["benchgen.dev/metrics"] == "true"
    assert [p["name"] for p in svc["spec"]["ports"]] == ["metrics"]
    [rule] = out[("NetworkPolicy", "metrics-bench-custom-tasks")]["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8081}]
    monitor = out[("ServiceMonitor", "metrics-bench")]["spec"]
    assert monitor["selector"]["matchLabels"]["benchgen.dev/metrics"] == "true"
