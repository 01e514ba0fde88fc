"""The ``benchgen`` command.

Only the standard library is imported at the top: ``benchgen --version`` and
the kustomize plugin start on every build, so each subcommand imports what it
needs inside its function. Exit codes: 0 ok, 1 failure or drift, 2 invalid
input or usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from generator import __version__

if TYPE_CHECKING:
    from generator.compile import Build

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXAMPLE_NAME = "benchmark.yaml.example"
DEFAULT_SCHEMA_DIR = "schemas"


def _example_bytes() -> bytes:
    from importlib.resources import files

    return (files("generator") / "data" / EXAMPLE_NAME).read_bytes()


def _compile(config: str | None, namespace: str | None) -> tuple[Build, str]:
    """Load, validate and build; returns the build and the name to print in headers."""
    from generator.compile import build
    from generator.config.load import load_bytes, load_file
    from generator.config.names import resolve_namespace

    if config is None:
        bench = load_bytes(_example_bytes(), EXAMPLE_NAME, namespace)
        source = EXAMPLE_NAME
    else:
        bench = load_file(config, namespace)
        source = Path(config).name
    result = build(bench, resolve_namespace(bench, namespace))
    for warning in result.warnings:
        print(f"benchgen: warning: {warning}", file=sys.stderr)
    return result, source


def cmd_render(args: argparse.Namespace) -> int:
    result, source = _compile(args.config, args.namespace)
    if args.output:
        from generator.render.files import render_files, write_directory

        write_directory(Path(args.output), render_files(result.manifests, source))
        print(f"benchgen: wrote {len(result.manifests)} objects to {args.output}", file=sys.stderr)
        return EXIT_OK
    from generator.render.emit import dump_stream

    sys.stdout.write(dump_stream(result.manifests, source))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    result, _ = _compile(args.config, args.namespace)
    print(f"{args.config}: ok ({len(result.manifests)} objects)", file=sys.stderr)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    import difflib

    from generator.render.files import read_directory, render_files

    directory = Path(args.directory)
    if not directory.is_dir():
        print(
            f"benchgen: {directory}: no such directory; run 'benchgen render -o'", file=sys.stderr
        )
        return EXIT_FAIL
    result, source = _compile(args.config, args.namespace)
    want = render_files(result.manifests, source)
    have = read_directory(directory)
    diff: list[str] = []
    for name in sorted(set(want) | set(have)):
        if want.get(name) == have.get(name):
            continue
        diff.extend(
            difflib.unified_diff(
                have.get(name, "").splitlines(keepends=True),
                want.get(name, "").splitlines(keepends=True),
                fromfile=f"{directory}/{name}" if name in have else "/dev/null",
                tofile=f"rendered/{name}" if name in want else "/dev/null",
            )
        )
    if diff:
        sys.stdout.writelines(line if line.endswith("\n") else line + "\n" for line in diff)
        print(
            f"benchgen: {directory} differs from what {args.config} renders;"
            f" run 'benchgen render {args.config} -o {directory}'",
            file=sys.stderr,
        )
        return EXIT_FAIL
    print(f"benchgen: {directory} is up to date", file=sys.stderr)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from generator.config.schema import SCHEMA_FILE, schema_text

    path = Path(args.dir) / SCHEMA_FILE
    text = schema_text()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(
                f"benchgen: {path} is out of date; run 'benchgen schema' and commit it",
                file=sys.stderr,
            )
            return EXIT_FAIL
        print(f"benchgen: {path} is up to date", file=sys.stderr)
        return EXIT_OK
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    print(f"benchgen: wrote {path}", file=sys.stderr)
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from generator.errors import UsageError

    path = Path(args.path)
    if path.exists() and not args.force:
        raise UsageError(f"{path}: already exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(_example_bytes())
    tmp.replace(path)
    print(f"benchgen: wrote {path}; edit it, then run 'benchgen validate {path}'", file=sys.stderr)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchgen",
        description="Compile benchmark.yaml into Tekton, Tekton Triggers and Knative manifests.",
    )
    parser.add_argument("--version", action="version", version=f"benchgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def namespace_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "-n",
            "--namespace",
            help="namespace when metadata.namespace is empty (default: 'default')",
        )

    render = sub.add_parser("render", help="print or write the manifests")
    render.add_argument("config", nargs="?", help="config file (default: the embedded example)")
    render.add_argument(
        "-o", "--output", metavar="DIR", help="write one file per object plus kustomization.yaml"
    )
    namespace_option(render)
    render.set_defaults(func=cmd_render)

    validate = sub.add_parser("validate", help="report every problem in a config")
    validate.add_argument("config")
    namespace_option(validate)
    validate.set_defaults(func=cmd_validate)

    check = sub.add_parser("check", help="exit 1 with a diff when DIR is not what render writes")
    check.add_argument("config")
    check.add_argument("directory", metavar="DIR")
    namespace_option(check)
    check.set_defaults(func=cmd_check)

    schema = sub.add_parser("schema", help="write (or --check) the JSON Schema of benchmark.yaml")
    schema.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    schema.add_argument("--dir", default=DEFAULT_SCHEMA_DIR, help="default: %(default)s")
    schema.set_defaults(func=cmd_schema)

    init = sub.add_parser("init", help="write a commented starter config")
    init.add_argument("path", nargs="?", default="benchmark.yaml")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=cmd_init)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    from generator.errors import ConfigError, UsageError

    try:
        return func(args)
    except ConfigError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        count = len(err.problems)
        print(f"benchgen: {count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as err:
        print(f"benchgen: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK  # `benchgen render | head` is fine


if __name__ == "__main__":
    sys.exit(main())
