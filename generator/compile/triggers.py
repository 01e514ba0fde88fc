"""Tekton Triggers objects: EventListener, TriggerBinding, TriggerTemplate."""

from __future__ import annotations

from generator.compile import cel
from generator.compile.meta import Manifest, manifest, metadata
from generator.compile.tekton import build_pipeline_run
from generator.config.models import Benchmark, GitHubAuth, GitLabAuth, NoAuth, TokenAuth
from generator.config.names import Names

TRIGGERS = "triggers.tekton.dev/v1beta1"
WARNING_ANNOTATION = "benchgen.dev/warning"


def _interceptor(name: str, ref: str, params: list[Manifest]) -> Manifest:
    return {"name": name, "ref": {"name": ref, "kind": "ClusterInterceptor"}, "params": params}


def auth_interceptors(bench: Benchmark) -> list[Manifest]:
    auth = bench.spec.triggers.webhook.auth
    if isinstance(auth, GitHubAuth | GitLabAuth):
        params: list[Manifest] = [
            {
                "name": "secretRef",
                "value": {"secretName": auth.secret_ref.name, "secretKey": auth.secret_ref.key},
            }
        ]
        if auth.event_types is not None:
            params.append({"name": "eventTypes", "value": list(auth.event_types)})
        return [_interceptor("verify-" + auth.type, auth.type, params)]
    if isinstance(auth, TokenAuth):
        check = cel.build_token_check(auth.header, auth.secret_ref.name, auth.secret_ref.key)
        return [_interceptor("verify-token", "cel", [{"name": "filter", "value": check}])]
    return []


def webhook_warnings(bench: Benchmark, names: Names) -> list[str]:
    if isinstance(bench.spec.triggers.webhook.auth, NoAuth):
        return [
            f"webhook authentication is off (spec.triggers.webhook.auth.type: none): anyone who"
            f" can reach Service {names.listener_service} can start runs"
        ]
    return []


def image_params(bench: Benchmark) -> set[str]:
    return {f.param for f in bench.spec.orchestrator.request if f.image_repository}


def build_event_listener(bench: Benchmark, names: Names) -> Manifest:
    params = bench.spec.params
    validate = _interceptor(
        "validate-payload",
        "cel",
        [
            {"name": "filter", "value": cel.build_filter(params, image_params(bench))},
            {"name": "overlays", "value": cel.build_overlays(params)},
        ],
    )
    meta = metadata(names, names.listener)
    warnings = webhook_warnings(bench, names)
    if warnings:
        meta["annotations"] = {WARNING_ANNOTATION: warnings[0]}
    return manifest(
        TRIGGERS,
        "EventListener",
        meta,
        spec={
            "serviceAccountName": names.listener_service_account,
            "triggers": [
                {
                    "name": "webhook",
                    "interceptors": [*auth_interceptors(bench), validate],
                    "bindings": [{"kind": "TriggerBinding", "ref": names.binding}],
                    "template": {"ref": names.template},
                }
            ],
        },
    )


def build_trigger_binding(bench: Benchmark, names: Names) -> Manifest:
    return manifest(
        TRIGGERS,
        "TriggerBinding",
        metadata(names, names.binding),
        spec={
            "params": [
                {"name": p.name, "value": f"$(extensions.{cel.extension_key(p)})"}
                for p in bench.spec.params
            ]
        },
    )


def build_trigger_template(bench: Benchmark, names: Names) -> Manifest:
    params = []
    for p in bench.spec.params:
        param: Manifest = {"name": p.name, "description": p.description or p.name}
        if not p.required:
            param["default"] = p.default_text
        params.append(param)
    return manifest(
        TRIGGERS,
        "TriggerTemplate",
        metadata(names, names.template),
        spec={
            "params": params,
            "resourcetemplates": [build_pipeline_run(bench, names, trigger="webhook")],
        },
    )
