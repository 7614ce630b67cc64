"""The command line.  ``main(argv) -> int`` is separate from the console entry
point so tests call it in-process; every ``PosecoachError`` becomes a one-line
``ERROR ...`` and an exit code here, in one place (``run``).

One module per command group, each with ``add_parsers(sub)`` that also names
its handler (``set_defaults(run=...)``): ``analyze`` (analyze, replay),
``exercises``, ``coach`` (app, start, demo, live, setup-model), ``patients``
(patient, db), ``programme``, ``reference`` (reference, targets), ``report``.

Exit codes: 0 ok, 1 some input failed (others were still processed), 2 usage
or set-up error, 130 interrupted, 141 the reader of the output went away
(``posecoach exercises | head``: quietly, as for any command line tool).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from posecoach.cli import (
    analyze,
    coach,
    exercises,
    patients,
    programme,
    reference,
    report,
)
from posecoach.cli.output import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_USAGE, error
from posecoach.errors import PosecoachError

__all__ = ["build_parser", "entry_point", "main", "run"]

_GROUPS = (analyze, exercises, coach, report, patients, programme, reference)


def build_parser() -> argparse.ArgumentParser:
    """``posecoach`` and every subcommand (the groups add their own)."""
    p = argparse.ArgumentParser(prog="posecoach", description="An exercise coach for people with low back pain.")
    sub = p.add_subparsers(dest="cmd")
    for group in _GROUPS:
        group.add_parsers(sub)
    return p


def run(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command's handler: the one place a ``PosecoachError`` becomes ``ERROR ...`` and exit 2,
    and a closed standard output (``| head``) a quiet exit 141."""
    try:
        code = handler(args)
        sys.stdout.flush()  # inside the try: a pipe closed early shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_BROKEN_PIPE
    except PosecoachError as err:
        error(err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return EXIT_INTERRUPTED


def _drop_stdout() -> None:
    """Point standard output at the null device, so that Python's final flush of what is still
    buffered for the closed pipe does not fail again (the pattern of the ``signal`` docs)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (tests capture it): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except PosecoachError as err:  # a numeric option out of its range (``cli.numbers``)
        error(err)
        return EXIT_USAGE
    handler = getattr(args, "run", None) or coach.run_app  # no command: the window
    return run(handler, args)


def entry_point() -> None:  # pragma: no cover - console script
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
