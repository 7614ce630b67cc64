"""The one frame loop: frames -> estimator -> cut detector -> session, one ``Step`` per frame.

Every way of running posecoach goes through here: ``posecoach analyze`` (files), reference
recording, the terminal demo and live coach, and the app's worker thread.  They differ only in
what they hand in and what they do with each step:

    frames (any iterable of objects with ``.image`` and ``.t``)
      -> estimator.detect(image, t) -> Pose | None      (``Estimator``: MediaPipe, or a replay)
      -> cuts(image) -> bool                             (``CutDetector``: did the shot change?)
      -> session.process(t, pose, cut) -> FrameResult    (``Session``: reps, faults, cues)
      -> Step(frame, pose, cut, result, infer_s)

This module is pure: it imports no OpenCV, MediaPipe or Qt.  Sources, the MediaPipe estimator and
the scene-cut detector are adapters in ``posecoach.io``; they are handed in as objects that
satisfy the protocols below, so tests hand in fakes.  Pacing, dropping stale frames (the app's
"newest frame only" mailbox), limiting a recording to N seconds and writing the video are done by
the caller, in the iterable of frames it gives.

Two levels, so that a caller without a session (reference recording judges its frames after the
capture, possibly twice) uses the same loop:

- ``iter_detections``: frames -> ``Detection`` (pose, cut flag, time taken), with the options the
  callers need: ``stop`` (polled once before each frame), ``record`` (a list that receives the raw
  ``(t, pose, cut)`` of each frame, for ``--save-landmarks`` and references) and ``progress``
  (called with the number of frames done since the last call, every ``progress_every`` frames and
  once at the end).  The iteration **owns the estimator**: it is closed when the iteration ends,
  however it ends (exhausted, stopped, an exception, or the consumer closing the iterator).
- ``iter_steps``: the same, each detection then judged by the session.

``detect_one`` and ``judge_one`` are the per-frame bodies of those loops, for a caller that pushes
frames one at a time (``bench/bench_pipeline.py`` times them frame by frame).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import numpy as np

from posecoach.core.session import FrameResult, Session
from posecoach.core.types import Pose

__all__ = [
    "Estimator", "CutDetector", "FrameLike", "RawFrame", "Detection", "Step",
    "detect_one", "judge_one", "iter_detections", "iter_steps", "never_cut", "PROGRESS_EVERY",
]

PROGRESS_EVERY = 25  # frames between two progress calls: often enough for a bar, rare enough to be free

RawFrame = tuple[float, Pose | None, bool]
"""What a landmark recording keeps of a frame: ``(t, pose or None, cut)``."""


class Estimator(Protocol):
    """Pose of the main person in a BGR image (``posecoach.io.estimator.PoseEstimator``, or a fake).

    ``t_s`` is the frame's time: a tracking estimator needs rising times.  ``close`` releases the
    model and must be safe to call twice (the pipeline closes what it is given, and the caller
    may close it again on its own error paths)."""

    def detect(self, image_bgr: np.ndarray, t_s: float) -> Pose | None: ...

    def close(self) -> None: ...


class CutDetector(Protocol):
    """True when this picture starts a new shot (``posecoach.io.scenecut.SceneCutDetector``)."""

    def __call__(self, image_bgr: np.ndarray) -> bool: ...


class FrameLike(Protocol):
    """What the loop needs of a frame: the picture and its time.  ``posecoach.core.types.Frame``
    is one; a caller may pass its own type (the app's frames also carry when they were read),
    and gets the same object back in each step."""

    @property
    def image(self) -> np.ndarray: ...

    @property
    def t(self) -> float: ...


F = TypeVar("F", bound=FrameLike)


def never_cut(image_bgr: np.ndarray) -> bool:
    """A ``CutDetector`` for frames that are not pictures (the demo replays generated poses)."""
    return False


@dataclass(frozen=True, slots=True)
class Detection(Generic[F]):
    """One frame seen by the estimator and the cut detector; ``infer_s``: time both took."""

    frame: F
    pose: Pose | None
    cut: bool
    infer_s: float

    @property
    def raw(self) -> RawFrame:
        return (self.frame.t, self.pose, self.cut)


@dataclass(frozen=True, slots=True)
class Step(Generic[F]):
    """One frame through the whole pipeline; ``infer_s``: estimator + cut detector + session."""

    frame: F
    pose: Pose | None  # as the estimator gave it (``result.pose`` is the smoothed one)
    cut: bool
    result: FrameResult
    infer_s: float


def detect_one(frame: F, estimator: Estimator, cuts: CutDetector) -> Detection[F]:
    """The estimator, then the cut detector, on one frame."""
    t0 = time.perf_counter()
    pose = estimator.detect(frame.image, frame.t)
    cut = bool(cuts(frame.image))
    return Detection(frame, pose, cut, time.perf_counter() - t0)


def judge_one(detection: Detection[F], session: Session) -> Step[F]:
    """The session's verdict on one detected frame."""
    t0 = time.perf_counter()
    result = session.process(detection.frame.t, detection.pose, detection.cut)
    infer_s = detection.infer_s + (time.perf_counter() - t0)
    return Step(detection.frame, detection.pose, detection.cut, result, infer_s)


def iter_detections(
    frames: Iterable[F],
    estimator: Estimator,
    cuts: CutDetector,
    *,
    stop: Callable[[], bool] | None = None,
    record: list[RawFrame] | None = None,
    progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> Iterator[Detection[F]]:
    """``detect_one`` over ``frames`` in order, none skipped; see the module docstring for the
    options.  Closes ``estimator`` when the iteration ends."""
    pending = 0
    try:
        for frame in frames:
            if stop is not None and stop():
                break
            d = detect_one(frame, estimator, cuts)
            if record is not None:
                record.append(d.raw)
            pending += 1
            if progress is not None and pending >= progress_every:
                progress(pending)
                pending = 0
            yield d
        if progress is not None and pending:
            progress(pending)
    finally:
        estimator.close()


def iter_steps(
    frames: Iterable[F],
    estimator: Estimator,
    cuts: CutDetector,
    session: Session,
    *,
    stop: Callable[[], bool] | None = None,
    record: list[RawFrame] | None = None,
    progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> Iterator[Step[F]]:
    """``iter_detections``, each frame then judged by ``session`` (``judge_one``)."""
    detections = iter_detections(frames, estimator, cuts, stop=stop, record=record, progress=progress,
                                 progress_every=progress_every)
    try:
        for d in detections:
            yield judge_one(d, session)
    finally:
        detections.close()  # closes the estimator now, even when our consumer stops early
