"""Patterns and filters mean what the listener's CEL and the Broker's CESQL mean (issue 14).

The verdicts of tests/conformance/expressions.yaml, checked on benchgen's side:
every accepted pattern means the same in RE2 (google-re2, the engine of the
listener's matches()) and in Python's re; every refused one is refused with a
located message at `benchgen validate`. The Go side of the same file runs in
tests/conformance (marker conformance).
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import re2
import yaml

from generator.compile import cel
from generator.config import facts, patterns, rules
from generator.config.cesql import filter_problem
from generator.config.fullload import load_text
from generator.contract import names as kube
from generator.errors import ConfigError
from tests.conftest import EXAMPLE, GOLDEN, ROOT

CORPUS: dict[str, Any] = yaml.safe_load(
    (ROOT / "tests" / "conformance" / "expressions.yaml").read_text(encoding="utf-8")
)
EXAMPLE_TEXT = EXAMPLE.read_text()
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


def re2_matches(regex: str, value: str) -> bool:
    return re2.compile(regex, _OPTIONS).search(value) is not None


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_text(text, "b.yaml")
    return [str(p) for p in caught.value.problems]


def with_pattern(pattern: str) -> str:
    old = '      pattern: "[A-Za-z0-9][A-Za-z0-9._+-]{0,127}"\n'
    assert old in EXAMPLE_TEXT
    return EXAMPLE_TEXT.replace(
        old, f"      pattern: {yaml.safe_dump(pattern).split(chr(10))[0]}\n", 1
    )


ACCEPTED = CORPUS["patterns"]["accept"]
REFUSED = CORPUS["patterns"]["refuse"]


@pytest.mark.parametrize("entry", ACCEPTED, ids=[e["pattern"] for e in ACCEPTED])
def test_accepted_patterns_mean_the_same_everywhere(entry: dict[str, Any]) -> None:
    pattern = entry["pattern"]
    assert patterns.pattern_problem(pattern) is None
    assert rules.re2_pattern(pattern) == pattern
    listener = patterns.listener_regex(pattern)
    for value, expected in [(v, True) for v in entry["match"]] + [
        (v, False) for v in entry["nomatch"]
    ]:
        assert re2_matches(listener, value) is expected, (value, "RE2")
        assert (re.fullmatch(pattern, value) is not None) is expected, (value, "Python's re")
        assert patterns.listener_matches(pattern, value) is expected, (value, "benchgen")


@pytest.mark.parametrize("entry", REFUSED, ids=[e["pattern"] for e in REFUSED])
def test_refused_patterns_fail_validate_where_they_are(entry: dict[str, Any]) -> None:
    pattern = entry["pattern"]
    problem = patterns.pattern_problem(pattern)
    assert problem is not None
    text = with_pattern(pattern)
    line = next(i for i, raw in enumerate(text.splitlines(), 1) if raw.startswith("      pattern:"))
    found = problems(text)
    assert found == [f"b.yaml:{line}:7: spec.params[1].pattern: {pattern!r} {problem}"]


def test_the_issues_examples_read_well() -> None:
    expect = {
        "[a-z]{0,2000}": "is not valid RE2, the syntax of the listener's CEL matches() (Go's"
        " regexp): invalid repetition size: {0,2000}",
        "a{,3}": "uses {,3}, which Python's re reads as a repetition from 0 but RE2 as the"
        " literal text {,3}: write {0,3}",
        "(?=x)": "uses look-around or back-references, which CEL's RE2 engine does not support",
        "\\d+": "uses \\d, which matches Unicode characters in Python's re but only ASCII in"
        " RE2: write [0-9]",
    }
    for pattern, message in expect.items():
        assert patterns.pattern_problem(pattern) == message


def test_the_listener_wraps_the_pattern_as_benchgen_checks_it() -> None:
    param = load_text(EXAMPLE_TEXT, "b.yaml").bench.spec.params[1]
    assert param.pattern is not None
    check = cel.param_check(param)
    assert f".matches({cel.literal(patterns.listener_regex(param.pattern))})" in check


# -- the listener's own regexes -------------------------------------------------

_MIRRORS = {
    kube.LABEL_VALUE_PATTERN: lambda v: kube.label_value_problem(v) is None,
    facts.IMAGE_VALUE_PATTERN: lambda v: re.fullmatch(facts.IMAGE_VALUE_PATTERN, v) is not None,
    cel.EVENT_ID_PATTERN: lambda v: re.fullmatch(cel.EVENT_ID_PATTERN, v) is not None,
    patterns.BLANK_PATTERN: patterns.blank,
}


def test_the_corpus_holds_the_listeners_regexes() -> None:
    assert [e["regex"] for e in CORPUS["listener_regexes"]] == list(_MIRRORS)


@pytest.mark.parametrize(
    "entry", CORPUS["listener_regexes"], ids=[e["regex"] for e in CORPUS["listener_regexes"]]
)
def test_benchgen_mirrors_the_listeners_regexes(entry: dict[str, Any]) -> None:
    mirror = _MIRRORS[entry["regex"]]
    for value, expected in [(v, True) for v in entry["match"]] + [
        (v, False) for v in entry["nomatch"]
    ]:
        assert re2_matches(entry["regex"], value) is expected, (value, "RE2")
        assert mirror(value) is expected, (value, "benchgen")


def test_a_vertical_tab_is_not_blank_to_the_listener() -> None:
    """Go's \\s has no \\v, so the listener accepts it; str.strip() would call it blank."""
    bench = load_text(EXAMPLE_TEXT, "b.yaml").bench
    param = next(p for p in bench.spec.params if p.name == "dvc-data-version")
    assert facts.listener_value_problem(bench, param, " \t") == (
        "is blank, and the param is required"
    )
    assert facts.listener_value_problem(bench, param, "\v") != (
        "is blank, and the param is required"
    )


# -- field paths and CESQL -------------------------------------------------------


@pytest.mark.parametrize("source", CORPUS["sources"]["accept"])
def test_sources_cel_can_select(source: str) -> None:
    assert rules.param_source(source) == source


@pytest.mark.parametrize("entry", CORPUS["sources"]["refuse"], ids=lambda e: e["source"])
def test_sources_that_are_cel_keywords(entry: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="which the listener's CEL cannot select"):
        rules.param_source(entry["source"])


@pytest.mark.parametrize("expression", CORPUS["cesql"]["accept"])
def test_accepted_cesql(expression: str) -> None:
    assert filter_problem(expression) is None


@pytest.mark.parametrize("entry", CORPUS["cesql"]["refuse"], ids=lambda e: e["expression"])
def test_refused_cesql(entry: dict[str, Any]) -> None:
    assert filter_problem(entry["expression"]) is not None


def cloud_config(cesql: str) -> str:
    text = (GOLDEN / "cloudevents-observe" / "config.yaml").read_text()
    old = "cesql: \"subject LIKE 'bench/%'\""
    assert old in text
    return text.replace(old, f"cesql: {yaml.safe_dump(cesql).splitlines()[0]}")


def test_an_unterminated_cesql_string_fails_validate() -> None:
    text = cloud_config("subject LIKE '")
    line = next(i for i, raw in enumerate(text.splitlines(), 1) if "cesql:" in raw)
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith(f"b.yaml:{line}:")
    assert found[0].endswith(
        '.cesql: "subject LIKE \'" is not a CESQL filter Knative can use: the string at'
        " position 14 is never closed"
    )


def test_a_cel_keyword_source_fails_validate() -> None:
    text = EXAMPLE_TEXT.replace("from: body.dvc_data_version", "from: body.in", 1)
    found = problems(text)
    assert (
        len(found) == 1 and ": spec.params[1].from: 'body.in' reads a field named 'in'" in found[0]
    )


# -- the plain subset: decided without RE2, so it must agree with RE2 -------------

_ATOMS = ["a", "b", "Z", "0", "9", "-", "_", ".", "\\.", "\\-", "\\+", "\\/", " ", "#", "'"]
_CLASSES = ["[a-z]", "[A-Za-z0-9]", "[._+-]", "[^/]", "[0-9a-f]", "[-a]", "[a-]", "[.]"]
_QUANTIFIERS = ["", "", "", "?", "*", "+", "{2}", "{0,3}", "{1,}", "{3,1000}"]
_PROBES = ["", "a", "ab", "aaa", "a-b", "a.b", "Z9", "--", "a\n", "é", "00", "a/b", "ab_", "a b"]


def _plain_candidate(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.15 and depth < 2:
            body = "|".join(_plain_candidate(rng, depth + 1) for _ in range(rng.randint(1, 2)))
            atom = f"({body})" if rng.random() < 0.5 else f"(?:{body})"
            parts.append(atom + rng.choice(["", "?", "*", "+"]))
        else:
            atom = rng.choice(_CLASSES) if roll < 0.5 else rng.choice(_ATOMS)
            parts.append(atom + rng.choice(_QUANTIFIERS))
    return "".join(parts)


def test_plain_patterns_agree_with_re2() -> None:
    rng = random.Random(14)
    checked = 0
    for _ in range(3000):
        pattern = _plain_candidate(rng)
        if not patterns.plain(pattern):
            continue
        checked += 1
        assert patterns.pattern_problem(pattern) is None
        compiled = re2.compile(patterns.listener_regex(pattern), _OPTIONS)  # RE2 reads it
        for value in _PROBES:
            assert (compiled.search(value) is not None) is (
                re.fullmatch(pattern, value) is not None
            ), (pattern, value)
    assert checked > 1500


def test_escaped_punctuation_is_plain_and_re2() -> None:
    for char in "!\"#%&',-/:;<=>@_`~ .+*?()[]{}|^$\\":
        pattern = "\\" + char
        assert patterns.plain(pattern), pattern
        assert re2_matches(patterns.listener_regex(pattern), char), pattern


def _modules(*args: str) -> set[str]:
    code = (
        "import sys, io, contextlib\n"
        "from generator.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({list(args)!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    return {m.split(".")[0] for m in proc.stderr.rsplit("MODULES ", 1)[1].split()}


def test_rendering_plain_patterns_does_not_import_re2(tmp_path: Path) -> None:
    assert "re2" not in _modules("render")  # the example's patterns are plain
    config = tmp_path / "b.yaml"
    config.write_text(with_pattern("(?s)a.c"))
    assert "re2" in _modules("validate", str(config))  # not plain: RE2 reads it
