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

import re
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from generator.config import kube
from generator.config.durations import parse_duration

API_VERSION = "benchgen.dev/v1alpha1"
KIND = "Benchmark"

# Every BatchStatus of the orchestrator (contracts/orchestrator-mlops-batch.md).
TERMINAL_STATUSES = (
    "COMPLETED",
    "COMPLETED_WITH_ERRORS",
    "COMPLETED_EMPTY",
    "FAILED",
    "CANCELLED",
)
TerminalStatus = Literal[
    "COMPLETED", "COMPLETED_WITH_ERRORS", "COMPLETED_EMPTY", "FAILED", "CANCELLED"
]

DEFAULT_FAIL_ON: tuple[TerminalStatus, ...] = ("FAILED", "CANCELLED")

_PARAM_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_BODY_SOURCE = re.compile(r"^body(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_HEADER_SOURCE = re.compile(r"^header\.[A-Za-z0-9][A-Za-z0-9-]*$")
_JSON_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_IMAGE_REPOSITORY = re.compile(
    r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
)
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# RE2 (the regex engine behind CEL's matches()) has no look-around and no
# back-references; a pattern using them would fail in the listener at runtime.
_NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=")


def _check_duration(value: str) -> str:
    parse_duration(value)
    return value


def _kube(check: Callable[[str], str | None]) -> Callable[[str | None], str | None]:
    """A validator from one of the Kubernetes name rules in kube.py (empty/None passes)."""

    def validate(value: str | None) -> str | None:
        problem = value and check(value)
        if problem:
            raise ValueError(problem)
        return value

    return validate


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

    _names = field_validator("name", "namespace")(_kube(kube.dns1123_label_problem))


class ParamSpec(_Model):
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
        description="RE2 regular expression the whole value must match (checked by the listener).",
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

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if len(value) > 50 or not _PARAM_NAME.match(value):
            raise ValueError(
                f"{value!r} is not a valid param name: use 1-50 lower-case letters and digits"
                " in words joined by single '-' (e.g. dvc-data-version)"
            )
        return value

    @field_validator("from_")
    @classmethod
    def _source(cls, value: str) -> str:
        if not (_BODY_SOURCE.match(value) or _HEADER_SOURCE.match(value)):
            raise ValueError(
                f"{value!r} is not a supported source: use body.<field>[.<field>...]"
                " (e.g. body.dvc_data_version) or header.<Header-Name>"
            )
        return value

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"{value!r} is not a valid regular expression: {err}") from None
        if _NOT_RE2.search(value):
            raise ValueError(
                f"{value!r} uses look-around or back-references, which CEL's RE2 engine"
                " does not support"
            )
        return value

    _keys = field_validator("label", "annotation")(_kube(kube.label_key_problem))

    @model_validator(mode="after")
    def _consistent(self) -> ParamSpec:
        if self.required and self.default is not None:
            raise ValueError(
                "a required param cannot have a default: drop 'default' or set 'required: false'"
            )
        if self.pattern is not None and self.enum is not None:
            raise ValueError("use either 'pattern' or 'enum', not both")
        if self.type == "boolean":
            if self.pattern is not None or self.enum is not None:
                raise ValueError("a boolean param takes no 'pattern' or 'enum'")
            if self.default is not None and str(self.default).lower() not in ("true", "false"):
                raise ValueError(
                    f"default {self.default!r} of a boolean param must be true or false"
                )
        elif isinstance(self.default, bool):
            raise ValueError(
                'default of a string param must be a string: quote it ("true") or set'
                " 'type: boolean'"
            )
        if self.default is not None:
            problem = self.value_problem(self.default_text)
            if problem:
                raise ValueError(f"default {self.default_text!r} {problem}")
        return self

    @property
    def default_text(self) -> str:
        """The default as Tekton carries it: a string ('' when there is none)."""
        if self.default is None:
            return ""
        if isinstance(self.default, bool) or self.type == "boolean":
            return str(self.default).lower()
        return self.default

    @property
    def snake(self) -> str:
        return self.name.replace("-", "_")

    def value_problem(self, value: str) -> str | None:
        """Why the listener would reject this value, or None (mirrors the CEL checks)."""
        if self.enum is not None and value not in self.enum:
            return f"is not one of {', '.join(self.enum)}"
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"does not match pattern {self.pattern!r}"
        if self.max_length is not None and len(value) > self.max_length:
            return f"is longer than maxLength {self.max_length}"
        if self.label is not None and kube.label_value_problem(value):
            return "is not a valid label value"
        return None


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

    @field_validator("field")
    @classmethod
    def _field(cls, value: str) -> str:
        if not _JSON_PATH.match(value):
            raise ValueError(
                f"{value!r} is not a dotted JSON field path (e.g. jobSettings.secretName)"
            )
        return value

    @field_validator("image_repository")
    @classmethod
    def _repository(cls, value: str | None) -> str | None:
        if value is not None and not _IMAGE_REPOSITORY.match(value):
            raise ValueError(
                f"{value!r} is not an image repository (registry/path, no tag or digest),"
                " e.g. quay.io/ecosystem-appeng/sast-ai-workflow"
            )
        return value


class OrchestratorSpec(_Model):
    url: str = Field(
        "http://sast-ai-orchestrator.{namespace}.svc.cluster.local:80",
        description="Base URL; {namespace} is replaced by the benchmark's namespace.",
    )
    batch_endpoint: str = Field("/api/v1/mlops-batch", description="Path of the batch API.")
    submit_timeout: Duration = Field("5m", description="Deadline for submitting, retries included.")
    request: list[RequestFieldSpec] = Field(
        min_length=1, description="How params map into the orchestrator's JSON body."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        probe = value.replace("{namespace}", "ns")
        if not re.match(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s{}]*)?$", probe):
            raise ValueError(
                f"{value!r} is not an http(s) URL (placeholder allowed: {{namespace}})"
            )
        return value.rstrip("/")

    @field_validator("batch_endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not re.match(r"^/[A-Za-z0-9._~/-]*$", value) or value.endswith("/"):
            raise ValueError(
                f"{value!r} must be a path starting with '/' (e.g. /api/v1/mlops-batch)"
            )
        return value

    _submit_timeout = field_validator("submit_timeout")(_check_duration)


class SecretKeyRef(_Model):
    """A key of an existing Secret; benchgen never renders the secret itself."""

    name: str
    key: str = "token"

    _name = field_validator("name")(_kube(kube.dns1123_subdomain_problem))

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _SECRET_KEY.match(value) or len(value) > 253:
            raise ValueError(f"{value!r} is not a valid Secret key")
        return value


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

    @field_validator("header")
    @classmethod
    def _header(cls, value: str) -> str:
        if not _HEADER_NAME.match(value):
            raise ValueError(f"{value!r} is not an HTTP header name")
        return value


class NoAuth(_Model):
    """Anyone who reaches the listener can start runs. Renders with a warning."""

    type: Literal["none"]


WebhookAuth = Annotated[GitHubAuth | GitLabAuth | TokenAuth | NoAuth, Field(discriminator="type")]


class WebhookSpec(_Model):
    auth: WebhookAuth = Field(description="How the listener authenticates callers.")
    event_id_param: str | None = Field(
        None,
        description=(
            "A required param carrying the caller's event id: the PipelineRun is named"
            " <runPrefix><id> (seed 002), so a repeated event is refused by the API server as"
            " a duplicate instead of starting a second run. The listener rejects ids that are"
            " not DNS-safe (lower-case letters, digits, '-') or too long."
        ),
    )


# Event types the generated listeners must never accept: the observer's own
# events (a run would start runs) and Tekton's (the EventListener answers every
# CloudEvent with dev.tekton.event.triggers.accepted.v1, which a broker feeds back).
RESERVED_EVENT_PREFIXES = {
    "dev.benchgen.": "benchgen's observer",
    "dev.tekton.": "Tekton itself (the EventListener's replies, Pipelines' run events)",
}
_EVENT_ATTRIBUTE = re.compile(r"^[\x21-\x7e]+$")
_ISO_DURATION = re.compile(
    r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)


class KReference(_Model):
    """A Kubernetes object another one points at (Knative's duck KReference)."""

    api_version: str = Field(description="e.g. v1, serving.knative.dev/v1")
    kind: str
    name: str
    namespace: str | None = Field(None, description="Default: the benchmark's namespace.")

    _name = field_validator("name")(_kube(kube.dns1123_subdomain_problem))
    _namespace = field_validator("namespace")(_kube(kube.dns1123_label_problem))

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if not re.match(r"^[A-Z][A-Za-z0-9]*$", value):
            raise ValueError(f"{value!r} is not a Kubernetes kind (e.g. Service)")
        return value


class DeadLetterSinkSpec(_Model):
    """Where undeliverable events go: an absolute URL or an addressable object."""

    uri: str | None = Field(None, description="Absolute http(s) URL.")
    ref: KReference | None = None

    @field_validator("uri")
    @classmethod
    def _uri(cls, value: str | None) -> str | None:
        if value is not None and not re.match(
            r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?$", value
        ):
            raise ValueError(f"{value!r} is not an absolute http(s) URL")
        return value

    @model_validator(mode="after")
    def _one(self) -> DeadLetterSinkSpec:
        if (self.uri is None) == (self.ref is None):
            raise ValueError("set exactly one of 'uri' and 'ref'")
        return self


class DeliverySpec(_Model):
    """Knative delivery: how often and how patiently a failed delivery is retried."""

    retry: int | None = Field(None, ge=0, le=100, description="Retries after the first attempt.")
    backoff_policy: Literal["exponential", "linear"] | None = None
    backoff_delay: str | None = Field(
        None, description="ISO-8601 duration of the first backoff, e.g. PT0.5S, PT2S."
    )
    dead_letter_sink: DeadLetterSinkSpec | None = None

    @field_validator("backoff_delay")
    @classmethod
    def _delay(cls, value: str | None) -> str | None:
        if value is not None and not _ISO_DURATION.match(value):
            raise ValueError(
                f"{value!r} is not an ISO-8601 duration (Knative's form): e.g. PT0.2S, PT5S, PT1M"
            )
        return value


class ChannelTemplateSpec(_Model):
    """The channel behind a created MTChannelBasedBroker (its config ConfigMap)."""

    api_version: str = "messaging.knative.dev/v1"
    kind: str = Field(description="InMemoryChannel (no persistence: tests only), KafkaChannel, ...")

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if not re.match(r"^[A-Z][A-Za-z0-9]*$", value):
            raise ValueError(f"{value!r} is not a Kubernetes kind (e.g. KafkaChannel)")
        return value


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

    _name = field_validator("name")(_kube(kube.dns1123_label_problem))

    @model_validator(mode="after")
    def _created(self) -> BrokerSpec:
        if not self.create and (self.channel_template is not None or self.delivery is not None):
            raise ValueError(
                "channelTemplate and delivery configure a Broker benchgen creates: set"
                " 'create: true' or drop them (an existing Broker keeps its own settings)"
            )
        if self.channel_template is not None and self.broker_class != "MTChannelBasedBroker":
            raise ValueError(
                "channelTemplate configures the MTChannelBasedBroker class only; another class"
                f" ({self.broker_class}) reads its own config: drop channelTemplate"
            )
        return self


class AcceptedEventSpec(_Model):
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

    _name = field_validator("name")(_kube(kube.dns1123_label_problem))

    @field_validator("type", "type_prefix", "source")
    @classmethod
    def _attribute(cls, value: str | None) -> str | None:
        if value is not None and (not _EVENT_ATTRIBUTE.match(value) or len(value) > 253):
            raise ValueError(
                f"{value!r} is not a usable CloudEvent attribute value: 1-253 printable"
                " characters without spaces"
            )
        return value

    @model_validator(mode="after")
    def _one(self) -> AcceptedEventSpec:
        if (self.type is None) == (self.type_prefix is None):
            raise ValueError("set exactly one of 'type' and 'typePrefix'")
        return self

    @property
    def type_text(self) -> str:
        return self.type if self.type is not None else str(self.type_prefix)


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

    _ns = field_validator("dispatcher_namespace")(_kube(kube.dns1123_label_problem))


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


class TriggersSpec(_Model):
    webhook: WebhookSpec
    cloud_events: CloudEventsSpec | None = None


class PollSpec(_Model):
    interval: Duration = Field("10s", description="First delay between two status polls.")
    max_interval: Duration = Field(
        "5m", description="Longest delay between two polls (backoff ceiling)."
    )
    timeout: Duration = Field(
        "8h", description="Give up waiting after this long (final-status TIMEOUT)."
    )
    fail_on: list[TerminalStatus] = Field(
        default_factory=lambda: list(DEFAULT_FAIL_ON),
        description="Terminal batch statuses that fail the wait Task.",
    )
    on_unknown_status: Literal["fail", "wait"] = Field(
        "fail",
        description=(
            "A status the poller does not know: fail at once, or keep waiting until the timeout."
        ),
    )

    _durations = field_validator("interval", "max_interval", "timeout")(_check_duration)

    @model_validator(mode="after")
    def _ordered(self) -> PollSpec:
        if parse_duration(self.interval) > parse_duration(self.max_interval):
            raise ValueError(
                f"interval {self.interval} is longer than maxInterval {self.max_interval}"
            )
        if parse_duration(self.max_interval) > parse_duration(self.timeout):
            raise ValueError(
                f"maxInterval {self.max_interval} is longer than timeout {self.timeout}"
            )
        return self


class ResourcesSpec(_Model):
    cpu_request: str = "10m"
    memory_request: str = "64Mi"
    memory_limit: str = "128Mi"

    @field_validator("cpu_request", "memory_request", "memory_limit")
    @classmethod
    def _quantity(cls, value: str) -> str:
        if not re.match(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|Ki|Mi|Gi)?$", value):
            raise ValueError(f"{value!r} is not a Kubernetes quantity (e.g. 100m, 64Mi)")
        return value


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

    _durations = field_validator("timeout", "finally_timeout")(_check_duration)

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        repository, at, digest = value.partition("@")
        if at:
            if not _DIGEST.match(digest) or not _IMAGE_REPOSITORY.match(
                repository.rsplit(":", 1)[0]
            ):
                raise ValueError(f"{value!r} is not an image reference with a sha256 digest")
            return value
        name, colon, tag = repository.rpartition(":")
        if not colon or "/" in tag:
            raise ValueError(f"{value!r} is not pinned: add a version tag or @sha256:<digest>")
        if not _IMAGE_REPOSITORY.match(name) or not _IMAGE_TAG.match(tag):
            raise ValueError(f"{value!r} is not a valid image reference")
        if tag == "latest":
            raise ValueError(
                f"{value!r} is not pinned: ':latest' moves; use a version tag or a digest"
            )
        return value

    _sa = field_validator("service_account_name")(_kube(kube.dns1123_subdomain_problem))


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

    @field_validator("run_prefix")
    @classmethod
    def _run_prefix(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 40 or not re.match(r"^[a-z][-a-z0-9]*$", value)):
            raise ValueError(
                f"{value!r} is not a run name prefix: 1-40 lower-case letters, digits and '-',"
                " starting with a letter (e.g. bench-run-)"
            )
        return value


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
        "tekton-pipelines", description="Where Tekton's config-events lives (sink 'tekton')."
    )
    log_tail_bytes: int = Field(
        4096,
        ge=0,
        le=65536,
        description=(
            "Size of the step log tail in step events; 0 sends no logs (no pods/log access)."
        ),
    )

    @field_validator("sink")
    @classmethod
    def _sink(cls, value: str) -> str:
        if value in ("broker", "tekton"):
            return value
        if not re.match(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?$", value):
            raise ValueError(f"{value!r} is not 'broker', 'tekton' or an http(s):// URL")
        return value

    @field_validator("namespaces")
    @classmethod
    def _namespaces(cls, value: list[str] | None) -> list[str] | None:
        for ns in value or []:
            problem = kube.dns1123_label_problem(ns)
            if problem:
                raise ValueError(problem)
        return value

    _tekton_ns = field_validator("tekton_namespace")(_kube(kube.dns1123_label_problem))


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

    @field_validator("from_namespaces")
    @classmethod
    def _namespaces(cls, value: list[str]) -> list[str]:
        for ns in value:
            problem = kube.dns1123_label_problem(ns)
            if problem:
                raise ValueError(problem)
        return value


class StatusApiSpec(_Model):
    """The read-only status and logs API for external CI (seed 002)."""

    auth: StatusAuthSpec
    replicas: int = Field(1, ge=1, le=10)
    network_policy: StatusNetworkPolicySpec | None = Field(
        None, description="Admit only these namespaces to the status API."
    )


class ObserveSpec(_Model):
    observer: ObserverSpec | None = None
    status_api: StatusApiSpec | None = None
    resources: ResourcesSpec = Field(
        default_factory=lambda: ResourcesSpec(
            cpu_request="20m", memory_request="96Mi", memory_limit="256Mi"
        ),
        description="Requests and memory limit of the observer and status API containers.",
    )


class BenchmarkSpec(_Model):
    orchestrator: OrchestratorSpec
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
