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
    from typing import Literal, NoReturn


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


def _missing() -> NoReturn:  # a required key
    raise Doubt


class ObjectMeta:
    """Twin of models.ObjectMeta."""

    def __init__(self, name: str, namespace: str, labels: dict[str, str], annotations: dict[str, str]) -> None:
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations


class SecretKeyRef:
    """Twin of models.SecretKeyRef."""

    def __init__(self, name: str, key: str) -> None:
        self.name = name
        self.key = key


class OrchestratorApiSpec:
    """Twin of models.OrchestratorApiSpec."""

    def __init__(self, submit_method: Literal['POST', 'PUT'] | None, submit_path: str | None, id_field: str | None, status_path: str | None, status_field: str | None, status_map: dict[str, str] | None, total_field: str | None, completed_field: str | None, failed_field: str | None, key_field: str | None, list_path: str | None, list_query: str | None, first_page: int | None, page_size: int | None, key_lookup_path: str | None, auth_header: str | None) -> None:
        self.submit_method = submit_method
        self.submit_path = submit_path
        self.id_field = id_field
        self.status_path = status_path
        self.status_field = status_field
        self.status_map = status_map
        self.total_field = total_field
        self.completed_field = completed_field
        self.failed_field = failed_field
        self.key_field = key_field
        self.list_path = list_path
        self.list_query = list_query
        self.first_page = first_page
        self.page_size = page_size
        self.key_lookup_path = key_lookup_path
        self.auth_header = auth_header


class RequestFieldSpec:
    """Twin of models.RequestFieldSpec."""

    def __init__(self, field: str, param: str, image_repository: str | None, required: bool | None) -> None:
        self.field = field
        self.param = param
        self.image_repository = image_repository
        self.required = required


class OrchestratorSpec:
    """Twin of models.OrchestratorSpec."""

    def __init__(self, profile: Literal['sast-ai', 'gitlab'], ref: str | None, token_secret_ref: SecretKeyRef | None, api: OrchestratorApiSpec | None, url: str, batch_endpoint: str, submit_timeout: str, request: list[RequestFieldSpec]) -> None:
        self.profile = profile
        self.ref = ref
        self.token_secret_ref = token_secret_ref
        self.api = api
        self.url = url
        self.batch_endpoint = batch_endpoint
        self.submit_timeout = submit_timeout
        self.request = request


class ParamSpec(rules.ParamMixin):
    """Twin of models.ParamSpec."""

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


class GitHubAuth:
    """Twin of models.GitHubAuth."""

    def __init__(self, type: Literal['github'], secret_ref: SecretKeyRef, event_types: list[str] | None) -> None:
        self.type = type
        self.secret_ref = secret_ref
        self.event_types = event_types


class GitLabAuth:
    """Twin of models.GitLabAuth."""

    def __init__(self, type: Literal['gitlab'], secret_ref: SecretKeyRef, event_types: list[str] | None) -> None:
        self.type = type
        self.secret_ref = secret_ref
        self.event_types = event_types


class TokenAuth:
    """Twin of models.TokenAuth."""

    def __init__(self, type: Literal['token'], secret_ref: SecretKeyRef, header: str) -> None:
        self.type = type
        self.secret_ref = secret_ref
        self.header = header


class NoAuth:
    """Twin of models.NoAuth."""

    def __init__(self, type: Literal['none']) -> None:
        self.type = type


class WebhookProbeSpec:
    """Twin of models.WebhookProbeSpec."""

    def __init__(self, header: str, values: list[str]) -> None:
        self.header = header
        self.values = values


class RecordRefusalsSpec:
    """Twin of models.RecordRefusalsSpec."""

    def __init__(self, enabled: bool, max_records: int) -> None:
        self.enabled = enabled
        self.max_records = max_records


class WebhookSpec:
    """Twin of models.WebhookSpec."""

    def __init__(self, auth: GitHubAuth | GitLabAuth | TokenAuth | NoAuth, probe: WebhookProbeSpec | None, event_id_param: str | None, record_refusals: RecordRefusalsSpec) -> None:
        self.auth = auth
        self.probe = probe
        self.event_id_param = event_id_param
        self.record_refusals = record_refusals


class ChannelTemplateSpec:
    """Twin of models.ChannelTemplateSpec."""

    def __init__(self, api_version: str, kind: str) -> None:
        self.api_version = api_version
        self.kind = kind


class KReference:
    """Twin of models.KReference."""

    def __init__(self, api_version: str, kind: str, name: str, namespace: str | None) -> None:
        self.api_version = api_version
        self.kind = kind
        self.name = name
        self.namespace = namespace


class DeadLetterSinkSpec:
    """Twin of models.DeadLetterSinkSpec."""

    def __init__(self, uri: str | None, ref: KReference | None) -> None:
        self.uri = uri
        self.ref = ref


class DeliverySpec:
    """Twin of models.DeliverySpec."""

    def __init__(self, retry: int | None, backoff_policy: Literal['exponential', 'linear'] | None, backoff_delay: str | None, dead_letter_sink: DeadLetterSinkSpec | None) -> None:
        self.retry = retry
        self.backoff_policy = backoff_policy
        self.backoff_delay = backoff_delay
        self.dead_letter_sink = dead_letter_sink


class BrokerSpec:
    """Twin of models.BrokerSpec."""

    def __init__(self, name: str, create: bool, broker_class: str, channel_template: ChannelTemplateSpec | None, delivery: DeliverySpec | None) -> None:
        self.name = name
        self.create = create
        self.broker_class = broker_class
        self.channel_template = channel_template
        self.delivery = delivery


class AcceptedEventSpec(rules.AcceptedEventMixin):
    """Twin of models.AcceptedEventSpec."""

    def __init__(self, type: str | None, type_prefix: str | None, source: str | None, cesql: str | None, name: str | None, probe: bool) -> None:
        self.type = type
        self.type_prefix = type_prefix
        self.source = source
        self.cesql = cesql
        self.name = name
        self.probe = probe


class ListenerNetworkPolicySpec:
    """Twin of models.ListenerNetworkPolicySpec."""

    def __init__(self, enabled: bool, dispatcher_namespace: str) -> None:
        self.enabled = enabled
        self.dispatcher_namespace = dispatcher_namespace


class CloudEventsSpec:
    """Twin of models.CloudEventsSpec."""

    def __init__(self, broker: BrokerSpec, accept: list[AcceptedEventSpec], delivery: DeliverySpec | None, network_policy: ListenerNetworkPolicySpec) -> None:
        self.broker = broker
        self.accept = accept
        self.delivery = delivery
        self.network_policy = network_policy


class ScheduleSpec:
    """Twin of models.ScheduleSpec."""

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

    def __init__(self, repo: str, name: str | None, configurations: list[str], tag_pattern: str | None) -> None:
        self.repo = repo
        self.name = name
        self.configurations = configurations
        self.tag_pattern = tag_pattern


class ReleaseParamsSpec:
    """Twin of models.ReleaseParamsSpec."""

    def __init__(self, project: str, version: str, configuration: str | None) -> None:
        self.project = project
        self.version = version
        self.configuration = configuration


class ReleasesSpec:
    """Twin of models.ReleasesSpec."""

    def __init__(self, projects: list[ReleaseProjectSpec], params: ReleaseParamsSpec, values: dict[str, str | bool], cron: str, time_zone: str, api_url: str, token_secret_ref: SecretKeyRef | None, starting_deadline: str) -> None:
        self.projects = projects
        self.params = params
        self.values = values
        self.cron = cron
        self.time_zone = time_zone
        self.api_url = api_url
        self.token_secret_ref = token_secret_ref
        self.starting_deadline = starting_deadline


class SelectSpec:
    """Twin of models.SelectSpec."""

    def __init__(self, from_: str, cases: dict[str, str]) -> None:
        self.from_ = from_
        self.cases = cases


class TriggersSpec:
    """Twin of models.TriggersSpec."""

    def __init__(self, webhook: WebhookSpec, cloud_events: CloudEventsSpec | None, schedule: list[ScheduleSpec] | None, releases: ReleasesSpec | None, select: SelectSpec | None) -> None:
        self.webhook = webhook
        self.cloud_events = cloud_events
        self.schedule = schedule
        self.releases = releases
        self.select = select


class PollSpec:
    """Twin of models.PollSpec."""

    def __init__(self, mode: Literal['pod', 'controller'], interval: str, max_interval: str, timeout: str, fail_on: list[Literal['COMPLETED', 'COMPLETED_WITH_ERRORS', 'COMPLETED_EMPTY', 'FAILED', 'CANCELLED']], on_unknown_status: Literal['fail', 'wait']) -> None:
        self.mode = mode
        self.interval = interval
        self.max_interval = max_interval
        self.timeout = timeout
        self.fail_on = fail_on
        self.on_unknown_status = on_unknown_status


class ResourcesSpec:
    """Twin of models.ResourcesSpec."""

    def __init__(self, cpu_request: str, memory_request: str, memory_limit: str) -> None:
        self.cpu_request = cpu_request
        self.memory_request = memory_request
        self.memory_limit = memory_limit


class ConcurrencySpec:
    """Twin of models.ConcurrencySpec."""

    def __init__(self, limit: int, key: str | None, max_pending: int | None, supersede: bool) -> None:
        self.limit = limit
        self.key = key
        self.max_pending = max_pending
        self.supersede = supersede


class DeployConfigMapSpec:
    """Twin of models.DeployConfigMapSpec."""

    def __init__(self, name: str, key: str) -> None:
        self.name = name
        self.key = key


class DeployManifestSpec:
    """Twin of models.DeployManifestSpec."""

    def __init__(self, config_map: DeployConfigMapSpec) -> None:
        self.config_map = config_map


class DeploySetSpec:
    """Twin of models.DeploySetSpec."""

    def __init__(self, kind: str, path: str, param: str) -> None:
        self.kind = kind
        self.path = path
        self.param = param


class DeployTargetSpec(rules.CleanupTargetMixin):
    """Twin of models.DeployTargetSpec."""

    def __init__(self, api_version: str, kind: str, plural: str | None, namespace: str | None) -> None:
        self.api_version = api_version
        self.kind = kind
        self.plural = plural
        self.namespace = namespace


class DeployWaitSpec:
    """Twin of models.DeployWaitSpec."""

    def __init__(self, condition: str, timeout: str) -> None:
        self.condition = condition
        self.timeout = timeout


class DeploySpec:
    """Twin of models.DeploySpec."""

    def __init__(self, manifest: DeployManifestSpec, set_: list[DeploySetSpec], targets: list[DeployTargetSpec], wait: DeployWaitSpec) -> None:
        self.manifest = manifest
        self.set_ = set_
        self.targets = targets
        self.wait = wait


class CleanupTargetSpec(rules.CleanupTargetMixin):
    """Twin of models.CleanupTargetSpec."""

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

    def __init__(self, delete: list[CleanupTargetSpec], timeout: str) -> None:
        self.delete = delete
        self.timeout = timeout


class SmtpSpec:
    """Twin of models.SmtpSpec."""

    def __init__(self, host: str, port: int | None, security: Literal['starttls', 'tls', 'none']) -> None:
        self.host = host
        self.port = port
        self.security = security


class SmtpCredentialsRef:
    """Twin of models.SmtpCredentialsRef."""

    def __init__(self, name: str, username_key: str, password_key: str) -> None:
        self.name = name
        self.username_key = username_key
        self.password_key = password_key


class EmailSpec:
    """Twin of models.EmailSpec."""

    def __init__(self, smtp: SmtpSpec, from_: str, to: list[str], subject: str | None, template: str | None, credentials_secret_ref: SmtpCredentialsRef | None) -> None:
        self.smtp = smtp
        self.from_ = from_
        self.to = to
        self.subject = subject
        self.template = template
        self.credentials_secret_ref = credentials_secret_ref


class NotifySpec:
    """Twin of models.NotifySpec."""

    def __init__(self, url_secret_ref: SecretKeyRef | None, template: str | None, email: EmailSpec | None, on_failure: Literal['report', 'fail'], timeout: str) -> None:
        self.url_secret_ref = url_secret_ref
        self.template = template
        self.email = email
        self.on_failure = on_failure
        self.timeout = timeout


class TaskRefSpec:
    """Twin of models.TaskRefSpec."""

    def __init__(self, name: str | None, kind: Literal['Task'] | None, resolver: Literal['cluster', 'git', 'bundles', 'hub'] | None, params: dict[str, str]) -> None:
        self.name = name
        self.kind = kind
        self.resolver = resolver
        self.params = params


class TaskParamValueSpec:
    """Twin of models.TaskParamValueSpec."""

    def __init__(self, param: str | None, task: str | None, result: str | None, status: str | None, aggregate_status: bool) -> None:
        self.param = param
        self.task = task
        self.result = result
        self.status = status
        self.aggregate_status = aggregate_status


class WhenSpec:
    """Twin of models.WhenSpec."""

    def __init__(self, param: str, operator: Literal['in', 'notin'], values: list[str]) -> None:
        self.param = param
        self.operator = operator
        self.values = values


class TaskWorkspaceSpec:
    """Twin of models.TaskWorkspaceSpec."""

    def __init__(self, workspace: str, sub_path: str | None) -> None:
        self.workspace = workspace
        self.sub_path = sub_path


class UserTaskSpec:
    """Twin of models.UserTaskSpec."""

    def __init__(self, name: str, task_ref: TaskRefSpec, params: dict[str, TaskParamValueSpec], run_after: list[str], when: list[WhenSpec], timeout: str | None, retries: int | None, workspaces: dict[str, TaskWorkspaceSpec]) -> None:
        self.name = name
        self.task_ref = task_ref
        self.params = params
        self.run_after = run_after
        self.when = when
        self.timeout = timeout
        self.retries = retries
        self.workspaces = workspaces


class FinallySpec:
    """Twin of models.FinallySpec."""

    def __init__(self, cleanup: CleanupSpec | None, notify: NotifySpec | None, tasks: list[UserTaskSpec]) -> None:
        self.cleanup = cleanup
        self.notify = notify
        self.tasks = tasks


class PipelineVariantSpec:
    """Twin of models.PipelineVariantSpec."""

    def __init__(self, name: str, tasks: list[UserTaskSpec], params: dict[str, str | bool]) -> None:
        self.name = name
        self.tasks = tasks
        self.params = params


class VolumeClaimTemplateSpec:
    """Twin of models.VolumeClaimTemplateSpec."""

    def __init__(self, storage: str, access_modes: list[Literal['ReadWriteOnce', 'ReadWriteMany', 'ReadWriteOncePod']], storage_class_name: str | None) -> None:
        self.storage = storage
        self.access_modes = access_modes
        self.storage_class_name = storage_class_name


class EmptyDirSpec:
    """Twin of models.EmptyDirSpec."""

    def __init__(self, size_limit: str | None) -> None:
        self.size_limit = size_limit


class PipelineWorkspaceSpec:
    """Twin of models.PipelineWorkspaceSpec."""

    def __init__(self, name: str, description: str, volume_claim_template: VolumeClaimTemplateSpec | None, empty_dir: EmptyDirSpec | None, config_map: str | None, secret: str | None, persistent_volume_claim: str | None) -> None:
        self.name = name
        self.description = description
        self.volume_claim_template = volume_claim_template
        self.empty_dir = empty_dir
        self.config_map = config_map
        self.secret = secret
        self.persistent_volume_claim = persistent_volume_claim


class PipelineSpec:
    """Twin of models.PipelineSpec."""

    def __init__(self, image: str, timeout: str, finally_timeout: str, service_account_name: str | None, resources: ResourcesSpec, concurrency: ConcurrencySpec | None, deploy: DeploySpec | None, finally_: FinallySpec | None, tasks: list[UserTaskSpec], variants: list[PipelineVariantSpec], workspaces: list[PipelineWorkspaceSpec]) -> None:
        self.image = image
        self.timeout = timeout
        self.finally_timeout = finally_timeout
        self.service_account_name = service_account_name
        self.resources = resources
        self.concurrency = concurrency
        self.deploy = deploy
        self.finally_ = finally_
        self.tasks = tasks
        self.variants = variants
        self.workspaces = workspaces


class NamesSpec:
    """Twin of models.NamesSpec."""

    def __init__(self, listener: str | None, config_map: str | None, pipeline: str | None, binding: str | None, template: str | None, run_prefix: str | None) -> None:
        self.listener = listener
        self.config_map = config_map
        self.pipeline = pipeline
        self.binding = binding
        self.template = template
        self.run_prefix = run_prefix


class ObserverSpec:
    """Twin of models.ObserverSpec."""

    def __init__(self, sink: str, namespaces: list[str] | None, tekton_namespace: str, log_tail_bytes: int) -> None:
        self.sink = sink
        self.namespaces = namespaces
        self.tekton_namespace = tekton_namespace
        self.log_tail_bytes = log_tail_bytes


class CommitValueSpec:
    """Twin of models.CommitValueSpec."""

    def __init__(self, param: str | None, value: str | None) -> None:
        self.param = param
        self.value = value


class CommitStatusSpec:
    """Twin of models.CommitStatusSpec."""

    def __init__(self, provider: Literal['github', 'gitlab'], api_url: str | None, repository: CommitValueSpec, sha: CommitValueSpec, context: str | None, token_secret_ref: SecretKeyRef, status_url: str | None) -> None:
        self.provider = provider
        self.api_url = api_url
        self.repository = repository
        self.sha = sha
        self.context = context
        self.token_secret_ref = token_secret_ref
        self.status_url = status_url


class StatusAuthSpec:
    """Twin of models.StatusAuthSpec."""

    def __init__(self, type: Literal['bearer', 'basic'], secret_ref: SecretKeyRef) -> None:
        self.type = type
        self.secret_ref = secret_ref


class StatusNetworkPolicySpec:
    """Twin of models.StatusNetworkPolicySpec."""

    def __init__(self, from_namespaces: list[str]) -> None:
        self.from_namespaces = from_namespaces


class StatusApiSpec:
    """Twin of models.StatusApiSpec."""

    def __init__(self, auth: StatusAuthSpec, replicas: int, network_policy: StatusNetworkPolicySpec | None) -> None:
        self.auth = auth
        self.replicas = replicas
        self.network_policy = network_policy


class MetricsScrapeSpec:
    """Twin of models.MetricsScrapeSpec."""

    def __init__(self, namespaces: list[str], pod_labels: dict[str, str]) -> None:
        self.namespaces = namespaces
        self.pod_labels = pod_labels


class MetricsSpec:
    """Twin of models.MetricsSpec."""

    def __init__(self, service_monitor: bool, interval: str, labels: dict[str, str], scrape_from: MetricsScrapeSpec) -> None:
        self.service_monitor = service_monitor
        self.interval = interval
        self.labels = labels
        self.scrape_from = scrape_from


class ObserveSpec:
    """Twin of models.ObserveSpec."""

    def __init__(self, observer: ObserverSpec | None, commit_status: CommitStatusSpec | None, status_api: StatusApiSpec | None, metrics: MetricsSpec | None, resources: ResourcesSpec) -> None:
        self.observer = observer
        self.commit_status = commit_status
        self.status_api = status_api
        self.metrics = metrics
        self.resources = resources


class BenchmarkSpec:
    """Twin of models.BenchmarkSpec."""

    def __init__(self, orchestrator: OrchestratorSpec | None, params: list[ParamSpec], triggers: TriggersSpec, poll: PollSpec, pipeline: PipelineSpec, names: NamesSpec, observe: ObserveSpec | None, labels: dict[str, str]) -> None:
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

    def __init__(self, api_version: Literal['benchgen.dev/v1alpha1'], kind: Literal['Benchmark'], metadata: ObjectMeta, spec: BenchmarkSpec) -> None:
        self.api_version = api_version
        self.kind = kind
        self.metadata = metadata
        self.spec = spec


_KEYS_ObjectMeta = frozenset({'name', 'namespace', 'labels', 'annotations'})
_KEYS_SecretKeyRef = frozenset({'name', 'key'})
_KEYS_OrchestratorApiSpec = frozenset({'submitMethod', 'submitPath', 'idField', 'statusPath', 'statusField', 'statusMap', 'totalField', 'completedField', 'failedField', 'keyField', 'listPath', 'listQuery', 'firstPage', 'pageSize', 'keyLookupPath', 'authHeader'})
_KEYS_RequestFieldSpec = frozenset({'field', 'param', 'imageRepository', 'required'})
_KEYS_OrchestratorSpec = frozenset({'profile', 'ref', 'tokenSecretRef', 'api', 'url', 'batchEndpoint', 'submitTimeout', 'request'})
_KEYS_ParamSpec = frozenset({'name', 'from', 'type', 'required', 'default', 'description', 'pattern', 'enum', 'maxLength', 'label', 'annotation'})
_KEYS_GitHubAuth = frozenset({'type', 'secretRef', 'eventTypes'})
_KEYS_GitLabAuth = frozenset({'type', 'secretRef', 'eventTypes'})
_KEYS_TokenAuth = frozenset({'type', 'secretRef', 'header'})
_KEYS_NoAuth = frozenset({'type'})
_KEYS_WebhookProbeSpec = frozenset({'header', 'values'})
_KEYS_RecordRefusalsSpec = frozenset({'enabled', 'maxRecords'})
_KEYS_WebhookSpec = frozenset({'auth', 'probe', 'eventIdParam', 'recordRefusals'})
_KEYS_ChannelTemplateSpec = frozenset({'apiVersion', 'kind'})
_KEYS_KReference = frozenset({'apiVersion', 'kind', 'name', 'namespace'})
_KEYS_DeadLetterSinkSpec = frozenset({'uri', 'ref'})
_KEYS_DeliverySpec = frozenset({'retry', 'backoffPolicy', 'backoffDelay', 'deadLetterSink'})
_KEYS_BrokerSpec = frozenset({'name', 'create', 'class', 'channelTemplate', 'delivery'})
_KEYS_AcceptedEventSpec = frozenset({'type', 'typePrefix', 'source', 'cesql', 'name', 'probe'})
_KEYS_ListenerNetworkPolicySpec = frozenset({'enabled', 'dispatcherNamespace'})
_KEYS_CloudEventsSpec = frozenset({'broker', 'accept', 'delivery', 'networkPolicy'})
_KEYS_ScheduleSpec = frozenset({'name', 'cron', 'timeZone', 'via', 'values', 'startingDeadline', 'suspend'})
_KEYS_ReleaseProjectSpec = frozenset({'repo', 'name', 'configurations', 'tagPattern'})
_KEYS_ReleaseParamsSpec = frozenset({'project', 'version', 'configuration'})
_KEYS_ReleasesSpec = frozenset({'projects', 'params', 'values', 'cron', 'timeZone', 'apiUrl', 'tokenSecretRef', 'startingDeadline'})
_KEYS_SelectSpec = frozenset({'from', 'cases'})
_KEYS_TriggersSpec = frozenset({'webhook', 'cloudEvents', 'schedule', 'releases', 'select'})
_KEYS_PollSpec = frozenset({'mode', 'interval', 'maxInterval', 'timeout', 'failOn', 'onUnknownStatus'})
_KEYS_ResourcesSpec = frozenset({'cpuRequest', 'memoryRequest', 'memoryLimit'})
_KEYS_ConcurrencySpec = frozenset({'limit', 'key', 'maxPending', 'supersede'})
_KEYS_DeployConfigMapSpec = frozenset({'name', 'key'})
_KEYS_DeployManifestSpec = frozenset({'configMap'})
_KEYS_DeploySetSpec = frozenset({'kind', 'path', 'param'})
_KEYS_DeployTargetSpec = frozenset({'apiVersion', 'kind', 'plural', 'namespace'})
_KEYS_DeployWaitSpec = frozenset({'condition', 'timeout'})
_KEYS_DeploySpec = frozenset({'manifest', 'set', 'targets', 'wait'})
_KEYS_CleanupTargetSpec = frozenset({'apiVersion', 'kind', 'plural', 'namespace', 'namespaceFromParam', 'labels', 'labelsFromParams'})
_KEYS_CleanupSpec = frozenset({'delete', 'timeout'})
_KEYS_SmtpSpec = frozenset({'host', 'port', 'security'})
_KEYS_SmtpCredentialsRef = frozenset({'name', 'usernameKey', 'passwordKey'})
_KEYS_EmailSpec = frozenset({'smtp', 'from', 'to', 'subject', 'template', 'credentialsSecretRef'})
_KEYS_NotifySpec = frozenset({'urlSecretRef', 'template', 'email', 'onFailure', 'timeout'})
_KEYS_TaskRefSpec = frozenset({'name', 'kind', 'resolver', 'params'})
_KEYS_TaskParamValueSpec = frozenset({'param', 'task', 'result', 'status', 'aggregateStatus'})
_KEYS_WhenSpec = frozenset({'param', 'operator', 'values'})
_KEYS_TaskWorkspaceSpec = frozenset({'workspace', 'subPath'})
_KEYS_UserTaskSpec = frozenset({'name', 'taskRef', 'params', 'runAfter', 'when', 'timeout', 'retries', 'workspaces'})
_KEYS_FinallySpec = frozenset({'cleanup', 'notify', 'tasks'})
_KEYS_PipelineVariantSpec = frozenset({'name', 'tasks', 'params'})
_KEYS_VolumeClaimTemplateSpec = frozenset({'storage', 'accessModes', 'storageClassName'})
_KEYS_EmptyDirSpec = frozenset({'sizeLimit'})
_KEYS_PipelineWorkspaceSpec = frozenset({'name', 'description', 'volumeClaimTemplate', 'emptyDir', 'configMap', 'secret', 'persistentVolumeClaim'})
_KEYS_PipelineSpec = frozenset({'image', 'timeout', 'finallyTimeout', 'serviceAccountName', 'resources', 'concurrency', 'deploy', 'finally', 'tasks', 'variants', 'workspaces'})
_KEYS_NamesSpec = frozenset({'listener', 'configMap', 'pipeline', 'binding', 'template', 'runPrefix'})
_KEYS_ObserverSpec = frozenset({'sink', 'namespaces', 'tektonNamespace', 'logTailBytes'})
_KEYS_CommitValueSpec = frozenset({'param', 'value'})
_KEYS_CommitStatusSpec = frozenset({'provider', 'apiUrl', 'repository', 'sha', 'context', 'tokenSecretRef', 'statusUrl'})
_KEYS_StatusAuthSpec = frozenset({'type', 'secretRef'})
_KEYS_StatusNetworkPolicySpec = frozenset({'fromNamespaces'})
_KEYS_StatusApiSpec = frozenset({'auth', 'replicas', 'networkPolicy'})
_KEYS_MetricsScrapeSpec = frozenset({'namespaces', 'podLabels'})
_KEYS_MetricsSpec = frozenset({'serviceMonitor', 'interval', 'labels', 'scrapeFrom'})
_KEYS_ObserveSpec = frozenset({'observer', 'commitStatus', 'statusApi', 'metrics', 'resources'})
_KEYS_BenchmarkSpec = frozenset({'orchestrator', 'params', 'triggers', 'poll', 'pipeline', 'names', 'observe', 'labels'})
_KEYS_Benchmark = frozenset({'apiVersion', 'kind', 'metadata', 'spec'})


def _literal_1(value: object) -> Literal['benchgen.dev/v1alpha1']:
    if type(value) is str and value == 'benchgen.dev/v1alpha1':
        return 'benchgen.dev/v1alpha1'
    raise Doubt


def _literal_2(value: object) -> Literal['Benchmark']:
    if type(value) is str and value == 'Benchmark':
        return 'Benchmark'
    raise Doubt


def _dict_str_str(value: object) -> dict[str, str]:
    return {_str(k): _str(v) for k, v in _dict(value).items()}


def _ObjectMeta(value: object) -> ObjectMeta:
    data = _fields(value, _KEYS_ObjectMeta)
    f_name = rules.dns1123_label(_str(data['name'])) if 'name' in data else _missing()
    f_namespace = rules.dns1123_label(_str(data['namespace'])) if 'namespace' in data else ''
    f_labels: dict[str, str] = _dict_str_str(data['labels']) if 'labels' in data else {}
    f_annotations: dict[str, str] = _dict_str_str(data['annotations']) if 'annotations' in data else {}
    return ObjectMeta(f_name, f_namespace, f_labels, f_annotations)


def _literal_3(value: object) -> Literal['sast-ai', 'gitlab']:
    if type(value) is str and value in ('sast-ai', 'gitlab'):
        return value  # type: ignore[return-value]
    raise Doubt


def _optional_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _SecretKeyRef(value: object) -> SecretKeyRef:
    data = _fields(value, _KEYS_SecretKeyRef)
    f_name = rules.dns1123_subdomain(_str(data['name'])) if 'name' in data else _missing()
    f_key = rules.secret_key(_str(data['key'])) if 'key' in data else 'token'
    return SecretKeyRef(f_name, f_key)


def _optional_SecretKeyRef(value: object) -> SecretKeyRef | None:
    return None if value is None else _SecretKeyRef(value)


def _literal_4(value: object) -> Literal['POST', 'PUT']:
    if type(value) is str and value in ('POST', 'PUT'):
        return value  # type: ignore[return-value]
    raise Doubt


def _optional_literal_4(value: object) -> Literal['POST', 'PUT'] | None:
    return None if value is None else _literal_4(value)


def _optional_dict_str_str(value: object) -> dict[str, str] | None:
    return None if value is None else _dict_str_str(value)


def _optional_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _OrchestratorApiSpec(value: object) -> OrchestratorApiSpec:
    data = _fields(value, _KEYS_OrchestratorApiSpec)
    f_submit_method = _optional_literal_4(data['submitMethod']) if 'submitMethod' in data else None
    f_submit_path = _optional_str(data['submitPath']) if 'submitPath' in data else None
    f_id_field = _optional_str(data['idField']) if 'idField' in data else None
    f_status_path = _optional_str(data['statusPath']) if 'statusPath' in data else None
    f_status_field = _optional_str(data['statusField']) if 'statusField' in data else None
    f_status_map = _optional_dict_str_str(data['statusMap']) if 'statusMap' in data else None
    f_total_field = _optional_str(data['totalField']) if 'totalField' in data else None
    f_completed_field = _optional_str(data['completedField']) if 'completedField' in data else None
    f_failed_field = _optional_str(data['failedField']) if 'failedField' in data else None
    f_key_field = _optional_str(data['keyField']) if 'keyField' in data else None
    f_list_path = _optional_str(data['listPath']) if 'listPath' in data else None
    f_list_query = _optional_str(data['listQuery']) if 'listQuery' in data else None
    if 'firstPage' in data:
        f_first_page = _optional_int(data['firstPage'])
        if f_first_page is not None and (f_first_page < 0 or f_first_page > 1):
            raise Doubt
    else:
        f_first_page = None
    if 'pageSize' in data:
        f_page_size = _optional_int(data['pageSize'])
        if f_page_size is not None and (f_page_size < 1 or f_page_size > 10000):
            raise Doubt
    else:
        f_page_size = None
    f_key_lookup_path = _optional_str(data['keyLookupPath']) if 'keyLookupPath' in data else None
    f_auth_header = _optional_str(data['authHeader']) if 'authHeader' in data else None
    return OrchestratorApiSpec(f_submit_method, f_submit_path, f_id_field, f_status_path, f_status_field, f_status_map, f_total_field, f_completed_field, f_failed_field, f_key_field, f_list_path, f_list_query, f_first_page, f_page_size, f_key_lookup_path, f_auth_header)


def _optional_OrchestratorApiSpec(value: object) -> OrchestratorApiSpec | None:
    return None if value is None else _OrchestratorApiSpec(value)


def _optional_bool(value: object) -> bool | None:
    return None if value is None else _bool(value)


def _RequestFieldSpec(value: object) -> RequestFieldSpec:
    data = _fields(value, _KEYS_RequestFieldSpec)
    f_field = rules.json_path(_str(data['field'])) if 'field' in data else _missing()
    f_param = _str(data['param']) if 'param' in data else _missing()
    f_image_repository = rules.image_repository(_optional_str(data['imageRepository'])) if 'imageRepository' in data else None
    f_required = _optional_bool(data['required']) if 'required' in data else None
    return RequestFieldSpec(f_field, f_param, f_image_repository, f_required)


def _list_RequestFieldSpec(value: object) -> list[RequestFieldSpec]:
    return [_RequestFieldSpec(item) for item in _list(value)]


def _OrchestratorSpec(value: object) -> OrchestratorSpec:
    data = _fields(value, _KEYS_OrchestratorSpec)
    f_profile = _literal_3(data['profile']) if 'profile' in data else 'sast-ai'
    f_ref = rules.git_ref(_optional_str(data['ref'])) if 'ref' in data else None
    f_token_secret_ref = _optional_SecretKeyRef(data['tokenSecretRef']) if 'tokenSecretRef' in data else None
    f_api = _optional_OrchestratorApiSpec(data['api']) if 'api' in data else None
    f_url = rules.orchestrator_url(_str(data['url'])) if 'url' in data else 'http://sast-ai-orchestrator.{namespace}.svc.cluster.local:80'
    f_batch_endpoint = rules.batch_endpoint(_str(data['batchEndpoint'])) if 'batchEndpoint' in data else '/api/v1/mlops-batch'
    f_submit_timeout = rules.duration(_str(data['submitTimeout'])) if 'submitTimeout' in data else '5m'
    f_request = _list_RequestFieldSpec(data['request']) if 'request' in data else _missing()
    if len(f_request) < 1:
        raise Doubt
    return OrchestratorSpec(f_profile, f_ref, f_token_secret_ref, f_api, f_url, f_batch_endpoint, f_submit_timeout, f_request)


def _optional_OrchestratorSpec(value: object) -> OrchestratorSpec | None:
    return None if value is None else _OrchestratorSpec(value)


def _literal_5(value: object) -> Literal['string', 'boolean']:
    if type(value) is str and value in ('string', 'boolean'):
        return value  # type: ignore[return-value]
    raise Doubt


def _str_or_bool(value: object) -> str | bool:
    if type(value) is str or type(value) is bool:
        return value
    raise Doubt


def _optional_str_or_bool(value: object) -> str | bool | None:
    return None if value is None else _str_or_bool(value)


def _list_str(value: object) -> list[str]:
    return [_str(item) for item in _list(value)]


def _optional_list_str(value: object) -> list[str] | None:
    return None if value is None else _list_str(value)


def _ParamSpec(value: object) -> ParamSpec:
    data = _fields(value, _KEYS_ParamSpec)
    f_name = rules.param_name(_str(data['name'])) if 'name' in data else _missing()
    f_from_ = rules.param_source(_str(data['from'])) if 'from' in data else _missing()
    f_type = _literal_5(data['type']) if 'type' in data else 'string'
    f_required = _bool(data['required']) if 'required' in data else False
    f_default = _optional_str_or_bool(data['default']) if 'default' in data else None
    f_description = _str(data['description']) if 'description' in data else ''
    f_pattern = rules.re2_pattern(_optional_str(data['pattern'])) if 'pattern' in data else None
    if 'enum' in data:
        f_enum = _optional_list_str(data['enum'])
        if f_enum is not None and len(f_enum) < 1:
            raise Doubt
    else:
        f_enum = None
    if 'maxLength' in data:
        f_max_length = _optional_int(data['maxLength'])
        if f_max_length is not None and (f_max_length < 1 or f_max_length > 65536):
            raise Doubt
    else:
        f_max_length = None
    f_label = rules.label_key(_optional_str(data['label'])) if 'label' in data else None
    f_annotation = rules.label_key(_optional_str(data['annotation'])) if 'annotation' in data else None
    return rules.param_consistent(ParamSpec(f_name, f_from_, f_type, f_required, f_default, f_description, f_pattern, f_enum, f_max_length, f_label, f_annotation))


def _list_ParamSpec(value: object) -> list[ParamSpec]:
    return [_ParamSpec(item) for item in _list(value)]


def _literal_6(value: object) -> Literal['github']:
    if type(value) is str and value == 'github':
        return 'github'
    raise Doubt


def _GitHubAuth(value: object) -> GitHubAuth:
    data = _fields(value, _KEYS_GitHubAuth)
    f_type = _literal_6(data['type']) if 'type' in data else _missing()
    f_secret_ref = _SecretKeyRef(data['secretRef']) if 'secretRef' in data else _missing()
    f_event_types = _optional_list_str(data['eventTypes']) if 'eventTypes' in data else None
    return GitHubAuth(f_type, f_secret_ref, f_event_types)


def _literal_7(value: object) -> Literal['gitlab']:
    if type(value) is str and value == 'gitlab':
        return 'gitlab'
    raise Doubt


def _GitLabAuth(value: object) -> GitLabAuth:
    data = _fields(value, _KEYS_GitLabAuth)
    f_type = _literal_7(data['type']) if 'type' in data else _missing()
    f_secret_ref = _SecretKeyRef(data['secretRef']) if 'secretRef' in data else _missing()
    f_event_types = _optional_list_str(data['eventTypes']) if 'eventTypes' in data else None
    return GitLabAuth(f_type, f_secret_ref, f_event_types)


def _literal_8(value: object) -> Literal['token']:
    if type(value) is str and value == 'token':
        return 'token'
    raise Doubt


def _TokenAuth(value: object) -> TokenAuth:
    data = _fields(value, _KEYS_TokenAuth)
    f_type = _literal_8(data['type']) if 'type' in data else _missing()
    f_secret_ref = _SecretKeyRef(data['secretRef']) if 'secretRef' in data else _missing()
    f_header = rules.header_name(_str(data['header'])) if 'header' in data else 'X-Benchgen-Token'
    return TokenAuth(f_type, f_secret_ref, f_header)


def _literal_9(value: object) -> Literal['none']:
    if type(value) is str and value == 'none':
        return 'none'
    raise Doubt


def _NoAuth(value: object) -> NoAuth:
    data = _fields(value, _KEYS_NoAuth)
    f_type = _literal_9(data['type']) if 'type' in data else _missing()
    return NoAuth(f_type)


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


def _WebhookProbeSpec(value: object) -> WebhookProbeSpec:
    data = _fields(value, _KEYS_WebhookProbeSpec)
    f_header = rules.header_name(_str(data['header'])) if 'header' in data else _missing()
    f_values = _list_str(data['values']) if 'values' in data else _missing()
    if len(f_values) < 1:
        raise Doubt
    f_values = rules.probe_values(f_values)
    return WebhookProbeSpec(f_header, f_values)


def _optional_WebhookProbeSpec(value: object) -> WebhookProbeSpec | None:
    return None if value is None else _WebhookProbeSpec(value)


def _RecordRefusalsSpec(value: object) -> RecordRefusalsSpec:
    data = _fields(value, _KEYS_RecordRefusalsSpec)
    f_enabled = _bool(data['enabled']) if 'enabled' in data else False
    if 'maxRecords' in data:
        f_max_records = _int(data['maxRecords'])
        if f_max_records < 1 or f_max_records > 500:
            raise Doubt
    else:
        f_max_records = 50
    return RecordRefusalsSpec(f_enabled, f_max_records)


def _WebhookSpec(value: object) -> WebhookSpec:
    data = _fields(value, _KEYS_WebhookSpec)
    f_auth = _tagged_GitHubAuth_GitLabAuth_TokenAuth_NoAuth(data['auth']) if 'auth' in data else _missing()
    f_probe = _optional_WebhookProbeSpec(data['probe']) if 'probe' in data else None
    f_event_id_param = _optional_str(data['eventIdParam']) if 'eventIdParam' in data else None
    f_record_refusals = _RecordRefusalsSpec(data['recordRefusals']) if 'recordRefusals' in data else _RecordRefusalsSpec({})
    return WebhookSpec(f_auth, f_probe, f_event_id_param, f_record_refusals)


def _ChannelTemplateSpec(value: object) -> ChannelTemplateSpec:
    data = _fields(value, _KEYS_ChannelTemplateSpec)
    f_api_version = _str(data['apiVersion']) if 'apiVersion' in data else 'messaging.knative.dev/v1'
    f_kind = rules.channel_kind(_str(data['kind'])) if 'kind' in data else _missing()
    return ChannelTemplateSpec(f_api_version, f_kind)


def _optional_ChannelTemplateSpec(value: object) -> ChannelTemplateSpec | None:
    return None if value is None else _ChannelTemplateSpec(value)


def _literal_10(value: object) -> Literal['exponential', 'linear']:
    if type(value) is str and value in ('exponential', 'linear'):
        return value  # type: ignore[return-value]
    raise Doubt


def _optional_literal_10(value: object) -> Literal['exponential', 'linear'] | None:
    return None if value is None else _literal_10(value)


def _KReference(value: object) -> KReference:
    data = _fields(value, _KEYS_KReference)
    f_api_version = _str(data['apiVersion']) if 'apiVersion' in data else _missing()
    f_kind = rules.object_kind(_str(data['kind'])) if 'kind' in data else _missing()
    f_name = rules.dns1123_subdomain(_str(data['name'])) if 'name' in data else _missing()
    f_namespace = rules.dns1123_label(_optional_str(data['namespace'])) if 'namespace' in data else None
    return KReference(f_api_version, f_kind, f_name, f_namespace)


def _optional_KReference(value: object) -> KReference | None:
    return None if value is None else _KReference(value)


def _DeadLetterSinkSpec(value: object) -> DeadLetterSinkSpec:
    data = _fields(value, _KEYS_DeadLetterSinkSpec)
    f_uri = rules.absolute_url(_optional_str(data['uri'])) if 'uri' in data else None
    f_ref = _optional_KReference(data['ref']) if 'ref' in data else None
    return rules.one_sink(DeadLetterSinkSpec(f_uri, f_ref))


def _optional_DeadLetterSinkSpec(value: object) -> DeadLetterSinkSpec | None:
    return None if value is None else _DeadLetterSinkSpec(value)


def _DeliverySpec(value: object) -> DeliverySpec:
    data = _fields(value, _KEYS_DeliverySpec)
    if 'retry' in data:
        f_retry = _optional_int(data['retry'])
        if f_retry is not None and (f_retry < 0 or f_retry > 100):
            raise Doubt
    else:
        f_retry = None
    f_backoff_policy = _optional_literal_10(data['backoffPolicy']) if 'backoffPolicy' in data else None
    f_backoff_delay = rules.iso_duration(_optional_str(data['backoffDelay'])) if 'backoffDelay' in data else None
    f_dead_letter_sink = _optional_DeadLetterSinkSpec(data['deadLetterSink']) if 'deadLetterSink' in data else None
    return DeliverySpec(f_retry, f_backoff_policy, f_backoff_delay, f_dead_letter_sink)


def _optional_DeliverySpec(value: object) -> DeliverySpec | None:
    return None if value is None else _DeliverySpec(value)


def _BrokerSpec(value: object) -> BrokerSpec:
    data = _fields(value, _KEYS_BrokerSpec)
    f_name = rules.dns1123_label(_str(data['name'])) if 'name' in data else 'default'
    f_create = _bool(data['create']) if 'create' in data else False
    f_broker_class = _str(data['class']) if 'class' in data else 'MTChannelBasedBroker'
    f_channel_template = _optional_ChannelTemplateSpec(data['channelTemplate']) if 'channelTemplate' in data else None
    f_delivery = _optional_DeliverySpec(data['delivery']) if 'delivery' in data else None
    return rules.broker_created(BrokerSpec(f_name, f_create, f_broker_class, f_channel_template, f_delivery))


def _AcceptedEventSpec(value: object) -> AcceptedEventSpec:
    data = _fields(value, _KEYS_AcceptedEventSpec)
    f_type = rules.event_attribute(_optional_str(data['type'])) if 'type' in data else None
    f_type_prefix = rules.event_attribute(_optional_str(data['typePrefix'])) if 'typePrefix' in data else None
    f_source = rules.event_attribute(_optional_str(data['source'])) if 'source' in data else None
    f_cesql = rules.cesql_filter(_optional_str(data['cesql'])) if 'cesql' in data else None
    f_name = rules.dns1123_label(_optional_str(data['name'])) if 'name' in data else None
    f_probe = _bool(data['probe']) if 'probe' in data else False
    return rules.one_event_type(AcceptedEventSpec(f_type, f_type_prefix, f_source, f_cesql, f_name, f_probe))


def _list_AcceptedEventSpec(value: object) -> list[AcceptedEventSpec]:
    return [_AcceptedEventSpec(item) for item in _list(value)]


def _ListenerNetworkPolicySpec(value: object) -> ListenerNetworkPolicySpec:
    data = _fields(value, _KEYS_ListenerNetworkPolicySpec)
    f_enabled = _bool(data['enabled']) if 'enabled' in data else True
    f_dispatcher_namespace = rules.dns1123_label(_str(data['dispatcherNamespace'])) if 'dispatcherNamespace' in data else 'knative-eventing'
    return ListenerNetworkPolicySpec(f_enabled, f_dispatcher_namespace)


def _CloudEventsSpec(value: object) -> CloudEventsSpec:
    data = _fields(value, _KEYS_CloudEventsSpec)
    f_broker = _BrokerSpec(data['broker']) if 'broker' in data else _BrokerSpec({})
    f_accept = _list_AcceptedEventSpec(data['accept']) if 'accept' in data else _missing()
    if len(f_accept) < 1:
        raise Doubt
    f_delivery = _optional_DeliverySpec(data['delivery']) if 'delivery' in data else None
    f_network_policy = _ListenerNetworkPolicySpec(data['networkPolicy']) if 'networkPolicy' in data else _ListenerNetworkPolicySpec({})
    return CloudEventsSpec(f_broker, f_accept, f_delivery, f_network_policy)


def _optional_CloudEventsSpec(value: object) -> CloudEventsSpec | None:
    return None if value is None else _CloudEventsSpec(value)


def _literal_11(value: object) -> Literal['webhook', 'pingSource']:
    if type(value) is str and value in ('webhook', 'pingSource'):
        return value  # type: ignore[return-value]
    raise Doubt


def _dict_str_str_or_bool(value: object) -> dict[str, str | bool]:
    return {_str(k): _str_or_bool(v) for k, v in _dict(value).items()}


def _ScheduleSpec(value: object) -> ScheduleSpec:
    data = _fields(value, _KEYS_ScheduleSpec)
    f_name = rules.dns1123_label(_optional_str(data['name'])) if 'name' in data else None
    f_cron = rules.cron(_str(data['cron'])) if 'cron' in data else _missing()
    f_time_zone = rules.time_zone(_str(data['timeZone'])) if 'timeZone' in data else 'Etc/UTC'
    f_via = _literal_11(data['via']) if 'via' in data else 'webhook'
    f_values: dict[str, str | bool] = _dict_str_str_or_bool(data['values']) if 'values' in data else {}
    f_starting_deadline = rules.whole_duration(_str(data['startingDeadline'])) if 'startingDeadline' in data else '30m'
    f_suspend = _bool(data['suspend']) if 'suspend' in data else False
    return ScheduleSpec(f_name, f_cron, f_time_zone, f_via, f_values, f_starting_deadline, f_suspend)


def _list_ScheduleSpec(value: object) -> list[ScheduleSpec]:
    return [_ScheduleSpec(item) for item in _list(value)]


def _optional_list_ScheduleSpec(value: object) -> list[ScheduleSpec] | None:
    return None if value is None else _list_ScheduleSpec(value)


def _ReleaseProjectSpec(value: object) -> ReleaseProjectSpec:
    data = _fields(value, _KEYS_ReleaseProjectSpec)
    f_repo = rules.github_repo(_str(data['repo'])) if 'repo' in data else _missing()
    f_name = _optional_str(data['name']) if 'name' in data else None
    f_configurations: list[str] = _list_str(data['configurations']) if 'configurations' in data else []
    f_tag_pattern = rules.python_pattern(_optional_str(data['tagPattern'])) if 'tagPattern' in data else None
    return ReleaseProjectSpec(f_repo, f_name, f_configurations, f_tag_pattern)


def _list_ReleaseProjectSpec(value: object) -> list[ReleaseProjectSpec]:
    return [_ReleaseProjectSpec(item) for item in _list(value)]


def _ReleaseParamsSpec(value: object) -> ReleaseParamsSpec:
    data = _fields(value, _KEYS_ReleaseParamsSpec)
    f_project = _str(data['project']) if 'project' in data else _missing()
    f_version = _str(data['version']) if 'version' in data else _missing()
    f_configuration = _optional_str(data['configuration']) if 'configuration' in data else None
    return ReleaseParamsSpec(f_project, f_version, f_configuration)


def _ReleasesSpec(value: object) -> ReleasesSpec:
    data = _fields(value, _KEYS_ReleasesSpec)
    f_projects = _list_ReleaseProjectSpec(data['projects']) if 'projects' in data else _missing()
    if len(f_projects) < 1:
        raise Doubt
    f_params = _ReleaseParamsSpec(data['params']) if 'params' in data else _missing()
    f_values: dict[str, str | bool] = _dict_str_str_or_bool(data['values']) if 'values' in data else {}
    f_cron = rules.cron(_str(data['cron'])) if 'cron' in data else '0 * * * *'
    f_time_zone = rules.time_zone(_str(data['timeZone'])) if 'timeZone' in data else 'Etc/UTC'
    f_api_url = rules.http_url(_str(data['apiUrl'])) if 'apiUrl' in data else 'https://api.github.com'
    f_token_secret_ref = _optional_SecretKeyRef(data['tokenSecretRef']) if 'tokenSecretRef' in data else None
    f_starting_deadline = rules.whole_duration(_str(data['startingDeadline'])) if 'startingDeadline' in data else '30m'
    return ReleasesSpec(f_projects, f_params, f_values, f_cron, f_time_zone, f_api_url, f_token_secret_ref, f_starting_deadline)


def _optional_ReleasesSpec(value: object) -> ReleasesSpec | None:
    return None if value is None else _ReleasesSpec(value)


def _SelectSpec(value: object) -> SelectSpec:
    data = _fields(value, _KEYS_SelectSpec)
    f_from_ = rules.select_source(_str(data['from'])) if 'from' in data else _missing()
    f_cases = _dict_str_str(data['cases']) if 'cases' in data else _missing()
    if len(f_cases) < 1:
        raise Doubt
    return SelectSpec(f_from_, f_cases)


def _optional_SelectSpec(value: object) -> SelectSpec | None:
    return None if value is None else _SelectSpec(value)


def _TriggersSpec(value: object) -> TriggersSpec:
    data = _fields(value, _KEYS_TriggersSpec)
    f_webhook = _WebhookSpec(data['webhook']) if 'webhook' in data else _missing()
    f_cloud_events = _optional_CloudEventsSpec(data['cloudEvents']) if 'cloudEvents' in data else None
    if 'schedule' in data:
        f_schedule = _optional_list_ScheduleSpec(data['schedule'])
        if f_schedule is not None and len(f_schedule) < 1:
            raise Doubt
    else:
        f_schedule = None
    f_releases = _optional_ReleasesSpec(data['releases']) if 'releases' in data else None
    f_select = _optional_SelectSpec(data['select']) if 'select' in data else None
    return TriggersSpec(f_webhook, f_cloud_events, f_schedule, f_releases, f_select)


def _literal_12(value: object) -> Literal['pod', 'controller']:
    if type(value) is str and value in ('pod', 'controller'):
        return value  # type: ignore[return-value]
    raise Doubt


def _literal_13(value: object) -> Literal['COMPLETED', 'COMPLETED_WITH_ERRORS', 'COMPLETED_EMPTY', 'FAILED', 'CANCELLED']:
    if type(value) is str and value in ('COMPLETED', 'COMPLETED_WITH_ERRORS', 'COMPLETED_EMPTY', 'FAILED', 'CANCELLED'):
        return value  # type: ignore[return-value]
    raise Doubt


def _list_literal_13(value: object) -> list[Literal['COMPLETED', 'COMPLETED_WITH_ERRORS', 'COMPLETED_EMPTY', 'FAILED', 'CANCELLED']]:
    return [_literal_13(item) for item in _list(value)]


def _literal_14(value: object) -> Literal['fail', 'wait']:
    if type(value) is str and value in ('fail', 'wait'):
        return value  # type: ignore[return-value]
    raise Doubt


def _PollSpec(value: object) -> PollSpec:
    data = _fields(value, _KEYS_PollSpec)
    f_mode = _literal_12(data['mode']) if 'mode' in data else 'pod'
    f_interval = rules.duration(_str(data['interval'])) if 'interval' in data else '10s'
    f_max_interval = rules.duration(_str(data['maxInterval'])) if 'maxInterval' in data else '5m'
    f_timeout = rules.duration(_str(data['timeout'])) if 'timeout' in data else '8h'
    f_fail_on: list[Literal['COMPLETED', 'COMPLETED_WITH_ERRORS', 'COMPLETED_EMPTY', 'FAILED', 'CANCELLED']] = _list_literal_13(data['failOn']) if 'failOn' in data else ['FAILED', 'CANCELLED']
    f_on_unknown_status = _literal_14(data['onUnknownStatus']) if 'onUnknownStatus' in data else 'fail'
    return rules.poll_ordered(PollSpec(f_mode, f_interval, f_max_interval, f_timeout, f_fail_on, f_on_unknown_status))


def _ResourcesSpec(value: object) -> ResourcesSpec:
    data = _fields(value, _KEYS_ResourcesSpec)
    f_cpu_request = rules.quantity(_str(data['cpuRequest'])) if 'cpuRequest' in data else '10m'
    f_memory_request = rules.memory_quantity(_str(data['memoryRequest'])) if 'memoryRequest' in data else '64Mi'
    f_memory_limit = rules.memory_limit(_str(data['memoryLimit'])) if 'memoryLimit' in data else '128Mi'
    return ResourcesSpec(f_cpu_request, f_memory_request, f_memory_limit)


def _ConcurrencySpec(value: object) -> ConcurrencySpec:
    data = _fields(value, _KEYS_ConcurrencySpec)
    f_limit = _int(data['limit']) if 'limit' in data else _missing()
    if f_limit < 1 or f_limit > 1000:
        raise Doubt
    f_key = _optional_str(data['key']) if 'key' in data else None
    if 'maxPending' in data:
        f_max_pending = _optional_int(data['maxPending'])
        if f_max_pending is not None and (f_max_pending < 1 or f_max_pending > 10000):
            raise Doubt
    else:
        f_max_pending = None
    f_supersede = _bool(data['supersede']) if 'supersede' in data else False
    return ConcurrencySpec(f_limit, f_key, f_max_pending, f_supersede)


def _optional_ConcurrencySpec(value: object) -> ConcurrencySpec | None:
    return None if value is None else _ConcurrencySpec(value)


def _DeployConfigMapSpec(value: object) -> DeployConfigMapSpec:
    data = _fields(value, _KEYS_DeployConfigMapSpec)
    f_name = rules.dns1123_subdomain(_str(data['name'])) if 'name' in data else _missing()
    f_key = rules.config_map_key_template(_str(data['key'])) if 'key' in data else _missing()
    return DeployConfigMapSpec(f_name, f_key)


def _DeployManifestSpec(value: object) -> DeployManifestSpec:
    data = _fields(value, _KEYS_DeployManifestSpec)
    f_config_map = _DeployConfigMapSpec(data['configMap']) if 'configMap' in data else _missing()
    return DeployManifestSpec(f_config_map)


def _DeploySetSpec(value: object) -> DeploySetSpec:
    data = _fields(value, _KEYS_DeploySetSpec)
    f_kind = rules.object_kind(_str(data['kind'])) if 'kind' in data else _missing()
    f_path = rules.field_path(_str(data['path'])) if 'path' in data else _missing()
    f_param = _str(data['param']) if 'param' in data else _missing()
    return DeploySetSpec(f_kind, f_path, f_param)


def _list_DeploySetSpec(value: object) -> list[DeploySetSpec]:
    return [_DeploySetSpec(item) for item in _list(value)]


def _DeployTargetSpec(value: object) -> DeployTargetSpec:
    data = _fields(value, _KEYS_DeployTargetSpec)
    f_api_version = rules.api_version(_str(data['apiVersion'])) if 'apiVersion' in data else _missing()
    f_kind = rules.object_kind(_str(data['kind'])) if 'kind' in data else _missing()
    f_plural = rules.resource_plural(_optional_str(data['plural'])) if 'plural' in data else None
    f_namespace = rules.dns1123_label(_optional_str(data['namespace'])) if 'namespace' in data else None
    return DeployTargetSpec(f_api_version, f_kind, f_plural, f_namespace)


def _list_DeployTargetSpec(value: object) -> list[DeployTargetSpec]:
    return [_DeployTargetSpec(item) for item in _list(value)]


def _DeployWaitSpec(value: object) -> DeployWaitSpec:
    data = _fields(value, _KEYS_DeployWaitSpec)
    f_condition = rules.condition_type(_str(data['condition'])) if 'condition' in data else 'Ready'
    f_timeout = rules.duration(_str(data['timeout'])) if 'timeout' in data else '15m'
    return DeployWaitSpec(f_condition, f_timeout)


def _DeploySpec(value: object) -> DeploySpec:
    data = _fields(value, _KEYS_DeploySpec)
    f_manifest = _DeployManifestSpec(data['manifest']) if 'manifest' in data else _missing()
    f_set_: list[DeploySetSpec] = _list_DeploySetSpec(data['set']) if 'set' in data else []
    f_targets = _list_DeployTargetSpec(data['targets']) if 'targets' in data else _missing()
    if len(f_targets) < 1:
        raise Doubt
    f_wait = _DeployWaitSpec(data['wait']) if 'wait' in data else _DeployWaitSpec({})
    return DeploySpec(f_manifest, f_set_, f_targets, f_wait)


def _optional_DeploySpec(value: object) -> DeploySpec | None:
    return None if value is None else _DeploySpec(value)


def _CleanupTargetSpec(value: object) -> CleanupTargetSpec:
    data = _fields(value, _KEYS_CleanupTargetSpec)
    f_api_version = rules.api_version(_str(data['apiVersion'])) if 'apiVersion' in data else _missing()
    f_kind = rules.object_kind(_str(data['kind'])) if 'kind' in data else _missing()
    f_plural = rules.resource_plural(_optional_str(data['plural'])) if 'plural' in data else None
    f_namespace = rules.dns1123_label(_optional_str(data['namespace'])) if 'namespace' in data else None
    f_namespace_from_param = _optional_str(data['namespaceFromParam']) if 'namespaceFromParam' in data else None
    f_labels: dict[str, str] = rules.label_selector(_dict_str_str(data['labels'])) if 'labels' in data else {}
    f_labels_from_params: dict[str, str] = rules.label_keys(_dict_str_str(data['labelsFromParams'])) if 'labelsFromParams' in data else {}
    return rules.cleanup_selects(CleanupTargetSpec(f_api_version, f_kind, f_plural, f_namespace, f_namespace_from_param, f_labels, f_labels_from_params))


def _list_CleanupTargetSpec(value: object) -> list[CleanupTargetSpec]:
    return [_CleanupTargetSpec(item) for item in _list(value)]


def _CleanupSpec(value: object) -> CleanupSpec:
    data = _fields(value, _KEYS_CleanupSpec)
    f_delete = _list_CleanupTargetSpec(data['delete']) if 'delete' in data else _missing()
    if len(f_delete) < 1:
        raise Doubt
    f_timeout = rules.duration(_str(data['timeout'])) if 'timeout' in data else '5m'
    return CleanupSpec(f_delete, f_timeout)


def _optional_CleanupSpec(value: object) -> CleanupSpec | None:
    return None if value is None else _CleanupSpec(value)


def _literal_15(value: object) -> Literal['starttls', 'tls', 'none']:
    if type(value) is str and value in ('starttls', 'tls', 'none'):
        return value  # type: ignore[return-value]
    raise Doubt


def _SmtpSpec(value: object) -> SmtpSpec:
    data = _fields(value, _KEYS_SmtpSpec)
    f_host = rules.smtp_host(_str(data['host'])) if 'host' in data else _missing()
    if 'port' in data:
        f_port = _optional_int(data['port'])
        if f_port is not None and (f_port < 1 or f_port > 65535):
            raise Doubt
    else:
        f_port = None
    f_security = _literal_15(data['security']) if 'security' in data else 'starttls'
    return SmtpSpec(f_host, f_port, f_security)


def _SmtpCredentialsRef(value: object) -> SmtpCredentialsRef:
    data = _fields(value, _KEYS_SmtpCredentialsRef)
    f_name = rules.dns1123_subdomain(_str(data['name'])) if 'name' in data else _missing()
    f_username_key = rules.secret_key(_str(data['usernameKey'])) if 'usernameKey' in data else 'username'
    f_password_key = rules.secret_key(_str(data['passwordKey'])) if 'passwordKey' in data else 'password'
    return SmtpCredentialsRef(f_name, f_username_key, f_password_key)


def _optional_SmtpCredentialsRef(value: object) -> SmtpCredentialsRef | None:
    return None if value is None else _SmtpCredentialsRef(value)


def _EmailSpec(value: object) -> EmailSpec:
    data = _fields(value, _KEYS_EmailSpec)
    f_smtp = _SmtpSpec(data['smtp']) if 'smtp' in data else _missing()
    f_from_ = rules.email_address(_str(data['from'])) if 'from' in data else _missing()
    f_to = _list_str(data['to']) if 'to' in data else _missing()
    if len(f_to) < 1 or len(f_to) > 50:
        raise Doubt
    f_to = rules.email_addresses(f_to)
    f_subject = _optional_str(data['subject']) if 'subject' in data else None
    f_template = _optional_str(data['template']) if 'template' in data else None
    f_credentials_secret_ref = _optional_SmtpCredentialsRef(data['credentialsSecretRef']) if 'credentialsSecretRef' in data else None
    return EmailSpec(f_smtp, f_from_, f_to, f_subject, f_template, f_credentials_secret_ref)


def _optional_EmailSpec(value: object) -> EmailSpec | None:
    return None if value is None else _EmailSpec(value)


def _literal_16(value: object) -> Literal['report', 'fail']:
    if type(value) is str and value in ('report', 'fail'):
        return value  # type: ignore[return-value]
    raise Doubt


def _NotifySpec(value: object) -> NotifySpec:
    data = _fields(value, _KEYS_NotifySpec)
    f_url_secret_ref = _optional_SecretKeyRef(data['urlSecretRef']) if 'urlSecretRef' in data else None
    f_template = _optional_str(data['template']) if 'template' in data else None
    f_email = _optional_EmailSpec(data['email']) if 'email' in data else None
    f_on_failure = _literal_16(data['onFailure']) if 'onFailure' in data else 'report'
    f_timeout = rules.duration(_str(data['timeout'])) if 'timeout' in data else '1m'
    return NotifySpec(f_url_secret_ref, f_template, f_email, f_on_failure, f_timeout)


def _optional_NotifySpec(value: object) -> NotifySpec | None:
    return None if value is None else _NotifySpec(value)


def _literal_17(value: object) -> Literal['Task']:
    if type(value) is str and value == 'Task':
        return 'Task'
    raise Doubt


def _optional_literal_17(value: object) -> Literal['Task'] | None:
    return None if value is None else _literal_17(value)


def _literal_18(value: object) -> Literal['cluster', 'git', 'bundles', 'hub']:
    if type(value) is str and value in ('cluster', 'git', 'bundles', 'hub'):
        return value  # type: ignore[return-value]
    raise Doubt


def _optional_literal_18(value: object) -> Literal['cluster', 'git', 'bundles', 'hub'] | None:
    return None if value is None else _literal_18(value)


def _TaskRefSpec(value: object) -> TaskRefSpec:
    data = _fields(value, _KEYS_TaskRefSpec)
    f_name = rules.dns1123_subdomain(_optional_str(data['name'])) if 'name' in data else None
    f_kind = _optional_literal_17(data['kind']) if 'kind' in data else None
    f_resolver = _optional_literal_18(data['resolver']) if 'resolver' in data else None
    f_params: dict[str, str] = _dict_str_str(data['params']) if 'params' in data else {}
    return rules.one_task_ref(TaskRefSpec(f_name, f_kind, f_resolver, f_params))


def _TaskParamValueSpec(value: object) -> TaskParamValueSpec:
    data = _fields(value, _KEYS_TaskParamValueSpec)
    f_param = _optional_str(data['param']) if 'param' in data else None
    f_task = _optional_str(data['task']) if 'task' in data else None
    f_result = _optional_str(data['result']) if 'result' in data else None
    f_status = _optional_str(data['status']) if 'status' in data else None
    f_aggregate_status = _bool(data['aggregateStatus']) if 'aggregateStatus' in data else False
    return rules.one_param_value(TaskParamValueSpec(f_param, f_task, f_result, f_status, f_aggregate_status))


def _dict_str_TaskParamValueSpec(value: object) -> dict[str, TaskParamValueSpec]:
    return {_str(k): _TaskParamValueSpec(v) for k, v in _dict(value).items()}


def _literal_19(value: object) -> Literal['in', 'notin']:
    if type(value) is str and value in ('in', 'notin'):
        return value  # type: ignore[return-value]
    raise Doubt


def _WhenSpec(value: object) -> WhenSpec:
    data = _fields(value, _KEYS_WhenSpec)
    f_param = _str(data['param']) if 'param' in data else _missing()
    f_operator = _literal_19(data['operator']) if 'operator' in data else _missing()
    f_values = _list_str(data['values']) if 'values' in data else _missing()
    if len(f_values) < 1:
        raise Doubt
    return WhenSpec(f_param, f_operator, f_values)


def _list_WhenSpec(value: object) -> list[WhenSpec]:
    return [_WhenSpec(item) for item in _list(value)]


def _TaskWorkspaceSpec(value: object) -> TaskWorkspaceSpec:
    data = _fields(value, _KEYS_TaskWorkspaceSpec)
    f_workspace = _str(data['workspace']) if 'workspace' in data else _missing()
    f_sub_path = rules.workspace_sub_path(_optional_str(data['subPath'])) if 'subPath' in data else None
    return TaskWorkspaceSpec(f_workspace, f_sub_path)


def _dict_str_TaskWorkspaceSpec(value: object) -> dict[str, TaskWorkspaceSpec]:
    return {_str(k): _TaskWorkspaceSpec(v) for k, v in _dict(value).items()}


def _UserTaskSpec(value: object) -> UserTaskSpec:
    data = _fields(value, _KEYS_UserTaskSpec)
    f_name = rules.dns1123_label(_str(data['name'])) if 'name' in data else _missing()
    f_task_ref = _TaskRefSpec(data['taskRef']) if 'taskRef' in data else _missing()
    f_params: dict[str, TaskParamValueSpec] = _dict_str_TaskParamValueSpec(data['params']) if 'params' in data else {}
    f_run_after: list[str] = _list_str(data['runAfter']) if 'runAfter' in data else []
    f_when: list[WhenSpec] = _list_WhenSpec(data['when']) if 'when' in data else []
    f_timeout = rules.optional_duration(_optional_str(data['timeout'])) if 'timeout' in data else None
    if 'retries' in data:
        f_retries = _optional_int(data['retries'])
        if f_retries is not None and (f_retries < 0 or f_retries > 10):
            raise Doubt
    else:
        f_retries = None
    f_workspaces: dict[str, TaskWorkspaceSpec] = _dict_str_TaskWorkspaceSpec(data['workspaces']) if 'workspaces' in data else {}
    return UserTaskSpec(f_name, f_task_ref, f_params, f_run_after, f_when, f_timeout, f_retries, f_workspaces)


def _list_UserTaskSpec(value: object) -> list[UserTaskSpec]:
    return [_UserTaskSpec(item) for item in _list(value)]


def _FinallySpec(value: object) -> FinallySpec:
    data = _fields(value, _KEYS_FinallySpec)
    f_cleanup = _optional_CleanupSpec(data['cleanup']) if 'cleanup' in data else None
    f_notify = _optional_NotifySpec(data['notify']) if 'notify' in data else None
    f_tasks: list[UserTaskSpec] = _list_UserTaskSpec(data['tasks']) if 'tasks' in data else []
    return FinallySpec(f_cleanup, f_notify, f_tasks)


def _optional_FinallySpec(value: object) -> FinallySpec | None:
    return None if value is None else _FinallySpec(value)


def _PipelineVariantSpec(value: object) -> PipelineVariantSpec:
    data = _fields(value, _KEYS_PipelineVariantSpec)
    f_name = rules.dns1123_label(_str(data['name'])) if 'name' in data else _missing()
    f_tasks: list[UserTaskSpec] = _list_UserTaskSpec(data['tasks']) if 'tasks' in data else []
    f_params: dict[str, str | bool] = _dict_str_str_or_bool(data['params']) if 'params' in data else {}
    return PipelineVariantSpec(f_name, f_tasks, f_params)


def _list_PipelineVariantSpec(value: object) -> list[PipelineVariantSpec]:
    return [_PipelineVariantSpec(item) for item in _list(value)]


def _literal_20(value: object) -> Literal['ReadWriteOnce', 'ReadWriteMany', 'ReadWriteOncePod']:
    if type(value) is str and value in ('ReadWriteOnce', 'ReadWriteMany', 'ReadWriteOncePod'):
        return value  # type: ignore[return-value]
    raise Doubt


def _list_literal_20(value: object) -> list[Literal['ReadWriteOnce', 'ReadWriteMany', 'ReadWriteOncePod']]:
    return [_literal_20(item) for item in _list(value)]


def _VolumeClaimTemplateSpec(value: object) -> VolumeClaimTemplateSpec:
    data = _fields(value, _KEYS_VolumeClaimTemplateSpec)
    f_storage = rules.storage_quantity(_str(data['storage'])) if 'storage' in data else _missing()
    if 'accessModes' in data:
        f_access_modes = _list_literal_20(data['accessModes'])
        if len(f_access_modes) < 1:
            raise Doubt
    else:
        f_access_modes = ['ReadWriteOnce']
    f_storage_class_name = rules.dns1123_subdomain(_optional_str(data['storageClassName'])) if 'storageClassName' in data else None
    return VolumeClaimTemplateSpec(f_storage, f_access_modes, f_storage_class_name)


def _optional_VolumeClaimTemplateSpec(value: object) -> VolumeClaimTemplateSpec | None:
    return None if value is None else _VolumeClaimTemplateSpec(value)


def _EmptyDirSpec(value: object) -> EmptyDirSpec:
    data = _fields(value, _KEYS_EmptyDirSpec)
    f_size_limit = rules.optional_storage_quantity(_optional_str(data['sizeLimit'])) if 'sizeLimit' in data else None
    return EmptyDirSpec(f_size_limit)


def _optional_EmptyDirSpec(value: object) -> EmptyDirSpec | None:
    return None if value is None else _EmptyDirSpec(value)


def _PipelineWorkspaceSpec(value: object) -> PipelineWorkspaceSpec:
    data = _fields(value, _KEYS_PipelineWorkspaceSpec)
    f_name = rules.dns1123_label(_str(data['name'])) if 'name' in data else _missing()
    f_description = _str(data['description']) if 'description' in data else ''
    f_volume_claim_template = _optional_VolumeClaimTemplateSpec(data['volumeClaimTemplate']) if 'volumeClaimTemplate' in data else None
    f_empty_dir = _optional_EmptyDirSpec(data['emptyDir']) if 'emptyDir' in data else None
    f_config_map = rules.dns1123_subdomain(_optional_str(data['configMap'])) if 'configMap' in data else None
    f_secret = rules.dns1123_subdomain(_optional_str(data['secret'])) if 'secret' in data else None
    f_persistent_volume_claim = rules.dns1123_subdomain(_optional_str(data['persistentVolumeClaim'])) if 'persistentVolumeClaim' in data else None
    return rules.one_volume(PipelineWorkspaceSpec(f_name, f_description, f_volume_claim_template, f_empty_dir, f_config_map, f_secret, f_persistent_volume_claim))


def _list_PipelineWorkspaceSpec(value: object) -> list[PipelineWorkspaceSpec]:
    return [_PipelineWorkspaceSpec(item) for item in _list(value)]


def _PipelineSpec(value: object) -> PipelineSpec:
    data = _fields(value, _KEYS_PipelineSpec)
    f_image = rules.pinned_image(_str(data['image'])) if 'image' in data else _missing()
    f_timeout = rules.duration(_str(data['timeout'])) if 'timeout' in data else '8h30m'
    f_finally_timeout = rules.duration(_str(data['finallyTimeout'])) if 'finallyTimeout' in data else '10m'
    f_service_account_name = rules.dns1123_subdomain(_optional_str(data['serviceAccountName'])) if 'serviceAccountName' in data else None
    f_resources = _ResourcesSpec(data['resources']) if 'resources' in data else _ResourcesSpec({})
    f_concurrency = _optional_ConcurrencySpec(data['concurrency']) if 'concurrency' in data else None
    f_deploy = _optional_DeploySpec(data['deploy']) if 'deploy' in data else None
    f_finally_ = _optional_FinallySpec(data['finally']) if 'finally' in data else None
    f_tasks: list[UserTaskSpec] = _list_UserTaskSpec(data['tasks']) if 'tasks' in data else []
    f_variants: list[PipelineVariantSpec] = _list_PipelineVariantSpec(data['variants']) if 'variants' in data else []
    f_workspaces: list[PipelineWorkspaceSpec] = _list_PipelineWorkspaceSpec(data['workspaces']) if 'workspaces' in data else []
    return PipelineSpec(f_image, f_timeout, f_finally_timeout, f_service_account_name, f_resources, f_concurrency, f_deploy, f_finally_, f_tasks, f_variants, f_workspaces)


def _NamesSpec(value: object) -> NamesSpec:
    data = _fields(value, _KEYS_NamesSpec)
    f_listener = _optional_str(data['listener']) if 'listener' in data else None
    f_config_map = _optional_str(data['configMap']) if 'configMap' in data else None
    f_pipeline = _optional_str(data['pipeline']) if 'pipeline' in data else None
    f_binding = _optional_str(data['binding']) if 'binding' in data else None
    f_template = _optional_str(data['template']) if 'template' in data else None
    f_run_prefix = rules.run_prefix(_optional_str(data['runPrefix'])) if 'runPrefix' in data else None
    return NamesSpec(f_listener, f_config_map, f_pipeline, f_binding, f_template, f_run_prefix)


def _ObserverSpec(value: object) -> ObserverSpec:
    data = _fields(value, _KEYS_ObserverSpec)
    f_sink = rules.observer_sink(_str(data['sink'])) if 'sink' in data else _missing()
    if 'namespaces' in data:
        f_namespaces = _optional_list_str(data['namespaces'])
        if f_namespaces is not None and len(f_namespaces) < 1:
            raise Doubt
        f_namespaces = rules.namespaces(f_namespaces)
    else:
        f_namespaces = None
    f_tekton_namespace = rules.dns1123_label(_str(data['tektonNamespace'])) if 'tektonNamespace' in data else 'tekton-pipelines'
    if 'logTailBytes' in data:
        f_log_tail_bytes = _int(data['logTailBytes'])
        if f_log_tail_bytes < 0 or f_log_tail_bytes > 65536:
            raise Doubt
    else:
        f_log_tail_bytes = 4096
    return ObserverSpec(f_sink, f_namespaces, f_tekton_namespace, f_log_tail_bytes)


def _optional_ObserverSpec(value: object) -> ObserverSpec | None:
    return None if value is None else _ObserverSpec(value)


def _literal_21(value: object) -> Literal['github', 'gitlab']:
    if type(value) is str and value in ('github', 'gitlab'):
        return value  # type: ignore[return-value]
    raise Doubt


def _CommitValueSpec(value: object) -> CommitValueSpec:
    data = _fields(value, _KEYS_CommitValueSpec)
    f_param = _optional_str(data['param']) if 'param' in data else None
    f_value = _optional_str(data['value']) if 'value' in data else None
    return CommitValueSpec(f_param, f_value)


def _CommitStatusSpec(value: object) -> CommitStatusSpec:
    data = _fields(value, _KEYS_CommitStatusSpec)
    f_provider = _literal_21(data['provider']) if 'provider' in data else _missing()
    f_api_url = rules.absolute_url(_optional_str(data['apiUrl'])) if 'apiUrl' in data else None
    f_repository = _CommitValueSpec(data['repository']) if 'repository' in data else _missing()
    f_sha = _CommitValueSpec(data['sha']) if 'sha' in data else _missing()
    if 'context' in data:
        f_context = _optional_str(data['context'])
        if f_context is not None and len(f_context) > 255:
            raise Doubt
    else:
        f_context = None
    f_token_secret_ref = _SecretKeyRef(data['tokenSecretRef']) if 'tokenSecretRef' in data else _missing()
    f_status_url = rules.absolute_url(_optional_str(data['statusUrl'])) if 'statusUrl' in data else None
    return CommitStatusSpec(f_provider, f_api_url, f_repository, f_sha, f_context, f_token_secret_ref, f_status_url)


def _optional_CommitStatusSpec(value: object) -> CommitStatusSpec | None:
    return None if value is None else _CommitStatusSpec(value)


def _literal_22(value: object) -> Literal['bearer', 'basic']:
    if type(value) is str and value in ('bearer', 'basic'):
        return value  # type: ignore[return-value]
    raise Doubt


def _StatusAuthSpec(value: object) -> StatusAuthSpec:
    data = _fields(value, _KEYS_StatusAuthSpec)
    f_type = _literal_22(data['type']) if 'type' in data else _missing()
    f_secret_ref = _SecretKeyRef(data['secretRef']) if 'secretRef' in data else _missing()
    return StatusAuthSpec(f_type, f_secret_ref)


def _StatusNetworkPolicySpec(value: object) -> StatusNetworkPolicySpec:
    data = _fields(value, _KEYS_StatusNetworkPolicySpec)
    f_from_namespaces = _list_str(data['fromNamespaces']) if 'fromNamespaces' in data else _missing()
    if len(f_from_namespaces) < 1:
        raise Doubt
    f_from_namespaces = rules.namespaces(f_from_namespaces)
    return StatusNetworkPolicySpec(f_from_namespaces)


def _optional_StatusNetworkPolicySpec(value: object) -> StatusNetworkPolicySpec | None:
    return None if value is None else _StatusNetworkPolicySpec(value)


def _StatusApiSpec(value: object) -> StatusApiSpec:
    data = _fields(value, _KEYS_StatusApiSpec)
    f_auth = _StatusAuthSpec(data['auth']) if 'auth' in data else _missing()
    if 'replicas' in data:
        f_replicas = _int(data['replicas'])
        if f_replicas < 1 or f_replicas > 10:
            raise Doubt
    else:
        f_replicas = 1
    f_network_policy = _optional_StatusNetworkPolicySpec(data['networkPolicy']) if 'networkPolicy' in data else None
    return StatusApiSpec(f_auth, f_replicas, f_network_policy)


def _optional_StatusApiSpec(value: object) -> StatusApiSpec | None:
    return None if value is None else _StatusApiSpec(value)


def _MetricsScrapeSpec(value: object) -> MetricsScrapeSpec:
    data = _fields(value, _KEYS_MetricsScrapeSpec)
    if 'namespaces' in data:
        f_namespaces = _list_str(data['namespaces'])
        if len(f_namespaces) < 1:
            raise Doubt
        f_namespaces = rules.namespaces(f_namespaces)
    else:
        f_namespaces = ['monitoring']
    f_pod_labels: dict[str, str] = rules.label_selector(_dict_str_str(data['podLabels'])) if 'podLabels' in data else {}
    return MetricsScrapeSpec(f_namespaces, f_pod_labels)


def _MetricsSpec(value: object) -> MetricsSpec:
    data = _fields(value, _KEYS_MetricsSpec)
    f_service_monitor = _bool(data['serviceMonitor']) if 'serviceMonitor' in data else False
    f_interval = rules.scrape_interval(_str(data['interval'])) if 'interval' in data else '30s'
    f_labels: dict[str, str] = rules.label_selector(_dict_str_str(data['labels'])) if 'labels' in data else {}
    f_scrape_from = _MetricsScrapeSpec(data['scrapeFrom']) if 'scrapeFrom' in data else _MetricsScrapeSpec({})
    return MetricsSpec(f_service_monitor, f_interval, f_labels, f_scrape_from)


def _optional_MetricsSpec(value: object) -> MetricsSpec | None:
    return None if value is None else _MetricsSpec(value)


def _ObserveSpec(value: object) -> ObserveSpec:
    data = _fields(value, _KEYS_ObserveSpec)
    f_observer = _optional_ObserverSpec(data['observer']) if 'observer' in data else None
    f_commit_status = _optional_CommitStatusSpec(data['commitStatus']) if 'commitStatus' in data else None
    f_status_api = _optional_StatusApiSpec(data['statusApi']) if 'statusApi' in data else None
    f_metrics = _optional_MetricsSpec(data['metrics']) if 'metrics' in data else None
    f_resources = _ResourcesSpec(data['resources']) if 'resources' in data else ResourcesSpec('20m', '96Mi', '256Mi')
    return ObserveSpec(f_observer, f_commit_status, f_status_api, f_metrics, f_resources)


def _optional_ObserveSpec(value: object) -> ObserveSpec | None:
    return None if value is None else _ObserveSpec(value)


def _BenchmarkSpec(value: object) -> BenchmarkSpec:
    data = _fields(value, _KEYS_BenchmarkSpec)
    f_orchestrator = _optional_OrchestratorSpec(data['orchestrator']) if 'orchestrator' in data else None
    f_params = _list_ParamSpec(data['params']) if 'params' in data else _missing()
    if len(f_params) < 1:
        raise Doubt
    f_triggers = _TriggersSpec(data['triggers']) if 'triggers' in data else _missing()
    f_poll = _PollSpec(data['poll']) if 'poll' in data else _PollSpec({})
    f_pipeline = _PipelineSpec(data['pipeline']) if 'pipeline' in data else _missing()
    f_names = _NamesSpec(data['names']) if 'names' in data else _NamesSpec({})
    f_observe = _optional_ObserveSpec(data['observe']) if 'observe' in data else None
    f_labels: dict[str, str] = _dict_str_str(data['labels']) if 'labels' in data else {}
    return BenchmarkSpec(f_orchestrator, f_params, f_triggers, f_poll, f_pipeline, f_names, f_observe, f_labels)


def _Benchmark(value: object) -> Benchmark:
    data = _fields(value, _KEYS_Benchmark)
    f_api_version = _literal_1(data['apiVersion']) if 'apiVersion' in data else _missing()
    f_kind = _literal_2(data['kind']) if 'kind' in data else _missing()
    f_metadata = _ObjectMeta(data['metadata']) if 'metadata' in data else _missing()
    f_spec = _BenchmarkSpec(data['spec']) if 'spec' in data else _missing()
    return Benchmark(f_api_version, f_kind, f_metadata, f_spec)


def validate(document: object) -> Benchmark:
    """The config as twins of the models; raises Doubt unless surely valid."""
    return _Benchmark(document)
