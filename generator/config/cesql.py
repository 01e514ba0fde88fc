"""CESQL (CloudEvents SQL) filters, checked as Knative's Broker will parse them.

An accepted event's ``cesql`` becomes a Knative Trigger's ``spec.filters``
entry. Knative parses it with the CloudEvents Go SDK (``sdk-go/sql/v2``, an
ANTLR grammar), and a filter that does not parse never lets an event through.
No Python library parses CESQL, so this is a small recursive-descent parser
of that grammar: the same tokens (keywords in any case, longest match first),
the same operators and precedence, ``NOT? LIKE 'string'``, ``NOT? IN (set)``,
``EXISTS attribute``, function calls, integers that carry their sign (``a -1``
is two values to Go's lexer, not a subtraction) and fit in 32 bits. It is
stricter than Go where Go would accept something that can never be meant: a
character the lexer does not know (Go's lexer drops it with a warning), an
unknown function or a wrong number of arguments (Go fails every event), and a
filter that is not a condition (a bare attribute or number). tests/conformance runs a
corpus of expressions through the Go parser to prove the two agree.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing costs start-up time on the plugin's cold path
if TYPE_CHECKING:
    from collections.abc import Callable

# Built-in functions of CESQL v1 and how many arguments each takes (min, max).
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "ABS": (1, 1),
    "LENGTH": (1, 1),
    "CONCAT": (0, None),
    "CONCAT_WS": (1, None),
    "LOWER": (1, 1),
    "UPPER": (1, 1),
    "TRIM": (1, 1),
    "LEFT": (2, 2),
    "RIGHT": (2, 2),
    "SUBSTRING": (2, 3),
    "INT": (1, 1),
    "BOOL": (1, 1),
    "STRING": (1, 1),
    "IS_BOOL": (1, 1),
    "IS_INT": (1, 1),
}
_BOOLEAN_FUNCTIONS = {"BOOL", "IS_BOOL", "IS_INT"}
_KEYWORDS = {"AND", "OR", "XOR", "NOT", "LIKE", "EXISTS", "IN", "TRUE", "FALSE"}
_SYMBOLS = ("!=", ">=", "<>", "<=", "(", ")", ",", "*", "/", "%", "+", "-", "=", ">", "<")
_COMPARISONS = {"=", "!=", "<>", ">=", "<=", "<", ">"}
_WORD = re.compile(r"[A-Za-z0-9_]+")
# The lexer's INTEGER_LITERAL carries its sign: "a -1" is two values, not a subtraction.
_SIGNED = re.compile(r"[+-][0-9]+")
_SPACE = re.compile(r"[ \t\r\n]+")
_STRING = {
    "'": re.compile(r"'(?:\\.|''|[^'\\])*'", re.DOTALL),
    '"': re.compile(r'"(?:\\.|""|[^"\\])*"', re.DOTALL),
}
MIN_INT, MAX_INT = -(2**31), 2**31 - 1
MAX_NESTING = 100


class CesqlError(ValueError):
    """Not a CESQL filter Knative can use; the message says where and why."""


class _Token:
    __slots__ = ("kind", "position", "text")

    def __init__(self, kind: str, text: str, position: int) -> None:
        self.kind = kind  # a keyword, a symbol, STRING, INTEGER, IDENT, IDENT_NUM, FUNC or END
        self.text = text
        self.position = position

    def describe(self) -> str:
        return "the end" if self.kind == "END" else repr(self.text)


_RUNS = {
    # The lexer's rules for a run of [A-Za-z0-9_] (seen upper-cased), in their order.
    "INTEGER": re.compile(r"[0-9]+"),
    "IDENT": re.compile(r"[A-Z]+"),
    "IDENT_NUM": re.compile(r"[A-Z0-9]+"),
    "FUNC": re.compile(r"[A-Z][A-Z_]*"),
}


def _word_kind(word: str) -> tuple[str, int]:
    """The ANTLR lexer's choice for a run of [A-Za-z0-9_]: the longest match, and of
    equally long ones the rule defined first (keywords come before the others)."""
    upper = word.upper()
    if upper in _KEYWORDS:
        return upper, len(upper)  # nothing longer than the whole run
    kind, length = "", 0
    for name, rule in _RUNS.items():
        found = rule.match(upper)  # a prefix
        if found and found.end() > length:
            kind, length = name, found.end()
    return kind, length


def tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i = 0
    while i < len(text):
        space = _SPACE.match(text, i)  # a prefix, at i
        if space:
            i = space.end()
            continue
        char = text[i]
        if char in _STRING:
            found = _STRING[char].match(text, i)  # a prefix, at i
            if found is None:
                kind = "string" if char == "'" else "double-quoted string"
                raise CesqlError(f"the {kind} at position {i + 1} is never closed")
            out.append(_Token("STRING", found.group(), i))
            i = found.end()
            continue
        signed = _SIGNED.match(text, i)  # a prefix, at i
        if signed:
            out.append(_Token("INTEGER", signed.group(), i))
            i = signed.end()
            continue
        word = _WORD.match(text, i)  # a prefix, at i
        if word:
            kind, length = _word_kind(word.group())
            out.append(_Token(kind, text[i : i + length], i))
            i += length
            continue
        symbol = next((s for s in _SYMBOLS if text.startswith(s, i)), None)
        if symbol is None:
            raise CesqlError(f"{char!r} at position {i + 1} is not part of CESQL")
        out.append(_Token(symbol, symbol, i))
        i += len(symbol)
    out.append(_Token("END", "", len(text)))
    return out


class _Parser:
    """Precedence, highest first: function calls, NOT and unary minus, EXISTS and
    parentheses; LIKE and IN; * / %; + -; comparisons; AND OR XOR (right to left)."""

    def __init__(self, text: str) -> None:
        self.tokens = tokens(text)
        self.index = 0
        self.nesting = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> _Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.token
        self.index += 1
        return token

    def expect(self, kind: str, what: str) -> _Token:
        if self.token.kind != kind:
            self.fail(f"expected {what}")
        return self.take()

    def fail(self, expected: str) -> None:
        token = self.token
        hint = ""
        if token.kind == "INTEGER" and token.text[0] in "+-":
            hint = f" (CESQL reads it as one number: write {token.text[0]} {token.text[1:]})"
        raise CesqlError(
            f"{expected} at position {token.position + 1}, found {token.describe()}{hint}"
        )

    def nested(self, parse: Callable[[], str]) -> str:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise CesqlError(f"nests more than {MAX_NESTING} levels deep")
        try:
            return parse()
        finally:
            self.nesting -= 1

    # Each parse_* returns the static type of what it parsed: bool, int, string
    # or attr (an attribute, a string the engine casts as needed).

    def parse(self) -> str:
        kind = self.expression(0)
        if self.token.kind != "END":
            self.fail("expected an operator or the end")
        return kind

    def expression(self, level: int) -> str:
        return self.nested(lambda: self._expression(level))

    def _expression(self, level: int) -> str:
        kind = self.prefix()
        while True:
            token = self.token
            op = token.kind
            if level <= 4 and (
                op in ("LIKE", "IN") or (op == "NOT" and self.peek().kind in ("LIKE", "IN"))
            ):
                if op == "NOT":
                    self.take()
                if self.take().kind == "LIKE":
                    self.expect("STRING", "a quoted pattern after LIKE")
                else:
                    self.set()
                kind = "bool"
            elif level <= 3 and op in ("*", "/", "%"):
                self.take()
                self.expression(4)
                kind = "int"
            elif level <= 2 and op in ("+", "-"):
                self.take()
                self.expression(3)
                kind = "int"
            elif level <= 1 and op in _COMPARISONS:
                self.take()
                self.expression(2)
                kind = "bool"
            elif level <= 0 and op in ("AND", "OR", "XOR"):
                self.take()
                self.expression(0)  # right-associative, as the grammar says
                kind = "bool"
            else:
                return kind

    def prefix(self) -> str:
        token = self.token
        kind = token.kind
        if kind == "NOT":
            self.take()
            self.expression(5)
            return "bool"
        if kind == "-":
            self.take()
            self.expression(5)
            return "int"
        if kind == "EXISTS":
            self.take()
            if self.token.kind not in ("IDENT", "IDENT_NUM"):
                self.fail("expected an attribute name after EXISTS")
            self.take()
            return "bool"
        if kind == "(":
            self.take()
            inner = self.expression(0)
            self.expect(")", "expected ')'")
            return inner
        if kind in ("IDENT", "FUNC") and self.peek().kind == "(":
            return self.call()
        if kind in ("TRUE", "FALSE"):
            self.take()
            return "bool"
        if kind == "INTEGER":
            if not MIN_INT <= int(token.text) <= MAX_INT:
                raise CesqlError(
                    f"{token.text} at position {token.position + 1} is beyond CESQL's 32-bit"
                    f" integers ({MIN_INT} to {MAX_INT})"
                )
            self.take()
            return "int"
        if kind == "STRING":
            self.take()
            return "string"
        if kind in ("IDENT", "IDENT_NUM"):
            self.take()
            return "attr"
        self.fail("expected a value, an attribute, a function call, NOT, EXISTS or '('")
        return ""  # not reached

    def call(self) -> str:
        name = self.take()
        self.take()  # (
        count = 0
        if self.token.kind != ")":
            self.expression(0)
            count = 1
            while self.token.kind == ",":
                self.take()
                self.expression(0)
                count += 1
        self.expect(")", "expected ',' or ')' in the arguments")
        upper = name.text.upper()
        arity = FUNCTIONS.get(upper)
        if arity is None:
            raise CesqlError(
                f"{name.text}() at position {name.position + 1} is not a CESQL function"
                f" (known: {', '.join(FUNCTIONS)})"
            )
        low, high = arity
        if count < low or (high is not None and count > high):
            wanted = (
                f"{low}" if low == high else f"{low} or more" if high is None else f"{low}-{high}"
            )
            raise CesqlError(
                f"{name.text}() at position {name.position + 1} takes {wanted} arguments, not"
                f" {count}"
            )
        if upper in _BOOLEAN_FUNCTIONS:
            return "bool"
        return "int" if upper in ("ABS", "LENGTH", "INT") else "string"

    def set(self) -> None:
        self.expect("(", "expected '(' and a list of values after IN")
        self.expression(0)
        while self.token.kind == ",":
            self.take()
            self.expression(0)
        self.expect(")", "expected ',' or ')' in the IN list")


def filter_problem(text: str) -> str | None:
    """Why Knative could not use ``text`` as a CESQL filter, or None."""
    try:
        kind = _Parser(text).parse()
    except CesqlError as err:
        return str(err)
    except RecursionError:
        return f"nests more than {MAX_NESTING} levels deep"
    if kind != "bool":
        what = {"int": "a number", "string": "a string", "attr": "an attribute's value"}[kind]
        return (
            f"is {what}, not a condition: a filter must be true or false for an event"
            " (e.g. subject LIKE 'bench/%')"
        )
    return None
