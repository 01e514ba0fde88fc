"""Core objects: the ConfigMap the Tasks read, ServiceAccounts and the listener's RBAC."""

from __future__ import annotations

from generator.compile.meta import Manifest, manifest, metadata
from generator.config.names import Names, orchestrator_url

# Annotations only: the plugin's fast path passes lite.py's pydantic-free twins.
TYPE_CHECKING = False  # typing costs start-up time on the plugin's cold path
if TYPE_CHECKING:
    from generator.config.models import Benchmark

URL_KEY = "orchestrator-api-url"
ENDPOINT_KEY = "api-batch-endpoint"


def build_config_map(bench: Benchmark, names: Names) -> Manifest:
    return manifest(
        "v1",
        "ConfigMap",
        metadata(names, names.config_map),
        data={
            URL_KEY: orchestrator_url(bench, names.namespace),
            ENDPOINT_KEY: bench.spec.orchestrator.batch_endpoint,
        },
    )


def build_service_accounts(names: Names) -> list[Manifest]:
    accounts = [
        manifest("v1", "ServiceAccount", metadata(names, names.listener_service_account)),
    ]
    if names.runner_service_account_generated:
        # The Tasks only talk HTTP to the orchestrator: their pods get no API token.
        accounts.append(
            manifest(
                "v1",
                "ServiceAccount",
                metadata(names, names.runner_service_account),
                automountServiceAccountToken=False,
            )
        )
    return accounts


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> Manifest:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def build_listener_rbac(names: Names) -> list[Manifest]:
    """Exactly what the EventListener sink needs, nothing more.

    Tekton Triggers ships ClusterRoles for listeners, but they are broader
    than a listener needs: tekton-triggers-eventlistener-clusterroles grants
    reading Secrets in every namespace (only the core interceptors read
    secrets, under their own ServiceAccount), and the namespaced role lets the
    listener impersonate any ServiceAccount and create TaskRuns.
    """
    subject = {
        "kind": "ServiceAccount",
        "name": names.listener_service_account,
        "namespace": names.namespace,
    }
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

    def role_ref(kind: str, name: str) -> Manifest:
        return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}

    rbac = "rbac.authorization.k8s.io/v1"
    cluster_name = names.listener_cluster_role_binding
    return [
        manifest(
            rbac,
            "ClusterRole",
            metadata(names, cluster_name, namespaced=False),
            rules=cluster_rules,
        ),
        manifest(
            rbac,
            "ClusterRoleBinding",
            metadata(names, cluster_name, namespaced=False),
            roleRef=role_ref("ClusterRole", cluster_name),
            subjects=[subject],
        ),
        manifest(rbac, "Role", metadata(names, names.listener_role_binding), rules=role_rules),
        manifest(
            rbac,
            "RoleBinding",
            metadata(names, names.listener_role_binding),
            roleRef=role_ref("Role", names.listener_role_binding),
            subjects=[subject],
        ),
    ]
