"""Deduplication by delivery id on the compiler side (issue 20): a GitHub or GitLab
webhook's run is named after the delivery key, unless eventIdParam names it; the
event-key interceptor keeps the dedup record, with the narrowest RBAC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.compile import build
from generator.config.load import load_file
from generator.config.names import build_names
from generator.contract.event_key import DELIVERY_EXTENSION
from tests.conftest import EXAMPLE, GOLDEN


def _render(path: Path) -> tuple[Any, list[dict[str, Any]]]:
    bench = load_file(path, fast=False).bench
    names = build_names(bench, "bench")
    return names, build(bench, names).manifests


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def _run_meta(objects: list[dict[str, Any]], template: str) -> dict[str, Any]:
    meta: dict[str, Any] = _one(objects, "TriggerTemplate", template)["spec"]["resourcetemplates"][
        0
    ]["metadata"]
    return meta


@pytest.mark.parametrize(
    ("config", "provider"),
    [(EXAMPLE, "github"), (GOLDEN / "gitlab-custom-names" / "config.yaml", "gitlab")],
)
def test_webhook_run_is_named_after_the_delivery(config: Path, provider: str) -> None:
    names, objects = _render(config)
    listener = _one(objects, "EventListener", names.listener)
    (trigger,) = listener["spec"]["triggers"]
    chain = trigger["interceptors"]
    # Authentication first, the key last: only an event that passes every check is keyed.
    assert chain[0]["ref"] == {"name": provider, "kind": "ClusterInterceptor"}
    assert chain[-1] == {
        "name": "delivery-key",
        "ref": {"name": names.event_key, "kind": "NamespacedInterceptor"},
        "params": [{"name": "provider", "value": provider}],
    }
    # Inline: the shared TriggerBinding has no such extension on the CloudEvents listener.
    assert {"name": "delivery-key", "value": f"$(extensions.{DELIVERY_EXTENSION})"} in trigger[
        "bindings"
    ]
    meta = _run_meta(objects, names.template)
    assert meta["name"] == f"{names.run_prefix}$(tt.params.delivery-key)"
    assert "generateName" not in meta
    params = _one(objects, "TriggerTemplate", names.template)["spec"]["params"]
    assert "delivery-key" in {p["name"] for p in params}


def test_the_record_and_its_narrow_rbac() -> None:
    names, objects = _render(EXAMPLE)
    record = _one(objects, "ConfigMap", names.deliveries)
    assert "data" not in record  # applying the manifests again never resets it
    role = _one(objects, "Role", names.event_key)
    assert role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "resourceNames": [names.deliveries],
            "verbs": ["get", "patch"],
        },
        {"apiGroups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["get"]},
    ]
    binding = _one(objects, "RoleBinding", names.event_key)
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": names.event_key, "namespace": "bench"}
    ]
    account = _one(objects, "ServiceAccount", names.event_key)
    assert account["automountServiceAccountToken"] is True
    # Only the webhook listener's pods reach it (no CloudEvents here).
    policy = _one(objects, "NetworkPolicy", names.event_key)
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"eventlistener": names.listener}}}]
    interceptor = _one(objects, "Interceptor", names.event_key)
    assert interceptor["metadata"]["annotations"]["benchgen.dev/extensions"] == DELIVERY_EXTENSION


def _with(tmp_path: Path, base: Path, change: Any) -> Path:
    data = yaml.safe_load(base.read_text())
    change(data)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_event_id_param_overrides_the_delivery() -> None:
    """schedules-webhook-ids: GitHub auth with eventIdParam: the param names the run (the
    schedule's sender looks for <runPrefix><id>), no key interceptor on the webhook."""
    config = GOLDEN / "schedules-webhook-ids" / "config.yaml"
    names, objects = _render(config)
    meta = _run_meta(objects, names.template)
    assert meta["name"] == f"{names.run_prefix}$(tt.params.run-id)"
    listener = _one(objects, "EventListener", names.listener)
    chain = listener["spec"]["triggers"][0]["interceptors"]
    assert all(i["ref"]["kind"] != "NamespacedInterceptor" for i in chain)
    assert not [o for o in objects if o["metadata"]["name"] == names.deliveries]


def test_token_auth_keeps_generated_names() -> None:
    names, objects = _render(GOLDEN / "token-auth-labels" / "config.yaml")
    meta = _run_meta(objects, names.template)
    assert meta["generateName"] == names.run_generate_name


def test_both_listeners_reach_the_interceptor(tmp_path: Path) -> None:
    def github(data: dict[str, Any]) -> None:
        data["spec"]["triggers"]["webhook"] = {
            "auth": {"type": "github", "secretRef": {"name": "gh", "key": "secret"}}
        }

    config = _with(tmp_path, GOLDEN / "cloudevents-observe" / "config.yaml", github)
    names, objects = _render(config)
    (rule,) = _one(objects, "NetworkPolicy", names.event_key)["spec"]["ingress"]
    assert rule["from"] == [
        {"podSelector": {"matchLabels": {"eventlistener": names.events_listener}}},
        {"podSelector": {"matchLabels": {"eventlistener": names.listener}}},
    ]
    interceptor = _one(objects, "Interceptor", names.event_key)
    assert interceptor["metadata"]["annotations"]["benchgen.dev/extensions"] == (
        f"cloudevent_key,{DELIVERY_EXTENSION}"
    )


def test_a_param_named_delivery_key_is_refused(tmp_path: Path) -> None:
    from generator.errors import ConfigError

    def clash(data: dict[str, Any]) -> None:
        data["spec"]["params"].append({"name": "delivery-key", "from": "body.delivery"})

    config = _with(tmp_path, EXAMPLE, clash)
    with pytest.raises(ConfigError) as err:
        load_file(config, fast=False)
    assert "'delivery-key' is reserved: with github auth" in str(err.value)
    assert "spec.params[" in str(err.value)
