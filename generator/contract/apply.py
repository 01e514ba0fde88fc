"""``BENCHGEN_APPLY_SPEC``: what the deploy step applies and what it waits for.

Compact JSON with sorted keys::

    {"configMap": {"namespace", "name", "key": [<part>, ...]},
     "set": [{"kind", "path": [<name or index>, ...], "param", "type"}],
     "targets": [{"apiVersion", "kind", "plural", "namespace"}],
     "wait": {"condition"}}

A key part is a literal or ``{"param": "<name>"}``; the runtime reads a param's
value from ``BENCHGEN_PARAM_<NAME>`` (contract.params) and checks the joined key
is a ConfigMap key, so a value can never name another key (``../x``) or reach
a shell. ``set`` writes a param's value at a path of every applied document of
that kind, as a YAML value (a string, or a boolean for a boolean param): the
manifest is never edited as text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from generator.contract import names
from generator.contract.env import APPLY_SPEC, param_env
from generator.contract.errors import ContractError
from generator.contract.params import read_param

_TOP = ("configMap", "set", "targets", "wait")
_REF = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Param:
    """A value read from the run's param ``name``."""

    name: str


KeyPart = str | Param
PathPart = str | int


def key_template(text: str) -> list[KeyPart]:
    """``"{cncf-project}.{config}.yaml"`` -> [Param, ".", Param, ".yaml"]; ValueError
    when a brace is unbalanced or a reference is empty. Literal parts are not
    checked here (the config rules say where)."""
    parts: list[KeyPart] = []
    at = 0
    for match in _REF.finditer(text):
        literal = text[at : match.start()]
        if "{" in literal or "}" in literal:
            raise ValueError(f"unbalanced brace in {text!r}: write params as {{name}}")
        if literal:
            parts.append(literal)
        name = match.group(1).strip()
        if not name:
            raise ValueError(f"empty {{}} in {text!r}: name a param, as in {{version}}")
        parts.append(Param(name))
        at = match.end()
    rest = text[at:]
    if "{" in rest or "}" in rest:
        raise ValueError(f"unbalanced brace in {text!r}: write params as {{name}}")
    if rest:
        parts.append(rest)
    return parts


@dataclass(frozen=True)
class Set:
    """Write param ``param`` (of ``type`` "string" or "boolean") at ``path`` of every
    document of ``kind``."""

    kind: str
    path: tuple[PathPart, ...]
    param: str
    type: str = "string"


@dataclass(frozen=True)
class Target:
    """A kind the step may apply, and the one namespace it may apply it in."""

    api_version: str
    kind: str
    plural: str
    namespace: str

    def describe(self) -> str:
        return f"{self.kind} ({self.api_version}) in {self.namespace}"


@dataclass(frozen=True)
class Spec:
    """As the compiler writes it (params not read)."""

    namespace: str
    config_map: str
    key: tuple[KeyPart, ...]
    sets: tuple[Set, ...]
    targets: tuple[Target, ...]
    condition: str


@dataclass(frozen=True)
class Assignment:
    """A ``Set`` with its value read."""

    kind: str
    path: tuple[PathPart, ...]
    param: str
    value: str | bool


@dataclass(frozen=True)
class Plan:
    """The spec with its params read: what the step does."""

    namespace: str
    config_map: str
    key: str
    assignments: tuple[Assignment, ...]
    targets: tuple[Target, ...]
    condition: str


def _part(value: KeyPart) -> object:
    return {"param": value.name} if isinstance(value, Param) else value


def encode(spec: Spec) -> str:
    return json.dumps(
        {
            "configMap": {
                "key": [_part(p) for p in spec.key],
                "name": spec.config_map,
                "namespace": spec.namespace,
            },
            "set": [
                {"kind": s.kind, "param": s.param, "path": list(s.path), "type": s.type}
                for s in spec.sets
            ],
            "targets": [
                {
                    "apiVersion": t.api_version,
                    "kind": t.kind,
                    "namespace": t.namespace,
                    "plural": t.plural,
                }
                for t in spec.targets
            ],
            "wait": {"condition": spec.condition},
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def _param(env: Mapping[str, str], name: object, where: str, errs: list[str]) -> str | None:
    if not isinstance(name, str) or not name:
        errs.append(f"{where}: expected a param name, got {json.dumps(name)}")
        return None
    value = read_param(env, name)
    if value is None:
        errs.append(f"{where}: {param_env(name)} is not set (param {name!r})")
    return value


def _object(
    raw: object, where: str, fields: tuple[str, ...], errs: list[str]
) -> dict[str, object] | None:
    if not isinstance(raw, dict):
        errs.append(f"{where}: expected an object")
        return None
    for extra in sorted(set(raw) - set(fields)):
        errs.append(f"{where}.{extra}: unknown field (allowed: {', '.join(sorted(fields))})")
    return raw


def _text(raw: dict[str, object], field: str, where: str, errs: list[str]) -> str:
    value = raw.get(field)
    if not isinstance(value, str) or not value:
        errs.append(f"{where}.{field}: expected a non-empty string, got {json.dumps(value)}")
        return ""
    return value


def _key(raw: object, env: Mapping[str, str], where: str, errs: list[str]) -> str:
    if not isinstance(raw, list) or not raw:
        errs.append(f"{where}: expected a non-empty list of literals and params")
        return ""
    out = ""
    for i, part in enumerate(raw):
        if isinstance(part, str):
            out += part
        elif isinstance(part, dict) and set(part) == {"param"}:
            value = _param(env, part["param"], f"{where}[{i}]", errs)
            if value == "":
                # Never a shorter key that may name another project's manifest.
                errs.append(f"{where}[{i}]: param {part['param']!r} is empty")
            out += value or ""
        else:
            errs.append(f'{where}[{i}]: expected a string or {{"param": "<name>"}}')
    problem = names.config_map_key_problem(out)
    if problem:
        errs.append(f"{where}: {problem}")
    return out


def _targets(raw: object, errs: list[str]) -> list[Target]:
    where = f"{APPLY_SPEC}.targets"
    if not isinstance(raw, list) or not raw:
        errs.append(f"{where}: at least one target is required (nothing may be applied)")
        return []
    out: list[Target] = []
    fields = ("apiVersion", "kind", "namespace", "plural")
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        before = len(errs)
        obj = _object(item, at, fields, errs)
        values = {f: _text(obj, f, at, errs) for f in fields} if obj is not None else {}
        for field, check in (
            ("apiVersion", names.api_version_problem),
            ("kind", lambda v: names.kind_problem(v, "HelmRelease")),
            ("plural", names.plural_problem),
            ("namespace", names.namespace_problem),
        ):
            if values.get(field):
                problem = check(values[field])
                if problem:
                    errs.append(f"{at}.{field}: {problem}")
        if len(errs) == before:
            out.append(
                Target(values["apiVersion"], values["kind"], values["plural"], values["namespace"])
            )
    return out


def _assignments(
    raw: object, env: Mapping[str, str], kinds: set[str], errs: list[str]
) -> list[Assignment]:
    where = f"{APPLY_SPEC}.set"
    if not isinstance(raw, list):
        errs.append(f"{where}: expected a list")
        return []
    out: list[Assignment] = []
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        obj = _object(item, at, ("kind", "param", "path", "type"), errs)
        if obj is None:
            continue
        kind = _text(obj, "kind", at, errs)
        if kind and kind not in kinds:
            errs.append(f"{at}.kind: {kind!r} is not one of the targets' kinds")
        path = obj.get("path")
        if (
            not isinstance(path, list)
            or not path
            or not all(isinstance(p, str | int) and not isinstance(p, bool) for p in path)
        ):
            errs.append(f"{at}.path: expected a non-empty list of names and indexes")
            continue
        kind_type = obj.get("type", "string")
        if kind_type not in ("string", "boolean"):
            errs.append(f"{at}.type: expected 'string' or 'boolean', got {json.dumps(kind_type)}")
            continue
        param = obj.get("param")
        text = _param(env, param, f"{at}.param", errs)
        if text is None:
            continue
        value: str | bool = text
        if kind_type == "boolean":
            if text.lower() not in ("true", "false"):
                errs.append(f"{at}: param {param!r} is boolean, got {text!r}")
                continue
            value = text.lower() == "true"
        assert isinstance(param, str)
        out.append(Assignment(kind, tuple(path), param, value))
    return out


def decode(text: str | None, env: Mapping[str, str]) -> Plan:
    """The plan with its params read from ``env``; one ContractError naming every problem."""
    if not text or not text.strip():
        raise ContractError(f"{APPLY_SPEC} is required (a JSON object: what to apply)")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ContractError(f"{APPLY_SPEC} is not JSON: {exc}") from None
    errs: list[str] = []
    top = _object(raw, APPLY_SPEC, _TOP, errs)
    if top is None:
        raise ContractError("; ".join(errs))
    cm_where = f"{APPLY_SPEC}.configMap"
    cm = _object(top.get("configMap"), cm_where, ("key", "name", "namespace"), errs)
    namespace = _text(cm, "namespace", cm_where, errs) if cm is not None else ""
    if namespace and names.namespace_problem(namespace):
        errs.append(f"{cm_where}.namespace: {namespace!r} is not a namespace name")
    name = _text(cm, "name", cm_where, errs) if cm is not None else ""
    if name and names.dns1123_subdomain_problem(name):
        errs.append(f"{cm_where}.name: {names.dns1123_subdomain_problem(name)}")
    key = _key(cm.get("key"), env, f"{cm_where}.key", errs) if cm is not None else ""
    targets = _targets(top.get("targets"), errs)
    assignments = _assignments(top.get("set", []), env, {t.kind for t in targets}, errs)
    wait = _object(top.get("wait"), f"{APPLY_SPEC}.wait", ("condition",), errs)
    condition = _text(wait, "condition", f"{APPLY_SPEC}.wait", errs) if wait is not None else ""
    if errs:
        raise ContractError("; ".join(errs))
    return Plan(namespace, name, key, tuple(assignments), tuple(targets), condition)
