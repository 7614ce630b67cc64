"""``posecoach posture``: the posture check (``posecoach.core.posture``) on a camera, a video or a
landmark recording, printed as a timeline of posture states and reminders.

A video or camera goes through the pose model at ``--fps`` frames a second (posture changes over
seconds, not frames, so 5 a second is plenty and keeps a laptop cool); a ``*_landmarks.jsonl``
recording (``analyze --save-landmarks``) is judged without the model.  ``--out`` writes the
timeline as JSON (``.json``) or CSV (any other name).
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
from pathlib import Path

from posecoach.cli.numbers import number
from posecoach.cli.output import say, warning
from posecoach.core.posture import PostureCoach, PostureReading, Segment, load_posture_settings, timeline
from posecoach.io.poses import iter_poses

__all__ = ["add_parsers", "run_posture"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("posture", help="posture check: head forward and lean at the laptop, with gentle "
                                       "reminders (a camera, a video or saved landmarks)")
    p.add_argument("--source", default="0",
                   help="camera index, video file, or a *_landmarks.jsonl recording (default: camera 0)")
    p.add_argument("--out", "-o", default=None, help="write the timeline here (.json, otherwise CSV)")
    p.add_argument("--settings", default=None,
                   help="a posture settings file (default: posture/posture_check.yaml)")
    p.add_argument("--fps", type=number("--fps", 0, 60, above_lo=True), default=5.0,
                   help="frames judged per second of video (default 5)")
    p.add_argument("--model", default=None, help="a pose_landmarker .task file (default: models/)")
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    return run_posture(args.source, out=args.out, settings=args.settings, fps=args.fps, model=args.model)


def run_posture(source: str, *, out: str | None = None, settings: str | None = None, fps: float = 5.0,
                model: str | None = None) -> int:
    from posecoach.paths import posture_file

    cfg = load_posture_settings(settings or posture_file())
    coach = PostureCoach(cfg)
    say(f"Posture check on {source}: sit upright for the first {cfg.calibration_s:g} s (your baseline). "
        "Press Ctrl+C to stop.")
    readings: list[PostureReading] = []
    try:
        for t, pose in iter_poses(source, fps, model):
            r = coach.update(t, pose)
            readings.append(r)
            if r.reminder:
                say(f"{_clock(t)}  REMINDER: {r.reminder}")
    except KeyboardInterrupt:
        say("stopped")
    segments = timeline(readings)
    if not segments:
        warning(f"{source}: no frame to judge")
    for seg in segments:
        say(_line(seg))
    seen, poor = _seconds(readings)
    if seen > 0:
        say(f"Poor posture {poor:.0f} s of {seen:.0f} s judged ({100 * poor / seen:.0f} %), "
            f"{len(coach.reminders)} reminder(s).")
    if out:
        _write(Path(out), segments)
        say(f"timeline written to {out}")
    return 0


def _seconds(readings: list[PostureReading]) -> tuple[float, float]:
    """Seconds judged (neither away nor calibrating) and seconds poor, each frame counting until
    the next (at most a second: a stalled camera is not time judged)."""
    seen = poor = 0.0
    for a, b in itertools.pairwise(readings):
        dt = min(max(b.t - a.t, 0.0), 1.0)
        if a.state not in ("away", "calibrating"):
            seen += dt
            poor += dt if a.state == "poor" else 0.0
    return seen, poor


def _clock(t: float) -> str:
    return f"{int(t // 60):02d}:{t % 60:04.1f}"


def _line(seg: Segment) -> str:
    parts = [f"{_clock(seg.start_s)}-{_clock(seg.end_s)}  {seg.state:<11}"]
    if seg.state not in ("away", "calibrating"):
        parts.append(f"head {seg.head:.2f}")
        if seg.lean == seg.lean:  # not NaN: the hips were seen
            parts.append(f"lean {seg.lean:.0f} deg")
        parts.append(f"tilt {seg.tilt:.0f} deg")
    if seg.why:
        parts.append(f"({seg.why})")
    if seg.reminders:
        parts.append(f"reminder at {', '.join(_clock(t) for t in seg.reminders)}")
    return "  ".join(parts)


def _write(path: Path, segments: list[Segment]) -> None:
    from posecoach.io.atomic import write_output

    rows = [s.as_dict() for s in segments]
    if path.suffix.lower() == ".json":
        write_output(path, json.dumps({"timeline": rows}, indent=2) + "\n")
        return
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["start_s", "end_s", "state", "head_forward", "lean_deg", "tilt_deg", "why", "reminders_at_s"])
    for r in rows:
        w.writerow([r["start_s"], r["end_s"], r["state"], "" if r["head_forward"] is None else r["head_forward"],
                    "" if r["lean_deg"] is None else r["lean_deg"], "" if r["tilt_deg"] is None else r["tilt_deg"],
                    r["why"], ";".join(str(t) for t in r["reminders_at_s"])])  # type: ignore[attr-defined]
    write_output(path, buf.getvalue())
