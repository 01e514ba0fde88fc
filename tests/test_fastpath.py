"""The plugin's pydantic-free fast path against the full (pydantic) path.

The fast path may decline anything (the caller then takes the full path), but
when it accepts, the full path must accept too and render the same bytes.
Checked on two layers:
  documents  every golden case and a generated corpus of mutations (dropped,
             renamed and retyped fields, out-of-range values, each validator's
             failure, cross-field problems): fast accepts iff pydantic accepts,
             except where pydantic coerces a value of another type (lax mode),
             where the fast path must decline;
  YAML       PyYAML's C parser as the fast path uses it against ruamel.yaml (the
             full path's parser): the same plain data, or a decline.
Plus: the generator refuses model constructs it cannot mirror.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from generator.config import codegen, fastload, fullload, lite, rules
from generator.config.load import Loaded
from generator.errors import ConfigError
from generator.render.output import render
from tests.conftest import EXAMPLE, GOLDEN

Path_ = tuple[str | int, ...]

CONFIGS = [EXAMPLE, *sorted(GOLDEN.glob("*/config.yaml"))]
GOOD = [c for c in CONFIGS if not c.parent.name.startswith("errors-")]


def case_id(config: Path) -> str:
    return "example" if config == EXAMPLE else config.parent.name


def document(config: Path) -> Any:
    """The plain data the full loader validates (parsed by ruamel.yaml)."""
    doc, _ = fullload._parse(config.read_bytes(), str(config))
    return doc


def full(doc: Any, namespace: str | None = None) -> Loaded | None:
    """The pydantic path on a document: the model, or None when it reports problems."""
    try:
        return fullload._load_document(
            copy.deepcopy(doc), fullload._Located(), "config.yaml", namespace
        )
    except ConfigError:
        return None


def rendered(loaded: Loaded) -> tuple[str, list[str]]:
    out = render(loaded)
    return out.stream(), out.warnings


def compare(doc: Any, namespace: str | None = None) -> tuple[bool, bool]:
    """(fast accepted, pydantic accepted); fails if fast accepted what pydantic did not."""
    slow = full(doc, namespace)
    fast = fastload.load_document(copy.deepcopy(doc), namespace)
    if fast is not None:
        assert slow is not None, "the fast path accepted a config pydantic rejects"
        assert rendered(fast) == rendered(slow)
    return fast is not None, slow is not None


# -- the corpus ----------------------------------------------------------------


def walk(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, index))


def changed(doc: Any, path: Path_, edit: Callable[[Any, str | int], None]) -> Any:
    out = copy.deepcopy(doc)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    edit(parent, path[-1])
    return out


def put(doc: Any, path: Path_, value: Any) -> Any | None:
    """doc with path set to value (creating the last key), or None if its parent is absent."""
    node = doc
    for part in path[:-1]:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            return None
    if isinstance(node, list) and not (isinstance(path[-1], int) and path[-1] < len(node)):
        return None

    def assign(parent: Any, key: str | int) -> None:
        parent[key] = copy.deepcopy(value)

    return changed(doc, path, assign)


RETYPES: list[Any] = [
    7,
    0,
    -1,
    1.5,
    True,
    False,
    None,
    "",
    "7",
    "true",
    "x",
    [],
    ["x"],
    {},
    {"x": "y"},
]

# Each validator's failure and each constraint's edge, plus accepted oddities
# (a trailing '/' the URL rule strips, empty optional values).
P = ("spec", "params")
TARGETED: list[tuple[Path_, Any]] = [
    (("apiVersion",), "benchgen.dev/v1"),
    (("kind",), "Benchmarks"),
    (("metadata", "name"), "Bad_Name"),
    (("metadata", "name"), "a" * 64),
    (("metadata", "name"), "x" * 40),  # valid itself, too long for derived names
    (("metadata", "namespace"), "Perf"),
    (("metadata", "namespace"), "n" * 63),  # the ClusterRoleBinding name gets too long
    (("metadata", "labels"), {"a": "b"}),
    (("metadata", "annotations"), {"config.kubernetes.io/path": "x.yaml"}),
    (("spec", "orchestrator", "url"), "ftp://orchestrator"),
    (("spec", "orchestrator", "url"), "http://orchestrator.{namespace}:8080/"),
    (("spec", "orchestrator", "url"), "https://o.example.com/api//"),
    (("spec", "orchestrator", "batchEndpoint"), "api/v1"),
    (("spec", "orchestrator", "batchEndpoint"), "/api/v1/"),
    (("spec", "orchestrator", "submitTimeout"), "5 minutes"),
    (("spec", "orchestrator", "submitTimeout"), "0s"),
    (("spec", "orchestrator", "submitTimeout"), "1h"),
    (("spec", "orchestrator", "request"), []),
    (("spec", "orchestrator", "request", 0, "field"), "a..b"),
    (("spec", "orchestrator", "request", 0, "field"), "jobSettings.nope"),
    (("spec", "orchestrator", "request", 0, "param"), "no-such-param"),
    (("spec", "orchestrator", "request", 0, "imageRepository"), "Quay.io/X"),
    (("spec", "orchestrator", "request", 0, "imageRepository"), "quay.io/x"),
    (("spec", "orchestrator", "request", 0, "required"), False),
    (("spec", "orchestrator", "request", 0, "required"), None),
    (("spec", "orchestrator", "request", 1), {"field": "promptsVersion"}),
    (("spec", "params"), []),
    (("spec", "params", 0, "name"), "Data"),
    (("spec", "params", 0, "name"), "a" * 51),
    (("spec", "params", 0, "from"), "query.x"),
    (("spec", "params", 0, "from"), "header.X-Ok"),
    (("spec", "params", 0, "type"), "integer"),
    (("spec", "params", 0, "type"), "boolean"),
    (("spec", "params", 0, "pattern"), "(?=x)"),
    (("spec", "params", 0, "pattern"), "("),
    (("spec", "params", 0, "pattern"), "e.*"),
    (("spec", "params", 0, "pattern"), None),
    (("spec", "params", 0, "enum"), []),
    (("spec", "params", 0, "enum"), ["eventlistener-webhook", "x"]),
    (("spec", "params", 0, "maxLength"), 0),
    (("spec", "params", 0, "maxLength"), 1),
    (("spec", "params", 0, "maxLength"), 65536),
    (("spec", "params", 0, "maxLength"), 65537),
    (("spec", "params", 0, "maxLength"), None),
    (("spec", "params", 0, "label"), "bad key!"),
    (("spec", "params", 0, "label"), "benchgen.dev/x"),
    (("spec", "params", 0, "label"), "app.kubernetes.io/managed-by"),
    (("spec", "params", 0, "annotation"), "/x"),
    (("spec", "params", 0, "annotation"), None),
    (("spec", "params", 0, "default"), True),
    (("spec", "params", 0, "default"), "has space"),
    (("spec", "params", 0, "default"), "x" * 300),
    (("spec", "params", 0, "required"), True),
    (("spec", "params", 1, "default"), "v1"),
    (("spec", "params", 1, "required"), False),
    (("spec", "params", 1, "name"), "submitted-by"),  # a duplicate
    (("spec", "params", 5, "default"), "yes"),
    (("spec", "params", 5, "default"), False),
    (("spec", "params", 5, "default"), "TRUE"),
    (("spec", "params", 5, "pattern"), "x"),
    (("spec", "params", 5, "type"), "string"),
    (("spec", "params", 4, "default"), "not a tag"),
    (("spec", "params", 4, "default"), "sha256:" + "0" * 64),
    (("spec", "triggers", "webhook", "auth"), {"type": "github"}),
    (("spec", "triggers", "webhook", "auth"), {"type": "none"}),
    (("spec", "triggers", "webhook", "auth"), {"type": "nope"}),
    (("spec", "triggers", "webhook", "auth"), {"type": "none", "secretRef": {"name": "x"}}),
    (("spec", "triggers", "webhook", "auth"), {"type": "token", "secretRef": {"name": "x"}}),
    (
        ("spec", "triggers", "webhook", "auth"),
        {"type": "token", "secretRef": {"name": "x"}, "header": "X Header"},
    ),
    (
        ("spec", "triggers", "webhook", "auth"),
        {"type": "gitlab", "secretRef": {"name": "x", "key": "k"}, "eventTypes": ["Push Hook"]},
    ),
    (("spec", "triggers", "webhook", "auth", "secretRef", "name"), "Bad_"),
    (("spec", "triggers", "webhook", "auth", "secretRef", "key"), "bad key"),
    (("spec", "triggers", "webhook", "auth", "secretRef", "key"), "k" * 254),
    (("spec", "triggers", "webhook", "auth", "eventTypes"), ["push"]),
    (("spec", "poll", "interval"), "10 minutes"),
    (("spec", "poll", "interval"), "20m"),
    (("spec", "poll", "maxInterval"), "9h"),
    (("spec", "poll", "timeout"), "30h"),
    (("spec", "poll", "failOn"), ["EXPLODED"]),
    (("spec", "poll", "failOn"), []),
    (("spec", "poll", "onUnknownStatus"), "retry"),
    (("spec", "pipeline", "image"), "quay.io/benchgen/poller:latest"),
    (("spec", "pipeline", "image"), "quay.io/benchgen/poller"),
    (("spec", "pipeline", "image"), "quay.io/benchgen/poller@sha256:abc"),
    (("spec", "pipeline", "image"), "Quay.io/benchgen/poller:1.0"),
    (("spec", "pipeline", "image"), "localhost:5000/poller:1.0"),
    (("spec", "pipeline", "timeout"), "1h"),
    (("spec", "pipeline", "finallyTimeout"), "2h"),
    (("spec", "pipeline", "serviceAccountName"), "Bad"),
    (("spec", "pipeline", "serviceAccountName"), "my.sa"),
    (("spec", "pipeline", "resources"), {"cpuRequest": "10 m"}),
    (("spec", "pipeline", "resources"), {"memoryLimit": "1.5Gi"}),
    (("spec", "names", "listener"), "L"),
    (("spec", "names", "listener"), "1listener"),
    (("spec", "names", "pipeline"), "p" * 60),
    (("spec", "names", "configMap"), None),
    (("spec", "labels"), {"app.kubernetes.io/managed-by": "me"}),
    (("spec", "labels"), {"team": "bad value!"}),
    (("spec", "labels"), {"bad key!": "x"}),
    (("spec", "labels"), {"team": "perf", "tier": "gold"}),
    # CloudEvents, observer and status API (applied where the base config has them)
    (("spec", "triggers", "webhook", "eventIdParam"), "no-such-param"),
    (("spec", "triggers", "webhook", "eventIdParam"), None),
    (("spec", "names", "runPrefix"), "Bad"),
    (("spec", "names", "runPrefix"), "r" * 41),
    (("spec", "names", "runPrefix"), "run-"),
    (CE := ("spec", "triggers", "cloudEvents"), {"accept": []}),
    ((*CE, "accept", 0, "type"), "has space"),
    ((*CE, "accept", 0, "type"), "dev.benchgen.run.started"),
    ((*CE, "accept", 0, "typePrefix"), "com.example."),
    ((*CE, "accept", 0, "source"), "x" * 254),
    ((*CE, "accept", 0, "name"), "Bad_Name"),
    ((*CE, "accept", 0), {"source": "/x"}),
    ((*CE, "accept", 1, "type"), "com.example.x"),
    ((*CE, "broker", "name"), "Bad"),
    ((*CE, "broker", "create"), False),
    ((*CE, "broker", "class"), "Kafka"),
    ((*CE, "broker", "channelTemplate", "kind"), "inMemory"),
    ((*CE, "broker", "channelTemplate", "apiVersion"), "messaging.knative.dev/v2"),
    ((*CE, "broker", "delivery", "retry"), 101),
    ((*CE, "broker", "delivery", "retry"), 0),
    ((*CE, "broker", "delivery", "backoffPolicy"), "random"),
    ((*CE, "broker", "delivery", "backoffDelay"), "2s"),
    ((*CE, "delivery", "deadLetterSink"), {}),
    ((*CE, "delivery", "deadLetterSink"), {"uri": "http://sink.example.com/x"}),
    ((*CE, "delivery", "deadLetterSink"), {"uri": "ftp://x", "ref": None}),
    ((*CE, "delivery", "deadLetterSink", "uri"), "http://sink"),
    ((*CE, "delivery", "deadLetterSink", "ref", "kind"), "service"),
    ((*CE, "delivery", "deadLetterSink", "ref", "name"), "Bad_"),
    ((*CE, "delivery", "deadLetterSink", "ref", "namespace"), "Bad"),
    ((*CE, "networkPolicy", "dispatcherNamespace"), "Bad"),
    ((*CE, "networkPolicy", "enabled"), True),
    (OB := ("spec", "observe"), {}),
    ((*OB, "observer", "sink"), "kafka"),
    ((*OB, "observer", "sink"), "https://events.example.com/in"),
    ((*OB, "observer", "namespaces"), []),
    ((*OB, "observer", "namespaces"), ["ok", "Bad"]),
    ((*OB, "observer", "tektonNamespace"), "Bad"),
    ((*OB, "observer", "logTailBytes"), -1),
    ((*OB, "observer", "logTailBytes"), 65537),
    ((*OB, "observer", "logTailBytes"), 65536),
    ((*OB, "statusApi", "auth", "type"), "digest"),
    ((*OB, "statusApi", "replicas"), 0),
    ((*OB, "statusApi", "replicas"), 11),
    ((*OB, "statusApi", "networkPolicy", "fromNamespaces"), []),
    ((*OB, "statusApi", "networkPolicy", "fromNamespaces"), ["Bad"]),
    ((*OB, "resources"), {"cpuRequest": "1"}),
    ((*OB, "resources"), {"cpuRequest": "1 cpu"}),
]

# Input pydantic coerces in lax mode (or accepts by field name): the fast path
# declines these, so they reach pydantic. Any other disagreement is a failure.
LAX = {"retype", "by-name"}


def corpus(doc: Any) -> Iterator[tuple[str, Any]]:
    for path, value in walk(doc):
        if not path:
            continue
        yield "drop", changed(doc, path, lambda parent, key: parent.pop(key))
        if isinstance(path[-1], str):

            def rename(parent: Any, key: str | int) -> None:
                parent[f"{key}x"] = parent.pop(key)

            yield "rename", changed(doc, path, rename)
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in str(path[-1]))
            if snake != path[-1]:

                def by_name(parent: Any, key: str | int, snake: str = snake) -> None:
                    parent[snake] = parent.pop(key)

                yield "by-name", changed(doc, path, by_name)
        for retype in RETYPES:
            if retype != value or type(retype) is not type(value):
                yield "retype", put(doc, path, retype)
    for path, value in TARGETED:
        mutated = put(doc, path, value)
        if mutated is not None:
            yield "targeted", mutated
    yield "extra-top", {**doc, "status": {}}


@pytest.mark.parametrize("config", GOOD, ids=case_id)
def test_golden_configs_take_the_fast_path(config: Path) -> None:
    for namespace in (None, "other-ns"):
        assert compare(document(config), namespace) == (True, True)


@pytest.mark.parametrize("config", [c for c in CONFIGS if c not in GOOD], ids=case_id)
def test_golden_error_cases_are_declined(config: Path) -> None:
    assert compare(document(config)) == (False, False)


@pytest.mark.parametrize("config", GOOD, ids=case_id)
def test_mutations_fast_accepts_iff_pydantic_accepts(config: Path) -> None:
    counts: dict[tuple[str, bool, bool], int] = {}
    for kind, doc in corpus(document(config)):
        if doc is None:
            continue
        fast, slow = compare(doc)
        if kind not in LAX:
            assert fast == slow, f"{kind}: fast {fast}, pydantic {slow}"
        counts[kind, fast, slow] = counts.get((kind, fast, slow), 0) + 1
    # The corpus exercises both answers, not only rejections.
    assert counts.get(("targeted", True, True), 0) >= 5, counts
    assert counts.get(("targeted", False, False), 0) >= 40, counts
    assert counts.get(("drop", True, True), 0) >= 1, counts
    assert counts.get(("retype", False, False), 0) >= 100, counts


def test_twins_have_the_models_fields_and_mixins() -> None:
    twins = fastload.load_document(document(EXAMPLE))
    models = full(document(EXAMPLE))
    assert twins is not None and models is not None
    bench, model = twins.bench, models.bench

    def pairs(a: Any, b: Any) -> Iterator[tuple[Any, Any]]:
        yield a, b
        if isinstance(b, BaseModel):
            for name in type(b).model_fields:
                yield from pairs(getattr(a, name), getattr(b, name))
        elif isinstance(b, list):
            for x, y in zip(a, b, strict=True):
                yield from pairs(x, y)

    for twin, original in pairs(bench, model):
        if isinstance(original, BaseModel):
            assert type(twin).__name__ == type(original).__name__
            assert type(twin).__module__ == lite.__name__
            mixins = [b for b in type(original).__mro__ if b.__module__ == rules.__name__]
            assert all(isinstance(twin, m) for m in mixins)
            assert set(vars(twin)) == set(type(original).model_fields)
        elif not (isinstance(original, list) and original and isinstance(original[0], BaseModel)):
            assert typed(twin) == typed(original)


# -- YAML: the fast parser reads what ruamel.yaml reads, or declines ------------

YAML_CASES = {
    "anchor": "metadata:\n  name: &n x\n",
    "alias": "a: &n x\nb: *n\n",
    "merge": "a: {x: y}\nb:\n  <<: {x: z}\n",
    "duplicate": "a: 1\na: 2\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "directive": "%YAML 1.1\n---\na: yes\n",
    "tag": "a: !!str 1\n",
    "custom tag": "a: !thing x\n",
    "tab": "a:\n\tb: 1\n",
    "bom": "\ufeffa: x\n",
    "yes": "a: yes\n",
    "octal": "a: 010\n",
    "octal 1.2": "a: 0o10\n",
    "hex": "a: 0x1F\n",
    "float": "a: 1.5\n",
    "exp": "a: 1e3\n",
    "inf": "a: .inf\n",
    "version": "a: 1.2.3\n",
    "sexagesimal": "a: 1:30\n",
    "underscore": "a: 1_000\n",
    "date": "a: 2024-01-01\n",
    "null forms": "a: ~\nb: null\nc:\nd: Null\n",
    "bools": "a: true\nb: False\nc: TRUE\n",
    "ints": "a: 0\nb: 12\nc: -3\nd: +4\n",
    "strings": "a: 30s\nb: 64Mi\nc: v1.0.0\nd: 1h30m\ne: 'yes'\nf: \"010\"\ng: x y\n",
    "blocks": "a: |\n  one\n  two\nb: >-\n  folded\n  text\n",
    "multiline plain": "a: one\n  two\n",
    "int key": "1: x\n",
    "bool key": "true: x\n",
    "null key": "~: x\n",
    "complex key": "? [a]\n: x\n",
    "flow": "a: {b: [1, x, 'y'], c: {}}\n",
    "scalar root": "just text\n",
    "list root": "- a\n",
    "empty": "",
    "comments only": "# nothing\n",
    "deep": "a: " + "[" * 40 + "]" * 40 + "\n",
    "control char": "a: \x07\n",
    "escape": 'a: "\\x41\\u00e9\\t"\n',
    "unicode": "a: héllo ☃\n",
    "crlf": "a: x\r\nb: y\r\n",
    "trailing spaces": "a: x   \nb: 'y'  \n",
    "invalid": "a: [\n",
    "json": '{"a": "x", "b": [1, 2]}\n',
}


def typed(value: Any) -> Any:
    """Value with every type spelled out, so 1 == True == 1.0 cannot hide a difference."""
    if isinstance(value, dict):
        return {typed(k): typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return ("int", int(value))  # ruamel's ScalarInt is an int to pydantic and to lite
    return (type(value).__name__, value)


def both_parsers(data: bytes) -> tuple[Any, Any]:
    try:
        fast = fastload._parse(data)
    except (fastload._Doubt, ValueError, RecursionError):
        fast = None
    try:
        slow, _ = fullload._parse(data, "x")
    except (ConfigError, fullload._TooDeep):
        slow = None
    return fast, slow


@pytest.mark.parametrize("name", sorted(YAML_CASES))
def test_fast_parser_reads_yaml_like_ruamel_or_declines(name: str) -> None:
    fast, slow = both_parsers(YAML_CASES[name].encode())
    if fast is not None:
        assert slow is not None and typed(fast) == typed(slow)


def test_fast_parser_on_configs_and_bytes() -> None:
    for config in CONFIGS:
        fast, slow = both_parsers(config.read_bytes())
        assert fast is not None and typed(fast) == typed(slow), config
    assert both_parsers(b"a: \xff\n") == (None, None)
    assert both_parsers(b"a: " + b"x" * (2 << 20)) == (None, None)


def test_yaml_mutations_end_to_end() -> None:
    """render_bytes through the fast path vs the full loader, on textual edits of the example."""
    text = EXAMPLE.read_text()
    edits = {
        "as is": text,
        "bom": "\ufeff" + text,
        "crlf": text.replace("\n", "\r\n"),
        "anchor": text.replace("name: benchmark-mlop", "name: &n benchmark-mlop"),
        "duplicate": text.replace('  namespace: ""', '  namespace: ""\n  namespace: x'),
        "second document": text + "---\na: 1\n",
        "unquoted yes": text.replace("default: eventlistener-webhook", "default: yes"),
        "quoted true": text.replace("default: true", 'default: "true"'),
        "block description": text.replace(
            "description: DVC data version tag", "description: |\n        DVC data\n        tag"
        ),
        "tab": text.replace("  poll:\n", "  poll:\n\t\n"),
        "version 1.1": "%YAML 1.1\n---\n" + text,
    }
    for name, edited in edits.items():
        data = edited.encode()
        fast = fastload.load_bytes(data)
        try:
            slow: Loaded | None = fullload.load_bytes(data, "config.yaml")
        except ConfigError:
            slow = None
        if fast is not None:
            assert slow is not None, name
            assert rendered(fast) == rendered(slow), name
    assert fastload.load_bytes(text.encode()) is not None
    assert fastload.load_bytes(edits["crlf"].encode()) is not None
    assert fastload.load_bytes(edits["block description"].encode()) is not None


# -- the generator refuses what it cannot mirror --------------------------------


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _inline(value: str) -> str:
    return value


class _Before(_Base):
    x: str
    _x = field_validator("x", mode="before")(rules.param_name)


class _NotFromRules(_Base):
    x: str
    _x = field_validator("x")(_inline)


class _Pattern(_Base):
    x: str = Field(pattern="^a$")


class _Float(_Base):
    x: float


class _Method(_Base):
    x: str

    def shout(self) -> str:
        return self.x.upper()


class _Computed(_Base):
    x: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def y(self) -> str:
        return self.x


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    x: str


class _Ignore(BaseModel):
    model_config = ConfigDict(extra="ignore")
    x: str


class _A(_Base):
    a: str


class _B(_Base):
    b: str


class _Untagged(_Base):
    x: _A | _B


class _NestedAnnotated(_Base):
    x: list[Annotated[str, Field(min_length=2)]]


class _IntLiteral(_Base):
    x: Literal[1, 2]


class _WrapModel(_Base):
    x: str
    _m = model_validator(mode="before")(rules.param_consistent)


class _ValidateDefault(_Base):
    x: str = Field("a", validate_default=True)


@pytest.mark.parametrize(
    "model",
    [
        _Before,
        _NotFromRules,
        _Pattern,
        _Float,
        _Method,
        _Computed,
        _Strict,
        _Ignore,
        _Untagged,
        _NestedAnnotated,
        _IntLiteral,
        _WrapModel,
        _ValidateDefault,
    ],
    ids=lambda m: m.__name__,
)
def test_generator_fails_loudly_on_unknown_constructs(model: type[BaseModel]) -> None:
    with pytest.raises(codegen.CodegenError):
        codegen.lite_text(model)


def test_committed_lite_module_is_current() -> None:
    assert codegen.LITE_FILE.read_text() == codegen.lite_text(), "run 'benchgen schema'"
