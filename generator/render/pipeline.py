"""Config bytes in, manifests and YAML out: the one path every front end takes."""

from __future__ import annotations

from dataclasses import dataclass

from generator.compile import build
from generator.compile.meta import Manifest
from generator.config.load import load_bytes
from generator.config.models import Benchmark
from generator.config.names import resolve_namespace
from generator.render.emit import dump_stream


@dataclass
class Rendered:
    manifests: list[Manifest]
    warnings: list[str]
    source: str

    def stream(self) -> str:
        return dump_stream(self.manifests, self.source)


def render_bytes(data: bytes, name: str, namespace: str | None = None) -> Rendered:
    """Validate and build one config; raises ConfigError with every problem."""
    return render_built(load_bytes(data, name, namespace), name, namespace)


def render_built(bench: Benchmark, name: str, namespace: str | None = None) -> Rendered:
    result = build(bench, resolve_namespace(bench, namespace))
    return Rendered(result.manifests, result.warnings, name.rsplit("/", 1)[-1])
