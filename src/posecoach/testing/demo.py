"""The one generated demo session, and an estimator that replays generated poses.

``demo_scenario`` is what ``posecoach demo`` (terminal), ``posecoach app --demo``, the
screenshots and ``bench/bench_live.py`` play: a few reps with one faulty rep that is still
counted, so the demo shows counting, a form cue and praise.  ``ReplayEstimator`` stands in for
the MediaPipe ``PoseEstimator`` (it satisfies ``posecoach.core.pipeline.Estimator``): it returns
the pose a frame was made from, found by the frame's time, so everything but the model runs for
real.  Pure numpy: the stick-figure video is drawn by ``posecoach.app.synthvideo``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Self

import numpy as np

from posecoach.core.types import Frame, Pose
from posecoach.errors import SourceError
from posecoach.testing import synth

__all__ = ["DEMO_EXERCISES", "DemoScenario", "ReplayEstimator", "blank_frames", "demo_scenario"]

DEMO_EXERCISES = ("glute_bridge", "squat", "pelvic_tilt")


@dataclass(frozen=True)
class DemoScenario:
    """Generated poses ``(t, Pose | None)`` at ``fps`` frames a second."""

    poses: synth.Seq
    fps: float


def demo_scenario(exercise_id: str = "glute_bridge", n_reps: int = 4) -> DemoScenario:
    """``n_reps`` reps seen side-on, with one faulty rep that is still counted.

    Glute bridges: the second rep stops with the hips low (a shoulder-hip-knee angle of 160: counted,
    with the hips_low fault); squats: the third leans the trunk forward; pelvic tilts: five-second
    holds, no fault.  ``SourceError`` for an exercise the demo has no session of."""
    if exercise_id == "squat":
        sc = synth.squat(n_reps=n_reps, fault="trunk_forward", fault_reps=[2], noise_px=1.0, seed=1)
        return DemoScenario(sc.poses, sc.fps)
    if exercise_id == "pelvic_tilt":
        sc = synth.pelvic_tilt(n_reps=n_reps, hold_s=5.0, noise_px=0.5, seed=1)
        return DemoScenario(sc.poses, sc.fps)
    if exercise_id == "glute_bridge":
        return _glute_bridge(n_reps)
    raise SourceError(
        f"no demo recording for '{exercise_id}'; the demo has {', '.join(DEMO_EXERCISES)}"
    )


def _glute_bridge(n_reps: int, fps: float = 30.0) -> DemoScenario:
    """Bridges held 3.5 s; the second stops at 160 degrees (the exercise counts from 155 and calls
    hips_low under 166), so it is counted with a fault rather than dropped as a partial rep."""
    tops = [160.0 if i == 1 else 180.0 for i in range(n_reps)]
    kf, _ = synth.reps(synth.hook_lying(), [synth.hook_lying(shk_deg=a) for a in tops], n_reps,
                       rep_s=2.0, hold_s=3.5, rest_s=1.5, start_rest=1.5, end_rest=2.0)
    seq = synth.keyframe_sequence(kf, fps, synth.Camera(view="side", facing="left"))
    return DemoScenario(synth.add_noise(seq, 1.0, seed=1), fps)


class ReplayEstimator:
    """Stands in for ``PoseEstimator``: the pose of the frame at ``t_s`` in ``seq`` (frame
    ``round(t_s * fps)``; None past its end).  ``cost_s`` simulates inference time (to test
    dropping frames); ``calls`` and ``closed`` let tests check how it was used."""

    def __init__(self, seq: synth.Seq, fps: float, *, cost_s: float = 0.0) -> None:
        self.seq = seq
        self.fps = fps
        self.cost_s = cost_s
        self.calls = 0
        self.closed = False

    def detect(self, image_bgr: np.ndarray, t_s: float = 0.0) -> Pose | None:
        self.calls += 1
        if self.cost_s > 0:
            time.sleep(self.cost_s)
        i = round(t_s * self.fps)
        if 0 <= i < len(self.seq):
            return self.seq[i][1]
        return None

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_BLANK = np.zeros((1, 1, 3), np.uint8)
_BLANK.flags.writeable = False


def blank_frames(seq: synth.Seq) -> Iterator[Frame]:
    """One tiny blank frame per pose of ``seq``, at its time: frames for a ``ReplayEstimator``
    when no picture is needed (the terminal demo; pipeline tests)."""
    for i, (t, _) in enumerate(seq):
        yield Frame(_BLANK, t, i)
