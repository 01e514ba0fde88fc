"""Fixtures for the runtime tests: a fake orchestrator on loopback and a simulated clock."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.runtime.fake_orchestrator import FakeClock, FakeOrchestrator

# The seed's request, as the compiler writes BENCHGEN_REQUEST_SPEC.
SPEC = {
    "fields": [
        {"param": "dvc-data-version", "path": "testingDataNvrsVersion", "required": True,
         "type": "string"},
        {"param": "prompts-version", "path": "promptsVersion", "required": True, "type": "string"},
        {"param": "known-non-issues-version", "path": "knownNonIssuesVersion", "required": True,
         "type": "string"},
        {"param": "image-version", "path": "sastAiImage",
         "repository": "quay.io/ecosystem-appeng/sast-ai-workflow", "required": True,
         "type": "image"},
        {"param": "submitted-by", "path": "submittedBy", "required": False, "type": "string"},
        {"param": "use-known-false-positive-file", "path": "jobSettings.useKnownFalsePositiveFile",
         "required": False, "type": "boolean"},
    ]
}  # fmt: skip


# The same request, as GitLab pipeline variables (spec.orchestrator.profile: gitlab).
GITLAB_SPEC = {
    "fields": [
        {"param": "dvc-data-version", "path": "DVC_DATA_VERSION", "required": True,
         "type": "string"},
        {"param": "prompts-version", "path": "PROMPTS_VERSION", "required": True, "type": "string"},
        {"param": "image-version", "path": "SAST_AI_IMAGE",
         "repository": "quay.io/ecosystem-appeng/sast-ai-workflow", "required": True,
         "type": "image"},
        {"param": "use-known-false-positive-file", "path": "USE_KNOWN_FALSE_POSITIVE_FILE",
         "required": False, "type": "boolean"},
    ]
}  # fmt: skip


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Any]:
    """The sast-ai fake; a scenario every batch API must pass runs against each built-in
    profile's fake with ``@BOTH_APIS``."""
    from tests.runtime.fake_gitlab import FakeGitLab

    profile = getattr(request, "param", "sast-ai")
    server = FakeOrchestrator(clock=clock) if profile == "sast-ai" else FakeGitLab(clock=clock)
    with server:
        yield server


BOTH_APIS = pytest.mark.parametrize("fake", ["sast-ai", "gitlab"], indirect=True)


@pytest.fixture
def submit_env(fake: Any) -> dict[str, str]:
    """The seed's submit, in the terms of ``fake``'s API."""
    spec = SPEC if isinstance(fake, FakeOrchestrator) else GITLAB_SPEC
    return {
        **fake.env(),
        "BENCHGEN_REQUEST_SPEC": json.dumps(spec, sort_keys=True, separators=(",", ":")),
        "BENCHGEN_IDEMPOTENCY_KEY": "5f0c4a7e-0000-4000-8000-000000000001",
        "BENCHGEN_PARAM_DVC_DATA_VERSION": "v1.0.0",
        "BENCHGEN_PARAM_PROMPTS_VERSION": "v1.1.0",
        "BENCHGEN_PARAM_KNOWN_NON_ISSUES_VERSION": "v1.2.0",
        "BENCHGEN_PARAM_IMAGE_VERSION": "v2.1.0",
        "BENCHGEN_PARAM_SUBMITTED_BY": "ci",
        "BENCHGEN_PARAM_USE_KNOWN_FALSE_POSITIVE_FILE": "true",
    }
