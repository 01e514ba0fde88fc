"""Param patterns: what the listener's regex engine reads, and what Python would read instead.

A param's ``pattern`` is compiled into the listener's CEL filter as
``value.matches('^(?:<pattern>)$')``; cel-go evaluates ``matches()`` with Go's
``regexp``, which has RE2's syntax and semantics. benchgen itself checks values
against the pattern too (defaults, schedule and release values, ``benchgen
trigger``), and people test patterns with Python. So a pattern is accepted only
when

1. RE2 reads it (checked with RE2 itself, the ``google-re2`` bindings), and
2. Python's ``re`` reads it with the same meaning. Constructs both engines
   accept but read differently are refused, each with what to write instead:
   ``{,n}`` (a quantifier in Python, the literal text ``{,n}`` in RE2), ``$``
   before the end (Python also matches it before a final newline), ``\\d \\w \\s
   \\b`` (Unicode in Python, ASCII in RE2), ``(?i)`` (the engines fold cases
   differently, e.g. the Turkish dotted I), POSIX classes and set operations in
   brackets (Python reads ``[[:alpha:]]`` as a bracket of characters). Python
   must compile it too, which refuses RE2-only syntax (``\\pL``, ``\\Q..\\E``,
   ``\\C``, ``(?U)``, ``\\z``, ``(?<name>``).

Most patterns are "plain": literals, bracket classes of ASCII characters,
groups, alternatives and simple quantifiers, which every engine reads alike.
Those are decided here in pure Python, so that rendering (the plugin's cold
path) does not import RE2; anything else is compiled by RE2. tests/conformance
compiles every accepted pattern of a corpus (expressions.yaml) with Go's regexp
and cel-go and checks that the matches agree.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing costs start-up time on the plugin's cold path
if TYPE_CHECKING:
    from typing import Any

# RE2 refuses repetition counts above this (so does Go's regexp).
MAX_REPEAT = 1000
# A plain pattern's counts, added up: well inside RE2's and Go's program limits.
_PLAIN_BUDGET = 10_000
_PLAIN_DEPTH = 50
_LOOKAROUND = "uses look-around or back-references, which CEL's RE2 engine does not support"
_SAFE_LITERAL = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-,;:@#%&=~!<>'\"/`"
)
_PERL_CLASSES = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[0-9A-Za-z_]",
    "W": "[^0-9A-Za-z_]",
    "s": "[\\t\\n\\f\\r ]",
    "S": "[^\\t\\n\\f\\r ]",
}
_REPEAT = re.compile(r"\{(\d*)(,(\d*))?\}")


# A required param's value must not be blank: the listener refuses what this
# matches. Go's \s is [\t\n\f\r ] (no \v, nothing beyond ASCII), unlike str.strip().
BLANK_PATTERN = r"^\s*$"
_BLANK = re.compile(r"[\t\n\f\r ]*")


def blank(value: str) -> bool:
    """True when the listener's blank check (BLANK_PATTERN) refuses ``value``."""
    return _BLANK.fullmatch(value) is not None


def listener_regex(pattern: str) -> str:
    """The regular expression the listener's CEL filter matches a value against."""
    return "^(?:" + pattern + ")$"


class _Scan:
    """One pass over a pattern: the first problem found, and whether it is plain."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.problem: str | None = None
        self.plain = True
        self.budget = 0

    def refuse(self, message: str) -> None:
        if self.problem is None:
            self.problem = message

    def run(self) -> _Scan:
        pattern = self.pattern
        i, depth, atom = 0, 0, False  # atom: a quantifier may follow
        group = False  # the atom is a group: counts on it multiply (RE2 limits the product)
        while i < len(pattern) and self.problem is None:
            char = pattern[i]
            closed = False
            if char == "\\":
                atom = self.escape(i, in_class=False)
                i += 2
            elif char == "[":
                i = self.bracket(i)
                atom = True
            elif char == "(":
                if pattern.startswith("(?:", i):
                    i += 3
                else:
                    if pattern.startswith("(?", i):
                        self.plain = False
                        self.group(i)
                    i += 1
                depth += 1
                self.plain = self.plain and depth <= _PLAIN_DEPTH
                atom = False
            elif char == ")":
                depth -= 1
                atom = closed = True
                i += 1
            elif char in "*+?":
                self.quantifier(i, atom)
                i += 1
                atom = False
            elif char == "{" and _REPEAT.match(pattern, i):  # a prefix, at i
                if depth or group:
                    self.plain = False
                i = self.braces(i, atom)
                atom = False
            elif char == "$":
                self.plain = False
                if i != len(pattern) - 1 or depth:
                    self.refuse(
                        "uses '$' before the end: in Python's re it also matches before a final"
                        " newline, in RE2 only at the end of the text. The whole value must"
                        " match anyway: drop it, or write \\n for a newline"
                    )
                i += 1
            else:
                if char == "^" or (char not in _SAFE_LITERAL and char not in ".|"):
                    self.plain = False
                atom = char not in "|^"
                i += 1
            group = closed
        if self.budget > _PLAIN_BUDGET:
            self.plain = False
        return self

    def escape(self, i: int, in_class: bool) -> bool:
        """Check the escape at ``i``; True when it is an atom (a quantifier may follow)."""
        nxt = self.pattern[i + 1 : i + 2]
        if nxt in _PERL_CLASSES:
            self.refuse(
                f"uses \\{nxt}, which matches Unicode characters in Python's re but only"
                f" ASCII in RE2: write {_PERL_CLASSES[nxt]}"
            )
        elif nxt in ("b", "B") and not in_class:
            self.refuse(
                f"uses \\{nxt}, a word boundary that is Unicode-aware in Python's re but"
                " ASCII-only in RE2: spell out the characters around it"
            )
        elif nxt.isdigit() and nxt != "0":
            self.refuse(
                f"uses \\{nxt}: a back-reference in Python's re, which CEL's RE2 engine does not"
                " support (RE2 reads it as an octal character code): write \\x.. for a character"
            )
        elif not nxt or nxt.isalnum() or not nxt.isascii():
            self.plain = False  # \n, \x41, \A ...: RE2 and Python decide
        return nxt not in ("A", "z", "Z", "b", "B")

    def bracket(self, i: int) -> int:
        """Check the bracket class starting at ``i``; the index after it."""
        pattern = self.pattern
        j = i + 1
        if pattern[j : j + 1] == "^":
            j += 1
        if pattern[j : j + 1] == "]":
            self.plain = False  # a leading ']' is literal in both, but rare: let RE2 see it
            j += 1
        previous = ""
        while j < len(pattern) and pattern[j] != "]":
            char = pattern[j]
            if char == "\\":
                self.escape(j, in_class=True)
                previous = ""
                j += 2
                continue
            if char == "[":
                self.refuse(
                    "has '[' inside a bracket: RE2 reads [[:alpha:]] as a POSIX class, Python's"
                    " re as a bracket of the characters [:alph (and warns): list the"
                    " characters or ranges instead (e.g. [A-Za-z])"
                )
                return len(pattern)
            if char in "-&~|" and previous == char:
                self.refuse(
                    f"has '{char}{char}' inside a bracket, which Python's re reserves for set"
                    " operations (it warns that the meaning will change): escape one of them"
                )
                return len(pattern)
            if not (char.isascii() and (char.isalnum() or char in "._+-@:/ ")):
                self.plain = False
            previous = char
            j += 1
        return j + 1  # past ']' (an unclosed bracket is left to the engines' errors)

    def group(self, i: int) -> None:
        rest = self.pattern[i + 1 :]
        if rest.startswith(("?=", "?!", "?<=", "?<!", "?P=")):
            self.refuse(_LOOKAROUND)
            return
        flags = re.match(r"\?([a-zA-Z-]*)[):]", rest)  # a prefix
        if flags and "i" in flags.group(1).partition("-")[0]:
            self.refuse(
                "uses the flag i: Python's re and RE2 fold cases differently (Python matches"
                " (?i)i against the Turkish dotted capital I, U+0130, RE2 does not): list both"
                " cases instead, e.g. [Vv]"
            )

    def quantifier(self, i: int, atom: bool) -> None:
        if not atom:
            self.plain = False  # nothing to repeat, a lazy '?' or a doubled quantifier
        elif self.pattern[i] != "?":
            self.budget += 1

    def braces(self, i: int, atom: bool) -> int:
        found = _REPEAT.match(self.pattern, i)  # a prefix, at i
        assert found is not None
        low, comma, high = found.group(1), found.group(2), found.group(3)
        if not low and comma:
            self.refuse(
                f"uses {found.group()}, which Python's re reads as a repetition from 0 but RE2"
                f" as the literal text {found.group()}: write {{0,{high}}}"
                if high
                else f"uses {found.group()}, which Python's re reads as '*' but RE2 as the"
                f" literal text {found.group()}: write *"
            )
        elif not low:
            self.plain = False  # '{}' is literal text in both
        else:
            counts = [int(low), int(high)] if high else [int(low)]
            if not atom or max(counts) > MAX_REPEAT:
                self.plain = False  # let the engines word the error
            self.budget += max(counts)
        return found.end()


def plain(pattern: str) -> bool:
    """Literals, ASCII bracket classes and simple quantifiers: every engine reads it alike."""
    scan = _Scan(pattern).run()
    return scan.problem is None and scan.plain and _python_problem(pattern) is None


def pattern_problem(pattern: str) -> str | None:
    """Why the listener (RE2) or Python would not read ``pattern`` as meant, or None."""
    scan = _Scan(pattern).run()
    if scan.problem == _LOOKAROUND:
        return scan.problem
    python = _python_problem(pattern)
    if scan.plain and scan.problem is None and python is None:
        return None
    engine = _re2_problem(pattern)
    if engine is not None:
        return engine
    if scan.problem is not None:
        return scan.problem
    if python is not None:
        return (
            f"is RE2 that Python's re cannot read ({python}); benchgen and most tools check"
            " values with Python: write it in the syntax both share (e.g. [A-Za-z] for \\pL)"
        )
    return None


def _python_problem(pattern: str) -> str | None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "possible nested set" and the like: a meaning to come
        try:
            re.compile(pattern)
        except (re.error, FutureWarning, DeprecationWarning) as err:
            return str(err)
        except RecursionError:
            return "nested too deeply"
    return None


_OPTIONS: Any = None


def _re2() -> Any:
    """The RE2 module and the options that read patterns as Go's regexp does."""
    global _OPTIONS
    import re2  # type: ignore[import-untyped]  # not plain patterns only: ~3 ms, then

    if _OPTIONS is None:
        options = re2.Options()
        options.log_errors = False  # errors are ours to word, not stderr's
        _OPTIONS = options
    return re2


def _re2_problem(pattern: str) -> str | None:
    re2 = _re2()
    # The pattern alone first (its own error reads better), then as the listener has it.
    for text in (pattern, listener_regex(pattern)):
        try:
            re2.compile(text, _OPTIONS)
        except re2.error as err:
            reason = err.args[0] if err.args else str(err)
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            return (
                "is not valid RE2, the syntax of the listener's CEL matches() (Go's regexp):"
                f" {reason}"
            )
    return None


def listener_matches(pattern: str, value: str) -> bool:
    """True when the listener's ``matches('^(?:<pattern>)$')`` accepts ``value``."""
    if plain(pattern):
        return re.fullmatch(pattern, value) is not None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False  # not text the listener could receive
    re2 = _re2()
    return re2.compile(listener_regex(pattern), _OPTIONS).search(value) is not None
