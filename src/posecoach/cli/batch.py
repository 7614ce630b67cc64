"""Batch analysis of recorded videos: the shell that drives the pipeline over files.

For each video: frames -> ``PoseEstimator`` -> ``Session`` -> a result dict,
written as ``<name>.json`` and ``<name>_reps.csv``; for the batch a
``summary.csv``, a readable ``report.md`` and ``report.html`` (plots of each
video, ``posecoach.cli.batch_report``).  ``<name>`` is the video's path
relative to the common folder of the inputs (``d1/a.mp4`` -> ``d1%2Fa.mp4``,
``output_names``), so two videos never share a result file.  A video that
fails, for whatever reason, gets a one-line error in its JSON and in the
summary and report; the others are still analysed.  Videos run in parallel
worker processes with ``workers > 1``, or on a Dask cluster; each process prepares the pose
model once (``_pose_estimator``).  A result JSON holds only what follows from the video, the
exercise and the options, so it is the same bytes wherever it ran; how long each video took is
in ``timing.csv``.
"""

from __future__ import annotations

import csv
import json
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from posecoach.cli.analyze import AUTO_FPS_HOLDS, AUTO_FPS_REPS, DEFAULT_ANALYSIS_FPS
from posecoach.cli.output import output_folder, readable
from posecoach.errors import PosecoachError, SourceError
from posecoach.io.atomic import write_output
from posecoach.core.exercise import Exercise, find_exercise
from posecoach.core.pipeline import Estimator, Pipeline, RawFrame, Step
from posecoach.core.session import Session, SessionConfig

__all__ = [
    "DEFAULT_ANALYSIS_FPS", "REP_CSV_EXPLAINED", "REP_CSV_FIELDS", "AnalyzeOptions", "analysis_rate", "analyze_video",
    "final_result", "output_names",
    "run_batch", "short_names", "write_result",
]

#: ``--annotate``'s video, ``<name>_annotated.mp4``, and the ending of its temporary name (as
#: ``posecoach.app.annotate`` has them; not imported from there, which loads Qt)
ANNOTATED_SUFFIX = "_annotated.mp4"
ANNOTATED_TMP_SUFFIX = ".tmp.mp4"

REP_CSV_FIELDS = [
    "index", "start_s", "end_s", "duration_s", "peak_angle", "peak_s", "up_s", "down_s", "hold_s", "side", "faults",
]
#: after those (and the similarity columns, when judged against a reference): whether the row is a
#: counted rep or an attempt that did not count (``yes``/``no``), why not, and each fault's value
#: and limit (``core.explain.detail_code``: ``knees_cave 0.57 < 0.75 (textbook)``)
REP_CSV_EXPLAINED = ["counted", "why_not_counted", "fault_details"]


@dataclass(frozen=True)
class AnalyzeOptions:
    exercise: str
    model: str | None = None
    max_side: int = 1280
    # Frames a second analysed: a rate, "auto" (``analysis_rate``) or None (every frame: ``full``).
    analysis_fps: float | str | None = DEFAULT_ANALYSIS_FPS
    num_poses: int = 2
    config: SessionConfig = field(default_factory=SessionConfig)
    save_landmarks: bool = False
    patient: str | None = None  # judge against this patient's targets and reference; store the session for them
    annotate: bool = False  # also write <name>_annotated.mp4 (posecoach.app.annotate)
    # A class standing in for PoseEstimator (same constructor, detect/restart/close), built in
    # whichever process runs the video: posecoach.testing.fakes.SyntheticSquats needs no model.
    estimator: type | None = None


def analyze_video(
    path: str | Path,
    opts: AnalyzeOptions,
    *,
    progress: Callable[[int], None] | None = None,
    exercise: Exercise | None = None,
    record_to: Path | None = None,
    estimator_factory: Callable[[], Estimator] | None = None,
    annotate_to: Path | None = None,
) -> dict:
    """Analyse one video; raises ``PosecoachError`` subclasses on bad input.

    ``record_to``: also save the landmarks (``posecoach.io.recording``) so the video can be
    re-judged later without the model (``posecoach replay``).
    ``opts.patient``: count against that patient's targets, add "similarity" and "differs_most"
    (vs their reference) to each rep, and store the session for them (``_judge_for_patient``).
    ``annotate_to``: also write the frames with the overlay there (``--annotate``; whole or not at all).
    ``estimator_factory``: stands in for ``PoseEstimator(opts.model, num_poses=...)`` (tests).
    ``progress``: called with the number of frames done, every few frames (a progress bar).
    """
    from posecoach.io.scenecut import SceneCutDetector
    from posecoach.io.sources import VideoFileSource

    ex = exercise or find_exercise(opts.exercise)
    t0 = time.perf_counter()
    judge = _patient_judge(opts.patient, ex) if opts.patient else None
    session = Session(ex, config=opts.config, targets=judge.engine_targets if judge else None)
    recorded: list[RawFrame] | None = [] if record_to is not None else None
    cuts = SceneCutDetector()  # sees the frames the model skips too
    rate = analysis_rate(opts.analysis_fps, ex, judge.engine_targets if judge else None)
    src = VideoFileSource(path, max_side=opts.max_side, analysis_fps=rate, skipped=cuts.skipped)
    with src, _annotating(annotate_to, ex, src.fps) as annotate:
        size = None
        if estimator_factory is not None:
            estimator = estimator_factory()
        elif src.analysis_fps is not None:  # some frames only: the estimator smooths by time
            estimator = _pose_estimator(opts, ex.posture, video_fps=src.fps)
        else:
            estimator = _pose_estimator(opts, ex.posture)
        pipeline = Pipeline(estimator, cuts, record=recorded,
                            progress=_frames_read(src, progress) if progress else None)
        for step in pipeline.steps(src, session):
            size = step.frame.size_wh
            annotate(step)
        fps, expected, read, analysed_at = src.fps, src.n_frames, src.frames_read, src.analysis_fps
    if session.frames == 0:
        raise SourceError(f"{path}: no frame could be decoded (corrupt or empty video)")
    if record_to is not None and recorded is not None:
        from posecoach.io.recording import write_recording

        write_recording(record_to, recorded, {"source": readable(str(path)), "fps": fps, "size": list(size or ())})
    result = {"source": str(path), **session.summary()}
    cut_short = _cut_short(read, expected)
    if cut_short:
        result["warnings"] = [*result["warnings"], cut_short]
    result["fps"] = round(fps, 3)
    # "frames" (and frames_with_pose, frames_usable) count the frames analysed, of frames_in_video.
    result["analysis_fps"] = round(analysed_at if analysed_at is not None else fps, 3)
    result["frames_in_video"] = read
    result["size"] = list(size) if size else None
    result["processing_s"] = round(time.perf_counter() - t0, 3)
    # The duration is that of the video, not of the span between first and last frame analysed.
    result["duration_s"] = round(read / fps, 3) if fps else result["duration_s"]
    result["trace"] = session.timeline()  # what report.html draws (also for results kept by a re-run)
    if judge is not None:
        _judge_for_patient(judge, result, session)
    return result


def analysis_rate(asked: float | str | None, exercise: Exercise, targets=None) -> float | None:
    """The frames a second to analyse: ``asked``, or for ``auto`` by what the exercise measures
    (``cli.analyze.AUTO_FPS_*``): an exercise that times holds (``counting: hold``, or a hold
    target in its file or in the patient's ``targets``) at ``AUTO_FPS_HOLDS``, one that counts
    reps only at ``AUTO_FPS_REPS``: every counted clip's reps are those of full rate at both,
    a hold's start and end need the finer steps."""
    from posecoach.core.engine import times_holds

    if asked != "auto":
        return None if asked is None else float(asked)
    return AUTO_FPS_HOLDS if times_holds(exercise, targets) else AUTO_FPS_REPS


def _annotating(dest: Path | None, exercise: Exercise, fps: float) -> AbstractContextManager[Callable[[Step], None]]:
    """What paints each step into ``dest`` (``posecoach.app.annotate``: Qt is loaded only for
    ``--annotate``); a no-op without.  The video is written at the source's frame rate, each
    analysed frame at its timestamp."""
    if dest is None:
        return nullcontext(_no_annotation)
    from posecoach.app.annotate import annotated_video

    return annotated_video(dest, exercise, fps)


def _no_annotation(step: Step) -> None:
    pass


def _frames_read(src, progress: Callable[[int], None]) -> Callable[[int], None]:
    """``progress`` told of the frames read (skipped ones too), as the bar counts the video's
    frames, when the pipeline reports the frames it analysed."""
    told = 0

    def report(_analysed: int) -> None:
        nonlocal told
        progress(src.frames_read - told)
        told = src.frames_read

    return report


def _cut_short(read: int, expected: int | None) -> str | None:
    """A warning when fewer frames could be read than the container says it holds (a file cut off
    in a copy or an upload): the decoder just stops there, silently."""
    if not expected or expected - read < max(2, 0.02 * expected):
        return None
    missing = expected - read
    return (f"the video seems cut short: {missing} of its {expected} frames ({100 * missing / expected:.0f}%) "
            "could not be read; copy or export it again")


def _pose_estimator(opts: AnalyzeOptions, posture: str = "any", video_fps: float | None = None) -> Estimator:
    """This process's pose estimator for ``opts``, ready for a new video; ``posture``: the
    exercise's, to follow the person doing it among several (``core.people``); ``video_fps``: the
    video's rate when only some of its frames are analysed (the estimator smooths by time).

    Prepared once per process (the CLI, each ``--workers`` process, each Dask worker): the first
    video finds and checks the model, imports MediaPipe and builds the landmarkers; each next one
    only ``restart``s it, which gives exactly what a new estimator would (the tracker is rebuilt,
    nothing of the last video is kept): 0.24 s instead of 0.67 s for a new one, on 2 busy cores
    (``bench/results/batch_memory.md``).  The pipeline's ``close`` hands it back for the next video.
    """
    if opts.estimator is not None:
        make = opts.estimator
    else:
        from posecoach.io.estimator import PoseEstimator  # MediaPipe itself only when one is made

        make = PoseEstimator
    key = (make, opts.model, opts.num_poses)
    idle = _idle_estimators.setdefault(key, [])
    est = None
    while idle and est is None:
        est = idle.pop()
        try:
            est.restart(posture, video_fps=video_fps)
        except Exception:  # a broken graph: build a new one below (this video reports its own error)
            _close_quietly(est)
            est = None
    if est is None:
        est = make(opts.model, num_poses=opts.num_poses, posture=posture, video_fps=video_fps)
        _close_at_exit()
    return _Lent(est, idle)


# Estimators not in use, by (the class that made them, model, num_poses); a list, as threads of
# one Dask worker may each analyse a video at the same time.
_idle_estimators: dict[tuple, list] = {}


class _Lent:
    """An estimator lent to one video: ``close`` gives it back for the next video, unless it
    failed on a frame (a MediaPipe graph that raised may be unusable: it is closed instead)."""

    def __init__(self, est, idle: list) -> None:
        self._est, self._idle, self._failed = est, idle, False

    def detect(self, image_bgr, t_s: float):
        try:
            return self._est.detect(image_bgr, t_s)
        except BaseException:
            self._failed = True
            raise

    def close(self) -> None:
        est, self._est = self._est, None
        if est is None:
            return
        if self._failed:
            _close_quietly(est)
        else:
            self._idle.append(est)


def _close_quietly(est) -> None:
    try:
        est.close()
    except Exception:  # pragma: no cover - PoseEstimator.close already swallows graph errors
        pass


def _close_idle_estimators() -> None:
    """Close the estimators kept for the next video (an unclosed landmarker raises at interpreter exit)."""
    for idle in _idle_estimators.values():
        while idle:
            _close_quietly(idle.pop())


_exit_hook = False


def _close_at_exit() -> None:
    """Register ``_close_idle_estimators`` once: at interpreter exit, and at a worker process's end
    (``multiprocessing`` ends its children with ``os._exit``, which skips ``atexit``)."""
    global _exit_hook
    if _exit_hook:
        return
    import atexit
    from multiprocessing import util

    atexit.register(_close_idle_estimators)
    util.Finalize(None, _close_idle_estimators, exitpriority=100)
    _exit_hook = True


def _patient_judge(patient: str, exercise: Exercise):
    """The patient's targets and reference (``posecoach.clinic.references.PatientJudge``); one-line errors."""
    from posecoach.clinic.patients import Clinic
    from posecoach.clinic.references import PatientJudge

    try:
        with Clinic() as c:
            return PatientJudge.load(c, patient, exercise)
    except KeyError as e:
        raise PosecoachError(str(e.args[0]) if e.args else str(e)) from None
    except ValueError as e:
        raise PosecoachError(f"targets of {patient} for {exercise.id}: {e}; fix them with `posecoach targets set`") from None


def _judge_for_patient(judge, result: dict, session: Session) -> None:
    """Similarity per rep vs the reference, and the session stored for the patient (``session_id``)."""
    from posecoach.clinic.patients import Clinic

    judge.judge(result, session)
    with Clinic() as c:
        result["session_id"] = judge.store(c, result)


def replay_recording(path: str | Path, exercise: Exercise, rate: float | None = None) -> dict:
    """Judge a landmark recording (``posecoach replay``): the same session, without the model.

    ``rate``: judge only the frames ``analyze --analysis-fps rate`` would have analysed (a
    camera cut on a frame left out is seen on the next one kept, as the cut detector does).
    The landmarks stay those the model found on every frame, so this measures the counting's
    dependence on the frame rate, not the model's tracking from fewer frames."""
    from posecoach.io.recording import iter_recording
    from posecoach.io.sources import FrameSelector

    session = Session(exercise)
    meta: dict = {}
    pick: FrameSelector | None = None
    cut_left_out = False
    for item in iter_recording(path):
        if isinstance(item, dict):
            meta = item
            continue
        t, pose, cut = item
        if rate is not None and pick is None:
            fps = meta.get("fps")
            pick = FrameSelector(rate, float(fps) if isinstance(fps, (int, float)) and fps > 0 else rate)
        if pick is not None and not pick.keep(t):
            cut_left_out = cut_left_out or cut
            continue
        session.process(t, pose, cut or cut_left_out)
        cut_left_out = False
    if session.frames == 0:
        raise SourceError(f"{path}: the recording holds no frames")
    source = meta.get("source")
    return {"source": str(path), "recorded_from": source if isinstance(source, str) else None, **session.summary(),
            "trace": session.timeline()}


# -- output -------------------------------------------------------------------------------------
def _reps_csv(result: dict) -> str:
    """One row per counted rep, then per attempt that did not count (``counted`` no, with why),
    in time order; the faults of each with the value measured and the limit it crossed."""
    import io

    from posecoach.core.explain import details_code

    buf = io.StringIO()
    fields = list(REP_CSV_FIELDS)
    if any("similarity" in r for r in result.get("rep_details", [])):
        fields += ["similarity", "differs_most"]  # judged against a patient's reference
    fields += REP_CSV_EXPLAINED
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    w.writeheader()
    rows = [(r, True) for r in result.get("rep_details", [])]
    rows += [(r, False) for r in result.get("partial_reps") or []]
    rows.sort(key=lambda rc: rc[0].get("start_s") or 0.0)  # stable: a rep before an attempt at the same time
    for r, counted in rows:
        row = dict(r)
        row["faults"] = ";".join(r.get("faults", []))
        row["counted"] = "yes" if counted else "no"
        row["why_not_counted"] = "" if counted else r.get("why_not_counted") or "did not reach the peak"
        if not counted:
            row["index"] = ""  # not a rep: its number would be the next rep's
        row["fault_details"] = details_code(r.get("fault_details"))
        w.writerow(row)
    return buf.getvalue()


def final_result(result: dict, exercise: str) -> dict:
    """``result`` as it is written and shown: every string printable (``readable``), and only
    finite numbers (JSON has no NaN); a result that still holds one is an error entry instead."""
    result = readable(result)
    try:
        json.dumps(result, allow_nan=False)
    except ValueError:
        return {"source": result.get("source"), "exercise": result.get("exercise", exercise),
                "error": f"{result.get('source')}: the analysis gave a value that is not a number; "
                         "report this with the video"}
    return result


def _json_text(result: dict) -> str:
    """The result as indented JSON, its ``trace`` (thousands of numbers) on one line each list,
    so that the file stays readable and small."""
    trace = result.get("trace")
    if not isinstance(trace, dict):
        return json.dumps(result, indent=2, allow_nan=False) + "\n"
    token = f"@trace-{os.getpid()}-{id(result)}@"
    text = json.dumps({**result, "trace": token}, indent=2, allow_nan=False)
    inner = ",\n    ".join(f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'), allow_nan=False)}"
                          for k, v in trace.items())
    return text.replace(json.dumps(token), "{\n    " + inner + "\n  }", 1) + "\n"


def write_result(result: dict, out_dir: Path, stem: str) -> list[Path]:
    """``<stem>.json`` (and ``<stem>_reps.csv`` unless it failed); pass the result through ``final_result``."""
    json_path = out_dir / f"{stem}.json"
    write_output(json_path, _json_text(result))
    paths = [json_path]
    if "error" not in result:
        csv_path = out_dir / f"{stem}_reps.csv"
        write_output(csv_path, _reps_csv(result))
        paths.append(csv_path)
    return paths


def _summary_files(results: list[dict], out_dir: Path, exercise: str, *, html: bool = True) -> None:
    """``summary.csv``, ``report.md`` and (unless ``html`` is False) ``report.html``."""
    import io

    from posecoach.cli.batch_report import exercise_or_none as _exercise_or_none
    from posecoach.core.explain import details_code, limits_sentence

    buf = io.StringIO()
    fields = ["source", "exercise", "reps", "duration_s", "frames", "frames_with_pose", "frames_usable", "faults",
              "warnings", "error"]
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    w.writeheader()
    for r in results:
        row = dict(r)
        row["faults"] = ";".join(f"{k}={v}" for k, v in r.get("faults", {}).items())
        row["warnings"] = " | ".join(r.get("warnings", []))
        w.writerow(row)
    write_output(out_dir / "summary.csv", buf.getvalue())

    lines = [f"# posecoach analysis: {exercise}", "", f"{len(results)} video(s).", ""]
    lines += ["| video | reps | duration (s) | pose found | faults | notes |", "|---|---:|---:|---:|---|---|"]
    for r, short in zip(results, short_names(results)):
        name = _md(short)
        if "error" in r:
            lines.append(f"| {name} | - | - | - | - | ERROR: {_md(r['error'])} |")
            continue
        pct = 100 * r["frames_with_pose"] / max(r["frames"], 1)
        faults = ", ".join(f"{k} x{v}" for k, v in r["faults"].items()) or "none"
        lines.append(
            f"| {name} | {r['reps']} | {r['duration_s']:.1f} | {pct:.0f}% | {faults} | {'; '.join(r['warnings'])} |"
        )
    for r, short in zip(results, short_names(results)):
        if "error" in r or not (r["rep_details"] or r.get("partial_reps")):
            continue
        lines += ["", f"## {_md(short)}", "",
                  "| rep | start (s) | end (s) | peak angle | hold (s) | faults |", "|---:|---:|---:|---:|---:|---|"]
        for d in r["rep_details"]:
            lines.append(
                f"| {d['index']} | {d['start_s']:.1f} | {d['end_s']:.1f} | {d['peak_angle']} | {d['hold_s']:.1f} "
                f"| {_md(details_code(d.get('fault_details')) or ', '.join(d['faults'])) or '-'} |"
            )
        for d in r.get("partial_reps") or []:
            lines.append(f"| not counted: {_md(d.get('why_not_counted') or 'short of the peak')} "
                         f"| {d['start_s']:.1f} | {d['end_s']:.1f} | {d['peak_angle']} | - "
                         f"| {_md(details_code(d.get('fault_details'))) or '-'} |")
        for text in [limits_sentence(r, _exercise_or_none(str(r.get("exercise", exercise)))), *r.get("view_notes", [])]:
            if text:
                lines += ["", _md(text)]
        if r["cues"]:
            lines += ["", "Cues: " + "; ".join(f"{c['t']:.1f}s \"{c['text']}\"" for c in r["cues"])]
    write_output(out_dir / "report.md", "\n".join(lines) + "\n")
    if html:
        from posecoach.cli.batch_report import render_batch_report

        write_output(out_dir / "report.html", render_batch_report(results, short_names(results), exercise))


def short_names(results: list[dict]) -> list[str]:
    """How the report and the table name each result: its path relative to the common folder of
    all, so that ``d1/a.mp4`` and ``d2/a.mp4`` are told apart (a lone video: its file name)."""
    full = [os.path.abspath(str(r.get("source") or "?")) for r in results]
    try:
        common = os.path.commonpath([os.path.dirname(f) for f in full]) if full else ""
    except ValueError:
        common = ""
    return [os.path.relpath(f, common) if common else f for f in full]


def _md(text: str) -> str:
    """Text in a Markdown table cell: a ``|`` in a file name must not end the cell."""
    return text.replace("|", "\\|")


# -- batch --------------------------------------------------------------------------------------
_queue = None


def _init_worker(q) -> None:  # pragma: no cover - runs in the worker process
    global _queue
    _queue = q


def _worker(path: str, opts: AnalyzeOptions, record_to: Path | None,
            annotate_to: Path | None = None) -> dict:  # pragma: no cover
    def report(n: int) -> None:
        if _queue is not None:
            _queue.put(n)

    return _safe_analyze(path, opts, report, record_to, annotate_to)


def _one_line(e: BaseException) -> str:
    """An exception as ``Type: message`` on one line (MediaPipe's messages span several)."""
    return f"{type(e).__name__}: {' '.join(str(e).split())[:200]}"


def _failed(path: str | Path, opts: AnalyzeOptions, message: str) -> dict:
    """The result of a video that could not be analysed: its one-line error, kept in the batch."""
    return {"source": str(path), "exercise": opts.exercise, "error": message}


def _safe_analyze(
    path: str, opts: AnalyzeOptions, progress: Callable[[int], None] | None, record_to: Path | None = None,
    annotate_to: Path | None = None,
) -> dict:
    try:
        return analyze_video(path, opts, progress=progress, record_to=record_to, annotate_to=annotate_to)
    except PosecoachError as e:
        return _failed(path, opts, str(e))
    except MemoryError:
        return _failed(path, opts, f"{path}: out of memory; analyse fewer videos at once")
    except Exception as e:  # whatever else fails in one video (MediaPipe, OpenCV...) fails only that one
        return _failed(path, opts, f"{path}: the analysis failed ({_one_line(e)}); "
                                   "the other videos go on; check the model with `posecoach setup-model` "
                                   "and report this line if it happens again")


_ESCAPED = set('%/\\:*?"<>|')  # besides control characters and bytes that are not UTF-8


def _encode_part(part: str) -> str:
    """One path component as a portable file name, injectively: ``%`` and what a file name
    cannot hold everywhere become ``%XX``; a byte that is not UTF-8 (``surrogateescape``) ``%XX``;
    any other lone surrogate ``%uXXXX``."""
    out = []
    for ch in part:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:
            out.append(f"%{o - 0xDC00:02X}")
        elif 0xD800 <= o <= 0xDFFF:
            out.append(f"%u{o:04X}")
        elif ch in _ESCAPED or o < 0x20 or o == 0x7F:
            out.append(f"%{o:02X}")
        else:
            out.append(ch)
    return "".join(out)


_MAX_NAME_BYTES = 180  # + "_landmarks.jsonl" and the atomic writer's temporary name stay under 255


def output_names(paths: list[Path], strip: str = "") -> list[str]:
    """One output name per input, never the same for two inputs of a run: the input's stem
    (``clip.mp4`` -> ``clip``; for a replay, the file name without ``strip``) where no other input
    of the run has that stem and it needs no escaping, as always (people and scripts look for
    ``<stem>.json``); otherwise its ``_path_name`` (``d1/a.mp4`` -> ``d1%2Fa.mp4``).  A stem is
    kept only if it equals no other name given: every path name is distinct from every other,
    so at worst every input gets its path name."""
    paths = [Path(p) for p in paths]
    long = _path_names(paths, strip)
    stems = [(p.name[: -len(strip)] if strip and p.name.endswith(strip) else p.stem) for p in paths]
    plain = [bool(s) and _encode_part(s) == s and len(s.encode("utf-8")) <= _MAX_NAME_BYTES for s in stems]
    while True:
        names = [s if ok else n for s, ok, n in zip(stems, plain, long, strict=True)]
        counts: dict[str, int] = {}
        for n in names:
            counts[n] = counts.get(n, 0) + 1
        clash = [i for i, n in enumerate(names) if plain[i] and counts[n] > 1]
        if not clash:
            return names
        for i in clash:
            plain[i] = False


def _path_names(paths: list[Path], strip: str = "") -> list[str]:
    """One output name per input, never the same for two inputs, and not depending on the order
    of the inputs: the path relative to the common folder of the inputs, separators written
    ``%2F`` (``d1/a.mp4`` -> ``d1%2Fa.mp4``), ``%`` and unportable characters ``%XX`` (so the
    mapping is injective: no two paths give the same name, whatever their characters).
    ``strip`` (``_landmarks.jsonl`` for replays) is cut off the end; a name
    without it ends in ``%`` instead, which no stripped name can (every other ``%`` starts an escape).
    A name too long for a file system keeps its start and gets ``%~`` and a hash of the whole."""
    import hashlib

    full = [os.path.abspath(p) for p in paths]
    try:
        common = os.path.commonpath([os.path.dirname(f) for f in full]) if full else ""
    except ValueError:  # Windows: inputs on different drives
        common = ""
    names = []
    for f in full:
        rel = os.path.relpath(f, common) if common else f
        parts = [p for p in rel.replace(os.sep, "/").split("/") if p]
        name = "%2F".join(_encode_part(p) for p in parts)
        if strip:
            enc = _encode_part(strip)
            name = name[: -len(enc)] if name.endswith(enc) and len(name) > len(enc) else name + "%"
        if len(name.encode("utf-8")) > _MAX_NAME_BYTES:
            digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
            name = name.encode("utf-8")[: _MAX_NAME_BYTES - 20].decode("utf-8", "ignore") + "%~" + digest
        names.append(name)
    return names


def _total_frames(paths: list[Path]) -> int | None:
    import cv2

    from posecoach.io.sources import opencv_name

    total = 0
    for p in paths:
        try:
            with opencv_name(p) as name:
                cap = cv2.VideoCapture(name)
        except SourceError:
            continue  # the video's own analysis reports it
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if cap.isOpened() else 0
        cap.release()
        total += max(n, 0)
    return total or None


def _dask_client(address: str):
    """A dask.distributed client: ``local`` starts a cluster on this machine, anything else is a scheduler."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise PosecoachError(
            "--dask needs dask.distributed: pip install 'dask[distributed]' (or drop --dask)"
        ) from None
    if address == "local":
        # On loopback only, with no dashboard (its HTTP server still starts: on a free port, so
        # that a busy 8787 does not print a warning); distributed's own INFO and WARNING lines
        # ("Worker process still alive after 4.0 seconds, killing") are not the user's business:
        # only its errors reach the terminal (a video's own failure comes back in its result).
        cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.ERROR,
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
        return Client(cluster)
    try:
        return Client(address, timeout="3s")
    except (OSError, TimeoutError) as e:
        raise PosecoachError(
            f"cannot reach the Dask scheduler at {address} ({e}); start one with `dask scheduler` "
            "and workers with `dask worker ADDRESS` (each with posecoach and its model installed)"
        ) from None


def _run_on_dask(paths, opts, names, out_dir, address, bar, done) -> None:
    """The same per-video job on a Dask cluster; outputs are written here, as results arrive."""
    from distributed import as_completed as dask_completed

    client = _dask_client(address)
    try:
        futs = {}
        for i, p in enumerate(paths):
            record = out_dir / f"{names[i]}_landmarks.jsonl" if opts.save_landmarks else None
            annotated = out_dir / f"{names[i]}{ANNOTATED_SUFFIX}" if opts.annotate else None
            futs[client.submit(_safe_analyze, str(p), opts, None, record, annotated, pure=False)] = i
        for fut in dask_completed(list(futs)):
            i = futs.pop(fut)
            try:
                res = fut.result()
            except Exception as e:  # a lost worker must not sink the batch
                res = _failed(paths[i], opts, f"{paths[i]}: analysis failed on the cluster ({_one_line(e)})")
            fut.release()  # the worker keeps a result while a future holds it: 200 videos, 200 results
            bar.update(res.get("frames_in_video", res.get("frames", 0)))
            done(i, res)
    finally:
        cluster = client.cluster if address == "local" else None
        client.close()
        if cluster is not None:  # now, not at exit, when its log lines would follow the results
            cluster.close()


def _run_in_processes(paths, opts, record, workers, bar, done, annotated=lambda i: None) -> None:
    """Videos in ``workers`` spawned processes; outputs are written here, as results arrive
    (the landmarks and annotated videos by the workers)."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(q,)) as pool:
        futs = {pool.submit(_worker, str(p), opts, record(i), annotated(i)): i for i, p in enumerate(paths)}
        pending = set(futs)
        while pending:
            while not q.empty():
                bar.update(q.get_nowait())
            ready = [f for f in pending if f.done()]
            for f in ready:
                pending.discard(f)
                i = futs[f]
                try:
                    res = f.result()
                except Exception as e:  # a crashed worker must not sink the batch
                    res = _failed(paths[i], opts, f"{paths[i]}: analysis crashed ({_one_line(e)})")
                done(i, res)
            if not ready:
                time.sleep(0.05)
        while not q.empty():
            bar.update(q.get_nowait())


def _model_sha256(opts: AnalyzeOptions, hashes) -> str | None:
    """The pose model's content hash (a result depends on the model), None if it cannot be read here."""
    from posecoach.io.pose_model import find_model

    try:
        return hashes.sha256(find_model(opts.model))
    except PosecoachError:
        return None


def _remove_leftovers(out_dir: Path, names: list[str]) -> None:
    """What a killed run was writing (``atomic_open``'s temporary files of this run's outputs) goes."""
    from posecoach.cli.resume import HASH_CACHE
    from posecoach.io.atomic import remove_leftovers

    for name in [*names, "summary", "report", "timing"]:
        for suffix in (".json", "_reps.csv", "_landmarks.jsonl", ".csv", ".md", ".html"):
            remove_leftovers(out_dir / f"{name}{suffix}")
    for name in names:  # an annotated video's temporary name ends in .mp4 (OpenCV needs it)
        remove_leftovers(out_dir / f"{name}{ANNOTATED_SUFFIX}", ANNOTATED_TMP_SUFFIX)
    remove_leftovers(out_dir / HASH_CACHE)


_HASH_BAR_BYTES = 256 * 2**20  # about a second of reading


def _video_hashes(paths: list[Path], hashes, show_progress: bool) -> list[str | None]:
    """Each video's content hash; a bar (in bytes) while files not hashed before are read, when
    that takes a while (over ``_HASH_BAR_BYTES``)."""
    from tqdm import tqdm

    total = sum(hashes.to_read(p) for p in paths)
    with tqdm(total=total, unit="B", unit_scale=True, desc="checking videos", leave=False,
              disable=not show_progress or total < _HASH_BAR_BYTES, dynamic_ncols=True) as bar:
        return [hashes.sha256(p, bar.update) for p in paths]


def _plan(paths: list[Path], opts: AnalyzeOptions, out_dir: Path, names: list[str], force: bool,
          show_progress: bool = False):
    """Each video's provenance, and the stored results still up to date (by index; none with ``force``)."""
    from posecoach.cli import resume

    ex = find_exercise(opts.exercise)  # fail early, once, on an unknown or invalid exercise
    hashes = resume.HashCache(out_dir)
    options = resume.result_options(opts, _model_sha256(opts, hashes))
    if opts.patient:  # judged against the patient's targets and reference, as they are now
        judge = _patient_judge(opts.patient, ex)
        options["patient_targets"] = judge.targets
        options["patient_reference_id"] = judge.reference_id
    provs = [resume.provenance(h, ex, options) for h in _video_hashes(paths, hashes, show_progress)]
    hashes.save()
    kept: dict[int, dict] = {}
    for i, p in enumerate(paths):
        if force or (opts.save_landmarks and not (out_dir / f"{names[i]}_landmarks.jsonl").is_file()) \
                or (opts.annotate and not (out_dir / f"{names[i]}{ANNOTATED_SUFFIX}").is_file()):
            continue
        stored = resume.stored_result(out_dir / f"{names[i]}.json", provs[i])
        if stored is not None:
            kept[i] = {**stored, "source": str(p)}
    return provs, kept


def run_batch(
    paths: list[Path],
    opts: AnalyzeOptions,
    out_dir: Path,
    *,
    workers: int = 1,
    show_progress: bool = True,
    on_result: Callable[[dict], None] | None = None,
    dask: str | None = None,
    skipped: Sequence[tuple[str, str]] = (),
    force: bool = False,
    on_up_to_date: Callable[[int], None] | None = None,
    html_report: bool = True,
) -> list[dict]:
    """Analyse ``paths`` (already expanded) and write every output. Returns results in input order,
    then one error entry per ``skipped`` input (``(input, message)``: a missing file...), which
    summary.csv and report.md list too.

    A video whose result in ``out_dir`` is up to date (``posecoach.cli.resume``: same content, exercise
    definition, version and options, and no error) is not analysed again unless ``force``; its stored
    result is listed as it is.  ``on_up_to_date`` is told how many were kept so, before the others run.
    ``workers > 1`` runs videos in parallel processes here; ``dask`` (a scheduler address, or
    ``local``) runs them on a Dask cluster instead, whose workers need posecoach and the model
    (with ``--save-landmarks`` and ``--annotate`` the recordings and videos are written by the workers,
    so use a shared folder).  ``opts.annotate``: a video whose result is up to date but whose
    ``<name>_annotated.mp4`` is missing is analysed again.
    ``html_report``: also write ``report.html`` (``cli.batch_report``), drawn from the results at the end.
    """
    from tqdm import tqdm

    output_folder(out_dir)
    names = output_names(paths)
    _remove_leftovers(out_dir, names)
    provs, results = _plan(paths, opts, out_dir, names, force, show_progress)
    for i, res in results.items():
        if not (out_dir / f"{names[i]}_reps.csv").is_file():
            write_result(res, out_dir, names[i])
    if on_up_to_date is not None:
        on_up_to_date(len(results))
    todo = [i for i in range(len(paths)) if i not in results]
    todo_paths = [paths[i] for i in todo]
    bar = tqdm(total=_total_frames(todo_paths), unit="frame", disable=not (show_progress and todo), dynamic_ncols=True,
               leave=True)

    def record(j: int) -> Path | None:
        return out_dir / f"{names[todo[j]]}_landmarks.jsonl" if opts.save_landmarks else None

    def annotated(j: int) -> Path | None:
        return out_dir / f"{names[todo[j]]}{ANNOTATED_SUFFIX}" if opts.annotate else None

    timing: dict[int, float] = {}

    def done(j: int, res: dict) -> None:
        i = todo[j]
        seconds = res.pop("processing_s", None)  # wall time: in timing.csv, not in the result
        if isinstance(seconds, (int, float)):
            timing[i] = seconds
        res = results[i] = final_result({**res, "provenance": provs[i]}, opts.exercise)
        write_result(res, out_dir, names[i])
        if on_result is not None:
            with bar.external_write_mode():  # the message gets its own line; the bar is drawn again below it
                on_result(res)

    try:
        if dask:
            _run_on_dask(todo_paths, opts, [names[i] for i in todo], out_dir, dask, bar, done)
        elif workers <= 1 or len(todo_paths) <= 1:
            for j, p in enumerate(todo_paths):
                bar.set_postfix_str(readable(p.name))
                done(j, _safe_analyze(str(p), opts, bar.update, record(j), annotated(j)))
        else:
            _run_in_processes(todo_paths, opts, record, workers, bar, done, annotated)
    finally:
        bar.close()
    ordered = [results[i] for i in range(len(paths))]
    ordered += [final_result(_failed(src, opts, msg), opts.exercise) for src, msg in skipped]
    _summary_files(ordered, out_dir, opts.exercise, html=html_report)
    _timing_file(out_dir, [r.get("source") for r in ordered[:len(paths)]], timing)
    return ordered


def _timing_file(out_dir: Path, sources: list, timing: dict[int, float]) -> None:
    """``timing.csv``: how long each video analysed in this run took (empty for one kept up to
    date or that failed).  Kept out of the result JSON, which must be the same bytes
    wherever and however fast it ran (locally or on Dask, first or in a re-run)."""
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["source", "processing_s"])
    for i, src in enumerate(sources):
        w.writerow([readable(str(src)), f"{timing[i]:.3f}" if i in timing else ""])
    write_output(out_dir / "timing.csv", buf.getvalue())
