"""A content-addressed cache of plugin answers; safe to delete, never stale.

The key covers everything an answer depends on: benchgen's version, the size
and mtime of every compiler source file (so an edited checkout never serves
an old answer), the entry mode and every input byte. Only the standard
library is imported here: a hit must cost no more than reading a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
_SKIP = {"runtime", "__pycache__"}


def cache_dir() -> Path | None:
    if os.environ.get("BENCHGEN_NO_CACHE"):
        return None
    explicit = os.environ.get("BENCHGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "benchgen" / "render"


def _source_signature(digest: hashlib._Hash) -> None:
    stack = [str(_PACKAGE)]
    entries: list[tuple[str, int, int]] = []
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in _SKIP:
                        stack.append(entry.path)
                elif entry.name.endswith((".py", ".example")):
                    st = entry.stat()
                    entries.append((entry.path, st.st_size, st.st_mtime_ns))
    for path, size, mtime in sorted(entries):
        digest.update(f"{path}\0{size}\0{mtime}\n".encode())


def key(mode: str, data: bytes, version: str) -> str:
    digest = hashlib.sha256()
    digest.update(f"benchgen {version}\0{mode}\0".encode())
    _source_signature(digest)
    digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def get(directory: Path, name: str) -> tuple[bytes, bytes] | None:
    """(stdout, stderr) of an earlier successful answer, or None."""
    try:
        raw = (directory / name).read_bytes()
    except OSError:
        return None
    header, sep, rest = raw.partition(b"\n")
    if not sep or not header.isdigit() or int(header) > len(rest):
        return None  # a damaged entry is a miss, and gets rewritten
    err_len = int(header)
    return rest[err_len:], rest[:err_len]


def put(directory: Path, name: str, stdout: bytes, stderr: bytes) -> None:
    """Store an answer atomically; a cache that cannot be written is skipped."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(b"%d\n" % len(stderr) + stderr + stdout)
        Path(tmp).replace(directory / name)
    except OSError:
        pass
