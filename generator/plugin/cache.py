"""A content-addressed cache of plugin answers; safe to delete, never stale.

The key covers everything an answer depends on: benchgen's version, the size
and mtime of every compiler source file (so an edited checkout never serves
an old answer), the entry mode and every input byte. A hit must cost little
more than Python's own start-up, so this module uses ``os`` and a builtin
SHA-256 only: no pathlib, tempfile or hashlib (~30 ms of imports together).
"""

# No `from __future__ import annotations` here or in fast.py: importing
# __future__ costs ~0.4 ms of every cache hit.
import os

TYPE_CHECKING = False  # importing typing costs ~12 ms; a cache hit must not pay it
if TYPE_CHECKING:
    from hashlib import _Hash

try:  # the builtin C module: much cheaper to import than hashlib (OpenSSL)
    from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.12+ renamed it
    try:
        from _sha2 import sha256 as _sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[assignment,unused-ignore]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SKIP = {"runtime", "__pycache__"}


def package_dir() -> str:
    """The compiler's directory, whose files the key (and the shell shim) watch."""
    return _PACKAGE


def cache_dir() -> str | None:
    if os.environ.get("BENCHGEN_NO_CACHE"):
        return None
    explicit = os.environ.get("BENCHGEN_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "benchgen", "render")


def _source_signature(digest: "_Hash") -> None:
    stack = [_PACKAGE]
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
    digest = _sha256()
    digest.update(f"benchgen {version}\0{mode}\0".encode())
    _source_signature(digest)
    digest.update(_sha256(data).digest())
    return str(digest.hexdigest())


def plain_name(version: str, data: bytes) -> str:
    """The name of a plain entry: what the plugin's shell shim looks up (install.py).

    A plain entry is two files, ``<name>.err`` (stderr: the warnings, often
    empty) and ``<name>.out`` (stdout). The shim hashes the config file with
    `sha256sum` and puts the version it was installed with in front; it cannot
    read the source signature, so it serves an entry only while no compiler
    file changed after either file was written (`find -cnewer`, see install.py).
    A shim installed before stderr was stored looks up ``<name>`` alone, which
    is no longer written: it runs Python, never prints stdout without warnings.
    """
    return f"plain-{version}-{_sha256(data).hexdigest()}"


def put_plain(directory: str, name: str, stdout: bytes, stderr: bytes, written_at_ns: int) -> None:
    """Store stderr, then stdout, both dated ``written_at_ns`` (when rendering started).

    The shim serves them only while every compiler file's ctime is older than
    both dates, so a file changed during the render makes the entry stale at
    once, and a ``.err`` left by a render of another compiler is never paired
    with this ``.out``. stderr is written even when empty, and first: a shim
    that finds ``.out`` finds the ``.err`` of this render or of a later one.
    """
    if _write(directory, name + ".err", stderr, written_at_ns):
        _write(directory, name + ".out", stdout, written_at_ns)


def get(directory: str, name: str) -> tuple[bytes, bytes] | None:
    """(stdout, stderr) of an earlier successful answer, or None."""
    try:
        with open(os.path.join(directory, name), "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    header, sep, rest = raw.partition(b"\n")
    if not sep or not header.isdigit() or int(header) > len(rest):
        return None  # a damaged entry is a miss, and gets rewritten
    err_len = int(header)
    return rest[err_len:], rest[:err_len]


def put(directory: str, name: str, stdout: bytes, stderr: bytes) -> None:
    """Store an answer (its stderr's length, stderr, stdout) in one entry."""
    _write(directory, name, b"%d\n" % len(stderr) + stderr + stdout)


def _write(directory: str, name: str, data: bytes, written_at_ns: int | None = None) -> bool:
    """Write an entry atomically (write, then rename); an unwritable cache is skipped (False)."""
    tmp = os.path.join(directory, f".tmp-{os.getpid()}-{name}")
    try:
        os.makedirs(directory, exist_ok=True)
        with open(tmp, "wb") as out:
            out.write(data)
        if written_at_ns is not None:
            os.utime(tmp, ns=(written_at_ns, written_at_ns))  # rename keeps the date
        os.replace(tmp, os.path.join(directory, name))
    except OSError:
        try:  # noqa: SIM105 - contextlib would cost start-up time
            os.unlink(tmp)
        except OSError:
            pass
        return False
    return True
