"""The webhook listener's refusal record (spec.triggers.webhook.recordRefusals).

Tekton Triggers does not tell why it refused an event: a check's ``continue:
false`` is logged at debug level only. With recordRefusals enabled, every webhook
trigger's chain gets a checkpoint before each check and one after the last, each
a call to ``benchgen-poller record-refusals`` (a namespaced Interceptor) naming its
position and the check that comes next; the furthest checkpoint an event reached
names the check that refused it (generator.contract.refusals). The recorder
keeps the event's body and non-secret headers, and appends the refused ones to
ConfigMap ``<name>-refusals``, which ``benchgen replay`` reads.

Objects: that ConfigMap (rendered without data, so applying the manifests never
resets it), the recorder's ServiceAccount, Role and RoleBinding, Deployment (one
replica: every checkpoint of an event must reach the same memory), Service,
Interceptor, and a NetworkPolicy admitting the webhook listener's pods only.
"""

from __future__ import annotations

from generator.compile.configmaps import STATE_ANNOTATION, _config_map
from generator.compile.controller import HEALTH_PORT, deployment, probe, service
from generator.compile.interceptor import (
    DEFAULT_RESOURCES,
    NAMESPACED_INTERCEPTOR,
    SERVICE_PORT,
    namespaced_interceptor,
)
from generator.compile.meta import Manifest
from generator.compile.network import network_policy
from generator.compile.pods import TMP_MOUNT, TMP_VOLUME, container_resources, container_security
from generator.compile.rbac import Rule, _granted_each, service_account
from generator.config.names import Names
from generator.contract import env as var
from generator.contract import refusals
from generator.contract.commands import POLLER, RECORD_REFUSALS

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark

ROLE = "record-refusals"
PORT = int(RECORD_REFUSALS.default(var.PORT))
# What a record says about each check the generator writes (by its interceptor name).
REASONS = {
    "verify-github": "X-Hub-Signature-256 is missing or does not match the secret, or"
    " X-GitHub-Event is not one of auth.eventTypes",
    "verify-gitlab": "X-Gitlab-Token is missing or not the secret, or X-Gitlab-Event is not"
    " one of auth.eventTypes",
    "verify-token": "the token header is missing or not the secret",
    "select-pipeline": "spec.triggers.select: the event's value names no Pipeline",
    "validate-payload": "the params contract: a required param is missing or blank, or a"
    " value breaks its constraints (pattern, length, image tag, label value)",
    "event-id-names-the-run": "spec.triggers.webhook.eventIdParam: the id is not DNS-safe or"
    " too long for a run name",
    "delivery-key": "a redelivery: the provider's delivery id already started a run",
}
# Checks that stop an event on purpose, answered: an event stopped there is not refused.
ANSWERED = frozenset({"webhook-probe"})


def enabled(bench: Benchmark) -> bool:
    return bool(bench.spec.triggers.webhook.record_refusals.enabled)


def name(names: Names) -> str:
    """The ConfigMap, and the recorder's Deployment, Service, Interceptor and identity."""
    return names.base + refusals.SUFFIX


def with_checkpoints(bench: Benchmark, names: Names, chain: list[Manifest]) -> list[Manifest]:
    """``chain`` with a checkpoint before each interceptor and one after the last."""
    if not enabled(bench):
        return chain
    out: list[Manifest] = []
    for position, check in enumerate(chain):
        check_name = str(check["name"])
        out += [_checkpoint(names, position, check_name), check]
    out.append(_checkpoint(names, len(chain), refusals.PASSED))
    return out


def _checkpoint(names: Names, position: int, check: str) -> Manifest:
    params: list[Manifest] = [
        {"name": refusals.POSITION_PARAM, "value": position},
        {"name": refusals.CHECK_PARAM, "value": check},
    ]
    if check in ANSWERED:
        params.append({"name": refusals.ANSWERED_PARAM, "value": True})
    elif check != refusals.PASSED:
        reason = REASONS.get(check, f"the {check} interceptor did not let it through")
        params.append({"name": refusals.REASON_PARAM, "value": reason})
    return {
        "name": f"checkpoint-{position}",
        "ref": {"name": name(names), "kind": NAMESPACED_INTERCEPTOR},
        "params": params,
    }


def kept_headers(bench: Benchmark) -> list[str]:
    """The headers a record keeps: the contract's, and those params are read from; never
    the token auth header (contract.refusals.SECRET_HEADERS covers the others)."""
    auth = bench.spec.triggers.webhook.auth
    secret = {auth.header.lower()} if auth.type == "token" else set()
    kept = {h.lower(): h for h in refusals.DEFAULT_HEADERS}
    for param in bench.spec.params:
        kind, _, header = param.from_.partition(".")
        if kind == "header" and header.lower() not in kept:
            kept[header.lower()] = header
    return [h for low, h in kept.items() if low not in secret | refusals.SECRET_HEADERS]


def build(bench: Benchmark, names: Names) -> list[Manifest]:
    if not enabled(bench):
        return []
    record = name(names)
    settings = bench.spec.triggers.webhook.record_refusals
    observe = bench.spec.observe
    container = {
        "name": ROLE,
        "image": bench.spec.pipeline.image,
        "command": [POLLER],
        "args": [RECORD_REFUSALS.name],
        "env": [
            {"name": var.PORT, "value": str(PORT)},
            {"name": var.HEALTH_PORT, "value": str(HEALTH_PORT)},
            {"name": var.NAMESPACE, "value": names.namespace},
            {"name": var.REFUSALS_CONFIGMAP, "value": record},
            {"name": var.REFUSALS_HEADERS, "value": ",".join(kept_headers(bench))},
            {"name": var.REFUSALS_MAX, "value": str(settings.max_records)},
        ],
        "ports": [
            {"name": "http", "containerPort": PORT, "protocol": "TCP"},
            {"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
        ],
        "livenessProbe": probe("/health", "health", 20),
        "readinessProbe": probe("/health", "health", 10),
        "resources": container_resources(observe.resources) if observe else DEFAULT_RESOURCES,
        "securityContext": container_security(),
        "volumeMounts": [TMP_MOUNT],
    }
    why = (
        f"written by benchgen-poller record-refusals (the webhook events the listener refused,"
        f" {settings.max_records} at most), read by 'benchgen replay'; rendered without data"
        " so that applying the manifests never resets it"
    )
    config_map = _config_map(names, record, None, {STATE_ANNOTATION: why})
    listener_pods = {"podSelector": {"matchLabels": {"eventlistener": names.listener}}}
    ingress = [{"from": [listener_pods], "ports": [{"protocol": "TCP", "port": PORT}]}]
    return [
        config_map,
        service_account(names, record, token=True),
        *_role(names, record),
        # One replica, replaced with a surge: every checkpoint of an event must reach the
        # same memory; during a roll-out the two pods may each see part of an event.
        deployment(
            names,
            record,
            ROLE,
            container,
            replicas=1,
            strategy="RollingUpdate",
            volumes=[TMP_VOLUME],
        ),
        service(names, record, ROLE, SERVICE_PORT),
        namespaced_interceptor(names, record),
        network_policy(names, record, names.role_labels(ROLE), ingress),
    ]


def _role(names: Names, record: str) -> list[Manifest]:
    rules: list[tuple[Rule, list[str] | None]] = [
        (
            (
                [""],
                ["configmaps"],
                ["get", "patch"],
                f"append refused events to ConfigMap {record} only (merge patch carrying the"
                " resourceVersion)",
            ),
            [record],
        ),
        (
            (
                ["tekton.dev"],
                ["pipelineruns"],
                ["list"],
                "tell whether an event that passed every check started a run"
                " (label triggers.tekton.dev/triggers-eventid)",
            ),
            None,
        ),
    ]
    return _granted_each(names, record, names.namespace, record, rules)
