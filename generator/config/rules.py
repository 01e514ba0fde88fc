"""The validators' rules as plain functions, and the models' shared behaviour.

The pydantic models (``models.py``) are the single source of truth for which
field gets which rule: they attach these functions with ``field_validator`` /
``model_validator``. ``lite.py``, generated from the models by
``benchgen schema``, calls the very same functions on the plugin's
pydantic-free path. So this module must not import pydantic (or anything
heavy): the plugin imports it on every cold `kustomize build`.

A field rule takes the value and returns it (possibly normalised) or raises
ValueError; a model rule takes the whole object after its fields were checked
and returns it. The messages are the ones users see (through pydantic).
"""

from __future__ import annotations

import re

from generator.config import patterns
from generator.contract import names as kube
from generator.contract.durations import parse_duration, whole_seconds

TYPE_CHECKING = False  # importing typing costs start-up time the plugin must not pay
if TYPE_CHECKING:
    from typing import Literal, Protocol, TypeVar

    class _PollLike(Protocol):
        @property
        def interval(self) -> str: ...
        @property
        def max_interval(self) -> str: ...
        @property
        def timeout(self) -> str: ...

    _Param = TypeVar("_Param", bound="ParamMixin")
    # The same rule serves required (str) and optional (str | None) fields.
    _Text = TypeVar("_Text", bound=str | None)
    _Names = TypeVar("_Names", bound=list[str] | None)

    class _SinkLike(Protocol):
        @property
        def uri(self) -> str | None: ...
        @property
        def ref(self) -> object | None: ...

    class _BrokerLike(Protocol):
        @property
        def create(self) -> bool: ...
        @property
        def channel_template(self) -> object | None: ...
        @property
        def delivery(self) -> object | None: ...
        @property
        def broker_class(self) -> str: ...

    class _TaskRefLike(Protocol):
        @property
        def name(self) -> str | None: ...
        @property
        def kind(self) -> str | None: ...
        @property
        def resolver(self) -> str | None: ...
        @property
        def params(self) -> dict[str, str]: ...

    class _ValueLike(Protocol):
        @property
        def param(self) -> str | None: ...
        @property
        def task(self) -> str | None: ...
        @property
        def result(self) -> str | None: ...
        @property
        def status(self) -> str | None: ...
        @property
        def aggregate_status(self) -> bool: ...

    class _VolumeLike(Protocol):
        @property
        def volume_claim_template(self) -> object | None: ...
        @property
        def empty_dir(self) -> object | None: ...
        @property
        def config_map(self) -> str | None: ...
        @property
        def secret(self) -> str | None: ...
        @property
        def persistent_volume_claim(self) -> str | None: ...

    _Volume = TypeVar("_Volume", bound=_VolumeLike)

    _TaskRef = TypeVar("_TaskRef", bound=_TaskRefLike)
    _Value = TypeVar("_Value", bound=_ValueLike)
    _Sink = TypeVar("_Sink", bound=_SinkLike)
    _Broker = TypeVar("_Broker", bound=_BrokerLike)
    _Accepted = TypeVar("_Accepted", bound="AcceptedEventMixin")
    _Poll = TypeVar("_Poll", bound=_PollLike)

    class _TargetLike(Protocol):
        @property
        def labels(self) -> dict[str, str]: ...
        @property
        def labels_from_params(self) -> dict[str, str]: ...
        @property
        def namespace(self) -> str | None: ...
        @property
        def namespace_from_param(self) -> str | None: ...

    _Target = TypeVar("_Target", bound=_TargetLike)

_PARAM_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
# Stricter than contract.signing.source_problem (CEL field names, no RFC 9110 symbols), but it
# accepts benchgen-poller's reserved headers, which a listener reads from any caller.
_BODY_SOURCE = re.compile(r"body(\.[A-Za-z_][A-Za-z0-9_]*)+")
_HEADER_SOURCE = re.compile(r"header\.[A-Za-z0-9][A-Za-z0-9-]*")
_JSON_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_IMAGE_REPOSITORY = re.compile(
    r"[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
)
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s{}]*)?")
_ENDPOINT = re.compile(r"/[A-Za-z0-9._~/-]*")
_QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?(m|k|M|G|Ki|Mi|Gi)?")
_ABSOLUTE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?")
_RUN_PREFIX = re.compile(r"[a-z][-a-z0-9]*")
_EVENT_ATTRIBUTE = re.compile(r"[\x21-\x7e]+")
_ISO_DURATION = re.compile(
    r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
)

# Event types the generated listeners must never accept: the observer's own
# events (a run would start runs) and Tekton's (the EventListener answers every
# CloudEvent with dev.tekton.event.triggers.accepted.v1, which a broker feeds back).
RESERVED_EVENT_PREFIXES = {
    "dev.benchgen.": "benchgen's observer",
    "dev.tekton.": "Tekton itself (the EventListener's replies, Pipelines' run events)",
}


# -- field rules -------------------------------------------------------------


def duration(value: str) -> str:
    parse_duration(value)
    return value


def optional_duration(value: _Text) -> _Text:
    if value is not None:
        parse_duration(value)
    return value


def whole_duration(value: str) -> str:
    """A duration Kubernetes keeps in whole seconds (a CronJob's startingDeadlineSeconds)."""
    whole_seconds(value)
    return value


def _kube(problem: str | None) -> None:
    if problem:
        raise ValueError(problem)


def dns1123_label(value: _Text) -> _Text:
    """A Kubernetes object name (empty or None passes: it means 'not set')."""
    if value is not None:
        _kube(value and kube.dns1123_label_problem(value))
    return value


def namespaces(value: _Names) -> _Names:
    names: list[str] = [] if value is None else value
    for ns in names:
        _kube(kube.dns1123_label_problem(ns))
    return value


def dns1123_subdomain(value: _Text) -> _Text:
    if value is not None:
        _kube(value and kube.dns1123_subdomain_problem(value))
    return value


def label_key(value: _Text) -> _Text:
    if value is not None:
        _kube(value and kube.label_key_problem(value))
    return value


def param_name(value: str) -> str:
    if len(value) > 50 or not _PARAM_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid param name: use 1-50 lower-case letters and digits"
            " in words joined by single '-' (e.g. dvc-data-version)"
        )
    return value


# The listener's CEL reads body.<field>; these words are CEL's own tokens, so
# `body.in` does not parse (other reserved words are fine as field names).
CEL_KEYWORDS = ("in", "true", "false", "null")


def param_source(value: str) -> str:
    if not (_BODY_SOURCE.fullmatch(value) or _HEADER_SOURCE.fullmatch(value)):
        raise ValueError(
            f"{value!r} is not a supported source: use body.<field>[.<field>...]"
            " (e.g. body.dvc_data_version) or header.<Header-Name>"
        )
    if value.startswith("body."):
        for field in value.split(".")[1:]:
            if field in CEL_KEYWORDS:
                raise ValueError(
                    f"{value!r} reads a field named {field!r}, which the listener's CEL cannot"
                    f" select ({', '.join(CEL_KEYWORDS)} are CEL keywords): have the sender"
                    " rename the field"
                )
    return value


# spec.triggers.select.from: a param source, or the CloudEvent's subject by name.
CE_SUBJECT_SOURCE = "ce-subject"


def select_source(value: str) -> str:
    """Where the listener reads the value that selects the pipeline."""
    if value == CE_SUBJECT_SOURCE:
        return value
    try:
        return param_source(value)
    except ValueError as exc:
        raise ValueError(f"{exc}, or {CE_SUBJECT_SOURCE} (the CloudEvent's subject)") from None


def re2_pattern(value: _Text) -> _Text:
    """A pattern the listener (RE2) and Python's re read alike (see patterns.py)."""
    if value is None:
        return value
    problem = patterns.pattern_problem(value)
    if problem:
        raise ValueError(f"{value!r} {problem}")
    return value


def cesql_filter(value: _Text) -> _Text:
    """A CESQL filter the Broker (the CloudEvents Go SDK's parser) accepts (see cesql.py)."""
    if value is None:
        return value
    from generator.config import cesql  # only configs with a CESQL filter pay for it

    problem = cesql.filter_problem(value)
    if problem:
        raise ValueError(f"{value!r} is not a CESQL filter Knative can use: {problem}")
    return value


def json_path(value: str) -> str:
    if not _JSON_PATH.fullmatch(value):
        raise ValueError(f"{value!r} is not a dotted JSON field path (e.g. jobSettings.secretName)")
    return value


def image_repository(value: _Text) -> _Text:
    if value is not None and not _IMAGE_REPOSITORY.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an image repository (registry/path, no tag or digest),"
            " e.g. quay.io/ecosystem-appeng/sast-ai-workflow"
        )
    return value


def orchestrator_url(value: str) -> str:
    probe = value.replace("{namespace}", "ns")
    if not _URL.fullmatch(probe):
        raise ValueError(f"{value!r} is not an http(s) URL (placeholder allowed: {{namespace}})")
    return value.rstrip("/")


def batch_endpoint(value: str) -> str:
    if not _ENDPOINT.fullmatch(value) or value.endswith("/"):
        raise ValueError(f"{value!r} must be a path starting with '/' (e.g. /api/v1/mlops-batch)")
    return value


_GIT_REF_BAD = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock(/|$)")


def git_ref(value: str | None) -> str | None:
    """A branch or tag name git accepts (git check-ref-format, the parts a name can break)."""
    if value is None:
        return None
    if (
        not value
        or len(value) > 255
        or _GIT_REF_BAD.search(value)
        or value.startswith(("-", "/", "."))
        or value.endswith(("/", "."))
        or value == "@"
    ):
        raise ValueError(f"{value!r} is not a branch or tag name (git check-ref-format)")
    return value


def secret_key(value: str) -> str:
    # Kubernetes' IsConfigMapKey: the key becomes a file name where the Secret is mounted.
    if not _SECRET_KEY.fullmatch(value) or len(value) > 253:
        raise ValueError(
            f"{value!r} is not a valid Secret key: use 1-253 letters, digits, '-', '_' or '.'"
        )
    if value in (".", "..") or value.startswith(".."):
        raise ValueError(
            f"{value!r} is not a valid Secret key: Kubernetes refuses '.', '..' and keys"
            " starting with '..' (they would name a directory where the Secret is mounted)"
        )
    return value


def header_name(value: str) -> str:
    if not _HEADER_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not an HTTP header name")
    return value


def quantity(value: str) -> str:
    if not _QUANTITY.fullmatch(value):
        raise ValueError(f"{value!r} is not a Kubernetes quantity (e.g. 100m, 64Mi)")
    return value


def memory_quantity(value: str) -> str:
    quantity(value)
    if value.endswith("m"):
        raise ValueError(
            f"{value!r} is {value[:-1]} thousandths of a byte ('m' is milli): write Mi for"
            f" mebibytes (e.g. {value[:-1]}Mi)"
        )
    return value


def memory_limit(value: str) -> str:
    memory_quantity(value)
    if quantity_value(value) == 0:
        raise ValueError(
            f"{value!r} leaves the container no memory: set a limit above the request (e.g. 128Mi)"
        )
    return value


_QUANTITY_UNITS = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
}


def quantity_value(value: str) -> float:
    """A quantity (already checked by ``quantity``) as a number of base units."""
    if value.endswith("m"):
        return float(value[:-1]) / 1000
    number = value.rstrip("kMGi")
    return float(number) * _QUANTITY_UNITS[value[len(number) :]]


def pinned_image(value: str) -> str:
    repository, at, digest = value.partition("@")
    if at:
        # repo[:tag]@sha256:...; a ':' before the last '/' is a registry's port, not a tag.
        name, colon, tag = repository.rpartition(":")
        tagged = bool(colon) and "/" not in tag
        if not tagged:
            name = repository
        if (
            not _DIGEST.fullmatch(digest)
            or not _IMAGE_REPOSITORY.fullmatch(name)
            or (tagged and not _IMAGE_TAG.fullmatch(tag))
        ):
            raise ValueError(f"{value!r} is not an image reference with a sha256 digest")
        return value
    name, colon, tag = repository.rpartition(":")
    if not colon or "/" in tag:
        raise ValueError(f"{value!r} is not pinned: add a version tag or @sha256:<digest>")
    if not _IMAGE_REPOSITORY.fullmatch(name) or not _IMAGE_TAG.fullmatch(tag):
        raise ValueError(f"{value!r} is not a valid image reference")
    if tag == "latest":
        raise ValueError(f"{value!r} is not pinned: ':latest' moves; use a version tag or a digest")
    return value


def object_kind(value: str) -> str:
    _kube(kube.kind_problem(value))
    return value


def channel_kind(value: str) -> str:
    _kube(kube.kind_problem(value, "KafkaChannel"))
    return value


def absolute_url(value: _Text) -> _Text:
    if value is not None and not _ABSOLUTE_URL.fullmatch(value):
        raise ValueError(f"{value!r} is not an absolute http(s) URL")
    return value


def iso_duration(value: _Text) -> _Text:
    if value is not None and not _ISO_DURATION.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an ISO-8601 duration (Knative's form): e.g. PT0.2S, PT5S, PT1M"
        )
    return value


def event_attribute(value: _Text) -> _Text:
    if value is not None and (not _EVENT_ATTRIBUTE.fullmatch(value) or len(value) > 253):
        raise ValueError(
            f"{value!r} is not a usable CloudEvent attribute value: 1-253 printable"
            " characters without spaces"
        )
    return value


def run_prefix(value: _Text) -> _Text:
    if value is not None and (len(value) > 40 or not _RUN_PREFIX.fullmatch(value)):
        raise ValueError(
            f"{value!r} is not a run name prefix: 1-40 lower-case letters, digits and '-',"
            " starting with a letter (e.g. bench-run-)"
        )
    return value


def observer_sink(value: str) -> str:
    if value in ("broker", "tekton"):
        return value
    if not _ABSOLUTE_URL.fullmatch(value):
        raise ValueError(f"{value!r} is not 'broker', 'tekton' or an http(s):// URL")
    return value


# Schedules: both the CronJob controller and Knative's PingSource parse them with
# robfig/cron (five fields, names, '*', '?', ranges, steps, lists, @daily-style
# descriptors). '@every' is refused (PingSource does not take it), and so is a
# CRON_TZ=/TZ= prefix: the time zone has its own field, which the CronJob API requires.
CRON_DESCRIPTORS = (
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names)
_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)
_TIME_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*")
_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+")


def _cron_number(text: str, name: str, low: int, high: int, words: tuple[str, ...]) -> int | str:
    lowered = text.lower()
    if lowered in words:
        return words.index(lowered) + (1 if name == "month" else 0)
    if not text.isdigit():
        return f"{name}: {text!r} is not a number"
    value = int(text)
    if not low <= value <= high:
        return f"{name}: {value} is outside {low}-{high}"
    return value


def _cron_field_problem(
    text: str, name: str, low: int, high: int, words: tuple[str, ...]
) -> str | None:
    for part in text.split(","):
        body, slash, step = part.partition("/")
        if slash and (not step.isdigit() or int(step) == 0):
            return f"{name}: step {step!r} is not a positive number"
        if body in ("*", "?"):
            if body == "?" and name not in ("day of month", "day of week"):
                return f"{name}: '?' is only allowed for the day of month or week"
            continue
        start, dash, end = body.partition("-")
        first = _cron_number(start, name, low, high, words)
        if isinstance(first, str):
            return first
        if dash:
            last = _cron_number(end, name, low, high, words)
            if isinstance(last, str):
                return last
            if last < first:
                return f"{name}: range {body!r} ends before it starts"
    return None


def cron_problem(schedule: str) -> str | None:
    """Why Kubernetes or Knative would refuse this schedule, or None."""
    text = schedule.strip()
    if text.upper().startswith(("CRON_TZ=", "TZ=")):
        return "set the time zone in 'timeZone', not in the schedule"
    if text.startswith("@"):
        if text in CRON_DESCRIPTORS:
            return None
        return f"{text!r} is not one of {', '.join(CRON_DESCRIPTORS)} (@every is not supported)"
    parts = text.split()
    if len(parts) != 5:
        return (
            f"{schedule!r} has {len(parts)} fields; use 5: minute hour day-of-month month"
            " day-of-week (e.g. '0 8 * * *')"
        )
    for part, (name, low, high, words) in zip(parts, _CRON_FIELDS, strict=True):
        problem = _cron_field_problem(part, name, low, high, words)
        if problem:
            return f"{schedule!r}: {problem}"
    return None


def cron(value: str) -> str:
    problem = cron_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def time_zone(value: str) -> str:
    """An IANA time zone name the API server knows (checked against this machine's database)."""
    import zoneinfo  # only configs with schedules pay for it

    if not _TIME_ZONE.fullmatch(value) or value.lower() == "local":
        raise ValueError(f"{value!r} is not an IANA time zone name (e.g. Etc/UTC, Europe/Paris)")
    # Files of a system's zoneinfo folder that are not IANA names: the API server's
    # Go tzdata does not have them (posix/ and right/ copies, the host's own zone).
    if value.startswith(("posix/", "right/")) or value in ("localtime", "posixrules"):
        canonical = value.partition("/")[2] if "/" in value else "Etc/UTC"
        raise ValueError(
            f"{value!r} is a file of this machine's zoneinfo folder, not a canonical IANA time"
            f" zone name: write {canonical!r}"
        )
    if zoneinfo.available_timezones():  # no database here: the API server decides
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a known IANA time zone (e.g. Etc/UTC, Europe/Paris)"
            ) from None
    return value


def github_repo(value: str) -> str:
    if not _REPO.fullmatch(value) or value.split("/")[1] in (".", ".."):
        raise ValueError(
            f"{value!r} is not a GitHub repository owner/name (e.g. falcosecurity/falco)"
        )
    return value


def python_pattern(value: _Text) -> _Text:
    """A regular expression the runtime (Python's re) searches with."""
    if value is None:
        return value
    try:
        re.compile(value)
    except re.error as err:
        raise ValueError(f"{value!r} is not a valid regular expression: {err}") from None
    return value


def http_url(value: str) -> str:
    if not _ABSOLUTE_URL.fullmatch(value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.rstrip("/")


def api_version(value: str) -> str:
    _kube(kube.api_version_problem(value))
    return value


def resource_plural(value: _Text) -> _Text:
    if value is not None:
        _kube(kube.plural_problem(value))
    return value


def label_selector(value: dict[str, str]) -> dict[str, str]:
    """Label key -> value pairs; an empty value would select too much."""
    for key, item in value.items():
        _kube(kube.label_key_problem(key))
        if not item:
            raise ValueError(f"{key}: an empty value would select every object without it")
        _kube(kube.label_value_problem(item))
    return value


def label_keys(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        _kube(kube.label_key_problem(key))
    return value


def config_map_key_template(value: str) -> str:
    """A ConfigMap key with {param} references; its literal parts must be key characters."""
    from generator.contract.apply import key_template  # only configs with a deploy pay

    parts = key_template(value)
    if not parts:
        raise ValueError("an empty key")
    for part in parts:
        if isinstance(part, str) and not re.fullmatch(f"[{kube.CONFIG_MAP_KEY_CHARS}]+", part):
            raise ValueError(
                f"{part!r} can never be part of a ConfigMap key: use letters, digits, '-', '_'"
                " and '.' between the {param} references"
            )
    return value


def field_path(value: str) -> str:
    """A path into a document: names, [index] and ["quoted key"], nothing else."""
    from generator.config.paths import parse_whole

    loc = parse_whole(value)
    if loc is None or not isinstance(loc[0], str):
        raise ValueError(
            f"{value!r} is not a field path: write spec.chart.spec.version,"
            ' metadata.annotations["example.com/key"] or spec.containers[0].image'
        )
    return value


def condition_type(value: str) -> str:
    problem = kube.label_key_problem(value)
    if problem:
        raise ValueError(f"{value!r} is not a condition type (e.g. Ready, Available)")
    return value


# -- shared behaviour (mixins of both the pydantic models and lite.py's twins) --


class ParamMixin:
    """What the builders ask of a param, beyond its fields."""

    if TYPE_CHECKING:
        name: str
        type: Literal["string", "boolean"]
        required: bool
        default: str | bool | None
        pattern: str | None
        enum: list[str] | None
        max_length: int | None
        label: str | None

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
        if self.pattern is not None and not patterns.listener_matches(self.pattern, value):
            return f"does not match pattern {self.pattern!r}"
        if self.max_length is not None and len(value) > self.max_length:
            return f"is longer than maxLength {self.max_length}"
        if self.label is not None and kube.label_value_problem(value):
            return "is not a valid label value"
        return None


class AcceptedEventMixin:
    if TYPE_CHECKING:
        type: str | None
        type_prefix: str | None

    @property
    def type_text(self) -> str:
        return self.type if self.type is not None else str(self.type_prefix)


class ReleaseProjectMixin:
    if TYPE_CHECKING:
        repo: str
        name: str | None

    @property
    def project(self) -> str:
        """The project param's value: the name, else the repository's name."""
        return self.name if self.name is not None else self.repo.split("/")[1]


class CleanupTargetMixin:
    if TYPE_CHECKING:
        api_version: str
        kind: str
        plural: str | None

    @property
    def resource(self) -> str:
        """The plural resource name: as set, else Kubernetes' UnsafeGuessKindToResource."""
        if self.plural is not None:
            return self.plural
        lower = self.kind.lower()
        if lower.endswith("s"):
            return lower + "es"
        if lower.endswith("y"):
            return lower[:-1] + "ies"
        return lower + "s"

    @property
    def group(self) -> str:
        group, slash, _ = self.api_version.rpartition("/")
        return group if slash else ""


# -- model rules -------------------------------------------------------------


def one_sink(sink: _Sink) -> _Sink:
    if (sink.uri is None) == (sink.ref is None):
        raise ValueError("set exactly one of 'uri' and 'ref'")
    return sink


def broker_created(broker: _Broker) -> _Broker:
    if not broker.create and (broker.channel_template is not None or broker.delivery is not None):
        raise ValueError(
            "channelTemplate and delivery configure a Broker benchgen creates: set"
            " 'create: true' or drop them (an existing Broker keeps its own settings)"
        )
    if broker.channel_template is not None and broker.broker_class != "MTChannelBasedBroker":
        raise ValueError(
            "channelTemplate configures the MTChannelBasedBroker class only; another class"
            f" ({broker.broker_class}) reads its own config: drop channelTemplate"
        )
    return broker


def one_event_type(accepted: _Accepted) -> _Accepted:
    if (accepted.type is None) == (accepted.type_prefix is None):
        raise ValueError("set exactly one of 'type' and 'typePrefix'")
    return accepted


def param_consistent(param: _Param) -> _Param:
    if param.required and param.default is not None:
        raise ValueError(
            "a required param cannot have a default: drop 'default' or set 'required: false'"
        )
    if param.pattern is not None and param.enum is not None:
        raise ValueError("use either 'pattern' or 'enum', not both")
    if param.type == "boolean":
        if param.pattern is not None or param.enum is not None:
            raise ValueError("a boolean param takes no 'pattern' or 'enum'")
        if param.default is not None and str(param.default).lower() not in ("true", "false"):
            raise ValueError(f"default {param.default!r} of a boolean param must be true or false")
    elif isinstance(param.default, bool):
        raise ValueError(
            "default of a string param must be a string: quote it (\"true\") or set 'type: boolean'"
        )
    if param.default is not None:
        problem = param.value_problem(param.default_text)
        if problem:
            raise ValueError(f"default {param.default_text!r} {problem}")
    return param


def poll_ordered(poll: _Poll) -> _Poll:
    if parse_duration(poll.interval) > parse_duration(poll.max_interval):
        raise ValueError(f"interval {poll.interval} is longer than maxInterval {poll.max_interval}")
    if parse_duration(poll.max_interval) > parse_duration(poll.timeout):
        raise ValueError(f"maxInterval {poll.max_interval} is longer than timeout {poll.timeout}")
    return poll


def cleanup_selects(target: _Target) -> _Target:
    if not target.labels and not target.labels_from_params:
        raise ValueError(
            "set 'labels' or 'labelsFromParams': a clean-up never deletes every object of a kind"
        )
    both = sorted(set(target.labels) & set(target.labels_from_params))
    if both:
        raise ValueError(f"label {both[0]!r} is in both 'labels' and 'labelsFromParams'")
    if target.namespace and target.namespace_from_param:
        raise ValueError("set 'namespace' or 'namespaceFromParam', not both")
    return target


def one_task_ref(ref: _TaskRef) -> _TaskRef:
    """A Task in the namespace (name, kind) or a resolver reference (resolver, params)."""
    if (ref.name is None) == (ref.resolver is None):
        raise ValueError(
            "set 'name' (a Task in the benchmark's namespace) or 'resolver' with 'params'"
            " (cluster, git, bundles, hub), not both"
        )
    if ref.name is not None and ref.params:
        raise ValueError("'params' go with 'resolver'; a Task named by 'name' takes none")
    if ref.resolver is not None and ref.kind is not None:
        raise ValueError("'kind' goes with 'name'; a resolver takes the kind in 'params'")
    return ref


def one_param_value(value: _Value) -> _Value:
    """A config param ({param}), an earlier task's result ({task, result}) or, in finally,
    a status ({status} or {aggregateStatus: true}); no free text."""
    forms = [
        value.param is not None,
        value.task is not None or value.result is not None,
        value.status is not None,
        value.aggregate_status,
    ]
    if forms[0] and forms[1]:
        raise ValueError("set 'param', or 'task' and 'result', not both")
    if sum(forms) > 1:
        raise ValueError(
            "set one of 'param', 'task' with 'result', 'status' or 'aggregateStatus', not several"
        )
    if value.task is not None or value.result is not None:
        if value.task is None or value.result is None:
            raise ValueError(
                "set 'param' (a param of spec.params) or both 'task' and 'result' (a result of"
                " an earlier task)"
            )
    elif not any(forms):
        raise ValueError(
            "set 'param' (a param of spec.params) or both 'task' and 'result' (a result of an"
            " earlier task); in finally also 'status' (a task) or 'aggregateStatus: true'"
        )
    return value


def one_volume(workspace: _Volume) -> _Volume:
    """A workspace binds exactly one volume source."""
    sources = [
        workspace.volume_claim_template,
        workspace.empty_dir,
        workspace.config_map,
        workspace.secret,
        workspace.persistent_volume_claim,
    ]
    if sum(s is not None for s in sources) != 1:
        raise ValueError(
            "set exactly one of 'volumeClaimTemplate', 'emptyDir', 'configMap', 'secret',"
            " 'persistentVolumeClaim'"
        )
    return workspace


def storage_quantity(value: str) -> str:
    """A volume size: a memory-style quantity above zero."""
    memory_quantity(value)
    if quantity_value(value) == 0:
        raise ValueError(f"{value!r} is no room at all: give a size such as 1Gi")
    return value


def optional_storage_quantity(value: _Text) -> _Text:
    if value is not None:
        storage_quantity(value)
    return value


def workspace_sub_path(value: _Text) -> _Text:
    """A directory inside the volume: relative, no '..', no $(...) substitution."""
    if value is None:
        return value
    parts = value.split("/")
    if not value or value.startswith("/") or ".." in parts or "" in parts:
        raise ValueError(
            f"{value!r} is not a relative directory: e.g. 'reports' or 'a/b', without '..',"
            " a leading or a doubled '/'"
        )
    if "$(" in value or not all(_SUB_PATH_PART.fullmatch(p) for p in parts):
        raise ValueError(f"{value!r}: use letters, digits, '.', '_' and '-' in each part")
    return value


_SUB_PATH_PART = re.compile(r"[A-Za-z0-9._-]+")


def probe_values(value: list[str]) -> list[str]:
    for text in value:
        if text != text.strip() or not _PROBE_VALUE.fullmatch(text):
            raise ValueError(
                f"{text!r} is no header value: printable ASCII, not blank, no space at either end"
            )
    return value


_PROBE_VALUE = re.compile(r"[\x21-\x7e][\x20-\x7e]*")


def scrape_interval(value: str) -> str:
    """A Prometheus scrape interval that is also a Go duration: whole h, m and s."""
    if not _SCRAPE_INTERVAL.fullmatch(value) or not any(c.isdigit() and c != "0" for c in value):
        raise ValueError(
            f"{value!r} is not a scrape interval: whole hours, minutes and seconds, in that"
            " order (e.g. 30s, 1m, 1m30s), more than zero"
        )
    return value


_SCRAPE_INTERVAL = re.compile(r"(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?")


# -- spec.pipeline.finally.notify.email (contract.notify holds the rules) -------------


def email_address(value: str) -> str:
    from generator.contract.notify import address_problem

    problem = address_problem(value)
    if problem:
        raise ValueError(f"{value!r} is {problem}")
    return value


def email_addresses(value: list[str]) -> list[str]:
    return [email_address(v) for v in value]


def smtp_host(value: str) -> str:
    from generator.contract.notify import host_problem

    problem = host_problem(value)
    if problem:
        raise ValueError(f"{value!r} is {problem}")
    return value
