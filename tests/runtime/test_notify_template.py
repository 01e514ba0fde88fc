"""notify's templates against hostile run values and runaway templates: escaping
per channel, the sandbox, the bounds (value size, output size, time, memory),
the fallback to the default text, and one closed set of variables shared with
``benchgen validate`` (contract.notify.VARIABLES)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.config.notify_checks import template_problems
from generator.contract import notify as contract
from generator.runtime.notify_template import (
    TemplateFailed,
    one_line,
    render,
    render_or_default,
    run_values,
)
from tests.runtime.slack_hook import SlackHook

POLLER = Path(sys.executable).with_name("benchgen-poller")

ENV = {
    "BENCHGEN_PIPELINE_RUN": "bench-run-7",
    "BENCHGEN_AGGREGATE_STATUS": "Failed",
    "BENCHGEN_SUBMIT_STATUS": "Succeeded",
    "BENCHGEN_WAIT_STATUS": "Failed",
    "BENCHGEN_BATCH_ID": "42",
    "BENCHGEN_FINAL_STATUS": "COMPLETED_WITH_ERRORS",
    "BENCHGEN_TOTAL_JOBS": "10",
    "BENCHGEN_COMPLETED_JOBS": "10",
    "BENCHGEN_FAILED_JOBS": "3",
    "BENCHGEN_NAMESPACE": "bench",
}
SPEC = contract.Spec(("version", "note"), "http://bench-status.bench.svc/status/")


def values(**params: str) -> dict[str, Any]:
    env = {**ENV, **{f"BENCHGEN_PARAM_{k.upper()}": v for k, v in params.items()}}
    return run_values(env, SPEC)


def slack(source: str, **params: str) -> str:
    return render(source, values(**params), "slack", contract.SLACK_TEXT_MAX)


def test_the_variables_are_the_contracts_and_validate_accepts_each() -> None:
    v = values(version="1.2.3", note="n")
    assert set(v) == set(contract.VARIABLES)
    assert v["total_jobs"] == 10 and v["failed_jobs"] == 3 and v["succeeded"] is False
    assert v["verdict"] == "finished, some jobs failed"
    assert v["status_url"] == "http://bench-status.bench.svc/status/bench-run-7"
    assert v["params"] == {"version": "1.2.3", "note": "n"}
    source = "".join(f"{{{{ {name} }}}}\n" for name in contract.VARIABLES)
    assert template_problems(source, ["version", "note"]) == []
    assert slack(source, version="1.2.3", note="n").startswith("bench-run-7\nbench\nFailed\n")


def test_a_template_renders_the_runs_values() -> None:
    source = (
        "{% if succeeded %}:white_check_mark:{% else %}:x:{% endif %} *{{ run }}*"
        " ({{ params.version }}): {{ failed_jobs }} of {{ total_jobs }} failed\n"
        "<{{ status_url }}|status>"
    )
    assert slack(source, version="1.2.3", note="") == (
        ":x: *bench-run-7* (1.2.3): 3 of 10 failed\n"
        "<http://bench-status.bench.svc/status/bench-run-7|status>"
    )


def test_values_are_escaped_for_slack_the_templates_own_text_is_not() -> None:
    hostile = "<!channel> <https://evil.example|click> & <@U123>"
    text = slack("<!here> {{ params.note }}", version="1", note=hostile)
    assert text == (
        "<!here> &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; &lt;@U123&gt;"
    )
    # Through a filter or a loop the value is still escaped: every {{ }} output is.
    assert slack("{{ [params.note] | join }}", version="1", note="<!channel>") == "&lt;!channel&gt;"
    assert slack("{% for c in params.note %}{{ c }}{% endfor %}", version="1", note="<>") == (
        "&lt;&gt;"
    )


def test_a_value_holding_template_syntax_is_data() -> None:
    text = slack(
        "{{ params.note }}", version="1", note="{{ run }}{% for x in range(9) %}x{% endfor %}"
    )
    assert text == "{{ run }}{% for x in range(9) %}x{% endfor %}"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ params.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ run.format.__globals__ }}",
        "{{ summary.append('x') }}",  # immutable: the run's values cannot be changed
    ],
)
def test_the_sandbox_refuses(source: str) -> None:
    with pytest.raises(TemplateFailed, match="refused by the sandbox"):
        slack(source, version="1", note="")


def test_a_huge_value_is_cut() -> None:
    text = slack("{{ params.note }}", version="1", note="x" * 1_000_000)
    assert len(text) == contract.PARAM_VALUE_MAX and text.endswith("…")


def test_output_stops_at_the_channels_limit() -> None:
    source = "{% for i in range(100000) %}{{ run }} {% endfor %}"
    text = slack(source, version="1", note="")
    assert len(text) == contract.SLACK_TEXT_MAX + 1 and text.endswith("…")


def test_a_template_that_never_ends_is_stopped() -> None:
    source = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(TemplateFailed, match="took longer than 2s"):
        slack(source, version="1", note="")
    assert time.monotonic() - started < contract.RENDER_SECONDS + 2


@pytest.mark.parametrize(
    "source", ["{{ 'x' * 10**9 }}", "{{ ''|center(10**9) }}", "{{ '{:>999999999}'.format(run) }}"]
)
def test_a_template_that_eats_memory_is_stopped(source: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateFailed, match="used more than 256 MiB"):
        slack(source, version="1", note="")
    assert time.monotonic() - started < contract.RENDER_SECONDS + 2


def test_a_failing_template_falls_back_to_the_default_text() -> None:
    templates = {**contract.DEFAULTS, contract.SLACK_KEY: "line one\n{{ total_jobs + '' }}"}
    out = render_or_default(templates, contract.SLACK_KEY, values(), "slack", 1000)
    assert out.text.startswith("*Benchmark run bench-run-7: Failed*")
    # Located, and the class only: a TypeError's text may quote a value.
    assert out.problem == "slack.j2: line 2: TypeError"


def test_a_subject_is_one_line() -> None:
    assert one_line("a\r\nBcc: x\n\tb\x00c\u2028d\x85e", 200) == "a Bcc: x b c d e"
    assert one_line("x" * 300, 200) == "x" * 199 + "…"


@pytest.fixture
def hook() -> Iterator[SlackHook]:
    h = SlackHook()
    yield h
    h.stop()


def test_the_command_reports_a_broken_template_and_still_sends(
    tmp_path: Path, hook: SlackHook
) -> None:
    (tmp_path / "url").write_text(hook.url)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / contract.SLACK_KEY).write_text("{{ ''.__class__.__mro__ }}")
    env = {
        "PATH": "/usr/bin:/bin",
        **ENV,
        "BENCHGEN_NOTIFY_URL_FILE": str(tmp_path / "url"),
        "BENCHGEN_NOTIFY_TEMPLATES": str(templates),
    }
    status = tmp_path / "status"
    proc = subprocess.run(
        [str(POLLER), "notify", "--status-path", str(status)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and status.read_text() == "sent", proc.stderr
    assert "notify: template slack.j2: line 1: refused by the sandbox" in proc.stderr
    assert "the default text was used" in proc.stderr
    [req] = hook.received
    assert req["body"]["text"].startswith("*Benchmark run bench-run-7: Failed*")


def test_the_command_sends_the_configured_template(tmp_path: Path, hook: SlackHook) -> None:
    (tmp_path / "url").write_text(hook.url)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / contract.SLACK_KEY).write_text(
        "{{ run }}: {{ params.version }} {{ verdict }}\n{% for l in summary[1:] %}> {{ l }}\n{% endfor %}"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        **ENV,
        "BENCHGEN_NOTIFY_URL_FILE": str(tmp_path / "url"),
        "BENCHGEN_NOTIFY_TEMPLATES": str(templates),
        "BENCHGEN_NOTIFY_SPEC": contract.encode(contract.Spec(("version",))),
        "BENCHGEN_PARAM_VERSION": "<!channel>",
    }
    proc = subprocess.run(
        [str(POLLER), "notify"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    [req] = hook.received
    text = req["body"]["text"]
    assert text.startswith("bench-run-7: &lt;!channel&gt; finished, some jobs failed\n> ")
    assert "\n>   jobs    10 of 10 completed, 3 failed" in text
