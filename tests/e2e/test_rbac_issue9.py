"""RBAC of the issue-9 identities, judged by the API server's own authorizer and with
real tokens: watch-releases may get and patch its one state ConfigMap, the clean-up
may list and delete exactly the kinds it deletes in exactly the namespaces it names;
both are refused everything else. Re-applying the manifests never resets the state."""

from __future__ import annotations

import pytest

from tests.e2e.cluster import Cluster, KubeAPIError
from tests.e2e.rbac_support import apply_config, assert_rule_reasons, can
from tests.e2e.render import GOLDEN, Obj
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e

SEED = GOLDEN / "seed-003-green-reviews" / "config.yaml"  # flux clean-up in flux-system
SCHEDULES = GOLDEN / "schedules-pingsource" / "config.yaml"  # namespaces from a param's enum
MANAGER = "benchgen-e2e-rbac-issue9"

FLUX = [
    ("kustomizations", "kustomize.toolkit.fluxcd.io"),
    ("helmreleases", "helm.toolkit.fluxcd.io"),
]
NEVER = [
    ("get", "secrets", ""),
    ("list", "secrets", ""),
    ("create", "pipelineruns", "tekton.dev"),
    ("patch", "pipelineruns", "tekton.dev"),
    ("create", "pods", ""),
    ("create", "rolebindings", "rbac.authorization.k8s.io"),
    ("impersonate", "serviceaccounts", ""),
    ("create", "serviceaccounts", ""),
]


def _apply(cluster: Cluster, config: object, namespace: str) -> list[Obj]:
    return apply_config(cluster, config, namespace, MANAGER)


def _named(objs: list[Obj], kind: str, suffix: str) -> str:
    (name,) = [
        o["metadata"]["name"]
        for o in objs
        if o["kind"] == kind and o["metadata"]["name"].endswith(suffix)
    ]
    return name


@pytest.fixture
def seed(cluster: Cluster, upstream: Upstream, namespace: str) -> list[Obj]:
    return _apply(cluster, SEED, namespace)


def test_watch_releases_gets_and_patches_only_its_state(
    cluster: Cluster, seed: list[Obj], namespace: str
) -> None:
    account = _named(seed, "ServiceAccount", "-releases")
    state = _named(seed, "ConfigMap", "-releases-state")
    sa = cluster.impersonate_service_account(namespace, account)
    for verb in ("get", "patch"):
        assert can(sa, (verb, "configmaps", ""), namespace, state), verb
    for verb in ("update", "delete"):  # a merge patch is all it writes
        assert not can(sa, (verb, "configmaps", ""), namespace, state), verb
    other = _named(seed, "ConfigMap", "-config")
    assert not can(sa, ("get", "configmaps", ""), namespace, other)
    assert not can(sa, ("list", "configmaps", ""), namespace)
    assert not can(sa, ("watch", "configmaps", ""), namespace)
    assert not can(sa, ("create", "configmaps", ""), namespace)
    assert not [c for c in NEVER if can(sa, c, namespace)]
    assert not can(sa, ("get", "configmaps", ""), "default", state)


def test_state_survives_a_re_apply(cluster: Cluster, seed: list[Obj], namespace: str) -> None:
    """What watch-releases recorded (a merge patch carrying the resourceVersion, with its
    own token) is still there after the manifests are applied again."""
    account = _named(seed, "ServiceAccount", "-releases")
    state = _named(seed, "ConfigMap", "-releases-state")
    watcher = cluster.with_token(cluster.token_for(namespace, account))
    current = watcher.get("v1", "ConfigMap", state, namespace)
    patch = {
        "metadata": {"resourceVersion": current["metadata"]["resourceVersion"]},
        "data": {"falcosecurity.falco": '{"fired": {"ebpf": ["0.39.0"]}}'},
    }
    watcher.patch("v1", "ConfigMap", state, patch, namespace=namespace)
    with pytest.raises(KubeAPIError) as err:  # a stale resourceVersion: 409, never a blind write
        watcher.patch("v1", "ConfigMap", state, patch, namespace=namespace)
    assert err.value.status == 409
    with pytest.raises(KubeAPIError) as err:
        watcher.get("v1", "ConfigMap", _named(seed, "ConfigMap", "-config"), namespace)
    assert err.value.status == 403
    for obj in seed:
        cluster.apply(obj, field_manager=MANAGER)
    back = cluster.get("v1", "ConfigMap", state, namespace)
    assert back["data"] == {"falcosecurity.falco": '{"fired": {"ebpf": ["0.39.0"]}}'}


def test_cleanup_lists_and_deletes_only_its_kinds_where_it_deletes(
    cluster: Cluster, seed: list[Obj], namespace: str
) -> None:
    sa = cluster.impersonate_service_account(namespace, _named(seed, "ServiceAccount", "-cleanup"))
    for resource, group in FLUX:
        for verb in ("list", "delete"):
            assert can(sa, (verb, resource, group), "flux-system"), (verb, resource)
        for verb in ("get", "watch", "deletecollection", "create", "update", "patch"):
            assert not can(sa, (verb, resource, group), "flux-system"), (verb, resource)
        for elsewhere in (namespace, "default", None):
            assert not can(sa, ("delete", resource, group), elsewhere), elsewhere
    assert not [c for c in NEVER if can(sa, c, "flux-system") or can(sa, c, namespace)]
    assert not can(sa, ("delete", "configmaps", ""), "flux-system")


def test_cleanup_namespaces_from_a_param_enum(
    cluster: Cluster, upstream: Upstream, namespace: str
) -> None:
    objs = _apply(cluster, SCHEDULES, namespace)
    sa = cluster.impersonate_service_account(namespace, _named(objs, "ServiceAccount", "-cleanup"))
    for ns in ("falco", "kepler"):  # the enum of param 'project'
        assert can(sa, ("list", "configmaps", ""), ns) and can(sa, ("delete", "configmaps", ""), ns)
        assert not can(sa, ("delete", "deployments", "apps"), ns)
        assert not can(sa, ("get", "configmaps", ""), ns)
    # The Deployment target names namespace 'bench' literally; ConfigMaps are not deleted
    # there, and nothing in the benchmark's own namespace.
    assert can(sa, ("delete", "deployments", "apps"), "bench")
    assert not can(sa, ("delete", "configmaps", ""), "bench")
    assert not can(sa, ("delete", "deployments", "apps"), namespace)
    assert not can(sa, ("delete", "configmaps", ""), namespace)
    assert not can(sa, ("delete", "configmaps", ""), "default")


def test_rule_reasons_name_every_rule(seed: list[Obj]) -> None:
    roles = [
        o
        for o in seed
        if o["kind"] == "Role"
        and ("-cleanup" in o["metadata"]["name"] or o["metadata"]["name"].endswith("-releases"))
    ]
    assert len(roles) == 2
    for role in roles:
        assert_rule_reasons(role)


def test_pending_run_is_stored_pending(cluster: Cluster, seed: list[Obj], namespace: str) -> None:
    """The listener's PipelineRun (spec.status PipelineRunPending, concurrency) is accepted
    by the API server with Tekton's CRD, and the listener may create it."""
    (template,) = [o for o in seed if o["kind"] == "TriggerTemplate"]
    run = template["spec"]["resourcetemplates"][0]
    assert run["spec"]["status"] == "PipelineRunPending"
    listener_sa = next(o for o in seed if o["kind"] == "EventListener")["spec"][
        "serviceAccountName"
    ]
    listener = cluster.with_token(cluster.token_for(namespace, listener_sa))
    obj = {
        "apiVersion": run["apiVersion"],
        "kind": "PipelineRun",
        "metadata": {
            "name": "green-reviews-run-falco-0-39-0-ebpf-1a2b3c4d",
            "namespace": namespace,
        },
        "spec": {
            "pipelineRef": run["spec"]["pipelineRef"],
            "status": "PipelineRunPending",
            "taskRunSpecs": run["spec"]["taskRunSpecs"],
        },
    }
    created = listener.create(obj)
    assert created["spec"]["status"] == "PipelineRunPending"
    assert created["spec"]["taskRunSpecs"][0]["serviceAccountName"].endswith("-cleanup")
