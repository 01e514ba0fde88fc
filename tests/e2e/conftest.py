"""Fixtures for the e2e suite: a real etcd + kube-apiserver per test session.

    def test_something(cluster: Cluster, upstream: Upstream, namespace: str) -> None:
        cluster.apply({...})

- ``e2e_bin_dir``  the cached kube-apiserver/etcd (built by build.sh when allowed)
- ``cluster``      a started Cluster (session scope), stopped at the end whatever happens
- ``upstream``     the Tekton/Triggers/Knative CRDs and Triggers ClusterRoles, installed
- ``namespace``    a fresh namespace for one test
- ``kubelet``      a fake kubelet (log endpoint only) with its Node, so ``pods/log``
                   works through the API server for Pods bound to ``kubelet.node_name``

Outside CI the suite skips unless the binaries are cached or BENCHGEN_E2E=1 (which
``make e2e`` sets); with CI=true it must run, so a missing Go toolchain fails.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cluster import Cluster, E2EUnavailable, locate_binaries
from tests.e2e.kubelet import FakeKubelet
from tests.e2e.upstream import Upstream, load_upstream

HOW = "run the e2e suite with `make e2e` (needs Go; see tests/e2e/README.md)"


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    if _truthy("CI"):
        pytest.fail(f"e2e tests must run in CI but cannot: {reason}", pytrace=False)
    pytest.skip(f"{reason}; {HOW}")


@pytest.fixture(scope="session")
def e2e_bin_dir() -> Path:
    if importlib.util.find_spec("cryptography") is None:
        _unavailable("the `cryptography` package is missing (pip install -e '.[dev]')")
    build = _truthy("CI") or _truthy("BENCHGEN_E2E")
    if build and shutil.which("go") is None and not os.environ.get("BENCHGEN_E2E_BIN"):
        try:
            return locate_binaries(build=False)
        except E2EUnavailable:
            _unavailable("Go is not installed and the control plane is not cached")
    try:
        return locate_binaries(build=build)
    except E2EUnavailable as exc:
        _unavailable(str(exc))
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def cluster(e2e_bin_dir: Path) -> Iterator[Cluster]:
    c = Cluster.start(e2e_bin_dir)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="session")
def upstream(cluster: Cluster) -> Upstream:
    if shutil.which("go") is None:
        _unavailable("Go is needed to fetch the pinned Tekton/Knative modules")
    up = load_upstream()
    cluster.install(up.objects)
    return up


@pytest.fixture(scope="session")
def kubelet(cluster: Cluster) -> Iterator[FakeKubelet]:
    k = FakeKubelet.start(cluster)
    try:
        yield k
    finally:
        k.stop()


@pytest.fixture
def namespace(cluster: Cluster, request: pytest.FixtureRequest) -> str:
    """A new namespace named after the test (namespaces are never deleted: there is
    no namespace controller, so deletion would hang in Terminating)."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"{slug}-{secrets.token_hex(3)}"
    cluster.ensure_namespace(name)
    return name
