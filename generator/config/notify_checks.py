"""Checks of spec.pipeline.finally.notify: its channels, and its Jinja2 templates
parsed as ``benchgen-poller notify`` will run them (contract.notify), so a
template that cannot render is found at ``benchgen validate``, with its line.

jinja2 is imported only when a template is configured.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from generator.contract import notify as contract

if TYPE_CHECKING:
    from generator.config.models import Benchmark, NotifySpec

Finding = tuple[str, str]
WHERE = "spec.pipeline.finally.notify"
TEMPLATE_MAX = 20_000  # characters: a message's template, not a document
_IMPLICIT = ("loop", "caller", "varargs", "kwargs", "self")  # what Jinja itself defines


def check(bench: Benchmark) -> Iterator[Finding]:
    fin = bench.spec.pipeline.finally_
    if fin is None or fin.notify is None:
        return
    notify = fin.notify
    if notify.url_secret_ref is None and notify.email is None:
        yield WHERE, "set urlSecretRef (a Slack-compatible webhook), email, or both"
    if notify.template is not None and notify.url_secret_ref is None:
        yield (
            f"{WHERE}.template",
            "this is the Slack text, and there is no urlSecretRef: set one, or write the"
            " e-mail's text as email.template",
        )
    email = notify.email
    if email is not None and email.smtp.security == "none" and email.credentials_secret_ref:
        yield (
            f"{WHERE}.email.credentialsSecretRef",
            "a login over a connection without TLS would send the password in clear text:"
            " set smtp.security to starttls or tls",
        )
    params = [p.name for p in bench.spec.params]
    for field, text in templates(notify).items():
        for problem in template_problems(text, params):
            yield f"{WHERE}.{field}", problem


def templates(notify: NotifySpec) -> dict[str, str]:
    """Config field (under notify) -> the template text, for those configured."""
    email = notify.email
    texts = {
        "template": notify.template,
        "email.subject": email.subject if email else None,
        "email.template": email.template if email else None,
    }
    assert texts.keys() == contract.TEMPLATE_FIELDS.keys()
    return {field: text for field, text in texts.items() if text is not None}


def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    # The runtime's environment (notify_template._environment) but for finalize,
    # which changes no name or line.
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, **contract.JINJA_OPTIONS)


def _names() -> str:
    return ", ".join(contract.VARIABLES)


def template_problems(text: str, params: list[str]) -> list[str]:
    """Each problem as 'line N: what; how to fix', in the template's line order."""
    if len(text) > TEMPLATE_MAX:
        return [f"{len(text)} characters: keep a template under {TEMPLATE_MAX}"]
    from jinja2 import nodes
    from jinja2.exceptions import TemplateSyntaxError

    env = _environment()
    try:
        # Parsed, not compiled: compiling evaluates constant output ({{ 'x' * 10**9 }}).
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        what = (exc.message or "").rstrip(".")
        return [f"line {exc.lineno}: {what}: fix the Jinja2 syntax ({{{{ value }}}}, {{% if %}})"]
    found: list[tuple[int, str]] = []
    # What compiling would find: a filter or test Jinja2 does not have.
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        kind, known = (
            ("filter", env.filters) if isinstance(node, nodes.Filter) else ("test", env.tests)
        )
        if node.name not in known:
            found.append(
                (node.lineno, f"no {kind} named {node.name!r}: use Jinja2's built-in {kind}s")
            )
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        found.append((node.lineno, "a notification template cannot load other templates"))
    # Not jinja2.meta.find_undeclared_variables: it runs the code generator, which
    # evaluates constant output as compiling does. Names the template assigns (set,
    # for, macro arguments) and Jinja's own (range, dict, namespace, loop, ...) are
    # known; scoping is not followed (the runtime's StrictUndefined catches the rest).
    known = {
        *contract.VARIABLES,
        *env.globals,
        *_IMPLICIT,
        *(n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")),
    }
    reported: set[str] = set()
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in known and node.name not in reported:
            reported.add(node.name)  # once, at its first use
            found.append(
                (node.lineno, f"unknown variable {node.name!r}; the variables are: {_names()}")
            )
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        key = node.attr if isinstance(node, nodes.Getattr) else _const(node.arg)
        if key is None:
            continue
        if key.startswith("_"):
            found.append(
                (
                    node.lineno,
                    f"{key!r}: the sandbox refuses names starting with '_'; use the variables"
                    " as they are",
                )
            )
        elif (
            isinstance(node.node, nodes.Name)
            and node.node.name == "params"
            and key not in params
            and not hasattr(dict, key)  # params.items() and such
        ):
            have = ", ".join(params) or "none"
            found.append((node.lineno, f"no param named {key!r}; the params are: {have}"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def _const(node: Any) -> str | None:
    from jinja2 import nodes

    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    return None


def template_params(notify: NotifySpec, params: list[str]) -> list[str]:
    """The params the templates read, in ``params`` order: the notify Task gets these.
    A template that reads ``params`` as a whole (``params.items()``, ``params[x]``)
    gets every param; one that does not parse gets none (check reports it)."""
    texts = templates(notify)
    if not texts:
        return []
    from jinja2 import nodes
    from jinja2.exceptions import TemplateSyntaxError

    env = _environment()
    used: set[str] = set()
    for text in texts.values():
        try:
            tree = env.parse(text)
        except TemplateSyntaxError:
            continue
        named: set[int] = set()  # the Name nodes read as params.<name> / params['<name>']
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            key = node.attr if isinstance(node, nodes.Getattr) else _const(node.arg)
            base = node.node
            if isinstance(base, nodes.Name) and base.name == "params" and key in params:
                used.add(key)
                named.add(id(base))
        for name in tree.find_all(nodes.Name):
            if name.name == "params" and name.ctx == "load" and id(name) not in named:
                return list(params)  # read as a whole
    return [p for p in params if p in used]
