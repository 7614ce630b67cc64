"""``posecoach exercises [list|validate FILE...|docs]``: the exercise library."""

from __future__ import annotations

import argparse
from pathlib import Path

from posecoach.cli.output import EXIT_OK, EXIT_SOME_FAILED, error, say
from posecoach.errors import PosecoachError, UsageError

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("exercises", help="list the exercises, or validate an exercise file")
    e.add_argument("action", nargs="?", choices=["list", "validate", "docs"], default="list")
    e.add_argument("files", nargs="*", help="with validate: exercise files to check")
    e.add_argument("--out", default=None, help="with docs: write the page here (default: print it)")
    e.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "validate":
        return _validate(args.files)
    from posecoach.core.exercise import list_exercises

    good, bad = list_exercises()
    if args.action == "docs":
        from posecoach.core.exercise.docs import exercises_markdown
        from posecoach.io.atomic import write_output

        page = exercises_markdown(good)
        if args.out:
            write_output(Path(args.out), page)
            print(f"wrote {args.out}")
        else:
            print(page, end="")
    else:
        width = max((len(x.id) for x in good), default=10)
        for x in good:
            say(f"{x.id:<{width}}  {x.summary}")
    for err in bad:
        error(err)
    return EXIT_SOME_FAILED if bad else EXIT_OK


def _validate(files: list[str]) -> int:
    """Check each file; a broken one is reported and the others are still checked."""
    from posecoach.core.exercise import load_exercise

    if not files:
        raise UsageError("give the exercise file(s) to validate: posecoach exercises validate FILE")
    bad = 0
    for f in files:
        try:
            ex = load_exercise(f)
            say(f"ok  {f}: {ex.id} ({len(ex.angles)} angles, {len(ex.form_rules)} form rules)")
        except PosecoachError as err:
            error(err)
            bad += 1
    return EXIT_SOME_FAILED if bad else EXIT_OK
