"""`benchgen plugin install`: put a shim where kustomize looks for the plugin.

kustomize finds legacy exec plugins at
``$XDG_CONFIG_HOME/kustomize/plugin/<group>/<version>/<lower kind>/<Kind>``.
The shim is run by this very Python with ``-S -I`` and an explicit ``sys.path``:
no PATH or pyenv shim lookup and no site start-up on every kustomize build.
It is a Python script with that interpreter in its ``#!`` line, which saves
starting a shell (~1 ms of every build); when the interpreter's path cannot
go in a ``#!`` line (too long for the kernel, or with spaces), a ``/bin/sh``
shim execs it instead.
The same file works as a KRM exec function (no arguments: ResourceList on stdin).

Where `sha256sum` and `find` exist, the shim is a shell script that answers a
warm build without starting Python at all: Python's start-up alone (~15 ms)
is most of a cache hit, and kustomize's exec of any plugin already costs
~10 ms, which leaves no room under the 20 ms warm target. The shell looks up
the "plain" entry the last render left for exactly these config bytes and
this version (cache.plain_name: its stderr, the warnings, and its stdout),
and serves it only while no file of the compiler has a ctime newer than the
entry (ctime cannot be set back, so an edit, a reinstall or an extracted old
file all count; directories do not, so a removed file alone goes unseen).
It prints the stored stderr, then the stdout, as Python would. Anything else,
a miss included, execs Python, which checks the full key.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from generator.config.models import API_VERSION, KIND

_DEPENDENCIES = (
    "generator",
    "pydantic",
    "pydantic_core",
    "ruamel",
    "yaml",  # PyYAML: the fast path parses and every render emits with it
    "typing_extensions",
    "annotated_types",
    "typing_inspection",
)


def plugin_path(xdg_config_home: str | None = None) -> Path:
    base = xdg_config_home or os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kustomize" / "plugin" / API_VERSION / KIND.lower() / KIND


def _import_roots() -> list[str]:
    """The sys.path entries that hold benchgen and its dependencies, in order."""
    import importlib.util

    roots: list[str] = []
    for name in _DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        if spec is None or (not spec.submodule_search_locations and not spec.origin):
            continue
        location = spec.origin if spec.origin not in (None, "namespace") else None
        if location is None and spec.submodule_search_locations:
            location = str(Path(next(iter(spec.submodule_search_locations))) / "__init__.py")
        path = Path(str(location)).resolve()
        root = path.parent.parent if path.name == "__init__.py" else path.parent
        if str(root) not in roots:
            roots.append(str(root))
    return roots


# Linux reads at most 127 bytes of a #! line before 5.1 (255 since).
_SHEBANG_MAX = 120
_HEADER = (
    "# benchgen kustomize plugin, written by `benchgen plugin install`.\n"
    "# Re-run that command after moving or upgrading benchgen.\n"
)


# The shell fast path (see the module docstring). $1 is the config file
# kustomize wrote; the entry names and the pruned directories match cache.py.
# Stale: any file (not a directory: creating __pycache__ changes its parent's
# ctime) with a ctime newer than .out or .err; a find that fails counts as stale.
# The group opens .out on fd 3 before writing anything: if that fails (removed
# meanwhile), nothing was written and Python answers; once it is open, the shell
# exits with cat's status whatever happens, so stdout is never written twice, and
# a rewrite (rename) of .out meanwhile cannot mix two files. Inside the group fd 2
# is /dev/null (the shell's own message if the open fails) and fd 4 is stderr.
_SHELL_HIT = """\
if [ $# -eq 1 ] && [ -z "${{BENCHGEN_NO_CACHE-}}" ] && [ -r "$1" ]; then
  d=${{BENCHGEN_CACHE_DIR:-}}
  if [ -z "$d" ]; then
    d=${{XDG_CACHE_HOME:-${{HOME-/nonexistent}}/.cache}}/benchgen/render
  fi
  h=$(sha256sum < "$1") && e="$d/plain-{version}-${{h%% *}}" &&
    [ -f "$e.out" ] && [ -f "$e.err" ] &&
    s=$(find {package} \\( -name __pycache__ -o -name runtime \\) -prune -o ! -type d \\
        \\( -cnewer "$e.out" -o -cnewer "$e.err" \\) -print -quit 2>/dev/null) && [ -z "$s" ] &&
    {{ {{ [ ! -s "$e.err" ] || cat "$e.err" >&4; cat <&3; exit; }} 3<"$e.out"; }} 4>&2 2>/dev/null
fi
"""


def shim_text(
    python: str | None = None, *, package: str | None = None, shell_hits: bool | None = None
) -> str:
    """The plugin shim; ``package`` (the compiler's directory) and ``shell_hits`` are for tests."""
    from generator import __version__
    from generator.plugin.cache import package_dir

    python = python or sys.executable
    code = (
        f"import sys; sys.path[:0] = {_import_roots()!r}; "
        "from generator.plugin.fast import main; sys.exit(main())"
    )
    if shell_hits is None:
        shell_hits = all(shutil.which(tool) for tool in ("sha256sum", "find", "cat"))
    run_python = f'exec {shlex.quote(python)} -S -I -c {shlex.quote(code)} "$@"\n'
    if shell_hits:
        hit = _SHELL_HIT.format(version=__version__, package=shlex.quote(package or package_dir()))
        return f"#!/bin/sh\n{_HEADER}{hit}{run_python}"
    # -I: ignore PYTHON* variables and user site, and no script directory on sys.path.
    line = f"#!{python} -SI"
    if len(line) <= _SHEBANG_MAX and not any(c.isspace() for c in python):
        return f"{line}\n{_HEADER}{code}\n"
    return f"#!/bin/sh\n{_HEADER}{run_python}"


def install(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(shim_text(), encoding="utf-8")
    tmp.chmod(0o755)
    tmp.replace(target)
    return target
