"""The KRM function: ResourceList in, ResourceList out (kpt's function spec).

functionConfig is the Benchmark. Input items pass through untouched, the
generated objects are appended, every problem is reported in ``results``
with its field path, and only the ResourceList is written to stdout; on
error the function still writes it, then exits 1.
"""

from __future__ import annotations

from typing import Any

from generator.config.fullload import load_resource_list
from generator.config.load import load
from generator.errors import ConfigError, Problem
from generator.render.emit import dump_round_trip
from generator.render.output import render

PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")


def _source(function_config: Any) -> str:
    try:
        annotations = function_config["metadata"]["annotations"]
        return next(str(annotations[k]) for k in PATH_ANNOTATIONS if k in annotations)
    except (KeyError, TypeError, StopIteration):
        return "functionConfig"


def _result(problem: Problem, severity: str = "error") -> dict[str, Any]:
    result: dict[str, Any] = {"message": problem.message, "severity": severity}
    if problem.path:
        result["field"] = {"path": problem.path}
    result["file"] = {"path": problem.file}
    return result


def _answer(items: Any, results: list[dict[str, Any]]) -> bytes:
    out: dict[str, Any] = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
    }
    if results:
        out["results"] = results
    return dump_round_trip(out).encode()


def _failed(items: Any, problems: list[Problem]) -> tuple[int, bytes, bytes]:
    # results[] for kpt and other orchestrators; stderr too, because that is
    # what kustomize shows its user when a function fails.
    text = "".join(f"{p}\n" for p in problems)
    return 1, _answer(items, [_result(p) for p in problems]), text.encode()


def run_krm(data: bytes) -> tuple[int, bytes, bytes]:
    """(exit code, stdout, stderr) for one ResourceList."""
    try:
        resource_list = load_resource_list(data, "stdin")
    except ConfigError as err:
        return _failed([], err.problems)
    items = resource_list.get("items") or []
    function_config = resource_list.get("functionConfig")
    source = _source(function_config)
    if function_config is None:
        return _failed(
            items, [Problem("stdin", 0, 0, "functionConfig", "missing: it must be the Benchmark")]
        )
    try:
        rendered = render(load(function_config, source))
    except ConfigError as err:
        return _failed(items, err.problems)
    results = [
        _result(Problem(source, 0, 0, "", warning), severity="warning")
        for warning in rendered.warnings
    ]
    return 0, _answer([*items, *rendered.manifests], results), b""
