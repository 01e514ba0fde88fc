"""``benchgen-poller cleanup``: delete what the run deployed and wait until it is gone.

Runs in the Pipeline's ``finally``, so it runs whether the run passed or failed.
``BENCHGEN_CLEANUP_SPEC`` (static JSON written by the generator) names the
objects by apiVersion, kind, namespace and labels; a label value or the
namespace may come from a param, read here from ``BENCHGEN_PARAM_<NAME>``
and checked to be a valid label value / namespace name, so a param can never
widen the selector (``a,b!=c``) or reach a shell.

Each selected object is deleted with ``propagationPolicy: Foreground`` and a
``uid`` precondition, then the selectors are listed again until they match
nothing (finalizers, e.g. Flux's, included) or ``--timeout``: objects that
appear meanwhile are deleted too, so the cluster is clean for the next run.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from generator.runtime.durations import format_duration
from generator.runtime.errors import EXIT_FAILED, EXIT_OK, InfraError, InputError
from generator.runtime.request import param_env, read_param

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_PLURAL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_API_VERSION = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+((alpha|beta)[0-9]+)?$")
_KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")
# API answers that waiting cannot fix: a wrong kind, no permission, bad selector.
_CONFIG_ERRORS = (400, 401, 403, 404)


@dataclass(frozen=True)
class Target:
    """One kind of object to delete, in one namespace, selected by labels."""

    api_version: str
    kind: str
    plural: str | None
    namespace: str
    labels: tuple[tuple[str, str], ...]

    @property
    def selector(self) -> str:
        # Keys and values are validated, so joining them cannot change the meaning.
        return ",".join(f"{k}={v}" for k, v in self.labels)

    def describe(self) -> str:
        return f"{self.kind} in {self.namespace} ({self.selector})"


@dataclass(frozen=True)
class CleanupOptions:
    timeout: float
    interval: float


def _is_label_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return False
    return bool(_LABEL_NAME.fullmatch(name))


def _value(raw: Any, env: Mapping[str, str], where: str, errs: list[str]) -> str | None:
    """A literal string, or ``{"param": "<name>"}`` read from BENCHGEN_PARAM_<NAME>."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and set(raw) == {"param"} and isinstance(raw["param"], str):
        name = param_env(raw["param"])
        value = read_param(env, raw["param"])
        if value is None:
            errs.append(f"{where}: {name} is not set (param {raw['param']!r})")
            return None
        return value
    errs.append(f'{where}: expected a string or {{"param": "<name>"}}, got {json.dumps(raw)}')
    return None


def parse_spec(text: str | None, env: Mapping[str, str]) -> list[Target]:
    """``BENCHGEN_CLEANUP_SPEC`` with its params resolved; InputError naming every problem."""
    if not text or not text.strip():
        raise InputError("BENCHGEN_CLEANUP_SPEC is required (a JSON list of objects to delete)")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise InputError(f"BENCHGEN_CLEANUP_SPEC is not JSON: {exc}") from exc
    if not isinstance(raw, list) or not raw:
        raise InputError("BENCHGEN_CLEANUP_SPEC must be a non-empty JSON list")
    errs: list[str] = []
    targets: list[Target] = []
    allowed = {"apiVersion", "kind", "plural", "namespace", "labels"}
    for i, item in enumerate(raw):
        where = f"BENCHGEN_CLEANUP_SPEC[{i}]"
        if not isinstance(item, dict):
            errs.append(f"{where}: expected an object")
            continue
        for extra in sorted(set(item) - allowed):
            errs.append(f"{where}.{extra}: unknown field (allowed: {', '.join(sorted(allowed))})")
        api_version, kind, plural = item.get("apiVersion"), item.get("kind"), item.get("plural")
        if not isinstance(api_version, str) or not _API_VERSION.fullmatch(api_version):
            errs.append(
                f"{where}.apiVersion: {api_version!r} is not an apiVersion like v1 or group/v1"
            )
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            errs.append(f"{where}.kind: {kind!r} is not a kind like HelmRelease")
        if plural is not None and (not isinstance(plural, str) or not _PLURAL.fullmatch(plural)):
            errs.append(f"{where}.plural: {plural!r} is not a resource name like helmreleases")
        ns = _value(item.get("namespace"), env, f"{where}.namespace", errs)
        if ns is not None and (len(ns) > 63 or not _DNS_LABEL.fullmatch(ns)):
            errs.append(f"{where}.namespace: {ns!r} is not a namespace name")
        labels = item.get("labels")
        pairs: list[tuple[str, str]] = []
        if not isinstance(labels, dict) or not labels:
            # Never "every object of this kind in the namespace".
            errs.append(f"{where}.labels: at least one label is required")
        else:
            for key, raw_value in labels.items():
                if not _is_label_key(key):
                    errs.append(f"{where}.labels: {key!r} is not a label key")
                value = _value(raw_value, env, f"{where}.labels[{key}]", errs)
                if value is None:
                    continue
                if not value:
                    errs.append(f"{where}.labels[{key}]: empty value (would select too much)")
                elif not _LABEL_VALUE.fullmatch(value) or len(value) > 63:
                    errs.append(f"{where}.labels[{key}]: {value!r} is not a label value")
                pairs.append((key, value))
        if not errs:
            targets.append(
                Target(str(api_version), str(kind), plural, str(ns), tuple(sorted(pairs)))
            )
    if errs:
        raise InputError("; ".join(errs))
    return targets


def log(message: str) -> None:
    print(f"cleanup: {message}", flush=True)


def _describe(obj: Mapping[str, Any], kind: str) -> str:
    m = obj.get("metadata") or {}
    text = f"{kind} {m.get('namespace')}/{m.get('name')}"
    if m.get("deletionTimestamp"):
        text += f" (deleting since {m['deletionTimestamp']}"
        if m.get("finalizers"):
            text += f", finalizers {', '.join(m['finalizers'])}"
        text += ")"
    return text


def run_cleanup(opts: CleanupOptions, env: Mapping[str, str] | None = None) -> int:
    """Delete and wait; 0 when every selector matches nothing, 1 at the deadline."""
    env = os.environ if env is None else env
    targets = parse_spec(env.get("BENCHGEN_CLEANUP_SPEC"), env)
    from generator.runtime import kube

    try:
        api = kube.api_client()
    except Exception as exc:  # kubernetes' ConfigException and file errors
        raise InputError(f"no usable kubeconfig or in-cluster config: {exc}") from exc
    start = time.monotonic()
    deadline = start + opts.timeout
    with tempfile.TemporaryDirectory(prefix="benchgen-cleanup-") as tmp:
        cache = str(Path(tmp) / "discovery.json")
        client = _retrying(deadline, "discovery", partial(kube.CleanupClient, api, cache))
        resources = [_resolve(client, t, deadline) for t in targets]
        deleted = 0
        delay = min(0.5, opts.interval)
        while True:
            left: list[str] = []
            for t, res in zip(targets, resources, strict=True):
                listing = partial(client.list, res, t.namespace, t.selector)
                for obj in _retrying(deadline, f"list {t.describe()}", listing):
                    if not (obj.get("metadata") or {}).get("deletionTimestamp"):
                        deleted += _delete(client, res, t, obj, deadline)
                    left.append(_describe(obj, t.kind))
            took = format_duration(time.monotonic() - start)
            if not left:
                log(f"all gone ({deleted} deleted here) after {took}")
                return EXIT_OK
            now = time.monotonic()
            if now >= deadline:
                log(f"still there after {took} (--timeout): " + "; ".join(left))
                return EXIT_FAILED
            log(f"waiting for {len(left)}: " + "; ".join(left))
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, opts.interval)


def _resolve(client: Any, t: Target, deadline: float) -> Any:
    res = _retrying(
        deadline,
        f"resolve {t.kind} ({t.api_version})",
        partial(client.resource, t.api_version, t.kind),
    )
    if t.plural and res.name != t.plural:
        raise InputError(
            f"{t.kind} ({t.api_version}): the API server names it {res.name!r},"
            f" the spec says {t.plural!r}"
        )
    return res


def _delete(client: Any, res: Any, t: Target, obj: Mapping[str, Any], deadline: float) -> int:
    m = obj.get("metadata") or {}
    name, uid = str(m.get("name")), str(m.get("uid"))
    what = f"{t.kind} {t.namespace}/{name}"
    # 404: gone already; 409: a new object under that name (the next list has it).
    call = partial(client.delete, res, t.namespace, name, uid)
    if _retrying(deadline, f"delete {what}", call, tolerate=(404, 409)) is _TOLERATED:
        return 0
    log(f"deleting {what} (Foreground)")
    return 1


_TOLERATED = object()


def _retrying(
    deadline: float, what: str, call: Callable[[], Any], tolerate: tuple[int, ...] = ()
) -> Any:
    """``call()``, retried with backoff on transient API errors until ``deadline``
    (then exit 4); a client error that waiting cannot fix is bad configuration
    (exit 2); a status in ``tolerate`` returns ``_TOLERATED``."""
    from generator.runtime import kube

    backoff = 0.5
    while True:
        try:
            return call()
        except kube.KubeError as exc:
            if exc.status in tolerate:
                return _TOLERATED
            if exc.status in _CONFIG_ERRORS:
                raise InputError(f"{what}: {exc}") from exc
            now = time.monotonic()
            if now + backoff >= deadline:
                raise InfraError(f"{what}: {exc}; giving up at the deadline") from exc
            log(f"{what}: {exc}; retrying in {backoff:.1f}s")
            time.sleep(backoff)
            backoff = min(backoff * 2, 10.0)
