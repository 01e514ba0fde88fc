"""Named Pipelines chosen per event (spec.pipeline.variants, spec.triggers.select).

A variant is the benchmark's Pipeline with its own user Tasks and fixed param
values: the builders see it as a whole config whose ``spec.pipeline.tasks`` are
the variant's (and ``fixed_params`` its ``params``), with Names
whose Pipeline and TriggerTemplates carry the variant's name. So the variant's
Pipeline, TriggerTemplates and runs come from the very builders of the default
one, and the checks of the user's Tasks run on it unchanged.
"""

from __future__ import annotations

from typing import NamedTuple

from generator.config.names import VARIANT_LABEL, Names

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.models import Benchmark, PipelineVariantSpec

# The case target that names the Pipeline of spec.pipeline.tasks.
DEFAULT = "default"


class Variant(NamedTuple):
    """One Pipeline a selected event may run: the config and Names its builders read."""

    name: str  # DEFAULT or a spec.pipeline.variants name
    bench: Benchmark
    names: Names


class _With:
    """A config object seen with some fields replaced; the others are read through.

    Not a copy: the same works for pydantic models, lite.py's twins and partial.py's
    watching proxies, which then still see every field a check reads."""

    def __init__(self, base: object, **changes: object) -> None:
        self._base = base
        vars(self).update(changes)

    def __getattr__(self, name: str) -> object:  # only for the fields not replaced
        return getattr(self._base, name)


# The attribute a variant's view of spec.pipeline adds: its fixed param values.
_FIXED = "fixed_params"


def variant_bench(bench: Benchmark, variant: PipelineVariantSpec) -> Benchmark:
    """The config whose default Pipeline is ``variant``'s."""
    pipeline = _With(
        bench.spec.pipeline,
        tasks=list(variant.tasks),
        variants=[],
        **{_FIXED: {name: _text(value) for name, value in variant.params.items()}},
    )
    spec = _With(bench.spec, pipeline=pipeline)
    return _With(bench, spec=spec)  # type: ignore[return-value]


def fixed_params(bench: Benchmark) -> dict[str, str]:
    """Param -> the value this Pipeline's runs get whatever the event says: a variant's
    ``params`` (as Tekton text); none for the default Pipeline."""
    fixed: dict[str, str] = getattr(bench.spec.pipeline, _FIXED, {})
    return fixed


def _text(value: str | bool) -> str:
    """A fixed value as Tekton carries it (a YAML boolean as true/false)."""
    return str(value).lower() if isinstance(value, bool) else value


def variant_names(names: Names, variant: str) -> Names:
    """``names`` with the variant's Pipeline and TriggerTemplates, labelled with its name."""
    return names._replace(
        pipeline=f"{names.pipeline}-{variant}",
        template=f"{names.template}-{variant}",
        events_template=f"{names.events_template}-{variant}",
        labels=dict(sorted({**names.labels, VARIANT_LABEL: variant}.items())),
    )


def variants(bench: Benchmark, names: Names) -> list[Variant]:
    """Every named variant, in config order (the default Pipeline is not among them)."""
    return [
        Variant(v.name, variant_bench(bench, v), variant_names(names, v.name))
        for v in bench.spec.pipeline.variants
    ]


def targets(bench: Benchmark, names: Names) -> list[tuple[Variant, list[str]]]:
    """Each Pipeline spec.triggers.select names, with the event values that run it, in the
    order of the first value naming it; a name no variant has (a finding) is left out."""
    select = bench.spec.triggers.select
    if select is None:
        return []
    known = {v.name: v for v in variants(bench, names)}
    known[DEFAULT] = Variant(DEFAULT, bench, names)
    values: dict[str, list[str]] = {}
    for value, target in select.cases.items():
        if target in known:
            values.setdefault(target, []).append(value)
    return [(known[target], found) for target, found in values.items()]
