"""Write ``lite.py``: the models' pydantic-free twin for the plugin's fast path.

The pydantic models stay the single source of truth. This module reads them
(fields, types, aliases, defaults, constraints, validators, mixins) and
emits plain classes plus one strict checking function per model that calls
the very functions from ``rules.py`` the models' validators are. The fast
path only has to be exactly right when it accepts: whenever a value is not
of the one obvious type (pydantic's lax coercions, a populate-by-name key,
anything unusual) the generated code raises ``Doubt`` and the caller asks
pydantic, which alone words the errors.

A construct this generator does not know (a ``before`` validator, a pattern
constraint, a computed field, a method defined on a model instead of a
mixin, ...) is an error here, never a silently skipped check.
``benchgen schema`` writes the file and ``--check`` (and a test) fails when
the committed copy is stale.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from pathlib import Path
from textwrap import indent
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel

from generator.config import rules
from generator.config.models import Benchmark

LITE_FILE = Path(__file__).with_name("lite.py")

# Model configuration this generator knows the meaning of. extra="forbid" is
# required: the generated code refuses unknown keys exactly like it.
_CONFIG_KEYS = {"extra", "alias_generator", "populate_by_name", "frozen", "title"}
# FieldInfo attributes a model may set explicitly; everything else is unknown.
_FIELD_ATTRIBUTES = {
    "annotation",
    "default",
    "default_factory",
    "alias",
    "alias_priority",
    "validation_alias",
    "serialization_alias",
    "description",
    "discriminator",
    "examples",
    "title",
    "json_schema_extra",
}
_SCALARS = {str: "_str", bool: "_bool", int: "_int"}
_CONSTRAINTS = {
    annotated_types.MinLen: ("len({v}) < {n}", "min_length"),
    annotated_types.MaxLen: ("len({v}) > {n}", "max_length"),
    annotated_types.Ge: ("{v} < {n}", "ge"),
    annotated_types.Gt: ("{v} <= {n}", "gt"),
    annotated_types.Le: ("{v} > {n}", "le"),
    annotated_types.Lt: ("{v} >= {n}", "lt"),
}
_JSON_LIKE = (str, bool, int, type(None))


class CodegenError(Exception):
    """The models use a construct the lite generator cannot mirror faithfully."""


_PRELUDE = '''\
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
'''


class _Writer:
    def __init__(self) -> None:
        self.functions: dict[str, str] = {}  # name -> source, in dependency order
        self.classes: list[str] = []
        self.seen_models: set[type[BaseModel]] = set()
        self.literals: dict[tuple[str, ...], str] = {}
        self.keys: list[str] = []  # the _KEYS_ constants, one block

    # -- types -------------------------------------------------------------

    def converter(self, annotation: Any, where: str) -> tuple[str, str]:
        """(function name that checks a value of this type, annotation text)."""
        if annotation in _SCALARS:
            return _SCALARS[annotation], annotation.__name__
        origin = get_origin(annotation)
        args = get_args(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            self.model(annotation)
            return f"_{annotation.__name__}", annotation.__name__
        if origin is Literal:
            return self.literal(args, where)
        if origin in (Union, types.UnionType):
            return self.union(args, where)
        if origin is list and len(args) == 1:
            item, text = self.converter(args[0], where)
            name = self.named(f"_list_{item.strip('_')}")
            self.function(
                name,
                f"def {name}(value: object) -> list[{text}]:\n"
                f"    return [{item}(item) for item in _list(value)]\n",
            )
            return name, f"list[{text}]"
        if origin is dict and len(args) == 2:
            key, key_text = self.converter(args[0], where)
            item, text = self.converter(args[1], where)
            name = self.named(f"_dict_{key.strip('_')}_{item.strip('_')}")
            self.function(
                name,
                f"def {name}(value: object) -> dict[{key_text}, {text}]:\n"
                f"    return {{{key}(k): {item}(v) for k, v in _dict(value).items()}}\n",
            )
            return name, f"dict[{key_text}, {text}]"
        raise CodegenError(f"{where}: unsupported type {annotation!r}")

    def named(self, base: str) -> str:
        return base.replace("[", "_").replace("]", "_").replace(" ", "")

    def function(self, name: str, source: str) -> None:
        known = self.functions.get(name)
        if known is not None and known != source:
            raise CodegenError(f"two different checks would be named {name}")
        self.functions[name] = source

    def literal(self, values: tuple[Any, ...], where: str) -> tuple[str, str]:
        if not values or not all(type(v) is str for v in values):
            raise CodegenError(f"{where}: only Literal[...] of strings is supported: {values!r}")
        text = f"Literal[{', '.join(repr(v) for v in values)}]"
        known = self.literals.get(values)
        if known:
            return known, text
        name = self.literals[values] = f"_literal_{len(self.literals) + 1}"
        # Returning the constant, mypy sees the Literal; `in` does not narrow a str to one.
        test, result = f"value == {values[0]!r}", repr(values[0])
        if len(values) > 1:
            test = f"value in ({', '.join(map(repr, values))})"
            result = "value  # type: ignore[return-value]"
        self.function(
            name,
            f"def {name}(value: object) -> {text}:\n    if type(value) is str and {test}:\n"
            f"        return {result}\n    raise Doubt\n",
        )
        return name, text

    def union(self, members: tuple[Any, ...], where: str) -> tuple[str, str]:
        optional = type(None) in members
        rest = tuple(m for m in members if m is not type(None))
        if len(rest) == 1:
            inner, text = self.converter(rest[0], where)
        elif all(m in _SCALARS for m in rest):
            # Disjoint exact types (bool is not an int here): at most one matches,
            # which is what pydantic's smart union picks for such input too.
            text = " | ".join(m.__name__ for m in rest)
            inner = self.named("_" + "_or_".join(m.__name__ for m in rest))
            test = " or ".join(f"type(value) is {m.__name__}" for m in rest)
            body = f"    if {test}:\n        return value\n    raise Doubt\n"
            self.function(inner, f"def {inner}(value: object) -> {text}:\n{body}")
        else:
            raise CodegenError(
                f"{where}: unsupported union {members!r} (only scalars, X | None, or a"
                " discriminated union of models)"
            )
        if not optional:
            return inner, text
        name = f"_optional{inner}" if inner.startswith("_") else f"_optional_{inner}"
        self.function(
            name,
            f"def {name}(value: object) -> {text} | None:\n"
            f"    return None if value is None else {inner}(value)\n",
        )
        return name, f"{text} | None"

    def tagged(self, annotation: Any, discriminator: str, where: str) -> tuple[str, str]:
        """A discriminated union of models: pick the model by its tag field."""
        members = get_args(annotation)
        if get_origin(annotation) not in (Union, types.UnionType) or not all(
            isinstance(m, type) and issubclass(m, BaseModel) for m in members
        ):
            raise CodegenError(f"{where}: a discriminator needs a union of models")
        keys: set[str] = set()
        table: list[tuple[str, str]] = []
        for model in members:
            field = model.model_fields.get(discriminator)
            if field is None or get_origin(field.annotation) is not Literal:
                raise CodegenError(f"{where}: {model.__name__}.{discriminator} is not a Literal")
            keys.add(field.alias or discriminator)
            self.model(model)
            table.extend((str(tag), f"_{model.__name__}") for tag in get_args(field.annotation))
        if len(keys) != 1:
            raise CodegenError(f"{where}: the union's tag field has different aliases: {keys}")
        (key,) = keys
        text = " | ".join(m.__name__ for m in members)
        name = f"_tagged_{'_'.join(m.__name__ for m in members)}"
        branches = "".join(
            f"    if tag == {tag!r}:\n        return {func}(value)\n" for tag, func in table
        )
        self.function(
            name,
            f"def {name}(value: object) -> {text}:\n"
            f"    tag = _dict(value).get({key!r})\n{branches}    raise Doubt\n",
        )
        return name, text

    # -- models ------------------------------------------------------------

    def model(self, model: type[BaseModel]) -> None:
        if model in self.seen_models:
            return
        self.seen_models.add(model)
        where = model.__name__
        self.check_model(model)
        decorators = model.__pydantic_decorators__
        field_rules: dict[str, list[str]] = {name: [] for name in model.model_fields}
        for decorator in decorators.field_validators.values():
            if decorator.info.mode != "after":
                raise CodegenError(
                    f"{where}.{decorator.cls_var_name}: mode {decorator.info.mode!r}"
                )
            rule = _rule(decorator.func, f"{where}.{decorator.cls_var_name}")
            for field in decorator.info.fields:
                if field not in field_rules:
                    raise CodegenError(f"{where}.{decorator.cls_var_name}: no field {field!r}")
                field_rules[field].append(rule)
        model_rules = []
        for model_decorator in decorators.model_validators.values():
            at = f"{where}.{model_decorator.cls_var_name}"
            if model_decorator.info.mode != "after":
                raise CodegenError(f"{at}: mode {model_decorator.info.mode!r}")
            model_rules.append(_rule(model_decorator.func, at))

        attributes: list[tuple[str, str]] = []
        body = [f"    data = _fields(value, _KEYS_{where})"]
        aliases: list[str] = []
        for name, info in model.model_fields.items():
            at = f"{where}.{name}"
            _check_field(info, at)
            alias = info.alias or name
            aliases.append(alias)
            if info.discriminator is not None:
                if not isinstance(info.discriminator, str):
                    raise CodegenError(f"{at}: only a field-name discriminator is supported")
                convert, text = self.tagged(info.annotation, info.discriminator, at)
            else:
                convert, text = self.converter(info.annotation, at)
            attributes.append((name, text))
            var, value, calls = f"f_{name}", f"{convert}(data[{alias!r}])", field_rules[name]
            test = " or ".join(_constraint(constraint, var, at) for constraint in info.metadata)
            checks = []
            if test:  # the constraints, then the validators, as pydantic orders them
                if " | None" in text:
                    test = f"{var} is not None and " + (f"({test})" if " or " in test else test)
                checks = [f"if {test}:\n    raise Doubt"]
                checks += [f"{var} = {_calls(calls, var)}"] if calls else []
            else:
                value = _calls(calls, value)
            # pydantic does not validate defaults (validate_default is off).
            fallback = "_missing()" if info.is_required() else self.default(info, at)
            if checks and not info.is_required():  # the checks are not for the default
                inner = indent("\n".join([f"{var} = {value}", *checks]), "    ")
                lines = [f"if {alias!r} in data:", inner, "else:", f"    {var} = {fallback}"]
            else:  # a container default gets the type, for mypy
                target = f"{var}: {text}" if fallback[0] in "[{" else var
                lines = [f"{target} = {value} if {alias!r} in data else {fallback}", *checks]
            body.append(indent("\n".join(lines), "    "))
        mixins = [base for base in model.__bases__ if not issubclass(base, BaseModel)]
        for mixin in mixins:
            if mixin.__module__ != rules.__name__ or getattr(rules, mixin.__name__) is not mixin:
                raise CodegenError(
                    f"{where}: mixin {mixin.__qualname__} must be defined in rules.py"
                )
        bases = ", ".join(f"rules.{m.__name__}" for m in mixins)
        params = ", ".join(f"{n}: {t}" for n, t in attributes)
        assigns = "".join(f"        self.{n} = {n}\n" for n, _ in attributes) or "        pass\n"
        self.classes.append(
            f"class {where}{f'({bases})' if bases else ''}:\n"
            f'    """Twin of models.{where}."""\n\n'
            f"    def __init__(self, {params}) -> None:\n{assigns}"
        )
        self.keys.append(f"_KEYS_{where} = frozenset({{{', '.join(repr(a) for a in aliases)}}})")
        args = ", ".join(f"f_{n}" for n, _ in attributes)
        body.append(f"    return {_calls(model_rules, f'{where}({args})')}\n")
        self.function(f"_{where}", f"def _{where}(value: object) -> {where}:\n" + "\n".join(body))

    def default(self, info: Any, where: str) -> str:
        factory = info.default_factory
        if factory is None:
            if not _json_like(info.default):
                raise CodegenError(f"{where}: default {info.default!r} is not a plain value")
            return repr(info.default)
        if isinstance(factory, type) and issubclass(factory, BaseModel):
            # pydantic builds it from nothing, running its validators: so do we.
            self.model(factory)
            return f"_{factory.__name__}({{}})"
        if factory not in (list, dict) and inspect.signature(factory).parameters:
            raise CodegenError(f"{where}: a default factory that takes the data")
        value = factory()
        if isinstance(value, BaseModel):
            # Already validated when the factory built it: the twin gets the same values.
            return self.instance(value, where)
        if not _json_like(value):
            raise CodegenError(f"{where}: default factory gives {value!r}, not a plain value")
        return repr(value)  # a literal: a fresh object on every call, like the factory

    def instance(self, value: BaseModel, where: str) -> str:
        """A constructor call of the twin holding exactly the values of a model instance."""
        self.model(type(value))
        args = []
        for name in type(value).model_fields:
            field = getattr(value, name)
            if isinstance(field, BaseModel):
                args.append(self.instance(field, where))
            elif _json_like(field):
                args.append(repr(field))
            else:
                raise CodegenError(f"{where}: default holds {field!r}, not a plain value")
        return f"{type(value).__name__}({', '.join(args)})"

    @staticmethod
    def check_model(model: type[BaseModel]) -> None:
        where = model.__name__
        config = dict(model.model_config)
        unknown = set(config) - _CONFIG_KEYS
        if unknown or config.get("extra") != "forbid":
            raise CodegenError(f"{where}: model_config {sorted(unknown)} / extra must be 'forbid'")
        decorators = model.__pydantic_decorators__
        for kind in ("validators", "root_validators", "computed_fields"):
            if getattr(decorators, kind):
                raise CodegenError(f"{where}: {kind} are not supported")
        if decorators.field_serializers or decorators.model_serializers:
            raise CodegenError(f"{where}: serializers are not supported")
        validators = {d.cls_var_name for d in decorators.field_validators.values()} | {
            d.cls_var_name for d in decorators.model_validators.values()
        }
        for klass in model.__mro__:
            if klass is BaseModel or not issubclass(klass, BaseModel):
                continue
            for attribute in vars(klass):
                if attribute.startswith("__") or attribute in ("model_config", "_abc_impl"):
                    continue
                if attribute in validators or attribute in model.model_fields:
                    continue
                # The builders would find it on the model and not on the twin.
                raise CodegenError(
                    f"{klass.__name__}.{attribute}: models hold fields and validators only;"
                    " put properties and methods in a mixin in rules.py"
                )
        if model.__private_attributes__:
            raise CodegenError(f"{where}: private attributes are not supported")


def _rule(func: Callable[..., Any], where: str) -> str:
    """The rules.py name of a validator function; anything else is refused."""
    name = getattr(func, "__name__", "")
    if getattr(rules, name, None) is not func:
        raise CodegenError(
            f"{where}: validators must be plain functions from rules.py attached with"
            " field_validator(...)(rules.f) / model_validator(mode='after')(rules.f)"
        )
    parameters = inspect.signature(func).parameters
    if len(parameters) != 1:
        raise CodegenError(f"{where}: rules.{name} must take exactly one argument (no info)")
    return name


def _calls(names: list[str], argument: str) -> str:
    """``rules.b(rules.a(argument))``: the validators in order."""
    for name in names:
        argument = f"rules.{name}({argument})"
    return argument


def _check_field(info: Any, where: str) -> None:
    unknown = set(info._attributes_set) - _FIELD_ATTRIBUTES
    if unknown:
        raise CodegenError(f"{where}: unsupported Field options {sorted(unknown)}")
    if info.validate_default or info.frozen:
        raise CodegenError(f"{where}: validate_default / frozen fields are not supported")
    if info.validation_alias not in (None, info.alias):
        raise CodegenError(f"{where}: a validation_alias other than the alias")


def _constraint(constraint: Any, var: str, where: str) -> str:
    spec = _CONSTRAINTS.get(type(constraint))
    if spec is None:
        raise CodegenError(f"{where}: unsupported constraint {constraint!r}")
    template, attribute = spec
    return template.format(v=var, n=repr(getattr(constraint, attribute)))


def _json_like(value: Any) -> bool:
    if isinstance(value, _JSON_LIKE):
        return True
    if isinstance(value, list | tuple):
        return all(_json_like(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_like(v) for k, v in value.items())
    return False


def lite_text(root: type[BaseModel] = Benchmark) -> str:
    """The source of lite.py for ``root`` and every model it reaches."""
    writer = _Writer()
    writer.model(root)
    parts = [_PRELUDE, *writer.classes, "\n".join(writer.keys), *writer.functions.values()]
    parts.append(
        f"def validate(document: object) -> {root.__name__}:\n"
        f'    """The config as twins of the models; raises Doubt unless surely valid."""\n'
        f"    return _{root.__name__}(document)\n"
    )
    return "\n\n".join(part.rstrip("\n") + "\n" for part in parts)
