"""The command line.  ``main(argv) -> int`` is separate from the console entry
point so tests call it in-process; every ``PosecoachError`` becomes a one-line
``ERROR ...`` and an exit code here, in one place (``run``).

One module per command group, each with ``add_parsers(sub)`` that also names
its handler (``set_defaults(run=...)``): ``analyze`` (analyze, replay),
``exercises``, ``coach`` (app, start, demo, live, setup-model), ``patients``
(patient, db), ``programme``, ``reference`` (reference, targets), ``report``, ``posture``.

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
    posture,
    programme,
    reference,
    report,
)
from posecoach.cli.output import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_USAGE, error
from posecoach.errors import PosecoachError

__all__ = ["build_parser", "entry_point", "main", "native_stderr_off", "run"]

_GROUPS = (analyze, exercises, coach, report, patients, programme, reference, posture)


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


def native_stderr_off() -> None:
    """Keep the native libraries' log lines off the terminal, for the whole process.

    MediaPipe, TensorFlow Lite and abseil write to file descriptor 2 directly, at any time and
    from their own threads (``INFO: [accelerator_registry.cc:43] DestroyAccelerator``, ``INFO:
    Created TensorFlow Lite XNNPACK delegate``, ``W0000 ...``), and some ignore ``GLOG_minloglevel``
    / ``TF_CPP_MIN_LOG_LEVEL``; they break the progress bar's line.  So Python's ``sys.stderr``
    (our ``ERROR``/``warning`` lines, the progress bar, tracebacks) moves to a copy of the terminal's
    descriptor, and descriptor 2 itself to the null device: what the C++ side prints goes nowhere.
    Processes started from here (``--workers``, ``--dask local``) inherit the null device, which is
    what their native code should write to.  ``POSECOACH_NATIVE_LOGS=1`` keeps everything.
    """
    if os.environ.get("POSECOACH_NATIVE_LOGS"):
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):
        return  # no real stderr (a GUI launcher without a console): nothing to protect
    old = sys.stderr
    sys.stderr = open(saved, "w", encoding=old.encoding, errors=old.errors, buffering=1,  # noqa: SIM115
                      closefd=True)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def entry_point() -> None:  # pragma: no cover - console script
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    native_stderr_off()
    sys.exit(main())
