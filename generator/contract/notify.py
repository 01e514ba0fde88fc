"""Notification templates and the e-mail channel: every fact ``benchgen validate``
and ``benchgen-poller notify`` must agree on.

Where the templates live: the keys of the ConfigMap ``<name>-notify`` (the
compiler writes the text the user gave, never into a script), mounted read-only
at :data:`TEMPLATES_DIR`, which ``BENCHGEN_NOTIFY_TEMPLATES`` names; a key that
is absent (or no such env) means the default template below, rendered by the
same code. The run's values reach the step as env (the summary's
plus ``BENCHGEN_PARAM_<NAME>``), and what else the step needs as the JSON spec
``BENCHGEN_NOTIFY_SPEC``::

    {"email": null | {"from", "host", "port", "security", "to": [...]},
     "params": [<param name>, ...], "statusUrl": "<base>" | ""}

The SMTP login, when there is one, is a mounted Secret whose directory
``BENCHGEN_NOTIFY_SMTP_CREDENTIALS`` names (keys :data:`USERNAME_KEY`,
:data:`PASSWORD_KEY`).

Both sides build one Jinja2 ``SandboxedEnvironment`` from :data:`JINJA_OPTIONS`
with ``StrictUndefined``, and a template may use the names in :data:`VARIABLES`
and nothing else (validate refuses any other name, with its line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator.contract.env import NOTIFY_SPEC
from generator.contract.errors import ContractError

# -- where the templates live ------------------------------------------------------
TEMPLATES_DIR = "/var/run/benchgen/notify-templates"
SLACK_KEY = "slack.j2"
SUBJECT_KEY = "email-subject.j2"
BODY_KEY = "email-body.j2"
# config field (under spec.pipeline.finally.notify) -> ConfigMap key
TEMPLATE_FIELDS: dict[str, str] = {
    "template": SLACK_KEY,
    "email.subject": SUBJECT_KEY,
    "email.template": BODY_KEY,
}

# Options of the one environment both sides build. No autoescape: Slack's mrkdwn
# is not HTML; the runtime escapes every value a channel's way instead.
JINJA_OPTIONS: dict[str, Any] = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": False,
    "autoescape": False,
}
# Compiling a template evaluates its constant parts ("{{ 'x' * 10**9 }}",
# "{{ ''|center(10**9) }}"): validate only parses, and notify compiles inside
# the bounded child that renders.

# -- the variables, a closed set -----------------------------------------------------
VARIABLES: dict[str, str] = {
    "run": "the PipelineRun's name",
    "run_namespace": "the PipelineRun's namespace",
    "status": "the run's aggregate status: Succeeded, Completed, Failed or None",
    "succeeded": "true when status is Succeeded or Completed",
    "submit_status": "the submit Task's status ('' without an orchestrator)",
    "wait_status": "the wait Task's status ('' without an orchestrator)",
    "batch_id": "the orchestrator's batch id ('' when none was created)",
    "final_status": "the batch's final status, e.g. COMPLETED, FAILED, TIMEOUT ('' when unknown)",
    "total_jobs": "jobs in the batch (a number, or none when not reported)",
    "completed_jobs": "jobs completed (a number, or none)",
    "failed_jobs": "jobs failed (a number, or none)",
    "verdict": "the summary's one-line result, e.g. 'all jobs finished'",
    "summary": "the summary's lines (a list; the first is the headline)",
    "params": "the run's params by name (params.version or params['cncf-project'])",
    "status_url": "the status API's /status/<run> URL ('' without spec.observe.statusApi)",
    "finished_at": "when the notification was made, UTC, ISO 8601",
}

# The default texts: the messages notify sent before templates existed.
DEFAULT_SLACK = (
    "*{{ summary[0] }}*\n"
    "{% if summary | length > 1 %}\n"
    "```\n"
    "{{ summary[1:] | join('\\n') }}\n"
    "```\n"
    "{% endif %}"
)
DEFAULT_SUBJECT = "Benchmark run {{ run }}: {{ status }}"
DEFAULT_BODY = "{{ summary | join('\\n') }}\n"
DEFAULTS: dict[str, str] = {
    SLACK_KEY: DEFAULT_SLACK,
    SUBJECT_KEY: DEFAULT_SUBJECT,
    BODY_KEY: DEFAULT_BODY,
}

# -- bounds (hostile values, runaway templates) ------------------------------------------
PARAM_VALUE_MAX = 1000  # characters of one param value a template sees ("…" marks a cut)
SLACK_TEXT_MAX = 40_000  # Slack truncates a message's text past this
SUBJECT_MAX = 200  # one line, whitespace collapsed
BODY_MAX = 100_000
RENDER_SECONDS = 2.0  # one render, wall clock
RENDER_MEMORY = 256 * 2**20  # bytes the rendering process may add

# -- e-mail --------------------------------------------------------------------------
SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
USERNAME_KEY = "username"
PASSWORD_KEY = "password"  # noqa: S105 - a Secret key's name
CREDENTIALS_DIR = "/var/run/benchgen/notify-smtp"
# An address as the config may write it: local@domain, no display name, no
# whitespace, quotes or angle brackets (so it can never carry a header).
# fullmatch, never match with "$": that would let a trailing newline through.
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def address_problem(text: str) -> str | None:
    """Why ``text`` is not a plain e-mail address (``name@example.org``), or None."""
    if len(text) > 254:
        return "longer than 254 characters"
    if not _ADDRESS.fullmatch(text):
        return "not a plain address such as bench@example.org (no display name, spaces or <>)"
    return None


def host_problem(text: str) -> str | None:
    if len(text) > 253 or not _HOST.fullmatch(text):
        return "not a host name or IPv4 address"
    return None


@dataclass(frozen=True)
class Email:
    host: str
    port: int
    security: str  # one of SECURITY
    sender: str
    to: tuple[str, ...]


@dataclass(frozen=True)
class Spec:
    params: tuple[str, ...] = ()
    status_url: str = ""  # the base; the runtime appends the run's name
    email: Email | None = None


def encode(spec: Spec) -> str:
    email = None
    if spec.email is not None:
        e = spec.email
        email = {
            "from": e.sender,
            "host": e.host,
            "port": e.port,
            "security": e.security,
            "to": list(e.to),
        }
    doc = {"email": email, "params": list(spec.params), "statusUrl": spec.status_url}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def _fail(what: str) -> ContractError:
    return ContractError(f"{NOTIFY_SPEC}: {what}")


def _decode_email(raw: object) -> Email | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"from", "host", "port", "security", "to"}:
        raise _fail("email: want exactly from, host, port, security, to")
    host, port, security = raw["host"], raw["port"], raw["security"]
    if not isinstance(host, str) or host_problem(host):
        raise _fail(f"email.host: {host!r} is not a host name")
    if type(port) is not int or not 1 <= port <= 65535:
        raise _fail(f"email.port: {port!r} is not a port")
    if security not in SECURITY:
        raise _fail(f"email.security: {security!r} is not one of {', '.join(SECURITY)}")
    addresses = [raw["from"], *raw["to"]] if isinstance(raw["to"], list) else None
    if not addresses or len(addresses) < 2:
        raise _fail("email.to: want a non-empty list")
    for address in addresses:
        if not isinstance(address, str) or address_problem(address):
            raise _fail(f"email: {address!r} is not a plain address")
    return Email(host, port, security, raw["from"], tuple(raw["to"]))


def decode(env: Mapping[str, str]) -> Spec:
    """The spec from env; the default (no params, no e-mail) when unset."""
    text = env.get(NOTIFY_SPEC, "").strip()
    if not text:
        return Spec()
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise _fail(f"not JSON ({exc.args[0]})") from exc
    if not isinstance(doc, dict) or set(doc) != {"email", "params", "statusUrl"}:
        raise _fail("want an object with exactly email, params, statusUrl")
    params, status_url = doc["params"], doc["statusUrl"]
    if not isinstance(params, list) or not all(isinstance(p, str) and p for p in params):
        raise _fail("params: want a list of param names")
    if not isinstance(status_url, str) or (
        status_url and not status_url.startswith(("http://", "https://"))
    ):
        raise _fail("statusUrl: want '' or an http(s) URL")
    return Spec(tuple(params), status_url, _decode_email(doc["email"]))
