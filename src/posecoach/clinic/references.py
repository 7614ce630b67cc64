"""A patient's reference movement, the targets derived from it, and scoring reps against it.

The therapist records the exercise done well (by the patient, guided, or by themselves) from the
camera or a video file.  ``record_reference`` runs the usual pipeline on it and stores, for that
patient (``posecoach.clinic.patients``): the landmarks (JSONL under ``home_dir()/references/<patient_id>/``),
the video only when asked, the main-angle trace and the reps; it derives the patient's targets from
it (``derive_targets``) and stores them too.  The coach then counts against those targets
(``targets_for`` -> ``engine.Targets``) and scores every rep against the reference
(``posecoach.core.similarity``: DTW on normalised trajectories, 0-100, and the phase that differs most).

Targets from a reference (``derive_targets``), with ``R`` = the reference's range = median rep peak
minus its resting value:

- ``rest``: the resting value (median of the main angle in the second before each rep and the second
  after it) moved toward the peak by ``max(hysteresis, REST_MARGIN * R)`` (``REST_MARGIN`` = 0.2): the
  engine needs the angle back beyond ``rest`` to count a rep, and a patient's resting posture (and the
  camera) varies from day to day by more than the few degrees of hysteresis;
- ``peak = resting value + rom_share * R`` (0.8 by default): the patient is asked for 80 % of their own
  reference range, not a textbook range;
- ``hold_s`` (exercises with a hold): the median time the reference spent beyond that ``peak`` in each
  rep (rounded down to 0.5 s), so the hold is timed the way the coach will time it and the
  reference itself meets it;
- ``tempo_s``: the median duration of a reference rep.

Exercises counted relative to the person's own resting value (``rep.relative``: pelvic tilt, partial
crunch, trunk rotation) get offsets: ``rest`` stays the exercise's (an offset that only absorbs noise)
and ``peak = rom_share *`` the median peak offset of the reference; the stored targets carry
``"relative": true``.

If the reference is not counted with the exercise's default thresholds (a stiff patient's best
effort), it is segmented with thresholds from its own range (25 % and 70 % of the span between the 5th
and 95th percentiles of the trace), so a reference can always be taken from what the patient can do.
"""

from __future__ import annotations

import math
import shutil
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from posecoach.core.engine import Targets
from posecoach.errors import PosecoachError, SourceError
from posecoach.core.exercise import Exercise, find_exercise
from posecoach.core.pipeline import Estimator, Pipeline, RawFrame
from posecoach.core.session import Session, SessionConfig
from posecoach.core.similarity import medoid, rep_similarity, rep_trajectory
from posecoach.core.types import Frame, Pose

if TYPE_CHECKING:
    from posecoach.io.sources import FrameSource

__all__ = [
    "record_reference", "reference_from_frames", "derive_targets", "targets_for", "rep_similarity",
    "reference_reps", "reference_template", "session_rep_trajectories", "score_reps", "PatientJudge",
    "REST_MARGIN", "PAD_S",
]

REST_MARGIN = 0.2
PAD_S = 0.75  # seconds of rest kept on each side of a rep's trajectory
_REST_WINDOW_S = 1.0

Frame3 = tuple[float, "Pose | None", bool]


# ------------------------------------------------------------------------------------ targets


def _sign(exercise: Exercise) -> float:
    return 1.0 if exercise.rep.peak > exercise.rep.rest else -1.0


def _trace_arrays(trace: Iterable) -> tuple[np.ndarray, np.ndarray]:
    rows = [(float(t), math.nan if v is None else float(v)) for t, v in trace]
    if not rows:
        return np.zeros(0), np.zeros(0)
    a = np.asarray(rows, dtype=float)
    return a[:, 0], a[:, 1]


def _resting_value(t: np.ndarray, v: np.ndarray, reps: list[dict], sign: float) -> float:
    """Median of the main angle in the second before each rep and after it (outside every rep)."""
    inside = np.zeros(t.shape, bool)
    near = np.zeros(t.shape, bool)
    for r in reps:
        a, b = r["start_s"], r["end_s"]
        inside |= (t > a) & (t < b)
        near |= ((t >= a - _REST_WINDOW_S) & (t <= a)) | ((t >= b) & (t <= b + _REST_WINDOW_S))
    sel = near & ~inside & np.isfinite(v)
    if sel.sum() >= 3:
        return float(np.median(v[sel]))
    ok = np.isfinite(v)
    if not ok.any():
        raise ValueError("the reference has no frame with the main angle")
    # no rest seen around the reps: the rest-side 10th percentile of the whole trace
    return float(np.percentile(v[ok], 10 if sign > 0 else 90))


def _counted_reps(reps: list[dict]) -> list[dict]:
    out = []
    for r in reps:
        if r.get("counted", True) is False:
            continue
        if any(r.get(k) is None for k in ("start_s", "end_s", "peak_angle")):
            continue
        out.append(r)
    return out


def derive_targets(exercise: Exercise, trace: list[tuple[float, float]], reps: list[dict], *,
                   rom_share: float = 0.8) -> dict:
    """The patient's targets from a reference (see the module docstring).

    ``trace``: (t, main angle or None) per frame; ``reps``: the reference's rep dicts
    (``RepRecord.to_dict()``: start_s, end_s, peak_angle, duration_s...).  Returns
    {"rest","peak","hold_s","tempo_s","rom_share","reference_id": None,"note"} (+ "relative": True
    for exercises counted relative to the resting value).  ValueError (one line) when the reference
    has no rep or too small a range."""
    if not 0 < rom_share <= 1.5:
        raise ValueError(f"rom_share must be in (0, 1.5], got {rom_share}")
    rep = exercise.rep
    counted = _counted_reps(reps)
    if not counted:
        raise ValueError(
            f"the reference has no {exercise.name.lower()} rep: record it again with the whole movement in view"
        )
    sign = _sign(exercise)
    h = rep.hysteresis
    peak_ref = statistics.median(float(r["peak_angle"]) for r in counted)
    tempo = round(statistics.median(float(r["end_s"]) - float(r["start_s"]) for r in counted), 2)
    t, v = _trace_arrays(trace)
    if rep.relative:
        rest_thr = rep.rest
        peak_thr = rom_share * peak_ref
        rest_val = _resting_value(t, v, counted, sign)  # the raw resting value, for the hold below
        if sign * (peak_thr - rest_thr) <= 2 * h:
            raise ValueError(
                f"the reference moved only {abs(peak_ref):.1f} deg from rest: too little to set targets "
                f"for {exercise.id} (needs more than {abs(rest_thr) + 2 * h:.1f} deg at rom_share {rom_share})"
            )
        note = (f"from the reference: median peak offset {peak_ref:.1f} deg from the resting value; "
                f"peak = {rom_share:g} x that")
    else:
        rest_val = _resting_value(t, v, counted, sign)
        rng = sign * (peak_ref - rest_val)
        if rng <= 3 * h:
            raise ValueError(
                f"the reference moved only {rng:.1f} deg from rest ({rest_val:.1f}) toward the peak: too "
                f"little to set targets for {exercise.id}"
            )
        rest_thr = rest_val + sign * max(h, REST_MARGIN * rng)
        peak_thr = rest_val + sign * rom_share * rng
        if sign * (peak_thr - rest_thr) <= 2 * h:
            raise ValueError(
                f"rom_share {rom_share:g} puts the peak target ({peak_thr:.1f}) too close to the rest target "
                f"({rest_thr:.1f}): use a larger rom_share"
            )
        note = (f"from the reference: rest {rest_val:.1f}, peak {peak_ref:.1f} deg (range {rng:.1f}); "
                f"peak = rest + {rom_share:g} x range")
    hold = None
    if exercise.hold is not None or exercise.counting == "hold":
        hold = _hold_beyond(t, v, counted, peak_thr, sign, relative=rep.relative, baseline=rest_val)
    out: dict[str, Any] = {
        "rest": round(float(rest_thr), 1),
        "peak": round(float(peak_thr), 1),
        "hold_s": hold,
        "tempo_s": tempo,
        "rom_share": float(rom_share),
        "reference_id": None,
        "note": note,
    }
    if rep.relative:
        out["relative"] = True
    return out


def _hold_beyond(t: np.ndarray, v: np.ndarray, reps: list[dict], peak_thr: float, sign: float, *,
                 relative: bool, baseline: float) -> float | None:
    """Median over reps of the time the trace stayed beyond ``peak_thr`` (rounded down to 0.5 s)."""
    holds = []
    for r in reps:
        sel = (t >= r["start_s"]) & (t <= r["end_s"])
        tt, vv = t[sel], v[sel]
        if tt.size < 2:
            continue
        if relative:
            vv = vv - baseline
        beyond = np.isfinite(vv) & (sign * (vv - peak_thr) >= 0)
        dt = np.diff(tt, append=tt[-1])
        holds.append(float(np.sum(dt[beyond])))
    if not holds:
        return None
    return math.floor(2 * statistics.median(holds)) / 2


def targets_for(exercise: Exercise, targets: dict | None) -> Targets | None:
    """``engine.Targets`` from stored targets (None: the exercise's own thresholds).

    ValueError (one line) if the thresholds point the wrong way for the exercise or are too close."""
    if not targets:
        return None
    rest = targets.get("rest")
    peak = targets.get("peak")
    hold = targets.get("hold_s")
    rep = exercise.rep
    r = rep.rest if rest is None else float(rest)
    p = rep.peak if peak is None else float(peak)
    if _sign(exercise) * (p - r) <= 0:
        way = "above" if rep.peak > rep.rest else "below"
        raise ValueError(
            f"{exercise.id}: the peak target ({p:g}) must be {way} the rest target ({r:g}), as in the "
            f"exercise (rest {rep.rest:g}, peak {rep.peak:g})"
        )
    if abs(p - r) < 2.0:
        raise ValueError(f"{exercise.id}: the peak ({p:g}) and rest ({r:g}) targets must be at least 2 deg apart")
    if rep.relative and not targets.get("relative") and (rest is not None or peak is not None):
        raise ValueError(
            f"{exercise.id} is counted relative to the resting value: its rest and peak targets are "
            "offsets from it (set them again, e.g. from a reference)"
        )
    return Targets(
        rest=None if rest is None else float(rest),
        peak=None if peak is None else float(peak),
        hold_s=None if hold is None else float(hold),
    )


# -------------------------------------------------------------------------------- similarity


def _sorted_windows(reps: list[dict]) -> list[tuple[dict, float, float]]:
    """Each rep with the end of the previous rep and the start of the next (padding limits)."""
    rs = sorted(_counted_reps(reps), key=lambda r: r["start_s"])
    out = []
    for i, r in enumerate(rs):
        lo = rs[i - 1]["end_s"] if i > 0 else -math.inf
        hi = rs[i + 1]["start_s"] if i + 1 < len(rs) else math.inf
        out.append((r, lo, hi))
    return out


def session_rep_trajectories(trace_t, trace_v, reps: list[dict]) -> list[tuple[dict, np.ndarray]]:
    """(rep dict, ``(n, 2)`` trajectory) for each counted rep, in time order."""
    return [
        (r, rep_trajectory(trace_t, trace_v, r["start_s"], r["end_s"], lo_s=lo, hi_s=hi, pad_s=PAD_S))
        for r, lo, hi in _sorted_windows(reps)
    ]


def reference_reps(reference: dict) -> list[np.ndarray]:
    """The main-angle trajectory of each reference rep, from the trace: ``(n, 2)`` arrays of
    ``(t from the rep's start, angle)``, widened by ``PAD_S`` of rest on each side."""
    t, v = _trace_arrays(reference.get("trace") or [])
    return [traj for _, traj in session_rep_trajectories(t, v, reference.get("reps") or [])]


def reference_template(reference: dict) -> np.ndarray | None:
    """The most typical reference rep (the DTW medoid), or None if the reference has no usable rep."""
    reps = [r for r in reference_reps(reference) if len(r) >= 3]
    if not reps:
        return None
    return reps[medoid(reps)]


def score_reps(details: list[dict], trace_t, trace_v, template: np.ndarray | None) -> None:
    """Add "similarity" (0-100, None if it cannot be computed) and "differs_most" to each rep dict
    of ``details`` (in place), comparing its trajectory in the trace with ``template``."""
    trajs = {id(r): traj for r, traj in session_rep_trajectories(trace_t, trace_v, details)}
    for d in details:
        traj = trajs.get(id(d))
        d["similarity"], d["differs_most"] = None, None
        if template is None or traj is None:
            continue
        try:
            d["similarity"], d["differs_most"] = rep_similarity(template, traj)
        except ValueError:
            pass


# --------------------------------------------------------------------------- recording


def _provisional_targets(exercise: Exercise, trace_v: list[float]) -> Targets | None:
    """Thresholds from the trace's own range, for a reference the defaults do not count."""
    v = np.asarray(trace_v, float)
    v = v[np.isfinite(v)]
    if v.size < 10:
        return None
    sign = _sign(exercise)
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
    return isinstance(source, int) or (isinstance(source, str) and source.strip().isdigit())


def _capture(source: str | int, *, model: str | None, estimator_factory: Callable[[], Estimator] | None,
             seconds: float | None, video_to: Path | None, log: Callable[[str], None],
             stop: Callable[[], bool] | None = None) -> tuple[list[RawFrame], dict]:
    """Run the pose estimator over a video file or a camera (``seconds`` long, 30 by default;
    ``video_to``: a camera's frames are also written there): frames (t, pose, cut) and meta."""
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
        pipeline = Pipeline(make_estimator(), SceneCutDetector(), stop=stop, record=frames)  # closes the estimator
        try:
            for d in pipeline.detections(_until(src, seconds)):
                size = d.frame.size_wh
                video.write(d.frame.image)
        except KeyboardInterrupt:
            log("stopped: keeping what was recorded")
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
        return CameraSource(int(source))
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


def record_reference(source: str | int, exercise_id: str, patient: str | int, *, notes: str = "",
                     keep_video: bool = False, clinic: Any = None, model: str | None = None,
                     rom_share: float = 0.8, seconds: float | None = None,
                     estimator_factory: Callable[[], Estimator] | None = None,
                     log: Callable[[str], None] = lambda s: None,
                     stop: Callable[[], bool] | None = None) -> dict:
    """Record a reference for ``patient`` (name or id; must exist) from a video file or a camera
    (index; ``seconds`` long, 30 by default, or until Ctrl+C), store it with the derived targets,
    and return {"reference_id","targets","reps","summary","landmarks_file","video_file"}.

    ``estimator_factory``: a callable returning an ``Estimator`` (``posecoach.core.pipeline``; tests
    replay synthetic poses); default the MediaPipe ``PoseEstimator(model)``.  ``stop``: polled
    every frame, True ends the recording early (a Stop button); ``log``: progress lines.
    Nothing is stored (and no file is left) when no targets can be derived from the recording."""
    from posecoach.clinic.patients import Clinic
    from posecoach.io.recording import write_recording

    exercise = find_exercise(exercise_id)
    own = clinic is None
    c = Clinic() if own else clinic
    try:
        p = c.patient(patient)
        folder = c.reference_dir(p["id"])
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise PosecoachError(f"{folder}: cannot create the reference folder ({e.strerror or e})") from None
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        stem = f"{exercise.id}_{stamp}"
        video_file: Path | None = None
        if keep_video:
            if _is_camera(source):
                video_file = folder / f"{stem}.mp4"
            else:
                src_path = Path(str(source))
                video_file = folder / f"{stem}{src_path.suffix or '.mp4'}"
        try:
            frames, meta = _capture(
                source, model=model, estimator_factory=estimator_factory, seconds=seconds,
                video_to=video_file if _is_camera(source) else None, log=log, stop=stop,
            )
            trace, reps, summary = reference_from_frames(exercise, frames)
            targets = derive_targets(exercise, trace, reps, rom_share=rom_share)  # before saving anything
        except BaseException:
            if video_file is not None and _is_camera(source):
                video_file.unlink(missing_ok=True)
            raise
        if keep_video and video_file is not None and not _is_camera(source):
            try:
                shutil.copy2(str(source), video_file)
            except OSError as e:
                raise PosecoachError(f"{video_file}: cannot keep a copy of the video ({e.strerror or e})") from None
        landmarks = folder / f"{stem}_landmarks.jsonl"
        try:
            write_recording(landmarks, frames, {**meta, "exercise": exercise.id, "patient_id": p["id"]})
        except OSError as e:
            raise PosecoachError(f"{landmarks}: cannot save the landmarks ({e.strerror or e})") from None
        summary = {k: v for k, v in summary.items() if k != "rep_details"}
        rid = c.add_reference(
            p["id"], exercise.id, source=str(source), notes=notes, landmarks_file=str(landmarks),
            video_file=None if video_file is None else str(video_file), trace=trace, reps=reps, summary=summary,
        )
        targets["reference_id"] = rid
        c.set_targets(p["id"], exercise.id, targets)
        return {
            "reference_id": rid, "targets": targets, "reps": reps, "summary": summary,
            "landmarks_file": str(landmarks), "video_file": None if video_file is None else str(video_file),
        }
    finally:
        if own:
            c.close()


# -------------------------------------------------------------- judging a patient's session


@dataclass
class PatientJudge:
    """What ``analyze --patient`` needs: the patient, their targets for the exercise (or None) and
    the reference rep to score against (or None), with warnings to show."""

    patient: dict
    exercise: Exercise
    targets: dict | None
    engine_targets: Targets | None
    reference_id: int | None
    template: np.ndarray | None
    warnings: list[str]

    @classmethod
    def load(cls, clinic: Any, patient: str | int, exercise: Exercise) -> "PatientJudge":
        p = clinic.patient(patient)
        warnings: list[str] = []
        stored = clinic.targets(p["id"], exercise.id)
        engine_targets = targets_for(exercise, stored)
        if stored is None:
            warnings.append(
                f"no targets for {p['name']} on {exercise.id}: judged with the exercise's own thresholds "
                f"(record a reference with `posecoach reference record`)"
            )
        ref = None
        rid = (stored or {}).get("reference_id")
        if rid is not None:
            try:
                ref = clinic.reference(int(rid))
            except KeyError:
                ref = None
        if ref is None:
            refs = clinic.references(p["id"], exercise.id)
            ref = refs[0] if refs else None
        template = reference_template(ref) if ref is not None else None
        if ref is None:
            warnings.append(f"no reference for {p['name']} on {exercise.id}: reps are not scored for similarity")
        elif template is None:
            warnings.append(f"reference {ref['id']} has no usable rep: reps are not scored for similarity")
        return cls(p, exercise, stored, engine_targets, None if ref is None else ref["id"], template, warnings)

    def judge(self, result: dict, session: Session) -> None:
        """Score ``result["rep_details"]`` (in place) and note the patient, targets and reference."""
        score_reps(result.get("rep_details", []), session.trace_t, session.trace_main, self.template)
        sims = [d["similarity"] for d in result.get("rep_details", []) if d.get("similarity") is not None]
        result["patient"] = self.patient["name"]
        result["targets"] = None if self.targets is None else {
            k: self.targets.get(k) for k in ("rest", "peak", "hold_s", "tempo_s", "rom_share", "reference_id")
        }
        result["reference_id"] = self.reference_id
        result["similarity_median"] = round(statistics.median(sims), 1) if sims else None
        result["warnings"] = list(result.get("warnings", [])) + self.warnings

    def store(self, clinic: Any, result: dict) -> int:
        """Store the judged session for the patient: the session, its reps (with similarity), finished."""
        sid = clinic.start_session(self.patient["id"], self.exercise.id, source=str(result.get("source", "")))
        for d in result.get("rep_details", []):
            clinic.history.add_rep(sid, d, set_index=1)
        for c in result.get("cues", []):
            clinic.history.add_event(sid, float(c.get("t", 0.0)), "cue", str(c.get("text", "")))
        summary = {k: v for k, v in result.items() if k not in ("rep_details", "cues")}
        clinic.history.finish_session(sid, summary=summary, pain_after=None, stopped="completed")
        return sid
