"""Shared by the RBAC tests (``test_rbac*.py``): a render applied as is, and
authorization checks as ``(verb, resource[/subresource], group)`` tables, judged
by the API server's own authorizer (SelfSubjectAccessReview while impersonating)."""

from __future__ import annotations

from tests.e2e.cluster import Cluster, KubeClient
from tests.e2e.render import Obj, namespaces_of, render

Check = tuple[str, str, str]  # verb, resource[/subresource], group


def apply_config(cluster: Cluster, config: object, namespace: str, manager: str) -> list[Obj]:
    """``benchgen render`` of config, every namespace it names created, then applied."""
    objs = render(config, namespace=namespace)  # type: ignore[arg-type]
    for ns in sorted(namespaces_of(objs)):
        cluster.ensure_namespace(ns)
    for obj in objs:
        cluster.apply(obj, field_manager=manager)
    return objs


def can(client: KubeClient, check: Check, namespace: str | None, name: str | None = None) -> bool:
    verb, resource, group = check
    res, _, sub = resource.partition("/")
    return client.can_i(
        verb, res, group=group, namespace=namespace, subresource=sub or None, name=name
    )


def granted(client: KubeClient, checks: list[Check], namespace: str | None) -> list[Check]:
    return [c for c in checks if can(client, c, namespace)]


def assert_rule_reasons(role: Obj) -> None:
    """The Role's ``benchgen.dev/rule-reasons`` annotation has one line per rule, in order."""
    reasons = role["metadata"]["annotations"]["benchgen.dev/rule-reasons"].splitlines()
    assert [r.split(":", 1)[0] for r in reasons] == [
        f"rules[{i}]" for i in range(len(role["rules"]))
    ], role["metadata"]["name"]
