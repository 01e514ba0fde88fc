"""Every NetworkPolicy (ingress only): who may reach each listening component, on which port.

The kubelet's probes come from the node, which NetworkPolicy does not filter in the
common CNIs (Calico, Cilium, Antrea allow host-local traffic): no probe port needs a rule.
The one rule for the probes' port of the observer and the status API admits the metrics
scrape (spec.observe.metrics.scrapeFrom; metrics.scrape_rule), only when configured.
"""

from __future__ import annotations

from generator.compile import interceptor, metrics
from generator.compile.controller import STATUS_PORT
from generator.compile.meta import Manifest, manifest, metadata
from generator.config.facts import delivery_provider
from generator.config.names import LISTENER_PORT, Names

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark


def build(bench: Benchmark, names: Names) -> list[Manifest]:
    return [
        *_events_listener(bench, names),
        *_event_key(bench, names),
        *_observer(bench, names),
        *_status(bench, names),
        *_custom_tasks(bench, names),
    ]


def network_policy(names: Names, name: str, pods: Manifest, ingress: list[Manifest]) -> Manifest:
    """Ingress to the pods labelled ``pods``: ``ingress`` only, none when it is empty."""
    spec: Manifest = {"podSelector": {"matchLabels": pods}, "policyTypes": ["Ingress"]}
    if ingress:  # `ingress: []` would be dropped by the API server (omitempty): leave it out
        spec["ingress"] = ingress
    return manifest("networking.k8s.io/v1", "NetworkPolicy", metadata(names, name), spec=spec)


def _namespace(name: str) -> Manifest:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _events_listener(bench: Benchmark, names: Names) -> list[Manifest]:
    """Only the Broker's dispatcher may reach the CloudEvents listener.

    The listener has no webhook authentication (a Broker delivery carries no
    signature), so the network is its authentication: pods in the dispatcher
    namespace on the listener port, nothing else. Metrics scraping (port 9000)
    needs its own policy.
    """
    cloud = bench.spec.triggers.cloud_events
    if cloud is None or not cloud.network_policy.enabled:
        return []
    dispatcher = _namespace(cloud.network_policy.dispatcher_namespace)
    ingress = [{"from": [dispatcher], "ports": [{"protocol": "TCP", "port": LISTENER_PORT}]}]
    # Triggers labels the listener's pods eventlistener=<name>.
    pods = {"eventlistener": names.events_listener}
    return [network_policy(names, names.events_listener, pods, ingress)]


def _event_key(bench: Benchmark, names: Names) -> list[Manifest]:
    """Only the listeners' pods that call it, on the interceptor's port."""
    if not names.uses_event_key:
        return []
    listeners = []
    if bench.spec.triggers.cloud_events is not None:
        listeners.append(names.events_listener)
    if delivery_provider(bench) is not None:
        listeners.append(names.listener)
    port = [{"protocol": "TCP", "port": interceptor.KEY_PORT}]
    ingress = [
        {
            "from": [
                {"podSelector": {"matchLabels": {"eventlistener": name}}} for name in listeners
            ],
            "ports": port,
        }
    ]
    pods = names.role_labels(interceptor.ROLE)
    return [network_policy(names, names.event_key, pods, ingress)]


def _observer(bench: Benchmark, names: Names) -> list[Manifest]:
    """Nothing connects to the observer but the metrics scrape, when configured: it only
    sends. Its one listener is the probes'."""
    observe = bench.spec.observe
    if observe is None or observe.observer is None:
        return []
    scrape = metrics.scrape_rule(bench)
    return [network_policy(names, names.observer, names.role_labels("observer"), scrape)]


def _status(bench: Benchmark, names: Names) -> list[Manifest]:
    observe = bench.spec.observe
    if observe is None or observe.status_api is None:
        return []
    api = observe.status_api
    if api.network_policy is not None:
        peers = [_namespace(ns) for ns in api.network_policy.from_namespaces]
    else:
        # Left out: pods of any namespace (an Ingress controller, CI runners in the
        # cluster); nothing from outside the pod network. The API authenticates
        # every request; the policy keeps every other port, the probes' one
        # included, closed to clients (the metrics scrape aside, when configured).
        peers = [{"namespaceSelector": {}}]
    ingress = [{"from": peers, "ports": [{"protocol": "TCP", "port": STATUS_PORT}]}]
    ingress += metrics.scrape_rule(bench)
    return [network_policy(names, names.status, names.role_labels("status"), ingress)]


def _custom_tasks(bench: Benchmark, names: Names) -> list[Manifest]:
    """Nothing connects to the custom-task controller but the metrics scrape, when
    configured: it watches and calls out."""
    if not names.uses_custom_tasks:
        return []
    scrape = metrics.scrape_rule(bench)
    pods = names.role_labels("custom-tasks")
    return [network_policy(names, names.custom_tasks, pods, scrape)]
