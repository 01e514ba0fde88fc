"""The CloudEvents run key on the compiler side: the interceptor's objects and the
listener, binding and template that use it (the full text is in the golden files)."""

from __future__ import annotations

from typing import Any

from generator.compile import build
from generator.compile.interceptor import DEFAULT_RESOURCES
from generator.config.load import load_file
from generator.config.models import ObserveSpec
from generator.config.names import build_names
from generator.contract.event_key import EXTENSION
from tests.conftest import EXAMPLE, GOLDEN


def _render(path: Any) -> tuple[Any, list[dict[str, Any]]]:
    bench = load_file(path, fast=False).bench
    names = build_names(bench, "bench")
    return names, build(bench, names).manifests


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def test_rendered_only_with_cloud_events_or_webhook_deduplication() -> None:
    # Token auth (no delivery id of a provider's), no CloudEvents.
    _, objects = _render(GOLDEN / "token-auth-labels" / "config.yaml")
    assert not [o for o in objects if "event-key" in o["metadata"]["name"]]
    assert not [o for o in objects if o["metadata"]["name"].endswith("-deliveries")]
    assert "Interceptor" not in {o["kind"] for o in objects}
    # GitHub auth without eventIdParam: deduplication by delivery (test_dedup_objects.py).
    names, objects = _render(EXAMPLE)
    assert _one(objects, "Interceptor", names.event_key)


def test_interceptor_objects() -> None:
    names, objects = _render(GOLDEN / "cloudevents-observe" / "config.yaml")
    rendered = sorted(
        (o["kind"], o["metadata"]["name"])
        for o in objects
        if o["metadata"]["name"] == names.event_key
    )
    assert rendered == [
        ("Deployment", "ce-bench-event-key"),
        ("Interceptor", "ce-bench-event-key"),
        ("NetworkPolicy", "ce-bench-event-key"),
        ("Role", "ce-bench-event-key"),  # the dedup record
        ("RoleBinding", "ce-bench-event-key"),
        ("Service", "ce-bench-event-key"),
        ("ServiceAccount", "ce-bench-event-key"),
    ]
    interceptor = _one(objects, "Interceptor", names.event_key)
    assert interceptor["apiVersion"] == "triggers.tekton.dev/v1alpha1"
    # No caBundle: Triggers v0.37.0 resolves http://<service>.<ns>.svc:80/.
    assert interceptor["spec"] == {
        "clientConfig": {
            "service": {"name": names.event_key, "namespace": "bench", "path": "/", "port": 80}
        }
    }
    service = _one(objects, "Service", names.event_key)
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    deployment = _one(objects, "Deployment", names.event_key)
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["event-key"]
    assert pod["serviceAccountName"] == names.event_key
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {
        "BENCHGEN_PORT": str(ports["http"]),
        "BENCHGEN_HEALTH_PORT": str(ports["health"]),
        "BENCHGEN_DEDUP_CONFIGMAP": names.deliveries,
        "BENCHGEN_NAMESPACE": "bench",
        "BENCHGEN_RUN_PREFIX": names.run_prefix,
    }
    policy = _one(objects, "NetworkPolicy", names.event_key)
    assert policy["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": ports["http"]}]


def test_listener_binding_and_template_use_the_key() -> None:
    names, objects = _render(GOLDEN / "cloudevents-observe" / "config.yaml")
    listener = _one(objects, "EventListener", names.events_listener)
    chain = listener["spec"]["triggers"][0]["interceptors"]
    # Last, after every CEL check.
    assert chain[-1] == {
        "name": "cloudevent-key",
        "ref": {"name": names.event_key, "kind": "NamespacedInterceptor"},
    }
    assert all(i["ref"]["name"] == "cel" for i in chain[:-1])
    binding = _one(objects, "TriggerBinding", names.events_binding)
    assert {"name": "cloudevent-key", "value": f"$(extensions.{EXTENSION})"} in binding["spec"][
        "params"
    ]
    template = _one(objects, "TriggerTemplate", names.events_template)
    run = template["spec"]["resourcetemplates"][0]
    assert run["metadata"]["name"] == f"{names.run_prefix}$(tt.params.cloudevent-key)"
    annotations = run["metadata"]["annotations"]
    assert annotations["benchgen.dev/cloudevent-id"] == "$(tt.params.cloudevent-id)"
    assert annotations["benchgen.dev/cloudevent-source"] == "$(tt.params.cloudevent-source)"
    # The webhook listener (token auth): no interceptor of ours.
    webhook = _one(objects, "EventListener", names.listener)
    assert all(
        i["ref"].get("kind") != "NamespacedInterceptor"
        for i in webhook["spec"]["triggers"][0]["interceptors"]
    )


def test_default_resources_are_the_observers() -> None:
    res = ObserveSpec().resources
    assert {
        "requests": {"cpu": res.cpu_request, "memory": res.memory_request},
        "limits": {"memory": res.memory_limit},
    } == DEFAULT_RESOURCES
