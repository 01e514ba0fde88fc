"""The observer's configuration (``benchgen-poller observe``): its env,
encoded by the compiler into the controller Deployment and decoded by the
runtime, every problem reported at once before anything connects anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from generator.contract import commit_status, env, names
from generator.contract.commands import OBSERVE
from generator.contract.durations import parse_duration
from generator.contract.errors import ContractError

TEKTON_SINK = "tekton"  # the sink of Tekton's config-events ConfigMap
DEFAULT_TEKTON_NAMESPACE = OBSERVE.default(env.TEKTON_NAMESPACE)
DEFAULT_LOG_TAIL_BYTES = int(OBSERVE.default(env.LOG_TAIL_BYTES))
MAX_TAIL_BYTES = 65536
MAX_CONCURRENCY = 1000
MAX_PENDING = 10000  # spec.pipeline.concurrency.maxPending
HEALTH_PORT = int(OBSERVE.default(env.HEALTH_PORT))


@dataclass(frozen=True)
class ObserveConfig:
    """What ``observe`` is told to do."""

    namespaces: tuple[str, ...]
    selector: str
    sink: str  # an http(s) URL or TEKTON_SINK
    source: str  # the CloudEvents source of every event it sends
    log_tail_bytes: int = DEFAULT_LOG_TAIL_BYTES
    health_port: int = HEALTH_PORT
    tekton_namespace: str = DEFAULT_TEKTON_NAMESPACE
    resync: float = parse_duration(OBSERVE.default(env.RESYNC_PERIOD))
    delivery_timeout: float = parse_duration(OBSERVE.default(env.DELIVERY_TIMEOUT))
    # The concurrency gate: None = runs are not held back.
    concurrency_limit: int | None = None
    concurrency_key: str | None = None  # the label whose value groups runs
    # The queue of each key: at most this many waiting (None: unbounded), and
    # whether a newer pending run replaces the older ones.
    concurrency_max_pending: int | None = None
    concurrency_supersede: bool = False
    # Commit statuses back to the source (None: not reported) and the token's file.
    commit_status: commit_status.CommitStatusSpec | None = None
    commit_status_token_file: str | None = None

    @property
    def sink_url(self) -> str | None:
        """None: read the sink from Tekton's config-events."""
        return None if self.sink == TEKTON_SINK else self.sink


def encode(config: ObserveConfig) -> list[tuple[str, str]]:
    """The env the controller Deployment sets (durations left at their defaults)."""
    out = [
        (env.NAMESPACES, ",".join(config.namespaces)),
        (env.SELECTOR, config.selector),
        (env.SINK, config.sink),
        (env.EVENT_SOURCE, config.source),
        (env.LOG_TAIL_BYTES, str(config.log_tail_bytes)),
        (env.HEALTH_PORT, str(config.health_port)),
    ]
    if config.sink == TEKTON_SINK:
        out.append((env.TEKTON_NAMESPACE, config.tekton_namespace))
    if config.concurrency_limit is not None:
        out.append((env.CONCURRENCY_LIMIT, str(config.concurrency_limit)))
        if config.concurrency_key is not None:
            out.append((env.CONCURRENCY_KEY, config.concurrency_key))
        if config.concurrency_max_pending is not None:
            out.append((env.CONCURRENCY_MAX_PENDING, str(config.concurrency_max_pending)))
        if config.concurrency_supersede:
            out.append((env.CONCURRENCY_SUPERSEDE, "true"))
    if config.commit_status is not None:
        out.append((env.COMMIT_STATUS, commit_status.encode(config.commit_status)))
        if config.commit_status_token_file is not None:
            out.append((env.COMMIT_STATUS_TOKEN_FILE, config.commit_status_token_file))
    return out


def _get(values: Mapping[str, str], name: str) -> str:
    return values.get(name, "").strip()


def _int(values: Mapping[str, str], name: str, low: int, high: int, errs: list[str]) -> int:
    raw = _get(values, name) or OBSERVE.default(name)
    try:
        value = int(raw, 10)
    except ValueError:
        errs.append(f"{name}: {raw!r} is not an integer")
        return low
    if not low <= value <= high:
        errs.append(f"{name}: {value} is outside {low}..{high}")
    return value


def _duration(values: Mapping[str, str], name: str, errs: list[str]) -> float:
    raw = _get(values, name) or OBSERVE.default(name)
    try:
        return parse_duration(raw)
    except ValueError as exc:
        errs.append(f"{name}: {exc}")
        return 1.0


def decode(values: Mapping[str, str]) -> ObserveConfig:
    """The configuration in ``values`` (the process env); one ContractError
    listing every problem."""
    errs: list[str] = []
    namespaces = tuple(n.strip() for n in _get(values, env.NAMESPACES).split(",") if n.strip())
    if not namespaces:
        errs.append(f"{env.NAMESPACES} is required (comma-separated namespaces to watch)")
    for ns in namespaces:
        if names.namespace_problem(ns):
            errs.append(f"{env.NAMESPACES}: {ns!r} is not a namespace name")
    if len(set(namespaces)) != len(namespaces):
        errs.append(f"{env.NAMESPACES}: a namespace is listed twice")

    selector = _get(values, env.SELECTOR)
    if not selector:
        # Without it the observer would report (and annotate) every run in the namespace.
        errs.append(f"{env.SELECTOR} is required, e.g. benchgen.dev/benchmark=<name>")

    sink = _get(values, env.SINK)
    if not sink:
        errs.append(f"{env.SINK} is required: an http(s):// URL or '{TEKTON_SINK}'")
    elif sink != TEKTON_SINK:
        parts = urlsplit(sink)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errs.append(f"{env.SINK}: {sink!r} is neither an http(s):// URL nor '{TEKTON_SINK}'")
    tekton_ns = _get(values, env.TEKTON_NAMESPACE) or DEFAULT_TEKTON_NAMESPACE
    if names.namespace_problem(tekton_ns):
        errs.append(f"{env.TEKTON_NAMESPACE}: {tekton_ns!r} is not a namespace name")

    source = _get(values, env.EVENT_SOURCE)
    if not source:
        errs.append(f"{env.EVENT_SOURCE} is required, e.g. /benchgen/<namespace>/<benchmark>")
    elif any(c.isspace() for c in source):
        errs.append(f"{env.EVENT_SOURCE}: {source!r} is not a URI reference (whitespace)")

    tail = _int(values, env.LOG_TAIL_BYTES, 0, MAX_TAIL_BYTES, errs)
    port = _int(values, env.HEALTH_PORT, 1, 65535, errs)
    resync = _duration(values, env.RESYNC_PERIOD, errs)
    delivery = _duration(values, env.DELIVERY_TIMEOUT, errs)
    limit: int | None = None
    if _get(values, env.CONCURRENCY_LIMIT):
        limit = _int(values, env.CONCURRENCY_LIMIT, 1, MAX_CONCURRENCY, errs)
    key = _get(values, env.CONCURRENCY_KEY) or None
    if key is not None and limit is None:
        errs.append(f"{env.CONCURRENCY_KEY} needs {env.CONCURRENCY_LIMIT}")
    if key is not None and not names.is_label_key(key):
        errs.append(f"{env.CONCURRENCY_KEY}: {key!r} is not a label key")
    max_pending: int | None = None
    if _get(values, env.CONCURRENCY_MAX_PENDING):
        max_pending = _int(values, env.CONCURRENCY_MAX_PENDING, 1, MAX_PENDING, errs)
        if limit is None:
            errs.append(f"{env.CONCURRENCY_MAX_PENDING} needs {env.CONCURRENCY_LIMIT}")
    supersede_raw = (_get(values, env.CONCURRENCY_SUPERSEDE) or "false").lower()
    if supersede_raw not in ("true", "false"):
        errs.append(f"{env.CONCURRENCY_SUPERSEDE}: {supersede_raw!r} is neither true nor false")
    supersede = supersede_raw == "true"
    if supersede and limit is None:
        errs.append(f"{env.CONCURRENCY_SUPERSEDE} needs {env.CONCURRENCY_LIMIT}")
    status_spec: commit_status.CommitStatusSpec | None = None
    if _get(values, env.COMMIT_STATUS):
        try:
            status_spec = commit_status.decode(_get(values, env.COMMIT_STATUS), env.COMMIT_STATUS)
        except ContractError as exc:
            errs.append(str(exc))
    token_file = _get(values, env.COMMIT_STATUS_TOKEN_FILE) or None
    if (token_file is None) != (not _get(values, env.COMMIT_STATUS)):
        # Both or neither: GitHub and GitLab take a commit status only with a token.
        errs.append(f"{env.COMMIT_STATUS} and {env.COMMIT_STATUS_TOKEN_FILE} go together")
    if errs:
        raise ContractError("; ".join(errs))
    return ObserveConfig(
        namespaces=namespaces,
        selector=selector,
        sink=sink,
        source=source,
        log_tail_bytes=tail,
        health_port=port,
        tekton_namespace=tekton_ns,
        resync=resync,
        delivery_timeout=delivery,
        concurrency_limit=limit,
        concurrency_key=key,
        concurrency_max_pending=max_pending,
        concurrency_supersede=supersede,
        commit_status=status_spec,
        commit_status_token_file=token_file,
    )
