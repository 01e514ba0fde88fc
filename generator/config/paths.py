"""Field paths as users read them: spec.params[2].name, spec.labels["team/x"]."""

from __future__ import annotations

import re
from collections.abc import Iterable

Loc = tuple[str | int, ...]
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_TOKEN = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')
# Escapes inside a quoted part, so that a key holding a newline or another
# control character still prints on one line (and parse() reads it back).
_SPECIAL = re.compile(r'[\\"\x00-\x1f\x7f-\x9f\u2028\u2029]')
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNESCAPES = {"n": "\n", "r": "\r", "t": "\t"}
_ESCAPED = re.compile(r"\\(u[0-9a-f]{4}|.)")


def _escape(char: str) -> str:
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) == 5:
        return chr(int(code[1:], 16))
    return _UNESCAPES.get(code, code)


def dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += '["' + _SPECIAL.sub(lambda m: _escape(m.group()), part) + '"]'
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
            parts.append(_ESCAPED.sub(_unescape, quoted))
    return tuple(parts)


def parse_whole(path: str) -> Loc | None:
    """parse() of a path written in full: None when some of it is not a part (a
    space, an unclosed bracket, a leading dot), which parse() would skip."""
    at = 0
    for match in _TOKEN.finditer(path):
        if match.start() != at or (at == 0 and match.group().startswith(".")):
            return None
        at = match.end()
    return parse(path) if path and at == len(path) else None
