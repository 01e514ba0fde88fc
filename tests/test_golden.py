"""Golden files: tests/golden/<case>/config.yaml -> expected.yaml, or errors.txt.

expected.yaml is the exact `benchgen render` stream. Cases named errors-*
must fail instead: their errors.txt holds one
regular expression per line; each must match one line of what `validate`
prints, in order, and there must be no other problem lines. Regenerate with
`pytest tests/test_golden.py --update-golden` and review the diff.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator.compile import build
from generator.config.load import load_file
from generator.errors import ConfigError
from generator.render.emit import dump_stream
from tests.conftest import EXAMPLE, GOLDEN

CASES = sorted(
    p.name for p in GOLDEN.iterdir() if (p / "config.yaml").exists() or p.name == "example"
)


def config_of(case: str) -> Path:
    return EXAMPLE if case == "example" else GOLDEN / case / "config.yaml"


def render(config: Path) -> str:
    loaded = load_file(config, fast=False)
    result = build(*loaded)
    return dump_stream(result.manifests, loaded.bench.metadata.name)


def _escape(line: str) -> str:
    """Like re.escape, but leaves spaces, quotes and '-' alone so the file stays readable."""
    return re.sub(r"([.^$*+?{}\[\]|()\\])", r"\\\1", line)


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, update_golden: bool) -> None:
    folder = GOLDEN / case
    config = config_of(case)
    errors_file = folder / "errors.txt"
    expected_file = folder / "expected.yaml"
    if case.startswith("errors-"):
        with pytest.raises(ConfigError) as caught:
            render(config)
        lines = [str(p).replace(str(config), "config.yaml") for p in caught.value.problems]
        if update_golden:
            errors_file.write_text("".join(_escape(line) + "\n" for line in lines))
        assert errors_file.exists(), f"{errors_file} is missing; run pytest --update-golden"
        patterns = errors_file.read_text().splitlines()
        assert len(lines) == len(patterns), "\n".join(lines)
        for pattern, line in zip(patterns, lines, strict=True):
            assert re.fullmatch(pattern, line), f"{line!r} does not match {pattern!r}"
        return
    out = render(config)
    if update_golden or not expected_file.exists():
        assert update_golden, f"{expected_file} is missing; run pytest --update-golden"
        expected_file.write_text(out)
    assert out == expected_file.read_text(), "output changed; run pytest --update-golden and review"


def test_rendering_cases_name_distinct_objects() -> None:
    """`make e2e` applies every case into one API server, each with its own field
    manager: two cases rendering the same object would conflict there (as
    record-refusals once did with the example). Said here without the server."""
    owner: dict[tuple[str, str, str], str] = {}
    clashes = []
    for expected in sorted(GOLDEN.glob("*/expected.yaml")):
        for obj in yaml.safe_load_all(expected.read_text()):
            meta = obj["metadata"]
            at = (obj["kind"], meta.get("namespace") or "default", meta["name"])
            first = owner.setdefault(at, expected.parent.name)
            if first != expected.parent.name:
                clashes.append(f"{at}: {first} and {expected.parent.name}")
    assert len(owner) > 100, "no golden objects read"
    assert clashes == [], "give the cases names or namespaces of their own:\n" + "\n".join(clashes)
