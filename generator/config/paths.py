"""Field paths as users read them: spec.params[2].name, spec.labels["team/x"]."""

from __future__ import annotations

import re
from collections.abc import Iterable

Loc = tuple[str | int, ...]
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_TOKEN = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += '["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return out


def parse(path: str) -> Loc:
    """The inverse of dotted()."""
    parts: list[str | int] = []
    for name, index, quoted in _TOKEN.findall(path):
        if name:
            parts.append(name)
        elif index:
            parts.append(int(index))
        else:
            parts.append(re.sub(r"\\(.)", r"\1", quoted))
    return tuple(parts)
