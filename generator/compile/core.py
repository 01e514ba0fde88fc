"""Core objects: the ConfigMap the Tasks read, ServiceAccounts and the listener's RBAC."""

from __future__ import annotations

from generator.compile.meta import Manifest, manifest, metadata
from generator.config.models import Benchmark
from generator.config.names import Names, orchestrator_url

URL_KEY = "orchestrator-api-url"
ENDPOINT_KEY = "api-batch-endpoint"
# ClusterRoles shipped by Tekton Triggers for EventListener ServiceAccounts.
TRIGGERS_ROLE = "tekton-triggers-eventlistener-roles"
TRIGGERS_CLUSTER_ROLE = "tekton-triggers-eventlistener-clusterroles"


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


def build_listener_rbac(names: Names) -> list[Manifest]:
    subject = {
        "kind": "ServiceAccount",
        "name": names.listener_service_account,
        "namespace": names.namespace,
    }
    return [
        # Read this namespace's Triggers objects and create PipelineRuns here.
        manifest(
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            metadata(names, names.listener_role_binding),
            roleRef={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": TRIGGERS_ROLE,
            },
            subjects=[subject],
        ),
        # Read ClusterInterceptors (github, cel, ...) and ClusterTriggerBindings,
        # which are cluster-scoped and so need a cluster-wide binding.
        manifest(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            metadata(names, names.listener_cluster_role_binding, namespaced=False),
            roleRef={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": TRIGGERS_CLUSTER_ROLE,
            },
            subjects=[subject],
        ),
    ]
