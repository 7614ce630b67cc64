"""A generated stick-figure video and an estimator that replays its poses.

No real person's footage is kept in the repository, so tests, the screenshots
and ``posecoach app --demo`` play a video drawn from ``posecoach.testing.synth`` poses
(OpenCV lines on a plain room; ``demo_scenario`` from ``posecoach.testing.demo``) and give
the worker a ``ReplayEstimator`` that returns the pose each frame was drawn from.
Everything but MediaPipe itself runs for real: decoding, pacing, dropping, the
session, cues, the overlay.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posecoach.core.landmarks import BONES, INDEX
from posecoach.core.types import Pose
from posecoach.testing.demo import DEMO_EXERCISES, ReplayEstimator, demo_scenario

# ``ReplayEstimator`` and ``demo_scenario`` live in ``posecoach.testing.demo`` (the terminal demo
# uses them too, without OpenCV); they are offered here beside the video they go with.
__all__ = ["DemoVideo", "ReplayEstimator", "demo_scenario", "demo_video", "render_frame", "write_video"]

Seq = list[tuple[float, Pose | None]]


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
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), float(fps), size)
    if not writer.isOpened():
        raise OSError(f"{path}: OpenCV cannot write an mp4v video here")
    try:
        for _, pose in seq:
            writer.write(render_frame(pose, size, brightness=brightness, floor_y=floor_y))
    finally:
        writer.release()
    return path


@dataclass(frozen=True)
class DemoVideo:
    """The demo, ready to coach: the video file, its exercise, how many reps (or holds) it shows,
    and the estimator that replays it."""

    path: Path
    exercise_id: str
    estimator_factory: Callable[[], ReplayEstimator]
    reps: int = 4


def demo_video(exercise_id: str | None = None, folder: str | Path | None = None) -> DemoVideo:
    """The demo session of ``posecoach app --demo`` and the set-up screen's "Try the demo": the
    exercise's generated video (``exercise_id`` when the demo has one, else glute bridges) written
    into ``folder`` (the temporary folder by default), and the estimator replaying its poses."""
    ex = exercise_id if exercise_id in DEMO_EXERCISES else "glute_bridge"
    n = 4
    sc = demo_scenario(ex, n)
    path = Path(folder or tempfile.gettempdir()) / f"posecoach_demo_{ex}.mp4"
    write_video(path, sc.poses, sc.fps)
    return DemoVideo(path, ex, lambda: ReplayEstimator(sc.poses, sc.fps), n)
