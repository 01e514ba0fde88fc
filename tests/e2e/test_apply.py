"""Everything benchgen renders is accepted by a real API server with the upstream
CRDs: server-side apply, dry run first, then for real; what we read back is what
we sent (no field pruned or rewritten), and applying again changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.cluster import Cluster, KubeAPIError, subset_diff
from tests.e2e.render import (
    Case,
    Obj,
    cases,
    find_kustomize,
    key,
    namespaces_of,
    overlay_dirs,
    render,
    render_overlay,
)
from tests.e2e.upstream import Upstream

pytestmark = pytest.mark.e2e


def _check_round_trip(cluster: Cluster, objs: list[Obj], manager: str) -> None:
    assert objs, "nothing rendered"
    for ns in sorted(namespaces_of(objs)):
        cluster.ensure_namespace(ns)

    problems: list[str] = []
    for obj in objs:  # 1. dry run: validated and admitted, nothing stored
        out = cluster.apply(obj, field_manager=manager, dry_run=True)
        problems += [f"{key(obj)} (dry run){d}" for d in subset_diff(obj, out)]
    assert not problems, "\n".join(problems)

    versions: dict[tuple[str, str, str, str], str] = {}
    for obj in objs:  # 2. for real
        out = cluster.apply(obj, field_manager=manager)
        problems += [f"{key(obj)} (apply){d}" for d in subset_diff(obj, out)]
    for obj in objs:  # 3. read back from storage
        api_version, kind, ns, name = key(obj)
        back = cluster.get(api_version, kind, name, ns or None)
        problems += [f"{key(obj)} (read back){d}" for d in subset_diff(obj, back)]
        versions[key(obj)] = back["metadata"]["resourceVersion"]
        owned = {m["manager"] for m in back["metadata"].get("managedFields", [])}
        if manager not in owned:
            problems.append(f"{key(obj)}: {manager} owns no field: {owned}")
    assert not problems, "\n".join(problems)

    for obj in objs:  # 4. idempotent: a second apply is a no-op
        out = cluster.apply(obj, field_manager=manager)
        if out["metadata"]["resourceVersion"] != versions[key(obj)]:
            problems.append(f"{key(obj)}: re-apply changed the object")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_rendered_output_applies_and_round_trips(
    cluster: Cluster, upstream: Upstream, case: Case
) -> None:
    objs = render(case.config)
    unknown = (
        {o["kind"] for o in objs if "/" in o["apiVersion"]}
        - upstream.kinds()
        - {
            "ServiceAccount",
            "ConfigMap",
            "Role",
            "RoleBinding",
            "ClusterRole",
            "ClusterRoleBinding",
            "CronJob",
            "Deployment",
            "Service",
            "NetworkPolicy",
        }
    )
    assert not unknown, f"kinds neither built in nor installed: {unknown}"
    _check_round_trip(cluster, objs, f"benchgen-e2e-{case.name}")


def _overlay_params() -> list[object]:
    dirs = [d for d in overlay_dirs() if d.name != "base"] or overlay_dirs()
    if not dirs:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no overlays/ yet"))]
    return [pytest.param(d, id=d.name) for d in dirs]


@pytest.mark.parametrize("overlay", _overlay_params())
def test_overlay_applies_and_round_trips(
    cluster: Cluster, upstream: Upstream, overlay: Path, tmp_path: Path
) -> None:
    kustomize = find_kustomize()
    if kustomize is None:
        message = "no kustomize: Go could not install the pinned one (see tests/tools.py)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    objs = render_overlay(overlay, kustomize, tmp_path)
    _check_round_trip(cluster, objs, f"benchgen-e2e-overlay-{overlay.name}")


@pytest.mark.parametrize(
    ("kind", "path", "original", "typo"),
    [
        ("RoleBinding", (), "roleRef", "roleReff"),
        ("ConfigMap", (), "data", "dta"),
        ("Pipeline", ("spec",), "tasks", "taks"),
        ("Task", ("spec",), "steps", "stepz"),
        ("EventListener", ("metadata",), "labels", "lables"),
    ],
)
def test_misspelled_field_in_rendered_output_is_rejected(
    cluster: Cluster,
    upstream: Upstream,
    namespace: str,
    kind: str,
    path: tuple[str, ...],
    original: str,
    typo: str,
) -> None:
    """Take a real rendered object, misspell one field, and the server refuses it
    (dry run and real apply alike) instead of dropping it."""
    obj = next(o for o in render(None, namespace=namespace) if o["kind"] == kind)
    parent = obj
    for part in path:
        parent = parent[part]
    parent[typo] = parent.pop(original)
    for dry_run in (True, False):
        with pytest.raises(KubeAPIError, match=typo):
            cluster.apply(obj, dry_run=dry_run)
    api_version, kind_, ns, name = key(obj)
    assert cluster.get_or_none(api_version, kind_, name, ns or None) is None
