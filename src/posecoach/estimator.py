"""Adapter around MediaPipe's ``PoseLandmarker``: BGR frames in, :class:`Pose` out.

This is the only module that imports ``mediapipe`` (lazily, when a
:class:`PoseEstimator` is made).

- ``mode="video"`` (default) uses ``detect_for_video``: the detector runs only
  when tracking is lost, so it is faster and steadier; timestamps must rise, and
  a non-increasing one is bumped to 1 ms after the previous.
- ``mode="image"`` uses ``detect``: every call is independent (single photos).

Several people: the landmarker reports up to ``num_poses`` of them (default 2).
We return the one whose **visible** landmarks (visibility >= 0.5; all of them if
none is) span the largest bounding box, usually the person nearest the camera,
and put how many were seen in ``Pose.n_people`` so callers can warn.

Speed (2-core CPU, 640x480, full model): IMAGE mode about 28 ms a frame.  VIDEO
mode about 18 ms with ``num_poses=1`` but about 28 ms with ``num_poses=2``: while
fewer people are tracked than ``num_poses`` allows, MediaPipe runs the detector
on every frame to look for more, so tracking saves nothing.  Use ``num_poses=1``
when speed matters more than noticing a second person.  The adapter itself adds
about 0.1 ms (colour conversion, ``mp.Image``, numpy conversion).

Always close the estimator (``with PoseEstimator() as est: ...``): an unclosed
landmarker raises a TypeError at interpreter exit.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from .errors import ModelError
from .landmarks import N_LANDMARKS
from .model import check_model, find_model
from .types import Pose

__all__ = ["PoseEstimator"]

_VISIBLE = 0.5


class PoseEstimator:
    """Pose landmarks for one frame at a time, on the CPU.

    ``model_path``: a ``.task`` file or a models folder (default: :func:`find_model`).
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        mode: Literal["video", "image"] = "video",
        num_poses: int = 2,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        if mode not in ("video", "image"):
            raise ValueError(f"mode must be 'video' or 'image', got {mode!r}")
        if num_poses < 1:
            raise ValueError(f"num_poses must be at least 1, got {num_poses}")
        path = find_model(model_path)
        check_model(path)
        self.model_path: Path = path
        self.mode = mode
        self._landmarker = None
        self._last_ms = -1

        import mediapipe as mp  # lazy: only this adapter needs it
        from mediapipe.tasks.python import BaseOptions
        from mediapipe.tasks.python import vision

        self._mp_image = mp.Image
        self._srgb = mp.ImageFormat.SRGB
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path), delegate=BaseOptions.Delegate.CPU),
            running_mode=vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE,
            num_poses=int(num_poses),
            min_pose_detection_confidence=float(min_detection_confidence),
            min_pose_presence_confidence=float(min_presence_confidence),
            min_tracking_confidence=float(min_tracking_confidence),
            output_segmentation_masks=False,
        )
        try:
            self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except Exception as exc:  # the C++ side reports bad models as RuntimeError/ValueError
            why = " ".join(str(exc).split())[:200]
            raise ModelError(
                f"model file {path} cannot be loaded ({why}); "
                "delete it and run `posecoach setup-model`"
            ) from None
        self._run = (
            self._landmarker.detect_for_video if mode == "video" else self._landmarker.detect
        )

    # -- lifetime -------------------------------------------------------------------

    def close(self) -> None:
        """Release the landmarker; safe to call twice."""
        landmarker, self._landmarker = self._landmarker, None
        if landmarker is not None:
            landmarker.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- per frame ------------------------------------------------------------------

    def detect(self, image_bgr: np.ndarray, t_s: float = 0.0) -> Pose | None:
        """Landmarks of the main person in a BGR uint8 image, or None if nobody is found.

        ``t_s`` (seconds) matters in video mode only.
        """
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is closed")
        if image_bgr.ndim == 2:
            rgb = cv2.cvtColor(image_bgr, cv2.COLOR_GRAY2RGB)
        elif image_bgr.shape[2] == 4:
            rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGRA2RGB)
        else:
            rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        mp_image = self._mp_image(image_format=self._srgb, data=rgb)
        if self.mode == "video":
            ms = int(round(t_s * 1000.0))
            if ms <= self._last_ms:
                ms = self._last_ms + 1
            self._last_ms = ms
            result = self._run(mp_image, ms)
        else:
            result = self._run(mp_image)

        people = result.pose_landmarks
        if not people:
            return None
        h, w = rgb.shape[:2]
        arrays = [
            np.array([(p.x, p.y, p.visibility or 0.0) for p in lms], dtype=np.float64)
            for lms in people
        ]
        best = 0 if len(arrays) == 1 else _largest(arrays, w, h)
        a = arrays[best]
        if a.shape[0] != N_LANDMARKS:
            raise ModelError(
                f"model {self.model_path} returned {a.shape[0]} landmarks, not {N_LANDMARKS}; "
                "use a pose_landmarker .task bundle"
            )
        xy = a[:, :2] * (w, h)
        world = None
        if result.pose_world_landmarks and len(result.pose_world_landmarks) > best:
            world = np.array(
                [(p.x, p.y, p.z) for p in result.pose_world_landmarks[best]], dtype=np.float64
            )
        return Pose(xy=xy, visibility=a[:, 2].copy(), world=world, size_wh=(w, h), n_people=len(arrays))


def _largest(arrays: list[np.ndarray], w: int, h: int) -> int:
    """Index of the person whose visible landmarks span the largest box (in pixels)."""
    areas = []
    for a in arrays:
        pts = a[a[:, 2] >= _VISIBLE, :2]
        if len(pts) < 2:
            pts = a[:, :2]
        span = (pts.max(axis=0) - pts.min(axis=0)) * (w, h)
        areas.append(float(span[0] * span[1]))
    return int(np.argmax(areas))
