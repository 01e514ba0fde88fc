"""The listener's CEL: one filter that rejects bad events, one overlay per param.

Each param becomes a check in the filter (present when required, of the right
type, matching its constraint) and an overlay that puts its value, default
applied, at ``extensions.benchgen.<snake_name>``, which the TriggerBinding
reads. Everything here is derived from config; no event value is ever
spliced into an expression.
"""

from __future__ import annotations

from generator.config.facts import IMAGE_VALUE_PATTERN
from generator.config.patterns import BLANK_PATTERN, listener_regex
from generator.contract.names import LABEL_VALUE_PATTERN
from generator.contract.params import ESCAPES as PARAM_ESCAPES

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import ParamSpec

EXTENSION_ROOT = "benchgen"


def literal(text: str) -> str:
    """A CEL single-quoted string literal holding exactly ``text``."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f"'{escaped}'"


def extension_key(param: ParamSpec) -> str:
    return f"{EXTENSION_ROOT}.{param.snake}"


def _source(param: ParamSpec) -> tuple[str, str]:
    """(presence test, value expression) of a param's source."""
    return _source_of(param.from_)


def _source_of(from_: str) -> tuple[str, str]:
    """(presence test, value expression) of a body.<path> or header.<Name> source."""
    kind, _, rest = from_.partition(".")
    if kind == "header":
        value = f"header.canonical({literal(rest)})"
        return f"{value} != ''", value
    # JSON null counts as absent (webhook senders often send null for "not set"),
    # and each level is tested before the next is selected (selecting a field of
    # a missing or null object is an error in CEL).
    parts = from_.split(".")
    levels = [".".join(parts[: i + 1]) for i in range(1, len(parts))]
    presence = " && ".join(f"has({level}) && {level} != null" for level in levels)
    return presence, from_


def _constraints(param: ParamSpec, value: str, image: bool, label: bool = False) -> list[str]:
    checks: list[str] = []
    if param.enum is not None:
        checks.append(f"{value} in [{', '.join(literal(v) for v in param.enum)}]")
    if param.pattern is not None:
        checks.append(f"{value}.matches({literal(listener_regex(param.pattern))})")
    if param.max_length is not None:
        checks.append(f"size({value}) <= {param.max_length}")
    if param.label is not None or label:
        checks.append(f"size({value}) <= 63 && {value}.matches({literal(LABEL_VALUE_PATTERN)})")
    if image:
        checks.append(f"{value}.matches({literal(IMAGE_VALUE_PATTERN)})")
    return checks


def param_check(param: ParamSpec, image: bool = False, label: bool = False) -> str:
    """The filter clause for one param: true when the event's value is acceptable."""
    presence, value = _source(param)
    if param.type == "boolean":
        typed = f"(type({value}) == bool || {value} in ['true', 'false'])"
        if param.required:
            return f"{presence} && {typed}"
        return f"!({presence}) || type({value}) == bool || {value} in ['true', 'false', '']"
    typed = f"type({value}) == string"
    constraints = _constraints(param, value, image, label)
    if param.required:
        blank = literal(BLANK_PATTERN)
        clause = [presence, typed, f"!{value}.matches({blank})", *constraints]
        return " && ".join(clause)
    if not constraints:
        return f"!({presence}) || {typed}"
    return f"!({presence}) || ({typed} && ({value} == '' || {' && '.join(constraints)}))"


# Every param value leaves the listener with '%' and '$' escaped (PARAM_ESCAPES,
# contract/params.py) and the runtime undoes it (read_param). Three layers expand
# what reaches a step's env: Triggers (`$(tt.params.*)`, and it turns `$(` into
# `$$(`), Tekton (`$(params.*)`, `$(context.*)`, in several passes over
# substituted text) and the kubelet (`$(VAR)`, and `$$` becomes `$`). A value
# without '$' passes all three untouched, so the escaped form travels byte for
# byte. '%' comes first so that a literal '%24' in an event survives too.


def escaped(expression: str) -> str:
    """``expression`` (a CEL string) with PARAM_ESCAPES applied, in order."""
    for char, code in PARAM_ESCAPES:
        expression = f"{expression}.replace({literal(char)}, {literal(code)})"
    return expression


def param_value(param: ParamSpec) -> str:
    """Expression giving the param's value as a string, default applied."""
    presence, value = _source(param)
    as_text = f"string({value})" if param.type == "boolean" else value
    if param.required:
        return as_text
    return f"({presence} && {as_text} != '' ? {as_text} : {literal(param.default_text)})"


def param_overlay(param: ParamSpec) -> str:
    """The overlay: the param's value, escaped for the way to the step."""
    return escaped(param_value(param))


def build_filter(
    params: list[ParamSpec], image_params: set[str], label_params: frozenset[str] = frozenset()
) -> str:
    """``label_params``: also check as label values (their values become labels elsewhere)."""
    clauses = [
        f"({param_check(p, p.name in image_params, p.name in label_params)})" for p in params
    ]
    return "\n&& ".join(clauses)


def build_overlays(params: list[ParamSpec]) -> list[dict[str, str]]:
    return [{"key": extension_key(p), "expression": param_overlay(p)} for p in params]


def build_token_check(header: str, secret_name: str, secret_key: str) -> str:
    """Constant-time comparison of a header with a Secret key (Triggers' compareSecret)."""
    return (
        f"header.canonical({literal(header)})"
        f".compareSecret({literal(secret_key)}, {literal(secret_name)})"
    )


# CloudEvents in binary content mode: every attribute is a Ce-* header and the
# body is the event's data, so the params read it exactly as a webhook body.
CE_HEADERS = {"id": "Ce-Id", "type": "Ce-Type", "source": "Ce-Source", "subject": "Ce-Subject"}
CE_EXTENSION_ROOT = "cloudevent"
# A webhook run name is <runPrefix><eventIdParam value>: the value must be a DNS
# label's tail. Refused, not folded: lower-casing two ids into one name would
# silently drop an event. (A CloudEvent's run is named after the key of its
# source and id, so its id may be any non-empty string.)
EVENT_ID_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
MAX_ATTRIBUTE_LENGTH = 1024  # id, source and subject become PipelineRun annotations
BOUNDED_ATTRIBUTES = ("id", "source", "subject")


def ce_header(attribute: str) -> str:
    return f"header.canonical({literal(CE_HEADERS[attribute])})"


def ce_extension_key(attribute: str) -> str:
    return f"{CE_EXTENSION_ROOT}.{attribute}"


def event_id_check(value: str, room: int) -> str:
    """True when ``value`` can end a run name: DNS-safe and at most ``room`` characters.

    For a webhook's eventIdParam; a CloudEvent's id does not name its run.
    """
    return f"size({value}) <= {room} && {value}.matches({literal(EVENT_ID_PATTERN)})"


def build_binary_mode_check() -> str:
    """A CloudEvent 1.0 in binary mode, with the attributes the run records bounded.

    The id is any non-empty string (CloudEvents 1.0): it no longer forms the run
    name, only an annotation, so it is bounded like source and subject.
    """
    clauses = [
        "header.canonical('Ce-Specversion') == '1.0'",
        *(f"{ce_header(a)} != ''" for a in ("id", "type", "source")),
        *(f"size({ce_header(a)}) <= {MAX_ATTRIBUTE_LENGTH}" for a in BOUNDED_ATTRIBUTES),
    ]
    return " && ".join(clauses)


def build_type_check(
    accepted: list[tuple[str | None, str | None, str | None]], reserved: tuple[str, ...]
) -> str:
    """The event's type (and source) is one the Triggers accept, never a reserved one.

    ``accepted`` holds (exact type, type prefix, exact source) per accepted entry:
    the same filters the Knative Triggers apply, so a delivery from some other
    Trigger on the Broker is refused here too.
    """
    kind = ce_header("type")
    refused = " && ".join(f"!{kind}.startsWith({literal(r)})" for r in reserved)
    return f"({_type_alternatives(accepted)}) && {refused}"


def _type_alternatives(accepted: list[tuple[str | None, str | None, str | None]]) -> str:
    """``a || b ...``: the event matches one of the (exact type, type prefix, source)."""
    kind = ce_header("type")
    alternatives = []
    for exact, prefix, source in accepted:
        clause = (
            f"{kind} == {literal(exact)}"
            if exact is not None
            else (f"{kind}.startsWith({literal(prefix or '')})")
        )
        if source is not None:
            clause += f" && {ce_header('source')} == {literal(source)}"
        alternatives.append(f"({clause})")
    return " || ".join(alternatives)


def build_ce_overlays() -> list[dict[str, str]]:
    return [{"key": ce_extension_key(a), "expression": ce_header(a)} for a in CE_HEADERS]


# spec.triggers.select: 'ce-subject' is the binary-mode header of the subject.
CE_SUBJECT_SELECT = "ce-subject"


def build_select_check(from_: str, values: list[str]) -> str:
    """True when the event's value at ``from_`` is exactly one of ``values`` (a string:
    a closed set, each value a literal from config)."""
    source = "header.Ce-Subject" if from_ == CE_SUBJECT_SELECT else from_
    presence, value = _source_of(source)
    allowed = f"{value} in [{', '.join(literal(v) for v in values)}]"
    if source.startswith("header."):
        return allowed  # a header is a string, '' when absent (in no case: checks._select)
    return f"{presence} && type({value}) == string && {allowed}"


def build_probe_check(probes: list[tuple[str | None, str | None, str | None]]) -> str:
    """True when the event is no health probe: ``probes`` as in build_type_check. The
    listener answers a probe as every delivery (202) and this check ends its chain."""
    return f"!({_type_alternatives(probes)})"


def build_header_probe_check(header: str, values: list[str]) -> str:
    """True when the request is no probe: its ``header`` (canonical, '' when absent) is
    none of ``values``. Like build_probe_check, it ends a probe's chain, answered."""
    return f"!(header.canonical({literal(header)}) in [{', '.join(literal(v) for v in values)}])"
