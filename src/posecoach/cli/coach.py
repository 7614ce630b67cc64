"""Coaching commands: ``posecoach`` / ``posecoach app`` (the window), ``start``, ``demo`` and ``live``
(the terminal coach, ``posecoach.cli.live``), and ``setup-model`` (the pose model file)."""

from __future__ import annotations

import argparse

from posecoach.cli.numbers import number

__all__ = ["MAX_SPEED", "add_parsers", "run_app"]

MAX_SPEED = 100.0  # times real time


def add_parsers(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser("setup-model", help="find or build the pose model in models/")
    m.add_argument("rest", nargs=argparse.REMAINDER)
    m.set_defaults(run=_run_setup_model)

    d = sub.add_parser("demo", help="replay a generated session (no camera needed) and show the coaching")
    d.add_argument("--exercise", "-e", default="glute_bridge")
    d.add_argument("--speed", type=number("--speed", 0, MAX_SPEED), default=4.0,
                   help="replay speed (1 = real time, 0 = as fast as possible)")
    d.add_argument("--out", default=None, help="also write the session's JSON result here")
    d.set_defaults(run=_run_demo)

    s = sub.add_parser("start", help="coach live on the default camera, or run the demo where there is none")
    s.add_argument("--exercise", "-e", default="glute_bridge")
    s.add_argument("--source", default="0")
    s.set_defaults(run=_run_start)

    ap = sub.add_parser("app", help="open the coaching window (what `posecoach` alone does)")
    ap.add_argument("--source", default=None, help="camera index or video file: start coaching on it at once")
    ap.add_argument("--exercise", "-e", default=None, help="exercise id: start coaching it at once")
    ap.add_argument("--model", default=None, help="a pose_landmarker .task file (default: models/)")
    ap.add_argument("--speed", type=number("--speed", 0, MAX_SPEED, above_lo=True), default=None,
                    help="video playback rate (1 = real time)")
    ap.add_argument("--demo", action="store_true", help="coach a generated stick-figure video (no camera needed)")
    ap.add_argument("--patient", default=None,
                    help="whose session it is when starting at once (name or id; default: nobody's)")
    ap.set_defaults(run=run_app)

    lv = sub.add_parser("live", help="coach live in the terminal on a camera or a video")
    lv.add_argument("--source", default="0", help="camera index or video file")
    lv.add_argument("--exercise", "-e", required=True)
    lv.add_argument("--model", default=None)
    lv.set_defaults(run=_run_live)


def run_app(args: argparse.Namespace) -> int:
    """The coaching window (also what ``posecoach`` with no command does)."""
    from posecoach.app import run_app as _open  # lazy: Qt is loaded only for the window

    app_argv: list[str] = []
    for opt in ("source", "exercise", "model", "speed", "patient"):
        if getattr(args, opt, None) is not None:
            app_argv += [f"--{opt}", str(getattr(args, opt))]
    if getattr(args, "demo", False):
        app_argv.append("--demo")
    return _open(app_argv)


def _run_start(args: argparse.Namespace) -> int:
    from posecoach.cli.live import start

    return start(args.exercise, args.source)


def _run_demo(args: argparse.Namespace) -> int:
    from posecoach.cli.live import run_demo

    return run_demo(args.exercise, speed=args.speed, out=args.out)


def _run_live(args: argparse.Namespace) -> int:
    from posecoach.cli.live import run_live

    return run_live(args.source, args.exercise, model=args.model)


def _run_setup_model(args: argparse.Namespace) -> int:
    from posecoach.io.pose_model import setup_model_main

    return setup_model_main(args.rest)
