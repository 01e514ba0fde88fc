"""Config bytes in, manifests and YAML out: the one path every front end takes."""

from __future__ import annotations

from typing import NamedTuple

from generator.compile import build
from generator.compile.meta import Manifest
from generator.config import fastload
from generator.config.names import resolve_namespace
from generator.render.emit import dump_stream

# Annotations only: the plugin's fast path passes lite.py's pydantic-free twins.
TYPE_CHECKING = False  # typing costs start-up time on the plugin's cold path
if TYPE_CHECKING:
    from generator.config.models import Benchmark


# A NamedTuple, not a dataclass: dataclasses imports inspect, ~15 ms of every
# cold plugin run (the kustomize plugin is spawned on every build).
class Rendered(NamedTuple):
    manifests: list[Manifest]
    warnings: list[str]
    benchmark: str  # metadata.name, named in the header comment

    def stream(self) -> str:
        return dump_stream(self.manifests, self.benchmark)


def render_bytes(data: bytes, name: str, namespace: str | None = None) -> Rendered:
    """Validate and build one config; raises ConfigError with every problem.

    The pydantic-free fast path answers when it is sure the config is valid;
    otherwise the full loader decides and words every problem.
    """
    bench = fastload.load_bytes(data, namespace)
    if bench is None:
        from generator.config.load import load_bytes

        bench = load_bytes(data, name, namespace)
    return render_built(bench, namespace)


def render_built(bench: Benchmark, namespace: str | None = None) -> Rendered:
    result = build(bench, resolve_namespace(bench, namespace))
    return Rendered(result.manifests, result.warnings, bench.metadata.name)
