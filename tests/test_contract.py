"""generator.contract: what the compiler and the runtime share, written once.

Checks that it stays standard-library only, that every spec decodes what it
encodes, that the duration grammar is Go's, and that docs/runtime-interface.md
describes exactly the env, flags and defaults the contract defines.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.contract import (
    cleanup,
    commands,
    env,
    observe,
    orchestrator,
    orchestrator_api,
    params,
    releases,
    request,
)
from generator.contract.durations import (
    format_duration,
    go_nanoseconds,
    parse_duration,
    whole_seconds,
)
from generator.contract.errors import ContractError

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "runtime-interface.md").read_text()
MODULES = sorted(
    p.stem for p in (ROOT / "generator" / "contract").glob("*.py") if p.stem != "__init__"
)


def test_standard_library_only() -> None:
    # The runtime image has neither the compiler nor its dependencies.
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"for m in {MODULES!r}: __import__('generator.contract.' + m)\n"
        "new = set(sys.modules) - before\n"
        "bad = {n.split('.')[0] for n in new} - set(sys.stdlib_module_names) - {'generator'}\n"
        "bad |= {n for n in new if n.startswith('generator.')"
        " and not n.startswith('generator.contract')}\n"
        "print(','.join(sorted(bad)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# -- specs: decode(encode(x)) == x, and malformed input is a located ContractError ----


def test_request_round_trip() -> None:
    fields = [
        request.Field("dvc-data-version", ("testingDataNvrsVersion",), "string", True),
        request.Field("image-version", ("sastAiImage",), "image", True, "quay.io/org/img"),
        request.Field("flag", ("jobSettings", "useIt"), "boolean", False),
    ]
    text = request.encode(fields)
    assert json.loads(text)["fields"][2]["path"] == "jobSettings.useIt"
    assert request.decode(text) == fields


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("[", "is not JSON"),
        ('{"fields": {}}', 'an object with a "fields" list'),
        ('{"fields": [{"param": "p", "path": "a..b"}]}', "fields[0].path"),
        ('{"fields": [{"param": "p", "path": "a", "type": "image"}]}', "needs a repository"),
        (
            '{"fields": [{"param": "p", "path": "a"}, {"param": "q", "path": "a.b"}]}',
            "collides with param 'p'",
        ),
    ],
)
def test_request_refuses(text: str, message: str) -> None:
    with pytest.raises(ContractError, match=re.escape(message)):
        request.decode(text)


def test_cleanup_round_trip_reads_params_escaped() -> None:
    entries = [
        cleanup.Entry(
            "helm.toolkit.fluxcd.io/v2",
            "HelmRelease",
            "helmreleases",
            cleanup.Param("target-namespace"),
            (("app", "bench"), ("run", cleanup.Param("run-id"))),
        )
    ]
    text = cleanup.encode(entries)
    values = {
        env.param_env("target-namespace"): "team-a",
        env.param_env("run-id"): params.escape("r$1%"),
    }
    with pytest.raises(ContractError, match="'r\\$1%' is not a label value"):
        cleanup.decode(text, values)
    values[env.param_env("run-id")] = "r-1"
    (target,) = cleanup.decode(text, values)
    assert (target.namespace, target.selector) == ("team-a", "app=bench,run=r-1")
    with pytest.raises(ContractError, match="BENCHGEN_PARAM_RUN_ID is not set"):
        cleanup.decode(text, {env.param_env("target-namespace"): "team-a"})


def test_cleanup_never_selects_everything() -> None:
    spec = cleanup.encode([cleanup.Entry("v1", "ConfigMap", None, "ns", ())])
    with pytest.raises(ContractError, match="at least one label"):
        cleanup.decode(spec, {})


def test_releases_round_trip() -> None:
    projects = [
        releases.Project("org/a", None, ("small", "large"), r"v\d+", {"body.kind": "release"}),
        releases.Project("org/b", "B"),
    ]
    problems: list[str] = []
    decoded = releases.decode_projects(releases.encode_projects(projects), problems)
    assert problems == []
    assert [p.name for p in decoded] == ["a", "B"]
    assert decoded[0].runs == ("small", "large") and decoded[1].runs == ("",)
    fields = releases.Fields("body.project", "header.X-Version", "body.config")
    assert releases.decode_fields(releases.encode_fields(fields), problems) == fields
    assert problems == []


def test_releases_problems_are_collected() -> None:
    problems: list[str] = []
    releases.decode_projects(
        '[{"repo": "x"}, {"repo": "o/n", "fields": {"header.Host": "h"}}]', problems
    )
    releases.decode_fields('{"version": "body.v"}', problems)
    assert problems == [
        "BENCHGEN_RELEASES[0].repo: 'x' is not owner/name",
        "BENCHGEN_RELEASES[1].fields: 'header.Host': header Host is set by benchgen-poller itself",
        "BENCHGEN_RELEASE_FIELDS.project: required",
    ]


def test_observe_round_trip_and_every_problem_at_once() -> None:
    config = observe.ObserveConfig(
        namespaces=("a", "b"),
        selector="benchgen.dev/benchmark=x",
        sink=observe.TEKTON_SINK,
        source="/benchgen/a/x",
        concurrency_limit=2,
        concurrency_key="benchgen.dev/key",
    )
    assert observe.decode(dict(observe.encode(config))) == config
    with pytest.raises(ContractError) as info:
        observe.decode({env.NAMESPACES: "A_", env.LOG_TAIL_BYTES: "x", env.RESYNC_PERIOD: "5"})
    message = str(info.value)
    for part in (
        env.NAMESPACES,
        env.SELECTOR,
        env.SINK,
        env.EVENT_SOURCE,
        env.LOG_TAIL_BYTES,
        env.RESYNC_PERIOD,
    ):
        assert part in message


def test_params_escape_round_trip() -> None:
    for value in ("$(params.x)", "%24", "100%", "$$", "plain"):
        assert params.unescape(params.escape(value)) == value
        assert "$" not in params.escape(value)


def test_submitted_by_room_leaves_space_for_the_marker() -> None:
    token = "0" * orchestrator.TOKEN_LENGTH
    tagged = orchestrator.tag_submitted_by("x" * orchestrator.SUBMITTED_BY_ROOM, token)
    assert len(tagged) == orchestrator.SUBMITTED_BY_MAX


# -- durations: Go's time.ParseDuration -------------------------------------------------

GO_DURATIONS = {
    # text: nanoseconds as Go's time.ParseDuration returns them (go1.24)
    "0": 0,
    "5s": 5 * 10**9,
    "+5s": 5 * 10**9,
    "-5s": -5 * 10**9,
    "1h30m": 5400 * 10**9,
    "1.5h": 5400 * 10**9,
    ".5s": 5 * 10**8,
    "1.s": 10**9,
    "250ms": 25 * 10**7,
    "1us": 1000,
    "1\u00b5s": 1000,
    "1\u03bcs": 1000,
    "3ns": 3,
    "1h1m1s1ms": 3661001 * 10**6,
    "0.3333333333333333333h": 1200 * 10**9,
    "9223372036854775807ns": 2**63 - 1,
    "2562047h47m16.854775807s": 2**63 - 1,
}
GO_INVALID = [
    "",
    "s",
    ".s",
    "5",
    "1e3s",
    "1 s",
    "5S",
    "-",
    "1h-1m",
    "9223372036854775808ns",
    "2562048h",
]


@pytest.mark.parametrize(("text", "ns"), GO_DURATIONS.items())
def test_go_durations(text: str, ns: int) -> None:
    assert go_nanoseconds(text) == ns


@pytest.mark.parametrize("text", GO_INVALID)
def test_go_invalid_durations(text: str) -> None:
    with pytest.raises(ValueError):
        go_nanoseconds(text)


def test_parse_and_format() -> None:
    for text in ("30s", "5m", "1h30m", "8h", "0.25s", "1m0.5s", "2562047h47m16s"):
        assert format_duration(parse_duration(text)) == text
    for text in ("0", "0s", "-1s"):
        with pytest.raises(ValueError, match="longer than zero"):
            parse_duration(text)
    assert whole_seconds("2m") == 120
    with pytest.raises(ValueError, match="whole number of seconds"):
        whole_seconds("1.5s")


# -- docs/runtime-interface.md says what the contract says -----------------------------


def _section(command: str) -> str:
    heading = re.search(rf"^(#+) `benchgen-poller {re.escape(command)}`.*$", DOC, re.M)
    assert heading, f"docs/runtime-interface.md has no section for {command}"
    level = len(heading.group(1))
    rest = DOC[heading.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def test_docs_name_every_env_variable_and_no_other() -> None:
    in_doc = set(re.findall(r"BENCHGEN_[A-Z0-9_]*[A-Z0-9]", DOC)) - {
        "BENCHGEN_PARAM_DVC_DATA_VERSION",
        orchestrator_api.GITLAB_RUN_KEY,  # a GitLab pipeline variable, not benchgen's env
    }
    assert in_doc - {"BENCHGEN_PARAM", "BENCHGEN_AUTH"} == set(env.ALL)


@pytest.mark.parametrize("command", sorted(commands.COMMANDS))
def test_docs_give_every_flag_and_default(command: str) -> None:
    spec = commands.COMMANDS[command]
    text = _section(command)
    # A section may point to another for env it shares ("as for `send`").
    for other in re.findall(r"(?:the same env as|as for) `(\w[\w-]*)`", text):
        text += _section(other)
    common = DOC.index("## Common environment")
    text += DOC[common : DOC.index("\n## ", common + 1)]
    for item in (*spec.flags, *spec.settings):
        rows = [
            line
            for line in text.splitlines()
            if f"`{item.name}" in line or f"{item.name} (" in line
        ]
        assert rows or item.name in text, f"{command}: {item.name} is not documented"
        if item.default is not None:
            default = re.escape(item.name) + r".*?[`( ]" + re.escape(item.default) + r"[`) ,;.]"
            assert any(re.search(default, row) for row in rows), (
                f"{command}: the documented default of {item.name} is not {item.default}"
            )
    documented = set(re.findall(r"`(--[a-z][a-z-]*)", text))
    assert documented <= {f.name for f in spec.flags}, f"{command}: docs list unknown flags"


# -- orchestrator_api: the batch API as data -------------------------------------------


def test_the_default_api_is_sast_ai_and_needs_no_env() -> None:
    assert orchestrator_api.decode(None) is orchestrator_api.SAST_AI
    assert orchestrator_api.decode("") is orchestrator_api.SAST_AI
    assert orchestrator_api.encode(orchestrator_api.SAST_AI) == '{"profile":"sast-ai"}'
    # Each of today's statuses is its own outcome.
    for status in (orchestrator.PROCESSING, *orchestrator.TERMINAL):
        assert orchestrator_api.SAST_AI.outcome(status) == status


@pytest.mark.parametrize("api", list(orchestrator_api.PROFILES.values()), ids=str)
def test_profiles_round_trip_and_have_no_problems(api: orchestrator_api.OrchestratorApi) -> None:
    assert orchestrator_api.problems(api) == []
    assert orchestrator_api.decode(orchestrator_api.encode(api)) == api


def test_encode_writes_only_what_differs_from_the_profile() -> None:
    api, found = orchestrator_api.build(
        "gitlab", {"constants": {"ref": "release/1.x"}, "lookback": 3600}
    )
    assert found == []
    text = orchestrator_api.encode(api)
    assert text == '{"constants":{"ref":"release/1.x"},"lookback":3600.0,"profile":"gitlab"}'
    assert orchestrator_api.decode(text) == api


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        ({"statusMap": {"ok": "DONE"}}, "statusMap", "'DONE' is not an outcome"),
        ({"statusMap": {"ok": "FAILED"}}, "statusMap", "no API value maps to COMPLETED"),
        ({"statusPath": "pipelines/{id}"}, "statusPath", "must start with '/'"),
        ({"statusPath": "/pipelines"}, "statusPath", "must hold '{id}'"),
        ({"submitPath": "pipeline"}, "submitPath", "must start with '/'"),
        ({"submitMethod": "GET"}, "submitMethod", "not one of POST, PUT"),
        ({"listQuery": "page={page}"}, "listQuery", "'{size}'"),
        ({"listQuery": "page={page}&size={size}&x={nope}"}, "listQuery", "'{nope}'"),
        ({"totalField": "", "completedField": "done"}, "totalField", "without the total"),
        ({"idField": "a..b"}, "idField", "not a dotted field path"),
        ({"authHeader": "Bad Header"}, "authHeader", "not a header name"),
        ({"pageSize": "100"}, "pageSize", "whole number"),
        ({"colour": "blue"}, "colour", "unknown key"),
    ],
)
def test_a_bad_api_is_refused_naming_the_key(overrides, key, message) -> None:
    _, found = orchestrator_api.build("sast-ai", overrides)
    assert found and found[0][0] == key and message in found[0][1], found
    text = json.dumps({"profile": "sast-ai", **overrides})
    with pytest.raises(ContractError, match=f"BENCHGEN_ORCHESTRATOR_API {key}: "):
        orchestrator_api.decode(text)
