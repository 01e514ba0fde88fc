"""Identities of the issue-9 jobs: the clean-up finally Task and `watch-releases`.

Exactly the RBAC of docs/runtime-interface.md, each rule with its reason in the
`benchgen.dev/rule-reasons` annotation (as controller.py does). The send
CronJobs need no API access at all: they run as the runner ServiceAccount
with no token.
"""

from __future__ import annotations

from generator.compile.controller import Rule, binding_manifest, role_manifest
from generator.compile.meta import Manifest, manifest, metadata
from generator.compile.tekton import cleanup_namespaces
from generator.config.names import Names

TYPE_CHECKING = False
if TYPE_CHECKING:
    from generator.config.models import Benchmark


def _account(names: Names, name: str) -> Manifest:
    # Both talk to the API server, so they need a token (the default, said explicitly:
    # every other generated pod runs without one).
    return manifest(
        "v1", "ServiceAccount", metadata(names, name), automountServiceAccountToken=True
    )


def build_cleanup_identity(bench: Benchmark, names: Names) -> list[Manifest]:
    fin = bench.spec.pipeline.finally_
    if fin is None or fin.cleanup is None:
        return []
    params = {p.name: p for p in bench.spec.params}
    out = [_account(names, names.cleanup)]
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
        out.append(role_manifest(names, role, namespace, rules))
        out.append(binding_manifest(names, role, namespace, names.cleanup))
    return out


def build_releases_identity(bench: Benchmark, names: Names) -> list[Manifest]:
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
    return [
        _account(names, names.releases),
        role_manifest(names, names.releases, names.namespace, rules, [names.releases_state]),
        binding_manifest(names, names.releases, names.namespace, names.releases),
    ]
