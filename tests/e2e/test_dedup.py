"""The dedup record against the real API server (issue 20): the event-key interceptor's
RBAC is exactly get/patch on its one ConfigMap and get on PipelineRuns, and its record
(generator/runtime/dedup.py, with its own ServiceAccount token) is written only once
the run exists, merges with a concurrent writer, refuses the key after the run is
deleted, and survives the manifests being applied again."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from generator.contract import deliveries
from generator.contract.event_key import delivery_key
from generator.runtime import kube
from generator.runtime.clock import SystemClock
from generator.runtime.dedup import Record, RecordConfig
from tests.e2e.cluster import Cluster, KubeAPIError
from tests.e2e.render import EXAMPLE, Obj, namespaces_of, render
from tests.e2e.runtime_support import token_kubeconfig
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e

T = "tekton.dev"
MANAGER = "benchgen-e2e-dedup"


def _apply(cluster: Cluster, namespace: str) -> list[Obj]:
    objs = render(EXAMPLE, namespace=namespace)
    for ns in sorted(namespaces_of(objs)):
        cluster.ensure_namespace(ns)
    for obj in objs:
        cluster.apply(obj, field_manager=MANAGER)
    return objs


def _named(objs: list[Obj], kind: str, suffix: str) -> str:
    (name,) = [
        o["metadata"]["name"]
        for o in objs
        if o["kind"] == kind and o["metadata"]["name"].endswith(suffix)
    ]
    return str(name)


def test_event_key_may_touch_its_record_and_read_runs_only(
    cluster: Cluster, upstream: Upstream, namespace: str
) -> None:
    objs = _apply(cluster, namespace)
    account = _named(objs, "ServiceAccount", "-event-key")
    record = _named(objs, "ConfigMap", "-deliveries")
    sa = cluster.impersonate_service_account(namespace, account)
    for verb in ("get", "patch"):
        assert sa.can_i(verb, "configmaps", namespace=namespace, name=record)
    assert sa.can_i("get", "pipelineruns", group=T, namespace=namespace, name="any-run")
    refused = [
        ("update", "configmaps", "", record),
        ("delete", "configmaps", "", record),
        ("get", "configmaps", "", f"{namespace}-config"),
        ("list", "configmaps", "", None),
        ("create", "configmaps", "", None),
        ("list", "pipelineruns", T, None),
        ("watch", "pipelineruns", T, None),
        ("create", "pipelineruns", T, None),
        ("delete", "pipelineruns", T, "any-run"),
        ("get", "secrets", "", None),
    ]
    for verb, resource, group, name in refused:
        assert not sa.can_i(verb, resource, group=group, namespace=namespace, name=name), (
            verb,
            resource,
            name,
        )
    assert not sa.can_i("get", "configmaps", namespace=f"{namespace}-other", name=record)


def test_record_written_once_the_run_exists_and_survives_a_re_apply(
    cluster: Cluster,
    upstream: Upstream,
    namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    objs = _apply(cluster, namespace)
    account = _named(objs, "ServiceAccount", "-event-key")
    name = _named(objs, "ConfigMap", "-deliveries")
    (template,) = [o for o in objs if o["kind"] == "TriggerTemplate"]
    run = template["spec"]["resourcetemplates"][0]
    prefix = run["metadata"]["name"].removesuffix("$(tt.params.delivery-key)")
    token = cluster.token_for(namespace, account)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(token_kubeconfig(cluster, tmp_path / "kc", token)))
    config = RecordConfig(name, namespace, prefix, confirm_window=10.0, confirm_interval=0.2)
    key = delivery_key("github", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
    lost = delivery_key("github", "never-created")
    other = "e" * 32

    async def scenario() -> None:
        record = Record(config, kube.api_client(), SystemClock())
        assert await record.seen(key) is None
        record.confirm(key)
        record.confirm(lost)  # Triggers never creates this one
        await asyncio.sleep(0.5)
        # Another replica writes meanwhile: our write must keep its key (merge, not replace).
        current = cluster.get("v1", "ConfigMap", name, namespace)
        patch = {
            "metadata": {"resourceVersion": current["metadata"]["resourceVersion"]},
            "data": {deliveries.RECORD_KEY: f"{other} {int(time.time())}\n"},
        }
        cluster.patch("v1", "ConfigMap", name, patch, namespace=namespace)
        # The listener creates the run (as Triggers would, with the template's name).
        spec = {"pipelineRef": run["spec"]["pipelineRef"]}
        obj = {
            "apiVersion": run["apiVersion"],
            "kind": "PipelineRun",
            "metadata": {"name": prefix + key, "namespace": namespace},
            "spec": spec,
        }
        cluster.create(obj)
        await record.drain()

    asyncio.run(scenario())
    data = cluster.get("v1", "ConfigMap", name, namespace)["data"]
    recorded = deliveries.parse(data[deliveries.RECORD_KEY])
    assert key in recorded and other in recorded
    assert lost not in recorded  # its run never appeared: a redelivery may still start it

    # Pruned: the run is gone, the record still refuses the key; a fresh replica reads it.
    cluster.delete(run["apiVersion"], "PipelineRun", prefix + key, namespace)
    for obj in objs:
        cluster.apply(obj, field_manager=MANAGER)  # applying again never resets the record

    async def after() -> None:
        fresh = Record(config, kube.api_client(), SystemClock())
        assert await fresh.seen(key) is not None
        assert await fresh.seen(lost) is None

    asyncio.run(after())
    # A stale write is refused, never blind: the record's optimistic concurrency.
    stale = {"metadata": {"resourceVersion": "1"}, "data": {deliveries.RECORD_KEY: ""}}
    writer = cluster.with_token(token)
    with pytest.raises(KubeAPIError) as err:
        writer.patch("v1", "ConfigMap", name, stale, namespace=namespace)
    assert err.value.status == 409
