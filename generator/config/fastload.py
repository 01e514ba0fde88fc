"""The plugin's fast path: config bytes to a valid Benchmark without pydantic or ruamel.

A cold `kustomize build` pays for every import: pydantic and building the
models cost ~150 ms, ruamel.yaml's import and round-trip parse ~40 ms more.
This path parses with PyYAML's C parser (already needed to emit), checks with
``lite.py`` (generated from the models, calling the same rules) and runs the
same cross-field ``checks``. It answers only when it is sure: on anything
unusual (YAML features the full loader refuses or resolves differently, a
value pydantic would coerce, any problem at all) it returns None and the
caller (``load.py``) takes the full path (``fullload.py``), which alone words the errors.
"""

from __future__ import annotations

import re

from generator.config import checks, lite
from generator.config.load import Loaded
from generator.config.names import build_names, resolve_namespace

TYPE_CHECKING = False  # typing costs start-up time on the plugin's cold path
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from generator.config.models import Benchmark

# The full loader's limits (fullload.py); beyond them it reports an error.
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32

# Plain scalars are resolved here as YAML 1.2 (ruamel.yaml, the full path's
# parser) does, but only in the forms both YAML 1.1 and 1.2 agree on. Any
# other plain scalar that some resolver might read as a non-string (octal,
# hex, floats, timestamps, yes/no/on/off, '<<', '=') is a Doubt.
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"0|[1-9][0-9]*")
_MAYBE_SPECIAL = re.compile(
    r"""^(?:
      [-+]?[0-9_.]*[0-9][0-9_.:]*(?:[eE][-+]?[0-9]+)?  # any number-like form, with _ or :
    | [-+]?0[xXoObB][0-9a-fA-F_]+                     # hex, octal, binary
    | [-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)              # floats' specials
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?        # dates and timestamps
    | yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N  # YAML 1.1 booleans
    | <<|=                                            # merge and value keys
    )$""",
    re.VERBOSE,
)


_SURROGATE = re.compile("[\ud800-\udfff]")


class _Doubt(Exception):
    """Not sure the full path would read this document the same way."""


def load_bytes(data: bytes, namespace: str | None = None) -> Loaded | None:
    """The valid config, or None when only the full path can decide."""
    try:
        return load_document(_parse(data), namespace)
    except (_Doubt, lite.Doubt, ValueError, RecursionError):
        return None


def load_document(document: object, namespace: str | None = None) -> Loaded | None:
    """A config that is already plain data (a KRM functionConfig), or None."""
    try:
        twin = lite.validate(document)
    except (lite.Doubt, ValueError):
        return None
    # lite's twins have the models' fields and the same mixins (generated from
    # them; tests render every case both ways), so they stand in for the models.
    bench: Benchmark = twin  # type: ignore[assignment]
    names = build_names(bench, resolve_namespace(bench, namespace))
    if checks.check(bench, names):
        return None
    return Loaded(bench, names)


def _parse(data: bytes) -> object:
    import yaml

    if len(data) > MAX_BYTES:
        raise _Doubt
    text = data.decode("utf-8").removeprefix("\ufeff")  # UnicodeDecodeError is a ValueError
    try:
        events = yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        stream: Iterator[Any] = iter(events)
        kind = type(next(stream)).__name__
        if kind != "StreamStartEvent":
            raise _Doubt
        start = next(stream)
        # One document, no %YAML or %TAG directive (they change how scalars resolve).
        if type(start).__name__ != "DocumentStartEvent" or start.version or start.tags:
            raise _Doubt
        root = _node(stream, next(stream), 0)
        if type(next(stream)).__name__ != "DocumentEndEvent":
            raise _Doubt
        if type(next(stream)).__name__ != "StreamEndEvent":
            raise _Doubt  # a second document
    except yaml.YAMLError:
        raise _Doubt from None
    if type(root) is not dict:
        raise _Doubt
    return root


def _node(stream: Iterator[Any], event: Any, depth: int) -> object:
    """Plain data for the node starting at ``event``; the rest comes from ``stream``."""
    if depth > MAX_DEPTH or getattr(event, "anchor", None) or getattr(event, "tag", None):
        raise _Doubt  # anchors, aliases and explicit tags are refused or special
    kind = type(event).__name__
    if kind == "ScalarEvent":
        return _scalar(event)
    if kind == "MappingStartEvent":
        out: dict[str, object] = {}
        for key_event in stream:
            if type(key_event).__name__ == "MappingEndEvent":
                return out
            key = _node(stream, key_event, depth + 1)
            if type(key) is not str or key in out:
                raise _Doubt  # the full loader stringifies keys and refuses duplicates
            out[key] = _node(stream, next(stream), depth + 1)
        raise _Doubt
    if kind == "SequenceStartEvent":
        items: list[object] = []
        for item_event in stream:
            if type(item_event).__name__ == "SequenceEndEvent":
                return items
            items.append(_node(stream, item_event, depth + 1))
        raise _Doubt
    raise _Doubt  # AliasEvent and anything unexpected


def _scalar(event: Any) -> object:
    value: str = event.value
    if _SURROGATE.search(value):
        raise _Doubt  # an escaped half of a UTF-16 pair: the full loader words it
    if not event.implicit[0]:
        return value  # quoted or block (not plain): always a string
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.fullmatch(value):
        return int(value)
    if _MAYBE_SPECIAL.fullmatch(value):
        raise _Doubt
    return value
