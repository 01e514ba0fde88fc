"""``BENCHGEN_CLEANUP_SPEC``: what the finally clean-up deletes.

Compact JSON with sorted keys: a list of ``{"apiVersion", "kind", "plural"?,
"namespace", "labels"}``. A namespace or a label value is either a literal or
``{"param": "<name>"}``, which the runtime reads from ``BENCHGEN_PARAM_<NAME>``
(contract.params): a run-specific value never passes through the spec.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from generator.contract import names
from generator.contract.env import CLEANUP_SPEC, param_env
from generator.contract.errors import ContractError
from generator.contract.params import read_param

_FIELDS = ("apiVersion", "kind", "plural", "namespace", "labels")


@dataclass(frozen=True)
class Param:
    """A value read from the run's param ``name``."""

    name: str


Value = str | Param


@dataclass(frozen=True)
class Entry:
    """One kind of object to delete, in one namespace, selected by labels (as written)."""

    api_version: str
    kind: str
    plural: str | None
    namespace: Value
    labels: tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class Target:
    """An entry with its params read: what the clean-up deletes."""

    api_version: str
    kind: str
    plural: str | None
    namespace: str
    labels: tuple[tuple[str, str], ...]

    @property
    def selector(self) -> str:
        # Keys and values are validated, so joining them cannot change the meaning.
        return ",".join(f"{k}={v}" for k, v in self.labels)

    def describe(self) -> str:
        return f"{self.kind} in {self.namespace} ({self.selector})"


def _json_value(value: Value) -> object:
    return {"param": value.name} if isinstance(value, Param) else value


def encode(entries: list[Entry]) -> str:
    return json.dumps(
        [
            {
                "apiVersion": e.api_version,
                "kind": e.kind,
                "labels": {k: _json_value(v) for k, v in e.labels},
                "namespace": _json_value(e.namespace),
                "plural": e.plural,
            }
            for e in entries
        ],
        sort_keys=True,
        separators=(",", ":"),
    )


def _value(raw: object, env: Mapping[str, str], where: str, errs: list[str]) -> str | None:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and set(raw) == {"param"} and isinstance(raw["param"], str):
        value = read_param(env, raw["param"])
        if value is None:
            errs.append(f"{where}: {param_env(raw['param'])} is not set (param {raw['param']!r})")
        return value
    errs.append(f'{where}: expected a string or {{"param": "<name>"}}, got {json.dumps(raw)}')
    return None


def decode(text: str | None, env: Mapping[str, str]) -> list[Target]:
    """The targets with their params read from ``env``; one ContractError naming
    every problem."""
    if not text or not text.strip():
        raise ContractError(f"{CLEANUP_SPEC} is required (a JSON list of objects to delete)")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ContractError(f"{CLEANUP_SPEC} is not JSON: {exc}") from None
    if not isinstance(raw, list) or not raw:
        raise ContractError(f"{CLEANUP_SPEC} must be a non-empty JSON list")
    errs: list[str] = []
    targets: list[Target] = []
    for i, item in enumerate(raw):
        where = f"{CLEANUP_SPEC}[{i}]"
        if not isinstance(item, dict):
            errs.append(f"{where}: expected an object")
            continue
        before = len(errs)
        for extra in sorted(set(item) - set(_FIELDS)):
            errs.append(f"{where}.{extra}: unknown field (allowed: {', '.join(sorted(_FIELDS))})")
        api_version, kind, plural = item.get("apiVersion"), item.get("kind"), item.get("plural")
        for key, value, check in (
            ("apiVersion", api_version, names.api_version_problem),
            ("kind", kind, lambda v: names.kind_problem(v, "HelmRelease")),
        ):
            problem = check(value) if isinstance(value, str) else f"{value!r} is not a string"
            if problem:
                errs.append(f"{where}.{key}: {problem}")
        if plural is not None:
            problem = names.plural_problem(plural) if isinstance(plural, str) else "not a string"
            if problem:
                errs.append(f"{where}.plural: {problem}")
        ns = _value(item.get("namespace"), env, f"{where}.namespace", errs)
        if ns is not None and names.namespace_problem(ns):
            errs.append(f"{where}.namespace: {ns!r} is not a namespace name")
        labels = item.get("labels")
        pairs: list[tuple[str, str]] = []
        if not isinstance(labels, dict) or not labels:
            # Never "every object of this kind in the namespace".
            errs.append(f"{where}.labels: at least one label is required")
        else:
            for key, raw_value in labels.items():
                if not names.is_label_key(key):
                    errs.append(f"{where}.labels: {key!r} is not a label key")
                value = _value(raw_value, env, f"{where}.labels[{key}]", errs)
                if value is None:
                    continue
                if not value:
                    errs.append(f"{where}.labels[{key}]: empty value (would select too much)")
                elif names.label_value_problem(value):
                    errs.append(f"{where}.labels[{key}]: {value!r} is not a label value")
                pairs.append((key, value))
        if len(errs) == before:
            assert isinstance(api_version, str) and isinstance(kind, str) and ns is not None
            targets.append(Target(api_version, kind, plural, ns, tuple(sorted(pairs))))
    if errs:
        raise ContractError("; ".join(errs))
    return targets
