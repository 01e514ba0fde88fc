"""Fixtures for the real-cluster suite (``make e2e-cluster``).

- ``real_cluster``  one node with CoreDNS, Tekton Pipelines and Triggers (session)
- ``namespace``     a fresh namespace per test, deleted at the end (really: the
                    namespace controller runs here)
- ``orchestrator``  the fake orchestrator on the node's address, behind a Service
                    named as the example config expects, in ``namespace``
- ``ticks``         the schedule scenarios' deployment (tests/cluster/ticks.py),
                    made when the session starts; their tests run last, so the
                    minute boundaries they wait for pass during the other tests

Outside CI the suite skips unless BENCHGEN_E2E_CLUSTER=1 (``make e2e-cluster``
sets it); with CI=true it must run, so anything missing fails.
BENCHGEN_E2E_ATTACH=<state file> runs the tests on the stack that
``python -m tests.cluster.hold <state file>`` keeps up (a quicker loop while
writing tests; several pytest processes can share it).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cluster.stack import Stack, StackUnavailable, start_stack
from tests.cluster.ticks import Ticks, started
from tests.runtime.fake_orchestrator import FakeOrchestrator

HOW = "run it with `make e2e-cluster` (root, Go, Debian packages; see tests/cluster/README.md)"


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def real_cluster() -> Iterator[Stack]:
    attach = os.environ.get("BENCHGEN_E2E_ATTACH")
    if attach:
        yield Stack.attach(Path(attach))
        return
    if not (_truthy("CI") or _truthy("BENCHGEN_E2E_CLUSTER")):
        pytest.skip(f"the real-cluster suite is opt-in; {HOW}")
    try:
        stack = start_stack()
    except StackUnavailable as exc:
        if _truthy("CI"):
            pytest.fail(f"the real-cluster suite must run in CI but cannot: {exc}", pytrace=False)
        pytest.skip(f"{exc}; {HOW}")
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def namespace(real_cluster: Stack, request: pytest.FixtureRequest) -> Iterator[str]:
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"{slug}-{secrets.token_hex(3)}"
    yield real_cluster.create_namespace(name)
    if os.environ.get("BENCHGEN_E2E_KEEP") != "1":
        # Not waited for (about 45 s: pods' graceful ends); the namespace controller
        # finishes it while the next test runs. test_serve_make checks a complete
        # deletion where it is the point.
        real_cluster.delete_namespace(name, wait=False)


@dataclass
class Orchestrator:
    fake: FakeOrchestrator
    service_url: str


@pytest.fixture
def orchestrator(real_cluster: Stack, namespace: str) -> Iterator[Orchestrator]:
    """The fake orchestrator, reachable from pods as
    ``http://sast-ai-orchestrator.<namespace>.svc.cluster.local:80``: a Service
    without a selector plus an EndpointSlice naming the node's address (how a
    user points a cluster at a service outside it)."""
    with FakeOrchestrator(host=real_cluster.node_ip) as fake:
        port = int(fake.url.rsplit(":", 1)[1])
        real_cluster.expose(namespace, "sast-ai-orchestrator", 80, real_cluster.node_ip, port)
        yield Orchestrator(fake, f"http://sast-ai-orchestrator.{namespace}.svc.cluster.local:80")


TICKS_MODULE = "test_events_and_ticks.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name == TICKS_MODULE)  # stable: the rest keep order


@pytest.fixture(scope="session")
def ticks(real_cluster: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ticks]:
    with started(real_cluster, tmp_path_factory.mktemp("ticks")) as deployed:
        yield deployed


@pytest.fixture(scope="session", autouse=True)
def _ticks_from_the_start(request: pytest.FixtureRequest) -> None:
    if any(item.path.name == TICKS_MODULE for item in request.session.items):
        request.getfixturevalue("ticks")
