"""Build the sample batch report in docs/sample-batch-report/ (what ``posecoach analyze`` writes).

No video and no model: three squat "sessions" generated with ``posecoach.testing.synth``
(rendered landmarks with noise) are judged by the real ``Session``, and their results are
written by the same code as ``analyze`` (``batch.final_result``, ``write_result``, the summary
files and ``report.html``).  What it shows that the real screenshot (docs/screenshots/batch-report.png)
does not: form faults with their values and limits, a stretch in which the knees are out of frame, a
second person walking through, a front view (a view note; an attempt that did not count, with its
fault), and a video that could not be opened.

    .venv/bin/python bench/make_sample_batch_report.py [--out docs/sample-batch-report]

Takes a few seconds.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from posecoach.cli import batch  # noqa: E402
from posecoach.cli.batch_report import render_batch_report  # noqa: E402
from posecoach.core.exercise import find_exercise  # noqa: E402
from posecoach.core.session import Session  # noqa: E402
from posecoach.io.atomic import write_output  # noqa: E402
from posecoach.testing import synth as S  # noqa: E402

FPS = 30.0


def _sessions() -> dict[str, list]:
    """name -> the poses of one generated video."""
    clean = S.squat(n_reps=6, depth_knee_deg=95.0, noise_px=1.5, seed=1, fps=FPS)
    faulty = S.squat(n_reps=7, depth_knee_deg=100.0, fault="trunk_forward", fault_reps=[2, 5], noise_px=1.5,
                     seed=2, fps=FPS)
    seq = S.drop_frames(faulty.poses, ranges=[(4.0, 4.8)])  # stepped out of view
    seq = S.occlude(seq, ["left_knee", "left_ankle", "right_knee", "right_ankle"], [(11.0, 11.9)], seed=3)
    seq = S.second_person(seq, [(18.0, 21.5)])
    t_cut = next(t for t, _ in seq if t >= 14.25)  # the camera moved between reps 4 and 5
    seq = S.cut(seq, t_cut, shift_px=(60.0, 30.0), scale=0.5)
    return {"monday.mp4": clean.poses, "wednesday.mp4": seq, "thursday (front).mp4": _front()}


def _front() -> list:
    """Filmed from the front: knees caving in on two reps, and a shallow attempt (not counted) with
    the knees in as well; the trunk's forward lean cannot be judged from there (a view note)."""
    import numpy as np

    good, cave = S.squat_posture(100, 45), S.squat_posture(100, 45, valgus_deg=8.0)
    peaks = [good, S.squat_posture(50, 22, valgus_deg=16.0), cave, good, cave, good]
    kf, _ = S.reps(S.standing(), peaks, len(peaks), 2.5, 0.0, 1.0, 1.0)
    cam = S.Camera(view="front", facing="left").fit(np.concatenate([S.landmarks_lab(p) for _, p in kf]))
    return S.add_noise(S.keyframe_sequence(kf, FPS, cam), 1.0, seed=4)


def _result(name: str, poses: list) -> dict:
    session = Session(find_exercise("squat"))
    for t, p in poses:
        session.process(t, p)
    res = {"source": f"videos/{name}", **session.summary(), "fps": FPS, "size": [1280, 720]}
    res["duration_s"] = round(session.frames / FPS, 3)
    res["trace"] = session.timeline()
    return batch.final_result(res, "squat")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "sample-batch-report"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for name, poses in _sessions().items():
        res = _result(name, poses)
        batch.write_result(res, out, Path(name).stem)
        results.append(res)
    results.append(batch.final_result({
        "source": "videos/friday (phone).mp4", "exercise": "squat",
        "error": "videos/friday (phone).mp4: cannot open as a video (corrupt, or an unsupported format); "
                 "convert it to MP4 (H.264) and try again"}, "squat"))
    batch._summary_files(results, out, "squat")
    # Dated once, so that running the script again gives the same page.
    page = render_batch_report(results, batch.short_names(results), "squat", generated_at=datetime(2026, 12, 1, 9, 0))
    write_output(out / "report.html", page)
    print(f"wrote {out / 'report.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
