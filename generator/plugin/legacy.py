"""kustomize's legacy exec generator plugin.

kustomize runs the plugin from the kustomization root with the path of a
file holding the generator config (our Benchmark) as its only argument, and
reads the generated objects as YAML from stdout. Errors go to stderr with a
non-zero exit, which kustomize reports with the plugin's message.
"""

from __future__ import annotations

from generator.config.load import load
from generator.errors import ConfigError
from generator.render.output import render

# kustomize hands us a temporary copy of the config, whose name changes on
# every build; problems are reported against this fixed name instead (the
# output itself names the Benchmark, never the file).
CONFIG_NAME = "generator-config"


def run_exec(path: str, data: bytes) -> tuple[int, bytes, bytes]:
    """(exit code, stdout, stderr) for one plugin call; never reads the cluster."""
    del path  # only its content matters (see CONFIG_NAME)
    try:
        rendered = render(load(data, CONFIG_NAME))
    except ConfigError as err:
        lines = "".join(f"{p}\n" for p in err.problems)
        return 2, b"", lines.encode()
    warnings = "".join(f"benchgen: warning: {w}\n" for w in rendered.warnings)
    return 0, rendered.stream().encode(), warnings.encode()
