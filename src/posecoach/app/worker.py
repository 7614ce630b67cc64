"""The live pipeline off the Qt thread.

Two threads per session:

- the **reader** (a plain thread) pulls frames from the source.  A video file is
  paced at its real frame rate (times ``speed``) and frames that are already
  late are skipped; a camera is read as fast as it delivers.  Each frame goes
  into a one-frame mailbox, replacing the one there if inference has not taken
  it yet: inference always gets the **newest** frame, so there is no growing lag.
- the **inference** thread (this ``QThread``) takes the newest frame, runs the
  pose estimator, the shot-cut detector and the ``Session``, hands cues to the
  speaker (``say`` never blocks) and emits one ``LiveFrame`` per processed frame
  with ``frame_ready``.  The GUI only displays.

The estimator and the source are made *in* the worker thread by factories, so
tests can inject a fake estimator that replays synthetic poses in step with the
video frames.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QImage

from posecoach.core.cues import Cue, CuePolicy
from posecoach.errors import PosecoachError
from posecoach.core.exercise.schema import Exercise
from posecoach.core.pipeline import Estimator, Pipeline, Step
from posecoach.core.session import FrameResult, Session
from posecoach.core.types import Frame
from posecoach.app.coaching import CAMERA_LOST_NOTICE
from posecoach.app.lighting import LightingWatch

__all__ = ["LiveFrame", "PipelineWorker", "default_estimator_factory", "default_source_factory"]


@dataclass(frozen=True, slots=True)
class _Taken:
    """A frame as the inference thread takes it from the mailbox, with the moment the reader
    took it off the source (``LiveFrame.captured_at``, for the latency figure)."""

    frame: Frame
    captured_at: float

    @property
    def image(self) -> np.ndarray:
        return self.frame.image

    @property
    def t(self) -> float:
        return self.frame.t

    @property
    def index(self) -> int:
        return self.frame.index


@dataclass
class LiveFrame:
    """One processed frame, as the GUI receives it."""

    image: QImage  # RGB888, already converted in the worker
    t: float  # video/camera time of the frame (s)
    index: int
    captured_at: float  # time.monotonic() when the frame was read from the source
    result: FrameResult
    brightness: float
    guidance: str  # what to tell the patient about the set-up ("" when the view is good)
    infer_ms: float
    dropped: int  # frames dropped so far
    processed: int
    size_wh: tuple[int, int] = (0, 0)
    extra: dict = field(default_factory=dict)
    coach: Any = None  # what ``on_result`` returned for this frame (the coaching run's view)


def default_estimator_factory(model: str | None = None) -> Callable[[], Estimator]:
    def make() -> Estimator:
        from posecoach.io.estimator import PoseEstimator

        return PoseEstimator(model)

    return make


def default_source_factory(spec: str | int, *, max_side: int | None = 960) -> Callable[[], Any]:
    def make():
        from posecoach.io.sources import APP_CAMERA_HINT, CameraSource, VideoFileSource, camera_index, open_source

        index = camera_index(spec)
        if index is not None:
            return CameraSource(index, hint=APP_CAMERA_HINT)  # no "--source N" for a patient in the window
        src = open_source(spec)
        if isinstance(src, VideoFileSource):
            src.max_side = max_side
        return src

    return make


def brightness(image: np.ndarray) -> float:
    """Mean grey level (0-255) of a subsampled frame: ~0.05 ms."""
    small = image[::8, ::8]
    if small.ndim == 3:
        # BGR weights of the usual luma
        return float(small[..., 0].mean() * 0.114 + small[..., 1].mean() * 0.587 + small[..., 2].mean() * 0.299)
    return float(small.mean())


class _Mailbox:
    """Holds the newest frame only; ``put`` over an untaken frame drops that frame.

    ``lossless``: ``put`` waits until the previous frame was taken instead (nothing is dropped,
    the video slows down to the inference's pace): replaying a recording frame for frame."""

    def __init__(self, lossless: bool = False) -> None:
        self._cond = threading.Condition()
        self._item: tuple[Frame, float] | None = None
        self.lossless = lossless
        self.dropped = 0
        self.closed = False

    def put(self, item: tuple[Frame, float]) -> None:
        with self._cond:
            while self.lossless and self._item is not None and not self.closed:
                self._cond.wait(0.1)
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def take(self, timeout: float = 0.1) -> tuple[Frame, float] | None:
        with self._cond:
            if self._item is None and not self.closed:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            self._cond.notify_all()
            return item


class PipelineWorker(QThread):
    """Runs one coaching session on one source; see the module docstring.

    Signals: ``frame_ready(LiveFrame)``, ``source_failed(str)`` (could not open or
    read the source; the message is for the patient), ``source_paused(str)`` (the camera was
    lost: the session waits for it, the message is for the patient) and ``source_resumed()`` (it
    is back, the same session goes on), and ``ended(str, str)`` with
    the reason (``completed`` = the video ended, ``user``, ``camera_lost``,
    ``error``) and a message, emitted once after the last frame.
    """

    frame_ready = Signal(object)
    source_failed = Signal(str)
    source_paused = Signal(str)
    source_resumed = Signal()
    ended = Signal(str, str)

    def __init__(
        self,
        exercise: Exercise,
        source_factory: Callable[[], Any],
        *,
        estimator_factory: Callable[[], Estimator] | None = None,
        speaker: Any = None,
        count_aloud: bool = False,
        speed: float = 1.0,
        realtime: bool = True,
        lossless: bool = False,
        targets: Any = None,
        session: Session | None = None,
        on_result: Callable[[FrameResult, str], Any] | None = None,
        camera_retry_s: float = 1.0,
        camera_wait_s: float = 600.0,
        parent=None,
    ) -> None:
        """``session``: the one to feed (default: a new one for ``exercise``).  ``on_result(result,
        guidance)`` is called on this worker's thread after each frame (the app's coaching run:
        set tracking, history, the cue to say); what it returns goes out as ``LiveFrame.coach``,
        and its ``cue`` attribute, if any, is what the speaker is handed.  ``lossless``: judge every
        frame of a video even when inference is slower than the video (it then plays slower than
        real time); live coaching keeps the newest frame only.  A camera (a source with a ``lost``
        flag) that is lost is opened again with ``source_factory`` every ``camera_retry_s`` for up
        to ``camera_wait_s`` (``posecoach.io.sources.ReconnectingSource``) while the session waits."""
        super().__init__(parent)
        self.exercise = exercise
        self.session = session if session is not None else Session(
            exercise, targets=targets, cue_policy=CuePolicy(praise=tuple(exercise.praise), count_aloud=count_aloud))
        self.on_result = on_result
        self._source_factory = source_factory
        self._estimator_factory = estimator_factory or default_estimator_factory()
        self.speaker = speaker
        self.speed = speed if speed > 0 else 1.0
        self.realtime = realtime
        self._stop = threading.Event()
        self.lossless = lossless
        self.camera_retry_s = camera_retry_s
        self.camera_wait_s = camera_wait_s
        self._light = LightingWatch()
        self._mail = _Mailbox(lossless)
        self._reader: threading.Thread | None = None
        self._source: Any = None
        self._source_error: str | None = None
        self._source_lost = False
        self._source_done = threading.Event()
        self.processed = 0
        self.frames_read = 0
        self.skipped_late = 0
        self.reason = ""
        self.message = ""
        # (monotonic time, cue) handed to the speaker: the newest few hundred (a session of any length)
        self.cues_emitted: deque[tuple[float, Cue]] = deque(maxlen=500)

    # -- control (any thread) -------------------------------------------------
    def stop(self) -> None:
        """Ask the worker to stop now; returns at once (``wait()`` to join)."""
        self._stop.set()
        self._mail.close()

    @property
    def dropped(self) -> int:
        return self._mail.dropped + self.skipped_late

    # -- reader thread --------------------------------------------------------
    def _frames(self, src: Any) -> Any:
        """The source's frames; a camera's through a ``ReconnectingSource`` (waits for it when lost)."""
        if not hasattr(src, "lost"):
            return src
        from posecoach.io.sources import ReconnectingSource

        return ReconnectingSource(src, self._source_factory, retry_s=self.camera_retry_s,
                                  give_up_s=self.camera_wait_s, stop=self._stop,
                                  on_lost=lambda: self.source_paused.emit(CAMERA_LOST_NOTICE),
                                  on_back=self.source_resumed.emit)

    def _read(self, src: Any) -> None:
        from posecoach.io.sources import VideoFileSource

        paced = (self.realtime and isinstance(src, VideoFileSource)) or getattr(src, "paced", False)
        fps = float(getattr(src, "fps", 30.0) or 30.0)
        period = 1.0 / fps / self.speed
        t0: float | None = None
        frames = self._frames(src)
        try:
            for frame in frames:
                if self._stop.is_set():
                    break
                self.frames_read += 1
                now = time.monotonic()
                if paced:
                    if t0 is None:
                        t0 = now - frame.t / self.speed
                    due = t0 + frame.t / self.speed
                    if now < due:
                        if self._stop.wait(due - now):
                            break
                        now = time.monotonic()
                    elif now - due > period and not self.lossless:
                        # Decoding fell behind the video's clock: skip to catch up.
                        self.skipped_late += 1
                        continue
                self._mail.put((frame, now))
        except Exception as exc:  # a decoder error mid-stream: end the session, keep it
            self._source_error = f"{getattr(src, 'name', 'the video')}: could not be read ({exc})"
        finally:
            self._source_lost = bool(getattr(frames, "lost", False))
            if frames is not src:
                frames.close()  # the device opened again, if it was
            self._source_done.set()
            self._mail.close()

    # -- inference thread -----------------------------------------------------
    def run(self) -> None:
        """Open the source and the estimator here, start the reader, run the pipeline
        (``posecoach.core.pipeline``) on the newest frames until the source ends or ``stop``,
        then say once why it ended."""
        estimator: Estimator | None = None
        try:
            estimator = self._open()
            if estimator is None:
                return
            from posecoach.io.scenecut import SceneCutDetector

            self._reader = threading.Thread(target=self._read, args=(self._source,), name="posecoach-reader", daemon=True)
            self._reader.start()
            for step in Pipeline(estimator, SceneCutDetector()).steps(self._newest_frames(), self.session):
                self._process(step)
            self._finish(*self._ending())
        except Exception as exc:
            self._finish("error", f"the coaching stopped unexpectedly: {type(exc).__name__}: {exc}", failed=True)
        finally:
            self._shut_down(estimator)

    def _open(self) -> Estimator | None:
        """The source, then the estimator, made in this thread; None (ended with a message) if one fails."""
        try:
            self._source = self._source_factory()
        except PosecoachError as exc:
            self._finish("error", str(exc), failed=True)
            return None
        except Exception as exc:
            self._finish("error", f"the video source could not be opened ({exc})", failed=True)
            return None
        try:
            estimator = self._estimator_factory()
            if hasattr(estimator, "posture"):  # MediaPipe's: follow the person in the exercise's posture
                estimator.posture = self.exercise.posture
            return estimator
        except PosecoachError as exc:
            self._finish("error", str(exc), failed=True)
            return None

    def _newest_frames(self) -> Iterator[_Taken]:
        """The mailbox as the pipeline's frames: the newest frame each time, until ``stop`` or
        the reader has ended and the mailbox is empty."""
        while not self._stop.is_set():
            item = self._mail.take(0.1)
            if item is None:
                if self._source_done.is_set() and self._mail.closed:
                    return
                continue
            frame, captured_at = item
            yield _Taken(frame, captured_at)

    def _ending(self) -> tuple[str, str, bool]:
        """(reason, message, failed) for ``ended``, once the frames stopped coming."""
        if self._stop.is_set():
            return "user", "", False
        if self._source_error:
            return "error", self._source_error, True
        if self._source_lost:
            return "camera_lost", ("The camera stopped sending pictures (unplugged?). "
                                   "Your session so far is kept."), True
        if self.processed == 0:
            return "error", f"{getattr(self._source, 'name', 'the source')}: no frame could be read", True
        return "completed", "The video has ended.", False

    def _shut_down(self, estimator: Estimator | None) -> None:
        """Stop the reader, then release the source and the estimator (errors here are moot)."""
        self._stop.set()
        self._mail.close()
        if self._reader is not None:
            self._reader.join(5.0)
        for thing in (self._source, estimator):
            if thing is not None:
                try:
                    thing.close()
                except Exception:
                    pass

    def _finish(self, reason: str, message: str, failed: bool = False) -> None:
        self.reason, self.message = reason, message
        if failed and message:
            self.source_failed.emit(message)
        self.ended.emit(reason, message)

    def _process(self, step: Step[_Taken]) -> None:
        """Guidance, speech and the picture for the GUI, for one frame the pipeline judged."""
        frame, result = step.frame, step.result
        img = frame.image
        bright = brightness(img)
        # The light is mentioned only while it spoils the tracking (never over an empty title card).
        guidance = self._light.update(result.t, bright, str(result.status)) or result.guidance
        coach = self._speak(result, guidance)
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        h, w = rgb.shape[:2]
        qimg = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.processed += 1
        self.frame_ready.emit(LiveFrame(
            image=qimg, t=frame.t, index=frame.index, captured_at=frame.captured_at, result=result,
            brightness=bright, guidance=guidance, infer_ms=1000.0 * step.infer_s, dropped=self.dropped,
            processed=self.processed, size_wh=(w, h), coach=coach,
        ))

    def _speak(self, result: FrameResult, guidance: str) -> Any:
        """Give the frame to ``on_result`` and hand the cue the cue policy decided on (if any) to
        the speaker; return what ``on_result`` returned.  Nothing is decided here."""
        coach = self.on_result(result, guidance) if self.on_result is not None else None
        cue = getattr(coach, "cue", None) if coach is not None else result.cue
        if cue is not None:
            self.cues_emitted.append((time.monotonic(), cue))
            if self.speaker is not None:
                try:
                    self.speaker.say(cue)
                except Exception:
                    pass
        return coach


def nan_to_none(v: float) -> float | None:
    return None if v is None or math.isnan(v) else v
