"""The one user-facing error type.

Every problem a user can fix (bad YAML, a bad field, an impossible
combination) becomes a ``Problem`` with a location; the CLI prints them all
at once and exits 2. Anything else is a bug and may show a traceback.
"""

from __future__ import annotations

from typing import NamedTuple

# A problem prints as one line, whatever a key, a value or a file name holds:
# line breaks and other control characters (a terminal's escape sequences too)
# are written as escapes.
_ONE_LINE = {
    code: f"\\x{code:02x}" for code in (*range(0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0))
}
_ONE_LINE.update({0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"})


# A NamedTuple, not a dataclass: dataclasses imports inspect, ~15 ms of every
# cold plugin run (the kustomize plugin is spawned on every build).
class Problem(NamedTuple):
    """One located, actionable problem in a config file."""

    file: str
    line: int  # 1-based; 0 when unknown
    column: int  # 1-based; 0 when unknown
    path: str  # dotted field path, e.g. spec.params[2].name; "" for the file itself
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        if self.path:
            return f"{where}: {self.path}: {self.message}".translate(_ONE_LINE)
        return f"{where}: {self.message}".translate(_ONE_LINE)


class ConfigError(Exception):
    """A config file cannot be compiled; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(Exception):
    """The command line or the environment is wrong (exit 2)."""
