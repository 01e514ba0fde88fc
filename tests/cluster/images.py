#!/usr/bin/env python3
"""Container images for the one-node cluster, built and loaded with no registry.

Four jobs, each cached by content under
``${BENCHGEN_E2E_CACHE:-${XDG_CACHE_HOME:-~/.cache}/benchgen-e2e}/images/``:

``base``
    A Debian bookworm root filesystem from ``mmdebstrap`` (python3, ca-certificates,
    and a venv at ``/usr/local`` so that ``python`` and ``pip`` are on PATH as in the
    official ``python`` image), as an OCI archive named
    ``localhost/benchgen/python-base:bookworm``. It has ``sh`` and ``cat``, so it is
    also Tekton's shell image.
``runtime``
    The benchgen runtime ("poller") image, built by ``buildah`` from the repository's
    ``Containerfile`` on that base, as an OCI archive carrying two names:
    ``localhost/benchgen/poller:<version>`` and ``quay.io/benchgen/poller:<version>``
    (the one ``benchmark.yaml.example`` renders).
``pack BINARY NAME``
    A one-layer image from scratch around a static binary, at ``/ko-app/<app>`` as
    ``ko`` lays it out, with CA certificates, ``/etc/passwd`` and user 65532.
    Written directly as an OCI archive: no buildah, no storage.
``import ADDRESS ARCHIVE...``
    ``ctr -a ADDRESS -n k8s.io images import`` for each archive: the images keep their
    names, so a kubelet with ``imagePullPolicy: IfNotPresent`` or ``Never`` finds them.

Command line (progress on stderr; stdout gets the archive path, or for import the
names loaded)::

    python tests/cluster/images.py base
    python tests/cluster/images.py runtime
    python tests/cluster/images.py pack BINARY NAME [--app APP | --path /pause]
        [--user UID:GID] [--entrypoint ARG...] [--env K=V]
    python tests/cluster/images.py import ADDRESS ARCHIVE... [--namespace k8s.io] [--snapshotter S]
    python tests/cluster/images.py names ARCHIVE    # manifest digest, then the names

Python: ``base_image()``, ``runtime_image()``, ``pack()``, ``import_archives()``;
the first three return an :class:`Image` (archive path, names, manifest digest).

Only the standard library is used. Cold builds need root, ``mmdebstrap`` (base),
``buildah`` (runtime) and the network (Debian's mirror, PyPI); warm calls need
nothing but the cache.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

# Bump to invalidate every archive this file writes (a change in how they are made).
FORMAT = "1"

BASE_NAME = "localhost/benchgen/python-base:bookworm"
RUNTIME_REPOS = ("localhost/benchgen/poller", "quay.io/benchgen/poller")

SUITE = "bookworm"
MIRRORS = (
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
)
PACKAGES = ("python3", "python3-venv", "ca-certificates")
# Merged /usr laid out by mmdebstrap's hook: otherwise apt satisfies the essential
# init-system-helpers with usrmerge, which brings perl (45 MB).
MMDEBSTRAP_HOOKS = "/usr/share/mmdebstrap/hooks/merged-usr"
EXCLUDES = (
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/lintian/*",
)
# Run in the rootfs ($1) once the packages are in. The venv at /usr/local is what
# makes /usr/local/bin/python and pip exist; pip's and setuptools' wheels are then
# no longer needed. pip.conf: pip trusts the system CA bundle, as Debian's own pip
# does, instead of its vendored certifi, so a build can mount the host's bundle.
CUSTOMIZE = (
    'chroot "$1" python3 -m venv /usr/local',
    'printf "[global]\\ncert = /etc/ssl/certs/ca-certificates.crt\\n" > "$1/usr/local/pip.conf"',
    'chroot "$1" /usr/local/bin/python -c "import ssl, sqlite3, venv"',
    'chroot "$1" /usr/local/bin/pip --version',
    'chroot "$1" dpkg --purge python3-venv python3.11-venv python3-pip-whl python3-setuptools-whl',
    'rm -rf "$1"/var/cache/* "$1"/var/log/* "$1"/var/lib/apt/lists/* "$1"/tmp/*'
    ' "$1"/usr/local/bin/Activate.ps1 "$1"/usr/local/bin/activate*'
    ' "$1"/var/lib/dpkg/*-old "$1"/etc/machine-id',
)
BASE_CONFIG: dict[str, object] = {
    "Env": [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG=C.UTF-8",
    ],
    "Cmd": ["python3"],
}

NONROOT = "65532:65532"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# ko's default base (distroless static) carries Debian's tzdata; Go programs read
# it for time zones (Knative's webhook validates a PingSource's spec.timezone).
ZONEINFO = Path("/usr/share/zoneinfo")
# What pack() puts in images: the CAs of Debian's ca-certificates package only, not
# ones this machine added to CA_BUNDLE (a proxy's, say).
CA_DIR = Path("/usr/share/ca-certificates/mozilla")
# A timeout for every command: nothing here may hang a test run.
TIMEOUT_BASE = 900
TIMEOUT_BUILD = 1500
TIMEOUT_SHORT = 120
# See _buildah_cleanup: one build adds about 15.
BUILDAH_MAX_IMAGES = 150

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"


class ImageError(RuntimeError):
    pass


@dataclasses.dataclass(frozen=True)
class Image:
    archive: Path
    names: tuple[str, ...]
    digest: str  # of the manifest: what the node reports as the image's digest

    @property
    def name(self) -> str:
        return self.names[0]


def cache_root() -> Path:
    root = os.environ.get("BENCHGEN_E2E_CACHE")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(xdg) / "benchgen-e2e")
    return Path(root) / "images"


def log(msg: str) -> None:
    print(f"images: {msg}", file=sys.stderr, flush=True)


def run(
    cmd: Sequence[str], timeout: float, check: bool = True, **kw: object
) -> subprocess.CompletedProcess[str]:
    """Run cmd; its output goes to stderr unless captured. Raises on timeout, and on
    failure if check."""
    kw.setdefault("stdout", sys.stderr)
    kw.setdefault("stdin", subprocess.DEVNULL)
    try:
        proc = subprocess.run(list(cmd), timeout=timeout, text=True, **kw)  # type: ignore[call-overload]
    except subprocess.TimeoutExpired as e:
        raise ImageError(f"{cmd[0]} did not finish in {timeout:.0f}s: {' '.join(cmd)}") from e
    if check and proc.returncode != 0:
        err = (proc.stderr or "").strip() if isinstance(proc.stderr, str) else ""
        raise ImageError(f"exit {proc.returncode}: {' '.join(cmd)}" + (f"\n{err}" if err else ""))
    return proc  # type: ignore[no-any-return]


@contextlib.contextmanager
def locked(path: Path, timeout: float = TIMEOUT_BUILD) -> Iterator[None]:
    """One builder per cache entry (parallel pytest workers, make and a fixture)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ImageError(f"{path} still locked after {timeout:.0f}s") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def key_of(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(repr(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------
# OCI archives


class _HashWriter(io.RawIOBase):
    """Counts and hashes what passes through it on its way to f."""

    def __init__(self, f: io.BufferedWriter | _HashWriter | gzip.GzipFile) -> None:
        self.f, self.h, self.size = f, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.h.update(b)
        self.size += len(b)
        self.f.write(b)
        return len(b)


@dataclasses.dataclass
class _Layer:
    path: Path  # a gzip blob
    digest: str
    size: int
    diff_id: str


def _gzip_layer(dest: Path, fill: Callable[[_HashWriter], None]) -> _Layer:
    """dest gets a gzip blob; fill(writer) writes the uncompressed tar into writer."""
    with open(dest, "wb") as f:
        outer = _HashWriter(f)
        with gzip.GzipFile(fileobj=outer, mode="wb", compresslevel=1, mtime=0) as gz:
            inner = _HashWriter(gz)
            fill(inner)
    return _Layer(
        dest, "sha256:" + outer.h.hexdigest(), outer.size, "sha256:" + inner.h.hexdigest()
    )


def _blob(data: bytes) -> tuple[str, bytes]:
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


def _canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def write_oci_archive(
    dest: Path,
    layers: Sequence[_Layer],
    config: dict[str, object],
    names: Sequence[str],
    history: str,
) -> Image:
    """An OCI image-layout tar (what `buildah push oci-archive:` writes), one manifest
    listed once per name; the names are in both annotations containerd reads."""
    cfg_digest, cfg = _blob(
        _canonical(
            {
                "architecture": "amd64",
                "os": "linux",
                "created": "1970-01-01T00:00:00Z",
                "config": config,
                "rootfs": {"type": "layers", "diff_ids": [lay.diff_id for lay in layers]},
                "history": [{"created": "1970-01-01T00:00:00Z", "created_by": history}],
            }
        )
    )
    man_digest, man = _blob(
        _canonical(
            {
                "schemaVersion": 2,
                "mediaType": MT_MANIFEST,
                "config": {"mediaType": MT_CONFIG, "digest": cfg_digest, "size": len(cfg)},
                "layers": [
                    {"mediaType": MT_LAYER_GZIP, "digest": lay.digest, "size": lay.size}
                    for lay in layers
                ],
            }
        )
    )
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": MT_MANIFEST,
                "digest": man_digest,
                "size": len(man),
                "platform": {"architecture": "amd64", "os": "linux"},
                "annotations": {REF_NAME: n, CONTAINERD_NAME: n},
            }
            for n in names
        ],
    }
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:

        def add_bytes(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))

        add_bytes("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add_bytes("index.json", _canonical(index))
        dirs = tarfile.TarInfo("blobs")
        dirs.type, dirs.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(dirs)
        dirs.name = "blobs/sha256"
        tar.addfile(dirs)
        add_bytes(f"blobs/sha256/{cfg_digest[7:]}", cfg)
        add_bytes(f"blobs/sha256/{man_digest[7:]}", man)
        for lay in layers:
            info = tar.gettarinfo(str(lay.path), f"blobs/sha256/{lay.digest[7:]}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime, info.mode = 0, 0o644
            with open(lay.path, "rb") as f:
                tar.addfile(info, f)
    tmp.replace(dest)
    return Image(dest, tuple(names), man_digest)


def archive_image(archive: Path) -> Image:
    """Names and manifest digest of an OCI archive (from its index.json)."""
    with tarfile.open(archive) as tar:
        member = tar.extractfile("index.json")
        assert member is not None
        index = json.load(member)
    names = tuple(
        m["annotations"][REF_NAME]
        for m in index["manifests"]
        if REF_NAME in m.get("annotations", {})
    )
    digests = {m["digest"] for m in index["manifests"]}
    if len(digests) != 1:
        raise ImageError(f"{archive}: expected one manifest, found {sorted(digests)}")
    return Image(archive, names, digests.pop())


def with_names(archive: Path, names: Sequence[str], dest: Path) -> Image:
    """dest: a copy of a one-image archive whose index.json lists the image under each name."""
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")
    with tarfile.open(archive) as src, tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as out:
        digest = ""
        for m in src:
            if m.name.lstrip("./") == "index.json":
                f = src.extractfile(m)
                assert f is not None
                index = json.load(f)
                entries = index["manifests"]
                if len({e["digest"] for e in entries}) != 1:
                    raise ImageError(f"{archive}: expected one manifest")
                entry = dict(entries[0])
                digest = entry["digest"]
                entry.setdefault("platform", {"architecture": "amd64", "os": "linux"})
                index["manifests"] = [
                    {
                        **entry,
                        "annotations": {
                            **entry.get("annotations", {}),
                            REF_NAME: n,
                            CONTAINERD_NAME: n,
                        },
                    }
                    for n in names
                ]
                data = _canonical(index)
                m.size = len(data)
                out.addfile(m, io.BytesIO(data))
            else:
                out.addfile(m, src.extractfile(m) if m.isfile() else None)
    tmp.replace(dest)
    return Image(dest, tuple(names), digest)


# ---------------------------------------------------------------------------
# base


def base_key() -> str:
    return key_of(
        FORMAT,
        SUITE,
        MIRRORS,
        PACKAGES,
        MMDEBSTRAP_HOOKS,
        EXCLUDES,
        CUSTOMIZE,
        BASE_CONFIG,
        BASE_NAME,
    )


def base_image(rebuild: bool = False) -> Image:
    """The Debian python base, as an OCI archive (built once per recipe)."""
    d = cache_root() / f"base-{SUITE}-{base_key()}"
    archive = d / "base.tar"
    with locked(d / ".lock", TIMEOUT_BASE + 60):
        if archive.exists() and not rebuild:
            return archive_image(archive)
        _clear_stale(d)
        _need("mmdebstrap", "apt install mmdebstrap")
        t0 = time.monotonic()
        log(f"base: mmdebstrap {SUITE} {' '.join(PACKAGES)} (cold, about 1-2 min) ...")
        with tempfile.TemporaryDirectory(dir=d, prefix=".build.") as tmp:
            rootfs = Path(tmp) / "rootfs.tar"
            cmd = [
                "mmdebstrap",
                "--mode=root",
                "--variant=essential",
                "--format=tar",
                "--skip=output/dev",
                f"--hook-dir={MMDEBSTRAP_HOOKS}",
                '--aptopt=Acquire::Retries "3"',
                "--include=" + ",".join(PACKAGES),
            ]
            cmd += [f"--dpkgopt={o}" for o in EXCLUDES]
            cmd += [f"--customize-hook={h}" for h in CUSTOMIZE]
            listing = Path(tmp) / "packages.txt"
            cmd += [
                '--customize-hook=chroot "$1" dpkg-query -W -f'
                f' "\\${{Package}}=\\${{Version}}\\n" > {listing}'
            ]
            cmd += [SUITE, str(rootfs), *MIRRORS]
            run(cmd, TIMEOUT_BASE, stderr=sys.stderr)
            listing.replace(d / "packages.txt")

            def fill(w: _HashWriter) -> None:
                with open(rootfs, "rb") as f:
                    shutil.copyfileobj(f, w, 1 << 20)

            layer = _gzip_layer(Path(tmp) / "layer.tar.gz", fill)
            image = write_oci_archive(
                archive,
                [layer],
                BASE_CONFIG,
                [BASE_NAME],
                f"mmdebstrap {SUITE} (tests/cluster/images.py)",
            )
        log(f"base: {archive} ({_mb(archive)}) in {time.monotonic() - t0:.0f}s")
        _prune(cache_root(), f"base-{SUITE}-", keep=d)
        return image


# ---------------------------------------------------------------------------
# runtime (buildah)


def _version() -> str:
    text = (REPO / "generator" / "__init__.py").read_text()
    m = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if not m:
        raise ImageError("no __version__ in generator/__init__.py")
    return m.group(1)


def _context_files() -> list[Path]:
    """What the Containerfile copies, plus itself (relative to the repo)."""
    files = [Path("Containerfile"), Path("pyproject.toml"), Path("README.md")]
    for p in sorted((REPO / "generator").rglob("*")):
        rel = p.relative_to(REPO)
        if p.is_file() and "__pycache__" not in rel.parts and p.suffix != ".pyc":
            files.append(rel)
    return files


def buildah_cmd() -> list[str]:
    """buildah with its storage in the cache: nothing lands in /var/lib/containers."""
    root = cache_root() / "buildah"
    driver = os.environ.get("BENCHGEN_BUILDAH_DRIVER", "overlay")
    return [
        "buildah",
        "--root",
        str(root / "storage"),
        "--runroot",
        str(root / "run"),
        "--storage-driver",
        driver,
    ]


def runtime_image(rebuild: bool = False) -> Image:
    """The poller image from the Containerfile, on base_image(), as an OCI archive."""
    base = base_image()
    version = _version()
    files = _context_files()
    h = hashlib.sha256()
    for rel in files:
        h.update(str(rel).encode() + b"\0" + bytes.fromhex(sha256_file(REPO / rel)))
    key = key_of(FORMAT, base.digest, h.hexdigest(), RUNTIME_REPOS)
    d = cache_root() / f"runtime-{version}-{key}"
    archive = d / "poller.tar"
    names = [f"{r}:{version}" for r in RUNTIME_REPOS]
    with locked(cache_root() / "buildah.lock", TIMEOUT_BUILD + 60):
        if archive.exists() and not rebuild:
            return archive_image(archive)
        _need("buildah", "apt install buildah")
        t0 = time.monotonic()
        d.mkdir(parents=True, exist_ok=True)
        _clear_stale(d)
        bd = buildah_cmd()
        base_ref = f"{BASE_NAME}-{base.digest[7:19]}"
        if (
            run(
                [*bd, "images", "-q", base_ref],
                TIMEOUT_SHORT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                check=False,
            ).stdout.strip()
            == ""
        ):
            log(f"runtime: loading {base_ref} into buildah")
            run(
                [*bd, "pull", "--quiet", f"oci-archive:{base.archive}"],
                TIMEOUT_SHORT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            run([*bd, "tag", BASE_NAME, base_ref], TIMEOUT_SHORT, stderr=subprocess.PIPE)
        log(f"runtime: buildah build {names[0]} (cold, a few minutes) ...")
        with tempfile.TemporaryDirectory(dir=d, prefix=".build.") as tmp:
            ctx = Path(tmp) / "context"
            for rel in files:
                (ctx / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / rel, ctx / rel)
            tag = f"{RUNTIME_REPOS[0]}:{version}"
            # The host's CA bundle for the RUN steps (pip reaching PyPI through a
            # TLS-inspecting proxy, say); a bind mount, so not in the image.
            ca = ["-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"] if CA_BUNDLE.is_file() else []
            run(
                [
                    *bd,
                    "build",
                    "--pull=never",
                    "--layers",
                    "--force-rm",
                    "--network=host",
                    *ca,
                    "-f",
                    str(ctx / "Containerfile"),
                    "--build-arg",
                    f"PYTHON_IMAGE={base_ref}",
                    "-t",
                    tag,
                    str(ctx),
                ],
                TIMEOUT_BUILD,
                stderr=sys.stderr,
            )
            _check_runtime(bd, tag, version)
            one = Path(tmp) / "one.tar"
            run(
                [*bd, "push", "--quiet", tag, f"oci-archive:{one}:{tag}"],
                TIMEOUT_SHORT,
                stderr=subprocess.PIPE,
            )
            image = with_names(one, names, archive)
        _buildah_cleanup(bd, keep=base_ref)
        log(f"runtime: {archive} ({_mb(archive)}) in {time.monotonic() - t0:.0f}s")
        _prune(cache_root(), f"runtime-{version}-", keep=d)
        return image


def _buildah_cleanup(bd: list[str], keep: str) -> None:
    """Drop working containers (buildah 1.28 leaves one behind for a FROM-only
    stage, and a failed build its own) and bases other than `keep`. Untagged images
    are the --layers cache of the next build: kept until there are more than
    BUILDAH_MAX_IMAGES images, then all pruned. Only under buildah.lock."""
    q: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "check": False}
    run([*bd, "rm", "--all"], TIMEOUT_SHORT, **q)
    tags = run([*bd, "images", "--format", "{{.Name}}:{{.Tag}}"], TIMEOUT_SHORT, **q).stdout
    for t in tags.split():
        if t.startswith(BASE_NAME.split(":")[0] + ":") and t != keep:
            run([*bd, "rmi", t], TIMEOUT_SHORT, **q)
    count = len(run([*bd, "images", "-a", "-q"], TIMEOUT_SHORT, **q).stdout.split())
    if count > BUILDAH_MAX_IMAGES:
        log(f"runtime: {count} images in buildah's storage, pruning the untagged ones")
        run([*bd, "rmi", "--prune"], TIMEOUT_SHORT, **q)


def _check_runtime(bd: list[str], tag: str, version: str) -> None:
    """Run `benchgen-poller --version` in the image as its own (non-root) user."""
    user = run(
        [*bd, "inspect", "--type", "image", "--format", "{{.OCIv1.Config.User}}", tag],
        TIMEOUT_SHORT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ).stdout.strip()
    if user != NONROOT:
        raise ImageError(f"{tag}: user is {user!r}, expected {NONROOT}")
    ctr = (
        run(
            [*bd, "from", "--pull=never", tag],
            TIMEOUT_SHORT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    try:
        out = run(
            [
                *bd,
                "run",
                "--network=none",
                ctr,
                "--",
                "sh",
                "-c",
                "id -u; benchgen-poller --version",
            ],
            TIMEOUT_SHORT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ).stdout.split()
    finally:
        run(
            [*bd, "rm", ctr],
            TIMEOUT_SHORT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
    if out[:1] != ["65532"] or version not in out:
        raise ImageError(f"{tag}: `id -u; benchgen-poller --version` said {out}")
    log(f"runtime: checked: uid {out[0]}, benchgen-poller {' '.join(out[1:])}")


# ---------------------------------------------------------------------------
# pack: one static binary, one layer


PASSWD = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
GROUP = "root:x:0:\nnonroot:x:65532:\n"


def pack(
    binary: str | Path,
    name: str,
    app: str | None = None,
    user: str = NONROOT,
    entrypoint: Sequence[str] | None = None,
    env: Sequence[str] = (),
    dest_dir: Path | None = None,
    path: str | None = None,
) -> Image:
    """An image named `name` holding `binary` at /ko-app/<app> (default: the binary's
    file name) or at `path` (e.g. /pause), with ENTRYPOINT [that path] unless
    `entrypoint` is given, USER `user`,
    PATH including /ko-app, the host's CA bundle at /etc/ssl/certs, /etc/passwd and
    /etc/group (root, nonroot 65532), /tmp and /home/nonroot."""
    binary = Path(binary)
    if not binary.is_file():
        raise ImageError(f"{binary}: no such file")
    app = app or binary.name
    if "/" in app or not app:
        raise ImageError(f"bad app name {app!r}")
    target = path or f"/ko-app/{app}"
    if not target.startswith("/") or target.endswith("/") or ".." in target.split("/"):
        raise ImageError(f"bad path {target!r}")
    entry = list(entrypoint) if entrypoint else [target]
    ca = _ca_bundle()
    config: dict[str, object] = {
        "Entrypoint": entry,
        "Env": [
            "PATH=/ko-app:/usr/local/bin:/usr/bin:/bin",
            *(["SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"] if ca else []),
            *env,
        ],
        "User": user,
        "WorkingDir": "/",
    }
    zones = _zoneinfo_digest()
    key = key_of(
        FORMAT, sha256_file(binary), target, name, config, hashlib.sha256(ca).hexdigest(), zones
    )
    out_dir = dest_dir or cache_root() / "pack"
    archive = out_dir / f"{_slug(name)}-{key}.tar"
    if archive.exists():
        return archive_image(archive)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_stale(out_dir, max_age=3600)  # no lock here: only what nobody can still be writing
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".build.") as tmp:

        def fill(w: _HashWriter) -> None:
            with tarfile.open(fileobj=w, mode="w|", format=tarfile.PAX_FORMAT) as tar:

                def entry_(
                    path: str,
                    kind: bytes = tarfile.DIRTYPE,
                    mode: int = 0o755,
                    data: bytes | None = None,
                    uid: int = 0,
                ) -> None:
                    info = tarfile.TarInfo(path)
                    info.type, info.mode, info.uid, info.gid = kind, mode, uid, uid
                    if data is not None:
                        info.size = len(data)
                    tar.addfile(info, io.BytesIO(data) if data is not None else None)

                for dname in ("etc", "etc/ssl", "etc/ssl/certs", "home", "ko-app"):
                    entry_(dname)
                entry_("home/nonroot", mode=0o700, uid=65532)
                entry_("tmp", mode=0o1777)
                entry_("etc/passwd", tarfile.REGTYPE, 0o644, PASSWD.encode())
                entry_("etc/group", tarfile.REGTYPE, 0o644, GROUP.encode())
                if ca:
                    entry_("etc/ssl/certs/ca-certificates.crt", tarfile.REGTYPE, 0o644, ca)
                if zones:
                    entry_("usr")
                    entry_("usr/share")
                    tar.add(str(ZONEINFO), arcname="usr/share/zoneinfo", filter=_root_owned)
                parts = target.strip("/").split("/")
                for i in range(1, len(parts)):
                    if parts[:i] not in (
                        ["etc"],
                        ["etc", "ssl"],
                        ["etc", "ssl", "certs"],
                        ["home"],
                        ["ko-app"],
                        ["tmp"],
                    ):
                        entry_("/".join(parts[:i]))
                info = tarfile.TarInfo(target.lstrip("/"))
                info.size, info.mode = binary.stat().st_size, 0o755
                with open(binary, "rb") as f:
                    tar.addfile(info, f)

        layer = _gzip_layer(Path(tmp) / "layer.tar.gz", fill)
        image = write_oci_archive(
            archive,
            [layer],
            config,
            [name],
            f"pack {binary.name} as {target} (tests/cluster/images.py)",
        )
    log(f"pack: {name} -> {archive} ({_mb(archive)}) in {time.monotonic() - t0:.1f}s")
    for other in out_dir.glob(f"{_slug(name)}-*.tar"):  # the same name's older contents
        if other != archive and re.fullmatch(r"-[0-9a-f]{16}\.tar", other.name[len(_slug(name)) :]):
            other.unlink(missing_ok=True)
    return image


def _zoneinfo_digest() -> str:
    """A digest of the host's zoneinfo tree (names, link targets, contents); empty
    when there is none."""
    if not ZONEINFO.is_dir():
        return ""
    h = hashlib.sha256()
    for path in sorted(ZONEINFO.rglob("*")):
        h.update(str(path.relative_to(ZONEINFO)).encode() + b"\0")
        if path.is_symlink():
            h.update(b"->" + os.readlink(path).encode())
        elif path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def _root_owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mode = 0o755 if info.isdir() else 0o644
    return info


def _ca_bundle() -> bytes:
    certs = sorted(CA_DIR.glob("*.crt")) if CA_DIR.is_dir() else []
    if certs:
        return b"".join(c.read_bytes().rstrip(b"\n") + b"\n" for c in certs)
    return CA_BUNDLE.read_bytes() if CA_BUNDLE.is_file() else b""


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


# ---------------------------------------------------------------------------
# import


def import_archives(
    address: str | Path,
    archives: Iterable[str | Path | Image],
    namespace: str = "k8s.io",
    timeout: float = 300,
    ctr: str = "ctr",
    snapshotter: str | None = None,
) -> list[str]:
    """Load each OCI archive into the containerd at `address`, unpacked for
    `snapshotter` (default: containerd's default, overlayfs, which the CRI plugin
    uses too), and return the image names. An archive whose names all point at its
    digest already is skipped. Fails unless every name points at its archive's
    digest afterwards."""
    base = [ctr, "--address", str(address), "--namespace", namespace]
    extra = [f"--snapshotter={snapshotter}"] if snapshotter else []
    images = [a if isinstance(a, Image) else archive_image(Path(a)) for a in archives]
    listed = _listed(base)
    for img in images:
        if all(listed.get(n) == img.digest for n in img.names):
            log(f"import: {', '.join(img.names)} already there")
            continue
        t0 = time.monotonic()
        run(
            [*base, "images", "import", *extra, str(img.archive)],
            timeout,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        log(f"import: {', '.join(img.names)} in {time.monotonic() - t0:.1f}s")
    listed = _listed(base)
    wrong = [n for img in images for n in img.names if listed.get(n) != img.digest]
    if wrong:
        raise ImageError(f"not in containerd after import, or another digest: {wrong}")
    return [n for img in images for n in img.names]


def _listed(base: list[str]) -> dict[str, str]:
    """Image name -> manifest digest, from `ctr images ls` (REF TYPE DIGEST ...)."""
    out = run(
        [*base, "images", "ls"], TIMEOUT_SHORT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ).stdout
    return {f[0]: f[2] for f in (line.split() for line in out.splitlines()[1:]) if len(f) >= 3}


# ---------------------------------------------------------------------------


def _need(tool: str, hint: str) -> None:
    if shutil.which(tool) is None:
        raise ImageError(f"{tool} is not installed ({hint})")


def _clear_stale(d: Path, max_age: float = 0) -> None:
    """Temp files of a build that was killed (SIGKILL skips their clean-up)."""
    now = time.time()
    for p in [*d.glob(".build.*"), *d.glob("*.tmp")]:
        with contextlib.suppress(OSError):
            if now - p.lstat().st_mtime >= max_age:
                shutil.rmtree(p) if p.is_dir() else p.unlink()


def _mb(p: Path) -> str:
    return f"{p.stat().st_size / 1e6:.0f} MB"


def _prune(root: Path, prefix: str, keep: Path, n: int = 2) -> None:
    """Keep `keep` and the n-1 most recent other cache entries starting with prefix."""
    old = sorted(
        (p for p in root.glob(prefix + "*") if p.is_dir() and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for p in old[n - 1 :]:
        shutil.rmtree(p, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="images.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("base", help="the Debian python base image")
    p.add_argument("--rebuild", action="store_true")
    p = sub.add_parser("runtime", help="the benchgen poller image (builds the base if needed)")
    p.add_argument("--rebuild", action="store_true")
    p = sub.add_parser("pack", help="a one-layer image around a static binary")
    p.add_argument("binary")
    p.add_argument("name", help="image name, e.g. localhost/tekton/entrypoint:v1.15.1")
    p.add_argument("--app", "--ko-app", help="file name under /ko-app (default: the binary's)")
    p.add_argument("--path", help="absolute path of the binary instead of /ko-app/APP")
    p.add_argument("--user", default=NONROOT)
    p.add_argument("--entrypoint", nargs="+", help="ENTRYPOINT (default: /ko-app/APP)")
    p.add_argument("--env", action="append", default=[], help="KEY=VALUE, repeatable")
    p.add_argument("--dest-dir", type=Path)
    p = sub.add_parser("import", help="load archives into a containerd")
    p.add_argument("address", help="containerd socket")
    p.add_argument("archives", nargs="+")
    p.add_argument("--namespace", default="k8s.io")
    p.add_argument("--snapshotter", help="default: containerd's (overlayfs)")
    p = sub.add_parser("names", help="the names and digest of an archive")
    p.add_argument("archive")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "base":
            print(base_image(args.rebuild).archive)
        elif args.cmd == "runtime":
            print(runtime_image(args.rebuild).archive)
        elif args.cmd == "pack":
            print(
                pack(
                    args.binary,
                    args.name,
                    args.app,
                    args.user,
                    args.entrypoint,
                    args.env,
                    args.dest_dir,
                    args.path,
                ).archive
            )
        elif args.cmd == "import":
            for n in import_archives(
                args.address, args.archives, args.namespace, snapshotter=args.snapshotter
            ):
                print(n)
        elif args.cmd == "names":
            img = archive_image(Path(args.archive))
            print(img.digest)
            for n in img.names:
                print(n)
    except ImageError as e:
        print(f"images.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
