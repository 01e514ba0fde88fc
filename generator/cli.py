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
    from generator.config.load import Loaded
    from generator.render.output import Rendered

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXAMPLE_NAME = "benchmark.yaml.example"
DEFAULT_SCHEMA_DIR = "schemas"
# The example's first line (pointing at schemas/ in this repository); `init`
# points it at the schema it writes beside the config.
SCHEMA_COMMENT = "# yaml-language-server: $schema="


def _example_bytes() -> bytes:
    from importlib.resources import files

    return (files("generator") / "data" / EXAMPLE_NAME).read_bytes()


def _load(config: str | None, namespace: str | None, *, fast: bool = True) -> Loaded:
    """The config file, or the embedded example; ``fast=False`` for the full loader only."""
    from generator.config.load import load, load_file

    if config is None:
        return load(_example_bytes(), EXAMPLE_NAME, namespace, fast=fast)
    return load_file(config, namespace, fast=fast)


def _render(config: str | None, namespace: str | None, fast: bool = True) -> Rendered:
    """Load, validate and build; warnings go to stderr."""
    from generator.render.output import render

    rendered = render(_load(config, namespace, fast=fast))
    for warning in rendered.warnings:
        print(f"benchgen: warning: {warning}", file=sys.stderr)
    return rendered


def cmd_render(args: argparse.Namespace) -> int:
    rendered = _render(args.config, args.namespace)
    if args.output:
        from generator.render.files import render_files, write_directory

        write_directory(Path(args.output), render_files(rendered.manifests, rendered.benchmark))
        count = len(rendered.manifests)
        print(f"benchgen: wrote {count} objects to {args.output}", file=sys.stderr)
        return EXIT_OK
    sys.stdout.write(rendered.stream())
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    rendered = _render(args.config, args.namespace, fast=False)
    print(f"{args.config}: ok ({len(rendered.manifests)} objects)", file=sys.stderr)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    import difflib

    from generator.errors import UsageError
    from generator.render.files import read_directory, render_files

    directory = Path(args.directory)
    if not directory.is_dir():
        # A usage error, not drift: check compares with the directory `render -o` writes.
        what = "is a file" if directory.exists() else "does not exist"
        raise UsageError(
            f"{directory}: {what}; check expects the directory that"
            f" 'benchgen render {args.config} -o DIR' writes (one file per object and a"
            " kustomization.yaml), not a rendered stream"
        )
    rendered = _render(args.config, args.namespace)
    want = render_files(rendered.manifests, rendered.benchmark)
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
    """Both files generated from the models: the JSON Schema and the fast path's lite.py."""
    from generator.config.codegen import LITE_FILE, lite_text
    from generator.config.schema import SCHEMA_FILE, schema_text

    outputs = [(Path(args.dir) / SCHEMA_FILE, schema_text()), (LITE_FILE, lite_text())]
    if args.check:
        stale = [
            path
            for path, text in outputs
            if (path.read_text(encoding="utf-8") if path.exists() else "") != text
        ]
        for path in stale:
            print(
                f"benchgen: {path} is out of date; run 'benchgen schema' and commit it",
                file=sys.stderr,
            )
        if stale:
            return EXIT_FAIL
        for path, _ in outputs:
            print(f"benchgen: {path} is up to date", file=sys.stderr)
        return EXIT_OK
    for path, text in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        print(f"benchgen: wrote {path}", file=sys.stderr)
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    """The example, and the JSON Schema its first line points at (a relative path, so
    the pair works offline, in any checkout and on any machine)."""
    import os

    from generator.config.schema import SCHEMA_FILE, SCHEMA_ID, schema_text
    from generator.errors import UsageError

    path = Path(args.path)
    schema_path = Path(args.schema) if args.schema else path.with_name(SCHEMA_FILE)
    if path.exists() and not args.force:
        raise UsageError(f"{path}: already exists; pass --force to overwrite it")
    schema = schema_text().encode("utf-8")
    if schema_path.is_dir() or schema_path.resolve() == path.resolve():
        raise UsageError(f"--schema {schema_path}: name a file other than the config")
    # An older benchgen's schema is brought up to date; anything else is kept.
    ours = f'"$id": "{SCHEMA_ID}"'.encode()
    if schema_path.exists() and not args.force and ours not in _read(schema_path):
        raise UsageError(
            f"{schema_path}: exists and is not benchgen's schema; choose another with"
            " --schema PATH, or pass --force to overwrite it"
        )
    # Relative to the config's directory, as editors resolve it (symlinks not followed).
    ref = os.path.relpath(schema_path, path.parent)
    example = _example_bytes().decode("utf-8")
    first, _, rest = example.partition("\n")
    assert first.startswith(SCHEMA_COMMENT), "the example must start with the schema comment"
    text = f"{SCHEMA_COMMENT}{Path(ref).as_posix()}\n{rest}"
    for target, data in ((schema_path, schema), (path, text.encode("utf-8"))):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
        except OSError as err:
            raise UsageError(f"{target}: cannot write it: {err.strerror}") from None
    print(
        f"benchgen: wrote {path} and the schema its first line names, {schema_path}; edit it,"
        f" then run 'benchgen validate {path}'",
        file=sys.stderr,
    )
    return EXIT_OK


def _read(path: Path) -> bytes:
    from generator.errors import UsageError

    try:
        return path.read_bytes()
    except OSError as err:
        raise UsageError(f"{path}: cannot read it: {err.strerror}") from None


def cmd_plugin_install(args: argparse.Namespace) -> int:
    from generator.plugin.install import install, plugin_path

    target = install(Path(args.to) if args.to else plugin_path())
    print(
        f"benchgen: installed the kustomize plugin at {target}\n"
        "  legacy generator:  kustomize build --enable-alpha-plugins DIR"
        " (kustomization: generators: [benchmark.yaml])\n"
        "  KRM function:      annotate the Benchmark with config.kubernetes.io/function:"
        f" {{exec: {{path: {target}}}}} and build with --enable-alpha-plugins --enable-exec",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_eventlistener(args: argparse.Namespace) -> int:
    import os

    from generator import cluster

    if args.kubeconfig:
        os.environ["KUBECONFIG"] = args.kubeconfig  # for kubectl too
    namespace = args.namespace or cluster.current_namespace(args.kubeconfig)
    rendered = _render(args.config, namespace)
    kubectl = cluster.find_kubectl(args.kubectl)
    benchmark = rendered.manifests[0]["metadata"]["labels"]["benchgen.dev/benchmark"]
    if args.clean:
        cluster.delete(rendered, namespace, kubectl, benchmark)
        print(f"benchgen: removed {benchmark} from namespace {namespace}", file=sys.stderr)
        return EXIT_OK
    cluster.apply(rendered, namespace, kubectl)
    print(cluster.next_steps(rendered, args.config or "", namespace), file=sys.stderr)
    return EXIT_OK


def cmd_trigger(args: argparse.Namespace) -> int:
    from generator import trigger
    from generator.errors import UsageError

    bench = _load(args.config, None, fast=False).bench
    fields = trigger.parse_fields(args.field)
    if args.cloudevent:
        if args.delivery is not None:
            raise UsageError("--delivery names a webhook delivery; a CloudEvent's is --id")
        options = trigger.CloudEventOptions(args.type, args.source, args.subject, args.id)
        event = trigger.build_cloudevent(bench, fields, options)
    else:
        for flag in ("type", "source", "subject", "id"):
            if getattr(args, flag) is not None:
                raise UsageError(f"--{flag} describes a CloudEvent: add --cloudevent")
        secret = trigger.read_secret(args.secret_file)
        event = trigger.build_event(bench, fields, secret, args.delivery)
    if args.dry_run:
        sys.stdout.write(trigger.request_text(args.url, event))
        return EXIT_OK
    status, answer = trigger.send(args.url, event)
    print(f"HTTP {status}: {answer.strip()}")
    ident = trigger.event_id(answer)
    if ident:
        print(f"event id: {ident}", file=sys.stderr)
    if event.cloudevent_id is not None and event.cloudevent_source is not None:
        # The listener's own id above is random; the event's source and id name the run.
        print(f"cloudevent id: {event.cloudevent_id}", file=sys.stderr)
        run = trigger.cloudevent_run_name(bench, event.cloudevent_source, event.cloudevent_id)
        print(f"run: {run}", file=sys.stderr)
    if event.delivery is not None:
        # Deduplication by delivery: the same delivery id names the same run.
        print(f"delivery: {event.delivery[0]}: {event.delivery[1]}", file=sys.stderr)
        print(f"run: {trigger.delivery_run_name(bench, event.delivery[1])}", file=sys.stderr)
    return EXIT_OK if 200 <= status < 300 else EXIT_FAIL


def cmd_replay(args: argparse.Namespace) -> int:
    """List the refused webhook events (generator.replay), or send one again."""
    import os

    from generator import replay, trigger
    from generator.errors import UsageError

    loaded = _load(args.config, args.namespace, fast=False)
    bench = loaded.bench
    if not bench.spec.triggers.webhook.record_refusals.enabled:
        raise UsageError(
            f"{args.config or EXAMPLE_NAME}: spec.triggers.webhook.recordRefusals.enabled is"
            " not true, so no refused event is recorded; enable it and apply the manifests"
        )
    if args.list and args.id:
        raise UsageError("give --list or an event id, not both")
    from generator.compile.refusals import name as record_name
    from generator.config.names import build_names, resolve_namespace

    kubectl = None
    namespace = resolve_namespace(bench, args.namespace)
    if args.from_file is None:
        from generator import cluster

        if args.kubeconfig:
            os.environ["KUBECONFIG"] = args.kubeconfig  # for kubectl too
        if args.namespace is None and not bench.metadata.namespace:
            namespace = cluster.current_namespace(args.kubeconfig)
        kubectl = cluster.find_kubectl(args.kubectl)
    names = build_names(bench, namespace)
    source = replay.Source(record_name(names), namespace, kubectl, args.from_file)
    records = replay.read_records(source)
    if args.id is None:
        sys.stdout.write(replay.listing(records))
        return EXIT_OK
    record = replay.pick(records, args.id)
    event = replay.build_event(bench, record, trigger.read_secret(args.secret_file))
    if args.dry_run:
        sys.stdout.write(trigger.request_text(args.url, event))
        return EXIT_OK
    status, answer = trigger.send(args.url, event)
    print(f"HTTP {status}: {answer.strip()}")
    ident = trigger.event_id(answer)
    if ident:
        # The listener's id of this new request: a refusal is recorded under it.
        print(f"event id: {ident} (replay of {record['id']})", file=sys.stderr)
    return EXIT_OK if 200 <= status < 300 else EXIT_FAIL


def _krm_from_stdin() -> int | None:
    """`benchgen` with no arguments and a ResourceList on stdin is a KRM function."""
    if sys.stdin is None or sys.stdin.isatty():
        return None
    from generator.plugin.fast import answer

    data = sys.stdin.buffer.read()
    if not data.strip():
        return None
    return answer("krm", data)


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

    schema = sub.add_parser(
        "schema", help="write (or --check) the JSON Schema and lite.py, both from the models"
    )
    schema.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    schema.add_argument("--dir", default=DEFAULT_SCHEMA_DIR, help="default: %(default)s")
    schema.set_defaults(func=cmd_schema)

    init = sub.add_parser("init", help="write a commented starter config")
    init.add_argument("path", nargs="?", default="benchmark.yaml")
    init.add_argument(
        "--schema",
        metavar="PATH",
        help="where to write the JSON Schema the config's first line points at"
        " (default: benchmark.schema.json beside the config)",
    )
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.set_defaults(func=cmd_init)

    plugin = sub.add_parser("plugin", help="kustomize plugin set-up")
    plugin_sub = plugin.add_subparsers(dest="plugin_command", required=True, metavar="COMMAND")
    install = plugin_sub.add_parser("install", help="install the kustomize exec plugin shim")
    install.add_argument(
        "--to", metavar="PATH", help="where to write it (default: kustomize's plugin directory)"
    )
    install.set_defaults(func=cmd_plugin_install)

    listener = sub.add_parser(
        "eventlistener", help="apply (or --clean) the rendered objects with kubectl"
    )
    listener.add_argument("config", nargs="?", help="config file (default: the embedded example)")
    listener.add_argument(
        "-n", "--namespace", help="default: the current kube context's namespace, else 'default'"
    )
    listener.add_argument(
        "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)"
    )
    listener.add_argument("--kubectl", help="kubectl binary (default: kubectl on PATH)")
    listener.add_argument(
        "--clean", action="store_true", help="delete this benchmark's runs, then its objects"
    )
    listener.set_defaults(func=cmd_eventlistener)

    send = sub.add_parser("trigger", help="send a test event that satisfies the params contract")
    send.add_argument("config", nargs="?", help="config file (default: the embedded example)")
    send.add_argument("--url", default="http://localhost:8080", help="default: %(default)s")
    send.add_argument(
        "--field", action="append", default=[], metavar="NAME=VALUE", help="a param value"
    )
    send.add_argument(
        "--secret-file", help="file holding the webhook secret (else $BENCHGEN_WEBHOOK_SECRET)"
    )
    send.add_argument(
        "--dry-run",
        action="store_true",
        help="print the whole request (method, URL, headers, body) and send nothing",
    )
    send.add_argument(
        "--cloudevent",
        action="store_true",
        help="send a binary-mode CloudEvent to the CloudEvents listener (el-<name>-events)",
    )
    send.add_argument("--type", help="CloudEvent type (default: the first accepted type)")
    send.add_argument("--source", help="CloudEvent source (default: the one the type requires)")
    send.add_argument("--subject", help="CloudEvent subject")
    send.add_argument(
        "--id", help="CloudEvent id; with the source, it names the run (default: a new UUID)"
    )
    send.add_argument(
        "--delivery",
        help="webhook delivery id (X-GitHub-Delivery, GitLab's Idempotency-Key) naming the run;"
        " the same id again is a redelivery, which starts nothing (default: a new UUID)",
    )
    send.set_defaults(func=cmd_trigger)

    again = sub.add_parser(
        "replay",
        help="list the webhook events the listener refused (recordRefusals), or send one again",
    )
    again.add_argument("config", nargs="?", help="config file (default: the embedded example)")
    again.add_argument(
        "id", nargs="?", help="the event to send again: its id, or a unique prefix (8+ chars)"
    )
    again.add_argument("--list", action="store_true", help="list the records (the default)")
    again.add_argument("--url", default="http://localhost:8080", help="default: %(default)s")
    again.add_argument(
        "--secret-file", help="file holding the webhook secret (else $BENCHGEN_WEBHOOK_SECRET)"
    )
    again.add_argument(
        "--dry-run", action="store_true", help="print the whole request and send nothing"
    )
    again.add_argument(
        "-n",
        "--namespace",
        help="default: metadata.namespace, else the current kube context's, else 'default'",
    )
    again.add_argument(
        "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)"
    )
    again.add_argument("--kubectl", help="kubectl binary (default: kubectl on PATH)")
    again.add_argument(
        "--from-file",
        metavar="FILE",
        help="read the records from FILE (the ConfigMap's refusals.json) instead of the cluster",
    )
    again.set_defaults(func=cmd_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None and len(sys.argv) == 1:
        code = _krm_from_stdin()
        if code is not None:
            return code
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "replay" and args.id is None and len(extra) == 1 and extra[0][:1] != "-":
        # argparse fills optional positionals before the options that follow them:
        # `replay CONFIG -n NS ID` leaves ID over; it is the event to replay.
        args.id, extra = extra[0], []
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
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
