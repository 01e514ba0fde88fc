"""The models of benchmark.yaml: the single source of truth.

Every output (listener, bindings, template, Pipeline, Tasks, ConfigMap, RBAC)
is derived from these models by the builders in ``generator.compile``.
Field names are camelCase in YAML (Kubernetes style); unknown fields are
rejected everywhere so a typo is an error, not a silently ignored setting.

Checks that need more than one field (a request field naming a missing
param, timeouts that do not fit together) live in ``checks.py`` so that each
problem can point at the exact field it is about.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from generator.config import rules
from generator.contract import notify as notify_contract
from generator.contract import observe as observer_env
from generator.contract import orchestrator_api
from generator.contract import refusals as refusals_contract
from generator.contract.commands import APPLY, NOTIFY, SUBMIT, WAIT
from generator.contract.orchestrator import DEFAULT_FAIL_ON, TerminalStatus

API_VERSION = "benchgen.dev/v1alpha1"
KIND = "Benchmark"

# Validators are plain functions from rules.py, attached here: lite.py (the
# plugin's pydantic-free twin, generated from these models) calls the same ones.


Duration = Annotated[str, Field(description="Go duration: 30s, 5m, 1h30m, 8h")]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True
    )


class ObjectMeta(_Model):
    name: str = Field(description="Base name of every generated object (DNS-1123 label).")
    namespace: str = Field(
        "",
        description=(
            "Namespace of the generated objects. Empty: the --namespace given on the command"
            " line (make eventlistener passes the kube context's), else 'default'."
        ),
    )
    # Accepted so the same document works as a kustomize generator config or a
    # KRM functionConfig (kustomize adds config.kubernetes.io/* annotations).
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    _names = field_validator("name", "namespace")(rules.dns1123_label)


class ParamSpec(_Model, rules.ParamMixin):
    """One value of the webhook contract; drives binding, template, Pipeline, Tasks and CEL."""

    name: str = Field(description="Pipeline/Task param name, kebab-case (dvc-data-version).")
    from_: str = Field(
        alias="from",
        description="Where the value comes from in the event: body.<path> or header.<Name>.",
    )
    type: Literal["string", "boolean"] = "string"
    required: bool = Field(False, description="Reject events that do not carry this value.")
    default: str | bool | None = Field(
        None, description="Value used when an optional param is absent from the event."
    )
    description: str = ""
    pattern: str | None = Field(
        None,
        description=(
            "Regular expression the whole value must match, checked by the listener (RE2, as"
            " Go's regexp reads it); constructs Python's re reads differently are refused."
        ),
    )
    enum: list[str] | None = Field(None, min_length=1, description="Allowed values.")
    max_length: int | None = Field(None, ge=1, le=65536, description="Longest accepted value.")
    label: str | None = Field(
        None,
        description=(
            "Also set the value as this PipelineRun label; the listener then rejects values"
            " that are not valid label values."
        ),
    )
    annotation: str | None = Field(None, description="Also set the value as this annotation.")

    _name = field_validator("name")(rules.param_name)
    _source = field_validator("from_")(rules.param_source)
    _pattern = field_validator("pattern")(rules.re2_pattern)
    _keys = field_validator("label", "annotation")(rules.label_key)
    _consistent = model_validator(mode="after")(rules.param_consistent)


class RequestFieldSpec(_Model):
    """One field of the orchestrator's JSON body and the param that fills it."""

    field: str = Field(
        description="Dotted path in the JSON body (jobSettings.useKnownFalsePositiveFile)."
    )
    param: str = Field(description="Name of the param whose value goes there.")
    image_repository: str | None = Field(
        None,
        description=(
            "The param is an image tag or sha256 digest; the body gets"
            " <imageRepository>:<tag> or <imageRepository>@<digest>."
        ),
    )
    required: bool | None = Field(
        None,
        description=(
            "The runtime refuses to send an empty value. Default: true for the fields the"
            " orchestrator requires."
        ),
    )

    _field = field_validator("field")(rules.json_path)
    _repository = field_validator("image_repository")(rules.image_repository)


class SecretKeyRef(_Model):
    """A key of an existing Secret; benchgen never renders the secret itself."""

    name: str
    key: str = "token"

    _name = field_validator("name")(rules.dns1123_subdomain)
    _key = field_validator("key")(rules.secret_key)


class OrchestratorApiSpec(_Model):
    """Overrides of the profile's batch API, for an API that is neither built-in profile
    exactly (docs/runtime-interface.md, "Other batch APIs"). Each key left out keeps the
    profile's; "" for a count field or authHeader means none."""

    submit_method: Literal["POST", "PUT"] | None = None
    submit_path: str | None = Field(
        None, description="Relative to batchEndpoint: empty or starting with '/'."
    )
    id_field: str | None = Field(None, description="Dotted path of the integer id in an answer.")
    status_path: str | None = Field(None, description="Relative to batchEndpoint, holding {id}.")
    status_field: str | None = Field(None, description="Dotted path of the status in an answer.")
    status_map: dict[str, str] | None = Field(
        None,
        description=(
            "The API's status value -> benchgen's outcome: PROCESSING, COMPLETED,"
            " COMPLETED_WITH_ERRORS, COMPLETED_EMPTY, FAILED or CANCELLED. Replaces the"
            " profile's map; some value must map to COMPLETED."
        ),
    )
    total_field: str | None = Field(None, description="Dotted path of the job count; '' none.")
    completed_field: str | None = None
    failed_field: str | None = None
    key_field: str | None = Field(
        None,
        description=(
            "Where the run's key goes: the body field its marker is appended to (sast-ai), or"
            " the variable holding it (gitlab)."
        ),
    )
    list_path: str | None = Field(None, description="The list of batches the look-up reads.")
    list_query: str | None = Field(
        None, description="Its query, with {page} and {size} (and {since}, {<constant>})."
    )
    first_page: int | None = Field(None, ge=0, le=1)
    page_size: int | None = Field(None, ge=1, le=10000)
    key_lookup_path: str | None = Field(
        None, description="Where a listed batch's key is read, holding {id}; '' in the list."
    )
    auth_header: str | None = Field(
        None, description="The header the token goes in (tokenSecretRef); '' none."
    )


class OrchestratorSpec(_Model):
    profile: Literal["sast-ai", "gitlab"] = Field(
        "sast-ai",
        description=(
            "The batch API: sast-ai's /api/v1/mlops-batch, or GitLab's Pipelines API (url the"
            " GitLab, batchEndpoint /api/v4/projects/<id>, a pipeline per run)."
        ),
    )
    ref: str | None = Field(
        None, description="gitlab: the branch or tag the pipeline runs for (required)."
    )
    token_secret_ref: SecretKeyRef | None = Field(
        None,
        description=(
            "The Secret key holding the API's token, mounted into the submit and wait steps"
            " and the custom-task controller (gitlab: required, sent as PRIVATE-TOKEN)."
        ),
    )
    api: OrchestratorApiSpec | None = Field(
        None, description="Overrides of the profile's API, for a batch API of your own."
    )
    url: str = Field(
        orchestrator_api.SAST_AI_URL,
        description="Base URL; {namespace} is replaced by the benchmark's namespace.",
    )
    batch_endpoint: str = Field(
        orchestrator_api.SAST_AI_ENDPOINT,
        description="Path of the batch API (gitlab: the project, /api/v4/projects/<id>).",
    )
    submit_timeout: Duration = Field(
        SUBMIT.default("--timeout"), description="Deadline for submitting, retries included."
    )
    request: list[RequestFieldSpec] = Field(
        min_length=1, description="How params map into the orchestrator's JSON body."
    )

    _url = field_validator("url")(rules.orchestrator_url)
    _endpoint = field_validator("batch_endpoint")(rules.batch_endpoint)
    _submit_timeout = field_validator("submit_timeout")(rules.duration)
    _ref = field_validator("ref")(rules.git_ref)


class GitHubAuth(_Model):
    """HMAC-SHA256 signature in X-Hub-Signature-256 (Triggers' github interceptor)."""

    type: Literal["github"]
    secret_ref: SecretKeyRef
    event_types: list[str] | None = Field(
        None, description="Accepted X-GitHub-Event values; omit to accept any."
    )


class GitLabAuth(_Model):
    """Shared token in X-Gitlab-Token (Triggers' gitlab interceptor)."""

    type: Literal["gitlab"]
    secret_ref: SecretKeyRef
    event_types: list[str] | None = Field(
        None, description="Accepted X-Gitlab-Event values; omit to accept any."
    )


class TokenAuth(_Model):
    """Shared token in a header, compared in constant time by CEL's compareSecret."""

    type: Literal["token"]
    secret_ref: SecretKeyRef
    header: str = "X-Benchgen-Token"

    _header = field_validator("header")(rules.header_name)


class NoAuth(_Model):
    """Anyone who reaches the listener can start runs. Renders with a warning."""

    type: Literal["none"]


class RecordRefusalsSpec(_Model):
    """Record each webhook event the listener refuses, to list and replay it (benchgen replay)."""

    enabled: bool = Field(
        False,
        description=(
            "Put checkpoints (benchgen-poller record-refusals, one replica) before each check"
            " of the webhook listener and after the last; an event no trigger lets through, or"
            " whose run is never created, is recorded in ConfigMap <name>-refusals with the"
            " check that refused it, its body and its non-secret headers."
        ),
    )
    max_records: int = Field(
        refusals_contract.MAX_RECORDS,
        ge=1,
        le=refusals_contract.MAX_RECORDS_LIMIT,
        description="Records kept (the newest); the ConfigMap value stays under 768 KiB too.",
    )


WebhookAuth = Annotated[GitHubAuth | GitLabAuth | TokenAuth | NoAuth, Field(discriminator="type")]


class WebhookProbeSpec(_Model):
    """Requests the listener answers without starting a run: GitHub's ping, a test hook."""

    header: str = Field(description="The header that marks a probe, e.g. X-GitHub-Event.")
    values: list[str] = Field(min_length=1, description="Its values that mark one, e.g. [ping].")

    _header = field_validator("header")(rules.header_name)
    _values = field_validator("values")(rules.probe_values)


class WebhookSpec(_Model):
    auth: WebhookAuth = Field(description="How the listener authenticates callers.")
    probe: WebhookProbeSpec | None = Field(
        None,
        description=(
            "Requests that are probes (GitHub's 'X-GitHub-Event: ping' when a hook is"
            " created): authenticated and answered as every request, but no run starts."
        ),
    )
    event_id_param: str | None = Field(
        None,
        description=(
            "A required param carrying the caller's event id: the PipelineRun is named"
            " <runPrefix><id> (seed 002), so a repeated event is refused by the API server as"
            " a duplicate instead of starting a second run. The listener rejects ids that are"
            " not DNS-safe (lower-case letters, digits, '-') or too long."
        ),
    )
    record_refusals: RecordRefusalsSpec = Field(
        default_factory=RecordRefusalsSpec,
        description="Record refused events to list and replay them (benchgen replay).",
    )


RESERVED_EVENT_PREFIXES = rules.RESERVED_EVENT_PREFIXES


class KReference(_Model):
    """A Kubernetes object another one points at (Knative's duck KReference)."""

    api_version: str = Field(description="e.g. v1, serving.knative.dev/v1")
    kind: str
    name: str
    namespace: str | None = Field(None, description="Default: the benchmark's namespace.")

    _name = field_validator("name")(rules.dns1123_subdomain)
    _namespace = field_validator("namespace")(rules.dns1123_label)
    _kind = field_validator("kind")(rules.object_kind)


class DeadLetterSinkSpec(_Model):
    """Where undeliverable events go: an absolute URL or an addressable object."""

    uri: str | None = Field(None, description="Absolute http(s) URL.")
    ref: KReference | None = None

    _uri = field_validator("uri")(rules.absolute_url)
    _one = model_validator(mode="after")(rules.one_sink)


class DeliverySpec(_Model):
    """Knative delivery: how often and how patiently a failed delivery is retried."""

    retry: int | None = Field(None, ge=0, le=100, description="Retries after the first attempt.")
    backoff_policy: Literal["exponential", "linear"] | None = None
    backoff_delay: str | None = Field(
        None, description="ISO-8601 duration of the first backoff, e.g. PT0.5S, PT2S."
    )
    dead_letter_sink: DeadLetterSinkSpec | None = None

    _delay = field_validator("backoff_delay")(rules.iso_duration)


class ChannelTemplateSpec(_Model):
    """The channel behind a created MTChannelBasedBroker (its config ConfigMap)."""

    api_version: str = "messaging.knative.dev/v1"
    kind: str = Field(description="InMemoryChannel (no persistence: tests only), KafkaChannel, ...")

    _kind = field_validator("kind")(rules.channel_kind)


class BrokerSpec(_Model):
    name: str = Field("default", description="The Broker the Triggers subscribe to.")
    create: bool = Field(
        False, description="Render the Broker too (else it must exist in the namespace)."
    )
    broker_class: str = Field(
        "MTChannelBasedBroker",
        alias="class",
        description="eventing.knative.dev/broker.class of a created Broker.",
    )
    channel_template: ChannelTemplateSpec | None = Field(
        None,
        description=(
            "Render a config ConfigMap with this channel-template-spec for the created Broker;"
            " omit to use the cluster's default (config-br-defaults)."
        ),
    )
    delivery: DeliverySpec | None = Field(
        None, description="Delivery defaults of a created Broker."
    )

    _name = field_validator("name")(rules.dns1123_label)
    _created = model_validator(mode="after")(rules.broker_created)


class AcceptedEventSpec(_Model, rules.AcceptedEventMixin):
    """One accepted kind of CloudEvent: one Knative Trigger and one clause of the listener's CEL."""

    type: str | None = Field(None, description="Exact CloudEvent type.")
    type_prefix: str | None = Field(None, description="Accept every type starting with this.")
    source: str | None = Field(None, description="Exact CloudEvent source, if it matters.")
    cesql: str | None = Field(
        None,
        description=(
            "Extra CESQL filter evaluated by the Broker (Knative's spec.filters), e.g."
            " \"subject LIKE 'bench/%'\"."
        ),
    )
    name: str | None = Field(
        None, description="Name of the Knative Trigger; default <name>-<type, dashed>."
    )
    probe: bool = Field(
        False,
        description=(
            "A health probe (seed 001's ...probes.health): the Broker delivers it and the"
            " listener answers, but no run starts."
        ),
    )

    _name = field_validator("name")(rules.dns1123_label)
    _attribute = field_validator("type", "type_prefix", "source")(rules.event_attribute)
    _cesql = field_validator("cesql")(rules.cesql_filter)
    _one = model_validator(mode="after")(rules.one_event_type)


class ListenerNetworkPolicySpec(_Model):
    enabled: bool = Field(
        True,
        description=(
            "Admit only the Broker's dispatcher namespace to the CloudEvents listener. Without"
            " it anyone who reaches Service el-<name>-events can start runs (no webhook auth"
            " applies to broker deliveries)."
        ),
    )
    dispatcher_namespace: str = Field(
        "knative-eventing",
        description="Namespace of the Broker's dispatcher (mt-broker-filter, kafka dispatcher).",
    )

    _ns = field_validator("dispatcher_namespace")(rules.dns1123_label)


class CloudEventsSpec(_Model):
    """Runs started by CloudEvents from a Knative Eventing Broker."""

    broker: BrokerSpec = Field(default_factory=BrokerSpec)
    accept: list[AcceptedEventSpec] = Field(
        min_length=1, description="Accepted event types: one Knative Trigger each."
    )
    delivery: DeliverySpec | None = Field(
        None, description="Delivery settings of every Trigger (retry, backoff, dead letters)."
    )
    network_policy: ListenerNetworkPolicySpec = Field(default_factory=ListenerNetworkPolicySpec)


class ScheduleSpec(_Model):
    """One cron schedule: a CronJob sending an authenticated event, or a Knative PingSource."""

    name: str | None = Field(
        None,
        description=(
            "Object name <metadata.name>-<name>; default 'schedule' (set it when there are"
            " several schedules)."
        ),
    )
    cron: str = Field(description="Cron schedule: 5 fields or @daily-style, e.g. '0 8 * * *'.")
    time_zone: str = Field("Etc/UTC", description="IANA time zone of the schedule.")
    via: Literal["webhook", "pingSource"] = Field(
        "webhook",
        description=(
            "webhook: a CronJob runs `benchgen-poller send` against the webhook listener,"
            " authenticated like any caller; pingSource: a Knative PingSource sends a CloudEvent"
            " to the Broker of spec.triggers.cloudEvents."
        ),
    )
    values: dict[str, str | bool] = Field(
        default_factory=dict,
        description="Param values of the event, by param name; checked as the listener checks.",
    )
    starting_deadline: Duration = Field(
        "30m",
        description="A run missed by more than this (controller down) is skipped, not run late.",
    )
    suspend: bool = Field(False, description="Render the CronJob suspended (via webhook only).")

    _name = field_validator("name")(rules.dns1123_label)
    _cron = field_validator("cron")(rules.cron)
    _time_zone = field_validator("time_zone")(rules.time_zone)
    _deadline = field_validator("starting_deadline")(rules.whole_duration)


class ReleaseProjectSpec(_Model, rules.ReleaseProjectMixin):
    """One watched GitHub repository."""

    repo: str = Field(description="owner/name, e.g. falcosecurity/falco.")
    name: str | None = Field(
        None, description="Value of the project param; default the repository's name (falco)."
    )
    configurations: list[str] = Field(
        default_factory=list,
        description="One run per configuration for each new release (e.g. ebpf, kmod).",
    )
    tag_pattern: str | None = Field(
        None,
        description=(
            "Only releases whose tag matches this regular expression (searched) count;"
            " default: the latest release."
        ),
    )

    _repo = field_validator("repo")(rules.github_repo)
    _pattern = field_validator("tag_pattern")(rules.python_pattern)


class ReleaseParamsSpec(_Model):
    """Which params receive the project, the release tag and the configuration."""

    project: str = Field(description="Param that gets the project name.")
    version: str = Field(description="Param that gets the release tag (e.g. 0.39.0).")
    configuration: str | None = Field(
        None, description="Param that gets the configuration (needed when a project has some)."
    )


class ReleasesSpec(_Model):
    """Watch GitHub for new releases: one event per new release and configuration."""

    projects: list[ReleaseProjectSpec] = Field(min_length=1)
    params: ReleaseParamsSpec
    values: dict[str, str | bool] = Field(
        default_factory=dict, description="Fixed values of other params, by param name."
    )
    cron: str = Field("0 * * * *", description="When to check (default: hourly).")
    time_zone: str = Field("Etc/UTC", description="IANA time zone of the check schedule.")
    api_url: str = Field("https://api.github.com", description="GitHub REST API base URL.")
    token_secret_ref: SecretKeyRef | None = Field(
        None,
        description=(
            "Secret key holding a GitHub token (read-only access is enough; it raises the rate"
            " limit from 60 to 5000 requests an hour)."
        ),
    )
    starting_deadline: Duration = Field(
        "30m", description="A check missed by more than this is skipped."
    )

    _cron = field_validator("cron")(rules.cron)
    _time_zone = field_validator("time_zone")(rules.time_zone)
    _api_url = field_validator("api_url")(rules.http_url)
    _deadline = field_validator("starting_deadline")(rules.whole_duration)


class SelectSpec(_Model):
    """Which Pipeline an event runs, by one of its values: a closed set the listeners check."""

    from_: str = Field(
        alias="from",
        description=(
            "Where the value is: body.<path>, header.<Name>, or ce-subject (the CloudEvent's"
            " subject, header Ce-Subject in binary mode)."
        ),
    )
    cases: dict[str, str] = Field(
        min_length=1,
        description=(
            "Event value -> a name in spec.pipeline.variants, or 'default' (the Pipeline of"
            " spec.pipeline.tasks). An event with any other value starts nothing."
        ),
    )

    _source = field_validator("from_")(rules.select_source)


class TriggersSpec(_Model):
    webhook: WebhookSpec
    cloud_events: CloudEventsSpec | None = None
    schedule: list[ScheduleSpec] | None = Field(
        None, min_length=1, description="Cron schedules that start runs."
    )
    releases: ReleasesSpec | None = Field(
        None, description="Start runs for new GitHub releases, per project and configuration."
    )
    select: SelectSpec | None = Field(
        None,
        description=(
            "Choose the Pipeline from the event (webhook and CloudEvents alike): one of"
            " spec.pipeline.variants, or the default one."
        ),
    )


class PollSpec(_Model):
    mode: Literal["pod", "controller"] = Field(
        "pod",
        description=(
            "pod: the submit and wait Tasks run the poller, one pod per run while its"
            " batch runs. controller: they are custom tasks (benchgen.dev/v1alpha1"
            " Submit, Wait) that one benchgen-custom-tasks Deployment reconciles for"
            " every run of the benchmark; no pod waits."
        ),
    )
    interval: Duration = Field(
        WAIT.default("--interval"), description="First delay between two status polls."
    )
    max_interval: Duration = Field(
        WAIT.default("--max-interval"),
        description="Longest delay between two polls (backoff ceiling).",
    )
    timeout: Duration = Field(
        WAIT.default("--timeout"),
        description="Give up waiting after this long (final-status TIMEOUT).",
    )
    fail_on: list[TerminalStatus] = Field(
        default_factory=lambda: list(DEFAULT_FAIL_ON),
        description="Terminal batch statuses that fail the wait Task.",
    )
    on_unknown_status: Literal["fail", "wait"] = Field(
        WAIT.default("--on-unknown-status"),  # type: ignore[arg-type]  # a str in the contract
        description=(
            "A status the poller does not know: fail at once, or keep waiting until the timeout."
        ),
    )

    _durations = field_validator("interval", "max_interval", "timeout")(rules.duration)
    _ordered = model_validator(mode="after")(rules.poll_ordered)


class ResourcesSpec(_Model):
    cpu_request: str = "10m"
    memory_request: str = "64Mi"
    memory_limit: str = "128Mi"

    _cpu = field_validator("cpu_request")(rules.quantity)
    _memory = field_validator("memory_request")(rules.memory_quantity)
    _limit = field_validator("memory_limit")(rules.memory_limit)


class ConcurrencySpec(_Model):
    """At most ``limit`` active runs; the others are created pending and started in order."""

    limit: int = Field(ge=1, le=1000, description="Runs of this benchmark active at once.")
    key: str | None = Field(
        None,
        description=(
            "Param whose value partitions the limit (e.g. one run per project at a time); it"
            " becomes label benchgen.dev/concurrency-key, so the listener refuses values that"
            " are not label values."
        ),
    )
    max_pending: int | None = Field(
        None,
        ge=1,
        le=observer_env.MAX_PENDING,
        description=(
            "Runs waiting at most, per key; default unbounded. The observer cancels a newer"
            " one (spec.status Cancelled, annotation benchgen.dev/refused) and /status reports"
            " it failed: 'refused: queue full (maxPending N)'."
        ),
    )
    supersede: bool = Field(
        False,
        description=(
            "A newer event replaces the runs of its key still waiting (never a started one):"
            " they are cancelled with annotation benchgen.dev/superseded-by: <newer run>."
        ),
    )


class CleanupTargetSpec(_Model, rules.CleanupTargetMixin):
    """Objects to delete after every run, selected by labels."""

    api_version: str = Field(description="e.g. kustomize.toolkit.fluxcd.io/v1, v1")
    kind: str = Field(description="e.g. Kustomization, HelmRelease")
    plural: str | None = Field(
        None,
        description=(
            "Resource name for RBAC; default the lower-case kind plus 's' ('es' after s, 'ies'"
            " for y), as Kubernetes guesses it. Checked against discovery at run time."
        ),
    )
    namespace: str | None = Field(None, description="Default: the benchmark's namespace.")
    namespace_from_param: str | None = Field(
        None,
        description=(
            "Take the namespace from this param, which needs an enum: a Role is rendered in"
            " each of its namespaces."
        ),
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Label selector (ANDed with labelsFromParams)."
    )
    labels_from_params: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Label key -> param name: the run's value of that param (which must be label-safe)."
        ),
    )

    _api_version = field_validator("api_version")(rules.api_version)
    _kind = field_validator("kind")(rules.object_kind)
    _plural = field_validator("plural")(rules.resource_plural)
    _namespace = field_validator("namespace")(rules.dns1123_label)
    _labels = field_validator("labels")(rules.label_selector)
    _param_labels = field_validator("labels_from_params")(rules.label_keys)
    _selects = model_validator(mode="after")(rules.cleanup_selects)


class CleanupSpec(_Model):
    """`benchgen-poller cleanup` in finally: delete, then wait until gone (finalizers too)."""

    delete: list[CleanupTargetSpec] = Field(min_length=1)
    timeout: Duration = Field("5m", description="Deleting and waiting, together.")

    _timeout = field_validator("timeout")(rules.duration)


class SmtpSpec(_Model):
    """The mail server notify submits to."""

    host: str = Field(description="Host name or IPv4 address, e.g. smtp.example.org.")
    port: int | None = Field(
        None, ge=1, le=65535, description="Default: 587 (starttls), 465 (tls), 25 (none)."
    )
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description=(
            "starttls: STARTTLS required (never falls back to clear text); tls: implicit TLS;"
            " none: clear text, for a relay inside the cluster (no login allowed)."
        ),
    )

    _host = field_validator("host")(rules.smtp_host)


class SmtpCredentialsRef(_Model):
    """A Secret holding the SMTP login; benchgen never renders it."""

    name: str
    username_key: str = notify_contract.USERNAME_KEY
    password_key: str = notify_contract.PASSWORD_KEY

    _name = field_validator("name")(rules.dns1123_subdomain)
    _keys = field_validator("username_key", "password_key")(rules.secret_key)


class EmailSpec(_Model):
    """The run's report as a plain-text e-mail."""

    smtp: SmtpSpec
    from_: str = Field(alias="from", description="Sender address: bench@example.org.")
    to: list[str] = Field(min_length=1, max_length=50, description="Recipient addresses.")
    subject: str | None = Field(
        None,
        description=(
            "Jinja2 template of the subject (made one line); default 'Benchmark run {{ run }}:"
            " {{ status }}'."
        ),
    )
    template: str | None = Field(
        None, description="Jinja2 template of the body (plain text); default the summary."
    )
    credentials_secret_ref: SmtpCredentialsRef | None = Field(
        None, description="Secret with the SMTP login (keys username, password by default)."
    )

    _from = field_validator("from_")(rules.email_address)
    _to = field_validator("to")(rules.email_addresses)


class NotifySpec(_Model):
    """`benchgen-poller notify` in finally: the run's report to a Slack-compatible webhook,
    by e-mail, or both; the texts from Jinja2 templates."""

    url_secret_ref: SecretKeyRef | None = Field(
        None, description="Secret key holding the webhook URL (Slack, Mattermost, ...)."
    )
    template: str | None = Field(
        None,
        description=(
            "Jinja2 template of the Slack text (mrkdwn; values are escaped); default the"
            " summary. Variables: see README, 'Notification templates'."
        ),
    )
    email: EmailSpec | None = None
    on_failure: Literal["report", "fail"] = Field(
        NOTIFY.default("--on-failure"),  # type: ignore[arg-type]  # a str in the contract
        description=(
            "A message that cannot be delivered: report it (the run keeps its status) or fail"
            " the run."
        ),
    )
    timeout: Duration = Field(
        NOTIFY.default("--timeout"), description="All delivery attempts together."
    )

    _timeout = field_validator("timeout")(rules.duration)


class DeployConfigMapSpec(_Model):
    """A key of a ConfigMap in the benchmark's namespace, chosen by the run's params."""

    name: str = Field(description="The ConfigMap (the deploy step may read only this one).")
    key: str = Field(
        description=(
            "The key, with params in braces: '{cncf-project}.{config}.yaml'. Each param must"
            " keep to letters, digits, '-', '_' and '.' (an enum, a label, or such a pattern)."
        )
    )

    _name = field_validator("name")(rules.dns1123_subdomain)
    _key = field_validator("key")(rules.config_map_key_template)


class DeployManifestSpec(_Model):
    """Where the manifest comes from: YAML documents, applied as they are but for 'set'."""

    config_map: DeployConfigMapSpec


class DeploySetSpec(_Model):
    """Write a param's value into every document of a kind: a YAML value, never text."""

    kind: str = Field(description="Documents of this kind (one of the targets' kinds).")
    path: str = Field(
        description=(
            'Field path in the document: spec.chart.spec.version, metadata.annotations["a/b"],'
            " spec.template.spec.containers[0].image; missing maps are created."
        )
    )
    param: str = Field(description="A param of spec.params; a boolean param writes true/false.")

    _kind = field_validator("kind")(rules.object_kind)
    _path = field_validator("path")(rules.field_path)


class DeployTargetSpec(_Model, rules.CleanupTargetMixin):
    """A kind the deploy step may apply, in one namespace; its RBAC is made from this."""

    api_version: str = Field(description="e.g. helm.toolkit.fluxcd.io/v2, apps/v1")
    kind: str = Field(description="e.g. HelmRelease, Kustomization, Deployment")
    plural: str | None = Field(
        None,
        description=(
            "Resource name for RBAC; default the lower-case kind plus 's' ('es' after s, 'ies'"
            " for y), as Kubernetes guesses it. Checked against discovery at run time."
        ),
    )
    namespace: str | None = Field(
        None,
        description=(
            "The namespace its documents go to (a document naming another is refused);"
            " default: the benchmark's."
        ),
    )

    _api_version = field_validator("api_version")(rules.api_version)
    _kind = field_validator("kind")(rules.object_kind)
    _plural = field_validator("plural")(rules.resource_plural)
    _namespace = field_validator("namespace")(rules.dns1123_label)


class DeployWaitSpec(_Model):
    condition: str = Field(
        "Ready",
        description=(
            "Condition type every applied object must have with status 'True' (and"
            " status.observedGeneration at least metadata.generation, when it has one)."
        ),
    )
    timeout: Duration = Field(
        APPLY.default("--timeout"), description="Reading, applying and waiting, together."
    )

    _condition = field_validator("condition")(rules.condition_type)
    _timeout = field_validator("timeout")(rules.duration)


class DeploySpec(_Model):
    """`benchgen-poller apply` first in the run: apply a manifest, wait until it is ready."""

    manifest: DeployManifestSpec
    set_: list[DeploySetSpec] = Field(
        default_factory=list,
        alias="set",
        description="Param values written into the documents, structurally.",
    )
    targets: list[DeployTargetSpec] = Field(
        min_length=1, description="The only kinds (and namespaces) the step may apply."
    )
    wait: DeployWaitSpec = Field(default_factory=DeployWaitSpec)


class TaskRefSpec(_Model):
    """The user's Task: one in the namespace by name, or a pinned resolver reference."""

    name: str | None = Field(
        None, description="A Task in the benchmark's namespace (set 'kind: Task' or leave it out)."
    )
    kind: Literal["Task"] | None = Field(None, description="Only Task (with 'name').")
    resolver: Literal["cluster", "git", "bundles", "hub"] | None = Field(
        None,
        description=(
            "Tekton remote resolution, pinned: cluster (name, kind, namespace), git (revision"
            " a full commit SHA), bundles (bundle by @sha256 digest), hub (a version)."
        ),
    )
    params: dict[str, str] = Field(
        default_factory=dict,
        description="The resolver's params as Tekton's resolver documentation names them.",
    )

    _name = field_validator("name")(rules.dns1123_subdomain)
    _one = model_validator(mode="after")(rules.one_task_ref)


class TaskParamValueSpec(_Model):
    """Where a param of the user's Task gets its value: never free text."""

    param: str | None = Field(None, description="A param of spec.params: $(params.<param>).")
    task: str | None = Field(
        None, description="An earlier task (a user task, submit or wait) whose result it is."
    )
    result: str | None = Field(None, description="The result of 'task': $(tasks.<t>.results.<r>).")
    status: str | None = Field(
        None,
        description=(
            "In a finally task only: the execution status of this pipeline task,"
            " $(tasks.<status>.status): Succeeded, Failed or None (skipped or not run)."
        ),
    )
    aggregate_status: bool = Field(
        False,
        description=(
            "In a finally task only: the run's aggregate status, $(tasks.status): Succeeded,"
            " Failed, Completed (some skipped) or None."
        ),
    )

    _one = model_validator(mode="after")(rules.one_param_value)


class WhenSpec(_Model):
    """Run the task only when a param's value is (or is not) one of the values."""

    param: str = Field(description="A param of spec.params.")
    operator: Literal["in", "notin"]
    values: list[str] = Field(min_length=1)


class TaskWorkspaceSpec(_Model):
    """Which of the Pipeline's workspaces a workspace of the user's Task gets."""

    workspace: str = Field(description="A name of spec.pipeline.workspaces.")
    sub_path: str | None = Field(
        None, description="Only this directory of it (relative, no '..'), e.g. 'reports'."
    )

    _sub_path = field_validator("sub_path")(rules.workspace_sub_path)


class UserTaskSpec(_Model):
    """One of the user's own Tasks in the Pipeline, after submit and wait in config order."""

    name: str = Field(description="Pipeline task name (DNS-1123 label), unique in the Pipeline.")
    task_ref: TaskRefSpec
    params: dict[str, TaskParamValueSpec] = Field(
        default_factory=dict,
        description="Task param name -> {param: <config param>} or {task: <t>, result: <r>}.",
    )
    run_after: list[str] = Field(
        default_factory=list, description="Tasks this one runs after: user tasks, submit, wait."
    )
    when: list[WhenSpec] = Field(
        default_factory=list, description="Run only when every expression holds; else skipped."
    )
    timeout: str | None = Field(
        None, description="Timeout of the task's TaskRun (Go duration: 30s, 5m, 1h30m)."
    )
    retries: int | None = Field(None, ge=0, le=10, description="Retries after a failed attempt.")
    workspaces: dict[str, TaskWorkspaceSpec] = Field(
        default_factory=dict,
        description="The Task's workspace name -> {workspace: <spec.pipeline.workspaces name>}.",
    )

    _name = field_validator("name")(rules.dns1123_label)
    _timeout = field_validator("timeout")(rules.optional_duration)


# After UserTaskSpec: lite.py's codegen resolves no forward reference.
class FinallySpec(_Model):
    """Extra finally Tasks: they run whether the run passed or failed."""

    cleanup: CleanupSpec | None = None
    notify: NotifySpec | None = None
    tasks: list[UserTaskSpec] = Field(
        default_factory=list,
        description=(
            "Your own finally Tasks (no runAfter): params from spec.params, the results of"
            " the Pipeline's tasks, and their status or the aggregate status."
        ),
    )


class PipelineVariantSpec(_Model):
    """One more Pipeline, <pipeline>-<name>: the same built-in tasks, its own user Tasks."""

    name: str = Field(description="DNS-1123 label; spec.triggers.select.cases name it.")
    tasks: list[UserTaskSpec] = Field(
        default_factory=list,
        description="This Pipeline's own Tasks, in place of spec.pipeline.tasks.",
    )
    params: dict[str, str | bool] = Field(
        default_factory=dict,
        description=(
            "Param name -> value fixed for this Pipeline: its TriggerTemplates pass this value"
            " instead of the event's (which the listener still checks)."
        ),
    )

    _name = field_validator("name")(rules.dns1123_label)


AccessMode = Literal["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"]
_READ_WRITE_ONCE: tuple[AccessMode, ...] = ("ReadWriteOnce",)


class VolumeClaimTemplateSpec(_Model):
    """A PersistentVolumeClaim Tekton creates for each run and deletes with it."""

    storage: str = Field(description="Requested size, a quantity such as 1Gi or 500Mi.")
    access_modes: list[AccessMode] = Field(
        default_factory=lambda: list(_READ_WRITE_ONCE),
        min_length=1,
        description="Default ReadWriteOnce: the run's tasks then share one node.",
    )
    storage_class_name: str | None = Field(None, description="Default: the cluster's default.")

    _storage = field_validator("storage")(rules.storage_quantity)
    _class = field_validator("storage_class_name")(rules.dns1123_subdomain)


class EmptyDirSpec(_Model):
    """A directory that lives as long as one TaskRun's pod: nothing passes between tasks."""

    size_limit: str | None = Field(None, description="e.g. 1Gi; default: no limit.")

    _size = field_validator("size_limit")(rules.optional_storage_quantity)


class PipelineWorkspaceSpec(_Model):
    """A workspace of the Pipeline and the volume every run binds to it (exactly one)."""

    name: str = Field(description="Workspace name (DNS-1123 label), as tasks[].workspaces name it.")
    description: str = ""
    volume_claim_template: VolumeClaimTemplateSpec | None = Field(
        None, description="A new PersistentVolumeClaim per run: tasks share files through it."
    )
    empty_dir: EmptyDirSpec | None = Field(None, description="A scratch directory per TaskRun.")
    config_map: str | None = Field(None, description="An existing ConfigMap, read-only.")
    secret: str | None = Field(None, description="An existing Secret, read-only.")
    persistent_volume_claim: str | None = Field(
        None,
        description=(
            "An existing PersistentVolumeClaim by name, shared by every run (runs at once"
            " write into the same volume)."
        ),
    )

    _name = field_validator("name")(rules.dns1123_label)
    _refs = field_validator("config_map", "secret", "persistent_volume_claim")(
        rules.dns1123_subdomain
    )
    _one = model_validator(mode="after")(rules.one_volume)


class PipelineSpec(_Model):
    image: str = Field(
        description=(
            "The benchgen runtime image the Tasks run, pinned: a version tag or, better,"
            " @sha256:<digest>. ':latest' and untagged references are refused."
        )
    )
    timeout: Duration = Field(
        "8h30m", description="PipelineRun timeout; must leave room for poll.timeout and finally."
    )
    finally_timeout: Duration = Field("10m", description="Time allowed for the finally summary.")
    service_account_name: str | None = Field(
        None,
        description=(
            "Existing ServiceAccount for the runs. Default: a generated one with no API access."
        ),
    )
    resources: ResourcesSpec = Field(default_factory=ResourcesSpec)
    concurrency: ConcurrencySpec | None = Field(
        None, description="Limit the runs active at once (needs spec.observe.observer)."
    )
    deploy: DeploySpec | None = Field(
        None,
        description=(
            "Apply a manifest and wait until it is ready, before everything else (the 'deploy'"
            " task)."
        ),
    )
    finally_: FinallySpec | None = Field(
        None, alias="finally", description="Clean-up and notification after every run."
    )

    tasks: list[UserTaskSpec] = Field(
        default_factory=list,
        description=(
            "Your own Tasks, after submit and wait in config order; their params come from"
            " spec.params or earlier tasks' results."
        ),
    )
    variants: list[PipelineVariantSpec] = Field(
        default_factory=list,
        description=(
            "Named Pipelines besides the default one, chosen per event by spec.triggers.select."
        ),
    )
    workspaces: list[PipelineWorkspaceSpec] = Field(
        default_factory=list,
        description=("Workspaces of your own Tasks: declared by the Pipeline, bound by each run."),
    )

    _durations = field_validator("timeout", "finally_timeout")(rules.duration)
    _image = field_validator("image")(rules.pinned_image)
    _sa = field_validator("service_account_name")(rules.dns1123_subdomain)


class NamesSpec(_Model):
    """Overrides of derived object names (default: <metadata.name>-<role>)."""

    listener: str | None = Field(
        None, description="EventListener; Triggers creates Service el-<listener>."
    )
    config_map: str | None = None
    pipeline: str | None = None
    binding: str | None = None
    template: str | None = None
    run_prefix: str | None = Field(
        None,
        description=(
            "Start of deterministic PipelineRun names (<runPrefix><event id>); default"
            " <metadata.name>-run-. Shorter leaves more room for the id (63 characters in all)."
        ),
    )

    _run_prefix = field_validator("run_prefix")(rules.run_prefix)


class ObserverSpec(_Model):
    """The observer controller: one CloudEvent per run and step state change (seed 004)."""

    sink: str = Field(
        description=(
            "Where events go: 'broker' (the Broker of spec.triggers.cloudEvents), 'tekton'"
            " (the sink of Tekton's config-events ConfigMap) or an http(s):// URL."
        )
    )
    namespaces: list[str] | None = Field(
        None, min_length=1, description="Namespaces to watch; default: the benchmark's."
    )
    tekton_namespace: str = Field(
        observer_env.DEFAULT_TEKTON_NAMESPACE,
        description="Where Tekton's config-events lives (sink 'tekton').",
    )
    log_tail_bytes: int = Field(
        observer_env.DEFAULT_LOG_TAIL_BYTES,
        ge=0,
        le=observer_env.MAX_TAIL_BYTES,
        description=(
            "Size of the step log tail in step events; 0 sends no logs (no pods/log access)."
        ),
    )

    _sink = field_validator("sink")(rules.observer_sink)
    _namespaces = field_validator("namespaces")(rules.namespaces)
    _tekton_ns = field_validator("tekton_namespace")(rules.dns1123_label)


class StatusAuthSpec(_Model):
    """Credentials of the status API, from an existing Secret (never rendered, no default)."""

    type: Literal["bearer", "basic"] = Field(
        description="bearer: the key holds the token; basic: 'user:password' lines."
    )
    secret_ref: SecretKeyRef


class StatusNetworkPolicySpec(_Model):
    from_namespaces: list[str] = Field(
        min_length=1,
        description=(
            "Namespaces whose pods may call the status API (e.g. the CI runners', the ingress's)."
        ),
    )

    _namespaces = field_validator("from_namespaces")(rules.namespaces)


class StatusApiSpec(_Model):
    """The read-only status and logs API for external CI (seed 002)."""

    auth: StatusAuthSpec
    replicas: int = Field(1, ge=1, le=10)
    network_policy: StatusNetworkPolicySpec | None = Field(
        None,
        description=(
            "Admit only these namespaces to the status API. Left out: pods of any namespace"
            " (nothing from outside the pod network). A NetworkPolicy is rendered either way;"
            " it admits nobody to the probes' port but the scrape of spec.observe.metrics."
        ),
    )


class MetricsScrapeSpec(_Model):
    """Who scrapes: the NetworkPolicies admit these pods to the metrics port."""

    namespaces: list[str] = Field(
        default_factory=lambda: ["monitoring"],
        min_length=1,
        description="Namespaces of the Prometheus servers (kube-prometheus: monitoring).",
    )
    pod_labels: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Labels of the Prometheus pods in those namespaces (e.g."
            " app.kubernetes.io/name: prometheus); empty: any pod there."
        ),
    )

    _namespaces = field_validator("namespaces")(rules.namespaces)
    _pod_labels = field_validator("pod_labels")(rules.label_selector)


class MetricsSpec(_Model):
    """Prometheus metrics of the observer, the status API and the custom-task controller
    (GET /metrics on their probes' port): a Service port named 'metrics', and who may
    scrape it."""

    service_monitor: bool = Field(
        False,
        description=(
            "Render a monitoring.coreos.com/v1 ServiceMonitor (needs the Prometheus"
            " Operator's CRDs) selecting the metrics Services."
        ),
    )
    interval: Duration = Field(
        "30s", description="Scrape interval of the ServiceMonitor: whole h, m and s (30s, 1m)."
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Extra labels on the ServiceMonitor: what your Prometheus's"
            " serviceMonitorSelector matches (e.g. release: kube-prometheus-stack)."
        ),
    )
    scrape_from: MetricsScrapeSpec = Field(default_factory=MetricsScrapeSpec)

    _interval = field_validator("interval")(rules.scrape_interval)
    _labels = field_validator("labels")(rules.label_selector)


class CommitValueSpec(_Model):
    """Where the repository or commit of a run comes from: a param of the event or,
    for the repository, a fixed value."""

    param: str | None = Field(None, description="A param of spec.params.")
    value: str | None = Field(
        None, description="A fixed value (the repository only): owner/name, a GitLab path or id."
    )


class CommitStatusSpec(_Model):
    """Report each run to the commit that caused it: a GitHub or GitLab commit status
    (pending -> running -> success/failure), sent by the observer."""

    provider: Literal["github", "gitlab"]
    api_url: str | None = Field(
        None,
        description=(
            "The API base: default https://api.github.com or https://gitlab.com/api/v4"
            " (GitHub Enterprise: https://<host>/api/v3; GitLab: https://<host>/api/v4)."
        ),
    )
    repository: CommitValueSpec = Field(
        description="GitHub's owner/name, GitLab's project path or id: {param} or {value}."
    )
    sha: CommitValueSpec = Field(
        description=(
            "The commit: {param: <p>}, a param whose pattern admits only a 40 (or 64)"
            " hex digit SHA."
        )
    )
    context: str | None = Field(
        None,
        max_length=255,
        description="GitHub's context, GitLab's name: default benchgen/<metadata.name>.",
    )
    token_secret_ref: SecretKeyRef = Field(
        description=(
            "The API token (GitHub: statuses write; GitLab: api scope), mounted as a file"
            " and read again for every report, so a rotated token is picked up."
        )
    )
    status_url: str | None = Field(
        None,
        description=(
            "The status API's public base URL: each status links to <statusUrl>/status/<run>."
        ),
    )

    _urls = field_validator("api_url", "status_url")(rules.absolute_url)


class ObserveSpec(_Model):
    observer: ObserverSpec | None = None
    commit_status: CommitStatusSpec | None = Field(
        None, description="Report each run to its commit on GitHub or GitLab (needs observer)."
    )
    status_api: StatusApiSpec | None = None
    metrics: MetricsSpec | None = Field(
        None,
        description=(
            "Scraping of GET /metrics (always served on the probes' port): Services,"
            " NetworkPolicy rules and an optional ServiceMonitor."
        ),
    )
    resources: ResourcesSpec = Field(
        default_factory=lambda: ResourcesSpec(
            cpu_request="20m", memory_request="96Mi", memory_limit="256Mi"
        ),
        description="Requests and memory limit of the observer and status API containers.",
    )


class BenchmarkSpec(_Model):
    orchestrator: OrchestratorSpec | None = Field(
        None,
        description=(
            "The batch API the built-in submit and wait tasks speak. Leave it out for a"
            " Pipeline of only your own Tasks (spec.pipeline.tasks)."
        ),
    )
    params: list[ParamSpec] = Field(min_length=1)
    triggers: TriggersSpec
    poll: PollSpec = Field(default_factory=PollSpec)
    pipeline: PipelineSpec
    names: NamesSpec = Field(default_factory=NamesSpec)
    observe: ObserveSpec | None = Field(
        None, description="The observer controller and the status API."
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Extra labels on every generated object."
    )


class Benchmark(_Model):
    """A benchmark.yaml document."""

    api_version: Literal["benchgen.dev/v1alpha1"]
    kind: Literal["Benchmark"]
    metadata: ObjectMeta
    spec: BenchmarkSpec
