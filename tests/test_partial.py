"""Every problem at once: the cross-field checks run on a config with broken fields too
(generator/config/partial.py), and only those that read none of them report."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from generator.config import checks, fullload, partial
from generator.config.models import Benchmark
from generator.config.names import build_names, resolve_namespace
from generator.errors import ConfigError
from tests.conftest import EXAMPLE, GOLDEN

CONFIGS = [EXAMPLE, *sorted(GOLDEN.glob("*/config.yaml"))]


def _model_or_none(config: Path) -> Benchmark | None:
    """The model of a config whose fields are all valid (cross-field problems allowed)."""
    try:
        return Benchmark.model_validate(document(config))
    except ValidationError:
        return None


def problems(document: dict[str, Any], namespace: str | None = None) -> set[tuple[str, str]]:
    """(path, message) of every problem the full loader reports on a document."""
    with pytest.raises(ConfigError) as caught:
        fullload._load_document(
            copy.deepcopy(document), fullload._Located(), "config.yaml", namespace
        )
    return {(p.path, p.message) for p in caught.value.problems}


def document(config: Path) -> dict[str, Any]:
    doc, _ = fullload._parse(config.read_bytes(), str(config))
    assert isinstance(doc, dict)
    return doc


def test_a_typo_and_a_short_pipeline_timeout_are_reported_together() -> None:
    doc = document(EXAMPLE)
    doc["spec"]["poll"]["intreval"] = doc["spec"]["poll"].pop("interval")
    doc["spec"]["pipeline"]["timeout"] = "8h"
    found = problems(doc)
    assert ("spec.poll.intreval", "unknown field 'intreval'; did you mean 'interval'?") in found
    assert any(
        path == "spec.pipeline.timeout" and message.startswith("8h is too short")
        for path, message in found
    )
    assert len(found) == 2


def test_a_check_that_reads_a_broken_field_stays_silent() -> None:
    doc = document(EXAMPLE)
    doc["spec"]["poll"]["timeout"] = "eight hours"  # what the timeout check would read
    doc["spec"]["pipeline"]["timeout"] = "1h"
    doc["spec"]["labels"] = {"benchgen.dev/benchmark": "mine"}  # read by another check
    paths = {path for path, _ in problems(doc)}
    assert paths == {"spec.poll.timeout", 'spec.labels["benchgen.dev/benchmark"]'}


def test_a_broken_required_field_gets_a_stand_in_and_its_readers_stay_silent() -> None:
    doc = document(EXAMPLE)
    doc["metadata"]["name"] = "Bad_Name"  # every derived name reads it
    doc["spec"]["pipeline"]["timeout"] = "8h"  # the timeout check does not
    paths = {path for path, _ in problems(doc)}
    assert paths == {"metadata.name", "spec.pipeline.timeout"}


def test_a_broken_list_item_silences_the_checks_that_walk_the_list() -> None:
    doc = document(EXAMPLE)
    doc["spec"]["params"][0]["name"] = "Bad Name"
    doc["spec"]["params"].append({"name": "unused", "from": "body.unused"})  # _params'
    doc["spec"]["pipeline"]["timeout"] = "8h"
    paths = {path for path, _ in problems(doc)}
    assert paths == {"spec.params[0].name", "spec.pipeline.timeout"}


def test_nothing_more_when_a_top_level_field_is_broken() -> None:
    doc = document(EXAMPLE)
    doc["spec"] = "none"
    assert {path for path, _ in problems(doc)} == {"spec"}


WELL_FORMED = [c for c in CONFIGS if _model_or_none(c) is not None]


@pytest.mark.parametrize("config", WELL_FORMED, ids=lambda p: p.parent.name)
def test_an_unknown_field_hides_no_cross_field_problem(config: Path) -> None:
    """Dropping an unknown field changes nothing a check reads: all its findings stay."""
    doc = document(config)
    bench = _model_or_none(config)
    assert bench is not None
    want = set(checks.check(bench, build_names(bench, resolve_namespace(bench))))
    # A name close to no field of any model (else the message adds "did you mean").
    doc["spec"]["poll"] = {**doc["spec"].get("poll", {}), "unknownTypo": 1}
    assert problems(doc) == want | {("spec.poll.unknownTypo", "unknown field 'unknownTypo'")}


@pytest.mark.parametrize("config", WELL_FORMED, ids=lambda p: p.parent.name)
def test_checks_see_the_same_config_through_the_watch(config: Path) -> None:
    """What each check finds is the same on the model and on the recording wrapper."""
    bench = _model_or_none(config)
    assert bench is not None
    ns = resolve_namespace(bench)
    reads = partial._Reads()
    wrapper: Any = partial._Watched(bench, (), reads)
    names: Any = partial._WatchedNames(wrapper, ns)
    watched = checks.every_check(wrapper, names)
    for plain, seen in zip(checks.every_check(bench, build_names(bench, ns)), watched, strict=True):
        assert list(seen()) == list(plain())
    assert reads.values  # and it recorded what they read
