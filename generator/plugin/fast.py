"""The process kustomize spawns: answer from the cache, else render.

With a config path argument it is a legacy exec generator plugin; without
arguments it is a KRM function reading a ResourceList on stdin. Only the
standard library and ``cache`` are imported before a cache miss.
"""

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(__doc__ or "")
        return 0
    mode = "exec" if args else "krm"
    if mode == "exec":
        from generator.config.source import SourceError, read_config

        try:
            data = read_config(args[0])
        except SourceError as err:
            sys.stderr.write(f"benchgen: {args[0]}: cannot use it as the plugin config: {err}\n")
            return 2
    else:
        data = sys.stdin.buffer.read()

    return answer(mode, data, args[0] if args else "")


def answer(mode: str, data: bytes, path: str = "") -> int:
    """Write the answer for one plugin call (from the cache when possible); its exit code.

    ``mode`` is "exec" (legacy generator; ``path`` names the config file) or
    "krm" (``data`` is a ResourceList). The CLI's KRM mode calls this too.
    """
    from generator import __version__
    from generator.plugin import cache

    directory = cache.cache_dir()
    name = cache.key(mode, data, __version__) if directory else ""
    if directory:
        hit = cache.get(directory, name)
        if hit is not None:
            sys.stderr.buffer.write(hit[1])
            sys.stdout.buffer.write(hit[0])
            return 0

    import time

    started = time.time_ns()
    if mode == "exec":
        from generator.plugin.legacy import run_exec

        code, out, messages = run_exec(path, data)
    else:
        from generator.plugin.krm import run_krm

        code, out, messages = run_krm(data)
    sys.stderr.buffer.write(messages)
    sys.stdout.buffer.write(out)
    if code == 0 and directory:
        cache.put(directory, name, out, messages)
        if mode == "exec":
            # What the shell shim serves without starting Python (install.py).
            plain = cache.plain_name(__version__, data)
            cache.put_plain(directory, plain, out, messages, started)
    return code


if __name__ == "__main__":
    sys.exit(main())
