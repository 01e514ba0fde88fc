"""Fixtures for the runtime tests: a fake orchestrator on loopback and a simulated clock."""

import json
from collections.abc import Iterator

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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeOrchestrator]:
    with FakeOrchestrator(clock=clock) as server:
        yield server


@pytest.fixture
def submit_env(fake: FakeOrchestrator) -> dict[str, str]:
    return {
        **fake.env(),
        "BENCHGEN_REQUEST_SPEC": json.dumps(SPEC, sort_keys=True, separators=(",", ":")),
        "BENCHGEN_IDEMPOTENCY_KEY": "5f0c4a7e-0000-4000-8000-000000000001",
        "BENCHGEN_PARAM_DVC_DATA_VERSION": "v1.0.0",
        "BENCHGEN_PARAM_PROMPTS_VERSION": "v1.1.0",
        "BENCHGEN_PARAM_KNOWN_NON_ISSUES_VERSION": "v1.2.0",
        "BENCHGEN_PARAM_IMAGE_VERSION": "v2.1.0",
        "BENCHGEN_PARAM_SUBMITTED_BY": "ci",
        "BENCHGEN_PARAM_USE_KNOWN_FALSE_POSITIVE_FILE": "true",
    }
