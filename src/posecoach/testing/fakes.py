"""Stand-ins for the pose model that work in any process (pure numpy, no model file).

``posecoach analyze`` runs videos in spawned worker processes and on Dask workers, where a
test's monkeypatch does not reach.  A class given as ``AnalyzeOptions.estimator`` is pickled by
reference and built there instead of ``PoseEstimator``, so a test or a benchmark can drive the
real batch path (``run_batch``: frames, session, outputs) without the model.
"""

from __future__ import annotations

import math
import os

import numpy as np

from posecoach.core.types import Pose
from posecoach.testing.synth import Camera, landmarks_lab, render, squat_posture, standing

__all__ = ["SyntheticSquats"]


class SyntheticSquats:
    """Squats by frame time: the knee bends to ``depth`` degrees and back every ``period_s``
    seconds (cosine easing, side view), whatever the picture shows; so a video of ``d`` seconds
    counts about ``d / period_s`` reps.  The same frame time always gives the same pose.

    Same constructor and methods as ``posecoach.io.estimator.PoseEstimator`` (``restart`` for the
    next video); ``pid`` records the process that built it, for tests of where work ran.
    """

    def __init__(self, model_path: str | os.PathLike[str] | None = None, *, num_poses: int = 2,
                 posture: str = "any", period_s: float = 2.5, depth: float = 100.0,
                 video_fps: float | None = None) -> None:
        self.num_poses = num_poses
        self.posture = posture
        self.period_s = period_s
        self.depth = depth
        self.pid = os.getpid()
        self.videos = 1  # videos seen by this object (restart counts one more)
        self._closed = False
        lab = np.concatenate([landmarks_lab(standing()), landmarks_lab(squat_posture(depth))])
        self._cameras: dict[tuple[int, int], Camera] = {}
        self._lab = lab

    def _camera(self, w: int, h: int) -> Camera:
        cam = self._cameras.get((w, h))
        if cam is None:
            cam = self._cameras[(w, h)] = Camera(view="side", facing="left", size=(w, h)).fit(self._lab)
        return cam

    def restart(self, posture: str | None = None, *, video_fps: float | None = None) -> None:
        if self._closed:
            raise RuntimeError("SyntheticSquats is closed")
        self.videos += 1
        if posture is not None:
            self.posture = posture

    def detect(self, image_bgr: np.ndarray, t_s: float = 0.0) -> Pose | None:
        if self._closed:
            raise RuntimeError("SyntheticSquats is closed")
        h, w = image_bgr.shape[:2]
        phase = (t_s % self.period_s) / self.period_s
        knee = self.depth * (1 - math.cos(2 * math.pi * phase)) / 2
        return render(squat_posture(knee), self._camera(w, h))

    def close(self) -> None:
        self._closed = True
