#!/usr/bin/env python3
"""Batch throughput of ``posecoach analyze`` at full rate and at the default analysis rate, and
the counts at both.

    .venv/bin/python bench/bench_batch.py                  # about 15 minutes on 2 cores
    options: --repeats 3  --counts speed|all  --cache DIR  --note "what else was running"

Everything is timed as a user sees it: a whole ``posecoach analyze`` process, start-up and model
loading included, in video seconds per wall second ("x real time"):

- one core: each ~20 s clip alone, the process pinned to core 0 (``taskset -c 0``);
- 1 and 2 local workers (``--workers``) and a 2-worker Dask ``LocalCluster`` (``--dask ADDRESS``,
  a cluster started here with 2 single-threaded workers, fresh for every run so that their
  start-up counts) over the four squat clips of ``bench_pipeline.py``;
- the scaling efficiency: 2-worker rate / (2 x 1-worker rate).

Each figure is the median of ``--repeats`` runs.  The counts table gives reps and timed holds per
clip at full and at the default rate (``--counts all``: every counted clip of the footage, slow
at full rate; ``--cache DIR`` keeps and reuses their results as ``DIR/<rate>/<clip>/<clip>.json``).
Without ``../shared/footage`` the clips are generated stick-figure squat videos (the model finds
little in them: the figures are then not comparable with real footage, and the report says so).
Results: bench/results/batch.json and batch.md.  Time it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import FOOTAGE, RESULTS, ROOT, git_commit, save_results  # also puts src/ on the path

from posecoach.cli.analyze import AUTO_FPS_HOLDS, AUTO_FPS_REPS

ONE_CORE_CLIPS = [("wall_squat__joelo.mp4", "squat"), ("cable_squat__joelo.mp4", "squat")]  # 22.7 s each
BATCH_CLIPS = ["squat__yuyoujiang.mp4", "squat_overlay__postop.mp4", "wall_squat__joelo.mp4", "cable_squat__joelo.mp4"]
RATES = {"full": "full", "auto": "auto"}  # auto: 10 for rep exercises (the squats timed here), 15 where holds are timed
HOLD_TOLERANCE_S = 0.2


def posecoach_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "posecoach.cli", *args]


def env() -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + e.get("PYTHONPATH", "")
    return e


CPU_S: list[float] = []  # CPU time (user + system) of each timed process and its children, in order


def timed(cmd: list[str]) -> float:
    """Wall time of ``cmd``; its CPU time goes to ``CPU_S`` (on a busy machine the wall time is not
    valid, the CPU time still says what the work costs)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env())
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_S.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return wall


def duration(path: Path) -> float:
    import cv2

    cap = cv2.VideoCapture(str(path))
    n, fps = cap.get(cv2.CAP_PROP_FRAME_COUNT), cap.get(cv2.CAP_PROP_FPS) or 30.0
    cap.release()
    return float(n) / float(fps)


# -- clips ---------------------------------------------------------------------------------------
def generated_clips(folder: Path) -> tuple[list[tuple[Path, str]], list[Path]]:
    """Stick-figure squat videos of about 20 and 10 s (no footage here)."""
    from posecoach.app.synthvideo import write_video
    from posecoach.testing import synth as S

    made = []
    for i, (n, fps) in enumerate([(6, 30.0), (6, 30.0), (3, 30.0), (3, 25.0)]):
        sc = S.squat(n, fps=fps, rest_s=1.0)
        made.append(write_video(folder / f"generated_squat_{i}.mp4", sc.poses, fps))
    return [(made[0], "squat"), (made[1], "squat")], made


def counted_clips() -> list[tuple[Path, str, str, list[float]]]:
    """(clip, exercise, expected reps, timed holds) of every counted clip of the footage."""
    from posecoach.core.exercise import list_exercises

    listed = {e.id for e in list_exercises()[0]}
    out = []
    with open(FOOTAGE / "MANIFEST.tsv", encoding="utf-8") as f:
        manifest = list(csv.DictReader(f, delimiter="\t"))
    for r in manifest:
        holds = [float(x) for x in (r.get("hold_s") or "").split(";") if x.strip()]
        if r["exercise_id"] in listed and (r["reps_min"].isdigit() or holds):
            want = r["reps_min"] if r["reps_min"] == r["reps_max"] else f"{r['reps_min']}-{r['reps_max']}"
            out.append((FOOTAGE / r["file"], r["exercise_id"], want, holds))
    return out


# -- timing --------------------------------------------------------------------------------------
def one_core(clips: list[tuple[Path, str]], repeats: int, work: Path) -> dict:
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    out: dict = {"pinned": bool(pin), "clips": [c.name for c, _ in clips]}
    video = sum(duration(c) for c, _ in clips)
    for name, rate in RATES.items():
        walls: dict[str, list[float]] = {c.name: [] for c, _ in clips}
        cpus: dict[str, list[float]] = {c.name: [] for c, _ in clips}
        for k in range(repeats):
            for clip, ex in clips:
                o = work / f"one_{name}_{k}_{clip.stem}"
                walls[clip.name].append(timed(pin + posecoach_cmd("analyze", str(clip), "-e", ex, "-o", str(o), "-q",
                                                                  "--analysis-fps", rate)))
                cpus[clip.name].append(CPU_S[-1])
        medians = {c: statistics.median(w) for c, w in walls.items()}
        cpu = {c: statistics.median(w) for c, w in cpus.items()}
        out[name] = {"wall_s": walls, "median_wall_s": medians, "video_s": round(video, 2),
                     "x_real_time": round(video / sum(medians.values()), 2),
                     "cpu_s": cpus, "median_cpu_s": cpu, "x_real_time_per_cpu_s": round(video / sum(cpu.values()), 2)}
        print(f"one core, {name}: {out[name]['x_real_time']}x real time "
              f"({out[name]['x_real_time_per_cpu_s']}x per CPU second)", flush=True)
    return out


def workers(clips: list[Path], exercise: str, repeats: int, work: Path) -> dict:
    video = sum(duration(c) for c in clips)
    out: dict = {"clips": [c.name for c in clips], "video_s": round(video, 2)}
    for name, rate in RATES.items():
        res = {}
        for label, extra in [("1 worker", ["--workers", "1"]), ("2 workers", ["--workers", "2"]), ("dask 2", None)]:
            walls = []
            for k in range(repeats):
                o = work / f"w_{name}_{label.replace(' ', '')}_{k}"
                cmd = posecoach_cmd("analyze", *map(str, clips), "-e", exercise, "-o", str(o), "-q",
                                    "--analysis-fps", rate)
                if extra is None:
                    walls.append(dask_run(cmd))
                else:
                    walls.append(timed(cmd + extra))
            med = statistics.median(walls)
            res[label] = {"wall_s": [round(w, 2) for w in walls], "median_wall_s": round(med, 2),
                          "x_real_time": round(video / med, 2)}
            print(f"{name}, {label}: {res[label]['x_real_time']}x real time", flush=True)
        res["local scaling"] = round(res["2 workers"]["x_real_time"] / (2 * res["1 worker"]["x_real_time"]), 2)
        res["dask scaling"] = round(res["dask 2"]["x_real_time"] / (2 * res["1 worker"]["x_real_time"]), 2)
        out[name] = res
    return out


def dask_run(cmd: list[str]) -> float:
    """``cmd --dask ADDRESS`` on a fresh 2-worker LocalCluster (``--dask local`` would size it by
    this machine's cores)."""
    from distributed import LocalCluster

    os.environ["PYTHONPATH"] = env()["PYTHONPATH"]  # the workers import this tree's posecoach
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True) as cluster:
        return timed([*cmd, "--dask", cluster.scheduler_address])


# -- counts --------------------------------------------------------------------------------------
def analysed(clip: Path, exercise: str, rate_name: str, cache: Path) -> dict:
    folder = cache / rate_name / clip.stem
    path = folder / f"{clip.stem}.json"
    if not path.is_file():
        subprocess.run(posecoach_cmd("analyze", str(clip), "-e", exercise, "-o", str(folder), "-q",
                                     "--analysis-fps", RATES[rate_name]), capture_output=True, env=env())
    return json.loads(path.read_text(encoding="utf-8"))


def counts(rows: list[tuple[Path, str, str, list[float]]], cache: Path) -> list[dict]:
    def one(row):
        clip, ex, want, holds = row
        got = {name: analysed(clip, ex, name, cache) for name in RATES}
        h = {name: [round(d["hold_s"], 2) for d in r.get("rep_details", []) if d.get("hold_s", 0) > 0]
             for name, r in got.items()}
        same_holds = len(h["full"]) == len(h["auto"]) and all(
            abs(a - b) <= HOLD_TOLERANCE_S for a, b in zip(h["full"], h["auto"]))
        return {"clip": clip.name, "exercise": ex, "expected": want, "timed_holds": holds,
                "reps_full": got["full"]["reps"], "reps_auto": got["auto"]["reps"],
                "holds_full": h["full"], "holds_auto": h["auto"],
                "same": got["full"]["reps"] == got["auto"]["reps"] and same_holds,
                "frames_full": got["full"]["frames"], "frames_auto": got["auto"]["frames"]}

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, rows))


# -- report --------------------------------------------------------------------------------------
def write_md(r: dict, path: Path) -> str:
    auto = RATES["auto"]
    lines = [f"# posecoach analyze: throughput at full rate and at the {auto} rate ({AUTO_FPS_REPS:g} frames a second "
             f"for rep exercises such as these squats, {AUTO_FPS_HOLDS:g} where holds are timed)", "",
             f"{r['date']}, commit {r['commit']}, {r['cpu']} ({r['cores']} cores), load average before "
             f"{r['load_before']}, after {r['load_after']}; medians of {r['repeats']} runs."
             + (f" {r['note']}" if r["note"] else ""),
             ""]
    if r["generated"]:
        lines += ["**Generated stick-figure videos (no ../shared/footage): not comparable with real footage.**", ""]
    if r["busy"]:
        lines += ["**The machine was busy (load average above its cores before the bench, or a pinned run's "
                  "wall time over its CPU time): the times are not valid; "
                  "run it again on an idle machine.**", ""]
    o = r["one_core"]
    lines += ["## One core, whole process (`taskset -c 0 posecoach analyze CLIP`, start-up included)", "",
              f"Clips: {', '.join(o['clips'])} ({o['full']['video_s']} s of video).", "",
              "| rate | median wall per clip (s) | x real time | median CPU per clip (s) | video s per CPU s |",
              "|---|---|---:|---|---:|"]
    for name in RATES:
        per = ", ".join(f"{w:.1f}" for w in o[name]["median_wall_s"].values())
        cpu = ", ".join(f"{w:.1f}" for w in o[name]["median_cpu_s"].values())
        lines.append(f"| {name} ({RATES[name]}) | {per} | {o[name]['x_real_time']} | {cpu} "
                     f"| {o[name]['x_real_time_per_cpu_s']} |")
    lines += ["", "CPU: user + system time of the process (all its threads); on an idle, pinned core the wall "
              "time is about this.  On a busy machine only the CPU column means anything."]
    w = r["workers"]
    lines += ["", "## Several videos at once", "",
              f"Clips: {', '.join(w['clips'])} ({w['video_s']} s of video), one `posecoach analyze` run each time.", "",
              "| rate | 1 worker | 2 workers | Dask LocalCluster, 2 workers | local scaling | Dask scaling |",
              "|---|---:|---:|---:|---:|---:|"]
    for name in RATES:
        x = w[name]
        lines.append(f"| {name} ({RATES[name]}) | {x['1 worker']['x_real_time']}x | {x['2 workers']['x_real_time']}x "
                     f"| {x['dask 2']['x_real_time']}x | {x['local scaling']} | {x['dask scaling']} |")
    lines += ["", "x real time: video seconds per wall second.  Scaling: 2-worker rate / (2 x 1-worker rate).", ""]
    c = r["counts"]
    same = sum(row["same"] for row in c)
    lines += [f"## Counts at full rate and at {auto} frames a second", "",
              f"**{same}/{len(c)} clips the same** (reps equal, every hold within {HOLD_TOLERANCE_S} s).", "",
              f"| clip | exercise | expected | reps full | reps {auto} | holds full (s) | holds {auto} (s) "
              "| frames analysed | same |",
              "|---|---|---:|---:|---:|---|---|---:|:-:|"]
    for row in c:
        lines.append(f"| {row['clip']} | {row['exercise']} | {row['expected'] or '-'} | {row['reps_full']} | {row['reps_auto']} "
                     f"| {', '.join(map(str, row['holds_full'])) or '-'} | {', '.join(map(str, row['holds_auto'])) or '-'} "
                     f"| {row['frames_full']} -> {row['frames_auto']} | {'yes' if row['same'] else '**no**'} |")
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def busy(r: dict) -> bool:
    """Was something else using the machine?  The load before the bench (after it, the bench's own
    two-worker runs have raised it), or a pinned run whose wall time exceeds its CPU time by 10 %
    (its core was shared)."""
    if r["load_before"][0] > (r.get("cores") or 1):
        return True
    for rate in r["one_core"].values():
        if isinstance(rate, dict) and "median_wall_s" in rate:
            for clip, wall in rate["median_wall_s"].items():
                if wall > 1.1 * rate["median_cpu_s"][clip]:
                    return True
    return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--counts", choices=["speed", "all"], default="speed",
                    help="counts table over the timed clips (speed) or every counted clip of the footage (all)")
    ap.add_argument("--cache", type=Path, default=None, help="keep and reuse the counts' results here")
    ap.add_argument("--note", default="")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--smoke", action="store_true", help="two short clips, one run each: checks the script, times nothing")
    a = ap.parse_args()
    import platform

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        work = Path(tmp)
        generated = not (FOOTAGE / "MANIFEST.tsv").is_file()
        if generated:
            one_clips, batch_clips = generated_clips(work)
            rows = [(c, "squat", "", []) for c in batch_clips]
        else:
            one_clips = [(FOOTAGE / f, ex) for f, ex in ONE_CORE_CLIPS]
            batch_clips = [FOOTAGE / f for f in BATCH_CLIPS]
            every = counted_clips()
            rows = every if a.counts == "all" else [r for r in every if r[0].name in BATCH_CLIPS]
            if a.smoke:
                one_clips, batch_clips = [(FOOTAGE / BATCH_CLIPS[0], "squat")], [FOOTAGE / f for f in BATCH_CLIPS[:2]]
                rows = [r for r in rows if r[0] in batch_clips]
        load_before = [round(x, 2) for x in os.getloadavg()]
        report = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "commit": git_commit(),
            "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "repeats": a.repeats,
            "note": a.note, "generated": generated,
            "default_analysis_fps": f"auto ({AUTO_FPS_REPS:g} reps, {AUTO_FPS_HOLDS:g} holds)",
            "load_before": load_before,
        }
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    report["cpu"] = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        report["one_core"] = one_core(one_clips, a.repeats, work)
        report["workers"] = workers(batch_clips, "squat", a.repeats, work)
        report["counts"] = counts(rows, a.cache or work / "counts")
        report["load_after"] = [round(x, 2) for x in os.getloadavg()]
        report["busy"] = busy(report)
    save_results(a.out, "batch", report, write_md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
