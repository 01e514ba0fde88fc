"""Config loading: exact messages and locations for the problems users hit."""

from __future__ import annotations

import pytest

from generator.config.fullload import load_bytes, load_text
from generator.config.paths import dotted, parse
from generator.contract.durations import format_duration, parse_duration
from generator.errors import ConfigError
from tests.conftest import EXAMPLE

EXAMPLE_TEXT = EXAMPLE.read_text()
SPEC_END = "    configMap: benchmark-config\n"
SUBMITTED_BY = "      maxLength: 212\n"
WHY = (
    "param 'submitted-by' fills submittedBy, which also carries ' (run <uid>)' (43 characters)"
    " and which the orchestrator stores in 255 characters, so it may hold at most 212"
)


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
    bench = load_text(EXAMPLE_TEXT, "benchmark.yaml.example").bench
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


EMPTY = "b.yaml: is empty; run 'benchgen init' for a commented starter config"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", EMPTY),
        (b"# only a comment\n", EMPTY),
        (b"caf\xe9: 1\n", "b.yaml:1:4: is not UTF-8 text (byte 0xe9); save it as UTF-8"),
        (b"a: [1,\n", "b.yaml:2:1: invalid YAML: expected the node content, but found '<stream end>'"),
        (b"a: 1\na: 2\n", 'b.yaml:2:1: invalid YAML: duplicate key "a"; each key may appear once'),
        (b"a:\n\tb: 1\n", "b.yaml:2:1: invalid YAML: found character '\\t' that cannot start any token;"
         " YAML indents with spaces, not tabs"),
        (b"a: &x 1\nb: *x\n",
         "b.yaml:1:4: YAML anchors and aliases (&name, *name, <<) are not supported: write the value out"),
        (b"- 1\n- 2\n", "b.yaml:1:1: must be a mapping with apiVersion, kind, metadata and spec"),
        (b"a: 1\n---\nb: 2\n", "b.yaml:2:1: holds more than one YAML document; keep one"),
        (b"apiVersion: v1\nkind: ConfigMap\n", "b.yaml:1:1: apiVersion: must be 'benchgen.dev/v1alpha1' (got 'v1')"),
    ],
)  # fmt: skip
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


@pytest.mark.parametrize(
    ("old", "new", "needle", "column", "message"),
    [
        # An unknown field points at its line, with a suggestion.
        ("    maxInterval: 10m", "    maxIntervall: 10m", "maxIntervall", 5,
         "spec.poll.maxIntervall: unknown field 'maxIntervall'; did you mean 'maxInterval'?"),
        # A missing field points at its parent.
        ("        secretRef:\n          name: benchmark-mlop-webhook\n          key: token\n", "",
         "      auth:", 7, "spec.triggers.webhook.auth.secretRef: required field is missing"),
        # The discriminator tag is not in the path.
        ("          key: token\n", "          key: token\n        eventType: [push]\n", "eventType:", 9,
         "spec.triggers.webhook.auth.eventType: unknown field 'eventType'; did you mean 'eventTypes'?"),
        # The seed defaulted image_version to "" and the orchestrator rejects a blank sastAiImage.
        ("      default: latest\n", '      default: ""\n', "param: image-version", 9,
         "spec.orchestrator.request[3].param: the orchestrator requires a non-empty sastAiImage but"
         " param 'image-version' is optional with no default: make it 'required: true' or give it a default"),
        # Issue 14: maxLength 256 let a value plus ' (run <uid>)' pass the 255-character column.
        (SUBMITTED_BY, "      maxLength: 213\n", "maxLength: 213", 7,
         f"spec.params[0].maxLength: {WHY}: lower maxLength 213 to 212 or less"),
        # ...and submitted-by needs a bound.
        (SUBMITTED_BY, "", "name: submitted-by", 7,
         f"spec.params[0]: {WHY}: set 'maxLength: 212' (or less) so the listener refuses longer values"),
        # Sink 'broker' needs spec.triggers.cloudEvents.
        (SPEC_END, SPEC_END + "  observe:\n    observer: {sink: broker}\n", "sink: broker", 16,
         "spec.observe.observer.sink: 'broker' means the Broker of spec.triggers.cloudEvents, which is"
         " not configured: configure it, or use 'tekton' or an http(s):// URL"),
    ],
    ids=["unknown-field", "missing-field", "discriminator", "image-default", "submitted-by-max",
         "submitted-by-bound", "broker-sink"],
)  # fmt: skip
def test_one_problem_at_its_line_and_column(
    old: str, new: str, needle: str, column: int, message: str
) -> None:
    text = edit(old, new)
    assert problems(text) == [f"b.yaml:{line_of(text, needle)}:{column}: {message}"]


def test_every_field_problem_at_once() -> None:
    text = edit("  name: benchmark-mlop\n", "  name: Benchmark\n")
    text = text.replace("    interval: 10s", "    interval: 30 seconds")
    found = problems(text)
    assert len(found) == 2
    assert found[0].startswith(
        f"b.yaml:{line_of(text, 'name: Benchmark')}:3: metadata.name: 'Benchmark'"
    )
    assert found[1] == (
        f"b.yaml:{line_of(text, 'interval: 30 seconds')}:5: spec.poll.interval: '30 seconds'"
        " has an unknown unit ' seconds'; use ns, us, ms, s, m or h"
    )


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


def test_an_enum_bounds_submitted_by_value_by_value() -> None:
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
    from generator.contract import orchestrator

    uid = "0f8fad5b-d9cb-469f-a165-70867728950e"  # a Kubernetes uid
    assert len(orchestrator.tag_submitted_by("x", uid)) - 1 == checks.RUN_MARKER_LENGTH


def test_durations() -> None:
    """The contract's grammar (Go's): fractions and sub-second units are durations too."""
    assert parse_duration("1h30m") == 5400
    assert parse_duration("45s") == 45
    assert parse_duration("1.5h") == 5400
    assert parse_duration("250ms") == 0.25
    assert format_duration(5400) == "1h30m"
    assert format_duration(61) == "1m1s"
    for bad in ("", "1d", "5", "m", "0s", "10 minutes"):
        with pytest.raises(ValueError, match=r"duration|unit|longer than zero"):
            parse_duration(bad)


def test_sub_second_poll_interval_is_accepted() -> None:
    text = edit("    interval: 10s\n", "    interval: 500ms\n")
    assert load_text(text, "b.yaml").bench.spec.poll.interval == "500ms"


def test_fractional_starting_deadline_is_refused() -> None:
    """startingDeadlineSeconds is an integer: a CronJob cannot hold 1.5s."""
    schedule = "    schedule:\n      - cron: '0 8 * * *'\n        startingDeadline: 1.5s\n"
    text = EXAMPLE_TEXT.replace("  triggers:\n", "  triggers:\n" + schedule, 1)
    assert (
        f"b.yaml:{line_of(text, 'startingDeadline: 1.5s')}:9:"
        " spec.triggers.schedule[0].startingDeadline: '1.5s' must be a whole number of seconds"
    ) in problems(text)


def test_paths_round_trip() -> None:
    loc = ("spec", "labels", "benchgen.dev/team", 3, "x")
    assert dotted(loc) == 'spec.labels["benchgen.dev/team"][3].x'
    assert parse(dotted(loc)) == loc


def test_event_id_param_must_exist() -> None:
    text = edit("          key: token\n", "          key: token\n      eventIdParam: build-id\n")
    (problem,) = problems(text)
    assert f":{line_of(text, 'eventIdParam')}:7: spec.triggers.webhook.eventIdParam:" in problem
    assert "no param named 'build-id'; params are: submitted-by, dvc-data-version" in problem


@pytest.mark.parametrize(
    ("observe", "message"),
    [
        ("  observe: {}\n", "spec.observe: set 'observer', 'statusApi' or both (or drop spec.observe)"),
        # The status API's auth has no default.
        ("  observe:\n    statusApi: {replicas: 1}\n", "spec.observe.statusApi.auth: required field is missing"),
    ],
)  # fmt: skip
def test_observe_problems(observe: str, message: str) -> None:
    (problem,) = problems(edit(SPEC_END, SPEC_END + observe))
    assert problem.endswith(message)
