"""A generated stick-figure video and an estimator that replays its poses.

No real person's footage is kept in the repository, so tests, the screenshots
and ``posecoach app --demo`` play a video drawn from ``posecoach.testing.synth`` poses
(OpenCV lines on a plain room) and give the worker a ``ReplayEstimator`` that
returns the pose each frame was drawn from.  Everything but MediaPipe itself
runs for real: decoding, pacing, dropping, the session, cues, the overlay.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from posecoach.core.landmarks import BONES, INDEX
from posecoach.core.types import Pose

__all__ = ["render_frame", "write_video", "ReplayEstimator", "demo_scenario"]

Seq = list[tuple[float, "Pose | None"]]


def render_frame(pose: Pose | None, size: tuple[int, int] = (640, 480), *, brightness: int = 150,
                 floor_y: int | None = None) -> np.ndarray:
    """A BGR frame: a plain room (wall, floor) with the pose drawn as a stick figure."""
    w, h = size
    img = np.empty((h, w, 3), np.uint8)
    img[:] = (brightness, min(255, brightness + 6), min(255, brightness + 12))
    floor = int(h * 0.78) if floor_y is None else int(floor_y)
    img[floor:] = (int(brightness * 0.55), int(brightness * 0.6), int(brightness * 0.7))
    if pose is None:
        return img
    xy = pose.xy
    pts = [(int(round(x)), int(round(y))) for x, y in xy]
    colour = (60, 40, 30)
    for a, b in BONES:
        cv2.line(img, pts[INDEX[a]], pts[INDEX[b]], colour, 9, cv2.LINE_AA)
    head = pts[INDEX["nose"]]
    ear = xy[INDEX["left_ear"]]
    r = max(8, int(0.9 * np.linalg.norm(xy[INDEX["nose"]] - ear)) + 4)
    cv2.circle(img, head, r, colour, -1, cv2.LINE_AA)
    return img


def write_video(path: str | Path, seq: Seq, fps: float, size: tuple[int, int] = (640, 480), *,
                brightness: int = 150) -> Path:
    """Write ``seq`` as an MP4 (``mp4v``) of stick figures, one frame per pose."""
    path = Path(path)
    lows = [float(p.xy[:, 1].max()) for _, p in seq if p is not None]
    floor_y = min(size[1] - 1, int(max(lows)) + 8) if lows else None
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), size)
    if not writer.isOpened():
        raise OSError(f"{path}: OpenCV cannot write an mp4v video here")
    try:
        for _, pose in seq:
            writer.write(render_frame(pose, size, brightness=brightness, floor_y=floor_y))
    finally:
        writer.release()
    return path


class ReplayEstimator:
    """Stands in for ``PoseEstimator``: the pose of the frame at ``t_s`` in ``seq``."""

    def __init__(self, seq: Seq, fps: float, *, cost_s: float = 0.0) -> None:
        self.seq = seq
        self.fps = fps
        self.cost_s = cost_s  # simulated inference time, to test dropping
        self.calls = 0
        self.closed = False

    def detect(self, image_bgr: np.ndarray, t_s: float = 0.0) -> Pose | None:
        self.calls += 1
        if self.cost_s > 0:
            import time

            time.sleep(self.cost_s)
        i = int(round(t_s * self.fps))
        if 0 <= i < len(self.seq):
            return self.seq[i][1]
        return None

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> "ReplayEstimator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def demo_scenario(exercise_id: str = "glute_bridge", n_reps: int = 4):
    """A generated session with one faulty rep, for the demo and the screenshots:
    ``.poses`` (time, Pose) at ``.fps``.  Glute bridges: the second rep stops with the
    hips low (counted, with the hips_low fault); squats: the third leans forward."""
    from types import SimpleNamespace

    from posecoach.testing import synth

    if exercise_id == "squat":
        sc = synth.squat(n_reps=n_reps, fault="trunk_forward", fault_reps=[2], noise_px=1.0, seed=1)
        return SimpleNamespace(poses=sc.poses, fps=sc.fps)
    fps = 30.0
    tops = [160.0 if i == 1 else 180.0 for i in range(n_reps)]
    kf, _ = synth.reps(synth.hook_lying(), [synth.hook_lying(shk_deg=a) for a in tops], n_reps,
                       rep_s=2.0, hold_s=3.5, rest_s=1.5, start_rest=1.5, end_rest=2.0)
    seq = synth.add_noise(synth.keyframe_sequence(kf, fps, synth.Camera(view="side", facing="left")), 1.0, seed=1)
    return SimpleNamespace(poses=seq, fps=fps)
