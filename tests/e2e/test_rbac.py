"""The generated RBAC, judged by the API server's own authorizer and with real tokens.

Each generated ServiceAccount (an identity) has one table of cases: may it
``verb`` ``resource[/subresource]`` of ``group`` in ``where`` (its own namespace
HOME, another namespace OTHER, the cluster scope CLUSTER or a namespace by name),
optionally on one object ``name`` ("-suffix": the rendered ConfigMap named so).
Each case is one SelfSubjectAccessReview while impersonating the identity.

- listener (the example): bound to Tekton Triggers' ClusterRoles (installed from
  the pinned module); creates PipelineRuns and reads Triggers objects at home only.
- runner (the example): no bindings at all, refused everything.
- releases, cleanup (issue 9), deploy: watch-releases may get and patch its one state
  ConfigMap, and get PipelineRuns (is the run of an event there yet?); the
  clean-up may list and delete exactly the kinds it deletes in exactly the
  namespaces it names (from a param's enum too); the deploy step may get its
  one manifest ConfigMap and get, create and patch exactly its target kinds in
  their namespaces.
- schedule: a send CronJob with an event id gets the PipelineRun its event
  names, at home; nothing else.
- observer, status: exactly what docs/runtime-interface.md says they need
  (observe: runs get/list/watch/patch, pods/log get with a log tail, Tekton's
  config-events get with sink 'tekton'; serve: runs list, pods/log get).
- custom-tasks (poll.mode controller): its CustomRuns' list and watch and their
  status's patch, at home only; never their spec, never a get.

Then real tokens against real requests, the rule reasons, and the bindings' roles.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from generator.contract.event_key import event_key
from tests.e2e.cluster import Cluster, KubeAPIError
from tests.e2e.render import EXAMPLE, GOLDEN, Obj, namespaces_of, render
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e

CONFIGS = {
    "example": EXAMPLE,
    "seed": GOLDEN / "seed-003-green-reviews" / "config.yaml",  # flux clean-up in flux-system
    "schedules": GOLDEN / "schedules-pingsource" / "config.yaml",  # namespaces from an enum
    "broker": GOLDEN / "cloudevents-observe" / "config.yaml",  # sink broker, log tail, bearer
    "tekton-sink": GOLDEN / "cloudevents-existing-broker" / "config.yaml",  # no logs, 2 namespaces
    "controller": GOLDEN / "controller-mode" / "config.yaml",  # poll.mode controller
    "webhook-ids": GOLDEN / "schedules-webhook-ids" / "config.yaml",  # a send with event ids
}
MANAGER = "benchgen-e2e-rbac"
T, TT, RBAC = "tekton.dev", "triggers.tekton.dev", "rbac.authorization.k8s.io"
HOME, OTHER, CLUSTER = "@home", "@other", None

Check = tuple[str, str, str]  # verb, resource[/subresource], group


@dataclass(frozen=True)
class Case:
    verb: str
    resource: str
    group: str
    where: str | None
    name: str | None
    allowed: bool


def allow(where: str | None, *checks: Check, name: str | None = None) -> list[Case]:
    return [Case(v, r, g, where, name, True) for v, r, g in checks]


def deny(where: str | None, *checks: Check, name: str | None = None) -> list[Case]:
    return [Case(v, r, g, where, name, False) for v, r, g in checks]


# -- the example: the listener and the run ServiceAccount -----------------------------

LISTENER_NEEDS: list[Check] = [
    ("create", "pipelineruns", T),
    *[(v, "eventlisteners", TT) for v in ("get", "list", "watch")],
    *[("list", r, TT) for r in ("triggerbindings", "triggertemplates", "triggers", "interceptors")],
    ("get", "configmaps", ""),
    ("create", "events", ""),
]
LISTENER_REFUSED: list[Check] = [
    # The template creates PipelineRuns only; Triggers' stock role also allowed TaskRuns.
    ("create", "taskruns", T),
    # Triggers' stock role lets listeners impersonate ServiceAccounts (for per-trigger
    # SAs, which benchgen does not use): the generated Role grants no impersonation.
    ("impersonate", "serviceaccounts", ""),
    ("get", "secrets", ""), ("delete", "pipelineruns", T), ("update", "pipelineruns", T),
    ("create", "pipelines", T), ("create", "tasks", T), ("update", "eventlisteners", TT),
    ("create", "configmaps", ""), ("create", "pods", ""), ("create", "rolebindings", RBAC),
]  # fmt: skip
EVERYTHING: list[Check] = [
    *LISTENER_NEEDS, *LISTENER_REFUSED, ("list", "secrets", ""), ("get", "serviceaccounts", ""),
    ("create", "serviceaccounts/token", ""), ("get", "pipelineruns", T), ("*", "*", "*"),
]  # fmt: skip

# -- issue 9: watch-releases and the clean-up ----------------------------------------

FLUX = [
    ("kustomizations", "kustomize.toolkit.fluxcd.io"),
    ("helmreleases", "helm.toolkit.fluxcd.io"),
]
NEVER: list[Check] = [
    ("get", "secrets", ""), ("list", "secrets", ""), ("create", "pipelineruns", T),
    ("patch", "pipelineruns", T), ("create", "pods", ""), ("create", "rolebindings", RBAC),
    ("impersonate", "serviceaccounts", ""), ("create", "serviceaccounts", ""),
]  # fmt: skip
CM = "configmaps"
DEPLOY: Check = ("delete", "deployments", "apps")

# -- the observer and the status API -------------------------------------------------

RUNS: list[Check] = [
    (v, r, T) for r in ("pipelineruns", "taskruns") for v in ("get", "list", "watch")
]
OBSERVER_NEEDS = [*RUNS, ("patch", "pipelineruns", T), ("patch", "taskruns", T)]
LOGS: Check = ("get", "pods/log", "")
# serve reads a run with one list (field selector on its name + the label selector)
# and never gets, watches or reads Pods: the pod and containers come from TaskRuns.
STATUS_NEEDS: list[Check] = [("list", "pipelineruns", T), ("list", "taskruns", T), LOGS]
NEITHER: list[Check] = [
    ("create", "pipelineruns", T), ("delete", "pipelineruns", T), ("update", "pipelineruns", T),
    ("delete", "taskruns", T), ("update", "taskruns/status", T), ("get", "secrets", ""),
    ("list", "secrets", ""), ("list", CM, ""), ("create", "pods", ""), ("delete", "pods", ""),
    ("create", "pods/exec", ""), ("list", "pods/log", ""), ("create", "serviceaccounts/token", ""),
    ("impersonate", "serviceaccounts", ""), ("get", "tasks", T), ("create", "rolebindings", RBAC),
    ("get", "eventlisteners", TT),
]  # fmt: skip
STATUS_REFUSED: list[Check] = [
    *NEITHER,
    # A get would read a run of another benchmark by name: the selector is applied
    # by the API server only on a list.
    *[c for c in RUNS if c[0] != "list"],
    ("get", "pods", ""), ("patch", "pipelineruns", T), ("patch", "taskruns", T),
    ("list", "pods", ""), ("watch", "pods", ""),
]  # fmt: skip

CUSTOM_TASKS_NEEDS: list[Check] = [
    ("list", "customruns", T), ("watch", "customruns", T), ("patch", "customruns/status", T),
]  # fmt: skip

# identity: (config, ServiceAccount: "listener", "runner" or a name suffix, cases)
IDENTITIES: dict[str, tuple[str, str, list[Case]]] = {
    "listener": ("example", "listener", [
        *allow(HOME, *LISTENER_NEEDS),
        # Triggers resolves ClusterTriggerBindings/ClusterInterceptors cluster-wide.
        *allow(CLUSTER, ("list", "clustertriggerbindings", TT), ("list", "clusterinterceptors", TT)),
        *deny(HOME, *LISTENER_REFUSED),
        *deny(OTHER, ("create", "pipelineruns", T), ("impersonate", "serviceaccounts", ""),
              ("get", "secrets", "")),
        *deny(CLUSTER, ("create", "clusterrolebindings", RBAC), ("list", "namespaces", ""),
              ("list", "secrets", "")),
    ]),
    "runner": ("example", "runner", [*deny(HOME, *EVERYTHING), *deny(CLUSTER, *EVERYTHING)]),
    "releases": ("seed", "-releases", [
        *allow(HOME, ("get", CM, ""), ("patch", CM, ""), name="-releases-state"),
        # Is the run of an event there yet (named by the event id, so any name)?
        *allow(HOME, ("get", "pipelineruns", T)),
        *deny(HOME, *[(v, "pipelineruns", T) for v in ("list", "watch", "delete", "update")]),
        *deny(OTHER, ("get", "pipelineruns", T)),
        # A merge patch is all it writes.
        *deny(HOME, ("update", CM, ""), ("delete", CM, ""), name="-releases-state"),
        *deny(HOME, ("get", CM, ""), name="green-reviews-projects"),  # the deploy step's
        *deny(HOME, ("list", CM, ""), ("watch", CM, ""), ("create", CM, ""), *NEVER),
        *deny("default", ("get", CM, ""), name="-releases-state"),
    ]),
    # The send CronJob (an event id): the run its event names, at home, and nothing else.
    "schedule": ("webhook-ids", "-schedule", [
        *allow(HOME, ("get", "pipelineruns", T)),
        *deny(HOME, *[(v, "pipelineruns", T) for v in ("list", "watch", "delete", "update")],
              ("get", "taskruns", T), ("get", CM, ""), *NEVER),
        *deny(OTHER, ("get", "pipelineruns", T)),
        *deny(CLUSTER, ("get", "pipelineruns", T), ("list", "pipelineruns", T)),
    ]),
    "cleanup": ("seed", "-cleanup", [
        *allow("flux-system", *[(v, r, g) for r, g in FLUX for v in ("list", "delete")]),
        *deny("flux-system", *[
            (v, r, g) for r, g in FLUX
            for v in ("get", "watch", "deletecollection", "create", "update", "patch")
        ]),
        *[c for where in (HOME, "default", CLUSTER)
          for c in deny(where, *[("delete", r, g) for r, g in FLUX])],
        *deny("flux-system", *NEVER, ("delete", CM, "")),
        *deny(HOME, *NEVER),
    ]),
    # The deploy step: its one ConfigMap at home; server-side apply (get, create,
    # patch) of the Flux kinds in flux-system, nothing else anywhere.
    "deploy": ("seed", "-deploy", [
        *allow("flux-system", *[(v, r, g) for r, g in FLUX for v in ("get", "create", "patch")]),
        *deny("flux-system", *[
            (v, r, g) for r, g in FLUX
            for v in ("list", "watch", "update", "delete", "deletecollection")
        ]),
        *deny("flux-system", *NEVER, ("get", CM, ""), ("create", CM, "")),
        *allow(HOME, ("get", CM, ""), name="green-reviews-projects"),
        *deny(HOME, ("patch", CM, ""), ("update", CM, ""), name="green-reviews-projects"),
        *deny(HOME, ("get", CM, ""), name="-releases-state"),
        *deny(HOME, ("list", CM, ""), ("watch", CM, ""), ("create", CM, ""), *NEVER),
        *[c for where in (HOME, "default", CLUSTER)
          for c in deny(where, *[(v, r, g) for r, g in FLUX for v in ("create", "patch")])],
        *deny("default", ("get", CM, ""), name="green-reviews-projects"),
    ]),
    # falco and kepler: the enum of param 'project'. The Deployment target names
    # namespace 'bench' literally; ConfigMaps are not deleted there, and nothing in
    # the benchmark's own namespace.
    "cleanup-from-an-enum": ("schedules", "-cleanup", [
        *[c for ns in ("falco", "kepler")
          for c in [*allow(ns, ("list", CM, ""), ("delete", CM, "")),
                    *deny(ns, DEPLOY, ("get", CM, ""))]],
        *allow("bench", DEPLOY),
        *deny("bench", ("delete", CM, "")),
        *deny(HOME, DEPLOY, ("delete", CM, "")),
        *deny("default", ("delete", CM, "")),
    ]),
    "observer": ("broker", "-observer", [
        *allow(HOME, *OBSERVER_NEEDS, LOGS),
        *deny(HOME, *NEITHER, ("get", "pods", ""), ("list", "pods", ""), ("get", CM, "")),
        # Not in a namespace it does not watch, nor cluster-wide.
        *deny(OTHER, *OBSERVER_NEEDS, LOGS),
        *deny(CLUSTER, *OBSERVER_NEEDS, LOGS),
    ]),
    # Log tail 0: no pods/log. Sink 'tekton': config-events in tekton-pipelines, by
    # name only. Watched namespaces are the configured ones, not the home namespace.
    "observer-with-tekton-sink": ("tekton-sink", "-observer", [
        *[c for ns in ("default", "nightly-extra")
          for c in [*allow(ns, *OBSERVER_NEEDS), *deny(ns, LOGS)]],
        *deny(HOME, *OBSERVER_NEEDS),
        *allow("tekton-pipelines", ("get", CM, ""), name="config-events"),
        *deny("tekton-pipelines", ("get", CM, ""), name="config-defaults"),
        *deny("tekton-pipelines", ("list", CM, "")),
        *deny("tekton-pipelines", ("update", CM, ""), name="config-events"),
    ]),
    "custom-tasks": ("controller", "-custom-tasks", [
        *allow(HOME, *CUSTOM_TASKS_NEEDS),
        *deny(HOME, *[(v, "customruns", T) for v in ("get", "create", "update", "patch", "delete")],
              ("update", "customruns/status", T), ("get", "customruns/status", T), *NEITHER),
        *deny(OTHER, *CUSTOM_TASKS_NEEDS),
        *deny(CLUSTER, *CUSTOM_TASKS_NEEDS),
    ]),
    "status": ("broker", "-status", [
        *allow(HOME, *STATUS_NEEDS),
        *deny(HOME, *STATUS_REFUSED),
        *deny(OTHER, *STATUS_NEEDS),
        *deny(CLUSTER, *STATUS_NEEDS),
    ]),
}  # fmt: skip


@dataclass(frozen=True)
class Applied:
    """A render applied as is: every namespace it names created, then every object."""

    namespace: str
    objs: list[Obj]

    @property
    def other(self) -> str:
        return f"{self.namespace}-other"

    def one(self, kind: str, suffix: str = "") -> Obj:
        """The one object of that kind whose name ends with suffix."""
        (obj,) = [
            o for o in self.objs if o["kind"] == kind and o["metadata"]["name"].endswith(suffix)
        ]
        return obj

    def named(self, kind: str, suffix: str) -> str:
        return str(self.one(kind, suffix)["metadata"]["name"])

    def account(self, who: str) -> str:
        listener = next(o for o in self.objs if o["kind"] == "EventListener")
        listener = str(listener["spec"]["serviceAccountName"])
        if who == "listener":
            return listener
        if who == "runner":
            # The account the TriggerTemplate's PipelineRuns run as (the event-key
            # interceptor, the observer, ... have accounts of their own).
            template = next(o for o in self.objs if o["kind"] == "TriggerTemplate")
            runners = {
                str(run["spec"]["taskRunTemplate"]["serviceAccountName"])
                for run in template["spec"]["resourcetemplates"]
            }
            accounts = [o["metadata"]["name"] for o in self.objs if o["kind"] == "ServiceAccount"]
            assert len(runners) == 1 and runners <= set(accounts) - {listener}, (
                f"expected one rendered run ServiceAccount besides the listener: {runners}"
            )
            return runners.pop()
        return self.named("ServiceAccount", who)


def apply_config(cluster: Cluster, config: str, namespace: str) -> Applied:
    objs = render(CONFIGS[config], namespace=namespace)
    for ns in sorted({*namespaces_of(objs), f"{namespace}-other"}):
        cluster.ensure_namespace(ns)
    for obj in objs:
        cluster.apply(obj, field_manager=MANAGER)
    return Applied(namespace, objs)


@pytest.fixture(scope="module")
def applied(cluster: Cluster, upstream: Upstream) -> Callable[[str], Applied]:
    """Each config applied once for the tests that only read, in a namespace of its own."""
    done: dict[str, Applied] = {}

    def get(config: str) -> Applied:
        if config not in done:
            done[config] = apply_config(cluster, config, f"rbac-{config}-{secrets.token_hex(3)}")
        return done[config]

    return get


@pytest.fixture
def fresh(cluster: Cluster, upstream: Upstream, namespace: str) -> Callable[[str], Applied]:
    """A config applied in this test's own namespace, for the tests that write."""
    return lambda config: apply_config(cluster, config, namespace)


def _case_id(identity: str, case: Case) -> str:
    where = {CLUSTER: "cluster", HOME: "home", OTHER: "other"}.get(case.where, case.where)
    parts = [identity, "can" if case.allowed else "cannot", case.verb, case.resource]
    return "-".join([*parts, case.group or "core", str(where), *([case.name] if case.name else [])])


@pytest.mark.parametrize(
    ("identity", "case"),
    [
        pytest.param(identity, case, id=_case_id(identity, case))
        for identity, (_, _, cases) in IDENTITIES.items()
        for case in dict.fromkeys(cases)  # a case listed twice is asked once
    ],
)
def test_the_authorizer_allows_exactly_the_table(
    cluster: Cluster, applied: Callable[[str], Applied], identity: str, case: Case
) -> None:
    config, who, _ = IDENTITIES[identity]
    app = applied(config)
    sa = cluster.impersonate_service_account(app.namespace, app.account(who))
    where = {HOME: app.namespace, OTHER: app.other}.get(case.where, case.where)
    name = app.named("ConfigMap", case.name) if (case.name or "").startswith("-") else case.name
    resource, _, sub = case.resource.partition("/")
    allowed = sa.can_i(
        case.verb, resource, group=case.group, namespace=where, subresource=sub or None, name=name
    )
    assert allowed is case.allowed, f"{app.account(who)} in {app.namespace}: {case}"


# -- real tokens ------------------------------------------------------------------


def _pipeline_run(metadata: dict[str, str], spec: Obj, api_version: str = f"{T}/v1") -> Obj:
    return {"apiVersion": api_version, "kind": "PipelineRun", "metadata": metadata, "spec": spec}


def test_listener_token_really_creates_pipelineruns_only_at_home(
    cluster: Cluster, applied: Callable[[str], Applied]
) -> None:
    """Not only the authorizer's opinion: a real token, a real (dry-run) create."""
    app = applied("example")
    listener = cluster.with_token(cluster.token_for(app.namespace, app.account("listener")))
    ref = {"pipelineRef": {"name": app.one("Pipeline")["metadata"]["name"]}}
    run = _pipeline_run({"generateName": "rbac-", "namespace": app.namespace}, ref)
    created = listener.create(run, dry_run=True)
    assert created["metadata"]["name"].startswith("rbac-")
    with pytest.raises(KubeAPIError) as err:
        listener.create(_pipeline_run({"generateName": "rbac-", "namespace": app.other}, ref))
    assert err.value.status == 403
    with pytest.raises(KubeAPIError) as err:
        listener.request("DELETE", f"/apis/{T}/v1/namespaces/{app.namespace}/pipelineruns/x")
    assert err.value.status == 403


def test_runner_token_is_refused(cluster: Cluster, applied: Callable[[str], Applied]) -> None:
    app = applied("example")
    runner = cluster.with_token(cluster.token_for(app.namespace, app.account("runner")))
    with pytest.raises(KubeAPIError) as err:
        runner.list_objects(f"{T}/v1", "PipelineRun", app.namespace)
    assert err.value.status == 403


def test_releases_state_survives_a_re_apply(
    cluster: Cluster, fresh: Callable[[str], Applied]
) -> None:
    """What watch-releases recorded (a merge patch carrying the resourceVersion, with its
    own token) is still there after the manifests are applied again."""
    seed = fresh("seed")
    ns, state = seed.namespace, seed.named("ConfigMap", "-releases-state")
    watcher = cluster.with_token(cluster.token_for(ns, seed.account("-releases")))
    current = watcher.get("v1", "ConfigMap", state, ns)
    patch = {
        "metadata": {"resourceVersion": current["metadata"]["resourceVersion"]},
        "data": {"falcosecurity.falco": '{"fired": {"ebpf": ["0.39.0"]}}'},
    }
    watcher.patch("v1", "ConfigMap", state, patch, namespace=ns)
    with pytest.raises(KubeAPIError) as err:  # a stale resourceVersion: 409, never a blind write
        watcher.patch("v1", "ConfigMap", state, patch, namespace=ns)
    assert err.value.status == 409
    with pytest.raises(KubeAPIError) as err:
        watcher.get("v1", "ConfigMap", "green-reviews-projects", ns)  # the deploy step's
    assert err.value.status == 403
    for obj in seed.objs:
        cluster.apply(obj, field_manager=MANAGER)
    back = cluster.get("v1", "ConfigMap", state, ns)
    assert back["data"] == {"falcosecurity.falco": '{"fired": {"ebpf": ["0.39.0"]}}'}


def test_pending_run_is_stored_pending(cluster: Cluster, fresh: Callable[[str], Applied]) -> None:
    """The listener's PipelineRun (spec.status PipelineRunPending, concurrency) is accepted
    by the API server with Tekton's CRD, and the listener may create it."""
    seed = fresh("seed")
    run = seed.one("TriggerTemplate")["spec"]["resourcetemplates"][0]
    assert run["spec"]["status"] == "PipelineRunPending"
    listener = cluster.with_token(cluster.token_for(seed.namespace, seed.account("listener")))
    name = "green-reviews-run-falco-0-39-0-ebpf-1a2b3c4d"
    spec = {k: run["spec"][k] for k in ("pipelineRef", "status", "taskRunSpecs")}
    meta = {"name": name, "namespace": seed.namespace}
    created = listener.create(_pipeline_run(meta, spec, run["apiVersion"]))
    assert created["spec"]["status"] == "PipelineRunPending"
    accounts = {
        s["pipelineTaskName"]: s.get("serviceAccountName") for s in created["spec"]["taskRunSpecs"]
    }
    assert accounts["deploy"] == "green-reviews-deploy"
    assert accounts["cleanup"] == "green-reviews-cleanup"


def test_observer_and_status_tokens_read_but_never_write(
    cluster: Cluster, fresh: Callable[[str], Applied]
) -> None:
    broker = fresh("broker")
    ns = broker.namespace
    ref = {"pipelineRef": {"name": broker.one("Pipeline")["metadata"]["name"]}}
    cluster.create(_pipeline_run({"name": "ce-bench-run-rbac-1", "namespace": ns}, ref))
    status = cluster.with_token(cluster.token_for(ns, broker.account("-status")))
    observer = cluster.with_token(cluster.token_for(ns, broker.account("-observer")))
    listed = status.list_objects(f"{T}/v1", "PipelineRun", ns)
    assert [r["metadata"]["name"] for r in listed] == ["ce-bench-run-rbac-1"]
    patch = {"metadata": {"annotations": {"benchgen.dev/cloudevents-sent": '["started"]'}}}
    with pytest.raises(KubeAPIError) as err:
        status.patch(f"{T}/v1", "PipelineRun", "ce-bench-run-rbac-1", patch, namespace=ns)
    assert err.value.status == 403
    patched = observer.patch(f"{T}/v1", "PipelineRun", "ce-bench-run-rbac-1", patch, namespace=ns)
    assert patched["metadata"]["annotations"]["benchgen.dev/cloudevents-sent"] == '["started"]'
    with pytest.raises(KubeAPIError) as err:
        observer.create(_pipeline_run({"name": "ce-bench-run-rbac-2", "namespace": ns}, ref))
    assert err.value.status == 403


def test_redelivered_event_is_refused_as_a_duplicate_run(
    cluster: Cluster, fresh: Callable[[str], Applied]
) -> None:
    """The point of deterministic names: the listener's second create of the same
    event's run is refused by the API server (409), so no second run starts."""
    broker = fresh("broker")
    run = broker.one("TriggerTemplate", "-cloudevents-template")["spec"]["resourcetemplates"][0]
    # The event-key interceptor's key of the event's (source, id) names the run.
    key = event_key("/ci/gitlab", "3f0e7c52-9d1a")
    name = run["metadata"]["name"].replace("$(tt.params.cloudevent-key)", key)
    assert name == f"ce-bench-run-{key}"
    listener = cluster.with_token(cluster.token_for(broker.namespace, broker.account("listener")))
    ref = {"pipelineRef": run["spec"]["pipelineRef"]}
    obj = _pipeline_run({"name": name, "namespace": broker.namespace}, ref, run["apiVersion"])
    listener.create(obj)
    with pytest.raises(KubeAPIError) as err:
        listener.create(obj)
    assert err.value.status == 409
    assert len(cluster.list_objects(f"{T}/v1", "PipelineRun", broker.namespace)) == 1


# -- what the objects say ---------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "owner", "count"),
    [
        ("seed", r"-cleanup|-releases$", 2),
        ("seed", r"-deploy", 2),
        ("broker", r"-observer|-status$", None),
        ("tekton-sink", r"-observer|-status$", None),
    ],
)
def test_rule_reasons_name_every_rule(
    applied: Callable[[str], Applied], config: str, owner: str, count: int | None
) -> None:
    """Each generated Role says why it needs each rule: the Role's
    ``benchgen.dev/rule-reasons`` annotation has one line per rule, in order."""
    roles = [
        o
        for o in applied(config).objs
        if o["kind"] == "Role" and re.search(owner, o["metadata"]["name"])
    ]
    assert roles and len(roles) == (count or len(roles))
    for role in roles:
        reasons = role["metadata"]["annotations"]["benchgen.dev/rule-reasons"].splitlines()
        assert [r.split(":", 1)[0] for r in reasons] == [
            f"rules[{i}]" for i in range(len(role["rules"]))
        ], role["metadata"]["name"]


def test_bindings_reference_roles_that_exist(
    cluster: Cluster, applied: Callable[[str], Applied]
) -> None:
    """A RoleBinding to a missing ClusterRole is accepted and silently grants nothing."""
    for obj in applied("example").objs:
        if obj["kind"] in ("RoleBinding", "ClusterRoleBinding"):
            ref = obj["roleRef"]
            if ref["kind"] == "ClusterRole":
                assert cluster.get_or_none(f"{RBAC}/v1", "ClusterRole", ref["name"]), (
                    f"{obj['metadata']['name']} -> missing ClusterRole {ref['name']}"
                )
            for subject in obj.get("subjects", []):
                if subject["kind"] == "ServiceAccount":
                    assert cluster.get_or_none(
                        "v1", "ServiceAccount", subject["name"], subject["namespace"]
                    ), f"{obj['metadata']['name']} binds missing SA {subject}"
