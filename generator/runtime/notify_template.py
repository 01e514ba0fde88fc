"""notify's message texts: the user's Jinja2 templates (contract.notify), rendered
in a sandbox, in a child process, with the run's values escaped per channel.

Three layers, each for a different threat:

- the **sandbox** (Jinja2's ``ImmutableSandboxedEnvironment``): a template cannot
  reach ``__class__``/``__globals__`` or mutate what it is given;
- **per-channel escaping** of every ``{{ value }}`` (the environment's
  ``finalize``): for Slack, ``&``, ``<`` and ``>`` become entities, so a param
  holding ``<!channel>`` or ``<https://evil|click>`` is shown, never acted on;
  the template's own literal text is the author's and is left alone. A value
  holding ``{{ ... }}`` is data: Jinja never renders its output again;
- **bounds**: each param value a template sees is cut at
  ``PARAM_VALUE_MAX`` characters, the output at the channel's limit (rendering
  stops there), and the render runs in a forked child with
  ``RENDER_SECONDS`` of wall clock and ``RENDER_MEMORY`` more address space
  (``RLIMIT_AS``), so a template that loops for ever or builds a gigabyte
  string (``'x' * 10**9``, ``''|center(10**9)``, nested ``range``) costs the
  child, never the step.

jinja2 is imported only here, and only when notify renders.
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from generator.contract import env as var
from generator.contract import notify as contract
from generator.contract.params import read_param
from generator.runtime.report import build_summary

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from jinja2 import Environment

Channel = Literal["slack", "plain"]


class TemplateFailed(Exception):
    """A template that could not be rendered; the message says why (no values)."""


def slack_escape(text: str) -> str:
    # Slack's mrkdwn: these three are control characters in message text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str) -> str:
    return text


_FINALIZE: dict[Channel, Callable[[str], str]] = {"slack": slack_escape, "plain": _plain}


def _get(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    # An unresolved Tekton reference means the result never existed.
    if not value or value.startswith("$("):
        return ""
    return " ".join(value.split())[:200]


def _count(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _cut(value: str) -> str:
    limit = contract.PARAM_VALUE_MAX
    return value if len(value) <= limit else value[: limit - 1] + "…"


def run_values(
    env: Mapping[str, str], spec: contract.Spec, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """The template variables (contract.notify.VARIABLES, exactly) from the step's env."""
    summary = build_summary(env)
    verdict = next((line[10:] for line in summary if line.startswith("  result  ")), "")
    run = _get(env, var.PIPELINE_RUN)
    status = _get(env, var.AGGREGATE_STATUS)
    values: dict[str, Any] = {
        "run": run,
        "run_namespace": _get(env, var.NAMESPACE),
        "status": status,
        "succeeded": status in ("Succeeded", "Completed"),
        "submit_status": _get(env, var.SUBMIT_STATUS),
        "wait_status": _get(env, var.WAIT_STATUS),
        "batch_id": _get(env, var.BATCH_ID),
        "final_status": _get(env, var.FINAL_STATUS),
        "total_jobs": _count(_get(env, var.TOTAL_JOBS)),
        "completed_jobs": _count(_get(env, var.COMPLETED_JOBS)),
        "failed_jobs": _count(_get(env, var.FAILED_JOBS)),
        "verdict": verdict,
        "summary": summary,
        "params": {p: _cut(read_param(env, p) or "") for p in spec.params},
        "status_url": f"{spec.status_url}{run}" if spec.status_url and run else "",
        # The wall clock, read once (the Clock protocol has only monotonic time).
        "finished_at": (now or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert values.keys() == contract.VARIABLES.keys()  # the contract's closed set
    return values


def read_templates(env: Mapping[str, str]) -> dict[str, str]:
    """Each template's text: the mounted ConfigMap's key, or the contract's default."""
    out = dict(contract.DEFAULTS)
    where = env.get(var.NOTIFY_TEMPLATES, "").strip()
    if not where:
        return out
    for key in out:
        path = Path(where) / key
        try:
            out[key] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue  # not configured: the default
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            raise TemplateFailed(f"cannot read {path}: {reason}") from exc
    return out


def _environment(channel: Channel) -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    escape = _FINALIZE[channel]
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        # Every {{ }} output, whatever its type, becomes text escaped for the channel.
        finalize=lambda value: escape(str(value)),
        **contract.JINJA_OPTIONS,
    )


def _where(exc: BaseException) -> str:
    line = getattr(exc, "lineno", None)
    if line is None:
        # A runtime error: the template's line is in the traceback as "<template>".
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<template>":
                line = tb.tb_lineno
            tb = tb.tb_next
    return f"line {line}: " if line else ""


def _describe(exc: BaseException) -> str:
    from jinja2.exceptions import SecurityError, TemplateError

    if isinstance(exc, SecurityError):
        what = f"refused by the sandbox: {exc}"
    elif isinstance(exc, TemplateError):
        what = f"{type(exc).__name__}: {exc.message or ''}"
    else:
        # Not the text: a TypeError's text can quote a value; the class is enough.
        what = type(exc).__name__
    return _where(exc) + what


def _render_into(
    conn: Connection, env: Environment, source: str, values: dict[str, Any], limit: int
) -> None:
    """The child: bound memory, compile, render (stopping at ``limit``), send the text
    or why not. Compiling is bounded too: Jinja evaluates constant output
    (``{{ 'x' * 10**9 }}``) when it compiles."""
    try:
        import resource

        pages = Path("/proc/self/statm").read_text(encoding="ascii").split()[0]
        size = int(pages) * os.sysconf("SC_PAGE_SIZE")
        cap = size + contract.RENDER_MEMORY
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time bound still holds
    try:
        template = env.from_string(source)
        parts: list[str] = []
        size = 0
        for chunk in template.generate(values):
            parts.append(chunk)
            size += len(chunk)
            if size > limit:
                break
        text = "".join(parts)
        conn.send(("ok", text[:limit] + "…" if len(text) > limit else text))
    except MemoryError:
        conn.send(("error", f"used more than {contract.RENDER_MEMORY // 2**20} MiB"))
    except Exception as exc:  # the template's own error, reported by the parent
        conn.send(("error", _describe(exc)))
    finally:
        conn.close()


def render(source: str, values: dict[str, Any], channel: Channel, limit: int) -> str:
    """``source`` rendered with ``values``; TemplateFailed with a located reason."""
    # Built here, before the fork, with jinja2 imported: the child imports nothing.
    env = _environment(channel)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_render_into, args=(send, env, source, values, limit), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(contract.RENDER_SECONDS):
            raise TemplateFailed(f"took longer than {contract.RENDER_SECONDS:g}s")
        try:
            outcome, text = receive.recv()
        except EOFError:
            # Killed (the kernel's OOM killer, a signal) before it could answer.
            raise TemplateFailed("the rendering process died") from None
    finally:
        receive.close()
        child.kill()
        child.join()
    if outcome != "ok":
        raise TemplateFailed(text)
    return str(text)


@dataclass(frozen=True)
class Rendered:
    text: str
    problem: str | None  # the configured template failed; ``text`` is the default's


def render_or_default(
    templates: Mapping[str, str], key: str, values: dict[str, Any], channel: Channel, limit: int
) -> Rendered:
    """The configured template, or (when it fails at run time) the default: a message
    still goes out, and the failure is reported beside it."""
    try:
        return Rendered(render(templates[key], values, channel, limit), None)
    except TemplateFailed as exc:
        if templates[key] == contract.DEFAULTS[key]:
            raise
        problem = f"{key}: {exc}"
    return Rendered(render(contract.DEFAULTS[key], values, channel, limit), problem)


# Every character a header line must not carry: CR, LF, and the other line breaks
# and controls Python's str.splitlines() or a mail client might honour.
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def one_line(text: str, limit: int) -> str:
    """A subject: every line break and control character a space, runs of spaces one."""
    line = " ".join(_HEADER_BREAKS.sub(" ", text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def warn(what: str) -> None:
    print(f"notify: {what}", file=sys.stderr, flush=True)
