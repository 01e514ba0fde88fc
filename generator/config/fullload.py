"""The full loader: benchmark.yaml into models, with a file:line:col for every problem.

``load.py`` comes here whenever the fast path cannot vouch for a config.
ruamel.yaml's round-trip loader keeps the position of every key and item;
pydantic's error locations are mapped back onto them so each message points
at the line to fix.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, Any

from generator.config import checks, source
from generator.config.load import Loaded
from generator.config.names import build_names, resolve_namespace
from generator.config.paths import Loc, dotted, parse
from generator.errors import ConfigError, Problem

if TYPE_CHECKING:
    from generator.config.models import Benchmark

MAX_BYTES = source.MAX_BYTES
MAX_DEPTH = 32
# What YAML allows in a stream (its c-printable set). Anything else is refused
# before parsing, with its line and column.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_TAG_PROBLEM = (
    "YAML tags (!name, !!type) are not supported: drop it (quote a value to keep it text)"
)


class _Located:
    """Plain data converted from ruamel nodes plus the position of every path."""

    def __init__(self) -> None:
        self.positions: dict[Loc, tuple[int, int]] = {}

    def convert(self, node: Any, path: Loc, depth: int = 0) -> Any:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

        if depth > MAX_DEPTH:
            raise _TooDeep(path)
        # A config file's tags are refused while parsing; a KRM functionConfig's here.
        tag = getattr(node, "tag", None)
        if isinstance(node, TaggedScalar) or getattr(tag, "value", None) is not None:
            raise _Refused(path, _TAG_PROBLEM)
        if isinstance(node, CommentedMap):
            out: dict[str, Any] = {}
            for key, value in node.items():
                child = (*path, str(key))
                self._place(child, node.lc.key(key))
                _check_text(str(key), child)
                out[str(key)] = self.convert(value, child, depth + 1)
            return out
        if isinstance(node, CommentedSeq):
            items = []
            for index, value in enumerate(node):
                child = (*path, index)
                self._place(child, node.lc.item(index))
                items.append(self.convert(value, child, depth + 1))
            return items
        if isinstance(node, str):
            _check_text(node, path)
            return str(node)  # drop ruamel's scalar string subclasses
        return node

    def _place(self, loc: Loc, mark: Any) -> None:
        if mark:  # ruamel records no positions for some nodes: the parent's then
            self.positions[loc] = (mark[0] + 1, mark[1] + 1)

    def position(self, loc: Loc) -> tuple[int, int]:
        """Position of loc, or of its nearest parent that exists."""
        while loc:
            if loc in self.positions:
                return self.positions[loc]
            loc = loc[:-1]
        return (1, 1)


def _check_text(text: str, path: Loc) -> None:
    """A YAML escape can write half of a UTF-16 pair ("\\ud800"): no character, and
    nothing can encode it as UTF-8 (the render would fail writing it)."""
    half = _SURROGATE.search(text)
    if half:
        raise _Refused(
            path,
            f"holds \\u{ord(half.group()):04x}, half of a UTF-16 surrogate pair, which is no"
            " character: write the character itself (or its \\U escape)",
        )


class _Refused(Exception):
    def __init__(self, path: Loc, message: str) -> None:
        self.path = path
        self.message = message


class _TooDeep(_Refused):
    def __init__(self, path: Loc) -> None:
        super().__init__(path, f"is nested too deeply (more than {MAX_DEPTH} levels)")


def load_text(text: str, name: str, namespace: str | None = None) -> Loaded:
    return load_bytes(text.encode("utf-8"), name, namespace)


def load_bytes(data: bytes, name: str, namespace: str | None = None) -> Loaded:
    """Validate raw config bytes; ``name`` is what messages call the file."""
    document, located = _parse(data, name)
    return _load_document(document, located, name, namespace)


def load_resource_list(data: bytes, name: str) -> Any:
    """Parse a KRM ResourceList (round-trip nodes, so items pass through untouched)."""
    root, _ = _parse(data, name, keep_nodes=True)
    return root


def load_node(node: Any, name: str, namespace: str | None = None) -> Loaded:
    """Validate a config that is already a parsed node (a KRM functionConfig)."""
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(node, CommentedMap):
        raise ConfigError([Problem(name, 0, 0, "", "functionConfig must be a Benchmark object")])
    located = _Located()
    return _load_document(_convert(node, located, name), located, name, namespace)


def _convert(node: Any, located: _Located, name: str) -> Any:
    """Plain data of a parsed node; a refused value is a ConfigError at its position."""
    try:
        return located.convert(node, ())
    except _Refused as refused:
        line, col = located.position(refused.path)
        where = dotted(refused.path)
        raise ConfigError([Problem(name, line, col, where, refused.message)]) from None


def plain_document(node: Any) -> Any:
    """A parsed functionConfig as plain data, or None if it is not a sane mapping."""
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(node, CommentedMap):
        return None
    try:
        return _Located().convert(node, ())
    except _Refused:
        return None


def _load_document(document: Any, located: _Located, name: str, namespace: str | None) -> Loaded:
    bench = _validate(document, located, name, namespace)
    names = build_names(bench, resolve_namespace(bench, namespace))
    findings = checks.check(bench, names)
    if findings:
        raise ConfigError([Problem(name, *located.position(parse(p)), p, m) for p, m in findings])
    return Loaded(bench, names)


def _parse(data: bytes, name: str, keep_nodes: bool = False) -> tuple[Any, _Located]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    def fail(line: int, col: int, message: str) -> ConfigError:
        return ConfigError([Problem(name, line, col, "", message)])

    if len(data) > MAX_BYTES:
        raise fail(0, 0, f"is {len(data)} bytes; a benchmark config is at most {MAX_BYTES}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line = before.count(b"\n") + 1
        col = err.start - (before.rfind(b"\n") + 1) + 1
        raise fail(
            line, col, f"is not UTF-8 text (byte 0x{data[err.start]:02x}); save it as UTF-8"
        ) from None
    text = text.removeprefix("\ufeff")
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line, col = _position(text, bad.start())
        char = bad.group()
        raise fail(
            line,
            col,
            f"control character U+{ord(char):04X} is not allowed in YAML: remove it (inside"
            f" double quotes, write it as the escape \\x{ord(char):02x} if it is meant)"
            if ord(char) < 0x100
            else f"character U+{ord(char):04X} is not allowed in YAML: remove it",
        )
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise fail(0, 0, "is empty; run 'benchgen init' for a commented starter config")

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    # KRM items pass through: 'yes' must stay a quoted string, not become yes.
    yaml.preserve_quotes = True
    try:
        # Anchors and aliases are refused before anything is built: they are
        # how "billion laughs" documents explode, and a config has no use for them.
        # The nesting depth is checked here too, while parsing: a deep flow
        # sequence costs the parser time quadratic in its depth (52 s for 10,000).
        documents = 0
        depth = 0
        for event in yaml.parse(text):
            kind = type(event).__name__
            if kind in ("MappingStartEvent", "SequenceStartEvent"):
                depth += 1
                if depth > MAX_DEPTH + 1:
                    mark = event.start_mark
                    raise fail(
                        mark.line + 1,
                        mark.column + 1,
                        f"is nested too deeply (more than {MAX_DEPTH} levels)",
                    )
            elif kind in ("MappingEndEvent", "SequenceEndEvent"):
                depth -= 1
            # Tags make ruamel build other types (or crash on a tagged collection);
            # a KRM ResourceList's items pass through untouched, so only ours.
            if getattr(event, "tag", None) is not None and not keep_nodes:
                mark = event.start_mark
                raise fail(mark.line + 1, mark.column + 1, _TAG_PROBLEM)
            anchor = getattr(event, "anchor", None)
            # A plain '<<' is a merge key: it needs no anchor to crash the converter.
            merge = kind == "ScalarEvent" and event.value == "<<" and event.style is None
            if kind == "AliasEvent" or anchor or merge:
                mark = event.start_mark
                raise fail(
                    mark.line + 1,
                    mark.column + 1,
                    "YAML anchors and aliases (&name, *name, <<) are not supported: write the"
                    " value out",
                )
            if kind == "DocumentStartEvent":
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    raise fail(
                        mark.line + 1,
                        mark.column + 1,
                        "holds more than one YAML document; keep one",
                    )
        root = yaml.load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = err.problem or str(err)
        if "duplicate key" in str(err) or "found duplicate key" in problem:
            problem = "duplicate key " + _duplicate_key(str(err))
        elif "\t" in text and ("tab" in problem.lower() or "\\t" in problem):
            problem = f"{problem}; YAML indents with spaces, not tabs"
        raise fail(line, col, f"invalid YAML: {problem}") from None
    except YAMLError as err:
        raise fail(0, 0, f"invalid YAML: {err}") from None
    except RecursionError:
        raise fail(0, 0, f"is nested too deeply (more than {MAX_DEPTH} levels)") from None

    from ruamel.yaml.comments import CommentedMap

    if not isinstance(root, CommentedMap):
        raise fail(1, 1, "must be a mapping with apiVersion, kind, metadata and spec")
    located = _Located()
    if keep_nodes:
        return root, located
    return _convert(root, located, name), located


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character of ``text``."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _duplicate_key(message: str) -> str:
    for line in message.splitlines():
        if "found duplicate key" in line:
            key = line.split("found duplicate key", 1)[1].strip()
            return key.split(" with value")[0].strip() + "; each key may appear once"
    return "; each key may appear once"


def _validate(
    document: dict[str, Any], located: _Located, name: str, namespace: str | None
) -> Benchmark:
    # Imported here: the KRM function imports this module for its ResourceList
    # parser and, on its fast path, never needs pydantic.
    from pydantic import ValidationError

    from generator.config.models import API_VERSION, KIND, Benchmark

    # apiVersion and kind first: with the wrong ones, field errors would only confuse.
    header = []
    for key, expected in (("apiVersion", API_VERSION), ("kind", KIND)):
        value = document.get(key)
        if value != expected:
            got = "it is missing" if value is None else f"got {value!r}"
            header.append(
                Problem(name, *located.position((key,)), key, f"must be {expected!r} ({got})")
            )
    if header:
        raise ConfigError(header)
    try:
        return Benchmark.model_validate(document)
    except ValidationError as err:
        from generator.config import partial

        errors = err.errors(include_url=False)
        locs = [partial.doc_loc(tuple(e["loc"]), document) for e in errors]
        problems = [
            Problem(name, *located.position(loc), dotted(loc), _message(e, loc))
            for e, loc in zip(errors, locs, strict=True)
        ]
        # Every problem at once: the cross-field checks that read no broken field too.
        broken = [(loc, str(e["type"])) for e, loc in zip(errors, locs, strict=True)]
        for path, message in partial.check(document, broken, namespace):
            problems.append(Problem(name, *located.position(parse(path)), path, message))
        raise ConfigError(problems) from None


# What to write instead, where a mapping is expected and something else was given.
_MODEL_HINTS = {
    "TaskParamValueSpec": (
        "a value is {param: <a param of spec.params>} or {task: <an earlier task>,"
        " result: <its result>}, never free text"
    ),
}


def _message(error: Any, loc: Loc) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        field = str(loc[-1]) if loc else ""
        close = difflib.get_close_matches(field, _vocabulary(), n=1, cutoff=0.7)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown field {field!r}{hint}"
    instead = _MODEL_HINTS.get(str((error.get("ctx") or {}).get("class_name")))
    if kind == "model_type" and instead:
        return instead
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _vocabulary() -> list[str]:
    """Every field name of every model, for 'did you mean' hints."""
    from pydantic import BaseModel

    from generator.config import models

    words: set[str] = set()
    for value in vars(models).values():
        if isinstance(value, type) and issubclass(value, BaseModel):
            for field_name, info in value.model_fields.items():
                words.add(info.alias or field_name)
    return sorted(words)
