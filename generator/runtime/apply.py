"""``benchgen-poller apply``: deploy the run's manifest and wait until it is ready.

The first task of a run with ``spec.pipeline.deploy``. ``BENCHGEN_APPLY_SPEC``
(static JSON written by the generator, contract.apply) names a ConfigMap key
built from the run's params, the kinds the step may apply (each in one
namespace), the param values to write into the documents, and the condition to
wait for.

The key's YAML documents are parsed with a safe loader; a document whose
apiVersion, kind or namespace is not one of the targets is refused before
anything is applied. Each declared path is set to the param's value as a YAML
value (the text of the manifest is never edited), then every document is
server-side applied (field manager ``benchgen``, force) and read back until its
condition is ``True`` for its current generation, or ``--timeout``.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from generator.contract import apply
from generator.contract import env as var
from generator.contract.apply import Assignment, Plan, Target
from generator.contract.commands import APPLY, EXIT_OK, EXIT_TIMEOUT
from generator.runtime import kube
from generator.runtime.args import add_flag, duration
from generator.runtime.clock import Clock
from generator.runtime.converge import Deadline
from generator.runtime.errors import InputError
from generator.runtime.results import write_result

Doc = dict[str, Any]


def log(message: str) -> None:
    print(f"apply: {message}", flush=True)


DESCRIPTION = (
    "Read a manifest from a ConfigMap key built from the run's params, refuse any"
    " document whose apiVersion/kind/namespace is not a target, write the declared param"
    " values into the documents (YAML values, never text), server-side apply each (field"
    " manager benchgen, force), then wait until every object's condition is True for its"
    f" current generation. Env: {var.APPLY_SPEC} (contract.apply); the params it names"
    f" from {var.PARAM_PREFIX}<NAME>. Exit 0 all ready, 2 bad input, a refused document,"
    " a refusal of the API server or missing RBAC, 3 not ready at --timeout (each object"
    " and its last condition listed), 4 API server unreachable or failing until --timeout."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_flag(parser, APPLY, "--timeout", "reading, applying and waiting, together", metavar="D")
    add_flag(parser, APPLY, "--interval", "longest pause between checks", metavar="D")
    parser.add_argument(
        "--deployed-path", metavar="P", help="write the applied objects here (Tekton result)"
    )


# -- the manifest: pure functions, no API ---------------------------------------


def documents(text: str, plan: Plan) -> list[tuple[Target, Doc]]:
    """The documents of ``text``, each with its target and the assignments made; an
    InputError naming every refused document (nothing is applied then)."""
    import yaml  # PyYAML: only this command parses YAML

    try:
        loaded = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise InputError(f"{_source(plan)}: not YAML: {exc}") from None
    if not loaded:
        raise InputError(f"{_source(plan)}: no documents")
    errs: list[str] = []
    out: list[tuple[Target, Doc]] = []
    seen: set[tuple[str, str, str]] = set()
    for i, doc in enumerate(loaded):
        where = f"document {i + 1}"
        target = _target(doc, plan.targets, where, errs)
        if target is None:
            continue
        meta = doc["metadata"]
        meta["namespace"] = target.namespace
        ident = (target.kind, target.namespace, meta["name"])
        if ident in seen:
            errs.append(f"{where}: {describe(target, meta['name'])} appears twice")
            continue
        seen.add(ident)
        for a in plan.assignments:
            if a.kind == target.kind:
                problem = assign(doc, a)
                if problem:
                    errs.append(f"{where} ({describe(target, meta['name'])}): {problem}")
        out.append((target, doc))
    if errs:
        raise InputError(f"{_source(plan)}: " + "; ".join(errs))
    return out


def _source(plan: Plan) -> str:
    return f"ConfigMap {plan.namespace}/{plan.config_map} key {plan.key!r}"


def _target(doc: object, targets: tuple[Target, ...], where: str, errs: list[str]) -> Target | None:
    if not isinstance(doc, dict):
        errs.append(f"{where}: not a mapping")
        return None
    api_version, kind, meta = doc.get("apiVersion"), doc.get("kind"), doc.get("metadata")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        errs.append(f"{where}: apiVersion and kind are required")
        return None
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        errs.append(f"{where} ({kind}): metadata.name is required (generateName is not applied)")
        return None
    same = [t for t in targets if (t.api_version, t.kind) == (api_version, kind)]
    allowed = ", ".join(t.describe() for t in targets)
    if not same:
        errs.append(
            f"{where} ({kind} {meta['name']}): {kind} ({api_version}) is not a target;"
            f" the step may apply only: {allowed}"
        )
        return None
    namespace = meta.get("namespace")
    if namespace is None:
        if len(same) > 1:
            errs.append(
                f"{where} ({kind} {meta['name']}): name its namespace, one of "
                + ", ".join(t.namespace for t in same)
            )
            return None
        return same[0]
    match = next((t for t in same if t.namespace == namespace), None)
    if match is None:
        errs.append(
            f"{where} ({kind} {meta['name']}): namespace {namespace!r} is not a target's;"
            f" the step may apply only: {allowed}"
        )
    return match


def assign(doc: Doc, a: Assignment) -> str | None:
    """Set ``a.path`` of ``doc`` to ``a.value``, creating missing maps; why not, or None."""
    node: Any = doc
    for depth, part in enumerate(a.path):
        last = depth == len(a.path) - 1
        at = _dotted(a.path[: depth + 1])
        if isinstance(part, int):
            if not isinstance(node, list) or not -len(node) <= part < len(node):
                return f"set {_dotted(a.path)} (param {a.param!r}): no list item at {at}"
            if last:
                node[part] = a.value
            else:
                node = node[part]
            continue
        if not isinstance(node, dict):
            parent = _dotted(a.path[:depth])
            return f"set {_dotted(a.path)} (param {a.param!r}): {parent} is not a map"
        if last:
            node[part] = a.value
        else:
            child = node.get(part)
            if child is None:  # missing (or null): a new map
                child = node[part] = {}
            node = child
    return None


def _dotted(path: tuple[apply.PathPart, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("-", "").replace("_", "").isalnum():
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


def describe(target: Target, name: str) -> str:
    return f"{target.kind} {target.namespace}/{name}"


def readiness(obj: Mapping[str, Any], condition: str) -> tuple[bool, str]:
    """Whether ``obj`` has ``condition`` True for its current generation, and why not."""
    meta = obj.get("metadata") or {}
    status = obj.get("status") or {}
    generation = meta.get("generation")
    observed = status.get("observedGeneration")
    if generation is not None and observed is not None and observed < generation:
        return False, f"generation {generation} not observed yet (status at {observed})"
    found = next((c for c in status.get("conditions") or [] if c.get("type") == condition), None)
    if found is None:
        return False, f"no {condition} condition yet"
    cond_observed = found.get("observedGeneration")
    if generation is not None and cond_observed is not None and cond_observed < generation:
        return False, f"{condition} is about generation {cond_observed}, not {generation}"
    state = f"{condition}={found.get('status')}"
    if found.get("reason"):
        state += f" ({found['reason']})"
    if found.get("message"):
        state += f": {found['message']}"
    return found.get("status") == "True", state


# -- the command -------------------------------------------------------------------


def run(args: argparse.Namespace, env: Mapping[str, str], clock: Clock) -> int:
    """Apply and wait; 0 when every object is ready, 3 at the deadline."""
    timeout = duration(args.timeout, "--timeout")
    interval = duration(args.interval, "--interval")
    plan = apply.decode(env.get(var.APPLY_SPEC), env)
    api = kube.api_client()
    by = Deadline.after(clock, timeout, "apply")
    source = _source(plan)
    read = partial(kube.read_config_map, api, plan.namespace, plan.config_map)
    data = by.call(f"read {source}", read)[0]
    text = data.get(plan.key)
    if text is None:
        keys = ", ".join(sorted(data)) or "none"
        raise InputError(f"{source}: no such key (its keys: {keys})")
    docs = documents(text, plan)
    for a in plan.assignments:
        if all(t.kind != a.kind for t, _ in docs):
            log(f"set {_dotted(a.path)} (param {a.param!r}): no {a.kind} document to set it in")
    with tempfile.TemporaryDirectory(prefix="benchgen-apply-") as tmp:
        cache = str(Path(tmp) / "discovery.json")
        client = by.call("discovery", partial(kube.ObjectClient, api, cache))
        resources = {
            t: by.resolve(client, t.api_version, t.kind, t.plural, namespaced=True)
            for t in {t for t, _ in docs}
        }
        applied: list[tuple[Target, str]] = []
        for target, doc in docs:
            name = doc["metadata"]["name"]
            what = describe(target, name)
            out = by.call(
                f"apply {what}", partial(client.apply, resources[target], target.namespace, doc)
            )
            generation = (out.get("metadata") or {}).get("generation")
            log(f"applied {what}" + (f" (generation {generation})" if generation else ""))
            applied.append((target, name))
        write_result(args.deployed_path, "\n".join(describe(t, n) for t, n in applied))

        def not_ready() -> list[str]:
            out: list[str] = []
            for target, name in applied:
                what = describe(target, name)
                get = partial(client.get, resources[target], target.namespace, name)
                try:
                    obj = by.call(f"get {what}", get, not_found=True)
                except kube.NotFound:
                    out.append(f"{what}: not found (deleted meanwhile?)")
                    continue
                ready, why = readiness(obj, plan.condition)
                if not ready:
                    out.append(f"{what}: {why}")
            return out

        pending = by.wait(interval, 1.0, not_ready)
        if pending:
            log(f"not {plan.condition} after {by.took()} (--timeout): " + "; ".join(pending))
            return EXIT_TIMEOUT
        log(f"all {len(applied)} {plan.condition} after {by.took()}")
        return EXIT_OK
