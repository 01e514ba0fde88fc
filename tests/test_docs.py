"""The CI examples in docs/ci/ are valid YAML and follow seed 002's flow: trigger with a
known, DNS-safe request id, stream /logs/<run> with curl -N, check /status/<run> with
curl -f, with the status API's bearer token from a CI secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator.compile.cel import EVENT_ID_PATTERN
from generator.config.models import TokenAuth
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "docs" / "ci").glob("*.yml"))


def _scripts(doc: dict[str, object]) -> str:
    """Every shell line of a GitLab or GitHub Actions document."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("script", "run"):
                    out.extend(value if isinstance(value, list) else [str(value)])
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(doc)
    return "\n".join(out)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_ci_example_follows_the_status_api_flow(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    script = _scripts(doc)
    assert re.search(r'curl [^\n]*-N [^\n]*"\$STATUS_URL/logs/\$RUN"', script)
    assert re.search(r'curl [^\n]*-f [^\n]*"\$STATUS_URL/status/\$RUN"', script)
    assert "Authorization: Bearer $" in script
    assert f"{TokenAuth.model_fields['header'].default}: $" in script
    assert "request_id" in script and 'RUN="${RUN_PREFIX}${REQUEST_ID}"' in script
    env = doc.get("variables") or doc.get("env")
    assert isinstance(env, dict)
    # The id the listener will accept: the CI's numeric ids behind a DNS-safe prefix.
    sample = re.sub(r"\$\{\{[^}]*\}\}|\$[A-Z_]+", "12345", env["REQUEST_ID"])
    assert re.fullmatch(EVENT_ID_PATTERN, sample), env["REQUEST_ID"]
    assert "BENCHGEN_STATUS_TOKEN" in path.read_text()  # a CI secret, never a literal


def test_readme_states_the_wait_tasks_timeout_as_rendered() -> None:
    """The README's `poll.timeout + X` is what the Pipeline gives the wait Task (issue 15)."""
    from generator.compile import build
    from generator.config.load import load_file
    from generator.contract.durations import parse_duration
    from tests.conftest import EXAMPLE

    readme = (ROOT / "README.md").read_text()
    claims = re.findall(r"the wait Task's own timeout is `poll\.timeout \+ (\w+)`", readme)
    assert claims, "the README no longer states the wait Task's timeout"
    loaded = load_file(EXAMPLE, fast=False)
    pipeline = next(m for m in build(*loaded).manifests if m["kind"] == "Pipeline")
    wait = next(t for t in pipeline["spec"]["tasks"] if t["name"] == "wait")
    added = parse_duration(wait["timeout"]) - parse_duration(loaded.bench.spec.poll.timeout)
    assert {parse_duration(c) for c in claims} == {added}, (claims, wait["timeout"])
