"""spec.triggers.select, spec.pipeline.variants and health probes on benchgen's side.

What the listeners do with them is proved by the real Triggers code on the golden
cases' sample events (tests/golden/*/events of configs with spec.triggers.select;
marker conformance) and on the real cluster
(tests/cluster/test_select.py). Here: the variant's config is the default's with
only its Tasks replaced, and `benchgen trigger` refuses locally what no trigger of
the listener would pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from generator.config.load import load_file
from generator.config.variants import DEFAULT, targets, variants
from generator.errors import UsageError
from generator.trigger import CloudEventOptions, build_cloudevent, build_event
from tests.conftest import EXAMPLE, GOLDEN
from tests.test_trigger import Recording, _serve, fields, trigger

BODY = GOLDEN / "select-webhook-body" / "config.yaml"
EXECUTE = "org.eoepca.application-quality.events.pipeline.execute"
PROBE = "org.eoepca.application-quality.probes.health"
VALUES = {"dvc-data-version": "v1", "prompts-version": "v2", "known-non-issues-version": "v3"}


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    """The example with seed 001's event kinds: pipelines/<id> in the subject, a probe."""
    config = yaml.safe_load(EXAMPLE.read_text())
    spec = config["spec"]
    spec["triggers"]["cloudEvents"] = {
        "accept": [
            {"typePrefix": "org.eoepca.application-quality.events.", "name": "aq-events"},
            {"typePrefix": "org.eoepca.application-quality.probes.", "name": "aq-probes",
             "probe": True},
        ]
    }  # fmt: skip
    spec["triggers"]["select"] = {
        "from": "ce-subject",
        "cases": {"pipelines/17": "default", "pipelines/18": "notebook-execution"},
    }
    spec["pipeline"]["variants"] = [
        {
            "name": "notebook-execution",
            "tasks": [{"name": "execution", "runAfter": ["wait"], "taskRef": {"name": "exec"}}],
        }
    ]
    path = tmp_path / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.mark.parametrize("fast", [False, True])
def test_a_variant_is_the_config_with_its_own_tasks(fast: bool, seed: Path) -> None:
    loaded = load_file(seed, fast=fast)
    bench, names = loaded.bench, loaded.names
    (variant,) = variants(bench, names)
    assert variant.name == "notebook-execution"
    assert [t.name for t in variant.bench.spec.pipeline.tasks] == ["execution"]
    assert variant.bench.spec.pipeline.variants == []
    # Everything else is the default's, read through, and the default is untouched.
    assert variant.bench.spec.params is bench.spec.params
    assert variant.bench.spec.pipeline.image == bench.spec.pipeline.image
    assert bench.spec.pipeline.tasks == []
    assert variant.names.pipeline == "benchmark-mlop-pipeline-notebook-execution"
    assert variant.names.events_template == (
        "benchmark-mlop-cloudevents-template-notebook-execution"
    )
    assert variant.names.labels["benchgen.dev/variant"] == "notebook-execution"
    assert [(t.name, values) for t, values in targets(bench, names)] == [
        (DEFAULT, ["pipelines/17"]),
        ("notebook-execution", ["pipelines/18"]),
    ]


def test_cloudevent_subject_must_select_a_pipeline(seed: Path) -> None:
    bench = load_file(seed, fast=False).bench
    event = build_cloudevent(
        bench, VALUES, CloudEventOptions(type=EXECUTE, subject="pipelines/18", id="1")
    )
    assert event.headers["Ce-Subject"] == "pipelines/18"
    for subject, shown in (("pipelines/170", "'pipelines/170'"), (None, "missing")):
        with pytest.raises(UsageError) as caught:
            build_cloudevent(bench, VALUES, CloudEventOptions(type=EXECUTE, subject=subject))
        assert f"ce-subject is {shown}, in no case of spec.triggers.select" in str(caught.value)


def test_a_probe_type_is_refused_locally(seed: Path) -> None:
    bench = load_file(seed, fast=False).bench
    with pytest.raises(UsageError) as caught:
        build_cloudevent(bench, VALUES, CloudEventOptions(type=PROBE, subject="pipelines/17"))
    assert f"type {PROBE!r} is a health probe" in str(caught.value)


def test_webhook_select_reads_the_body_as_the_listener_does() -> None:
    bench = load_file(BODY, fast=False).bench
    with pytest.raises(UsageError) as caught:
        build_event(bench, {"data": "d-1"}, b"secret")
    assert "body.pipeline.id is missing, in no case" in str(caught.value)
    assert "'quick', \"o'full\", 'back\\\\slash'" in str(caught.value)


class _Answer(Recording):
    pass


@pytest.fixture
def events_listener() -> Iterator[_Answer]:
    yield from _serve(_Answer)


def test_benchgen_trigger_sends_a_selected_event_and_refuses_an_unselected_one(
    events_listener: _Answer, seed: Path
) -> None:
    args = ["--cloudevent", "--type", EXECUTE, "--url", events_listener.url]
    values = fields(*(f"{k}={v}" for k, v in VALUES.items()))
    proc = trigger(str(seed), *args, "--subject", "pipelines/17", *values, secret=None)
    assert proc.returncode == 0, proc.stderr
    ((headers, _),) = events_listener.received
    assert headers["Ce-Subject"] == "pipelines/17"
    proc = trigger(str(seed), *args, "--subject", "pipelines/99", *values, secret=None)
    assert proc.returncode == 2
    assert "the listener would reject this event" in proc.stderr
    assert len(events_listener.received) == 1
