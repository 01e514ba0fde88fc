"""The fake kubelet, reached the way every client reaches logs: the API server's
``pods/{name}/log``, proxied to the Node's kubelet over TLS (tests/e2e/kubelet.py)."""

from __future__ import annotations

import re
import threading
import time

import pytest
import urllib3

from tests.e2e.cluster import Cluster, KubeAPIError
from tests.e2e.kubelet import FakeKubelet, create_pod, wait_for_streams

pytestmark = pytest.mark.e2e


def _log(
    cluster: Cluster, ns: str, pod: str, container: str, **query: str
) -> urllib3.BaseHTTPResponse:
    """GET pods/log as the admin, unread (the body may be a stream)."""
    pool = urllib3.PoolManager(
        cert_reqs="CERT_REQUIRED",
        ca_certs=str(cluster.ca_file),
        cert_file=str(cluster.admin_cert.cert),
        key_file=str(cluster.admin_cert.key),
        retries=False,
        timeout=urllib3.Timeout(connect=5, read=20),
    )
    return pool.request(
        "GET",
        f"{cluster.server}/api/v1/namespaces/{ns}/pods/{pod}/log",
        fields={"container": container, **query},
        preload_content=False,
    )


def test_pod_log_through_the_api_server(
    cluster: Cluster, kubelet: FakeKubelet, namespace: str
) -> None:
    create_pod(cluster, namespace, "p1", ["step-a", "step-b"])
    kubelet.write(namespace, "p1", "step-a", "line one\nline two\nline three\n")
    kubelet.finish(namespace, "p1", "step-a")

    resp = _log(cluster, namespace, "p1", "step-a")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/plain"
    assert resp.read() == b"line one\nline two\nline three\n"
    # The API server connected with its kubelet client certificate.
    seen = kubelet.requests[-1]
    assert (seen.namespace, seen.pod, seen.container) == (namespace, "p1", "step-a")
    assert seen.client_cn == "kube-apiserver-kubelet-client"

    assert _log(cluster, namespace, "p1", "step-a", tailLines="1").read() == b"line three\n"
    assert _log(cluster, namespace, "p1", "step-a", limitBytes="6").read() == b"line o"
    stamped = _log(cluster, namespace, "p1", "step-a", timestamps="true").read().decode()
    assert re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line \w+\n){3}", stamped), stamped
    assert kubelet.requests[-1].query == {"timestamps": "true"}


def test_a_container_not_started_is_a_400_with_the_kubelets_reason(
    cluster: Cluster, kubelet: FakeKubelet, namespace: str
) -> None:
    create_pod(cluster, namespace, "p2", ["step-a", "step-b"])
    kubelet.start_container(namespace, "p2", "step-a")
    with pytest.raises(KubeAPIError) as err:
        cluster.request("GET", f"/api/v1/namespaces/{namespace}/pods/p2/log?container=step-b")
    assert err.value.status == 400
    assert 'container "step-b" in pod "p2" is waiting to start' in err.value.message
    # A container the Pod does not have is refused by the API server itself.
    with pytest.raises(KubeAPIError) as err:
        cluster.request("GET", f"/api/v1/namespaces/{namespace}/pods/p2/log?container=nope")
    assert err.value.status == 400
    assert "not valid for pod" in err.value.message


def test_follow_streams_a_growing_log_until_the_container_finishes(
    cluster: Cluster, kubelet: FakeKubelet, namespace: str
) -> None:
    create_pod(cluster, namespace, "p3", ["step-a"])
    kubelet.write(namespace, "p3", "step-a", "first\n")
    before = kubelet.open_streams()
    resp = _log(cluster, namespace, "p3", "step-a", follow="true")
    assert resp.status == 200
    got: list[bytes] = []
    ended = threading.Event()

    def read() -> None:
        for chunk in resp.stream(1024):
            got.append(chunk)
        ended.set()

    threading.Thread(target=read, daemon=True).start()
    wait_for_streams(kubelet, before + 1)
    deadline = time.monotonic() + 10
    while b"".join(got) != b"first\n" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert b"".join(got) == b"first\n"
    kubelet.write(namespace, "p3", "step-a", "second, a partial")
    kubelet.write(namespace, "p3", "step-a", " line\n")
    deadline = time.monotonic() + 10
    while b"".join(got) != b"first\nsecond, a partial line\n" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert b"".join(got) == b"first\nsecond, a partial line\n"
    assert not ended.is_set(), "a follow stream ended while the container runs"
    kubelet.finish(namespace, "p3", "step-a")
    assert ended.wait(10), "the follow stream did not end when the container finished"
    assert kubelet.requests[-1].query["follow"] == "true"


def test_pods_log_needs_its_own_rbac(
    cluster: Cluster, kubelet: FakeKubelet, namespace: str
) -> None:
    create_pod(cluster, namespace, "p4", ["step-a"])
    kubelet.write(namespace, "p4", "step-a", "secret-free\n")
    sa = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "reader", "namespace": namespace},
    }
    cluster.create(sa)
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "pods-only", "namespace": namespace},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }
    cluster.create(role)
    cluster.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "reader", "namespace": namespace},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "pods-only",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
        }
    )
    reader = cluster.with_token(cluster.token_for(namespace, "reader"))
    reader.get("v1", "Pod", "p4", namespace)
    with pytest.raises(KubeAPIError) as err:
        reader.request("GET", f"/api/v1/namespaces/{namespace}/pods/p4/log?container=step-a")
    assert err.value.status == 403
