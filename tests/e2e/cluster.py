"""A real Kubernetes control plane (etcd + kube-apiserver) run as local processes,
and a small REST client for it. Independent of the generator: later e2e tests
(controller, status API, concurrency gate) use it as is.

    cluster = Cluster.start(bin_dir)          # bin_dir from build.sh
    try:
        cluster.ensure_namespace("demo")
        cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", ...})
        sa = cluster.impersonate_service_account("demo", "runner")
        assert not sa.can_i("get", "secrets")
    finally:
        cluster.stop()

There is no kube-controller-manager, scheduler or kubelet: nothing garbage
collects, namespaces never finish deleting and Pods never run. What is there is
the real API server: OpenAPI/CRD schemas, strict field validation,
server-side apply, admission, RBAC and the TokenRequest API.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlencode

import urllib3

if TYPE_CHECKING:  # pki needs `cryptography`; imported when a cluster starts
    from tests.e2e.pki import CertFiles, CertificateAuthority

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "build.sh"
FIELD_MANAGER = "benchgen-e2e"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
START_TIMEOUT = 90.0
SERVICE_CIDR = "10.96.0.0/16"  # the `kubernetes` Service gets .1; cluster DNS is .10
STOP_TIMEOUT = 15.0

T = TypeVar("T")
Obj = dict[str, Any]


class E2EUnavailable(RuntimeError):
    """The control-plane binaries are not cached and cannot be built here."""


def locate_binaries(*, build: bool) -> Path:
    """Directory with ``kube-apiserver`` and ``etcd``; builds them (minutes, once) if
    ``build`` is true and they are not cached. Raises E2EUnavailable otherwise."""
    if os.environ.get("BENCHGEN_E2E_BIN"):
        return Path(os.environ["BENCHGEN_E2E_BIN"])
    args = ["bash", str(BUILD_SCRIPT)] + ([] if build else ["--cached-only"])
    proc = subprocess.run(args, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode in (3, 4):
        raise E2EUnavailable("the e2e control plane (kube-apiserver, etcd) is not built")
    if proc.returncode != 0:
        raise RuntimeError(f"{BUILD_SCRIPT} failed with exit code {proc.returncode}")
    return Path(proc.stdout.strip().splitlines()[-1])


class KubeAPIError(Exception):
    """A non-2xx answer from the API server, with its Status object."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        self.reason = body.get("reason", "") if isinstance(body, dict) else ""
        message = body.get("message", body) if isinstance(body, dict) else body
        self.message = str(message)
        super().__init__(f"{method} {path}: HTTP {status} {self.reason}: {self.message}")


@dataclass(frozen=True)
class Resource:
    api_version: str
    kind: str
    plural: str
    namespaced: bool


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the child gets SIGKILL if the test process dies without cleaning up."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


# Listening ports come from below Linux's ephemeral range (32768-60999): a port
# the kernel hands out for binding to 0 and that we release again can be taken
# by any outbound connection (another cluster's apiserver -> etcd traffic)
# before etcd binds it. Below that range only other listeners compete.
_PORT_RANGE = (20000, 32000)
_taken_ports: set[int] = set()


def _free_port() -> int:
    import random

    for _ in range(200):
        port = random.randint(*_PORT_RANGE)
        if port in _taken_ports:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _taken_ports.add(port)
        return port
    raise RuntimeError(f"no free port in {_PORT_RANGE} after 200 tries")


class _PortTaken(RuntimeError):
    """A control-plane process could not bind its port: start again with new ports."""


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def wait_for(
    check: Callable[[], T | None],
    *,
    timeout: float = 30.0,
    interval: float = 0.2,
    what: str = "condition",
) -> T:
    """Call ``check`` until it returns something other than None/False; bounded."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = check()
            if result is not None and result is not False:
                return result
        except KubeAPIError as exc:  # e.g. 404 before the object exists
            last_error = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)


def subset_diff(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where ``actual`` lacks or changes something ``expected`` has. Extra keys in
    ``actual`` (server defaults, metadata) are fine; lists must match item by item."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path or '.'}: expected a mapping, got {actual!r}"]
        out: list[str] = []
        for key, value in expected.items():
            sub = f"{path}.{key}"
            if key not in actual:
                out.append(f"{sub}: missing (pruned?)")
            else:
                out.extend(subset_diff(value, actual[key], sub))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out.extend(subset_diff(e, a, f"{path}[{i}]"))
        return out
    if expected != actual:
        return [f"{path}: sent {expected!r}, read back {actual!r}"]
    return []


class KubeClient:
    """JSON over HTTPS to one API server, as one identity (client certificate,
    bearer token, or the admin impersonating someone)."""

    def __init__(
        self,
        server: str,
        ca_file: Path,
        *,
        client_cert: CertFiles | None = None,
        token: str | None = None,
        impersonate_user: str | None = None,
        impersonate_groups: tuple[str, ...] = (),
        timeout: float = 30.0,
    ) -> None:
        self.server = server
        self.ca_file = ca_file
        self._client_cert = client_cert
        self._headers: dict[str, str] = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        if impersonate_user:
            self._headers["Impersonate-User"] = impersonate_user
        self._impersonate_groups = impersonate_groups
        self._pool = urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED",
            ca_certs=str(ca_file),
            cert_file=str(client_cert.cert) if client_cert else None,
            key_file=str(client_cert.key) if client_cert else None,
            timeout=urllib3.Timeout(connect=5.0, read=timeout),
            retries=False,
        )
        self._resources: dict[str, dict[str, Resource]] = {}

    # -- identities -------------------------------------------------------

    def with_token(self, token: str) -> KubeClient:
        """A client that authenticates with a bearer token (e.g. from token_for)."""
        return KubeClient(self.server, self.ca_file, token=token)

    def impersonate(self, user: str, groups: tuple[str, ...] = ()) -> KubeClient:
        """The same credentials acting as ``user`` (like ``kubectl --as``)."""
        return KubeClient(
            self.server,
            self.ca_file,
            client_cert=self._client_cert,
            token=self._headers.get("Authorization", "").removeprefix("Bearer ") or None,
            impersonate_user=user,
            impersonate_groups=groups,
        )

    def impersonate_service_account(self, namespace: str, name: str) -> KubeClient:
        """``--as=system:serviceaccount:NS:NAME``; the server adds the SA's groups."""
        return self.impersonate(f"system:serviceaccount:{namespace}:{name}")

    def token_for(self, namespace: str, service_account: str, *, seconds: int = 600) -> str:
        """A real, signed token for a ServiceAccount (TokenRequest API)."""
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"audiences": [SERVICE_ACCOUNT_ISSUER], "expirationSeconds": seconds},
        }
        path = f"/api/v1/namespaces/{namespace}/serviceaccounts/{service_account}/token"
        return str(self.request("POST", path, body=body)["status"]["token"])

    # -- raw requests -----------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, str | list[str]] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """One request; the decoded JSON answer, or KubeAPIError for non-2xx."""
        url = self.server + path
        if query:
            url += "?" + urlencode(query, doseq=True)
        headers = urllib3.HTTPHeaderDict(self._headers)
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        for group in self._impersonate_groups:  # one header line per group
            headers.add("Impersonate-Group", group)
        resp = self._pool.request(method, url, body=data, headers=headers)
        payload: Any = None
        if resp.data:
            try:
                payload = json.loads(resp.data)
            except ValueError:
                payload = resp.data.decode(errors="replace")
        if resp.status >= 400:
            raise KubeAPIError(method, path, resp.status, payload)
        return payload

    # -- discovery --------------------------------------------------------

    def resource(self, api_version: str, kind: str) -> Resource:
        """The REST resource for a kind, from the server's discovery (cached)."""
        kinds = self._resources.get(api_version)
        if kinds is None or kind not in kinds:
            base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            listing = self.request("GET", base)
            kinds = {
                r["kind"]: Resource(api_version, r["kind"], r["name"], bool(r["namespaced"]))
                for r in listing.get("resources", [])
                if "/" not in r["name"]
            }
            self._resources[api_version] = kinds
        if kind not in kinds:
            raise KeyError(f"the server has no kind {kind} in {api_version}")
        return kinds[kind]

    def forget_discovery(self) -> None:
        """Drop cached discovery (after installing CRDs)."""
        self._resources.clear()

    def path(
        self,
        api_version: str,
        kind: str,
        name: str | None = None,
        namespace: str | None = None,
        subresource: str | None = None,
    ) -> str:
        r = self.resource(api_version, kind)
        out = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if r.namespaced:
            if not namespace:
                raise ValueError(f"{kind} {name or ''} is namespaced: give a namespace")
            out += f"/namespaces/{quote(namespace)}"
        out += f"/{r.plural}"
        if name:
            out += f"/{quote(name)}"
        if subresource:
            out += f"/{subresource}"
        return out

    def _obj_path(self, obj: Mapping[str, Any], *, named: bool = True) -> str:
        meta = obj.get("metadata", {})
        return self.path(
            obj["apiVersion"],
            obj["kind"],
            meta.get("name") if named else None,
            meta.get("namespace"),
        )

    # -- objects ----------------------------------------------------------

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj:
        return dict(self.request("GET", self.path(api_version, kind, name, namespace)))

    def get_or_none(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Obj | None:
        try:
            return self.get(api_version, kind, name, namespace)
        except KubeAPIError as exc:
            if exc.status == 404:
                return None
            raise

    def list_objects(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
    ) -> list[Obj]:
        """Objects of a kind; all namespaces when a namespaced kind gets no namespace."""
        r = self.resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        path = (
            f"{base}/namespaces/{quote(namespace)}/{r.plural}"
            if (r.namespaced and namespace)
            else f"{base}/{r.plural}"
        )
        query = {"labelSelector": label_selector} if label_selector else None
        items = self.request("GET", path, query=query).get("items", [])
        for item in items:  # lists drop these per item
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return list(items)

    def create(
        self, obj: Mapping[str, Any], *, dry_run: bool = False, field_validation: str = "Strict"
    ) -> Obj:
        """POST an object (fails with 409 if it exists)."""
        query: dict[str, str] = {"fieldValidation": field_validation}
        if dry_run:
            query["dryRun"] = "All"
        return dict(self.request("POST", self._obj_path(obj, named=False), body=obj, query=query))

    def apply(
        self,
        obj: Mapping[str, Any],
        *,
        field_manager: str = FIELD_MANAGER,
        dry_run: bool = False,
        force: bool = False,
        field_validation: str = "Strict",
    ) -> Obj:
        """Server-side apply (PATCH application/apply-patch+yaml); returns the result."""
        query: dict[str, str] = {
            "fieldManager": field_manager,
            "fieldValidation": field_validation,
        }
        if force:
            query["force"] = "true"
        if dry_run:
            query["dryRun"] = "All"
        return dict(
            self.request(
                "PATCH",
                self._obj_path(obj),
                body=obj,
                query=query,
                content_type="application/apply-patch+yaml",
            )
        )

    def apply_all(self, objs: Iterable[Mapping[str, Any]], **kwargs: Any) -> list[Obj]:
        return [self.apply(obj, **kwargs) for obj in objs]

    def patch(
        self,
        api_version: str,
        kind: str,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: str = "merge",
        subresource: str | None = None,
        field_validation: str = "Strict",
    ) -> Obj:
        """PATCH with a merge (default), json or strategic patch; ``subresource="status"``
        writes status."""
        content_type = {
            "merge": "application/merge-patch+json",
            "json": "application/json-patch+json",
            "strategic": "application/strategic-merge-patch+json",
        }[patch_type]
        return dict(
            self.request(
                "PATCH",
                self.path(api_version, kind, name, namespace, subresource),
                body=patch,
                query={"fieldValidation": field_validation},
                content_type=content_type,
            )
        )

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        missing_ok: bool = True,
    ) -> None:
        try:
            self.request("DELETE", self.path(api_version, kind, name, namespace))
        except KubeAPIError as exc:
            if not (missing_ok and exc.status == 404):
                raise

    def ensure_namespace(self, name: str, labels: Mapping[str, str] | None = None) -> Obj:
        meta: Obj = {"name": name}
        if labels:
            meta["labels"] = dict(labels)
        return self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})

    def wait_for_condition(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        condition: str = "Ready",
        status: str = "True",
        timeout: float = 30.0,
    ) -> Obj:
        """Wait until ``status.conditions[type=condition].status == status``."""

        def check() -> Obj | None:
            obj = self.get(api_version, kind, name, namespace)
            for cond in obj.get("status", {}).get("conditions", []) or []:
                if cond.get("type") == condition and cond.get("status") == status:
                    return obj
            return None

        return wait_for(check, timeout=timeout, what=f"{kind} {name}: {condition}={status}")

    def install(self, objs: Iterable[Mapping[str, Any]], *, timeout: float = 60.0) -> None:
        """Apply objects (CRDs, ClusterRoles...) and wait until every CRD is Established
        and served."""
        crds = []
        for obj in objs:
            self.apply(obj, force=True)
            if obj["kind"] == "CustomResourceDefinition":
                crds.append(obj)
        for crd in crds:
            self.wait_for_condition(
                "apiextensions.k8s.io/v1",
                "CustomResourceDefinition",
                crd["metadata"]["name"],
                condition="Established",
                timeout=timeout,
            )
        wanted = {
            (f"{crd['spec']['group']}/{v['name']}", crd["spec"]["names"]["kind"])
            for crd in crds
            for v in crd["spec"]["versions"]
            if v.get("served", True)
        }

        def all_served() -> bool:
            self.forget_discovery()
            return all(self._served(av, kind) for av, kind in sorted(wanted))

        wait_for(all_served, timeout=timeout, what="installed kinds to appear in discovery")

    def _served(self, api_version: str, kind: str) -> bool:
        try:
            self.resource(api_version, kind)
            return True
        except (KeyError, KubeAPIError):
            return False

    # -- authorization ----------------------------------------------------

    def can_i(
        self,
        verb: str,
        resource: str,
        *,
        group: str = "",
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
    ) -> bool:
        """The API server's own answer (SelfSubjectAccessReview) for this client's
        identity: ``kubectl auth can-i`` (with ``--as`` when impersonating)."""
        attrs: Obj = {"verb": verb, "resource": resource, "group": group}
        if namespace:
            attrs["namespace"] = namespace
        if name:
            attrs["name"] = name
        if subresource:
            attrs["subresource"] = subresource
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs},
        }
        out = self.request(
            "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body=review
        )
        return bool(out.get("status", {}).get("allowed", False))


class Cluster(KubeClient):
    """etcd + kube-apiserver on loopback, with an admin client (``system:masters``).

    Use ``Cluster.start(bin_dir)`` and always ``stop()`` (it is idempotent and also
    registered with atexit); the child processes also die with the test process.
    """

    def __init__(
        self, workdir: Path, server: str, ca_file: Path, admin: CertFiles, keep: bool
    ) -> None:
        super().__init__(server, ca_file, client_cert=admin)
        self.workdir = workdir
        self.admin_cert = admin
        self.ca: CertificateAuthority  # set by start(); issues certs (fake kubelet)
        self.kubeconfig = workdir / "kubeconfig"
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[Any] = []
        self._keep = keep
        self._stopped = False

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    @classmethod
    def start(
        cls, bin_dir: Path, *, timeout: float = START_TIMEOUT, node_ip: str | None = None
    ) -> Cluster:
        """Generate certificates, start etcd and kube-apiserver, wait for /readyz.

        With ``node_ip`` the API server is meant to serve a real node (see
        tests/cluster/node.py): it binds and advertises that address, so pods
        reach it through the ``kubernetes`` Service, it keeps that Service's
        endpoints itself, authorizes kubelets with the Node authorizer, and calls
        admission webhooks at their endpoints (no kube-proxy hop needed).

        A start that loses a port race (another process bound one of the chosen
        ports first) is retried with fresh ports, at most twice.
        Set BENCHGEN_E2E_KEEP=1 to keep the temporary directory (logs, data)."""
        for attempt in range(3):
            try:
                return cls._start_once(bin_dir, timeout, node_ip)
            except _PortTaken:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _start_once(cls, bin_dir: Path, timeout: float, node_ip: str | None) -> Cluster:
        from tests.e2e.pki import CertificateAuthority, service_account_keys

        keep = os.environ.get("BENCHGEN_E2E_KEEP") == "1"
        workdir = Path(tempfile.mkdtemp(prefix="benchgen-e2e-"))
        pki_dir = workdir / "pki"
        pki_dir.mkdir()
        (workdir / "logs").mkdir()
        ca = CertificateAuthority(pki_dir)
        loopback = ("127.0.0.1", "localhost")
        bind = node_ip or "127.0.0.1"
        etcd_server = ca.issue("etcd", "etcd", hosts=loopback, server=True, client=True)
        etcd_client = ca.issue("apiserver-etcd-client", "kube-apiserver-etcd-client", client=True)
        apiserver = ca.issue(
            "apiserver",
            "kube-apiserver",
            hosts=(
                *loopback,
                *([node_ip] if node_ip else []),
                "10.96.0.1",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
            ),
            server=True,
        )
        admin = ca.issue(
            "admin", "benchgen-e2e-admin", organizations=("system:masters",), client=True
        )
        # The API server's identity towards kubelets (pods/log, exec...): the fake
        # kubelet (kubelet.py) requires a client certificate from this CA.
        kubelet_client = ca.issue(
            "apiserver-kubelet-client", "kube-apiserver-kubelet-client", client=True
        )
        sa = service_account_keys(pki_dir)

        etcd_port, peer_port, api_port = _free_port(), _free_port(), _free_port()
        server = f"https://{bind}:{api_port}"
        cluster = cls(workdir, server, ca.cert_path, admin, keep)
        cluster.ca = ca
        _LIVE.append(cluster)
        try:
            cluster._spawn(
                "etcd",
                [
                    str(bin_dir / "etcd"),
                    "--name=e2e",
                    f"--data-dir={workdir / 'etcd'}",
                    f"--listen-client-urls=https://127.0.0.1:{etcd_port}",
                    f"--advertise-client-urls=https://127.0.0.1:{etcd_port}",
                    f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
                    f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
                    f"--initial-cluster=e2e=http://127.0.0.1:{peer_port}",
                    "--initial-cluster-state=new",
                    f"--cert-file={etcd_server.cert}",
                    f"--key-file={etcd_server.key}",
                    f"--trusted-ca-file={ca.cert_path}",
                    "--client-cert-auth=true",
                    "--unsafe-no-fsync=true",
                    "--log-level=warn",
                ],
            )
            cluster._spawn(
                "kube-apiserver",
                [
                    str(bin_dir / "kube-apiserver"),
                    f"--etcd-servers=https://127.0.0.1:{etcd_port}",
                    f"--etcd-cafile={ca.cert_path}",
                    f"--etcd-certfile={etcd_client.cert}",
                    f"--etcd-keyfile={etcd_client.key}",
                    f"--bind-address={bind}",
                    f"--advertise-address={bind}",
                    f"--secure-port={api_port}",
                    f"--cert-dir={workdir / 'apiserver'}",
                    f"--tls-cert-file={apiserver.cert}",
                    f"--tls-private-key-file={apiserver.key}",
                    f"--client-ca-file={ca.cert_path}",
                    "--anonymous-auth=false",
                    "--authorization-mode=" + ("Node,RBAC" if node_ip else "RBAC"),
                    f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                    f"--service-account-key-file={sa.cert}",
                    f"--service-account-signing-key-file={sa.key}",
                    f"--service-cluster-ip-range={SERVICE_CIDR}",
                    *(
                        [
                            "--endpoint-reconciler-type=lease",
                            "--enable-aggregator-routing=true",
                            "--enable-admission-plugins=NodeRestriction",
                        ]
                        if node_ip
                        else ["--endpoint-reconciler-type=none"]
                    ),
                    # pods/log goes to the Node's kubelet: its InternalIP (the fake
                    # kubelet registers 127.0.0.1) over TLS verified with our CA.
                    "--kubelet-preferred-address-types=InternalIP,Hostname",
                    f"--kubelet-certificate-authority={ca.cert_path}",
                    f"--kubelet-client-certificate={kubelet_client.cert}",
                    f"--kubelet-client-key={kubelet_client.key}",
                    "--profiling=false",
                    "--v=1",
                ],
            )
            cluster._write_kubeconfig(cluster.kubeconfig, "default")
            cluster._wait_ready(timeout)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self._logs.append(log)
        self._procs[name] = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() signals the group
            preexec_fn=_die_with_parent,
            cwd=self.workdir,
        )

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    tail = self.log_tail(name)
                    error = _PortTaken if "address already in use" in tail else RuntimeError
                    raise error(f"{name} exited with {proc.returncode} during start-up:\n{tail}")
            try:
                resp = self._pool.request("GET", self.server + "/readyz")
                if resp.status == 200:
                    return
                last = resp.data.decode(errors="replace")[-500:]
            except urllib3.exceptions.HTTPError as exc:
                last = str(exc)
            time.sleep(0.2)
        raise TimeoutError(
            f"kube-apiserver not ready after {timeout:.0f}s: {last}\n"
            + self.log_tail("kube-apiserver")
        )

    # -- kubeconfig -------------------------------------------------------

    def _write_kubeconfig(self, path: Path, namespace: str) -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "benchgen-e2e",
                    "cluster": {
                        "server": self.server,
                        "certificate-authority-data": _b64(self.ca_file),
                    },
                }
            ],
            "users": [
                {
                    "name": "benchgen-e2e-admin",
                    "user": {
                        "client-certificate-data": _b64(self.admin_cert.cert),
                        "client-key-data": _b64(self.admin_cert.key),
                    },
                }
            ],
            "contexts": [
                {
                    "name": "benchgen-e2e",
                    "context": {
                        "cluster": "benchgen-e2e",
                        "user": "benchgen-e2e-admin",
                        "namespace": namespace,
                    },
                }
            ],
            "current-context": "benchgen-e2e",
        }
        path.write_text(json.dumps(config, indent=2))  # JSON is YAML
        path.chmod(0o600)
        return path

    def kubeconfig_for(self, namespace: str) -> Path:
        """An admin kubeconfig whose current context's namespace is ``namespace``."""
        return self._write_kubeconfig(self.workdir / f"kubeconfig-{namespace}", namespace)

    def env(self, namespace: str | None = None) -> dict[str, str]:
        """os.environ plus KUBECONFIG for a subprocess (kubectl, make, a controller)."""
        kubeconfig = self.kubeconfig_for(namespace) if namespace else self.kubeconfig
        return {**os.environ, "KUBECONFIG": str(kubeconfig)}

    # -- shutdown ---------------------------------------------------------

    def pids(self) -> list[int]:
        return [p.pid for p in self._procs.values()]

    def stop(self) -> None:
        """Stop kube-apiserver then etcd (SIGTERM, then SIGKILL), remove the temp dir."""
        if self._stopped:
            return
        self._stopped = True
        self._pool.clear()
        for name in ("kube-apiserver", "etcd"):
            proc = self._procs.get(name)
            if proc is None:
                continue
            for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        for log in self._logs:
            log.close()
        if self in _LIVE:
            _LIVE.remove(self)
        if not self._keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


_LIVE: list[Cluster] = []


@atexit.register
def _stop_all() -> None:
    for cluster in list(_LIVE):
        cluster.stop()
