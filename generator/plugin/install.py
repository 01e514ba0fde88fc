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
"""

from __future__ import annotations

import os
import shlex
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


def shim_text(python: str | None = None) -> str:
    python = python or sys.executable
    code = (
        f"import sys; sys.path[:0] = {_import_roots()!r}; "
        "from generator.plugin.fast import main; sys.exit(main())"
    )
    # -I: ignore PYTHON* variables and user site, and no script directory on sys.path.
    line = f"#!{python} -SI"
    if len(line) <= _SHEBANG_MAX and not any(c.isspace() for c in python):
        return f"{line}\n{_HEADER}{code}\n"
    return f'#!/bin/sh\n{_HEADER}exec {shlex.quote(python)} -S -I -c {shlex.quote(code)} "$@"\n'


def install(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(shim_text(), encoding="utf-8")
    tmp.chmod(0o755)
    tmp.replace(target)
    return target
