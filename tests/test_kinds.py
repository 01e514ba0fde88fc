"""compile.KINDS is true: each kind is built in the module it names, and only there."""

from __future__ import annotations

import ast
from pathlib import Path

import generator.compile
from generator.compile import KINDS

COMPILE = Path(generator.compile.__file__).parent


def _built_kinds(tree: ast.AST) -> set[str]:
    """The kinds a module passes to meta.manifest (literals, either branch of an if)."""
    kinds: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "manifest"):
            continue
        kind = node.args[1]
        for value in (kind.body, kind.orelse) if isinstance(kind, ast.IfExp) else (kind,):
            assert isinstance(value, ast.Constant), ast.unparse(node)
            kinds.add(value.value)
    return kinds


def test_each_kind_is_built_in_the_module_kinds_names() -> None:
    built: dict[str, set[str]] = {}
    for path in sorted(COMPILE.glob("*.py")):
        for kind in _built_kinds(ast.parse(path.read_text(encoding="utf-8"))):
            built.setdefault(kind, set()).add(path.stem)
    assert set(built) == set(KINDS)
    assert {kind: modules for kind, modules in built.items()} == {
        kind: {module} for kind, module in KINDS.items()
    }
