"""The generated RBAC, judged by the API server's own authorizer: each generated
ServiceAccount can do what its component needs and is refused the rest.

The listener is bound to Tekton Triggers' ClusterRoles (installed from the pinned
module); the run ServiceAccount has no bindings at all."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.e2e.cluster import Cluster, KubeAPIError
from tests.e2e.rbac_support import Check, can
from tests.e2e.render import EXAMPLE, Obj, render
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Rendered:
    namespace: str
    objs: list[Obj]
    listener_sa: str
    runner_sa: str
    pipeline: str


@pytest.fixture
def rendered(cluster: Cluster, upstream: Upstream, namespace: str) -> Rendered:
    objs = render(EXAMPLE, namespace=namespace)
    for obj in objs:
        cluster.apply(obj, field_manager="benchgen-e2e-rbac")
    by_kind = {o["kind"]: o for o in objs}
    listener_sa = by_kind["EventListener"]["spec"]["serviceAccountName"]
    accounts = [o["metadata"]["name"] for o in objs if o["kind"] == "ServiceAccount"]
    runners = [a for a in accounts if a != listener_sa]
    assert len(runners) == 1, f"expected one run ServiceAccount besides the listener: {accounts}"
    return Rendered(
        namespace, objs, listener_sa, runners[0], by_kind["Pipeline"]["metadata"]["name"]
    )


# (verb, resource[/subresource], group): what the EventListener does in its namespace.
LISTENER_NEEDS: list[Check] = [
    ("create", "pipelineruns", "tekton.dev"),
    ("get", "eventlisteners", "triggers.tekton.dev"),
    ("list", "eventlisteners", "triggers.tekton.dev"),
    ("watch", "eventlisteners", "triggers.tekton.dev"),
    ("list", "triggerbindings", "triggers.tekton.dev"),
    ("list", "triggertemplates", "triggers.tekton.dev"),
    ("list", "triggers", "triggers.tekton.dev"),
    ("list", "interceptors", "triggers.tekton.dev"),
    ("get", "configmaps", ""),
    ("create", "events", ""),
]
# ...and what it must not do there.
LISTENER_REFUSED_IN_NAMESPACE = [
    # The template creates PipelineRuns only; Triggers' stock role also allowed TaskRuns.
    ("create", "taskruns", "tekton.dev"),
    ("impersonate", "serviceaccounts", ""),
    ("get", "secrets", ""),
    ("delete", "pipelineruns", "tekton.dev"),
    ("update", "pipelineruns", "tekton.dev"),
    ("create", "pipelines", "tekton.dev"),
    ("create", "tasks", "tekton.dev"),
    ("update", "eventlisteners", "triggers.tekton.dev"),
    ("create", "configmaps", ""),
    ("create", "pods", ""),
    ("create", "rolebindings", "rbac.authorization.k8s.io"),
]
EVERYTHING = [
    *LISTENER_NEEDS,
    *LISTENER_REFUSED_IN_NAMESPACE,
    ("get", "secrets", ""),
    ("list", "secrets", ""),
    ("get", "serviceaccounts", ""),
    ("create", "serviceaccounts/token", ""),
    ("impersonate", "serviceaccounts", ""),
    ("get", "pipelineruns", "tekton.dev"),
    ("*", "*", "*"),
]


def test_listener_can_do_its_job_in_its_namespace(cluster: Cluster, rendered: Rendered) -> None:
    sa = cluster.impersonate_service_account(rendered.namespace, rendered.listener_sa)
    missing = [p for p in LISTENER_NEEDS if not can(sa, p, rendered.namespace)]
    assert not missing, f"{rendered.listener_sa} lacks {missing}"
    # Triggers resolves ClusterTriggerBindings/ClusterInterceptors cluster-wide.
    assert sa.can_i("list", "clustertriggerbindings", group="triggers.tekton.dev")
    assert sa.can_i("list", "clusterinterceptors", group="triggers.tekton.dev")


def test_listener_is_refused_the_rest(cluster: Cluster, rendered: Rendered) -> None:
    sa = cluster.impersonate_service_account(rendered.namespace, rendered.listener_sa)
    granted = [p for p in LISTENER_REFUSED_IN_NAMESPACE if can(sa, p, rendered.namespace)]
    assert not granted, f"{rendered.listener_sa} may {granted}"
    other = cluster.ensure_namespace(f"{rendered.namespace}-other")["metadata"]["name"]
    assert not sa.can_i("create", "pipelineruns", group="tekton.dev", namespace=other)
    # Triggers' stock role lets listeners impersonate ServiceAccounts (for per-trigger
    # SAs, which benchgen does not use): the generated Role grants no impersonation.
    assert not sa.can_i("impersonate", "serviceaccounts", namespace=rendered.namespace)
    assert not sa.can_i("impersonate", "serviceaccounts", namespace=other)
    assert not sa.can_i("create", "clusterrolebindings", group="rbac.authorization.k8s.io")
    assert not sa.can_i("list", "namespaces")


def test_listener_cannot_read_secrets_cluster_wide(cluster: Cluster, rendered: Rendered) -> None:
    sa = cluster.impersonate_service_account(rendered.namespace, rendered.listener_sa)
    other = cluster.ensure_namespace(f"{rendered.namespace}-other")["metadata"]["name"]
    assert not sa.can_i("list", "secrets")
    assert not sa.can_i("get", "secrets", namespace=other)


def test_listener_token_really_creates_pipelineruns_only_at_home(
    cluster: Cluster, rendered: Rendered
) -> None:
    """Not only the authorizer's opinion: a real token, a real (dry-run) create."""
    listener = cluster.with_token(cluster.token_for(rendered.namespace, rendered.listener_sa))
    run = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"generateName": "rbac-", "namespace": rendered.namespace},
        "spec": {"pipelineRef": {"name": rendered.pipeline}},
    }
    created = listener.create(run, dry_run=True)
    assert created["metadata"]["name"].startswith("rbac-")
    other = cluster.ensure_namespace(f"{rendered.namespace}-other")["metadata"]["name"]
    with pytest.raises(KubeAPIError) as err:
        listener.create(run | {"metadata": {"generateName": "rbac-", "namespace": other}})
    assert err.value.status == 403
    with pytest.raises(KubeAPIError) as err:
        listener.request(
            "DELETE", f"/apis/tekton.dev/v1/namespaces/{rendered.namespace}/pipelineruns/x"
        )
    assert err.value.status == 403


def test_runner_is_refused_everything(cluster: Cluster, rendered: Rendered) -> None:
    sa = cluster.impersonate_service_account(rendered.namespace, rendered.runner_sa)
    granted = [(p, ns) for p in EVERYTHING for ns in (rendered.namespace, None) if can(sa, p, ns)]
    assert not granted, f"{rendered.runner_sa} has no bindings yet may {granted}"
    runner = cluster.with_token(cluster.token_for(rendered.namespace, rendered.runner_sa))
    with pytest.raises(KubeAPIError) as err:
        runner.list_objects("tekton.dev/v1", "PipelineRun", rendered.namespace)
    assert err.value.status == 403


def test_bindings_reference_roles_that_exist(cluster: Cluster, rendered: Rendered) -> None:
    """A RoleBinding to a missing ClusterRole is accepted and silently grants nothing."""
    for obj in rendered.objs:
        if obj["kind"] in ("RoleBinding", "ClusterRoleBinding"):
            ref = obj["roleRef"]
            if ref["kind"] == "ClusterRole":
                assert cluster.get_or_none(
                    "rbac.authorization.k8s.io/v1", "ClusterRole", ref["name"]
                ), f"{obj['metadata']['name']} -> missing ClusterRole {ref['name']}"
            for subject in obj.get("subjects", []):
                if subject["kind"] == "ServiceAccount":
                    assert cluster.get_or_none(
                        "v1", "ServiceAccount", subject["name"], subject["namespace"]
                    ), f"{obj['metadata']['name']} binds missing SA {subject}"
