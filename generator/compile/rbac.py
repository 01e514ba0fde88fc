"""Every identity: ServiceAccounts, Roles, RoleBindings, the listener's ClusterRole.

What each component may do, in one place: exactly the RBAC of
docs/runtime-interface.md. The Roles of the runtime's components carry each
rule's reason in the `benchgen.dev/rule-reasons` annotation (one line per rule),
because the emitted YAML has no comments. Pods that read nothing from the
cluster (the Tasks, the send CronJobs without an event id, which run as the
runner) get no API token.
"""

from __future__ import annotations

from generator.compile.meta import Manifest, manifest, metadata
from generator.compile.schedule import uses_schedule_account
from generator.compile.tekton import cleanup_namespaces
from generator.config.names import Names

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark, ObserveSpec

RBAC = "rbac.authorization.k8s.io/v1"
REASONS_ANNOTATION = "benchgen.dev/rule-reasons"
TEKTON_EVENTS_CONFIG = "config-events"

Rule = tuple[list[str], list[str], list[str], str]  # groups, resources, verbs, why


def build(bench: Benchmark, names: Names) -> list[Manifest]:
    """Every identity, each component's objects in the order the others refer to them."""
    return [
        *_listener(names),
        *_event_key(bench, names),
        *_observer(bench, names),
        *_status(bench, names),
        *_custom_tasks(names),
        *_deploy(bench, names),
        *_cleanup(bench, names),
        *_releases(bench, names),
        *_schedule(bench, names),
    ]


def service_account(names: Names, name: str, *, token: bool | None = None) -> Manifest:
    """``token``: automountServiceAccountToken, said explicitly; None leaves the default."""
    body = {} if token is None else {"automountServiceAccountToken": token}
    return manifest("v1", "ServiceAccount", metadata(names, name), **body)


def _granted(
    names: Names,
    name: str,
    namespace: str,
    account: str,
    rules: list[Rule],
    names_only: list[str] | None = None,
) -> list[Manifest]:
    """A Role of ``rules`` (on ``names_only`` objects, if given) and its binding to ``account``."""
    return _granted_each(names, name, namespace, account, [(r, names_only) for r in rules])


def _granted_each(
    names: Names,
    name: str,
    namespace: str,
    account: str,
    rules: list[tuple[Rule, list[str] | None]],
) -> list[Manifest]:
    """``_granted`` with each rule on its own objects (``None``: every object)."""
    body = []
    for (groups, resources, verbs, _), names_only in rules:
        rule: Manifest = {"apiGroups": groups, "resources": resources}
        if names_only:
            rule["resourceNames"] = names_only
        rule["verbs"] = verbs
        body.append(rule)
    reasons = "".join(f"rules[{i}]: {why}\n" for i, ((*_, why), _) in enumerate(rules))
    meta = metadata(names, name, annotations={REASONS_ANNOTATION: reasons})
    meta["namespace"] = namespace
    role = manifest(RBAC, "Role", meta, rules=body)
    return [role, _binding(names, name, namespace, account)]


def _binding(names: Names, name: str, namespace: str, account: str, kind: str = "Role") -> Manifest:
    """A RoleBinding (ClusterRoleBinding with kind ClusterRole) of ``account`` to ``name``."""
    meta = metadata(names, name, namespaced=kind == "Role")
    if kind == "Role":
        meta["namespace"] = namespace
    return manifest(
        RBAC,
        "RoleBinding" if kind == "Role" else "ClusterRoleBinding",
        meta,
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
        subjects=[{"kind": "ServiceAccount", "name": account, "namespace": names.namespace}],
    )


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> Manifest:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def _listener(names: Names) -> list[Manifest]:
    """The listener's identity, exactly what the EventListener sink needs, and the runner's.

    Tekton Triggers ships ClusterRoles for listeners, but they are broader
    than a listener needs: tekton-triggers-eventlistener-clusterroles grants
    reading Secrets in every namespace (only the core interceptors read
    secrets, under their own ServiceAccount), and the namespaced role lets the
    listener impersonate any ServiceAccount and create TaskRuns.
    """
    account = names.listener_service_account
    out = [service_account(names, account)]
    if names.runner_service_account_generated:
        # The Tasks only talk HTTP to the orchestrator: their pods get no API token.
        out.append(service_account(names, names.runner_service_account, token=False))
    role_rules = [
        # The sink watches its own EventListener and everything it references.
        _rule(
            ["triggers.tekton.dev"],
            ["eventlisteners", "triggers", "triggerbindings", "triggertemplates", "interceptors"],
            ["get", "list", "watch"],
        ),
        # Its logging and observability configuration.
        _rule([""], ["configmaps"], ["get", "list", "watch"]),
        # The one thing the TriggerTemplate creates.
        _rule(["tekton.dev"], ["pipelineruns"], ["create"]),
        # It records Kubernetes Events about accepted and rejected requests.
        _rule([""], ["events"], ["create", "patch"]),
    ]
    cluster_rules = [
        # The cel/github/gitlab interceptors are cluster-scoped ClusterInterceptors.
        _rule(
            ["triggers.tekton.dev"],
            ["clustertriggerbindings", "clusterinterceptors"],
            ["get", "list", "watch"],
        ),
    ]
    cluster_role = names.listener_cluster_role_binding
    role = names.listener_role_binding
    cluster_meta = metadata(names, cluster_role, namespaced=False)
    return [
        *out,
        manifest(RBAC, "ClusterRole", cluster_meta, rules=cluster_rules),
        _binding(names, cluster_role, names.namespace, account, kind="ClusterRole"),
        manifest(RBAC, "Role", metadata(names, role), rules=role_rules),
        _binding(names, role, names.namespace, account),
    ]


def _event_key(bench: Benchmark, names: Names) -> list[Manifest]:
    """The dedup record: read it, and write a key once its run exists."""
    if not names.uses_event_key:
        return []
    record: Rule = (
        [""],
        ["configmaps"],
        ["get", "patch"],
        f"refuse an event whose key is in the dedup record, ConfigMap {names.deliveries} only;"
        " add a key once its run exists (merge patch carrying the resourceVersion)",
    )
    runs: Rule = (
        ["tekton.dev"],
        ["pipelineruns"],
        ["get"],
        "after letting an event through, get the PipelineRun named <runPrefix><key> until it"
        " exists; only then is the key recorded; the names are per event, so no"
        " resourceNames; no list, watch or write",
    )
    each = [(record, [names.deliveries]), (runs, None)]
    return [
        service_account(names, names.event_key, token=True),
        *_granted_each(names, names.event_key, names.namespace, names.event_key, each),
    ]


def _observer(bench: Benchmark, names: Names) -> list[Manifest]:
    observe = bench.spec.observe
    if observe is None or observe.observer is None:
        return []
    observer = observe.observer
    out = [service_account(names, names.observer)]
    rules = _observer_rules(observe, bench.spec.pipeline.concurrency is not None)
    for namespace in observer.namespaces or [names.namespace]:
        role = names.observer_role(namespace)
        out += _granted(names, role, namespace, names.observer, rules)
    if observer.sink == "tekton":
        config_rule: Rule = (
            [""],
            ["configmaps"],
            ["get"],
            f"read the sink URL from Tekton's {TEKTON_EVENTS_CONFIG} (sink 'tekton'), at start"
            " and on every resync; no other ConfigMap",
        )
        role = names.observer_config_role
        namespace = observer.tekton_namespace
        out += _granted(
            names, role, namespace, names.observer, [config_rule], [TEKTON_EVENTS_CONFIG]
        )
    return out


def _observer_rules(observe: ObserveSpec, gate: bool) -> list[Rule]:
    assert observe.observer is not None
    rules: list[Rule] = [
        (
            ["tekton.dev"],
            ["pipelineruns", "taskruns"],
            ["get", "list", "watch"],
            "list and watch this benchmark's runs (label-selected), resuming from the last"
            " resourceVersion; get re-reads a run whose annotation patch met a 409 conflict",
        ),
        (
            ["tekton.dev"],
            ["pipelineruns", "taskruns"],
            ["patch"],
            "record each event as sent in the annotation benchgen.dev/cloudevents-sent, only"
            " after the sink answered 2xx (no loss, no repeat)"
            + (
                "; start pending runs (spec.pipeline.concurrency): remove spec.status with a"
                " JSON patch that tests the uid and PipelineRunPending"
                if gate
                else ""
            ),
        ),
    ]
    if _observer_logs(observe):
        rules.append(
            (
                [""],
                ["pods/log"],
                ["get"],
                "the bounded tail of each step's log carried by step events (logTailBytes > 0)",
            )
        )
    return rules


def _observer_logs(observe: ObserveSpec) -> bool:
    return observe.observer is not None and observe.observer.log_tail_bytes > 0


STATUS_RULES: list[Rule] = [
    (
        ["tekton.dev"],
        ["pipelineruns", "taskruns"],
        ["list"],
        "/status/<run>: one list by field selector metadata.name and the label selector, so"
        " the API server applies the selector; /logs/<run>: the run's TaskRuns by"
        " tekton.dev/pipelineRun=<run> and the selector (no get or watch is used)",
    ),
    (
        [""],
        ["pods/log"],
        ["get"],
        "stream each step's container log for /logs/<run> (the pod and container names"
        " come from the TaskRun's status: no pods access)",
    ),
]


def _status(bench: Benchmark, names: Names) -> list[Manifest]:
    observe = bench.spec.observe
    if observe is None or observe.status_api is None:
        return []
    return [
        service_account(names, names.status),
        *_granted(names, names.status, names.namespace, names.status, STATUS_RULES),
    ]


CUSTOM_TASKS_RULES: list[Rule] = [
    (
        ["tekton.dev"],
        ["customruns"],
        ["list", "watch"],
        "the informer: list this benchmark's CustomRuns by the label selector, then watch"
        " from the list's resourceVersion (no get: every object comes from the list or watch)",
    ),
    (
        ["tekton.dev"],
        ["customruns/status"],
        ["patch"],
        "write startTime, the Succeeded condition, results and retriesStatus (a merge patch"
        " carrying the resourceVersion read); never the spec, never create or delete",
    ),
]


def _custom_tasks(names: Names) -> list[Manifest]:
    """The custom-task controller (poll.mode controller): its CustomRuns, nothing else."""
    if not names.uses_custom_tasks:
        return []
    account = names.custom_tasks
    return [
        service_account(names, account),
        *_granted(names, account, names.namespace, account, CUSTOM_TASKS_RULES),
    ]


def _deploy(bench: Benchmark, names: Names) -> list[Manifest]:
    """The deploy step: its one ConfigMap, and each target kind in its one namespace."""
    deploy = bench.spec.pipeline.deploy
    if deploy is None:
        return []
    source = deploy.manifest.config_map.name
    by_namespace: dict[str, list[tuple[Rule, list[str] | None]]] = {
        names.namespace: [
            (
                ([""], ["configmaps"], ["get"], f"read the manifest from ConfigMap {source}"),
                [source],
            )
        ]
    }
    for target in deploy.targets:
        rules = by_namespace.setdefault(target.namespace or names.namespace, [])
        rule: Rule = (
            [target.group],
            [target.resource],
            ["get", "create", "patch"],
            f"server-side apply the run's {target.kind} objects (patch; create when one is"
            " new), then get each until its condition holds; no list, watch, update or delete",
        )
        if all(r[:2] != rule[:2] for r, _ in rules):
            rules.append((rule, None))
    # It talks to the API server, so it needs a token (as the clean-up does).
    out = [service_account(names, names.deploy, token=True)]
    for namespace in sorted(by_namespace):
        role = names.deploy_role(namespace)
        out += _granted_each(names, role, namespace, names.deploy, by_namespace[namespace])
    return out


def _cleanup(bench: Benchmark, names: Names) -> list[Manifest]:
    fin = bench.spec.pipeline.finally_
    if fin is None or fin.cleanup is None:
        return []
    params = {p.name: p for p in bench.spec.params}
    # It talks to the API server, so it needs a token (the default, said explicitly:
    # every other generated pod runs without one); so does watch-releases.
    out = [service_account(names, names.cleanup, token=True)]
    for namespace in cleanup_namespaces(bench, names):
        rules: list[Rule] = []
        for target in fin.cleanup.delete:
            if target.namespace_from_param:
                spaces = params[target.namespace_from_param].enum or []
            else:
                spaces = [target.namespace or names.namespace]
            if namespace not in spaces:
                continue
            rule: Rule = (
                [target.group],
                [target.resource],
                ["list", "delete"],
                f"delete the run's {target.kind} objects (label-selected, Foreground, uid"
                " precondition), then list until they are gone, finalizers included; no get,"
                " watch or deletecollection",
            )
            if all(r[:2] != rule[:2] for r in rules):
                rules.append(rule)
        role = names.cleanup_role(namespace)
        out += _granted(names, role, namespace, names.cleanup, rules)
    return out


def _releases(bench: Benchmark, names: Names) -> list[Manifest]:
    if bench.spec.triggers.releases is None:
        return []
    rules: list[Rule] = [
        (
            [""],
            ["configmaps"],
            ["get", "patch"],
            f"read and update (merge patch carrying the resourceVersion) what was already"
            f" fired, in ConfigMap {names.releases_state} only",
        )
    ]
    runs: Rule = (
        ["tekton.dev"],
        ["pipelineruns"],
        ["get"],
        "after each event, get the PipelineRun named <runPrefix><event id> until it exists"
        " (the listener answers 202 before it creates the run); only then is it recorded as"
        " fired; the names are per release, so no resourceNames; no list, watch or write",
    )
    each = [*((rule, [names.releases_state]) for rule in rules), (runs, None)]
    return [
        service_account(names, names.releases, token=True),
        *_granted_each(names, names.releases, names.namespace, names.releases, each),
    ]


SCHEDULE_RULES: list[Rule] = [
    (
        ["tekton.dev"],
        ["pipelineruns"],
        ["get"],
        "send: after each event, get the PipelineRun named <runPrefix><Job name> until it"
        " exists (the listener answers 202 before it creates the run); the names are new"
        " each tick, so no resourceNames; no list, watch or write",
    ),
]


def _schedule(bench: Benchmark, names: Names) -> list[Manifest]:
    """The send CronJobs with an event id: they look for the run each event starts."""
    if not uses_schedule_account(bench):
        return []
    account = names.schedule
    return [
        service_account(names, account, token=True),
        *_granted(names, account, names.namespace, account, SCHEDULE_RULES),
    ]
