"""Poses over time from a camera, a video or a landmark recording, thinned to a few a second.

For checks that follow slow changes (the posture check: seconds, not frames) and need neither
the rep pipeline's scene cuts nor its frame gate: ``iter_poses`` yields ``(t, Pose | None)``.
A ``*_landmarks.jsonl`` recording (``analyze --save-landmarks``) is read without the model; a
video is thinned as it is decoded; a camera frame by frame.  ``realtime`` paces a video or a
recording at its own clock (the app plays a file as if it were a camera).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from posecoach.core.types import Pose

__all__ = ["iter_poses"]


def iter_poses(source: str | int, fps: float = 5.0, model: str | None = None, *, realtime: bool = False,
               stop: Callable[[], bool] = lambda: False) -> Iterator[tuple[float, Pose | None]]:
    """(t, pose) at about ``fps`` a second until the source ends or ``stop()`` says so."""
    t0 = time.monotonic()

    def pace(t: float) -> None:
        while realtime and not stop():
            wait = t - (time.monotonic() - t0)
            if wait <= 0:
                return
            time.sleep(min(wait, 0.1))

    if isinstance(source, str) and source.endswith(".jsonl"):
        from posecoach.io.recording import read_recording

        frames, _meta = read_recording(source)
        for t, p, _cut in frames:
            pace(t)
            if stop():
                return
            yield t, p
        return
    from posecoach.io.estimator import PoseEstimator
    from posecoach.io.sources import FrameSelector, camera_index, open_source

    camera = camera_index(source) is not None
    with open_source(source, **({} if camera else {"analysis_fps": fps})) as src, PoseEstimator(model) as est:
        keep = FrameSelector(fps, src.fps)  # a video is already thinned as it is read; a camera here
        for frame in src:
            if stop():
                return
            if keep.keep(frame.t):
                pace(frame.t)
                yield frame.t, est.detect(frame.image, frame.t)
