#!/usr/bin/env python3
"""Memory over a long batch: ``run_batch`` over many short videos; RSS must stay flat.

    .venv/bin/python bench/batch_memory.py [--videos 200] [--every 20] [--runs model,fake,dask-fake]
                                           [--model-videos 200] [--seconds 2] [--note TEXT]

The videos are the first ``--seconds`` of a few counted clips of ``../shared/footage`` (re-encoded
into a temporary folder, never into the project), each linked many times under its own name, so a
batch of 200 costs 200 full analyses; without the footage, plain generated clips (nobody in them:
the model then runs its detector on every frame).  Two bad files sit in the middle of the batch (a
zero-byte file and one that is not a video): they must be reported in the summary and the batch
must go on.

Runs (``--runs``):

- ``model``: one process, the real pose model (``--model-videos`` of them): the CLI's own loop, the
  estimator prepared once and restarted per video;
- ``fake``: one process, ``posecoach.testing.fakes.SyntheticSquats`` instead of the model (the batch
  machinery alone: decoding, session, outputs, the hash cache, the result list);
- ``dask-fake``: the same on a 2-worker Dask ``LocalCluster`` on loopback; the workers' RSS too;
- ``dask-model``: the real model on the 2-worker cluster (``--model-videos``).

After every ``--every`` results: this process's RSS (VmRSS) and, on Dask, each worker's.  Also per
run: seconds per video, and (model) the cost of preparing the estimator: a new ``PoseEstimator``
against ``restart``.  Results: ``bench/results/batch_memory.md`` and ``.json`` (``--name``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import _common

CLIPS = ["squat__yuyoujiang.mp4", "lunge_band__rnhrn.mp4", "straight_leg_raise__amithcabraal.mp4",
         "sit_to_stand__servicedesignstudio.mp4"]
GROWTH_MAX = 1.10  # last sample / the sample after the first ``--every`` videos


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), in MB, from /proc."""
    with open(f"/proc/{pid or 'self'}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _cut(src: Path, dst: Path, seconds: float) -> Path:
    import cv2

    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    out = None
    for _ in range(int(round(seconds * fps))):
        ok, frame = cap.read()
        if not ok:
            break
        if out is None:
            h, w = frame.shape[:2]
            out = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        out.write(frame)
    cap.release()
    if out is not None:
        out.release()
    return dst


def _generated(dst: Path, seconds: float, k: int) -> Path:
    import cv2
    import numpy as np

    w = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (640, 360))
    rng = np.random.default_rng(k)
    for i in range(int(seconds * 30)):
        img = np.full((360, 640, 3), 80 + (i % 50), np.uint8)
        img[100:200, 100 + i:200 + i] = rng.integers(0, 255, (100, 100, 3), dtype=np.uint8)
        w.write(img)
    w.release()
    return dst


def make_videos(folder: Path, n: int, seconds: float) -> tuple[list[Path], str]:
    """``n`` videos (links to a few short clips) with two bad files in the middle."""
    base = folder / "clips"
    base.mkdir(parents=True, exist_ok=True)
    if all((_common.FOOTAGE / c).is_file() for c in CLIPS):
        clips = [_cut(_common.FOOTAGE / c, base / c, seconds) for c in CLIPS]
        what = f"the first {seconds:g} s of {', '.join(CLIPS)}"
    else:
        clips = [_generated(base / f"gen{k}.mp4", seconds, k) for k in range(4)]
        what = f"{seconds:g} s generated clips with nobody in them (no ../shared/footage)"
    batch = folder / "batch"
    batch.mkdir()
    videos = []
    for i in range(n):
        v = batch / f"v{i:03d}.mp4"
        os.link(clips[i % len(clips)], v)
        videos.append(v)
    mid = n // 2
    (batch / "zz_empty.mp4").write_bytes(b"")
    (batch / "zz_not_a_video.mp4").write_bytes(b"this is a text file, not a video\n" * 100)
    videos[mid:mid] = [batch / "zz_empty.mp4", batch / "zz_not_a_video.mp4"]
    return videos, what


def run(kind: str, videos: list[Path], out: Path, every: int) -> dict:
    from posecoach.cli.batch import AnalyzeOptions, run_batch
    from posecoach.testing.fakes import SyntheticSquats

    fake = kind.endswith("fake")
    opts = AnalyzeOptions(exercise="squat", estimator=SyntheticSquats if fake else None)
    samples: list[dict] = []
    done = [0]
    t0 = time.perf_counter()
    cluster = client = None
    if kind.startswith("dask"):
        import distributed

        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                           dashboard_address=None,
                                           scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
        client = distributed.Client(cluster)

    def sample() -> None:
        row = {"videos": done[0], "s": round(time.perf_counter() - t0, 1), "main_mb": round(rss_mb(), 1)}
        if client is not None:
            row["workers_mb"] = [round(v, 1) for v in client.run(rss_mb).values()]
        samples.append(row)

    def on_result(res: dict) -> None:
        done[0] += 1
        if done[0] % every == 0 or done[0] == len(videos):
            sample()

    sample()
    try:
        results = run_batch(videos, opts, out, show_progress=False, on_result=on_result,
                            dask=cluster.scheduler_address if cluster is not None else None)
    finally:
        if client is not None:
            client.close()
            cluster.close()
    wall = time.perf_counter() - t0
    failed = [Path(r["source"]).name for r in results if "error" in r]
    summary_rows = (out / "summary.csv").read_text(encoding="utf-8").splitlines()
    return {"kind": kind, "videos": len(videos), "wall_s": round(wall, 1), "s_per_video": round(wall / len(videos), 3),
            "failed": failed, "summary_rows": len(summary_rows) - 1,
            "reps": sorted({r.get("reps") for r in results if "error" not in r}), "samples": samples}


def estimator_cost(video: Path, repeats: int = 5) -> dict:
    """Seconds to get an estimator ready for a video: a new PoseEstimator vs ``restart`` (median)."""
    from posecoach.io.estimator import PoseEstimator

    PoseEstimator(num_poses=2).close()  # the process's one-time MediaPipe start-up, out of the figures
    new, restart = [], []
    keep = PoseEstimator(num_poses=2)
    for _ in range(repeats):
        t = time.perf_counter()
        est = PoseEstimator(num_poses=2)
        new.append(time.perf_counter() - t)
        est.close()
        t = time.perf_counter()
        keep.restart()
        restart.append(time.perf_counter() - t)
    keep.close()
    return {"new_s": round(statistics.median(new), 3), "restart_s": round(statistics.median(restart), 3)}


def growth(samples: list[dict], key: str = "main_mb") -> float | None:
    """Last sample over the one after the first batch of videos (start-up and first model load done)."""
    if len(samples) < 3:
        return None
    ref = samples[1][key]
    last = samples[-1][key]
    if isinstance(ref, list):
        return max(b / a for a, b in zip(ref, last))
    return last / ref


def write_md(report: dict, path: Path) -> str:
    lines = ["# Memory over a long batch (`bench/batch_memory.py`)", "",
             f"{report['date']}, commit {report['commit']}, {report['cpu']} ({report['cores']} cores); "
             f"load average at start {report['load']}.",
             f"Videos: {report['what']}, linked under distinct names; two bad files (empty, not a video) in "
             "the middle.", ""]
    if report.get("note"):
        lines += [f"Note: {report['note']}", ""]
    if report.get("estimator"):
        e = report["estimator"]
        lines += ["## Preparing the estimator for a video", "",
                  f"A new `PoseEstimator` (model check, tracker and people counter built): {e['new_s']:.3f} s; "
                  f"`restart` (tracker rebuilt, the rest kept): {e['restart_s']:.3f} s (medians of 5); "
                  f"saved per video: {e['new_s'] - e['restart_s']:.3f} s.", ""]
    for r in report["runs"]:
        g = growth(r["samples"])
        gw = growth(r["samples"], "workers_mb") if "workers_mb" in r["samples"][0] else None
        lines += [f"## {r['kind']}: {r['videos']} videos", "",
                  f"{r['wall_s']} s, {r['s_per_video']} s a video; failed (reported in summary.csv, "
                  f"{r['summary_rows']} rows): {', '.join(r['failed']) or 'none'}; reps seen: {r['reps']}.", ""]
        head = "| videos done | s | analyse process RSS (MB) |" + (" workers RSS (MB) |" if gw is not None else "")
        lines += [head, "|---:|---:|---:|" + ("---|" if gw is not None else "")]
        for s in r["samples"]:
            row = f"| {s['videos']} | {s['s']} | {s['main_mb']} |"
            if gw is not None:
                row += f" {', '.join(str(v) for v in s['workers_mb'])} |"
            lines.append(row)
        verdict = []
        if g is not None:
            verdict.append(f"analyse process: last / after first {report['every']} = {g:.3f}")
        if gw is not None:
            verdict.append(f"workers: {gw:.3f}")
        flat = all(v is None or v <= GROWTH_MAX for v in (g, gw))
        lines += ["", "; ".join(verdict) + f" -> {'flat' if flat else 'GROWS'} (limit {GROWTH_MAX}).", ""]
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--videos", type=int, default=200)
    ap.add_argument("--model-videos", type=int, default=200)
    ap.add_argument("--every", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--runs", default="fake,dask-fake,model")
    ap.add_argument("--note", default="")
    ap.add_argument("--name", default="batch_memory", help="results go to bench/results/NAME.md and .json")
    args = ap.parse_args()
    kinds = [k.strip() for k in args.runs.split(",") if k.strip()]
    report: dict = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "commit": _common.git_commit(),
        "cores": os.cpu_count(), "load": " ".join(f"{v:.1f}" for v in os.getloadavg()), "every": args.every,
        "note": args.note, "runs": [], "cpu": _cpu(),
    }
    with tempfile.TemporaryDirectory(prefix="posecoach-batch-memory-") as tmp:
        videos, what = make_videos(Path(tmp), max(args.videos, args.model_videos), args.seconds)
        report["what"] = what
        for kind in kinds:
            n = args.model_videos if kind.endswith("model") else args.videos
            subset = [v for v in videos if not v.name.startswith("v") or int(v.stem[1:]) < n]
            print(f"{kind}: {len(subset)} videos ...", file=sys.stderr, flush=True)
            report["runs"].append(run(kind, subset, Path(tmp) / f"out-{kind}", args.every))
            print(f"  {report['runs'][-1]['wall_s']} s", file=sys.stderr, flush=True)
        if any(k.endswith("model") for k in kinds):
            report["estimator"] = estimator_cost(videos[0])
    _common.save_results(_common.RESULTS, args.name, report, write_md)
    return 0


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


if __name__ == "__main__":
    sys.exit(main())
