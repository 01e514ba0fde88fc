"""notify's templates and e-mail on the real cluster: the example with a Slack
template and an e-mail channel (a plain relay, ``security: none``, the aiosmtpd
server of tests/runtime/smtp_server.py on the node's address). An event whose
free-text param holds Slack's ``<!channel>`` and template syntax runs to
success; the notify Task (the rendered ConfigMap of templates mounted, the
params it reads passed by the real Tekton) posts the rendered Slack text, with
the value escaped and never evaluated, and mails the rendered subject and the
default body."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from tests.cluster.conftest import Orchestrator
from tests.cluster.flow import EXAMPLE, deploy
from tests.cluster.stack import Stack
from tests.e2e.cluster import wait_for
from tests.runtime.fake_orchestrator import finishes
from tests.runtime.slack_hook import SlackHook
from tests.runtime.smtp_server import SmtpServer

pytestmark = pytest.mark.cluster

SLACK_SECRET = "bench-slack"
FIELDS = {"dvc_data_version": "v1", "prompts_version": "v2", "known_non_issues_version": "v3"}
HOSTILE = "<!channel> {{ run }}\r\nBcc: victim@evil.example"
TEMPLATE = (
    "{% if succeeded %}:white_check_mark:{% else %}:x:{% endif %} *{{ run }}*"
    " data {{ params['dvc-data-version'] }} by {{ params['submitted-by'] }}\n"
    "{{ final_status }}: {{ completed_jobs }} of {{ total_jobs }} jobs"
)


def _config(tmp: Path, node_ip: str, smtp_port: int) -> Path:
    config = yaml.safe_load(EXAMPLE.read_text())
    config["spec"]["poll"].update({"interval": "2s", "maxInterval": "2s"})
    config["spec"]["pipeline"]["finally"] = {
        "notify": {
            "urlSecretRef": {"name": SLACK_SECRET, "key": "url"},
            "template": TEMPLATE,
            "email": {
                "smtp": {"host": node_ip, "port": smtp_port, "security": "none"},
                "from": "bench@example.org",
                "to": ["perf@example.org"],
                "subject": "[bench] {{ params['dvc-data-version'] }}: {{ status }}"
                " ({{ params['submitted-by'] }})",
            },
        }
    }
    path = tmp / "benchmark.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_notify_renders_the_templates_to_slack_and_mail_with_hostile_values(
    real_cluster: Stack, namespace: str, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    slack = SlackHook(host=real_cluster.node_ip)
    smtp = SmtpServer(tmp_path, starttls=False, host=real_cluster.node_ip)
    try:
        real_cluster.cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": SLACK_SECRET, "namespace": namespace},
                "data": {"url": base64.b64encode(slack.url.encode()).decode()},
            }
        )
        app = deploy(real_cluster, namespace, _config(tmp_path, real_cluster.node_ip, smtp.port))
        orchestrator.fake.plan = lambda: finishes("COMPLETED", after=1, total=3)
        status, answer = app.send({**FIELDS, "submitted_by": HOSTILE})
        assert status == 202, answer
        run = app.wait_for_run()
        name = run["metadata"]["name"]
        app.wait_finished(name)
        notify = app.task_runs(name)["notify"]
        got = {r["name"]: r["value"] for r in notify["status"].get("results", [])}
        assert got.get("notify-status") == "sent", app.step_log(notify, "notify")
        wait_for(lambda: slack.received and smtp.received, timeout=30, what="both messages")
    finally:
        slack.stop()
        smtp.stop()
    [message] = slack.received
    assert message["body"]["text"] == (
        f":white_check_mark: *{name}* data v1 by &lt;!channel&gt; {{{{ run }}}}\r\n"
        "Bcc: victim@evil.example\nCOMPLETED: 3 of 3 jobs"
    )
    [mail] = smtp.received
    assert mail.rcpt_tos == ["perf@example.org"]  # the Bcc line stayed in the value
    assert mail.message["Bcc"] is None
    assert mail.message["Subject"] == (
        "[bench] v1: Succeeded (<!channel> {{ run }} Bcc: victim@evil.example)"
    )
    body = mail.message.get_content().replace("\r\n", "\n")
    assert body.startswith(f"Benchmark run {name}: Succeeded\n") and "3 of 3 completed" in body
