"""One real Kubernetes node on this machine: containerd + runc, a bridge CNI network,
kubelet, kube-proxy, kube-scheduler and kube-controller-manager, joined to the
e2e harness's API server (tests/e2e/cluster.py started with ``node_ip``).

    cluster = Cluster.start(kube_bin, node_ip=NODE_IP)
    node = Node.start(cluster, kube_bin)          # Ready, schedulable
    node.import_images([archive, ...])            # OCI archives into containerd
    ...
    node.stop(); cluster.stop()

Everything runs as local processes in their own process groups, as root (runc
needs it). The facts this is built on were measured on this machine (see
tests/cluster/README.md, "Why the node is set up like this"):

- root here lacks CAP_SYS_RESOURCE, so containerd must not pass the negative
  ``oom_score_adj`` the kubelet asks for (``restrict_oom_score_adj``);
- cgroup v1 with no systemd: ``cgroupDriver: cgroupfs``, ``failCgroupV1: false``;
- the kubelet refuses a loopback node IP and this kernel has no ``dummy`` link,
  so the node's address lives on a bridge of its own, as a /32;
- no registry: images are imported into containerd, and the sandbox image is
  the real ``pause`` compiled from the kubernetes module.

What the node writes outside its work directory is listed in ``_HOST_LEFTOVERS``
and removed by ``stop()``, which also runs at exit and on the next start.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.e2e.cluster import (
    SERVICE_CIDR,
    Cluster,
    _die_with_parent,
    _free_port,
    wait_for,
)

NODE_NAME = "benchgen-node"
NODE_BRIDGE = "bgnode0"  # carries the node address only
NODE_IP = "10.200.0.1"
POD_BRIDGE = "bgpods0"  # the CNI bridge the pods hang off
POD_CIDR = "10.244.0.0/24"
POD_GATEWAY = "10.244.0.1"
CNI_NETWORK = "benchgen-pods"
CLUSTER_DNS = "10.96.0.10"
POD_TABLE = "4242"  # the routing table (and rule priority) for what pods send
CLUSTER_DOMAIN = "cluster.local"
# registry.k8s.io/pause as the kubelet and containerd 1.6 know it; built locally.
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"
CNI_BIN_DIR = "/usr/lib/cni"  # Debian's containernetworking-plugins
READY_TIMEOUT = 120.0

# Written by the kubelet/containerd outside the work directory; removed on stop.
_HOST_LEFTOVERS = (
    "/var/lib/kubelet/device-plugins/kubelet.sock",
    f"/var/lib/cni/results/{CNI_NETWORK}-*",
)
_KUBELET_CHAINS = ("KUBE-FIREWALL", "KUBE-KUBELET-CANARY", "KUBE-IPTABLES-HINT")


def _run(*argv: str, check: bool = True, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, check=check, timeout=timeout, stdin=subprocess.DEVNULL
    )


def _write_json(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj, indent=2))  # JSON is YAML too
    return path


def _kubeconfig(path: Path, server: str, ca: Path, cert: Any, user: str) -> Path:
    return _write_json(
        path,
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "c", "cluster": {"server": server, "certificate-authority": str(ca)}}
            ],
            "users": [
                {
                    "name": user,
                    "user": {"client-certificate": str(cert.cert), "client-key": str(cert.key)},
                }
            ],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": user}}],
            "current-context": "c",
        },
    )


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            tree.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
    return tree


def _kill_shims() -> None:
    """containerd's runc shims outlive containerd (each is a session leader of its
    own), and so do the containers under them: kill ours, containers first. Ours
    name our socket, under /tmp/benchgen-cluster-*, in their command line."""
    shims = []
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        with contextlib.suppress(OSError, ValueError):
            argv = Path(cmdline).read_bytes().split(b"\0")
            if argv[0].endswith(b"containerd-shim-runc-v2") and any(
                b"/benchgen-cluster-" in a for a in argv
            ):
                shims.append(int(cmdline.split("/")[2]))
    if not shims:
        return
    tree = _children()
    doomed: list[int] = []
    todo = list(shims)
    while todo:
        pid = todo.pop()
        doomed.append(pid)
        todo.extend(tree.get(pid, []))
    for pid in reversed(doomed):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def host_cleanup(workdir: Path | None = None, kube_proxy: Path | None = None) -> None:
    """Remove what a node leaves on the host: its containers and shims, iptables
    rules and chains, network devices and namespaces, mounts and files. Safe to
    run when nothing is there; ``workdir=None`` cleans every node work directory
    (a run killed before its stop())."""
    _kill_shims()
    if kube_proxy is not None and kube_proxy.exists():
        # kube-proxy removes its own chains and rules (all modes); no config needed.
        _run(str(kube_proxy), "--cleanup", check=False)
    for dev in (POD_BRIDGE, NODE_BRIDGE):
        _run("ip", "link", "del", dev, check=False)
    _run("ip", "rule", "del", "priority", POD_TABLE, check=False)
    _run("ip", "route", "flush", "table", POD_TABLE, check=False)
    for iptables in ("iptables", "ip6tables"):
        for table, chain in [("filter", c) for c in _KUBELET_CHAINS] + [
            ("nat", "KUBE-MARK-MASQ"),
            ("nat", "KUBE-POSTROUTING"),
            ("mangle", "KUBE-IPTABLES-HINT"),
            ("mangle", "KUBE-KUBELET-CANARY"),
            ("nat", "KUBE-KUBELET-CANARY"),
        ]:
            _unhook_chain(iptables, table, chain)
    # Sandboxes' network namespaces (containerd CRI names them cni-<uuid>).
    for netns in glob.glob("/run/netns/cni-*"):
        _run("umount", "-l", netns, check=False)
        with contextlib.suppress(OSError):
            os.unlink(netns)
    for pattern in _HOST_LEFTOVERS:
        for path in glob.glob(pattern):
            with contextlib.suppress(OSError):
                os.unlink(path)
    dirs = (
        [workdir]
        if workdir is not None
        else [Path(p) for p in glob.glob("/tmp/benchgen-cluster-*")]
    )
    for d in dirs:
        _unmount_under(d)
        if workdir is None:
            shutil.rmtree(d, ignore_errors=True)
    for link in glob.glob("/var/log/containers/*.log"):
        if not os.path.exists(link):  # dangling: its pod log dir was ours and is gone
            with contextlib.suppress(OSError):
                os.unlink(link)


def prepare_host(bin_dir: Path) -> None:
    """Clear what a killed run left, then give the node its address. Call before
    the API server starts: it binds that address."""
    if os.geteuid() != 0:
        raise RuntimeError("a real node needs root (runc, network devices, mounts)")
    host_cleanup(kube_proxy=bin_dir / "kube-proxy")
    # The node's own address, on a bridge with no ports: the kubelet refuses
    # loopback, and the API server, the fake orchestrator and the pods all use it.
    _run("ip", "link", "add", NODE_BRIDGE, "type", "bridge")
    _run("ip", "addr", "add", f"{NODE_IP}/32", "dev", NODE_BRIDGE)
    _run("ip", "link", "set", NODE_BRIDGE, "up")
    # Nothing addressed to the cluster may leave the machine. Service addresses
    # are routed to the port-less node bridge: kube-proxy's DNAT still applies
    # (it happens after this first route lookup), and a Service it has not
    # programmed yet is dropped here instead of following the default route.
    _run("ip", "route", "add", SERVICE_CIDR, "dev", NODE_BRIDGE)
    # Pods only talk to each other and to this machine. What they send is routed
    # by a table of its own that knows the pod and Service networks and drops the
    # rest; addresses of this machine are delivered before it (the local table).
    # The pods' bridge is made here, with its gateway address, so these routes can
    # name it; the CNI bridge plugin adopts an existing bridge as it is.
    _run("ip", "link", "add", POD_BRIDGE, "type", "bridge")
    _run("ip", "addr", "add", POD_GATEWAY + "/24", "dev", POD_BRIDGE)
    _run("ip", "link", "set", POD_BRIDGE, "up")
    _run("ip", "route", "add", POD_CIDR, "dev", POD_BRIDGE, "table", POD_TABLE)
    _run("ip", "route", "add", SERVICE_CIDR, "dev", NODE_BRIDGE, "table", POD_TABLE)
    _run("ip", "route", "add", "blackhole", "default", "table", POD_TABLE)
    _run("ip", "rule", "add", "iif", POD_BRIDGE, "lookup", POD_TABLE, "priority", POD_TABLE)
    # Pods reach Services through the host's iptables (kube-proxy), and the
    # replies of a pod on the same bridge must pass them too.
    Path("/proc/sys/net/ipv4/ip_forward").write_text("1")
    with contextlib.suppress(OSError):
        Path("/proc/sys/net/bridge/bridge-nf-call-iptables").write_text("1")


def _unhook_chain(iptables: str, table: str, chain: str) -> None:
    """Delete every jump to ``chain`` in ``table``, then flush and delete it."""
    listing = _run(iptables, "-w", "5", "-t", table, "-S", check=False)
    if listing.returncode != 0 or f"-N {chain}" not in listing.stdout:
        return
    for line in listing.stdout.splitlines():
        parts = line.split()
        if parts[:1] == ["-A"] and "-j" in parts and parts[parts.index("-j") + 1] == chain:
            _run(iptables, "-w", "5", "-t", table, "-D", *parts[1:], check=False)
    _run(iptables, "-w", "5", "-t", table, "-F", chain, check=False)
    _run(iptables, "-w", "5", "-t", table, "-X", chain, check=False)


def _unmount_under(root: Path) -> None:
    prefix = str(root.resolve())
    mounts = [
        line.split()[1].replace("\\040", " ")
        for line in Path("/proc/self/mounts").read_text().splitlines()
    ]
    for mount in sorted(
        (m for m in mounts if m == prefix or m.startswith(prefix + "/")), reverse=True
    ):
        _run("umount", "-l", mount, check=False)


class Node:
    """The node's processes and their cleanup; ``start`` returns it Ready."""

    def __init__(self, cluster: Cluster, bin_dir: Path, workdir: Path) -> None:
        self.cluster = cluster
        self.bin_dir = bin_dir
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.containerd_sock = workdir / "containerd.sock"
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._stopped = False

    # -- start ------------------------------------------------------------

    @classmethod
    def start(cls, cluster: Cluster, bin_dir: Path, *, images: list[Path] | None = None) -> Node:
        """After ``prepare_host()`` and the API server: start containerd, import ``images``, then the
        kubelet, kube-proxy, scheduler and controller-manager; wait until the node
        is Ready and the ``default`` ServiceAccount exists."""
        missing = [t for t in ("containerd", "runc", "ctr", "iptables") if not shutil.which(t)]
        if missing or not Path(CNI_BIN_DIR, "bridge").exists():
            raise RuntimeError(
                f"missing {', '.join(missing) or 'CNI plugins'}: run tests/cluster/setup.sh"
            )
        workdir = Path(tempfile.mkdtemp(prefix="benchgen-cluster-", dir="/tmp"))
        node = cls(cluster, bin_dir, workdir)
        _LIVE.append(node)
        try:
            node.logs.mkdir()
            node._network()
            node._containerd()
            if images:
                node.import_images(images)
            node._kubelet()
            node._control_plane()
            node._kube_proxy()
            node._wait_ready()
        except BaseException:
            node.stop()
            raise
        return node

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self._procs[name] = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            cwd=self.workdir,
            env={**os.environ, **(env or {})},
        )
        log.close()

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def _check_alive(self) -> None:
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def _network(self) -> None:
        cni = self.workdir / "cni"
        (cni / "net.d").mkdir(parents=True)
        _write_json(
            cni / "net.d" / "10-benchgen.conflist",
            {
                "cniVersion": "0.4.0",
                "name": CNI_NETWORK,
                "plugins": [
                    {
                        "type": "bridge",
                        "bridge": POD_BRIDGE,
                        "isGateway": True,
                        "ipMasq": False,  # pods only talk to this machine
                        "hairpinMode": True,  # a pod reaching its own Service
                        "ipam": {
                            "type": "host-local",
                            "ranges": [[{"subnet": POD_CIDR}]],
                            "routes": [{"dst": "0.0.0.0/0"}],
                            "dataDir": str(cni / "ipam"),
                        },
                    },
                    {"type": "loopback"},
                ],
            },
        )

    def _containerd(self) -> None:
        root = self.workdir / "containerd"
        config = self.workdir / "containerd.toml"
        config.write_text(
            f"""version = 2
root = "{root / "root"}"
state = "{root / "state"}"
[grpc]
  address = "{self.containerd_sock}"
[ttrpc]
  address = "{self.containerd_sock}.ttrpc"
[debug]
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN_DIR}"
    conf_dir = "{self.workdir / "cni" / "net.d"}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
"""
        )
        self._spawn("containerd", ["containerd", "--config", str(config)])
        wait_for(
            lambda: self._check_alive() or (self._ctr_ok() or None),
            timeout=30,
            interval=0.2,
            what="containerd to answer",
        )

    def ctr(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return _run(
            "ctr", "--address", str(self.containerd_sock), "-n", "k8s.io", *args, timeout=timeout
        )

    def _ctr_ok(self) -> bool:
        try:
            self.ctr("version", timeout=5)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            return False
        return True

    def import_images(self, archives: list[Path]) -> None:
        """Load OCI archives into containerd's ``k8s.io`` namespace (the kubelet's);
        their names stay as built, so ``IfNotPresent`` pods find them."""
        from tests.cluster.images import import_archives

        import_archives(self.containerd_sock, archives)

    def _certs(self, stem: str, cn: str, org: tuple[str, ...] = ()) -> Any:
        return self.cluster.ca.issue(stem, cn, organizations=org, client=True)

    def _kubelet(self) -> None:
        # The kubelet authorizes the API server's requests (logs, exec) with a
        # SubjectAccessReview: its client identity needs the kubelet API role.
        self.cluster.apply(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": "benchgen-e2e:kubelet-api-admin"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "system:kubelet-api-admin",
                },
                "subjects": [
                    {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "User",
                        "name": "kube-apiserver-kubelet-client",
                    }
                ],
            }
        )
        ca = self.cluster.ca
        client = self._certs("kubelet-client", f"system:node:{NODE_NAME}", ("system:nodes",))
        serving = ca.issue("kubelet-serving", NODE_NAME, hosts=(NODE_IP, NODE_NAME), server=True)
        kubeconfig = _kubeconfig(
            self.workdir / "kubelet.kubeconfig",
            self.cluster.server,
            ca.cert_path,
            client,
            "kubelet",
        )
        resolv = self.workdir / "resolv.conf"
        resolv.write_text("")  # no upstream DNS: pods only resolve cluster names
        self.kubelet_port = _free_port()
        config = _write_json(
            self.workdir / "kubelet.yaml",
            {
                "apiVersion": "kubelet.config.k8s.io/v1beta1",
                "kind": "KubeletConfiguration",
                "address": NODE_IP,
                "port": self.kubelet_port,
                "readOnlyPort": 0,
                "healthzBindAddress": "127.0.0.1",
                "healthzPort": _free_port(),
                "authentication": {
                    "anonymous": {"enabled": False},
                    "webhook": {"enabled": True},
                    "x509": {"clientCAFile": str(ca.cert_path)},
                },
                "authorization": {"mode": "Webhook"},
                "tlsCertFile": str(serving.cert),
                "tlsPrivateKeyFile": str(serving.key),
                "cgroupDriver": "cgroupfs",
                "failCgroupV1": False,
                "failSwapOn": False,
                "containerRuntimeEndpoint": f"unix://{self.containerd_sock}",
                "clusterDNS": [CLUSTER_DNS],
                "clusterDomain": CLUSTER_DOMAIN,
                "resolvConf": str(resolv),
                "podLogsDir": str(self.workdir / "pod-logs"),
                "volumePluginDir": str(self.workdir / "volume-plugins"),
                "staticPodPath": "",
                "serializeImagePulls": False,
                # The disk is shared with builds and caches: never evict test pods.
                "evictionHard": {
                    "memory.available": "100Mi",
                    "nodefs.available": "1%",
                    "imagefs.available": "1%",
                    "nodefs.inodesFree": "1%",
                },
                "imageGCHighThresholdPercent": 100,
                "imageGCLowThresholdPercent": 99,
                "syncFrequency": "10s",
                "fileCheckFrequency": "10s",
                "nodeStatusReportFrequency": "10s",
                "maxPods": 60,
                "protectKernelDefaults": False,
                "localStorageCapacityIsolation": False,
                "shutdownGracePeriod": "0s",
            },
        )
        self._spawn(
            "kubelet",
            [
                str(self.bin_dir / "kubelet"),
                f"--config={config}",
                f"--kubeconfig={kubeconfig}",
                f"--root-dir={self.workdir / 'kubelet'}",
                f"--node-ip={NODE_IP}",
                f"--hostname-override={NODE_NAME}",
                "--v=1",
            ],
        )

    def _control_plane(self) -> None:
        ca = self.cluster.ca
        pki = ca.directory
        cm = self._certs("controller-manager", "system:kube-controller-manager")
        cm_kc = _kubeconfig(
            self.workdir / "controller-manager.kubeconfig",
            self.cluster.server,
            ca.cert_path,
            cm,
            "cm",
        )
        self._spawn(
            "kube-controller-manager",
            [
                str(self.bin_dir / "kube-controller-manager"),
                f"--kubeconfig={cm_kc}",
                f"--authentication-kubeconfig={cm_kc}",
                f"--authorization-kubeconfig={cm_kc}",
                f"--service-account-private-key-file={pki / 'sa.key'}",
                f"--root-ca-file={ca.cert_path}",
                "--use-service-account-credentials=true",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--allocate-node-cidrs=false",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={_free_port()}",
                "--v=1",
            ],
        )
        sched = self._certs("scheduler", "system:kube-scheduler")
        sched_kc = _kubeconfig(
            self.workdir / "scheduler.kubeconfig", self.cluster.server, ca.cert_path, sched, "sched"
        )
        self._spawn(
            "kube-scheduler",
            [
                str(self.bin_dir / "kube-scheduler"),
                f"--kubeconfig={sched_kc}",
                f"--authentication-kubeconfig={sched_kc}",
                f"--authorization-kubeconfig={sched_kc}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={_free_port()}",
                "--v=1",
            ],
        )

    def _kube_proxy(self) -> None:
        ca = self.cluster.ca
        proxy = self._certs("kube-proxy", "system:kube-proxy")
        kc = _kubeconfig(
            self.workdir / "kube-proxy.kubeconfig",
            self.cluster.server,
            ca.cert_path,
            proxy,
            "proxy",
        )
        self.proxy_config = _write_json(
            self.workdir / "kube-proxy.yaml",
            {
                "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
                "kind": "KubeProxyConfiguration",
                "clientConnection": {"kubeconfig": str(kc)},
                "hostnameOverride": NODE_NAME,
                "mode": "iptables",
                "clusterCIDR": POD_CIDR,
                "bindAddress": NODE_IP,
                "healthzBindAddress": f"127.0.0.1:{_free_port()}",
                "metricsBindAddress": f"127.0.0.1:{_free_port()}",
                # Leave the host's conntrack sysctls as they are (0 = do not set).
                "conntrack": {
                    "maxPerCore": 0,
                    "min": 0,
                    "tcpEstablishedTimeout": "0s",
                    "tcpCloseWaitTimeout": "0s",
                },
            },
        )
        self._spawn(
            "kube-proxy",
            [str(self.bin_dir / "kube-proxy"), f"--config={self.proxy_config}", "--v=1"],
        )

    def _wait_ready(self) -> None:
        def ready() -> bool | None:
            self._check_alive()
            node = self.cluster.get_or_none("v1", "Node", NODE_NAME)
            if node is None:
                return None
            conds = {c["type"]: c["status"] for c in node.get("status", {}).get("conditions", [])}
            taints = [t["key"] for t in node.get("spec", {}).get("taints", []) or []]
            if conds.get("Ready") != "True" or taints:
                return None
            sa = self.cluster.get_or_none("v1", "ServiceAccount", "default", "default")
            return True if sa else None

        try:
            wait_for(
                ready,
                timeout=READY_TIMEOUT,
                interval=0.5,
                what="the node to be Ready and the default ServiceAccount",
            )
        except TimeoutError as exc:
            tails = "\n".join(f"--- {n}\n{self.log_tail(n, 15)}" for n in self._procs)
            raise TimeoutError(f"{exc}\n{tails}") from None

    # -- stop -------------------------------------------------------------

    def stop(self) -> None:
        """Tear the node down fast: nothing on it needs a graceful end. The node
        processes go first (so nothing restarts a container), then every container
        and shim, then containerd; then the host is cleaned."""
        if self._stopped:
            return
        self._stopped = True
        t = time.monotonic()
        for name in ("kube-proxy", "kube-scheduler", "kube-controller-manager", "kubelet"):
            self._kill(name)
        if "containerd" in self._procs and self._procs["containerd"].poll() is None:
            with contextlib.suppress(subprocess.SubprocessError):
                for task in self.ctr("tasks", "ls", "-q", timeout=10).stdout.split():
                    self.ctr("tasks", "kill", "-s", "SIGKILL", task, timeout=10)
        self._kill("containerd")
        host_cleanup(self.workdir, kube_proxy=self.bin_dir / "kube-proxy")
        if self in _LIVE:
            _LIVE.remove(self)
        if os.environ.get("BENCHGEN_E2E_KEEP") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.stop_seconds = time.monotonic() - t

    def _kill(self, name: str) -> None:
        proc = self._procs.get(name)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)


_LIVE: list[Node] = []


@atexit.register
def _stop_all() -> None:
    for node in list(_LIVE):
        node.stop()
