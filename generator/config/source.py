"""Reading a config file: a regular file only, and never more than the size limit.

``benchgen validate /dev/zero`` would otherwise read until memory runs out,
and a FIFO would block ``open`` until some writer came. So the path is
checked with ``stat`` before it is opened, opened without blocking, checked
again on the open descriptor (it may have been replaced in between) and read
up to the limit. Standard library only: the plugin's cold path reads with it.
"""

from __future__ import annotations

import os
import stat

# A benchmark config is a few KB; anything this big is a mistake (or hostile).
MAX_BYTES = 1024 * 1024
_CHUNK = 64 * 1024


class SourceError(Exception):
    """The path cannot be read as a config file; the message says why."""


def _kind(mode: int) -> str | None:
    """What a non-regular file is, for the message; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check(info: os.stat_result, limit: int) -> None:
    kind = _kind(info.st_mode)
    if kind is not None:
        raise SourceError(f"is {kind}, not a config file: give the path of a regular file")
    if info.st_size > limit:
        raise SourceError(f"is {info.st_size} bytes; a benchmark config is at most {limit}")


def read_config(path: str, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; SourceError otherwise."""
    try:
        _check(os.stat(path), limit)  # noqa: PTH116 - no pathlib on the plugin's cold path
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except OSError as err:
        raise SourceError(f"cannot read: {err.strerror}") from None
    try:
        _check(os.fstat(fd), limit)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # one byte past the limit tells a file that grew
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise SourceError(f"cannot read: {err.strerror}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise SourceError(f"is more than {limit} bytes; a benchmark config is at most {limit}")
    return b"".join(chunks)
