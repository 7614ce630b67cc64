"""A patient's reference movement, the targets derived from it, and scoring reps against it.

The therapist records the exercise done well (by the patient, guided, or by themselves) from the
camera or a video file.  ``record_reference`` runs the usual pipeline on it and stores, for that
patient (``posecoach.clinic.patients``): the landmarks (JSONL under ``home_dir()/references/<patient_id>/``),
the video only when asked, the main-angle trace and the reps; it derives the patient's targets from
it (``derive_targets``) and stores them too.  The coach then counts against those targets
(``targets_for`` -> ``engine.Targets``) and scores every rep against the reference
(``posecoach.core.similarity``: DTW on normalised trajectories, 0-100, and the phase that differs most).

The targets (``derive_targets``, ``targets_for``) live in ``posecoach.clinic.targets`` and the scoring
(``score_reps``, ``reference_template``, ``PatientJudge``) in ``posecoach.clinic.judge``; they are
re-exported here for the callers that import them from this module.

If the reference is not counted with the exercise's default thresholds (a stiff patient's best
effort), it is segmented with thresholds from its own range (25 % and 70 % of the span between the 5th
and 95th percentiles of the trace), so a reference can always be taken from what the patient can do.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from posecoach.clinic.judge import (
    PAD_S,
    PatientJudge,
    reference_reps,
    reference_template,
    rep_similarity,
    score_reps,
    session_rep_trajectories,
)
from posecoach.clinic.records import RECORD_MAX_S
from posecoach.clinic.targets import REST_MARGIN, check_rom_share, derive_targets, direction, targets_for
from posecoach.core.engine import Targets
from posecoach.core.exercise import Exercise, find_exercise
from posecoach.core.pipeline import Estimator, Pipeline, RawFrame
from posecoach.core.session import Session, SessionConfig
from posecoach.core.types import Frame, Pose
from posecoach.errors import InvalidValue, PosecoachError, SourceError

if TYPE_CHECKING:
    from posecoach.io.sources import FrameSource

__all__ = [
    "PAD_S",
    "REST_MARGIN",
    "PatientJudge",
    "RecordProgress",
    "RecordingCancelled",
    "derive_targets",
    "record_reference",
    "reference_from_frames",
    "reference_reps",
    "reference_template",
    "rep_similarity",
    "score_reps",
    "session_rep_trajectories",
    "targets_for",
]

Frame3 = tuple[float, "Pose | None", bool]


# --------------------------------------------------------------------------- recording


def _provisional_targets(exercise: Exercise, trace_v: list[float]) -> Targets | None:
    """Thresholds from the trace's own range, for a reference the defaults do not count."""
    v = np.asarray(trace_v, float)
    v = v[np.isfinite(v)]
    if v.size < 10:
        return None
    sign = direction(exercise)
    lo, hi = np.percentile(v, [5, 95])
    rest_v, top_v = (lo, hi) if sign > 0 else (hi, lo)
    span = abs(top_v - rest_v)
    if exercise.rep.relative or span <= 3 * exercise.rep.hysteresis:
        return None
    return Targets(rest=float(rest_v + sign * 0.25 * span), peak=float(rest_v + sign * 0.7 * span))


def _judge(exercise: Exercise, frames: list[Frame3], targets: Targets | None, config: SessionConfig | None) -> Session:
    s = Session(exercise, targets=targets, config=config)
    for t, pose, cut in frames:
        s.process(t, pose, cut)
    return s


def reference_from_frames(exercise: Exercise, frames: list[Frame3], *,
                          config: SessionConfig | None = None) -> tuple[list[tuple[float, float | None]], list[dict], dict]:
    """Judge recorded frames ``(t, pose, cut)`` as a reference: (trace, reps, summary).

    Counted with the exercise's thresholds, or, when they count nothing, with thresholds from the
    trace's own range (``summary["segmented_by"]`` says which)."""
    s = _judge(exercise, frames, None, config)
    summary = s.summary()
    summary["segmented_by"] = "exercise thresholds"
    if summary["reps"] == 0:
        prov = _provisional_targets(exercise, s.trace_main)
        if prov is not None:
            s2 = _judge(exercise, frames, prov, config)
            sm2 = s2.summary()
            if sm2["reps"] > 0:
                s, summary = s2, sm2
                summary["segmented_by"] = f"its own range (rest {prov.rest:.1f}, peak {prov.peak:.1f})"
    trace = [(round(t, 4), None if math.isnan(v) else round(v, 3)) for t, v in zip(s.trace_t, s.trace_main)]
    return trace, summary["rep_details"], summary


def _is_camera(source: str | int) -> bool:
    from posecoach.io.sources import camera_index

    return camera_index(source) is not None


class RecordingCancelled(PosecoachError):
    """The recording was cancelled (``record_reference``'s ``cancel``): nothing was stored."""


@dataclass(frozen=True)
class RecordProgress:
    """How far a reference's analysis is, after one more frame (``record_reference``'s ``progress``):
    ``frames`` analysed so far of ``total_frames`` (a video's frame count; None when unknown), the
    frame's time ``t`` in the video and ``seconds`` a camera records for (None for a video), the
    wall time ``elapsed_s`` so far, and the frame itself (BGR) with its ``pose`` for a preview."""

    frames: int
    total_frames: int | None
    t: float
    seconds: float | None
    elapsed_s: float
    image: np.ndarray | None = None
    pose: Pose | None = None

    @property
    def share(self) -> float | None:
        """The share done, 0-1 (None when neither the frame count nor the length is known)."""
        if self.total_frames:
            return min(1.0, self.frames / self.total_frames)
        if self.seconds:
            return min(1.0, max(0.0, self.t / self.seconds))
        return None

    @property
    def left_s(self) -> float | None:
        """About how long is left (s): a camera's time still to record, a video's frames still to
        analyse at the pace so far (None before there is a pace)."""
        if self.seconds and not self.total_frames:
            return max(0.0, self.seconds - self.t)
        share = self.share
        if share is None or share <= 0 or self.frames < 2:
            return None
        return max(0.0, self.elapsed_s * (1.0 - share) / share)


def _capture(source: str | int, *, model: str | None, estimator_factory: Callable[[], Estimator] | None,
             seconds: float | None, video_to: Path | None, log: Callable[[str], None],
             stop: Callable[[], bool] | None = None, progress: Callable[[RecordProgress], None] | None = None,
             cancel: Callable[[], bool] | None = None) -> tuple[list[RawFrame], dict]:
    """Run the pose estimator over a video file or a camera (``seconds`` long, 30 by default;
    ``video_to``: a camera's frames are also written there): frames (t, pose, cut) and meta.
    ``progress`` is told after every frame; ``cancel`` is polled before and after every frame and
    True raises ``RecordingCancelled`` (the estimator and the source are closed on the way out)."""
    from posecoach.io.scenecut import SceneCutDetector

    camera = _is_camera(source)
    if camera and seconds is None:
        seconds = 30.0
    src = _open_source(source)
    frames: list[RawFrame] = []
    size = None
    video = _VideoCopy(video_to if camera else None, src.fps)
    try:
        make_estimator = estimator_factory or partial(_pose_estimator, model)
        if camera:
            log(f"Recording the reference for {seconds:g} s from camera {source}; Ctrl+C stops earlier.")
        cancelled = cancel or (lambda: False)

        def halt() -> bool:
            return bool(cancelled() or (stop is not None and stop()))

        pipeline = Pipeline(make_estimator(), SceneCutDetector(), stop=halt, record=frames)  # closes the estimator
        total = None if camera else getattr(src, "n_frames", None)
        started = time.monotonic()
        detections = pipeline.detections(_until(src, seconds))
        try:
            for d in detections:
                size = d.frame.size_wh
                video.write(d.frame.image)
                if cancelled():
                    break
                if progress is not None:
                    progress(RecordProgress(len(frames), total, float(d.frame.t), seconds,
                                            time.monotonic() - started, d.frame.image, d.pose))
        except KeyboardInterrupt:
            log("stopped: keeping what was recorded")
        finally:
            detections.close()  # the estimator now, not when the generator is collected
        if cancelled():
            raise RecordingCancelled("cancelled: nothing was stored")
        fps = src.fps
    finally:
        src.close()
        video.close()
    if not frames:
        raise SourceError(f"{source}: no frame could be read (corrupt or empty video, or the camera sent nothing)")
    return frames, {"source": str(source), "fps": fps, "size": list(size or ())}


def _open_source(source: str | int) -> FrameSource:
    from posecoach.io.sources import CameraSource, VideoFileSource

    if _is_camera(source):
        return CameraSource(int(str(source).strip()))
    if not Path(str(source)).is_file():
        raise SourceError(f"{source}: no such video file")
    return VideoFileSource(Path(str(source)), max_side=1280)


def _pose_estimator(model: str | None) -> Estimator:
    from posecoach.io.estimator import PoseEstimator

    return PoseEstimator(model)


def _until(frames: Iterable[Frame], seconds: float | None) -> Iterator[Frame]:
    """``frames`` up to ``seconds`` of their own time (all of them for None)."""
    for frame in frames:
        if seconds is not None and frame.t > seconds:
            return
        yield frame


class _VideoCopy:
    """The frames of a camera reference written to ``path`` as MP4 (``mp4v``) when it is not None;
    the writer is made at the first frame, when the size is known."""

    def __init__(self, path: Path | None, fps: float) -> None:
        self.path = path
        self.fps = float(fps)
        self._writer: Any = None

    def write(self, image: np.ndarray) -> None:
        if self.path is None:
            return
        if self._writer is None:
            import cv2

            h, w = image.shape[:2]
            self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter.fourcc(*"mp4v"), self.fps, (w, h))
        self._writer.write(image)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()


def _free_stem(folder: Path, stem: str, video_ext: str | None) -> str:
    """``stem``, or ``stem-2``... when a reference of that exercise was already recorded within the
    same second: never the name of an existing file (another reference's landmarks)."""
    for n in range(1, 1000):
        name = stem if n == 1 else f"{stem}-{n}"
        files = [folder / f"{name}_landmarks.jsonl"] + ([folder / f"{name}{video_ext}"] if video_ext else [])
        if not any(f.exists() or f.is_symlink() for f in files):
            return name
    raise PosecoachError(f"{folder}: too many references from this second; try again")


def _save_files(source: str | int, video_file: Path | None, landmarks: Path, frames: list[RawFrame],
                meta: dict) -> None:
    """A file source's copy (``video_file``, when kept) and the landmarks, each written whole."""
    from posecoach.io.atomic import atomic_open
    from posecoach.io.recording import write_recording

    if video_file is not None and not _is_camera(source):
        try:
            with open(str(source), "rb") as f, atomic_open(video_file, "wb") as out:
                shutil.copyfileobj(f, out)
        except OSError as e:
            raise PosecoachError(f"{video_file}: cannot keep a copy of the video ({e.strerror or e})") from None
    try:
        write_recording(landmarks, frames, meta)
    except OSError as e:
        raise PosecoachError(f"{landmarks}: cannot save the landmarks ({e.strerror or e})") from None


def record_reference(source: str | int, exercise_id: str, patient: str | int, *, notes: str = "",
                     keep_video: bool = False, clinic: Any = None, model: str | None = None,
                     rom_share: float = 0.8, seconds: float | None = None,
                     estimator_factory: Callable[[], Estimator] | None = None,
                     log: Callable[[str], None] = lambda s: None,
                     stop: Callable[[], bool] | None = None,
                     progress: Callable[[RecordProgress], None] | None = None,
                     cancel: Callable[[], bool] | None = None) -> dict:
    """Record a reference for ``patient`` (name or id; must exist) from a video file or a camera
    (index; ``seconds`` long, 30 by default, or until Ctrl+C), store it with the derived targets,
    and return {"reference_id","targets","reps","summary","landmarks_file","video_file"}.

    ``estimator_factory``: a callable returning an ``Estimator`` (``posecoach.core.pipeline``; tests
    replay synthetic poses); default the MediaPipe ``PoseEstimator(model)``.  ``stop``: polled
    every frame, True ends the recording early (a Stop button); ``log``: progress lines;
    ``progress``: told after every frame how far the analysis is (``RecordProgress``, with the frame
    and its pose for a preview); ``cancel``: polled every frame, True abandons the recording
    (``RecordingCancelled``).  Nothing is stored (and no file is left) when the recording is
    cancelled or no targets can be derived from it."""
    from posecoach.clinic.patients import Clinic

    exercise = find_exercise(exercise_id)
    camera = _is_camera(source)  # SourceError (one line) for a number no camera has
    check_rom_share(rom_share)  # before recording, not after
    if seconds is not None and not 0 < seconds <= RECORD_MAX_S:  # also NaN
        raise InvalidValue(f"a reference records above 0 and at most {RECORD_MAX_S:g} s, got {seconds}")
    own = clinic is None
    c = Clinic() if own else clinic
    try:
        p = c.patient(patient)
        folder = c.reference_dir(p.id)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise PosecoachError(f"{folder}: cannot create the reference folder ({e.strerror or e})") from None
        video_ext = (".mp4" if camera else Path(str(source)).suffix or ".mp4") if keep_video else None
        stem = _free_stem(folder, f"{exercise.id}_{datetime.now():%Y%m%dT%H%M%S}", video_ext)
        video_file = None if video_ext is None else folder / f"{stem}{video_ext}"
        try:
            frames, meta = _capture(
                source, model=model, estimator_factory=estimator_factory, seconds=seconds,
                video_to=video_file if camera else None, log=log, stop=stop, progress=progress, cancel=cancel,
            )
            trace, reps, summary = reference_from_frames(exercise, frames)
            targets = derive_targets(exercise, trace, reps, rom_share=rom_share)  # before saving anything
            if cancel is not None and cancel():  # cancelled while the reps were being found
                raise RecordingCancelled("cancelled: nothing was stored")
        except BaseException:
            if video_file is not None and camera:
                video_file.unlink(missing_ok=True)
            raise
        summary = {k: v for k, v in summary.items() if k != "rep_details"}
        landmarks = folder / f"{stem}_landmarks.jsonl"
        try:
            _save_files(source, video_file, landmarks, frames, {**meta, "exercise": exercise.id, "patient_id": p.id})
            # the files are whole before the database names them; reference and targets in one transaction
            rid = c.add_reference(
                p.id, exercise.id, source=str(source), notes=notes, landmarks_file=str(landmarks),
                video_file=None if video_file is None else str(video_file), trace=trace, reps=reps,
                summary=summary, targets=targets,
            )
        except BaseException:
            for f in (landmarks, video_file):
                if f is not None:
                    f.unlink(missing_ok=True)
            raise
        targets["reference_id"] = rid
        return {
            "reference_id": rid, "targets": targets, "reps": reps, "summary": summary,
            "landmarks_file": str(landmarks), "video_file": None if video_file is None else str(video_file),
        }
    finally:
        if own:
            c.close()
