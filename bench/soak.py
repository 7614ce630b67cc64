#!/usr/bin/env python3
"""Soak: live coaching for a long time on a looped clip; memory must stay flat, the frame rate steady.

    .venv/bin/python bench/soak.py [--minutes 60] [--sample-s 5] [--model PATH] [--note TEXT]

Runs the real app pipeline exactly as a patient's session: ``MainWindow`` (offscreen Qt) with its
``CoachingRun`` (sets, cues, history writes on the writer thread into a real SQLite history in a
temporary ``POSECOACH_HOME``), the ``PipelineWorker`` (reader thread pacing the clip at real time,
inference thread on the newest frame), a ``Speaker`` synthesising every cue with espeak-ng into WAV
files (no sound card needed), and the overlay painted on every frame shown.

The clip is a generated stick-figure glute-bridge video (good reps and hips-too-low reps), looped
without end with time running on (like a camera).  The estimator: the real MediaPipe pose model
runs on every frame when it is found (its time and memory are in the figures), but MediaPipe does
not see a person in a stick figure, so the pose handed to the session is the one the frame was drawn
from (``ReplayEstimator``); without the model only the replay runs, and the results say so.

Every ``--sample-s`` seconds: the process's RSS (``/proc/self/status`` VmRSS, or psutil) and the
frames processed per second since the last sample.  Results: ``bench/results/soak.md`` (rewritten
every minute, so an interrupted run still leaves its figures) with the table, the medians of the
first and last 10 minutes (a third of the run when shorter) and their ratios, and a verdict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import _common

import posecoach.app  # noqa: F401 - the PySide6 refcount guard
from posecoach.core.types import Frame

FPS = 30.0
MEMORY_RATIO_MAX = 1.05  # last / first median RSS
FPS_RATIO_MIN = 0.90  # last / first median frames per second


def rss_mb() -> float:
    """The process's resident memory (MB)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import psutil  # type: ignore[import-not-found]

    return psutil.Process().memory_info().rss / 2**20


def make_clip(folder: Path):
    """A ~40 s glute-bridge clip (good and hips-too-low reps) and its poses."""
    from posecoach.app.synthvideo import write_video
    from posecoach.testing import synth

    base = synth.hook_lying()
    tops = [180, 178, 160, 180, 175, 158, 180, 179]
    peaks = [synth.hook_lying(shk_deg=a) for a in tops]
    kf, _ = synth.reps(base, peaks, len(peaks), rep_s=2.0, hold_s=1.0, rest_s=1.5, start_rest=1.0, end_rest=1.5)
    seq = synth.keyframe_sequence(kf, FPS, synth.Camera(view="side", facing="left"))
    seq = synth.add_noise(seq, 0.8, seed=3)
    path = write_video(folder / "soak_bridge.mp4", seq, FPS)
    return path, seq


class LoopedClip:
    """The clip again and again, decoded each time, time running on: a camera that never ends."""

    paced = True  # the worker's reader paces it at its frame rate, like a video file

    def __init__(self, path: Path) -> None:
        from posecoach.io.sources import VideoFileSource

        self._open = lambda: VideoFileSource(path)
        first = self._open()
        self.fps = first.fps
        self.n = first.n_frames or 0
        first.close()
        self.name = "soak clip (looped)"
        self.duration = self.n / self.fps

    def __iter__(self) -> Iterator[Frame]:
        i, loop = 0, 0
        while True:
            src = self._open()
            try:
                for f in src:
                    yield Frame(f.image, loop * self.duration + f.t, i)
                    i += 1
            finally:
                src.close()
            loop += 1

    def close(self) -> None:
        pass


class ModelThenReplay:
    """The real pose model on every frame (its cost), then the pose the frame was drawn from."""

    def __init__(self, model, seq, fps: float) -> None:
        from posecoach.app.synthvideo import ReplayEstimator

        self.model = model
        self.replay = ReplayEstimator(seq, fps)
        self.duration = len(seq) / fps
        self.found = 0
        self.posture = None

    def detect(self, image, t_s: float = 0.0):
        if self.model is not None:
            if self.posture is not None:
                self.model.posture = self.posture
            if self.model.detect(image, t_s) is not None:
                self.found += 1
        return self.replay.detect(image, t_s % self.duration)

    def close(self) -> None:
        if self.model is not None:
            self.model.close()


def model_factory(model: str | None) -> tuple[object, str]:
    """(a factory of the real estimator or None, what the results say about it)."""
    try:
        from posecoach.io.pose_model import find_model

        path = find_model(model)
    except Exception as exc:
        return None, f"NOT the real model (none found: {exc}); the replaying estimator only"
    from posecoach.io.estimator import PoseEstimator

    return (lambda: PoseEstimator(str(path))), f"the real MediaPipe model ({Path(path).name}) on every frame"


def summarise(samples: list[dict], minutes: float) -> dict:
    """Medians of the first and last windows (10 min, or a third of the run) and their ratios."""
    win = min(10.0, minutes / 3.0) * 60.0
    t_end = samples[-1]["t"] if samples else 0.0
    first = [s for s in samples if s["t"] <= win]
    last = [s for s in samples if s["t"] >= t_end - win]
    out: dict = {"window_min": win / 60.0}
    for key in ("rss_mb", "fps"):
        a = statistics.median(s[key] for s in first) if first else float("nan")
        b = statistics.median(s[key] for s in last) if last else float("nan")
        out[key] = (a, b, b / a if a else float("nan"))
    half = [x for x in samples if x["t"] >= t_end / 2]
    if len(half) >= 3:  # the trend of the second half (after every bounded buffer has filled), MB an hour
        xs, ys = [x["t"] / 3600.0 for x in half], [x["rss_mb"] for x in half]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        den = sum((x - mx) ** 2 for x in xs)
        out["slope_mb_h"] = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0
    mem_ok = out["rss_mb"][2] <= MEMORY_RATIO_MAX
    fps_ok = out["fps"][2] >= FPS_RATIO_MIN
    out["verdict"] = ("PASS" if mem_ok and fps_ok else "FAIL") + (
        f": memory {'flat' if mem_ok else 'GROWS'} (last/first {out['rss_mb'][2]:.3f}, limit {MEMORY_RATIO_MAX}), "
        f"frame rate {'steady' if fps_ok else 'DROPS'} (last/first {out['fps'][2]:.3f}, limit {FPS_RATIO_MIN})")
    return out


def write_md(path: Path, samples: list[dict], meta: dict, *, done: bool) -> None:
    s = summarise(samples, meta["minutes"]) if samples else None
    lines = [
        "# Soak: live coaching on a looped clip", "",
        f"Run {meta['started']} UTC on commit {meta['commit']}, {meta['machine']}; "
        f"{'finished' if done else 'IN PROGRESS (partial figures)'}: "
        f"{samples[-1]['t'] / 60 if samples else 0:.1f} of {meta['minutes']:g} minutes.", "",
        "`bench/soak.py` drives the app's real pipeline: `MainWindow` (offscreen Qt), its `CoachingRun`",
        "(sets, cues, history writes into a real SQLite history on the writer thread), the `PipelineWorker`",
        "(reader pacing the clip at real time, inference on the newest frame), a `Speaker` synthesising every",
        "cue with espeak-ng into WAV files, and the overlay painted on every frame.  The clip is a generated",
        f"{meta['clip_s']:.0f} s stick-figure glute-bridge video at {FPS:g} frames/s, looped with time running on.",
        f"Estimator: {meta['estimator']}; the poses coached are the ones the frames were drawn from",
        "(MediaPipe sees no person in a stick figure).", "",
        "**The machine is shared**: 2 cores with 4 other jobs (tests, benchmarks) running at the same time,",
        "so the frame rate moves with their load, not only with this process.", "",
    ]
    if meta.get("note"):
        lines += [meta["note"], ""]
    if s is not None:
        lines += [
            f"| window ({s['window_min']:g} min) | RSS MB (median) | frames/s (median) |", "|---|---|---|",
            f"| first | {s['rss_mb'][0]:.1f} | {s['fps'][0]:.1f} |",
            f"| last | {s['rss_mb'][1]:.1f} | {s['fps'][1]:.1f} |",
            f"| last / first | {s['rss_mb'][2]:.3f} | {s['fps'][2]:.3f} |", "",
            f"RSS trend over the second half of the run: {s.get('slope_mb_h', float('nan')):+.1f} MB an hour.", "",
            f"Verdict: **{s['verdict']}**.", "",
        ]
    if done and meta.get("end"):
        lines += [meta["end"], ""]
    lines += ["| time (min) | RSS MB | frames/s | processed | dropped | reps | cues held (max 500) |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {x['t'] / 60:.2f} | {x['rss_mb']:.1f} | {x['fps']:.1f} | {x['processed']} | {x['dropped']} "
              f"| {x['reps']} | {x['cues']} |" for x in samples]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_window(home: Path, clip: Path, seq, model_make):
    from posecoach.app._qt.main_window import MainWindow
    from posecoach.io.speech import Speaker

    os.environ["POSECOACH_HOME"] = str(home)
    sp = Speaker(backend="wav")  # its own temporary folder, the newest 20 clips kept
    sp.start()
    factory = lambda: ModelThenReplay(model_make() if model_make else None, seq, FPS)  # noqa: E731
    w = MainWindow(settings_path=home / "settings.json", speaker=sp, estimator_factory=factory,
                   source_factory=lambda spec: (lambda: LoopedClip(clip)), speed=1.0)
    w.resize(1366, 768)
    w.show()
    return w


def soak(app, w, minutes: float, sample_s: float, on_sample) -> list[dict]:
    """Coach for ``minutes``, sampling every ``sample_s``; the samples."""
    if not w.start_session("soak", "glute_bridge", sets=99, reps=99, patient_id=None):
        raise SystemExit("the session did not start")
    t0 = time.monotonic()
    last_t, last_n = t0, 0
    samples: list[dict] = []
    while time.monotonic() - t0 < minutes * 60.0:
        app.processEvents()
        time.sleep(0.005)
        now = time.monotonic()
        if now - last_t < sample_s or w.worker is None:
            if w.worker is None:
                raise SystemExit(f"the session ended early: {w.end_reason} {w.end_message}")
            continue
        n = w.worker.processed
        samples.append({"t": now - t0, "rss_mb": rss_mb(), "fps": (n - last_n) / (now - last_t), "processed": n,
                        "dropped": w.worker.dropped, "reps": w.view.reps if w.view else 0,
                        "cues": len(w.worker.cues_emitted)})
        last_t, last_n = now, n
        on_sample(samples)
    return samples


def finish(app, w) -> str:
    """Stop the session as the patient would; what the history holds."""
    w.stop("user")
    deadline = time.monotonic() + 30
    while w.worker is not None and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    sid = w.session_id
    row = w.history.session(sid)
    w.shutdown()
    return (f"At the end: the session was stopped and saved (session {sid}: {len(row['reps'])} reps, "
            f"{len(row['events'])} events in the history, stopped={row['stopped']}); "
            f"peak RSS {peak_mb():.1f} MB.")


def peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--sample-s", type=float, default=5.0)
    ap.add_argument("--model", default=None, help="the pose model file (default: the models folder's)")
    ap.add_argument("--out", type=Path, default=_common.RESULTS / "soak.md")
    ap.add_argument("--note", default="")
    ap.add_argument("--commit", default=None, help="the commit measured (default: this checkout's HEAD)")
    args = ap.parse_args(argv)
    from posecoach.app.main import make_app

    app = make_app()
    model_make, estimator_text = model_factory(args.model)
    meta = {"minutes": args.minutes, "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
            "commit": args.commit or _common.git_commit(), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}", "estimator": estimator_text, "note": args.note}
    with tempfile.TemporaryDirectory(prefix="posecoach-soak-") as tmp:
        clip, seq = make_clip(Path(tmp))
        meta["clip_s"] = len(seq) / FPS
        w = make_window(Path(tmp) / "home", clip, seq, model_make)
        written = [0.0]

        def on_sample(samples: list[dict]) -> None:
            if samples[-1]["t"] - written[0] >= 60.0:
                written[0] = samples[-1]["t"]
                write_md(args.out, samples, meta, done=False)
            print(f"{samples[-1]['t'] / 60:6.2f} min  RSS {samples[-1]['rss_mb']:7.1f} MB  "
                  f"{samples[-1]['fps']:5.1f} fps  reps {samples[-1]['reps']}", flush=True)

        samples = soak(app, w, args.minutes, args.sample_s, on_sample)
        meta["end"] = finish(app, w)
    write_md(args.out, samples, meta, done=True)
    print(args.out.read_text().split("| time (min)")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
