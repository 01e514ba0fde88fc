"""GENERATED from generator/config/models.py by `benchgen schema`: do not edit.

The pydantic-free twin of the config models for the kustomize plugin's fast
path (see codegen.py). Accepts a config only when every value has exactly the
expected type and passes the same rules.py functions the models' validators
are; on anything else it raises Doubt and the caller validates with pydantic.
"""

# ruff: noqa: E501, RUF100

from __future__ import annotations

from generator.config import rules

TYPE_CHECKING = False  # importing typing costs start-up time the plugin must not pay
if TYPE_CHECKING:
    from typing import Literal


class Doubt(Exception):
    """The fast path cannot vouch for this input: validate it with pydantic."""


def _str(value: object) -> str:
    if type(value) is not str:
        raise Doubt
    return value


def _bool(value: object) -> bool:
    if type(value) is not bool:
        raise Doubt
    return value


def _int(value: object) -> int:
    # ruamel.yaml (the KRM path's parser) gives int subclasses (ScalarInt for 0,
    # 010, 1_000); a bool is an int too, and never one here.
    if not isinstance(value, int) or isinstance(value, bool):
        raise Doubt
    return int(value)


def _list(value: object) -> list[object]:
    if type(value) is not list:
        raise Doubt
    return value


def _dict(value: object) -> dict[object, object]:
    if type(value) is not dict:
        raise Doubt
    return value


def _fields(value: object, keys: frozenset[str]) -> dict[str, object]:
    """A mapping holding only known keys (by alias): extra='forbid'."""
    if type(value) is not dict or not keys.issuperset(value):
        raise Doubt
    return value


class ObjectMeta:
    """Twin of models.ObjectMeta."""

    name: str
    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]

    def __init__(self, name: str, namespace: str, labels: dict[str, str], annotations: dict[str, str]) -> None:
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations


class RequestFieldSpec:
    """Twin of models.RequestFieldSpec."""

    field: str
    param: str
    image_repository: str | None
    required: bool | None

    def __init__(self, field: str, param: str, image_repository: str | None, required: bool | None) -> None:
        self.field = field
        self.param = param
        self.image_repository = image_repository
        self.required = required


class OrchestratorSpec:
    """Twin of models.OrchestratorSpec."""

    url: str
    batch_endpoint: str
    submit_timeout: str
    request: list[RequestFieldSpec]

    def __init__(self, url: str, batch_endpoint: str, submit_timeout: str, request: list[RequestFieldSpec]) -> None:
        self.url = url
        self.batch_endpoint = batch_endpoint
        self.submit_timeout = submit_timeout
        self.request = request


class ParamSpec(rules.ParamMixin):
    """Twin of models.ParamSpec."""

    name: str
    from_: str
    type: Literal['string', 'boolean']
    required: bool
    default: str | bool | None
    description: str
    pattern: str | None
    enum: list[str] | None
    max_length: int | None
    label: str | None
    annotation: str | None

    def __init__(self, name: str, from_: str, type: Literal['string', 'boolean'], required: bool, default: str | bool | None, description: str, pattern: str | None, enum: list[str] | None, max_length: int | None, label: str | None, annotation: str | None) -> None:
        self.name = name
        self.from_ = from_
        self.type = type
        self.required = required
        self.default = default
        self.description = description
        self.pattern = pattern
        self.enum = enum
        self.max_length = max_length
        self.label = label
        self.annotation = annotation


class SecretKeyRef:
    """Twin of models.SecretKeyRef."""

    name: str
    key: str

    def __init__(self, name: str, key: str) -> None:
        self.name = name
        self.key = key


class GitHubAuth:
    """Twin of models.GitHubAuth."""

    type: Literal['github']
    secret_ref: SecretKeyRef
    event_types: list[str] | None

    def __init__(self, type: Literal['github'], secret_ref: SecretKeyRef, event_types: list[str] | None) -> None:
        self.type = type
        self.secret_ref = secret_ref
        self.event_types = event_types


class GitLabAuth:
    """Twin of models.GitLabAuth."""

    type: Literal['gitlab']
    secret_ref: SecretKeyRef
    event_types: list[str] | None

    def __init__(self, type: Literal['gitlab'], secret_ref: SecretKeyRef, event_types: list[str] | None) -> None:
        self.type = type
        self.secret_ref = secret_ref
        self.event_types = event_types


class TokenAuth:
    """Twin of models.TokenAuth."""

    type: Literal['token']
    secret_ref: SecretKeyRef
    header: str

    def __init__(self, type: Literal['token'], secret_ref: SecretKeyRef, header: str) -> None:
        self.type = type
        self.secret_ref = secret_ref
        self.header = header


class NoAuth:
    """Twin of models.NoAuth."""

    type: Literal['none']

    def __init__(self, type: Literal['none']) -> None:
        self.type = type


class WebhookSpec:
    """Twin of models.WebhookSpec."""

    auth: GitHubAuth | GitLabAuth | TokenAuth | NoAuth
    event_id_param: str | None

    def __init__(self, auth: GitHubAuth | GitLabAuth | TokenAuth | NoAuth, event_id_param: str | None) -> None:
        self.auth = auth
        self.event_id_param = event_id_param


class ChannelTemplateSpec:
    """Twin of models.ChannelTemplateSpec."""

    api_version: str
    kind: str

    def __init__(self, api_version: str, kind: str) -> None:
        self.api_version = api_version
        self.kind = kind


class KReference:
    """Twin of models.KReference."""

    api_version: str
    kind: str
    name: str
    namespace: str | None

    def __init__(self, api_version: str, kind: str, name: str, namespace: str | None) -> None:
        self.api_version = api_version
        self.kind = kind
        self.name = name
        self.namespace = namespace


class DeadLetterSinkSpec:
    """Twin of models.DeadLetterSinkSpec."""

    uri: str | None
    ref: KReference | None

    def __init__(self, uri: str | None, ref: KReference | None) -> None:
        self.uri = uri
        self.ref = ref


class DeliverySpec:
    """Twin of models.DeliverySpec."""

    retry: int | None
    backoff_policy: Literal['exponential', 'linear'] | None
    backoff_delay: str | None
    dead_letter_sink: DeadLetterSinkSpec | None

    def __init__(self, retry: int | None, backoff_policy: Literal['exponential', 'linear'] | None, backoff_delay: str | None, dead_letter_sink: DeadLetterSinkSpec | None) -> None:
        self.retry = retry
        self.backoff_policy = backoff_policy
        self.backoff_delay = backoff_delay
        self.dead_letter_sink = dead_letter_sink


class BrokerSpec:
    """Twin of models.BrokerSpec."""

    name: str
    create: bool
    broker_class: str
    channel_template: ChannelTemplateSpec | None
    delivery: DeliverySpec | None

    def __init__(self, name: str, create: bool, broker_class: str, channel_template: ChannelTemplateSpec | None, delivery: DeliverySpec | None) -> None:
        self.name = name
        self.create = create
        self.broker_class = broker_class
        self.channel_template = channel_template
        self.delivery = delivery


class AcceptedEventSpec(rules.AcceptedEventMixin):
    """Twin of models.AcceptedEventSpec."""

    type: str | None
    type_prefix: str | None
    source: str | None
    cesql: str | None
    name: str | None

    def __init__(self, type: str | None, type_prefix: str | None, source: str | None, cesql: str | None, name: str | None) -> None:
        self.type = type
        self.type_prefix = type_prefix
        self.source = source
        self.cesql = cesql
        self.name = name


class ListenerNetworkPolicySpec:
    """Twin of models.ListenerNetworkPolicySpec."""

    enabled: bool
    dispatcher_namespace: str

    def __init__(self, enabled: bool, dispatcher_namespace: str) -> None:
        self.enabled = enabled
        self.dispatcher_namespace = dispatcher_namespace


class CloudEventsSpec:
    """Twin of models.CloudEventsSpec."""

    broker: BrokerSpec
    accept: list[AcceptedEventSpec]
    delivery: DeliverySpec | None
    network_policy: ListenerNetworkPolicySpec

    def __init__(self, broker: BrokerSpec, accept: list[AcceptedEventSpec], delivery: DeliverySpec | None, network_policy: ListenerNetworkPolicySpec) -> None:
        self.broker = broker
        self.accept = accept
        self.delivery = delivery
        self.network_policy = network_policy


class ScheduleSpec:
    """Twin of models.ScheduleSpec."""

    name: str | None
    cron: str
    time_zone: str
    via: Literal['webhook', 'pingSource']
    values: dict[str, str | bool]
    starting_deadline: str
    suspend: bool

    def __init__(self, name: str | None, cron: str, time_zone: str, via: Literal['webhook', 'pingSource'], values: dict[str, str | bool], starting_deadline: str, suspend: bool) -> None:
        self.name = name
        self.cron = cron
        self.time_zone = time_zone
        self.via = via
        self.values = values
        self.starting_deadline = starting_deadline
        self.suspend = suspend


class ReleaseProjectSpec(rules.ReleaseProjectMixin):
    """Twin of models.ReleaseProjectSpec."""

    repo: str
    name: str | None
    configurations: list[str]
    tag_pattern: str | None

    def __init__(self, repo: str, name: str | None, configurations: list[str], tag_pattern: str | None) -> None:
        self.repo = repo
        self.name = name
        self.configurations = configurations
        self.tag_pattern = tag_pattern


class ReleaseParamsSpec:
    """Twin of models.ReleaseParamsSpec."""

    project: str
    version: str
    configuration: str | None

    def __init__(self, project: str, version: str, configuration: str | None) -> None:
        self.project = project
        self.version = version
        self.configuration = configuration


class ReleasesSpec:
    """Twin of models.ReleasesSpec."""

    projects: list[ReleaseProjectSpec]
    params: ReleaseParamsSpec
    values: dict[str, str | bool]
    cron: str
    time_zone: str
    api_url: str
    token_secret_ref: SecretKeyRef | None
    starting_deadline: str

    def __init__(self, projects: list[ReleaseProjectSpec], params: ReleaseParamsSpec, values: dict[str, str | bool], cron: str, time_zone: str, api_url: str, token_secret_ref: SecretKeyRef | None, starting_deadline: str) -> None:
        self.projects = projects
        self.params = params
        self.values = values
        self.cron = cron
        self.time_zone = time_zone
        self.api_url = api_url
        self.token_secret_ref = token_secret_ref
        self.starting_deadline = starting_deadline


class TriggersSpec:
    """Twin of models.TriggersSpec."""

    webhook: WebhookSpec
    cloud_events: CloudEventsSpec | None
    schedule: list[ScheduleSpec] | None
    releases: ReleasesSpec | None

    def __init__(self, webhook: WebhookSpec, cloud_events: CloudEventsSpec | None, schedule: list[ScheduleSpec] | None, releases: ReleasesSpec | None) -> None:
        self.webhook = webhook
        self.cloud_events = cloud_events
        self.schedule = schedule
        self.releases = releases


class PollSpec:
    """Twin of models.PollSpec."""

    interval: str
    max_interval: str
    timeout: str
    fail_on: list[Literal['COMPLETED', 'COMPLETED_WITH_ERRORS', 'COMPLETED_EMPTY', 'FAILED', 'CANCELLED']]
    on_unknown_status: Literal['fail', 'wait']

    def __init__(self, interval: str, max_interval: str, timeout: str, fail_on: list[Literal['COMPLETED', 'COMPLETED_WITH_ERRORS', 'COMPLETED_EMPTY', 'FAILED', 'CANCELLED']], on_unknown_status: Literal['fail', 'wait']) -> None:
        self.interval = interval
        self.max_interval = max_interval
        self.timeout = timeout
        self.fail_on = fail_on
        self.on_unknown_status = on_unknown_status


class ResourcesSpec:
    """Twin of models.ResourcesSpec."""

    cpu_request: str
    memory_request: str
    memory_limit: str

    def __init__(self, cpu_request: str, memory_request: str, memory_limit: str) -> None:
        self.cpu_request = cpu_request
        self.memory_request = memory_request
        self.memory_limit = memory_limit


class ConcurrencySpec:
    """Twin of models.ConcurrencySpec."""

    limit: int
    key: str | None

    def __init__(self, limit: int, key: str | None) -> None:
        self.limit = limit
        self.key = key


class CleanupTargetSpec(rules.CleanupTargetMixin):
    """Twin of models.CleanupTargetSpec."""

    api_version: str
    kind: str
    plural: str | None
    namespace: str | None
    namespace_from_param: str | None
    labels: dict[str, str]
    labels_from_params: dict[str, str]

    def __init__(self, api_version: str, kind: str, plural: str | None, namespace: str | None, namespace_from_param: str | None, labels: dict[str, str], labels_from_params: dict[str, str]) -> None:
        self.api_version = api_version
        self.kind = kind
        self.plural = plural
        self.namespace = namespace
        self.namespace_from_param = namespace_from_param
        self.labels = labels
        self.labels_from_params = labels_from_params


class CleanupSpec:
    """Twin of models.CleanupSpec."""

    delete: list[CleanupTargetSpec]
    timeout: str

    def __init__(self, delete: list[CleanupTargetSpec], timeout: str) -> None:
        self.delete = delete
        self.timeout = timeout


class NotifySpec:
    """Twin of models.NotifySpec."""

    url_secret_ref: SecretKeyRef
    on_failure: Literal['report', 'fail']
    timeout: str

    def __init__(self, url_secret_ref: SecretKeyRef, on_failure: Literal['report', 'fail'], timeout: str) -> None:
        self.url_secret_ref = url_secret_ref
        self.on_failure = on_failure
        self.timeout = timeout


class FinallySpec:
    """Twin of models.FinallySpec."""

    cleanup: CleanupSpec | None
    notify: NotifySpec | None

    def __init__(self, cleanup: CleanupSpec | None, notify: NotifySpec | None) -> None:
        self.cleanup = cleanup
        self.notify = notify


class PipelineSpec:
    """Twin of models.PipelineSpec."""

    image: str
    timeout: str
    finally_timeout: str
    service_account_name: str | None
    resources: ResourcesSpec
    concurrency: ConcurrencySpec | None
    finally_: FinallySpec | None

    def __init__(self, image: str, timeout: str, finally_timeout: str, service_account_name: str | None, resources: ResourcesSpec, concurrency: ConcurrencySpec | None, finally_: FinallySpec | None) -> None:
        self.image = image
        self.timeout = timeout
        self.finally_timeout = finally_timeout
        self.service_account_name = service_account_name
        self.resources = resources
        self.concurrency = concurrency
        self.finally_ = finally_


class NamesSpec:
    """Twin of models.NamesSpec."""

    listener: str | None
    config_map: str | None
    pipeline: str | None
    binding: str | None
    template: str | None
    run_prefix: str | None

    def __init__(self, listener: str | None, config_map: str | None, pipeline: str | None, binding: str | None, template: str | None, run_prefix: str | None) -> None:
        self.listener = listener
        self.config_map = config_map
        self.pipeline = pipeline
        self.binding = binding
        self.template = template
        self.run_prefix = run_prefix


class ObserverSpec:
    """Twin of models.ObserverSpec."""

    sink: str
    namespaces: list[str] | None
    tekton_namespace: str
    log_tail_bytes: int

    def __init__(self, sink: str, namespaces: list[str] | None, tekton_namespace: str, log_tail_bytes: int) -> None:
        self.sink = sink
        self.namespaces = namespaces
        self.tekton_namespace = tekton_namespace
        self.log_tail_bytes = log_tail_bytes


class StatusAuthSpec:
    """Twin of models.StatusAuthSpec."""

    type: Literal['bearer', 'basic']
    secret_ref: SecretKeyRef

    def __init__(self, type: Literal['bearer', 'basic'], secret_ref: SecretKeyRef) -> None:
        self.type = type
        self.secret_ref = secret_ref


class StatusNetworkPolicySpec:
    """Twin of models.StatusNetworkPolicySpec."""

    from_namespaces: list[str]

    def __init__(self, from_namespaces: list[str]) -> None:
        self.from_namespaces = from_namespaces


class StatusApiSpec:
    """Twin of models.StatusApiSpec."""

    auth: StatusAuthSpec
    replicas: int
    network_policy: StatusNetworkPolicySpec | None

    def __init__(self, auth: StatusAuthSpec, replicas: int, network_policy: StatusNetworkPolicySpec | None) -> None:
        self.auth = auth
        self.replicas = replicas
        self.network_policy = network_policy


class ObserveSpec:
    """Twin of models.ObserveSpec."""

    observer: ObserverSpec | None
    status_api: StatusApiSpec | None
    resources: ResourcesSpec

    def __init__(self, observer: ObserverSpec | None, status_api: StatusApiSpec | None, resources: ResourcesSpec) -> None:
        self.observer = observer
        self.status_api = status_api
        self.resources = resources


class BenchmarkSpec:
    """Twin of models.BenchmarkSpec."""

    orchestrator: OrchestratorSpec
    params: list[ParamSpec]
    triggers: TriggersSpec
    poll: PollSpec
    pipeline: PipelineSpec
    names: NamesSpec
    observe: ObserveSpec | None
    labels: dict[str, str]

    def __init__(self, orchestrator: OrchestratorSpec, params: list[ParamSpec], triggers: TriggersSpec, poll: PollSpec, pipeline: PipelineSpec, names: NamesSpec, observe: ObserveSpec | None, labels: dict[str, str]) -> None:
        self.orchestrator = orchestrator
        self.params = params
        self.triggers = triggers
        self.poll = poll
        self.pipeline = pipeline
        self.names = names
        self.observe = observe
        self.labels = labels


class Benchmark:
    """Twin of models.Benchmark."""

    api_version: Literal['benchgen.dev/v1alpha1']
    kind: Literal['Benchmark']
    metadata: ObjectMeta
    spec: BenchmarkSpec

    def __init__(self, api_version: Literal['benchgen.dev/v1alpha1'], kind: Literal['Benchmark'], metadata: ObjectMeta, spec: BenchmarkSpec) -> None:
        self.api_version = api_version
        self.kind = kind
        self.metadata = metadata
        self.spec = spec


def _literal_1(value: object) -> Literal['benchgen.dev/v1alpha1']:
    if type(value) is not str:
        raise Doubt
    if value == 'benchgen.dev/v1alpha1':
        return 'benchgen.dev/v1alpha1'
    raise Doubt


def _literal_2(value: object) -> Literal['Benchmark']:
    if type(value) is not str:
        raise Doubt
    if value == 'Benchmark':
        return 'Benchmark'
    raise Doubt


def _dict_str_str(value: object) -> dict[str, str]:
    return {_str(k): _str(v) for k, v in _dict(value).items()}


_KEYS_ObjectMeta = frozenset(('name', 'namespace', 'labels', 'annotations'))


def _ObjectMeta(value: object) -> ObjectMeta:
    data = _fields(value, _KEYS_ObjectMeta)
    if 'name' not in data:
        raise Doubt
    f_name = _str(data['name'])
    f_name = rules.dns1123_label(f_name)
    if 'namespace' in data:
        f_namespace = _str(data['namespace'])
        f_namespace = rules.dns1123_label(f_namespace)
    else:
        f_namespace = ''
    if 'labels' in data:
        f_labels = _dict_str_str(data['labels'])
    else:
        f_labels = {}
    if 'annotations' in data:
        f_annotations = _dict_str_str(data['annotations'])
    else:
        f_annotations = {}
    result = ObjectMeta(f_name, f_namespace, f_labels, f_annotations)
    return result


def _optional_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _optional_bool(value: object) -> bool | None:
    return None if value is None else _bool(value)


_KEYS_RequestFieldSpec = frozenset(('field', 'param', 'imageRepository', 'required'))


def _RequestFieldSpec(value: object) -> RequestFieldSpec:
    data = _fields(value, _KEYS_RequestFieldSpec)
    if 'field' not in data:
        raise Doubt
    f_field = _str(data['field'])
    f_field = rules.json_path(f_field)
    if 'param' not in data:
        raise Doubt
    f_param = _str(data['param'])
    if 'imageRepository' in data:
        f_image_repository = _optional_str(data['imageRepository'])
        f_image_repository = rules.image_repository(f_image_repository)
    else:
        f_image_repository = None
    if 'required' in data:
        f_required = _optional_bool(data['required'])
    else:
        f_required = None
    result = RequestFieldSpec(f_field, f_param, f_image_repository, f_required)
    return result


def _list_RequestFieldSpec(value: object) -> list[RequestFieldSpec]:
    return [_RequestFieldSpec(item) for item in _list(value)]


_KEYS_OrchestratorSpec = frozenset(('url', 'batchEndpoint', 'submitTimeout', 'request'))


def _OrchestratorSpec(value: object) -> OrchestratorSpec:
    data = _fields(value, _KEYS_OrchestratorSpec)
    if 'url' in data:
        f_url = _str(data['url'])
        f_url = rules.orchestrator_url(f_url)
    else:
        f_url = 'http://sast-ai-orchestrator.{namespace}.svc.cluster.local:80'
    if 'batchEndpoint' in data:
        f_batch_endpoint = _str(data['batchEndpoint'])
        f_batch_endpoint = rules.batch_endpoint(f_batch_endpoint)
    else:
        f_batch_endpoint = '/api/v1/mlops-batch'
    if 'submitTimeout' in data:
        f_submit_timeout = _str(data['submitTimeout'])
        f_submit_timeout = rules.duration(f_submit_timeout)
    else:
        f_submit_timeout = '5m'
    if 'request' not in data:
        raise Doubt
    f_request = _list_RequestFieldSpec(data['request'])
    if len(f_request) < 1:
        raise Doubt
    result = OrchestratorSpec(f_url, f_batch_endpoint, f_submit_timeout, f_request)
    return result


def _literal_3(value: object) -> Literal['string', 'boolean']:
    if type(value) is not str:
        raise Doubt
    if value == 'string':
        return 'string'
    if value == 'boolean':
        return 'boolean'
    raise Doubt


def _str_or_bool(value: object) -> str | bool:
    if type(value) is str:
        return value
    if type(value) is bool:
        return value
    raise Doubt


def _optional_str_or_bool(value: object) -> str | bool | None:
    return None if value is None else _str_or_bool(value)


def _list_str(value: object) -> list[str]:
    return [_str(item) for item in _list(value)]


def _optional_list_str(value: object) -> list[str] | None:
    return None if value is None else _list_str(value)


def _optional_int(value: object) -> int | None:
    return None if value is None else _int(value)


_KEYS_ParamSpec = frozenset(('name', 'from', 'type', 'required', 'default', 'description', 'pattern', 'enum', 'maxLength', 'label', 'annotation'))


def _ParamSpec(value: object) -> ParamSpec:
    data = _fields(value, _KEYS_ParamSpec)
    if 'name' not in data:
        raise Doubt
    f_name = _str(data['name'])
    f_name = rules.param_name(f_name)
    if 'from' not in data:
        raise Doubt
    f_from_ = _str(data['from'])
    f_from_ = rules.param_source(f_from_)
    if 'type' in data:
        f_type = _literal_3(data['type'])
    else:
        f_type = 'string'
    if 'required' in data:
        f_required = _bool(data['required'])
    else:
        f_required = False
    if 'default' in data:
        f_default = _optional_str_or_bool(data['default'])
    else:
        f_default = None
    if 'description' in data:
        f_description = _str(data['description'])
    else:
        f_description = ''
    if 'pattern' in data:
        f_pattern = _optional_str(data['pattern'])
        f_pattern = rules.re2_pattern(f_pattern)
    else:
        f_pattern = None
    if 'enum' in data:
        f_enum = _optional_list_str(data['enum'])
        if f_enum is not None and len(f_enum) < 1:
            raise Doubt
    else:
        f_enum = None
    if 'maxLength' in data:
        f_max_length = _optional_int(data['maxLength'])
        if f_max_length is not None and f_max_length < 1:
            raise Doubt
        if f_max_length is not None and f_max_length > 65536:
            raise Doubt
    else:
        f_max_length = None
    if 'label' in data:
        f_label = _optional_str(data['label'])
        f_label = rules.label_key(f_label)
    else:
        f_label = None
    if 'annotation' in data:
        f_annotation = _optional_str(data['annotation'])
        f_annotation = rules.label_key(f_annotation)
    else:
        f_annotation = None
    result = ParamSpec(f_name, f_from_, f_type, f_required, f_default, f_description, f_pattern, f_enum, f_max_length, f_label, f_annotation)
    result = rules.param_consistent(result)
    return result


def _list_ParamSpec(value: object) -> list[ParamSpec]:
    return [_ParamSpec(item) for item in _list(value)]


def _literal_4(value: object) -> Literal['github']:
    if type(value) is not str:
        raise Doubt
    if value == 'github':
        return 'github'
    raise Doubt


_KEYS_SecretKeyRef = frozenset(('name', 'key'))


def _SecretKeyRef(value: object) -> SecretKeyRef:
    data = _fields(value, _KEYS_SecretKeyRef)
    if 'name' not in data:
        raise Doubt
    f_name = _str(data['name'])
    f_name = rules.dns1123_subdomain(f_name)
    if 'key' in data:
        f_key = _str(data['key'])
        f_key = rules.secret_key(f_key)
    else:
        f_key = 'token'
    result = SecretKeyRef(f_name, f_key)
    return result


_KEYS_GitHubAuth = frozenset(('type', 'secretRef', 'eventTypes'))


def _GitHubAuth(value: object) -> GitHubAuth:
    data = _fields(value, _KEYS_GitHubAuth)
    if 'type' not in data:
        raise Doubt
    f_type = _literal_4(data['type'])
    if 'secretRef' not in data:
        raise Doubt
    f_secret_ref = _SecretKeyRef(data['secretRef'])
    if 'eventTypes' in data:
        f_event_types = _optional_list_str(data['eventTypes'])
    else:
        f_event_types = None
    result = GitHubAuth(f_type, f_secret_ref, f_event_types)
    return result


def _literal_5(value: object) -> Literal['gitlab']:
    if type(value) is not str:
        raise Doubt
    if value == 'gitlab':
        return 'gitlab'
    raise Doubt


_KEYS_GitLabAuth = frozenset(('type', 'secretRef', 'eventTypes'))


def _GitLabAuth(value: object) -> GitLabAuth:
    data = _fields(value, _KEYS_GitLabAuth)
    if 'type' not in data:
        raise Doubt
    f_type = _literal_5(data['type'])
    if 'secretRef' not in data:
        raise Doubt
    f_secret_ref = _SecretKeyRef(data['secretRef'])
    if 'eventTypes' in data:
        f_event_types = _optional_list_str(data['eventTypes'])
    else:
        f_event_types = None
    result = GitLabAuth(f_type, f_secret_ref, f_event_types)
    return result


def _literal_6(value: object) -> Literal['token']:
    if type(value) is not str:
        raise Doubt
    if value == 'token':
        return 'token'
    raise Doubt


_KEYS_TokenAuth = frozenset(('type', 'secretRef', 'header'))


def _TokenAuth(value: object) -> TokenAuth:
    data = _fields(value, _KEYS_TokenAuth)
    if 'type' not in data:
        raise Doubt
    f_type = _literal_6(data['type'])
    if 'secretRef' not in data:
        raise Doubt
    f_secret_ref = _SecretKeyRef(data['secretRef'])
    if 'header' in data:
        f_header = _str(data['header'])
        f_header = rules.header_name(f_header)
    else:
        f_header = 'X-Benchgen-Token'
    result = TokenAuth(f_type, f_secret_ref, f_header)
    return result


def _literal_7(value: object) -> Literal['none']:
    if type(value) is not str:
        raise Doubt
    if value == 'none':
        return 'none'
    raise Doubt


_KEYS_NoAuth = frozenset(('type',))


def _NoAuth(value: object) -> NoAuth:
    data = _fields(value, _KEYS_NoAuth)
    if 'type' not in data:
        raise Doubt
    f_type = _literal_7(data['type'])
    result = NoAuth(f_type)
    return result


def _tagged_GitHubAuth_GitLabAuth_TokenAuth_NoAuth(value: object) -> GitHubAuth | GitLabAuth | TokenAuth | NoAuth:
    tag = _dict(value).get('type')
    if tag == 'github':
        return _GitHubAuth(value)
    if tag == 'gitlab':
        return _GitLabAuth(value)
    if tag == 'token':
        return _TokenAuth(value)
    if tag == 'none':
        return _NoAuth(value)
    raise Doubt


_KEYS_WebhookSpec = frozenset(('auth', 'eventIdParam'))


def _WebhookSpec(value: object) -> WebhookSpec:
    data = _fields(value, _KEYS_WebhookSpec)
    if 'auth' not in data:
        raise Doubt
    f_auth = _tagged_GitHubAuth_GitLabAuth_TokenAuth_NoAuth(data['auth'])
    if 'eventIdParam' in data:
        f_event_id_param = _optional_str(data['eventIdParam'])
    else:
        f_event_id_param = None
    result = WebhookSpec(f_auth, f_event_id_param)
    return result


_KEYS_ChannelTemplateSpec = frozenset(('apiVersion', 'kind'))


def _ChannelTemplateSpec(value: object) -> ChannelTemplateSpec:
    data = _fields(value, _KEYS_ChannelTemplateSpec)
    if 'apiVersion' in data:
        f_api_version = _str(data['apiVersion'])
    else:
        f_api_version = 'messaging.knative.dev/v1'
    if 'kind' not in data:
        raise Doubt
    f_kind = _str(data['kind'])
    f_kind = rules.channel_kind(f_kind)
    result = ChannelTemplateSpec(f_api_version, f_kind)
    return result


def _optional_ChannelTemplateSpec(value: object) -> ChannelTemplateSpec | None:
    return None if value is None else _ChannelTemplateSpec(value)


def _literal_8(value: object) -> Literal['exponential', 'linear']:
    if type(value) is not str:
        raise Doubt
    if value == 'exponential':
        return 'exponential'
    if value == 'linear':
        return 'linear'
    raise Doubt


def _optional_literal_8(value: object) -> Literal['exponential', 'linear'] | None:
    return None if value is None else _literal_8(value)


_KEYS_KReference = frozenset(('apiVersion', 'kind', 'name', 'namespace'))


def _KReference(value: object) -> KReference:
    data = _fields(value, _KEYS_KReference)
    if 'apiVersion' not in data:
        raise Doubt
    f_api_version = _str(data['apiVersion'])
    if 'kind' not in data:
        raise Doubt
    f_kind = _str(data['kind'])
    f_kind = rules.object_kind(f_kind)
    if 'name' not in data:
        raise Doubt
    f_name = _str(data['name'])
    f_name = rules.dns1123_subdomain(f_name)
    if 'namespace' in data:
        f_namespace = _optional_str(data['namespace'])
        f_namespace = rules.dns1123_label(f_namespace)
    else:
        f_namespace = None
    result = KReference(f_api_version, f_kind, f_name, f_namespace)
    return result


def _optional_KReference(value: object) -> KReference | None:
    return None if value is None else _KReference(value)


_KEYS_DeadLetterSinkSpec = frozenset(('uri', 'ref'))


def _DeadLetterSinkSpec(value: object) -> DeadLetterSinkSpec:
    data = _fields(value, _KEYS_DeadLetterSinkSpec)
    if 'uri' in data:
        f_uri = _optional_str(data['uri'])
        f_uri = rules.absolute_url(f_uri)
    else:
        f_uri = None
    if 'ref' in data:
        f_ref = _optional_KReference(data['ref'])
    else:
        f_ref = None
    result = DeadLetterSinkSpec(f_uri, f_ref)
    result = rules.one_sink(result)
    return result


def _optional_DeadLetterSinkSpec(value: object) -> DeadLetterSinkSpec | None:
    return None if value is None else _DeadLetterSinkSpec(value)


_KEYS_DeliverySpec = frozenset(('retry', 'backoffPolicy', 'backoffDelay', 'deadLetterSink'))


def _DeliverySpec(value: object) -> DeliverySpec:
    data = _fields(value, _KEYS_DeliverySpec)
    if 'retry' in data:
        f_retry = _optional_int(data['retry'])
        if f_retry is not None and f_retry < 0:
            raise Doubt
        if f_retry is not None and f_retry > 100:
            raise Doubt
    else:
        f_retry = None
    if 'backoffPolicy' in data:
        f_backoff_policy = _optional_literal_8(data['backoffPolicy'])
    else:
        f_backoff_policy = None
    if 'backoffDelay' in data:
        f_backoff_delay = _optional_str(data['backoffDelay'])
        f_backoff_delay = rules.iso_duration(f_backoff_delay)
    else:
        f_backoff_delay = None
    if 'deadLetterSink' in data:
        f_dead_letter_sink = _optional_DeadLetterSinkSpec(data['deadLetterSink'])
    else:
        f_dead_letter_sink = None
    result = DeliverySpec(f_retry, f_backoff_policy, f_backoff_delay, f_dead_letter_sink)
    return result


def _optional_DeliverySpec(value: object) -> DeliverySpec | None:
    return None if value is None else _DeliverySpec(value)


_KEYS_BrokerSpec = frozenset(('name', 'create', 'class', 'channelTemplate', 'delivery'))


def _BrokerSpec(value: object) -> BrokerSpec:
    data = _fields(value, _KEYS_BrokerSpec)
    if 'name' in data:
        f_name = _str(data['name'])
        f_name = rules.dns1123_label(f_name)
    else:
        f_name = 'default'
    if 'create' in data:
        f_create = _bool(data['create'])
    else:
        f_create = False
    if 'class' in data:
        f_broker_class = _str(data['class'])
    else:
        f_broker_class = 'MTChannelBasedBroker'
    if 'channelTemplate' in data:
        f_channel_template = _optional_ChannelTemplateSpec(data['channelTemplate'])
    else:
        f_channel_template = None
    if 'delivery' in data:
        f_delivery = _optional_DeliverySpec(data['delivery'])
    else:
        f_delivery = None
    result = BrokerSpec(f_name, f_create, f_broker_class, f_channel_template, f_delivery)
    result = rules.broker_created(result)
    return result


_KEYS_AcceptedEventSpec = frozenset(('type', 'typePrefix', 'source', 'cesql', 'name'))


def _AcceptedEventSpec(value: object) -> AcceptedEventSpec:
    data = _fields(value, _KEYS_AcceptedEventSpec)
    if 'type' in data:
        f_type = _optional_str(data['type'])
        f_type = rules.event_attribute(f_type)
    else:
        f_type = None
    if 'typePrefix' in data:
        f_type_prefix = _optional_str(data['typePrefix'])
        f_type_prefix = rules.event_attribute(f_type_prefix)
    else:
        f_type_prefix = None
    if 'source' in data:
        f_source = _optional_str(data['source'])
        f_source = rules.event_attribute(f_source)
    else:
        f_source = None
    if 'cesql' in data:
        f_cesql = _optional_str(data['cesql'])
        f_cesql = rules.cesql_filter(f_cesql)
    else:
        f_cesql = None
    if 'name' in data:
        f_name = _optional_str(data['name'])
        f_name = rules.dns1123_label(f_name)
    else:
        f_name = None
    result = AcceptedEventSpec(f_type, f_type_prefix, f_source, f_cesql, f_name)
    result = rules.one_event_type(result)
    return result


def _list_AcceptedEventSpec(value: object) -> list[AcceptedEventSpec]:
    return [_AcceptedEventSpec(item) for item in _list(value)]


_KEYS_ListenerNetworkPolicySpec = frozenset(('enabled', 'dispatcherNamespace'))


def _ListenerNetworkPolicySpec(value: object) -> ListenerNetworkPolicySpec:
    data = _fields(value, _KEYS_ListenerNetworkPolicySpec)
    if 'enabled' in data:
        f_enabled = _bool(data['enabled'])
    else:
        f_enabled = True
    if 'dispatcherNamespace' in data:
        f_dispatcher_namespace = _str(data['dispatcherNamespace'])
        f_dispatcher_namespace = rules.dns1123_label(f_dispatcher_namespace)
    else:
        f_dispatcher_namespace = 'knative-eventing'
    result = ListenerNetworkPolicySpec(f_enabled, f_dispatcher_namespace)
    return result


_KEYS_CloudEventsSpec = frozenset(('broker', 'accept', 'delivery', 'networkPolicy'))


def _CloudEventsSpec(value: object) -> CloudEventsSpec:
    data = _fields(value, _KEYS_CloudEventsSpec)
    if 'broker' in data:
        f_broker = _BrokerSpec(data['broker'])
    else:
        f_broker = _BrokerSpec({})
    if 'accept' not in data:
        raise Doubt
    f_accept = _list_AcceptedEventSpec(data['accept'])
    if len(f_accept) < 1:
        raise Doubt
    if 'delivery' in data:
        f_delivery = _optional_DeliverySpec(data['delivery'])
    else:
        f_delivery = None
    if 'networkPolicy' in data:
        f_network_policy = _ListenerNetworkPolicySpec(data['networkPolicy'])
    else:
        f_network_policy = _ListenerNetworkPolicySpec({})
    result = CloudEventsSpec(f_broker, f_accept, f_delivery, f_network_policy)
    return result


def _optional_CloudEventsSpec(value: object) -> CloudEventsSpec | None:
    return None if value is None else _CloudEventsSpec(value)


def _literal_9(value: object) -> Literal['webhook', 'pingSource']:
    if type(value) is not str:
        raise Doubt
    if value == 'webhook':
        return 'webhook'
    if value == 'pingSource':
        return 'pingSource'
    raise Doubt


def _dict_str_str_or_bool(value: object) -> dict[str, str | bool]:
    return {_str(k): _str_or_bool(v) for k, v in _dict(value).items()}


_KEYS_ScheduleSpec = frozenset(('name', 'cron', 'timeZone', 'via', 'values', 'startingDeadline', 'suspend'))


def _ScheduleSpec(value: object) -> ScheduleSpec:
    data = _fields(value, _KEYS_ScheduleSpec)
    if 'name' in data:
        f_name = _optional_str(data['name'])
        f_name = rules.dns1123_label(f_name)
    else:
        f_name = None
    if 'cron' not in data:
        raise Doubt
    f_cron = _str(data['cron'])
    f_cron = rules.cron(f_cron)
    if 'timeZone' in data:
        f_time_zone = _str(data['timeZone'])
        f_time_zone = rules.time_zone(f_time_zone)
    else:
        f_time_zone = 'Etc/UTC'
    if 'via' in data:
        f_via = _literal_9(data['via'])
    else:
        f_via = 'webhook'
    if 'values' in data:
        f_values = _dict_str_str_or_bool(data['values'])
    else:
        f_values = {}
    if 'startingDeadline' in data:
        f_starting_deadline = _str(data['startingDeadline'])
        f_starting_deadline = rules.duration(f_starting_deadline)
    else:
        f_starting_deadline = '30m'
    if 'suspend' in data:
        f_suspend = _bool(data['suspend'])
    else:
        f_suspend = False
    result = ScheduleSpec(f_name, f_cron, f_time_zone, f_via, f_values, f_starting_deadline, f_suspend)
    return result


def _list_ScheduleSpec(value: object) -> list[ScheduleSpec]:
    return [_ScheduleSpec(item) for item in _list(value)]


def _optional_list_ScheduleSpec(value: object) -> list[ScheduleSpec] | None:
    return None if value is None else _list_ScheduleSpec(value)


_KEYS_ReleaseProjectSpec = frozenset(('repo', 'name', 'configurations', 'tagPattern'))


def _ReleaseProjectSpec(value: object) -> ReleaseProjectSpec:
    data = _fields(value, _KEYS_ReleaseProjectSpec)
    if 'repo' not in data:
        raise Doubt
    f_repo = _str(data['repo'])
    f_repo = rules.github_repo(f_repo)
    if 'name' in data:
        f_name = _optional_str(data['name'])
    else:
        f_name = None
    if 'configurations' in data:
        f_configurations = _list_str(data['configurations'])
    else:
        f_configurations = []
    if 'tagPattern' in data:
        f_tag_pattern = _optional_str(data['tagPattern'])
        f_tag_pattern = rules.python_pattern(f_tag_pattern)
    else:
        f_tag_pattern = None
    result = ReleaseProjectSpec(f_repo, f_name, f_configurations, f_tag_pattern)
    return result


def _list_ReleaseProjectSpec(value: object) -> list[ReleaseProjectSpec]:
    return [_ReleaseProjectSpec(item) for item in _list(value)]


_KEYS_ReleaseParamsSpec = frozenset(('project', 'version', 'configuration'))


def _ReleaseParamsSpec(value: object) -> ReleaseParamsSpec:
    data = _fields(value, _KEYS_ReleaseParamsSpec)
    if 'project' not in data:
        raise Doubt
    f_project = _str(data['project'])
    if 'version' not in data:
        raise Doubt
    f_version = _str(data['version'])
    if 'configuration' in data:
        f_configuration = _optional_str(data['configuration'])
    else:
        f_configuration = None
    result = ReleaseParamsSpec(f_project, f_version, f_configuration)
    return result


def _optional_SecretKeyRef(value: object) -> SecretKeyRef | None:
    return None if value is None else _SecretKeyRef(value)


_KEYS_ReleasesSpec = frozenset(('projects', 'params', 'values', 'cron', 'timeZone', 'apiUrl', 'tokenSecretRef', 'startingDeadline'))


def _ReleasesSpec(value: object) -> ReleasesSpec:
    data = _fields(value, _KEYS_ReleasesSpec)
    if 'projects' not in data:
        raise Doubt
    f_projects = _list_ReleaseProjectSpec(data['projects'])
    if len(f_projects) < 1:
        raise Doubt
    if 'params' not in data:
        raise Doubt
    f_params = _ReleaseParamsSpec(data['params'])
    if 'values' in data:
        f_values = _dict_str_str_or_bool(data['values'])
    else:
        f_values = {}
    if 'cron' in data:
        f_cron = _str(data['cron'])
        f_cron = rules.cron(f_cron)
    else:
        f_cron = '0 * * * *'
    if 'timeZone' in data:
        f_time_zone = _str(data['timeZone'])
        f_time_zone = rules.time_zone(f_time_zone)
    else:
        f_time_zone = 'Etc/UTC'
    if 'apiUrl' in data:
        f_api_url = _str(data['apiUrl'])
        f_api_url = rules.http_url(f_api_url)
    else:
        f_api_url = 'https://api.github.com'
    if 'tokenSecretRef' in data:
        f_token_secret_ref = _optional_SecretKeyRef(data['tokenSecretRef'])
    else:
        f_token_secret_ref = None
    if 'startingDeadline' in data:
        f_starting_deadline = _str(data['startingDeadline'])
        f_starting_deadline = rules.duration(f_starting_deadline)
    else:
        f_starting_deadline = '30m'
    result = ReleasesSpec(f_projects, f_params, f_values, f_cron, f_time_zone, f_api_url, f_token_secret_ref, f_starting_deadline)
    return result


def _optional_ReleasesSpec(value: object) -> ReleasesSpec | None:
    return None if value is None else _ReleasesSpec(value)


_KEYS_TriggersSpec = frozenset(('webhook', 'cloudEvents', 'schedule', 'releases'))


def _TriggersSpec(value: object) -> TriggersSpec:
    data = _fields(value, _KEYS_TriggersSpec)
    if 'webhook' not in data:
        raise Doubt
    f_webhook = _WebhookSpec(data['webhook'])
    if 'cloudEvents' in data:
        f_cloud_events = _optional_CloudEventsSpec(data['cloudEvents'])
    else:
        f_cloud_events = None
    if 'schedule' in data:
        f_schedule = _optional_list_ScheduleSpec(data['schedule'])
        if f_schedule is not None and len(f_schedule) < 1:
            raise Doubt
    else:
        f_schedule = None
    if 'releases' in data:
        f_releases = _optional_ReleasesSpec(data['releases'])
    else:
        f_releases = None
    result = TriggersSpec(f_webhook, f_cloud_events, f_schedule, f_releases)
    return result


def _literal_10(value: object) -> Literal['COMPLETED', 'COMPLETED_WITH_ERRORS', 'COMPLETED_EMPTY', 'FAILED', 'CANCELLED']:
    if type(value) is not str:
        raise Doubt
    if value == 'COMPLETED':
        return 'COMPLETED'
    if value == 'COMPLETED_WITH_ERRORS':
        return 'COMPLETED_WITH_ERRORS'
    if value == 'COMPLETED_EMPTY':
        return 'COMPLETED_EMPTY'
    if value == 'FAILED':
        return 'FAILED'
    if value == 'CANCELLED':
        return 'CANCELLED'
    raise Doubt


def _list_literal_10(value: object) -> list[Literal['COMPLETED', 'COMPLETED_WITH_ERRORS', 'COMPLETED_EMPTY', 'FAILED', 'CANCELLED']]:
    return [_literal_10(item) for item in _list(value)]


def _literal_11(value: object) -> Literal['fail', 'wait']:
    if type(value) is not str:
        raise Doubt
    if value == 'fail':
        return 'fail'
    if value == 'wait':
        return 'wait'
    raise Doubt


_KEYS_PollSpec = frozenset(('interval', 'maxInterval', 'timeout', 'failOn', 'onUnknownStatus'))


def _PollSpec(value: object) -> PollSpec:
    data = _fields(value, _KEYS_PollSpec)
    if 'interval' in data:
        f_interval = _str(data['interval'])
        f_interval = rules.duration(f_interval)
    else:
        f_interval = '10s'
    if 'maxInterval' in data:
        f_max_interval = _str(data['maxInterval'])
        f_max_interval = rules.duration(f_max_interval)
    else:
        f_max_interval = '5m'
    if 'timeout' in data:
        f_timeout = _str(data['timeout'])
        f_timeout = rules.duration(f_timeout)
    else:
        f_timeout = '8h'
    if 'failOn' in data:
        f_fail_on = _list_literal_10(data['failOn'])
    else:
        f_fail_on = ['FAILED', 'CANCELLED']
    if 'onUnknownStatus' in data:
        f_on_unknown_status = _literal_11(data['onUnknownStatus'])
    else:
        f_on_unknown_status = 'fail'
    result = PollSpec(f_interval, f_max_interval, f_timeout, f_fail_on, f_on_unknown_status)
    result = rules.poll_ordered(result)
    return result


_KEYS_ResourcesSpec = frozenset(('cpuRequest', 'memoryRequest', 'memoryLimit'))


def _ResourcesSpec(value: object) -> ResourcesSpec:
    data = _fields(value, _KEYS_ResourcesSpec)
    if 'cpuRequest' in data:
        f_cpu_request = _str(data['cpuRequest'])
        f_cpu_request = rules.quantity(f_cpu_request)
    else:
        f_cpu_request = '10m'
    if 'memoryRequest' in data:
        f_memory_request = _str(data['memoryRequest'])
        f_memory_request = rules.memory_quantity(f_memory_request)
    else:
        f_memory_request = '64Mi'
    if 'memoryLimit' in data:
        f_memory_limit = _str(data['memoryLimit'])
        f_memory_limit = rules.memory_limit(f_memory_limit)
    else:
        f_memory_limit = '128Mi'
    result = ResourcesSpec(f_cpu_request, f_memory_request, f_memory_limit)
    return result


_KEYS_ConcurrencySpec = frozenset(('limit', 'key'))


def _ConcurrencySpec(value: object) -> ConcurrencySpec:
    data = _fields(value, _KEYS_ConcurrencySpec)
    if 'limit' not in data:
        raise Doubt
    f_limit = _int(data['limit'])
    if f_limit < 1:
        raise Doubt
    if f_limit > 1000:
        raise Doubt
    if 'key' in data:
        f_key = _optional_str(data['key'])
    else:
        f_key = None
    result = ConcurrencySpec(f_limit, f_key)
    return result


def _optional_ConcurrencySpec(value: object) -> ConcurrencySpec | None:
    return None if value is None else _ConcurrencySpec(value)


_KEYS_CleanupTargetSpec = frozenset(('apiVersion', 'kind', 'plural', 'namespace', 'namespaceFromParam', 'labels', 'labelsFromParams'))


def _CleanupTargetSpec(value: object) -> CleanupTargetSpec:
    data = _fields(value, _KEYS_CleanupTargetSpec)
    if 'apiVersion' not in data:
        raise Doubt
    f_api_version = _str(data['apiVersion'])
    f_api_version = rules.api_version(f_api_version)
    if 'kind' not in data:
        raise Doubt
    f_kind = _str(data['kind'])
    f_kind = rules.object_kind(f_kind)
    if 'plural' in data:
        f_plural = _optional_str(data['plural'])
        f_plural = rules.resource_plural(f_plural)
    else:
        f_plural = None
    if 'namespace' in data:
        f_namespace = _optional_str(data['namespace'])
        f_namespace = rules.dns1123_label(f_namespace)
    else:
        f_namespace = None
    if 'namespaceFromParam' in data:
        f_namespace_from_param = _optional_str(data['namespaceFromParam'])
    else:
        f_namespace_from_param = None
    if 'labels' in data:
        f_labels = _dict_str_str(data['labels'])
        f_labels = rules.label_selector(f_labels)
    else:
        f_labels = {}
    if 'labelsFromParams' in data:
        f_labels_from_params = _dict_str_str(data['labelsFromParams'])
        f_labels_from_params = rules.label_keys(f_labels_from_params)
    else:
        f_labels_from_params = {}
    result = CleanupTargetSpec(f_api_version, f_kind, f_plural, f_namespace, f_namespace_from_param, f_labels, f_labels_from_params)
    result = rules.cleanup_selects(result)
    return result


def _list_CleanupTargetSpec(value: object) -> list[CleanupTargetSpec]:
    return [_CleanupTargetSpec(item) for item in _list(value)]


_KEYS_CleanupSpec = frozenset(('delete', 'timeout'))


def _CleanupSpec(value: object) -> CleanupSpec:
    data = _fields(value, _KEYS_CleanupSpec)
    if 'delete' not in data:
        raise Doubt
    f_delete = _list_CleanupTargetSpec(data['delete'])
    if len(f_delete) < 1:
        raise Doubt
    if 'timeout' in data:
        f_timeout = _str(data['timeout'])
        f_timeout = rules.duration(f_timeout)
    else:
        f_timeout = '5m'
    result = CleanupSpec(f_delete, f_timeout)
    return result


def _optional_CleanupSpec(value: object) -> CleanupSpec | None:
    return None if value is None else _CleanupSpec(value)


def _literal_12(value: object) -> Literal['report', 'fail']:
    if type(value) is not str:
        raise Doubt
    if value == 'report':
        return 'report'
    if value == 'fail':
        return 'fail'
    raise Doubt


_KEYS_NotifySpec = frozenset(('urlSecretRef', 'onFailure', 'timeout'))


def _NotifySpec(value: object) -> NotifySpec:
    data = _fields(value, _KEYS_NotifySpec)
    if 'urlSecretRef' not in data:
        raise Doubt
    f_url_secret_ref = _SecretKeyRef(data['urlSecretRef'])
    if 'onFailure' in data:
        f_on_failure = _literal_12(data['onFailure'])
    else:
        f_on_failure = 'report'
    if 'timeout' in data:
        f_timeout = _str(data['timeout'])
        f_timeout = rules.duration(f_timeout)
    else:
        f_timeout = '1m'
    result = NotifySpec(f_url_secret_ref, f_on_failure, f_timeout)
    return result


def _optional_NotifySpec(value: object) -> NotifySpec | None:
    return None if value is None else _NotifySpec(value)


_KEYS_FinallySpec = frozenset(('cleanup', 'notify'))


def _FinallySpec(value: object) -> FinallySpec:
    data = _fields(value, _KEYS_FinallySpec)
    if 'cleanup' in data:
        f_cleanup = _optional_CleanupSpec(data['cleanup'])
    else:
        f_cleanup = None
    if 'notify' in data:
        f_notify = _optional_NotifySpec(data['notify'])
    else:
        f_notify = None
    result = FinallySpec(f_cleanup, f_notify)
    return result


def _optional_FinallySpec(value: object) -> FinallySpec | None:
    return None if value is None else _FinallySpec(value)


_KEYS_PipelineSpec = frozenset(('image', 'timeout', 'finallyTimeout', 'serviceAccountName', 'resources', 'concurrency', 'finally'))


def _PipelineSpec(value: object) -> PipelineSpec:
    data = _fields(value, _KEYS_PipelineSpec)
    if 'image' not in data:
        raise Doubt
    f_image = _str(data['image'])
    f_image = rules.pinned_image(f_image)
    if 'timeout' in data:
        f_timeout = _str(data['timeout'])
        f_timeout = rules.duration(f_timeout)
    else:
        f_timeout = '8h30m'
    if 'finallyTimeout' in data:
        f_finally_timeout = _str(data['finallyTimeout'])
        f_finally_timeout = rules.duration(f_finally_timeout)
    else:
        f_finally_timeout = '10m'
    if 'serviceAccountName' in data:
        f_service_account_name = _optional_str(data['serviceAccountName'])
        f_service_account_name = rules.dns1123_subdomain(f_service_account_name)
    else:
        f_service_account_name = None
    if 'resources' in data:
        f_resources = _ResourcesSpec(data['resources'])
    else:
        f_resources = _ResourcesSpec({})
    if 'concurrency' in data:
        f_concurrency = _optional_ConcurrencySpec(data['concurrency'])
    else:
        f_concurrency = None
    if 'finally' in data:
        f_finally_ = _optional_FinallySpec(data['finally'])
    else:
        f_finally_ = None
    result = PipelineSpec(f_image, f_timeout, f_finally_timeout, f_service_account_name, f_resources, f_concurrency, f_finally_)
    return result


_KEYS_NamesSpec = frozenset(('listener', 'configMap', 'pipeline', 'binding', 'template', 'runPrefix'))


def _NamesSpec(value: object) -> NamesSpec:
    data = _fields(value, _KEYS_NamesSpec)
    if 'listener' in data:
        f_listener = _optional_str(data['listener'])
    else:
        f_listener = None
    if 'configMap' in data:
        f_config_map = _optional_str(data['configMap'])
    else:
        f_config_map = None
    if 'pipeline' in data:
        f_pipeline = _optional_str(data['pipeline'])
    else:
        f_pipeline = None
    if 'binding' in data:
        f_binding = _optional_str(data['binding'])
    else:
        f_binding = None
    if 'template' in data:
        f_template = _optional_str(data['template'])
    else:
        f_template = None
    if 'runPrefix' in data:
        f_run_prefix = _optional_str(data['runPrefix'])
        f_run_prefix = rules.run_prefix(f_run_prefix)
    else:
        f_run_prefix = None
    result = NamesSpec(f_listener, f_config_map, f_pipeline, f_binding, f_template, f_run_prefix)
    return result


_KEYS_ObserverSpec = frozenset(('sink', 'namespaces', 'tektonNamespace', 'logTailBytes'))


def _ObserverSpec(value: object) -> ObserverSpec:
    data = _fields(value, _KEYS_ObserverSpec)
    if 'sink' not in data:
        raise Doubt
    f_sink = _str(data['sink'])
    f_sink = rules.observer_sink(f_sink)
    if 'namespaces' in data:
        f_namespaces = _optional_list_str(data['namespaces'])
        if f_namespaces is not None and len(f_namespaces) < 1:
            raise Doubt
        f_namespaces = rules.namespaces(f_namespaces)
    else:
        f_namespaces = None
    if 'tektonNamespace' in data:
        f_tekton_namespace = _str(data['tektonNamespace'])
        f_tekton_namespace = rules.dns1123_label(f_tekton_namespace)
    else:
        f_tekton_namespace = 'tekton-pipelines'
    if 'logTailBytes' in data:
        f_log_tail_bytes = _int(data['logTailBytes'])
        if f_log_tail_bytes < 0:
            raise Doubt
        if f_log_tail_bytes > 65536:
            raise Doubt
    else:
        f_log_tail_bytes = 4096
    result = ObserverSpec(f_sink, f_namespaces, f_tekton_namespace, f_log_tail_bytes)
    return result


def _optional_ObserverSpec(value: object) -> ObserverSpec | None:
    return None if value is None else _ObserverSpec(value)


def _literal_13(value: object) -> Literal['bearer', 'basic']:
    if type(value) is not str:
        raise Doubt
    if value == 'bearer':
        return 'bearer'
    if value == 'basic':
        return 'basic'
    raise Doubt


_KEYS_StatusAuthSpec = frozenset(('type', 'secretRef'))


def _StatusAuthSpec(value: object) -> StatusAuthSpec:
    data = _fields(value, _KEYS_StatusAuthSpec)
    if 'type' not in data:
        raise Doubt
    f_type = _literal_13(data['type'])
    if 'secretRef' not in data:
        raise Doubt
    f_secret_ref = _SecretKeyRef(data['secretRef'])
    result = StatusAuthSpec(f_type, f_secret_ref)
    return result


_KEYS_StatusNetworkPolicySpec = frozenset(('fromNamespaces',))


def _StatusNetworkPolicySpec(value: object) -> StatusNetworkPolicySpec:
    data = _fields(value, _KEYS_StatusNetworkPolicySpec)
    if 'fromNamespaces' not in data:
        raise Doubt
    f_from_namespaces = _list_str(data['fromNamespaces'])
    if len(f_from_namespaces) < 1:
        raise Doubt
    f_from_namespaces = rules.namespaces(f_from_namespaces)
    result = StatusNetworkPolicySpec(f_from_namespaces)
    return result


def _optional_StatusNetworkPolicySpec(value: object) -> StatusNetworkPolicySpec | None:
    return None if value is None else _StatusNetworkPolicySpec(value)


_KEYS_StatusApiSpec = frozenset(('auth', 'replicas', 'networkPolicy'))


def _StatusApiSpec(value: object) -> StatusApiSpec:
    data = _fields(value, _KEYS_StatusApiSpec)
    if 'auth' not in data:
        raise Doubt
    f_auth = _StatusAuthSpec(data['auth'])
    if 'replicas' in data:
        f_replicas = _int(data['replicas'])
        if f_replicas < 1:
            raise Doubt
        if f_replicas > 10:
            raise Doubt
    else:
        f_replicas = 1
    if 'networkPolicy' in data:
        f_network_policy = _optional_StatusNetworkPolicySpec(data['networkPolicy'])
    else:
        f_network_policy = None
    result = StatusApiSpec(f_auth, f_replicas, f_network_policy)
    return result


def _optional_StatusApiSpec(value: object) -> StatusApiSpec | None:
    return None if value is None else _StatusApiSpec(value)


_KEYS_ObserveSpec = frozenset(('observer', 'statusApi', 'resources'))


def _ObserveSpec(value: object) -> ObserveSpec:
    data = _fields(value, _KEYS_ObserveSpec)
    if 'observer' in data:
        f_observer = _optional_ObserverSpec(data['observer'])
    else:
        f_observer = None
    if 'statusApi' in data:
        f_status_api = _optional_StatusApiSpec(data['statusApi'])
    else:
        f_status_api = None
    if 'resources' in data:
        f_resources = _ResourcesSpec(data['resources'])
    else:
        f_resources = ResourcesSpec('20m', '96Mi', '256Mi')
    result = ObserveSpec(f_observer, f_status_api, f_resources)
    return result


def _optional_ObserveSpec(value: object) -> ObserveSpec | None:
    return None if value is None else _ObserveSpec(value)


_KEYS_BenchmarkSpec = frozenset(('orchestrator', 'params', 'triggers', 'poll', 'pipeline', 'names', 'observe', 'labels'))


def _BenchmarkSpec(value: object) -> BenchmarkSpec:
    data = _fields(value, _KEYS_BenchmarkSpec)
    if 'orchestrator' not in data:
        raise Doubt
    f_orchestrator = _OrchestratorSpec(data['orchestrator'])
    if 'params' not in data:
        raise Doubt
    f_params = _list_ParamSpec(data['params'])
    if len(f_params) < 1:
        raise Doubt
    if 'triggers' not in data:
        raise Doubt
    f_triggers = _TriggersSpec(data['triggers'])
    if 'poll' in data:
        f_poll = _PollSpec(data['poll'])
    else:
        f_poll = _PollSpec({})
    if 'pipeline' not in data:
        raise Doubt
    f_pipeline = _PipelineSpec(data['pipeline'])
    if 'names' in data:
        f_names = _NamesSpec(data['names'])
    else:
        f_names = _NamesSpec({})
    if 'observe' in data:
        f_observe = _optional_ObserveSpec(data['observe'])
    else:
        f_observe = None
    if 'labels' in data:
        f_labels = _dict_str_str(data['labels'])
    else:
        f_labels = {}
    result = BenchmarkSpec(f_orchestrator, f_params, f_triggers, f_poll, f_pipeline, f_names, f_observe, f_labels)
    return result


_KEYS_Benchmark = frozenset(('apiVersion', 'kind', 'metadata', 'spec'))


def _Benchmark(value: object) -> Benchmark:
    data = _fields(value, _KEYS_Benchmark)
    if 'apiVersion' not in data:
        raise Doubt
    f_api_version = _literal_1(data['apiVersion'])
    if 'kind' not in data:
        raise Doubt
    f_kind = _literal_2(data['kind'])
    if 'metadata' not in data:
        raise Doubt
    f_metadata = _ObjectMeta(data['metadata'])
    if 'spec' not in data:
        raise Doubt
    f_spec = _BenchmarkSpec(data['spec'])
    result = Benchmark(f_api_version, f_kind, f_metadata, f_spec)
    return result


def validate(document: object) -> Benchmark:
    """The config as twins of the models; raises Doubt unless surely valid."""
    return _Benchmark(document)
