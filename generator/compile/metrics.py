"""spec.observe.metrics: how Prometheus reaches ``GET /metrics`` of the observer, the
status API and the custom-task controller (runtime/metrics.py).

Each serves it on its probes' port (HEALTH_PORT, container port ``health``): it
is not the status API's public port, needs no credentials, and its own thread
answers a scrape whatever clients the API port is busy with. This module adds
what a scrape needs and nothing when ``metrics`` is left out:

- a Service port named ``metrics`` (to ``health``): the observer and the
  custom-task controller get a Service for it (they have no other), the status
  API's Service one more port;
- the label METRICS_LABEL on those Services, which the ServiceMonitor selects;
- the NetworkPolicy rule admitting ``scrapeFrom`` to that port (network.py calls
  ``scrape_rule``);
- with ``serviceMonitor: true``, a ``monitoring.coreos.com/v1`` ServiceMonitor
  (prometheus-operator's API: spec.selector, spec.endpoints[].port/path/interval).
"""

from __future__ import annotations

from generator.compile.controller import HEALTH_PORT, service
from generator.compile.meta import Manifest, manifest, metadata
from generator.config.names import BENCHMARK_LABEL, Names

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark, MetricsSpec

METRICS_LABEL = "benchgen.dev/metrics"
PORT_NAME = "metrics"
PATH = "/metrics"


def spec(bench: Benchmark) -> MetricsSpec | None:
    observe = bench.spec.observe
    return None if observe is None else observe.metrics


def _port() -> Manifest:
    return {"name": PORT_NAME, "port": HEALTH_PORT, "targetPort": "health", "protocol": "TCP"}


def _labelled(svc: Manifest) -> Manifest:
    labels = {**svc["metadata"]["labels"], METRICS_LABEL: "true"}
    svc["metadata"]["labels"] = dict(sorted(labels.items()))
    return svc


def with_metrics_port(bench: Benchmark, svc: Manifest) -> Manifest:
    """The status API's Service, with the metrics port and label when configured."""
    if spec(bench) is None:
        return svc
    svc["spec"]["ports"].append(_port())
    return _labelled(svc)


def build(bench: Benchmark, names: Names) -> list[Manifest]:
    """The metrics Services of the observer and the custom-task controller, and the
    ServiceMonitor."""
    metrics = spec(bench)
    if metrics is None:
        return []
    out: list[Manifest] = []
    # The observer and the custom-task controller serve nothing else: a Service of
    # their own name with this one port.
    for used, name, role in (
        (names.uses_observer, names.observer, "observer"),
        (names.uses_custom_tasks, names.custom_tasks, "custom-tasks"),
    ):
        if used:
            svc = service(names, name, role, HEALTH_PORT)
            svc["spec"]["ports"] = [_port()]
            out.append(_labelled(svc))
    if metrics.service_monitor and (out or names.uses_status):
        selector = {BENCHMARK_LABEL: names.base, METRICS_LABEL: "true"}
        endpoint = {"port": PORT_NAME, "path": PATH, "scheme": "http", "interval": metrics.interval}
        labels = dict(sorted({**names.labels, **metrics.labels}.items()))
        out.append(
            manifest(
                "monitoring.coreos.com/v1",
                "ServiceMonitor",
                {**metadata(names, names.base), "labels": labels},
                spec={"selector": {"matchLabels": selector}, "endpoints": [endpoint]},
            )
        )
    return out


def scrape_rule(bench: Benchmark) -> list[Manifest]:
    """The ingress rule admitting the scrape to the probes' port; none without metrics."""
    metrics = spec(bench)
    if metrics is None:
        return []
    peers: list[Manifest] = []
    for ns in metrics.scrape_from.namespaces:
        peer: Manifest = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}
        if metrics.scrape_from.pod_labels:  # the same peer: these pods in that namespace
            peer["podSelector"] = {
                "matchLabels": dict(sorted(metrics.scrape_from.pod_labels.items()))
            }
        peers.append(peer)
    return [{"from": peers, "ports": [{"protocol": "TCP", "port": HEALTH_PORT}]}]
