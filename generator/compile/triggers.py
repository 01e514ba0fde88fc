"""Tekton Triggers objects: EventListener, TriggerBinding, TriggerTemplate."""

from __future__ import annotations

from generator.compile import cel, refusals
from generator.compile.interceptor import delivery_key_interceptor, event_key_interceptor
from generator.compile.meta import WARNING_ANNOTATION, Manifest, manifest, metadata
from generator.compile.tekton import build_pipeline_run
from generator.config import variants
from generator.config.facts import (
    DELIVERY_PARAM,
    delivery_provider,
    image_params,
    label_safe_params,
)
from generator.config.names import Names
from generator.config.rules import RESERVED_EVENT_PREFIXES
from generator.contract.event_key import DELIVERY_EXTENSION
from generator.contract.event_key import EXTENSION as KEY_EXTENSION
from generator.contract.params import escape

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark

TRIGGERS = "triggers.tekton.dev/v1beta1"


def _interceptor(name: str, ref: str, params: list[Manifest]) -> Manifest:
    return {"name": name, "ref": {"name": ref, "kind": "ClusterInterceptor"}, "params": params}


def auth_interceptors(bench: Benchmark) -> list[Manifest]:
    # Dispatch on the discriminator, not the class: the plugin's fast path
    # hands in lite.py's twins, which are not the pydantic classes.
    auth = bench.spec.triggers.webhook.auth
    if auth.type == "github" or auth.type == "gitlab":
        params: list[Manifest] = [
            {
                "name": "secretRef",
                "value": {"secretName": auth.secret_ref.name, "secretKey": auth.secret_ref.key},
            }
        ]
        if auth.event_types is not None:
            params.append({"name": "eventTypes", "value": list(auth.event_types)})
        return [_interceptor("verify-" + auth.type, auth.type, params)]
    if auth.type == "token":
        check = cel.build_token_check(auth.header, auth.secret_ref.name, auth.secret_ref.key)
        return [_interceptor("verify-token", "cel", [{"name": "filter", "value": check}])]
    return []


def webhook_warnings(bench: Benchmark, names: Names) -> list[str]:
    if bench.spec.triggers.webhook.auth.type == "none":
        return [
            f"webhook authentication is off (spec.triggers.webhook.auth.type: none): anyone who"
            f" can reach Service {names.listener_service} can start runs"
        ]
    return []


def _validate_payload(bench: Benchmark, extra_overlays: list[dict[str, str]]) -> Manifest:
    params = bench.spec.params
    return _interceptor(
        "validate-payload",
        "cel",
        [
            {
                "name": "filter",
                "value": cel.build_filter(
                    params, image_params(bench), frozenset(label_safe_params(bench))
                ),
            },
            {"name": "overlays", "value": [*cel.build_overlays(params), *extra_overlays]},
        ],
    )


def _cel_check(name: str, expression: str) -> Manifest:
    """A CEL interceptor holding one check: its rejection message names just that check."""
    return _interceptor(name, "cel", [{"name": "filter", "value": expression}])


def build_event_listener(bench: Benchmark, names: Names) -> Manifest:
    webhook_probe = bench.spec.triggers.webhook.probe
    # After authentication (a probe is signed like every delivery), before any check
    # that refuses: a probe's chain ends here, answered, and starts nothing.
    probe = (
        [
            _cel_check(
                "webhook-probe",
                cel.build_header_probe_check(webhook_probe.header, list(webhook_probe.values)),
            )
        ]
        if webhook_probe is not None
        else []
    )

    def chain(select: list[Manifest]) -> list[Manifest]:
        interceptors = [
            *auth_interceptors(bench),
            *probe,
            *select,
            _validate_payload(bench, []),
        ]
        id_param = bench.spec.triggers.webhook.event_id_param
        if id_param is not None:
            param = next(p for p in bench.spec.params if p.name == id_param)
            # After validate-payload, which proved the value is a present, non-blank string.
            interceptors.append(
                _cel_check(
                    "event-id-names-the-run",
                    cel.event_id_check(cel.param_value(param), names.event_id_room),
                )
            )
        if provider is not None:
            # Last, after authentication and every check: only an event that passes them
            # is keyed (and, once its run exists, recorded in the dedup record).
            interceptors.append(delivery_key_interceptor(names, provider))
        return interceptors

    provider = delivery_provider(bench)
    # The run's name, from the delivery key (an inline binding: the shared TriggerBinding
    # also serves the CloudEvents listener, which has no such extension).
    delivery = (
        [{"name": DELIVERY_PARAM, "value": f"$(extensions.{DELIVERY_EXTENSION})"}]
        if provider is not None
        else []
    )

    return _listener(
        names,
        names.listener,
        webhook_warnings(bench, names),
        [
            {
                "name": trigger,
                # With recordRefusals: a checkpoint before each check and after the last.
                "interceptors": refusals.with_checkpoints(bench, names, chain(select)),
                "bindings": [*_param_bindings(bench, target, names), *delivery],
                "template": {"ref": template.template},
            }
            for trigger, select, template, target in _selected(bench, names, "webhook")
        ],
    )


def _selected(
    bench: Benchmark, names: Names, trigger: str
) -> list[tuple[str, list[Manifest], Names, Benchmark]]:
    """(trigger name, its select check, Names and config of its Pipeline) per Pipeline an
    event may run.

    Without spec.triggers.select: the one trigger of the default Pipeline. With it: one
    trigger per Pipeline the cases name, passing only the values that name it, so an
    event whose value is in no case passes no trigger and starts nothing.
    """
    select = bench.spec.triggers.select
    if select is None:
        return [(trigger, [], names, bench)]
    return [
        (
            f"{trigger}-{target.name}",
            [_cel_check("select-pipeline", cel.build_select_check(select.from_, values))],
            target.names,
            target.bench,
        )
        for target, values in variants.targets(bench, names)
    ]


def _param_bindings(bench: Benchmark, target: Benchmark, names: Names) -> list[Manifest]:
    """The params a trigger passes to its template: the shared TriggerBinding, or, for a
    variant that fixes some, the others inline (its template declares no fixed param,
    and Triggers would drop a binding param the template lacks without a word)."""
    fixed = variants.fixed_params(target)
    if not fixed:
        return [{"kind": "TriggerBinding", "ref": names.binding}]
    return [
        {"name": p.name, "value": f"$(extensions.{cel.extension_key(p)})"}
        for p in bench.spec.params
        if p.name not in fixed
    ]


def _listener(names: Names, name: str, warnings: list[str], triggers: list[Manifest]) -> Manifest:
    """An EventListener; its first warning, if any, as an annotation."""
    meta = metadata(names, name)
    if warnings:
        meta["annotations"] = {WARNING_ANNOTATION: warnings[0]}
    return manifest(
        TRIGGERS,
        "EventListener",
        meta,
        spec={"serviceAccountName": names.listener_service_account, "triggers": triggers},
    )


def events_warnings(bench: Benchmark, names: Names) -> list[str]:
    cloud = bench.spec.triggers.cloud_events
    if cloud is None or cloud.network_policy.enabled:
        return []
    return [
        f"the CloudEvents listener has no NetworkPolicy"
        f" (spec.triggers.cloudEvents.networkPolicy.enabled: false) and no webhook"
        f" authentication applies to it: anyone who can reach Service"
        f" {names.events_listener_service} can start runs"
    ]


def build_events_listener(bench: Benchmark, names: Names) -> Manifest:
    """The in-cluster listener for Broker deliveries, apart from the webhook listener.

    Broker deliveries carry no webhook signature, so they cannot go through the
    webhook trigger; accepting Ce-* headers there would let any outside caller
    skip authentication by adding them. This listener has its own Service, which
    a NetworkPolicy opens to the Broker's dispatcher namespace only.
    """
    cloud = bench.spec.triggers.cloud_events
    assert cloud is not None
    accepted = [(a.type, a.type_prefix, a.source) for a in cloud.accept if not a.probe]
    probes = [(a.type, a.type_prefix, a.source) for a in cloud.accept if a.probe]
    # A health probe is delivered by its Knative Trigger and answered like every
    # delivery; its chain ends at the first check, before any check that refuses.
    probe = [_cel_check("cloudevent-health-probe", cel.build_probe_check(probes))] if probes else []

    def chain(select: list[Manifest]) -> list[Manifest]:
        return [
            *probe,
            _cel_check("cloudevent-binary-mode", cel.build_binary_mode_check()),
            _cel_check(
                "cloudevent-type-accepted",
                cel.build_type_check(accepted, tuple(RESERVED_EVENT_PREFIXES)),
            ),
            *select,
            _validate_payload(bench, cel.build_ce_overlays()),
            # Last: the run's name, from the event's source and id (CEL has no hash).
            event_key_interceptor(names),
        ]

    return _listener(
        names,
        names.events_listener,
        events_warnings(bench, names),
        [
            {
                "name": trigger,
                "interceptors": chain(select),
                "bindings": [
                    *_param_bindings(bench, target, names),
                    {"kind": "TriggerBinding", "ref": names.events_binding},
                ],
                "template": {"ref": template.events_template},
            }
            for trigger, select, template, target in _selected(bench, names, "cloudevent")
        ],
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


KEY_PARAM = "cloudevent-key"


def build_events_binding(names: Names) -> Manifest:
    """The CloudEvent attributes, from the overlays of the events listener, and the
    run's key, from its event-key interceptor."""
    return manifest(
        TRIGGERS,
        "TriggerBinding",
        metadata(names, names.events_binding),
        spec={
            "params": [
                *(
                    {"name": f"cloudevent-{a}", "value": f"$(extensions.{cel.ce_extension_key(a)})"}
                    for a in cel.CE_HEADERS
                ),
                {"name": KEY_PARAM, "value": f"$(extensions.{KEY_EXTENSION})"},
            ]
        },
    )


def _template_params(bench: Benchmark) -> list[Manifest]:
    """Every param the bindings pass, but those the Pipeline's variant fixes (its run
    reads the fixed value; the binding's value, checked by the listener, is dropped)."""
    fixed = variants.fixed_params(bench)
    params = []
    for p in bench.spec.params:
        if p.name in fixed:
            continue
        param: Manifest = {"name": p.name, "description": p.description or p.name}
        if not p.required:
            # A run's params hold values as the listener escapes them (its overlay
            # applies the default first), so a default is written escaped too.
            param["default"] = escape(p.default_text)
        params.append(param)
    return params


def build_trigger_template(bench: Benchmark, names: Names) -> Manifest:
    """The webhook's run: named after eventIdParam's value, else (GitHub, GitLab) after
    the delivery key, else a generated name."""
    deduplicated = delivery_provider(bench) is not None
    id_param = DELIVERY_PARAM if deduplicated else bench.spec.triggers.webhook.event_id_param
    run = build_pipeline_run(bench, names, trigger="webhook", id_param=id_param)
    params = _template_params(bench)
    if deduplicated:
        params.append(
            {
                "name": DELIVERY_PARAM,
                "description": "Key of the provider's delivery id, from the event-key interceptor",
            }
        )
    return manifest(
        TRIGGERS,
        "TriggerTemplate",
        metadata(names, names.template),
        spec={"params": params, "resourcetemplates": [run]},
    )


CE_ANNOTATION = "benchgen.dev/cloudevent-{}"


def build_events_template(bench: Benchmark, names: Names) -> Manifest:
    """The run of a CloudEvent: named after its (source, id) key, attributes as annotations."""
    attributes = {
        f"cloudevent-{a}": f"CloudEvent {a} attribute (Ce-{a.capitalize()})" for a in cel.CE_HEADERS
    }
    attributes[KEY_PARAM] = "Key of the event's (source, id), from the event-key interceptor"
    run = build_pipeline_run(
        bench,
        names,
        trigger="cloudevent",
        id_param=KEY_PARAM,
        annotations={
            CE_ANNOTATION.format(a): f"$(tt.params.cloudevent-{a})" for a in cel.CE_HEADERS
        },
    )
    params = [
        *_template_params(bench),
        *({"name": n, "description": d} for n, d in attributes.items()),
    ]
    return manifest(
        TRIGGERS,
        "TriggerTemplate",
        metadata(names, names.events_template),
        spec={"params": params, "resourcetemplates": [run]},
    )
