"""How the command line reports problems: one ``ERROR ...`` or ``warning ...`` line on stderr.

``main`` prints a ``PosecoachError`` that ends a command through ``error``; commands that go on
after a failed input (a bad video among several, a broken exercise file) print it the same way.
"""

from __future__ import annotations

import errno
import sys
import tempfile
from pathlib import Path
from typing import Any

from posecoach.errors import OutputError

__all__ = [
    "EXIT_BROKEN_PIPE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_SOME_FAILED", "EXIT_USAGE", "error",
    "output_folder", "readable", "warning",
]

EXIT_OK = 0
EXIT_SOME_FAILED = 1  # some input failed, the others were still processed
EXIT_USAGE = 2  # usage or set-up error: nothing (more) was done
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of our output went away (``| head``)


def error(message: object) -> None:
    """One ``ERROR`` line: every library message is one line that says what to do."""
    print(f"ERROR {message}", file=sys.stderr)


def warning(message: object) -> None:
    print(f"warning {message}", file=sys.stderr)


def readable(value: Any) -> Any:
    """``value`` (a string, or a dict/list holding strings) as text that prints and saves anywhere.

    A file name need not be valid UTF-8 on POSIX (Python keeps the raw bytes as lone surrogates,
    which cannot be written to a UTF-8 file); those bytes become ``\\xff``, and control
    characters (a newline in a file name) ``\\n`` / ``\\x1b``."""
    if isinstance(value, str):
        if value.isprintable():
            return value
        return "".join(
            ch if ch.isprintable()
            else f"\\x{ord(ch) - 0xDC00:02x}" if 0xDC80 <= ord(ch) <= 0xDCFF
            else repr(ch)[1:-1]
            for ch in value
        )
    if isinstance(value, dict):
        return {readable(k): readable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [readable(v) for v in value]
    return value


def output_folder(path: str | Path, option: str = "--out") -> Path:
    """Create the output folder ``path`` if needed and check that files can be written in it;
    ``OutputError`` with one line that says what to do (before any work is done)."""
    path = Path(path)
    shown = readable(str(path))
    if path.exists() and not path.is_dir():
        raise OutputError(f"{shown} is a file, not a folder; pass a folder with {option} (it is created if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise OutputError(f"{shown}: {_folder_problem(e)}; pass another folder with {option}") from None
    return path


def _folder_problem(e: OSError) -> str:
    if e.errno in (errno.EEXIST, errno.ENOTDIR):
        return "part of this path is a file, not a folder"
    if e.errno == errno.EROFS:
        return "the file system is read-only"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "no permission to write here"
    if e.errno == errno.ENOSPC:
        return "the disk is full"
    return f"cannot create or write this folder ({e.strerror or e})"
