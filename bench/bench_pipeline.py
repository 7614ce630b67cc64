#!/usr/bin/env python3
"""What posecoach costs on top of MediaPipe's pose landmarker, measured in one run.

    .venv/bin/python bench/bench_pipeline.py [--clip PATH] [--frames 300] [--passes 5]

(a) bare ``PoseLandmarker.detect_for_video`` per frame, with the options of our
    estimator's tracking landmarker (VIDEO mode, num_poses=1), including the
    BGR->RGB conversion and ``mp.Image`` creation every app needs;
(a') the same with num_poses=2, the estimator's tracking before it counted
    people on sampled frames instead (MediaPipe then runs its detector on every
    frame);
(b) the whole posecoach pipeline per frame (``posecoach.core.pipeline``'s
    ``Pipeline.detect`` + ``Detection.judge``): ``PoseEstimator`` (tracking plus the
    people count once a second) + ``SceneCutDetector`` + ``Session.process``;
    (b1) is ``PoseEstimator.detect`` alone, to tell where the difference goes;
(c) the pure core alone: ``Session.process`` over the poses recorded in (b);
(d) batch throughput: ``analyze_video`` over whole clips in one process, and
    ``run_batch(workers=2)`` over the same clips, as multiples of real time.

(a), (a') and (b) run on the same frames, decoded into memory first.  Every pass
makes fresh landmarkers and feeds frame i to each variant in turn, rotating the
order from frame to frame, so drift in clock speed or load hits all alike.
Results go to bench/results/pipeline.json and pipeline.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import FOOTAGE, RESULTS, save_results  # noqa: E402 - also puts src/ on the path

DEFAULT_CLIP = "squat__yuyoujiang.mp4"  # one person, side-on, 960x544, 30 fps
BATCH_CLIPS = ["squat__yuyoujiang.mp4", "squat_overlay__postop.mp4", "wall_squat__joelo.mp4", "cable_squat__joelo.mp4"]

from posecoach.cli.batch import AnalyzeOptions, analyze_video, run_batch  # noqa: E402
from posecoach.io.estimator import PoseEstimator  # noqa: E402
from posecoach.core.exercise import find_exercise  # noqa: E402
from posecoach.io.pose_model import find_model  # noqa: E402
from posecoach.io.scenecut import SceneCutDetector  # noqa: E402
from posecoach.core.session import Session  # noqa: E402
from posecoach.io.sources import VideoFileSource  # noqa: E402


# -- machine ------------------------------------------------------------------------------------
def machine_info() -> dict:
    import mediapipe

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "mediapipe": mediapipe.__version__,
        "opencv": cv2.__version__,
        "platform": platform.platform(),
    }


# -- frames -------------------------------------------------------------------------------------
def load_frames(clip: Path | None, n: int) -> tuple[list[tuple[np.ndarray, float]], dict]:
    """Decode up to ``n`` frames into memory (as ``analyze_video`` would see them)."""
    if clip is not None and clip.exists():
        frames = []
        with VideoFileSource(clip, max_side=AnalyzeOptions("squat").max_side) as src:
            for f in src:
                frames.append((f.image, f.t))
                if len(frames) >= n:
                    break
            fps = src.fps
        h, w = frames[0][0].shape[:2]
        return frames, {"clip": clip.name, "frames": len(frames), "size": [w, h], "fps": fps, "person": True}
    # No footage: a synthetic video with moving shapes and no person.  The landmarker then
    # runs its detector on every frame (nothing to track), so (a) and (b) measure that path.
    rng = np.random.default_rng(0)
    w, h, fps = 640, 480, 30.0
    frames = []
    for i in range(n):
        img = np.full((h, w, 3), 90, np.uint8)
        cv2.rectangle(img, (0, 300), (w, h), (60, 80, 100), -1)
        x = int(320 + 200 * np.sin(i / 20))
        cv2.circle(img, (x, 200), 60, (30, 160, 220), -1)
        cv2.rectangle(img, (100, int(250 + 40 * np.cos(i / 15))), (180, 400), (200, 60, 60), -1)
        img = cv2.add(img, rng.integers(0, 12, img.shape, dtype=np.uint8))
        frames.append((img, i / fps))
    return frames, {"clip": "synthetic (cv2 shapes, NO person: detector runs every frame)", "frames": n,
                    "size": [w, h], "fps": fps, "person": False}


# -- the variants -------------------------------------------------------------------------------
def bare_landmarker(model: Path, num_poses: int):
    """MediaPipe alone, with the options ``PoseEstimator`` uses for its tracking landmarker."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model), delegate=BaseOptions.Delegate.CPU),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=num_poses,
        min_pose_detection_confidence=0.5,
        min_pose_presence_confidence=0.5,
        min_tracking_confidence=0.5,
        output_segmentation_masks=False,
    )
    lm = vision.PoseLandmarker.create_from_options(options)
    image, srgb = mp.Image, mp.ImageFormat.SRGB

    def step(img: np.ndarray, t: float) -> None:
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        lm.detect_for_video(image(image_format=srgb, data=rgb), int(round(t * 1000)))

    return step, lm.close


def estimator_only(model: Path):
    est = PoseEstimator(model)

    def step(img: np.ndarray, t: float) -> None:
        est.detect(img, t)

    return step, est.close


def pipeline(model: Path, exercise, record: list | None):
    """The body of ``posecoach.core.pipeline.Pipeline.steps`` (what ``analyze_video`` runs), one frame
    at a time so that it can be interleaved with the other variants."""
    from itertools import count

    from posecoach.core.pipeline import Pipeline
    from posecoach.core.types import Frame

    est = PoseEstimator(model)  # the defaults analyze_video uses
    pipe = Pipeline(est, SceneCutDetector())
    session = Session(exercise)
    index = count()

    def step(img: np.ndarray, t: float) -> None:
        done = pipe.detect(Frame(img, t, next(index))).judge(session)
        if record is not None:
            record.append((t, done.pose, done.cut))

    return step, est.close


def run_interleaved(frames, model: Path, exercise, passes: int, warmup: int) -> tuple[dict, list]:
    names = ["bare", "bare_np2", "estimator", "pipeline"]
    times: dict[str, list[list[float]]] = {n: [] for n in names}
    recorded: list = []
    for p in range(passes + 1):  # pass 0 is a short warm-up, not recorded
        last = p == passes
        rec = [] if last else None
        made = {
            "bare": bare_landmarker(model, 1),
            "bare_np2": bare_landmarker(model, 2),
            "estimator": estimator_only(model),
            "pipeline": pipeline(model, exercise, rec),
        }
        per = {n: [] for n in names}
        todo = frames[:warmup] if p == 0 else frames
        try:
            for i, (img, t) in enumerate(todo):
                k = (i + p) % len(names)
                for n in names[k:] + names[:k]:
                    step = made[n][0]
                    t0 = time.perf_counter()
                    step(img, t)
                    per[n].append(time.perf_counter() - t0)
        finally:
            for _, close in made.values():
                close()
        if p > 0:
            for n in names:
                times[n].append(per[n])
            print(f"  pass {p}/{passes}: median bare {1e3 * statistics.median(per['bare']):.2f} ms, "
                  f"estimator {1e3 * statistics.median(per['estimator']):.2f} ms, "
                  f"pipeline {1e3 * statistics.median(per['pipeline']):.2f} ms, "
                  f"bare num_poses=2 {1e3 * statistics.median(per['bare_np2']):.2f} ms", flush=True)
        if last:
            recorded = rec
    return times, recorded


def stats_ms(per_pass: list[list[float]]) -> dict:
    allt = [x for p in per_pass for x in p]
    return {
        "median_ms": round(1e3 * statistics.median(allt), 3),
        "mean_ms": round(1e3 * statistics.fmean(allt), 3),
        "p90_ms": round(1e3 * float(np.percentile(allt, 90)), 3),
        "max_ms": round(1e3 * max(allt), 3),
        "per_pass_median_ms": [round(1e3 * statistics.median(p), 3) for p in per_pass],
        "n": len(allt),
    }


def core_cost(exercise, recorded: list, frames, repeats: int = 20) -> dict:
    """Session.process alone on the recorded poses, and SceneCutDetector alone, in µs a frame."""
    per_frame = []
    for _ in range(repeats):
        s = Session(exercise)
        for t, pose, cut in recorded:
            t0 = time.perf_counter()
            s.process(t, pose, cut)
            per_frame.append(time.perf_counter() - t0)
    cut_times = []
    for _ in range(3):
        det = SceneCutDetector()
        for img, _t in frames:
            t0 = time.perf_counter()
            det(img)
            cut_times.append(time.perf_counter() - t0)
    with_pose = sum(p is not None for _, p, _ in recorded)
    return {
        "session_median_us": round(1e6 * statistics.median(per_frame), 1),
        "session_mean_us": round(1e6 * statistics.fmean(per_frame), 1),
        "session_p99_us": round(1e6 * float(np.percentile(per_frame, 99)), 1),
        "frames": len(recorded),
        "frames_with_pose": with_pose,
        "repeats": repeats,
        "scenecut_median_us": round(1e6 * statistics.median(cut_times), 1),
    }


# -- batch ----------------------------------------------------------------------------------------
def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def batch(clips: list[Path], model: Path) -> dict:
    # Every frame, as this bench compares posecoach's per-frame cost with bare MediaPipe's (the
    # default analysis rate of ``analyze`` is timed by bench_batch.py).
    opts = AnalyzeOptions(exercise="squat", model=str(model), analysis_fps=None)
    ex = find_exercise("squat")
    video_s = 0.0
    rows = []
    c0, w0 = _cpu_self(), time.perf_counter()
    for c in clips:
        cc, ww = _cpu_self(), time.perf_counter()
        r = analyze_video(c, opts, exercise=ex)
        wall, cpu = time.perf_counter() - ww, _cpu_self() - cc
        video_s += r["duration_s"]
        rows.append({"clip": c.name, "video_s": r["duration_s"], "frames": r["frames"], "size": r["size"],
                     "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                     "x_realtime": round(r["duration_s"] / wall, 2), "ms_per_frame": round(1e3 * wall / r["frames"], 2)})
        print(f"  {c.name}: {r['duration_s']:.1f} s of video in {wall:.1f} s ({r['duration_s'] / wall:.2f}x real time)", flush=True)
    wall1, cpu1 = time.perf_counter() - w0, _cpu_self() - c0

    with tempfile.TemporaryDirectory() as out:
        cc, ww = _cpu_children(), time.perf_counter()
        res = run_batch(clips, opts, Path(out), workers=2, show_progress=False)
        wall2, cpu2 = time.perf_counter() - ww, _cpu_children() - cc
    errors = [r["error"] for r in res if "error" in r]
    one = {"wall_s": round(wall1, 2), "cpu_s": round(cpu1, 2),
           "x_realtime": round(video_s / wall1, 2), "x_realtime_per_cpu_s": round(video_s / cpu1, 2)}
    if errors:  # a throughput over failed clips would be meaningless
        print("  run_batch(workers=2) FAILED:", *errors, sep="\n    ", flush=True)
        two = {"wall_s": None, "cpu_s": None, "x_realtime": None, "x_realtime_per_cpu_s": None,
               "speed_up_vs_one_process": None, "errors": errors}
    else:
        print(f"  run_batch(workers=2): {video_s:.1f} s of video in {wall2:.1f} s ({video_s / wall2:.2f}x real time)",
              flush=True)
        two = {"wall_s": round(wall2, 2), "cpu_s": round(cpu2, 2),
               "x_realtime": round(video_s / wall2, 2), "x_realtime_per_cpu_s": round(video_s / cpu2, 2),
               "speed_up_vs_one_process": round(wall1 / wall2, 2), "errors": []}
    return {"clips": rows, "video_s": round(video_s, 2), "one_process": one, "workers_2": two}


# -- report -------------------------------------------------------------------------------------
def write_md(res: dict, path: Path) -> str:
    m, f, v, c = res["machine"], res["frames"], res["per_frame"], res["core"]
    L = [
        "# posecoach pipeline benchmark",
        "",
        f"{m['date']} on {m['cpu']}, {m['cores']} cores, Python {m['python']}, mediapipe {m['mediapipe']}, "
        f"OpenCV {m['opencv']}. Load average {res['load_before']} before, {res['load_after']} after.",
        "",
        f"Frames: first {f['frames']} of {f['clip']} ({f['size'][0]}x{f['size'][1]}, {f['fps']:.2f} fps), decoded into "
        f"memory; {res['passes']} passes, variants interleaved frame by frame (order rotated).",
        "",
        "## Per frame",
        "",
        "| variant | median ms | mean ms | p90 ms | max ms | per-pass medians |",
        "|---|---:|---:|---:|---:|---|",
    ]
    labels = {
        "bare": "(a) bare detect_for_video, num_poses=1 (+ RGB, mp.Image)",
        "pipeline": "(b) posecoach pipeline (estimator + cut detector + session)",
        "estimator": "(b1) PoseEstimator.detect alone (part of b)",
        "bare_np2": "(a') bare detect_for_video, num_poses=2 (old tracking)",
    }
    for k in ("bare", "pipeline", "estimator", "bare_np2"):
        s = v[k]
        L.append(f"| {labels[k]} | {s['median_ms']:.2f} | {s['mean_ms']:.2f} | {s['p90_ms']:.2f} | {s['max_ms']:.1f} | "
                 f"{', '.join(f'{x:.2f}' for x in s['per_pass_median_ms'])} |")
    r = res["ratios"]
    L += [
        "",
        f"- **pipeline / bare, medians: {r['median']:.3f}** (goal <= 1.05); per pass {r['per_pass_median_min']:.3f} to "
        f"{r['per_pass_median_max']:.3f}.",
        f"- pipeline / bare, means: {r['mean']:.3f}. The mean includes the people count (one IMAGE-mode "
        f"landmarker call per second of video), which the median skips.",
        f"- estimator alone / bare, medians: {r['estimator_median']:.3f}; the rest of (b) is the cut detector "
        f"(median {c['scenecut_median_us'] / 1e3:.2f} ms a frame at this size) and the session "
        f"({c['session_median_us'] / 1e3:.2f} ms).",
        f"- old tracking (num_poses=2) / new bare tracking (num_poses=1), medians: {r['old_over_new_bare']:.3f}.",
        "",
        "## Pure core",
        "",
        f"`Session.process` on the {c['frames']} recorded poses ({c['frames_with_pose']} with a pose), {c['repeats']} repeats: "
        f"median **{c['session_median_us']:.0f} µs** a frame, mean {c['session_mean_us']:.0f} µs, p99 {c['session_p99_us']:.0f} µs. "
        f"`SceneCutDetector`: median {c['scenecut_median_us']:.0f} µs a frame.",
    ]
    b = res.get("batch")
    if b:
        L += [
            "",
            "## Batch throughput (decode + pose + analysis, whole clips, exercise squat)",
            "",
            "| clip | video s | frames | size | wall s | x real time | ms/frame |",
            "|---|---:|---:|---|---:|---:|---:|",
        ]
        for row in b["clips"]:
            L.append(f"| {row['clip']} | {row['video_s']:.1f} | {row['frames']} | {row['size'][0]}x{row['size'][1]} | "
                     f"{row['wall_s']:.1f} | {row['x_realtime']:.2f} | {row['ms_per_frame']:.1f} |")
        o, w2 = b["one_process"], b["workers_2"]
        L += [
            "",
            f"- one process (`analyze_video` in a loop): {b['video_s']:.1f} s of video in {o['wall_s']:.1f} s = "
            f"**{o['x_realtime']:.2f}x real time**, using {o['cpu_s']:.1f} CPU s "
            f"({o['x_realtime_per_cpu_s']:.2f} s of video per CPU second).",
            (f"- `run_batch(workers=2)` FAILED, no 2-core figure: {w2['errors']}" if w2["errors"] else
             f"- `run_batch(workers=2)` (both cores, process start-up and model loading included): {w2['wall_s']:.1f} s = "
             f"**{w2['x_realtime']:.2f}x real time**, {w2['speed_up_vs_one_process']:.2f}x the one-process speed."),
            f"  With only {len(b['clips'])} clips of unequal length the busier worker sets the time, and each worker "
            "first spends a few seconds importing MediaPipe and loading the model.",
        ]
    if res.get("notes"):
        L += ["", "## Notes", ""] + [f"- {n}" for n in res["notes"]]
    text = "\n".join(L) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clip", type=Path, default=FOOTAGE / DEFAULT_CLIP, help="video to time (default: %(default)s)")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--exercise", default="squat")
    ap.add_argument("--model", default=None)
    ap.add_argument("--no-batch", action="store_true", help="skip (d), the whole-clip throughput")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--note", action="append", default=[], help="a note for the report (e.g. what else was running)")
    a = ap.parse_args(argv)

    model = find_model(a.model)
    exercise = find_exercise(a.exercise)
    res: dict = {"machine": machine_info(), "model": model.name, "exercise": exercise.id, "passes": a.passes,
                 "load_before": [round(x, 2) for x in os.getloadavg()], "notes": list(a.note)}
    print(f"{res['machine']['cpu']}, {res['machine']['cores']} cores, mediapipe {res['machine']['mediapipe']}; "
          f"load {res['load_before']}", flush=True)
    frames, info = load_frames(a.clip, a.frames)
    res["frames"] = info
    if not info["person"]:
        res["notes"].append("../shared/footage was missing: the frames are synthetic and show no person, so the "
                            "landmarker runs its detector on every frame and nothing is tracked.")
    print(f"frames: {info['frames']} of {info['clip']} {info['size']}", flush=True)

    times, recorded = run_interleaved(frames, model, exercise, a.passes, warmup=min(30, len(frames)))
    per = {k: stats_ms(v) for k, v in times.items()}
    ratios_pass = [statistics.median(p) / statistics.median(b) for p, b in zip(times["pipeline"], times["bare"])]
    res["per_frame"] = per
    res["ratios"] = {
        "median": round(per["pipeline"]["median_ms"] / per["bare"]["median_ms"], 4),
        "mean": round(per["pipeline"]["mean_ms"] / per["bare"]["mean_ms"], 4),
        "per_pass_median_min": round(min(ratios_pass), 4),
        "per_pass_median_max": round(max(ratios_pass), 4),
        "estimator_median": round(per["estimator"]["median_ms"] / per["bare"]["median_ms"], 4),
        "old_over_new_bare": round(per["bare_np2"]["median_ms"] / per["bare"]["median_ms"], 4),
    }
    res["core"] = core_cost(exercise, recorded, frames)
    del frames

    if not a.no_batch:
        clips = [FOOTAGE / c for c in BATCH_CLIPS if (FOOTAGE / c).exists()]
        if clips:
            print("batch:", flush=True)
            res["batch"] = batch(clips, model)
        else:
            res["notes"].append("../shared/footage was missing: no batch throughput figures.")
    res["load_after"] = [round(x, 2) for x in os.getloadavg()]
    save_results(a.out, "pipeline", res, write_md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
