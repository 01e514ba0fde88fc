"""The one way in for the CLI, the renderer and the plugin: ``load`` a config.

The pydantic-free fast path (fastload.py) answers when it is sure the config is
valid, else the full loader (fullload.py) decides and words every problem with its
file:line:col. Both are imported on call: a cold plugin run pays for its path only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from generator.config.names import Names
from generator.errors import ConfigError, Problem

if TYPE_CHECKING:
    from pathlib import Path

    from generator.config.models import Benchmark


class Loaded(NamedTuple):
    """A valid config and its names: derived once, read by the checks and the builders."""

    bench: Benchmark
    names: Names  # names.namespace: where the objects go


def load(
    config: bytes | Any, name: str, namespace: str | None = None, *, fast: bool = True
) -> Loaded:
    """Validate one config; raise ConfigError with every problem.

    ``config`` is the file's bytes, or a KRM functionConfig node (parsed with
    its ResourceList by ruamel.yaml); ``name`` is what messages call it.
    ``fast=False`` takes the full path whatever the config (``benchgen validate``).
    """
    if fast:
        from generator.config import fastload
    if isinstance(config, bytes):
        loaded = fastload.load_bytes(config, namespace) if fast else None
        if loaded is None:
            from generator.config import fullload

            loaded = fullload.load_bytes(config, name, namespace)
        return loaded
    from generator.config import fullload  # ruamel.yaml parsed the node: nothing more to import

    document = fullload.plain_document(config) if fast else None
    loaded = None if document is None else fastload.load_document(document, namespace)
    return loaded or fullload.load_node(config, name, namespace)


def load_file(path: str | Path, namespace: str | None = None, *, fast: bool = True) -> Loaded:
    """Read and validate a config file (see ``load``)."""
    from generator.config.source import SourceError, read_config

    name = str(path)
    try:
        data = read_config(name)
    except SourceError as err:
        raise ConfigError([Problem(name, 0, 0, "", str(err))]) from None
    return load(data, name, namespace, fast=fast)
