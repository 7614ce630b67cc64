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

Usage: ``Pipeline(estimator, cuts, record=..., progress=...).steps(frames, session)`` gives one
``Step`` per frame; ``.detections(frames)`` is the same loop without a session (reference
recording judges its frames after the capture, possibly twice); ``.detect(frame)`` and
``Detection.judge(session)`` are the body of the loop, for a caller that pushes frames one at a
time (``bench/bench_pipeline.py`` times them frame by frame against bare MediaPipe).  The loop
closes the estimator when it ends (see ``Pipeline``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import numpy as np

from posecoach.core.session import FrameResult, Session
from posecoach.core.types import Pose

__all__ = [
    "PROGRESS_EVERY",
    "CutDetector",
    "Detection",
    "Estimator",
    "FrameLike",
    "Pipeline",
    "RawFrame",
    "Step",
    "never_cut",
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
class Step(Generic[F]):
    """One frame through the whole pipeline; ``infer_s``: estimator + cut detector + session."""

    frame: F
    pose: Pose | None  # as the estimator gave it (``result.pose`` is the smoothed one)
    cut: bool
    result: FrameResult
    infer_s: float


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

    def judge(self, session: Session) -> Step[F]:
        """The session's verdict on this frame."""
        t0 = time.perf_counter()
        result = session.process(self.frame.t, self.pose, self.cut)
        return Step(self.frame, self.pose, self.cut, result, self.infer_s + (time.perf_counter() - t0))


@dataclass(frozen=True)
class Pipeline:
    """The estimator and the cut detector, with what the loop should do besides (all optional):

    - ``stop``: polled once before each frame; True ends the loop (a Stop button);
    - ``record``: receives the raw ``(t, pose, cut)`` of every frame, for ``--save-landmarks``
      and references;
    - ``progress``: called with the number of frames done since its last call, every
      ``progress_every`` frames and once at the end (a progress bar).

    A loop (``detections``/``steps``) **owns the estimator**: it closes it when it ends, however
    it ends (frames exhausted, ``stop``, an exception, or the consumer closing the iterator).
    """

    estimator: Estimator
    cuts: CutDetector
    stop: Callable[[], bool] | None = None
    record: list[RawFrame] | None = None
    progress: Callable[[int], None] | None = None
    progress_every: int = PROGRESS_EVERY

    def detect(self, frame: F) -> Detection[F]:
        """The estimator, then the cut detector, on one frame (the body of the loop)."""
        t0 = time.perf_counter()
        pose = self.estimator.detect(frame.image, frame.t)
        cut = bool(self.cuts(frame.image))
        return Detection(frame, pose, cut, time.perf_counter() - t0)

    def detections(self, frames: Iterable[F]) -> Generator[Detection[F], None, None]:
        """``detect`` on every frame, in order, none skipped (for a caller without a session)."""
        pending = 0
        try:
            for frame in frames:
                if self.stop is not None and self.stop():
                    break
                d = self.detect(frame)
                if self.record is not None:
                    self.record.append(d.raw)
                pending += 1
                if self.progress is not None and pending >= self.progress_every:
                    self.progress(pending)
                    pending = 0
                yield d
            if self.progress is not None and pending:
                self.progress(pending)
        finally:
            self.estimator.close()

    def steps(self, frames: Iterable[F], session: Session) -> Generator[Step[F], None, None]:
        """``detections``, each then judged by ``session``: one ``Step`` per frame."""
        detections = self.detections(frames)
        try:
            for d in detections:
                yield d.judge(session)
        finally:
            detections.close()  # closes the estimator now, even when our consumer stops early
