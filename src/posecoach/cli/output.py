"""How the command line reports problems: one ``ERROR ...`` or ``warning ...`` line on stderr.

``main`` prints a ``PosecoachError`` that ends a command through ``error``; commands that go on
after a failed input (a bad video among several, a broken exercise file) print it the same way.

Text that holds what users typed or files hold (patient names, notes, sources, paths) goes to the
terminal through ``printable`` (``say``, ``error`` and ``warning`` apply it): a control character
(an escape sequence could recolour, move the cursor, retitle or hide the terminal's text) or a
bidirectional override is shown as ``\\x1b`` / ``\\u202e`` instead of acting.  What is stored is
left as it was typed; only what is printed is made safe.
"""

from __future__ import annotations

import errno
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from posecoach.errors import OutputError

__all__ = [
    "EXIT_BROKEN_PIPE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_SOME_FAILED", "EXIT_USAGE", "error",
    "output_folder", "printable", "readable", "say", "warning",
]

EXIT_OK = 0
EXIT_SOME_FAILED = 1  # some input failed, the others were still processed
EXIT_USAGE = 2  # usage or set-up error: nothing (more) was done
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of our output went away (``| head``)


#: format characters that reorder or hide the text around them (bidi embeddings, overrides, isolates)
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: object) -> str:
    """``str(text)`` with every control character (C0, DEL, C1: escape, newline, carriage return...)
    and bidi override escaped as ``\\xNN`` / ``\\uNNNN``, and the raw bytes of a non-UTF-8 file name
    (lone surrogates, which ``print`` cannot encode) as ``\\xNN``: safe to print, on one line."""
    s = str(text)
    if s.isprintable():
        return s
    out = []
    for ch in s:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (it cannot be printed)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def say(message: object) -> None:
    """One line on stdout through ``printable``."""
    print(printable(message))


def error(message: object) -> None:
    """One ``ERROR`` line: every library message is one line that says what to do."""
    print(f"ERROR {printable(message)}", file=sys.stderr)


def warning(message: object) -> None:
    print(f"warning {printable(message)}", file=sys.stderr)


def readable(value: Any) -> Any:
    """``value`` (a string, or a dict/list holding strings) with every string made ``printable``:
    text that prints and saves anywhere (a non-UTF-8 file name's raw bytes, which cannot be
    written to a UTF-8 file, become ``\\xff``; a newline in a file name ``\\x0a``)."""
    if isinstance(value, str):
        return printable(value)
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
