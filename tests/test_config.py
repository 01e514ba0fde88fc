"""Config loading: exact messages and locations for the problems users hit."""

from __future__ import annotations

import pytest

from generator.config.durations import format_duration, parse_duration
from generator.config.load import load_bytes, load_text
from generator.config.paths import dotted, parse
from generator.errors import ConfigError
from tests.conftest import EXAMPLE

EXAMPLE_TEXT = EXAMPLE.read_text()


def problems(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(ConfigError) as caught:
        load_bytes(data, "b.yaml")
    return [str(p) for p in caught.value.problems]


def edit(old: str, new: str) -> str:
    assert old in EXAMPLE_TEXT, old
    return EXAMPLE_TEXT.replace(old, new, 1)


def line_of(text: str, needle: str, last: bool = False) -> int:
    found = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return found[-1] if last else found[0]


def test_example_loads() -> None:
    bench = load_text(EXAMPLE_TEXT, "benchmark.yaml.example")
    assert bench.metadata.name == "benchmark-mlop"
    assert [p.name for p in bench.spec.params] == [
        "submitted-by",
        "dvc-data-version",
        "prompts-version",
        "known-non-issues-version",
        "image-version",
        "use-known-false-positive-file",
    ]
    assert bench.spec.params[5].default_text == "true"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "b.yaml: is empty; run 'benchgen init' for a commented starter config"),
        (
            b"# only a comment\n",
            "b.yaml: is empty; run 'benchgen init' for a commented starter config",
        ),
        (b"caf\xe9: 1\n", "b.yaml:1:4: is not UTF-8 text (byte 0xe9); save it as UTF-8"),
        (
            b"a: [1,\n",
            "b.yaml:2:1: invalid YAML: expected the node content, but found '<stream end>'",
        ),
        (b"a: 1\na: 2\n", 'b.yaml:2:1: invalid YAML: duplicate key "a"; each key may appear once'),
        (
            b"a:\n\tb: 1\n",
            "b.yaml:2:1: invalid YAML: found character '\\t' that cannot start any token;"
            " YAML indents with spaces, not tabs",
        ),
        (
            b"a: &x 1\nb: *x\n",
            "b.yaml:1:4: YAML anchors and aliases (&name, *name, <<) are not supported: write the value out",
        ),
        (b"- 1\n- 2\n", "b.yaml:1:1: must be a mapping with apiVersion, kind, metadata and spec"),
        (b"a: 1\n---\nb: 2\n", "b.yaml:2:1: holds more than one YAML document; keep one"),
        (
            b"apiVersion: v1\nkind: ConfigMap\n",
            "b.yaml:1:1: apiVersion: must be 'benchgen.dev/v1alpha1' (got 'v1')",
        ),
    ],
)
def test_unreadable_files(data: bytes, expected: str) -> None:
    assert problems(data)[0] == expected


def test_alias_bomb_is_refused_fast() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    assert "anchors and aliases" in problems(bomb)[0]


def test_wrong_kind_and_missing_api_version() -> None:
    assert problems("kind: Pod\nspec: {}\n") == [
        "b.yaml:1:1: apiVersion: must be 'benchgen.dev/v1alpha1' (it is missing)",
        "b.yaml:1:1: kind: must be 'Benchmark' (got 'Pod')",
    ]


def test_unknown_field_points_at_its_line_with_a_suggestion() -> None:
    text = edit("    maxInterval: 10m", "    maxIntervall: 10m")
    line = line_of(text, "maxIntervall")
    assert problems(text) == [
        f"b.yaml:{line}:5: spec.poll.maxIntervall: unknown field 'maxIntervall'; did you mean 'maxInterval'?"
    ]


def test_every_field_problem_at_once() -> None:
    text = edit("  name: benchmark-mlop\n", "  name: Benchmark\n")
    text = text.replace("    interval: 10s", "    interval: 30 seconds")
    found = problems(text)
    assert len(found) == 2
    assert found[0].startswith(
        f"b.yaml:{line_of(text, 'name: Benchmark')}:3: metadata.name: 'Benchmark'"
    )
    assert found[1] == (
        f"b.yaml:{line_of(text, 'interval: 30 seconds')}:5: spec.poll.interval: '30 seconds' is not"
        " a duration; use hours, minutes and seconds such as 30s, 5m, 1h30m, 8h"
    )


def test_missing_field_points_at_parent() -> None:
    text = edit(
        "        secretRef:\n          name: benchmark-mlop-webhook\n          key: token\n", ""
    )
    assert problems(text) == [
        f"b.yaml:{line_of(text, '      auth:')}:7: spec.triggers.webhook.auth.secretRef: required field is missing"
    ]


def test_discriminator_tag_is_not_in_the_path() -> None:
    text = edit("          key: token\n", "          key: token\n        eventType: [push]\n")
    assert problems(text) == [
        f"b.yaml:{line_of(text, 'eventType:')}:9: spec.triggers.webhook.auth.eventType:"
        " unknown field 'eventType'; did you mean 'eventTypes'?"
    ]


def test_empty_image_default_is_refused() -> None:
    # The seed defaulted image_version to "" and the orchestrator rejects a blank sastAiImage.
    text = edit("      default: latest\n", '      default: ""\n')
    assert problems(text) == [
        f"b.yaml:{line_of(text, 'param: image-version')}:9: spec.orchestrator.request[3].param:"
        " the orchestrator requires a non-empty sastAiImage but param 'image-version' is optional"
        " with no default: make it 'required: true' or give it a default"
    ]


def test_poll_timeout_must_fit_in_the_pipeline_timeout() -> None:
    text = edit("    timeout: 8h30m\n", "    timeout: 8h\n")
    assert problems(text) == [
        f"b.yaml:{line_of(text, '    timeout: 8h', last=True)}:5: spec.pipeline.timeout: 8h is too short:"
        " the wait may take poll.timeout 8h, submit 5m, finally 10m, plus 6m for pod start-up;"
        " set it to at least 8h21m or shorten poll.timeout"
    ]


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("quay.io/benchgen/poller", "is not pinned: add a version tag or @sha256:<digest>"),
        ("quay.io/benchgen/poller:latest", "is not pinned: ':latest' moves"),
        ("quay.io/benchgen/poller@sha256:abc", "is not an image reference with a sha256 digest"),
    ],
)
def test_runtime_image_must_be_pinned(image: str, message: str) -> None:
    text = edit("    image: quay.io/benchgen/poller:0.1.0", f"    image: {image}")
    (found,) = problems(text)
    assert f"spec.pipeline.image: '{image}' {message}" in found


def test_label_param_default_must_be_label_safe() -> None:
    text = edit(
        "      annotation: benchgen.dev/trigger-source\n",
        "      label: benchgen.dev/trigger-source\n",
    )
    load_text(text, "b.yaml")  # 'eventlistener-webhook' is a valid label value
    text = text.replace("default: eventlistener-webhook", "default: event listener")
    assert problems(text) == [
        f"b.yaml:{line_of(text, 'name: submitted-by')}:7: spec.params[0]: default 'event listener'"
        " is not a valid label value"
    ]


SUBMITTED_BY = "      maxLength: 212\n"
WHY = (
    "param 'submitted-by' fills submittedBy, which also carries ' (run <uid>)' (43 characters)"
    " and which the orchestrator stores in 255 characters, so it may hold at most 212"
)


def test_submitted_by_leaves_room_for_the_run_marker() -> None:
    """Issue 14: maxLength 256 let a value plus ' (run <uid>)' pass the 255-character column."""
    assert SUBMITTED_BY in EXAMPLE_TEXT
    text = edit(SUBMITTED_BY, "      maxLength: 213\n")
    assert problems(text) == [
        f"b.yaml:{line_of(text, 'maxLength: 213')}:7: spec.params[0].maxLength: {WHY}:"
        " lower maxLength 213 to 212 or less"
    ]


def test_submitted_by_needs_a_bound() -> None:
    text = edit(SUBMITTED_BY, "")
    assert problems(text) == [
        f"b.yaml:{line_of(text, 'name: submitted-by')}:7: spec.params[0]: {WHY}: set"
        " 'maxLength: 212' (or less) so the listener refuses longer values"
    ]
    # An enum bounds it too, value by value.
    enum = '      enum: [eventlistener-webhook, "' + "x" * 213 + '"]\n'
    text = edit(SUBMITTED_BY, enum)
    line = line_of(text, "enum:")
    column = text.splitlines()[line - 1].index('"x') + 1
    assert problems(text) == [
        f"b.yaml:{line}:{column}: spec.params[0].enum[1]: {WHY}; this value has 213"
    ]
    load_text(edit(SUBMITTED_BY, "      enum: [eventlistener-webhook, ci]\n"), "b.yaml")


def test_only_the_param_filling_submitted_by_is_bounded() -> None:
    text = edit(SUBMITTED_BY, "      maxLength: 1000\n").replace(
        "      - field: submittedBy\n        param: submitted-by\n", ""
    )
    load_text(text, "b.yaml")  # an annotation only: no marker, no column


def test_submitted_by_limits_agree_with_the_runtime() -> None:
    from generator.config import checks
    from generator.runtime import request

    assert checks.SUBMITTED_BY_MAX == request.SUBMITTED_BY_MAX
    uid = "0f8fad5b-d9cb-469f-a165-70867728950e"  # a Kubernetes uid
    assert len(request.tag_submitted_by("x", uid)) - 1 == checks.RUN_MARKER_LENGTH


def test_durations() -> None:
    assert parse_duration("1h30m") == 5400
    assert parse_duration("45s") == 45
    assert format_duration(5400) == "1h30m"
    assert format_duration(61) == "1m1s"
    for bad in ("", "1d", "5", "1.5h", "m", "0s"):
        with pytest.raises(ValueError, match=r"duration|longer than zero"):
            parse_duration(bad)


def test_paths_round_trip() -> None:
    loc = ("spec", "labels", "benchgen.dev/team", 3, "x")
    assert dotted(loc) == 'spec.labels["benchgen.dev/team"][3].x'
    assert parse(dotted(loc)) == loc


SPEC_END = "    configMap: benchmark-config\n"


def test_observer_sink_broker_needs_cloud_events() -> None:
    text = edit(SPEC_END, SPEC_END + "  observe:\n    observer: {sink: broker}\n")
    assert problems(text) == [
        f"b.yaml:{line_of(text, 'sink: broker')}:16: spec.observe.observer.sink:"
        " 'broker' means the Broker of spec.triggers.cloudEvents, which is not configured:"
        " configure it, or use 'tekton' or an http(s):// URL"
    ]


def test_empty_observe_is_refused() -> None:
    text = edit(SPEC_END, SPEC_END + "  observe: {}\n")
    (problem,) = problems(text)
    assert problem.endswith(
        "spec.observe: set 'observer', 'statusApi' or both (or drop spec.observe)"
    )


def test_event_id_param_must_exist() -> None:
    text = edit("          key: token\n", "          key: token\n      eventIdParam: build-id\n")
    (problem,) = problems(text)
    assert f":{line_of(text, 'eventIdParam')}:7: spec.triggers.webhook.eventIdParam:" in problem
    assert "no param named 'build-id'; params are: submitted-by, dvc-data-version" in problem


def test_status_api_auth_has_no_default() -> None:
    text = edit(SPEC_END, SPEC_END + "  observe:\n    statusApi: {replicas: 1}\n")
    (problem,) = problems(text)
    assert problem.endswith("spec.observe.statusApi.auth: required field is missing")
