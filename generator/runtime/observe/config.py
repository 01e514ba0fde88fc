"""The env contract of ``observe`` (docs/runtime-interface.md), parsed and checked.

Every problem is reported at once, as one InputError (exit 2), before anything
connects anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from generator.runtime.durations import parse_duration
from generator.runtime.errors import InputError
from generator.runtime.observe.logtail import MAX_TAIL_BYTES

TEKTON_SINK = "tekton"
DEFAULT_TEKTON_NAMESPACE = "tekton-pipelines"
# Tekton Pipelines v1.15: pkg/apis/config/events.go GetEventsConfigName() and sinkKey.
TEKTON_EVENTS_CONFIG_MAP = "config-events"
TEKTON_EVENTS_SINK_KEY = "sink"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# A label key: optional DNS-subdomain prefix and "/", then a name of at most 63.
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
MAX_CONCURRENCY = 1000


def is_label_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return False
    return bool(_LABEL_NAME.match(name))


@dataclass(frozen=True)
class ObserveConfig:
    """What ``observe`` was told to do."""

    namespaces: tuple[str, ...]
    selector: str
    sink_url: str | None  # None: read Tekton's config-events
    tekton_namespace: str
    source: str
    log_tail_bytes: int
    health_port: int
    resync: float
    delivery_timeout: float
    # The concurrency gate (gate.py): None = runs are not held back.
    concurrency_limit: int | None = None
    concurrency_key: str | None = None


def _int(
    env: Mapping[str, str], name: str, default: int, low: int, high: int, errs: list[str]
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        errs.append(f"{name}: {raw!r} is not an integer")
        return default
    if not low <= value <= high:
        errs.append(f"{name}: {value} is outside {low}..{high}")
    return value


def _duration(env: Mapping[str, str], name: str, default: str, errs: list[str]) -> float:
    try:
        return parse_duration(env.get(name, "").strip() or default, what=name)
    except InputError as exc:
        errs.append(str(exc))
        return 1.0


def load_config(env: Mapping[str, str]) -> ObserveConfig:
    """The configuration in ``env``; InputError listing every problem."""
    errs: list[str] = []
    namespaces = tuple(
        n.strip() for n in env.get("BENCHGEN_NAMESPACES", "").split(",") if n.strip()
    )
    if not namespaces:
        errs.append("BENCHGEN_NAMESPACES is required (comma-separated namespaces to watch)")
    for ns in namespaces:
        if len(ns) > 63 or not _DNS_LABEL.match(ns):
            errs.append(f"BENCHGEN_NAMESPACES: {ns!r} is not a namespace name")
    if len(set(namespaces)) != len(namespaces):
        errs.append("BENCHGEN_NAMESPACES: a namespace is listed twice")

    selector = env.get("BENCHGEN_SELECTOR", "").strip()
    if not selector:
        # Without it the observer would report (and annotate) every run in the namespace.
        errs.append("BENCHGEN_SELECTOR is required, e.g. benchgen.dev/benchmark=<name>")

    sink = env.get("BENCHGEN_SINK", "").strip()
    sink_url: str | None = None
    if not sink:
        errs.append("BENCHGEN_SINK is required: an http(s):// URL or 'tekton'")
    elif sink != TEKTON_SINK:
        parts = urlsplit(sink)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errs.append(f"BENCHGEN_SINK: {sink!r} is neither an http(s):// URL nor 'tekton'")
        sink_url = sink
    tekton_ns = env.get("BENCHGEN_TEKTON_NAMESPACE", "").strip() or DEFAULT_TEKTON_NAMESPACE
    if not _DNS_LABEL.match(tekton_ns):
        errs.append(f"BENCHGEN_TEKTON_NAMESPACE: {tekton_ns!r} is not a namespace name")

    source = env.get("BENCHGEN_EVENT_SOURCE", "").strip()
    if not source:
        errs.append("BENCHGEN_EVENT_SOURCE is required, e.g. /benchgen/<namespace>/<benchmark>")
    elif any(c.isspace() for c in source):
        errs.append(f"BENCHGEN_EVENT_SOURCE: {source!r} is not a URI reference (whitespace)")

    tail = _int(env, "BENCHGEN_LOG_TAIL_BYTES", 4096, 0, MAX_TAIL_BYTES, errs)
    port = _int(env, "BENCHGEN_HEALTH_PORT", 8081, 1, 65535, errs)
    resync = _duration(env, "BENCHGEN_RESYNC_PERIOD", "5m", errs)
    delivery = _duration(env, "BENCHGEN_DELIVERY_TIMEOUT", "30s", errs)
    limit: int | None = None
    if env.get("BENCHGEN_CONCURRENCY_LIMIT", "").strip():
        limit = _int(env, "BENCHGEN_CONCURRENCY_LIMIT", 1, 1, MAX_CONCURRENCY, errs)
    key = env.get("BENCHGEN_CONCURRENCY_KEY", "").strip() or None
    if key is not None and limit is None:
        errs.append("BENCHGEN_CONCURRENCY_KEY needs BENCHGEN_CONCURRENCY_LIMIT")
    if key is not None and not is_label_key(key):
        errs.append(f"BENCHGEN_CONCURRENCY_KEY: {key!r} is not a label key")
    if errs:
        raise InputError("; ".join(errs))
    return ObserveConfig(
        namespaces=namespaces,
        selector=selector,
        sink_url=sink_url,
        tekton_namespace=tekton_ns,
        source=source,
        log_tail_bytes=tail,
        health_port=port,
        resync=resync,
        delivery_timeout=delivery,
        concurrency_limit=limit,
        concurrency_key=key,
    )
