"""The observer's and the status API's RBAC, judged by the API server's own authorizer:
each ServiceAccount can do exactly what docs/runtime-interface.md says it needs
(observe: runs get/list/watch/patch, pods/log get with a log tail, Tekton's
config-events get with sink 'tekton'; serve: runs list, pods/log get) and is
refused everything else."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from generator.event_key import event_key
from tests.e2e.cluster import Cluster, KubeAPIError
from tests.e2e.rbac_support import apply_config, assert_rule_reasons, can, granted
from tests.e2e.render import GOLDEN, Obj
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e

WITH_BROKER = GOLDEN / "cloudevents-observe" / "config.yaml"  # sink broker, log tail, bearer
WITH_TEKTON_SINK = GOLDEN / "cloudevents-existing-broker" / "config.yaml"  # no logs, 2 namespaces

RUNS = [
    (v, r, "tekton.dev") for r in ("pipelineruns", "taskruns") for v in ("get", "list", "watch")
]
OBSERVER_NEEDS = [
    *RUNS,
    ("patch", "pipelineruns", "tekton.dev"),
    ("patch", "taskruns", "tekton.dev"),
]
# serve reads a run with one list (field selector on its name + the label selector)
# and never gets, watches or reads Pods: the pod and containers come from TaskRuns.
STATUS_NEEDS = [
    ("list", "pipelineruns", "tekton.dev"),
    ("list", "taskruns", "tekton.dev"),
    ("get", "pods/log", ""),
]
NEITHER = [
    ("create", "pipelineruns", "tekton.dev"),
    ("delete", "pipelineruns", "tekton.dev"),
    ("update", "pipelineruns", "tekton.dev"),
    ("delete", "taskruns", "tekton.dev"),
    ("update", "taskruns/status", "tekton.dev"),
    ("get", "secrets", ""),
    ("list", "secrets", ""),
    ("list", "configmaps", ""),
    ("create", "pods", ""),
    ("delete", "pods", ""),
    ("create", "pods/exec", ""),
    ("list", "pods/log", ""),
    ("create", "serviceaccounts/token", ""),
    ("impersonate", "serviceaccounts", ""),
    ("get", "tasks", "tekton.dev"),
    ("create", "rolebindings", "rbac.authorization.k8s.io"),
    ("get", "eventlisteners", "triggers.tekton.dev"),
]
STATUS_REFUSED = [
    *NEITHER,
    # A get would read a run of another benchmark by name: the selector is applied
    # by the API server only on a list.
    *[c for c in RUNS if c[0] != "list"],
    ("get", "pods", ""),
    ("patch", "pipelineruns", "tekton.dev"),
    ("patch", "taskruns", "tekton.dev"),
    ("list", "pods", ""),
    ("watch", "pods", ""),
]


@dataclass(frozen=True)
class Applied:
    namespace: str
    objs: list[Obj]

    def account(self, suffix: str) -> str:
        (name,) = [
            o["metadata"]["name"]
            for o in self.objs
            if o["kind"] == "ServiceAccount" and o["metadata"]["name"].endswith(suffix)
        ]
        return name


def _apply(cluster: Cluster, config: object, namespace: str) -> Applied:
    return Applied(namespace, apply_config(cluster, config, namespace, "benchgen-e2e-rbac-observe"))


@pytest.fixture
def with_broker(cluster: Cluster, upstream: Upstream, namespace: str) -> Applied:
    return _apply(cluster, WITH_BROKER, namespace)


@pytest.fixture
def with_tekton_sink(cluster: Cluster, upstream: Upstream, namespace: str) -> Applied:
    return _apply(cluster, WITH_TEKTON_SINK, namespace)


def test_observer_can_exactly_watch_patch_and_read_logs(
    cluster: Cluster, with_broker: Applied
) -> None:
    ns = with_broker.namespace
    sa = cluster.impersonate_service_account(ns, with_broker.account("-observer"))
    needs = [*OBSERVER_NEEDS, ("get", "pods/log", "")]
    missing = [c for c in needs if not can(sa, c, ns)]
    assert not missing, f"observer lacks {missing}"
    refused = [*NEITHER, ("get", "pods", ""), ("list", "pods", ""), ("get", "configmaps", "")]
    assert not granted(sa, refused, ns), "observer may do more than the contract says"
    other = cluster.ensure_namespace(f"{ns}-other")["metadata"]["name"]
    assert not granted(sa, needs, other), "observer reaches into a namespace it does not watch"
    assert not granted(sa, needs, None), "observer has cluster-wide access"


def test_observer_without_logs_and_tekton_sink(cluster: Cluster, with_tekton_sink: Applied) -> None:
    """Log tail 0: no pods/log. Sink 'tekton': config-events in tekton-pipelines, by name only.
    Watched namespaces are the configured ones, not the home namespace."""
    home = with_tekton_sink.namespace
    sa = cluster.impersonate_service_account(home, with_tekton_sink.account("-observer"))
    for watched in ("default", "nightly-extra"):
        missing = [c for c in OBSERVER_NEEDS if not can(sa, c, watched)]
        assert not missing, f"observer lacks {missing} in {watched}"
        assert not can(sa, ("get", "pods/log", ""), watched)  # logTailBytes: 0
    assert not granted(sa, OBSERVER_NEEDS, home), "home is not in spec.observe.observer.namespaces"
    config = ("get", "configmaps", "")
    assert can(sa, config, "tekton-pipelines", "config-events")
    assert not can(sa, config, "tekton-pipelines", "config-defaults")
    assert not can(sa, ("list", "configmaps", ""), "tekton-pipelines")
    assert not can(sa, ("update", "configmaps", ""), "tekton-pipelines", "config-events")


def test_status_api_is_read_only(cluster: Cluster, with_broker: Applied) -> None:
    ns = with_broker.namespace
    sa = cluster.impersonate_service_account(ns, with_broker.account("-status"))
    missing = [c for c in STATUS_NEEDS if not can(sa, c, ns)]
    assert not missing, f"status API lacks {missing}"
    assert not granted(sa, STATUS_REFUSED, ns), "status API may write or read more"
    other = cluster.ensure_namespace(f"{ns}-other")["metadata"]["name"]
    assert not granted(sa, STATUS_NEEDS, other)
    assert not granted(sa, STATUS_NEEDS, None)


def test_real_tokens_read_but_never_write(cluster: Cluster, with_broker: Applied) -> None:
    """Not only the authorizer's opinion: real tokens against real requests."""
    ns = with_broker.namespace
    pipeline = next(o for o in with_broker.objs if o["kind"] == "Pipeline")["metadata"]["name"]
    run = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": "ce-bench-run-rbac-1", "namespace": ns},
        "spec": {"pipelineRef": {"name": pipeline}},
    }
    cluster.create(run)
    status = cluster.with_token(cluster.token_for(ns, with_broker.account("-status")))
    observer = cluster.with_token(cluster.token_for(ns, with_broker.account("-observer")))
    listed = status.list_objects("tekton.dev/v1", "PipelineRun", ns)
    assert [r["metadata"]["name"] for r in listed] == ["ce-bench-run-rbac-1"]
    patch = {"metadata": {"annotations": {"benchgen.dev/cloudevents-sent": '["started"]'}}}
    with pytest.raises(KubeAPIError) as err:
        status.patch("tekton.dev/v1", "PipelineRun", "ce-bench-run-rbac-1", patch, namespace=ns)
    assert err.value.status == 403
    patched = observer.patch(
        "tekton.dev/v1", "PipelineRun", "ce-bench-run-rbac-1", patch, namespace=ns
    )
    assert patched["metadata"]["annotations"]["benchgen.dev/cloudevents-sent"] == '["started"]'
    with pytest.raises(KubeAPIError) as err:
        observer.create(run | {"metadata": {"name": "ce-bench-run-rbac-2", "namespace": ns}})
    assert err.value.status == 403


def test_rule_reasons_name_every_rule(with_broker: Applied, with_tekton_sink: Applied) -> None:
    """Each generated Role of the observer and status API says why it needs each rule."""
    roles = [
        o
        for applied in (with_broker, with_tekton_sink)
        for o in applied.objs
        if o["kind"] == "Role"
        and ("-observer" in o["metadata"]["name"] or o["metadata"]["name"].endswith("-status"))
    ]
    assert roles
    for role in roles:
        assert_rule_reasons(role)


def test_redelivered_event_is_refused_as_a_duplicate_run(
    cluster: Cluster, with_broker: Applied
) -> None:
    """The point of deterministic names: the listener's second create of the same
    event's run is refused by the API server (409), so no second run starts."""
    ns = with_broker.namespace
    (template,) = [
        o
        for o in with_broker.objs
        if o["kind"] == "TriggerTemplate"
        and o["metadata"]["name"].endswith("-cloudevents-template")
    ]
    run = template["spec"]["resourcetemplates"][0]
    # The event-key interceptor's key of the event's (source, id) names the run.
    key = event_key("/ci/gitlab", "3f0e7c52-9d1a")
    name = run["metadata"]["name"].replace("$(tt.params.cloudevent-key)", key)
    assert name == f"ce-bench-run-{key}"
    listener_sa = next(o for o in with_broker.objs if o["kind"] == "EventListener")["spec"][
        "serviceAccountName"
    ]
    listener = cluster.with_token(cluster.token_for(ns, listener_sa))
    obj = {
        "apiVersion": run["apiVersion"],
        "kind": "PipelineRun",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"pipelineRef": run["spec"]["pipelineRef"]},
    }
    listener.create(obj)
    with pytest.raises(KubeAPIError) as err:
        listener.create(obj)
    assert err.value.status == 409
    assert len(cluster.list_objects("tekton.dev/v1", "PipelineRun", ns)) == 1
