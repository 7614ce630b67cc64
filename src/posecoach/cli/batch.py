"""Batch analysis of recorded videos: the shell that drives the pipeline over files.

For each video: frames -> ``PoseEstimator`` -> ``Session`` -> a result dict,
written as ``<stem>.json`` and ``<stem>_reps.csv``; for the batch a
``summary.csv`` and a readable ``report.md``.  A video that fails gets a
one-line error in its JSON and in the report; the others are still analysed.
Videos run in parallel worker processes with ``workers > 1``.
"""

from __future__ import annotations

import csv
import json
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from posecoach.errors import OutputError, PosecoachError, SourceError
from posecoach.io.atomic import write_output
from posecoach.core.exercise import Exercise, find_exercise
from posecoach.core.pipeline import Estimator, Pipeline, RawFrame
from posecoach.core.session import Session, SessionConfig

__all__ = ["REP_CSV_FIELDS", "AnalyzeOptions", "analyze_video", "run_batch", "write_result"]

REP_CSV_FIELDS = [
    "index", "start_s", "end_s", "duration_s", "peak_angle", "peak_s", "up_s", "down_s", "hold_s", "side", "faults",
]


@dataclass(frozen=True)
class AnalyzeOptions:
    exercise: str
    model: str | None = None
    max_side: int = 1280
    num_poses: int = 2
    config: SessionConfig = field(default_factory=SessionConfig)
    save_landmarks: bool = False
    patient: str | None = None  # judge against this patient's targets and reference; store the session for them


def analyze_video(
    path: str | Path,
    opts: AnalyzeOptions,
    *,
    progress: Callable[[int], None] | None = None,
    exercise: Exercise | None = None,
    record_to: Path | None = None,
    estimator_factory: Callable[[], Estimator] | None = None,
) -> dict:
    """Analyse one video; raises ``PosecoachError`` subclasses on bad input.

    ``record_to``: also save the landmarks (``posecoach.io.recording``) so the video can be
    re-judged later without the model (``posecoach replay``).
    ``opts.patient``: count against that patient's targets, add "similarity" and "differs_most"
    (vs their reference) to each rep, and store the session for them (``_judge_for_patient``).
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
    make_estimator = estimator_factory or partial(_pose_estimator, opts, ex.posture)
    with VideoFileSource(path, max_side=opts.max_side) as src:
        size = None
        pipeline = Pipeline(make_estimator(), SceneCutDetector(), record=recorded, progress=progress)
        for step in pipeline.steps(src, session):
            size = step.frame.size_wh
        fps = src.fps
    if session.frames == 0:
        raise SourceError(f"{path}: no frame could be decoded (corrupt or empty video)")
    if record_to is not None and recorded is not None:
        from posecoach.io.recording import write_recording

        try:
            write_recording(record_to, recorded, {"source": str(path), "fps": fps, "size": list(size or ())})
        except OSError as e:
            raise OutputError(f"{record_to}: cannot save the landmarks ({e.strerror or e})") from None
    result = {"source": str(path), **session.summary()}
    result["fps"] = round(fps, 3)
    result["size"] = list(size) if size else None
    result["processing_s"] = round(time.perf_counter() - t0, 3)
    # The duration is that of the video, not of the span between first and last frame.
    result["duration_s"] = round(session.frames / fps, 3) if fps else result["duration_s"]
    if judge is not None:
        _judge_for_patient(judge, result, session)
    return result


def _pose_estimator(opts: AnalyzeOptions, posture: str = "any") -> Estimator:
    """The MediaPipe adapter, imported only when a video is really analysed; ``posture``: the
    exercise's, to follow the person doing it among several (``core.people``)."""
    from posecoach.io.estimator import PoseEstimator

    return PoseEstimator(opts.model, num_poses=opts.num_poses, posture=posture)


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


def replay_recording(path: str | Path, exercise: Exercise) -> dict:
    """Judge a landmark recording (``posecoach replay``): the same session, without the model."""
    from posecoach.io.recording import iter_recording

    session = Session(exercise)
    meta: dict = {}
    for item in iter_recording(path):
        if isinstance(item, dict):
            meta = item
            continue
        t, pose, cut = item
        session.process(t, pose, cut)
    if session.frames == 0:
        raise SourceError(f"{path}: the recording holds no frames")
    return {"source": str(path), "recorded_from": meta.get("source"), **session.summary()}


# -- output -------------------------------------------------------------------------------------
def _reps_csv(result: dict) -> str:
    import io

    buf = io.StringIO()
    fields = list(REP_CSV_FIELDS)
    if any("similarity" in r for r in result.get("rep_details", [])):
        fields += ["similarity", "differs_most"]  # judged against a patient's reference
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    w.writeheader()
    for r in result.get("rep_details", []):
        row = dict(r)
        row["faults"] = ";".join(r.get("faults", []))
        w.writerow(row)
    return buf.getvalue()


def write_result(result: dict, out_dir: Path, stem: str) -> list[Path]:
    json_path = out_dir / f"{stem}.json"
    write_output(json_path, json.dumps(result, indent=2) + "\n")
    paths = [json_path]
    if "error" not in result:
        csv_path = out_dir / f"{stem}_reps.csv"
        write_output(csv_path, _reps_csv(result))
        paths.append(csv_path)
    return paths


def _summary_files(results: list[dict], out_dir: Path, exercise: str) -> None:
    import io

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
    for r in results:
        name = Path(r["source"]).name
        if "error" in r:
            lines.append(f"| {name} | - | - | - | - | ERROR: {r['error']} |")
            continue
        pct = 100 * r["frames_with_pose"] / max(r["frames"], 1)
        faults = ", ".join(f"{k} x{v}" for k, v in r["faults"].items()) or "none"
        lines.append(
            f"| {name} | {r['reps']} | {r['duration_s']:.1f} | {pct:.0f}% | {faults} | {'; '.join(r['warnings'])} |"
        )
    for r in results:
        if "error" in r or not r["rep_details"]:
            continue
        lines += ["", f"## {Path(r['source']).name}", "",
                  "| rep | start (s) | end (s) | peak angle | hold (s) | faults |", "|---:|---:|---:|---:|---:|---|"]
        for d in r["rep_details"]:
            lines.append(
                f"| {d['index']} | {d['start_s']:.1f} | {d['end_s']:.1f} | {d['peak_angle']} | {d['hold_s']:.1f} "
                f"| {', '.join(d['faults']) or '-'} |"
            )
        if r["cues"]:
            lines += ["", "Cues: " + "; ".join(f"{c['t']:.1f}s \"{c['text']}\"" for c in r["cues"])]
    write_output(out_dir / "report.md", "\n".join(lines) + "\n")


# -- batch --------------------------------------------------------------------------------------
_queue = None


def _init_worker(q) -> None:  # pragma: no cover - runs in the worker process
    global _queue
    _queue = q


def _worker(path: str, opts: AnalyzeOptions, record_to: Path | None) -> dict:  # pragma: no cover
    def report(n: int) -> None:
        if _queue is not None:
            _queue.put(n)

    return _safe_analyze(path, opts, report, record_to)


def _failed(path: str | Path, opts: AnalyzeOptions, message: str) -> dict:
    """The result of a video that could not be analysed: its one-line error, kept in the batch."""
    return {"source": str(path), "exercise": opts.exercise, "error": message}


def _safe_analyze(
    path: str, opts: AnalyzeOptions, progress: Callable[[int], None] | None, record_to: Path | None = None
) -> dict:
    try:
        return analyze_video(path, opts, progress=progress, record_to=record_to)
    except PosecoachError as e:
        return _failed(path, opts, str(e))
    except MemoryError:
        return _failed(path, opts, f"{path}: out of memory; analyse fewer videos at once")


def _stems(paths: list[Path]) -> list[str]:
    """Output names: the video stem, made unique when two folders hold the same name."""
    seen: dict[str, int] = {}
    out = []
    for p in paths:
        s = p.stem
        n = seen.get(s, 0)
        seen[s] = n + 1
        out.append(s if n == 0 else f"{s}_{n + 1}")
    return out


def _total_frames(paths: list[Path]) -> int | None:
    import cv2

    total = 0
    for p in paths:
        cap = cv2.VideoCapture(str(p))
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
        cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, dashboard_address=None)
        return Client(cluster)
    try:
        return Client(address, timeout="3s")
    except (OSError, TimeoutError) as e:
        raise PosecoachError(
            f"cannot reach the Dask scheduler at {address} ({e}); start one with `dask scheduler` "
            "and workers with `dask worker ADDRESS` (each with posecoach and its model installed)"
        ) from None


def _run_on_dask(paths, opts, stems, out_dir, address, bar, done) -> None:
    """The same per-video job on a Dask cluster; outputs are written here, as results arrive."""
    from distributed import as_completed as dask_completed

    client = _dask_client(address)
    try:
        futs = {}
        for i, p in enumerate(paths):
            record = out_dir / f"{stems[i]}_landmarks.jsonl" if opts.save_landmarks else None
            futs[client.submit(_safe_analyze, str(p), opts, None, record, pure=False)] = i
        for fut in dask_completed(list(futs)):
            i = futs[fut]
            try:
                res = fut.result()
            except Exception as e:  # a lost worker must not sink the batch
                res = _failed(paths[i], opts, f"{paths[i]}: analysis failed on the cluster ({type(e).__name__}: {e})")
            bar.update(res.get("frames", 0))
            done(i, res)
    finally:
        client.close()


def run_batch(
    paths: list[Path],
    opts: AnalyzeOptions,
    out_dir: Path,
    *,
    workers: int = 1,
    show_progress: bool = True,
    on_result: Callable[[dict], None] | None = None,
    dask: str | None = None,
) -> list[dict]:
    """Analyse ``paths`` (already expanded) and write every output. Returns results in input order.

    ``workers > 1`` runs videos in parallel processes here; ``dask`` (a scheduler address, or
    ``local``) runs them on a Dask cluster instead, whose workers need posecoach and the model
    (with ``--save-landmarks`` the recordings are written by the workers, so use a shared folder).
    """
    from tqdm import tqdm

    find_exercise(opts.exercise)  # fail early, once, on an unknown or invalid exercise
    out_dir.mkdir(parents=True, exist_ok=True)
    stems = _stems(paths)
    bar = tqdm(total=_total_frames(paths), unit="frame", disable=not show_progress, dynamic_ncols=True, leave=True)
    results: dict[int, dict] = {}

    def record(i: int) -> Path | None:
        return out_dir / f"{stems[i]}_landmarks.jsonl" if opts.save_landmarks else None

    def done(i: int, res: dict) -> None:
        results[i] = res
        write_result(res, out_dir, stems[i])
        if on_result is not None:
            on_result(res)

    try:
        if dask:
            _run_on_dask(paths, opts, stems, out_dir, dask, bar, done)
        elif workers <= 1 or len(paths) <= 1:
            for i, p in enumerate(paths):
                bar.set_postfix_str(p.name)
                done(i, _safe_analyze(str(p), opts, bar.update, record(i)))
        else:
            ctx = mp.get_context("spawn")
            q = ctx.Queue()
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(q,)) as pool:
                futs = {pool.submit(_worker, str(p), opts, record(i)): i for i, p in enumerate(paths)}
                pending = set(futs)
                while pending:
                    while not q.empty():
                        bar.update(q.get_nowait())
                    finished = [f for f in pending if f.done()]
                    for f in finished:
                        pending.discard(f)
                        i = futs[f]
                        try:
                            res = f.result()
                        except Exception as e:  # a crashed worker must not sink the batch
                            res = _failed(paths[i], opts, f"{paths[i]}: analysis crashed ({type(e).__name__}: {e})")
                        done(i, res)
                    if not finished:
                        time.sleep(0.05)
                while not q.empty():
                    bar.update(q.get_nowait())
    finally:
        bar.close()
    ordered = [results[i] for i in range(len(paths))]
    _summary_files(ordered, out_dir, opts.exercise)
    return ordered
