"""At what analysed frame rate does the live count stop being exact?

On a slow laptop the app analyses fewer frames a second than the camera gives (the worker takes
the newest frame and drops the rest): at 3-10 frames a second a squat set read 2 of 3.  This
replays generated sessions with known reps (``posecoach.testing``: squats at four speeds, glute
bridges, standing leg raises; pixel noise; several seeds) through the same ``Session`` the app
feeds, keeping only the frames a pipeline analysing ``rate`` frames a second would have taken
(the newest camera frame at each analysis, with the analysis time jittering by up to +-25 % as
it does under load, and a random phase), and counts how often the count is exact at each rate.

Then, where the team's footage is (``../shared/footage``), the three hand-counted squat clips
go through the pose model itself the way the live app's worker takes them: the video's frames
picked as above (the newest at each analysis, jittered), each picked frame through the same
``Pipeline(PoseEstimator(), SceneCutDetector())`` and ``Session`` the worker runs (the cut
detector, like the worker's, sees only the frames analysed), so the model's tracking and the
cut detector see the gaps a slow laptop makes (``--footage-seeds`` phases per clip and rate).

The app warns below ``posecoach.app.coaching.MIN_COACH_FPS``, the lowest rate at which (and above
which) every run here was exact, generated and real.

    POSECOACH_MODEL_DIR=models .venv/bin/python bench/bench_low_fps.py   # about 5 minutes
    options: --seeds 6  --rates 30,20,15,12,10,9,8,7,6,5,4,3  --no-footage
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import _common

from posecoach.app.coaching import MIN_COACH_FPS
from posecoach.core.exercise import find_exercise
from posecoach.core.session import Session
from posecoach.testing import synth as S
from posecoach.testing.scenarios import functional as F

CAMERA_FPS = 60.0  # the generated "camera": frames the analysis picks from
JITTER = 0.25  # the analysis interval varies by up to this share (a loaded machine)

SCENARIOS: dict[str, Callable[[int], S.Scenario]] = {
    "squat, 1.5 s reps": lambda seed: S.squat(5, rep_s=1.5, rest_s=0.5, fps=CAMERA_FPS, noise_px=1.5, seed=seed),
    "squat, 2 s reps": lambda seed: S.squat(5, rep_s=2.0, rest_s=0.7, fps=CAMERA_FPS, noise_px=1.5, seed=seed),
    "squat, 2.5 s reps": lambda seed: S.squat(5, rep_s=2.5, rest_s=1.0, fps=CAMERA_FPS, noise_px=1.5, seed=seed),
    "squat, 3.5 s reps": lambda seed: S.squat(5, rep_s=3.5, rest_s=1.0, fps=CAMERA_FPS, noise_px=1.5, seed=seed),
    "glute bridge, 2 s hold": lambda seed: S.glute_bridge(5, hold_s=2.0, fps=CAMERA_FPS, noise_px=1.5, seed=seed),
    "standing leg raise": lambda seed: F.standing_leg_raise(4, leg=["left", "right", "left", "right"],
                                                            fps=CAMERA_FPS, noise_px=1.5, seed=seed),
}


def analysed(seq: S.Seq, rate: float, rng: random.Random) -> S.Seq:
    """The frames a pipeline analysing ``rate`` frames a second takes: at each analysis the newest
    frame, the next analysis 1/rate later (+-``JITTER``), starting at a random phase."""
    out = []
    due = rng.uniform(0.0, 1.0 / rate)
    last = -1
    for i, (t, pose) in enumerate(seq):
        if t + 1e-9 >= due and i != last:
            out.append((t, pose))
            last = i
            due = t + (1.0 / rate) * (1.0 + rng.uniform(-JITTER, JITTER))
    return out


def count(exercise: str, seq: S.Seq) -> int:
    session = Session(find_exercise(exercise))
    for t, pose in seq:
        session.process(t, pose)
    return int(session.summary()["reps"])


#: hand-counted squat clips (MANIFEST.tsv: reps_min == reps_max)
CLIPS = {"squat__yuyoujiang.mp4": 3, "squat_overlay__postop.mp4": 4, "wall_squat__joelo.mp4": 5}


FOOTAGE_SEEDS = 2


def _picked(path: Path, rate: float, rng: random.Random) -> Iterator:
    """The video's frames a worker analysing ``rate`` a second takes (decoded as they come)."""
    from posecoach.io.sources import VideoFileSource

    due = rng.uniform(0.0, 1.0 / rate)
    with VideoFileSource(path, max_side=960) as src:  # the app's worker opens videos at 960
        for f in src:
            if f.t + 1e-9 >= due:
                due = f.t + (1.0 / rate) * (1.0 + rng.uniform(-JITTER, JITTER))
                yield f


def _live_count(path: Path, rate: float, seed: int) -> int:
    """The reps the live worker's path counts on the video analysed at ``rate`` a second."""
    from posecoach.core.pipeline import Pipeline
    from posecoach.io.estimator import PoseEstimator
    from posecoach.io.scenecut import SceneCutDetector

    picked = _picked(path, rate, random.Random(7919 * seed + int(rate * 10)))
    ex = find_exercise("squat")
    session = Session(ex)
    estimator = PoseEstimator()
    estimator.posture = ex.posture
    for _ in Pipeline(estimator, SceneCutDetector()).steps(picked, session):
        pass
    return int(session.summary()["reps"])


def footage(rates: list[float], seeds: int = FOOTAGE_SEEDS) -> dict[str, dict[str, list[int]]]:
    """Each counted squat clip through the live path at each rate: {clip: {rate: [reps per seed]}}."""
    out: dict[str, dict[str, list[int]]] = {}
    for name in CLIPS:
        path = _common.FOOTAGE / name
        if not path.exists():
            continue
        out[name] = {f"{rate:g}": [_live_count(path, rate, seed) for seed in range(seeds)]
                     for rate in rates}
        print(f"{name}: {out[name]}", flush=True)
    return out


def run(rates: list[float], seeds: int, with_footage: bool = True, footage_seeds: int = FOOTAGE_SEEDS,
        footage_rates: list[float] | None = None) -> dict:
    rows: dict[str, dict[str, dict]] = {}
    t0 = time.monotonic()
    for name, make in SCENARIOS.items():
        rows[name] = {}
        for seed in range(seeds):
            sc = make(seed)
            truth = int(sc.truth.get("reps", len(sc.truth.get("rep_windows", []))))
            full = count(sc.truth["exercise"], sc.poses)
            assert full == truth, (name, seed, full, truth)  # the generated session itself is counted exactly
            for rate in rates:
                rng = random.Random(1000 * seed + int(rate * 10))
                got = count(sc.truth["exercise"], analysed(sc.poses, rate, rng))
                cell = rows[name].setdefault(f"{rate:g}", {"runs": 0, "exact": 0, "missed": 0, "extra": 0,
                                                           "truth": truth})
                cell["runs"] += 1
                cell["exact"] += int(got == truth)
                cell["missed"] += max(0, truth - got)
                cell["extra"] += max(0, got - truth)
        print(f"{name}: done ({time.monotonic() - t0:.0f} s)", flush=True)
    f_rates = footage_rates or rates
    real = footage(f_rates, footage_seeds) if with_footage else {}

    def exact(rate: float) -> bool:
        k = f"{rate:g}"
        return all(rows[n][k]["exact"] == rows[n][k]["runs"] for n in rows) and \
            all(n == CLIPS[c] for c in real if k in real[c] for n in real[c][k])

    exact_from = None
    for rate in sorted(rates, reverse=True):
        if not exact(rate):
            break
        exact_from = rate
    return {"rates": rates, "seeds": seeds, "camera_fps": CAMERA_FPS, "jitter": JITTER, "rows": rows,
            "footage": real, "footage_truth": {c: CLIPS[c] for c in real}, "footage_rates": f_rates,
            "footage_seeds": footage_seeds,
            "exact_down_to": exact_from, "commit": _common.git_commit(), "python": platform.python_version(),
            "seconds": round(time.monotonic() - t0, 1)}


def write_md(report: dict, path: Path) -> str:
    rates = report["rates"]
    lines = ["# Counting at low analysed frame rates", "",
             f"Commit {report['commit']}; bench/bench_low_fps.py, {report['seeds']} seeds per scenario, "
             f"frames picked from a {report['camera_fps']:g} fps generated camera at each rate with "
             f"+-{100 * report['jitter']:.0f} % jitter and a random phase ({report['seconds']} s).", "",
             "Exact runs out of all runs (missed reps / extra reps summed over the runs):", "",
             "| scenario | reps | " + " | ".join(f"{r:g} fps" for r in rates) + " |",
             "|---|---|" + "---|" * len(rates)]
    for name, cells in report["rows"].items():
        truth = next(iter(cells.values()))["truth"]
        parts = []
        for r in rates:
            c = cells[f"{r:g}"]
            bad = f" (-{c['missed']}/+{c['extra']})" if c["exact"] < c["runs"] else ""
            parts.append(f"{c['exact']}/{c['runs']}{bad}")
        lines.append(f"| {name} | {truth} | " + " | ".join(parts) + " |")
    f_rates = report.get("footage_rates") or rates
    if report.get("footage"):
        lines += ["", "Real squat clips through the live app's path (pose model, cut detector, Session) at "
                  "each analysed rate: reps counted per seed (phase), the hand count in the second column, "
                  "a wrong count in bold:", "",
                  "| clip | reps | " + " | ".join(f"{r:g} fps" for r in f_rates) + " |",
                  "|---|---|" + "---|" * len(f_rates)]
        for clip, got in report["footage"].items():
            truth = report["footage_truth"][clip]
            cells = [" ".join(str(n) if n == truth else f"**{n}**" for n in got[f"{r:g}"]) for r in f_rates]
            lines.append(f"| {clip} | {truth} | " + " | ".join(cells) + " |")
    lines += ["", f"Every run was exact at **{report['exact_down_to']:g} frames a second** and above."
              if report["exact_down_to"] else "No rate was exact for every run.", "",
              f"The app warns the patient below `posecoach.app.coaching.MIN_COACH_FPS` = {MIN_COACH_FPS:g} frames a "
              "second: set from this figure, with a frame a second of margin (a real camera's timing is "
              "rougher than the jitter here).", ""]
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--rates", default="30,20,15,12,10,9,8,7,6,5,4,3")
    ap.add_argument("--out", type=Path, default=_common.RESULTS)
    ap.add_argument("--no-footage", action="store_true", help="generated sessions only")
    ap.add_argument("--footage-seeds", type=int, default=FOOTAGE_SEEDS, help="phases per clip and rate")
    ap.add_argument("--footage-rates", default=None, help="rates for the clips (default: --rates)")
    args = ap.parse_args()
    f_rates = [float(r) for r in args.footage_rates.split(",")] if args.footage_rates else None
    report = run([float(r) for r in args.rates.split(",")], args.seeds, not args.no_footage, args.footage_seeds,
                 f_rates)
    _common.save_results(args.out, "low_fps", report, write_md)


if __name__ == "__main__":
    main()
