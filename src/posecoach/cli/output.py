"""How the command line reports problems: one ``ERROR ...`` or ``warning ...`` line on stderr.

``main`` prints a ``PosecoachError`` that ends a command through ``error``; commands that go on
after a failed input (a bad video among several, a broken exercise file) print it the same way.
"""

from __future__ import annotations

import sys

__all__ = ["EXIT_INTERRUPTED", "EXIT_OK", "EXIT_SOME_FAILED", "EXIT_USAGE", "error", "warning"]

EXIT_OK = 0
EXIT_SOME_FAILED = 1  # some input failed, the others were still processed
EXIT_USAGE = 2  # usage or set-up error: nothing (more) was done
EXIT_INTERRUPTED = 130


def error(message: object) -> None:
    """One ``ERROR`` line: every library message is one line that says what to do."""
    print(f"ERROR {message}", file=sys.stderr)


def warning(message: object) -> None:
    print(f"warning {message}", file=sys.stderr)
