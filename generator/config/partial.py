"""The cross-field checks of a config some of whose fields are invalid.

pydantic builds no model while any field is invalid, so the checks of
``checks.py`` cannot run on the config as written; yet a typo should not hide a
``pipeline.timeout`` that is too short. So the broken fields are set aside until
the model validates: an unknown key is dropped (nothing reads it); any other
broken value is replaced by the example config's value at the same place, or
dropped so that its default applies, going up to the enclosing field when that
is not enough. Each check then runs on that stand-in with every field it reads
recorded, and its findings count only if it read none of the stand-in values.
Checks that depend on a broken field stay silent until it is fixed.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from generator.config import checks
from generator.config.names import Names, build_names, resolve_namespace
from generator.config.paths import Loc

# Rounds of setting aside before giving up (each round handles every error pydantic
# reported; a stand-in that does not fit its context is replaced one level up).
MAX_ROUNDS = 16

Broken = tuple[Loc, str]  # (path in the document, pydantic's error type)


def check(document: dict[str, Any], broken: list[Broken], namespace: str | None) -> list[Any]:
    """Findings of the checks that read no broken field (checks.Finding pairs)."""
    stand_in = _stand_in(document, broken)
    if stand_in is None:
        return []
    bench, replaced = stand_in
    if namespace is None and _conflict({("metadata", "namespace")}, set(), replaced):
        return []  # every check that takes the namespace would get a stand-in's
    ns = resolve_namespace(bench, namespace)
    reads = _Reads()
    watched: Any = _Watched(bench, (), reads)  # stands in for the model
    findings: list[Any] = []
    names: Any = _WatchedNames(watched, ns)  # stands in for Names
    for run in checks.every_check(watched, names):
        reads.values.clear()
        reads.shapes.clear()
        found = list(run())
        if not _conflict(reads.values, reads.shapes, replaced):
            findings.extend(found)
    return findings


# -- setting broken fields aside --------------------------------------------------

_GONE = object()  # a dropped list item, removed at the end of a round


def _stand_in(document: dict[str, Any], broken: list[Broken]) -> tuple[Any, set[Loc]] | None:
    from generator.config.models import Benchmark

    doc = copy.deepcopy(document)
    example = _example()
    replaced: set[Loc] = set()  # what no longer holds the user's values
    stand_ins: set[Loc] = set()  # the values put there (or dropped for their default)
    for _ in range(MAX_ROUNDS):
        earlier = set(stand_ins)
        for loc, kind in broken:
            if not _set_aside(doc, example, loc, kind, earlier, stand_ins, replaced):
                return None
        _purge(doc)
        try:
            return Benchmark.model_validate(doc), replaced
        except ValidationError as err:
            broken = [(doc_loc(e["loc"], doc), e["type"]) for e in err.errors(include_url=False)]
    return None


def _set_aside(
    doc: Any,
    example: Any,
    loc: Loc,
    kind: str,
    earlier: set[Loc],
    stand_ins: set[Loc],
    replaced: set[Loc],
) -> bool:
    """Replace or drop what is broken at ``loc``; False when only the root would do."""
    if any(_within(loc, r) for r in stand_ins - earlier):
        return True  # set aside already, this round
    if kind == "extra_forbidden" and _get(doc, loc) is not _MISSING:
        _drop(doc, loc)  # an unknown field: no check reads it
        return True
    target = loc if kind == "missing" else _deepest(doc, loc)
    moved = True
    while moved:  # a stand-in put there before did not fit: go up
        moved = False
        for done in earlier:
            if done and _within(target, done):
                target, moved = done[:-1], True
    while target:
        parent = _get(doc, target[:-1])
        stand_in = _get(example, target)
        if _fits(parent, target[-1]) and stand_in is not _MISSING:
            parent[target[-1]] = copy.deepcopy(stand_in)
            stand_ins.add(target)
            replaced.add(target)
            return True
        if _get(doc, target) is not _MISSING:
            _drop(doc, target)
            if isinstance(target[-1], int):
                # A list that lost an item has other indices: all of it is replaced.
                replaced.add(target[:-1])
            else:
                stand_ins.add(target)
                replaced.add(target)
            return True
        target = target[:-1]
    return False


def _within(loc: Loc, ancestor: Loc) -> bool:
    return loc[: len(ancestor)] == ancestor


_MISSING = object()


def _get(node: Any, loc: Loc) -> Any:
    """The value at ``loc``, or _MISSING where there is none."""
    for part in loc:
        if not _fits(node, part) or (isinstance(node, dict) and part not in node):
            return _MISSING
        node = node[part]
        if node is _GONE:
            return _MISSING
    return node


def _deepest(doc: Any, loc: Loc) -> Loc:
    while loc and _get(doc, loc) is _MISSING:
        loc = loc[:-1]
    return loc


def _fits(parent: Any, part: str | int) -> bool:
    if isinstance(parent, dict):
        return isinstance(part, str)
    return isinstance(parent, list) and isinstance(part, int) and 0 <= part < len(parent)


def _drop(doc: Any, loc: Loc) -> None:
    parent = _get(doc, loc[:-1])
    if isinstance(parent, dict):
        parent.pop(loc[-1], None)
    elif isinstance(parent, list) and isinstance(loc[-1], int):
        parent[loc[-1]] = _GONE


def _purge(node: Any) -> None:
    if isinstance(node, dict):
        for value in node.values():
            _purge(value)
    elif isinstance(node, list):
        node[:] = [item for item in node if item is not _GONE]
        for item in node:
            _purge(item)


def doc_loc(raw: tuple[Any, ...], document: Any) -> Loc:
    """pydantic's error location as a path in the document (no discriminator tags)."""
    loc: list[str | int] = []
    node = document
    for index, part in enumerate(raw):
        last = index == len(raw) - 1
        if isinstance(node, dict) and part not in node and not last:
            continue  # a discriminator tag or validator name, not a field
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
        loc.append(part)
    return tuple(loc)


def _example() -> Any:
    """The embedded example config, plain data: a valid value for most fields."""
    from importlib.resources import files

    from ruamel.yaml import YAML

    text = (files("generator") / "data" / "benchmark.yaml.example").read_text(encoding="utf-8")
    return _plain(YAML(typ="safe").load(text))


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


# -- what each check reads ----------------------------------------------------------


class _Reads:
    """Paths a check read: whole values, and lists it only walked (their shape)."""

    def __init__(self) -> None:
        self.values: set[Loc] = set()
        self.shapes: set[Loc] = set()


def _conflict(values: set[Loc], shapes: set[Loc], replaced: set[Loc]) -> bool:
    """True if a read saw a stand-in: a value at, above or below one, or the items of a
    list that is, or lies within, a stand-in."""
    for stand_in in replaced:
        if any(_within(v, stand_in) or _within(stand_in, v) for v in values):
            return True
        if any(_within(s, stand_in) for s in shapes):
            return True
    return False


def _watch(value: Any, path: Loc, reads: _Reads) -> Any:
    if isinstance(value, BaseModel):
        return _Watched(value, path, reads)
    if isinstance(value, list) and any(isinstance(v, BaseModel) for v in value):
        return _WatchedList(value, path, reads)
    reads.values.add(path)
    return value


def _class_attribute(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


class _Watched:
    """A model as a check sees it, recording the path of every field read.

    Properties and methods run against the wrapper, so the fields they read are
    recorded too."""

    __slots__ = ("_model", "_path", "_reads")

    def __init__(self, model: BaseModel, path: Loc, reads: _Reads) -> None:
        self._model = model
        self._path = path
        self._reads = reads

    def __getattr__(self, name: str) -> Any:
        model = self._model
        fields = type(model).model_fields
        if name in fields:
            key = fields[name].alias or name
            return _watch(getattr(model, name), (*self._path, key), self._reads)
        attribute = _class_attribute(type(model), name)
        if isinstance(attribute, property) and attribute.fget is not None:
            return attribute.fget(self)
        if isinstance(attribute, types.FunctionType):
            return types.MethodType(attribute, self)
        self._reads.values.add(self._path)  # anything else: the model as a whole
        return getattr(model, name)


class _WatchedNames:
    """Names derived anew on each read: what a name comes from counts as read by the check."""

    def __init__(self, watched: Any, namespace: str) -> None:
        self._watched = watched
        self.namespace = namespace  # the caller's, not read from the model

    def __getattr__(self, name: str) -> Any:
        names: Names = build_names(self._watched, self.namespace)
        return getattr(names, name)


class _WatchedList:
    """A list of models: walking it reads its shape, each item is watched."""

    def __init__(self, items: list[Any], path: Loc, reads: _Reads) -> None:
        self._items = items
        self._path = path
        self._reads = reads

    def _item(self, index: int) -> Any:
        return _watch(self._items[index], (*self._path, index), self._reads)

    def __iter__(self) -> Iterator[Any]:
        self._reads.shapes.add(self._path)
        return (self._item(i) for i in range(len(self._items)))

    def __len__(self) -> int:
        self._reads.shapes.add(self._path)
        return len(self._items)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getitem__(self, index: int | slice) -> Any:
        self._reads.shapes.add(self._path)
        if isinstance(index, slice):
            return [self._item(i) for i in range(len(self._items))[index]]
        return self._item(range(len(self._items))[index])

    def __getattr__(self, name: str) -> Any:
        self._reads.values.add(self._path)  # anything else: the list as a whole
        return getattr(self._items, name)
