"""Terminal shells around the pipeline: the no-camera demo and live coaching.

- ``run_demo``: replays a generated session (``posecoach.testing.demo``: synthetic
  landmarks with known reps and one faulty rep, the same the app's ``--demo`` plays)
  through the same pipeline and ``Session`` the app and ``analyze`` use, and prints
  what the coach counts and says.  Needs no camera, no model and nothing from outside.
- ``run_live``: a camera or a video through the pose model and the session,
  printed as it happens.  A camera unplugged mid-session ends the stream; the
  session so far is kept and summarised.
- ``start``: the live coach on the default camera where there is one,
  otherwise the demo.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from posecoach.errors import SourceError
from posecoach.core.exercise import find_exercise
from posecoach.core.pipeline import Pipeline, never_cut
from posecoach.core.session import FrameResult, Session
from posecoach.core.types import Frame

__all__ = ["run_demo", "run_live", "start"]


def _line(r: FrameResult, session: Session) -> str:
    hold = f"  hold {r.hold_s:4.1f}s" if session.engine.hold_target > 0 else ""
    status = r.guidance or r.phase.value
    return f"\r{r.t:6.1f}s  reps {r.reps:2d}{hold}  {status:<40}"


def _print_result(r: FrameResult, session: Session, tty: bool) -> None:
    for ev in r.events:
        if ev.kind == "rep" and ev.rep is not None:
            faults = f" (faults: {', '.join(ev.rep.faults)})" if ev.rep.faults else ""
            print(f"\r{ev.t:6.1f}s  rep {session.engine.count} done, peak {ev.rep.peak_value:.0f} deg{faults}" + " " * 20)
        elif ev.kind == "partial":
            print(f"\r{ev.t:6.1f}s  partial rep, not counted" + " " * 30)
        elif ev.kind == "reset" and ev.detail == "camera cut":
            print(f"\r{ev.t:6.1f}s  view changed: restarting the count cycle" + " " * 20)
    if r.cue is not None:
        print(f"\r{r.t:6.1f}s  COACH ({r.cue.kind}): {r.cue.text}" + " " * 30)
    if tty:
        sys.stdout.write(_line(r, session))
        sys.stdout.flush()


def _finish(session: Session, out: str | None) -> None:
    s = session.summary()
    print("\r" + " " * 70)
    print(f"Summary: {s['reps']} reps of {session.exercise.name} in {s['duration_s']:.0f} s")
    for d in s["rep_details"]:
        hold = f", held {d['hold_s']:.1f} s" if session.engine.hold_target > 0 else ""
        print(f"  rep {d['index']}: {d['duration_s']:.1f} s, peak {d['peak_angle']:.0f} deg{hold}"
              f"{', faults: ' + ', '.join(d['faults']) if d['faults'] else ''}")
    if s["faults"]:
        print("  faults: " + ", ".join(f"{k} x{v}" for k, v in s["faults"].items()))
    for w in s["warnings"]:
        print(f"  note: {w}")
    if out:
        from posecoach.io.atomic import write_output

        p = Path(out)
        write_output(p, json.dumps(s, indent=2) + "\n")
        print(f"session saved to {p}")


def run_demo(exercise_id: str = "glute_bridge", *, speed: float = 4.0, out: str | None = None) -> int:
    """The generated session through the pipeline, ``speed`` times faster than real time (0: no wait)."""
    from posecoach.testing.demo import ReplayEstimator, blank_frames, demo_scenario

    ex = find_exercise(exercise_id)
    sc = demo_scenario(ex.id)
    session = Session(ex)
    tty = sys.stdout.isatty()
    print(f"posecoach demo: a generated {ex.name.lower()} session ({len(sc.poses)} frames), no camera needed.")
    print(f"How: {ex.instructions[0]}")
    frames = _paced(blank_frames(sc.poses), speed)
    for step in Pipeline(ReplayEstimator(sc.poses, sc.fps), never_cut).steps(frames, session):
        _print_result(step.result, session, tty)
    _finish(session, out)
    return 0


def _paced(frames: Iterable[Frame], speed: float) -> Iterator[Frame]:
    """``frames`` at ``speed`` times their own clock (``speed <= 0``: as fast as they come)."""
    t0 = time.monotonic()
    for frame in frames:
        if speed > 0:
            wait = frame.t / speed - (time.monotonic() - t0)
            if wait > 0:
                time.sleep(wait)
        yield frame


def run_live(source: str, exercise_id: str, *, model: str | None = None, out: str | None = None) -> int:
    """A camera or a video through the pose model and the session, printed as it happens."""
    from posecoach.io.estimator import PoseEstimator
    from posecoach.io.scenecut import SceneCutDetector
    from posecoach.io.sources import CameraSource, open_source

    ex = find_exercise(exercise_id)
    session = Session(ex)
    tty = sys.stdout.isatty()
    print(f"Coaching {ex.name} on {source}. Set-up: {ex.camera_setup.strip()}  Press Ctrl+C to stop.")
    with open_source(source) as src:
        try:
            for step in Pipeline(PoseEstimator(model), SceneCutDetector()).steps(src, session):
                _print_result(step.result, session, tty)
        except KeyboardInterrupt:
            print("\nstopped")
        if isinstance(src, CameraSource) and src.lost:
            print("\nThe camera stopped sending pictures (unplugged?). Your session so far is kept.")
    _finish(session, out)
    return 0


def start(exercise_id: str = "glute_bridge", source: str = "0") -> int:
    """The main job: live coaching on the default camera, or the demo when there is none."""
    from posecoach.io.sources import CameraSource, camera_index

    index = camera_index(source)  # SourceError (one line) for a number no camera has
    if index is not None:
        try:
            CameraSource(index).close()
        except SourceError as e:
            print(f"{e}\nNo camera here, so here is the demo instead.\n")
            return run_demo(exercise_id)
    return run_live(source, exercise_id)
