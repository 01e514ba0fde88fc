"""A loaded config to what it renders to: manifests, warnings and the YAML stream.

The one step every front end (CLI, kustomize plugin, KRM function) takes
after ``config.load.load``.
"""

from __future__ import annotations

from typing import NamedTuple

from generator.compile import build
from generator.compile.meta import Manifest
from generator.render.emit import dump_stream

TYPE_CHECKING = False  # not typing's (a cold-start cost); lite.py's twins stand in for models
if TYPE_CHECKING:
    from generator.config.load import Loaded


# A NamedTuple, not a dataclass: dataclasses imports inspect, ~15 ms of every
# cold plugin run (the kustomize plugin is spawned on every build).
class Rendered(NamedTuple):
    manifests: list[Manifest]
    warnings: list[str]
    benchmark: str  # metadata.name, named in the header comment

    def stream(self) -> str:
        return dump_stream(self.manifests, self.benchmark)


def render(loaded: Loaded) -> Rendered:
    manifests, warnings = build(loaded.bench, loaded.names)
    return Rendered(manifests, warnings, loaded.bench.metadata.name)
