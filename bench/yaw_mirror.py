#!/usr/bin/env python3
"""How far MediaPipe's view angle (yaw) disagrees between a frame and its left-right mirror.

    .venv/bin/python bench/yaw_mirror.py --landmarks DIR

The side-view and front-view gates (``SessionConfig.side_view_min_yaw``, ``front_view_max_yaw``)
judge the camera's angle from the depth of the shoulders and hips in MediaPipe's world
landmarks.  A person and their mirror image stand at the same angle to the camera, so any
difference between the yaw the session reads on a frame and on the same frame mirrored is
the estimate's own error.  ``SessionConfig.view_hysteresis`` (how much further past the limit
an accepted shot's yaw must go before it is refused) should cover that error for a typical
clip: this bench measures it over every clip whose original and mirrored landmarks were saved
by ``bench/footage_replay.py --make`` (``DIR/orig``, ``DIR/mirror``), on the yaw the session
itself reads (smoothed, only on frames with the shoulders and hips visible).

Writes bench/results/yaw_mirror.md and .json.  Clips and landmarks stay where they are.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, git_commit, save_results
from posecoach.core.exercise import find_exercise
from posecoach.core.session import Session, SessionConfig
from posecoach.io.recording import read_recording


def session_yaws(path: Path, exercise_id: str) -> list[float | None]:
    """The yaw the session reads on each frame (None where it reads none)."""
    frames, _ = read_recording(path)
    session = Session(find_exercise(exercise_id))
    out: list[float | None] = []
    for t, pose, cut in frames:
        session.process(t, pose, cut)
        out.append(session._yaw_now if pose is not None else None)
    return out


def measure(landmarks: Path) -> list[dict]:
    rows = []
    for orig in sorted((landmarks / "orig").glob("*/*_landmarks.jsonl")):
        exercise_id = orig.parent.name
        mirror = landmarks / "mirror" / exercise_id / f"mirror_{orig.name}"
        if not mirror.exists():
            continue
        a, b = session_yaws(orig, exercise_id), session_yaws(mirror, exercise_id)
        diffs = [abs(x - y) for x, y in zip(a, b) if x is not None and y is not None]
        if not diffs:
            continue
        yaws = [x for x in a if x is not None]
        rows.append({"clip": orig.name.removesuffix("_landmarks.jsonl"), "exercise": exercise_id,
                     "frames": len(diffs), "yaw_median": round(statistics.median(yaws), 1),
                     "diff_median": round(float(np.median(diffs)), 2), "diff_p90": round(float(np.percentile(diffs, 90)), 2),
                     "diffs": diffs})
    return rows


def markdown(report: dict, path: Path) -> str:
    s = report["summary"]
    lines = [
        "# View angle (yaw): a frame against its mirror image",
        "",
        f"{report['when']}, commit {report['commit']}. The yaw the session reads (smoothed; shoulders and "
        "hips visible) on every frame of each clip and of its left-right mirror, from the landmarks "
        "`bench/footage_replay.py --make` saved.  The same person at the same angle: the difference is "
        "the estimate's error.",
        "",
        f"**{s['clips']} clips, {s['frames']} frame pairs: difference median {s['median']} deg, 75th percentile "
        f"{s['p75']}, 90th {s['p90']}.  Per clip, the 90th percentile: median {s['clip_p90_median']} deg "
        f"(middle half {s['clip_p90_q1']}-{s['clip_p90_q3']}).  `SessionConfig.view_hysteresis` = "
        f"{s['hysteresis']} deg.**",
        "",
        "Lying on the side (side plank, side-lying leg raise, clamshell) the shoulder line points at the "
        "ceiling and the yaw is ill-defined: those clips disagree most, and none of them is gated on it "
        "(their exercises' views).",
        "",
        "| clip | exercise | frames | yaw (median) | difference median | difference p90 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in report["rows"]:
        cells = (r["clip"], r["exercise"], r["frames"], r["yaw_median"], r["diff_median"], r["diff_p90"])
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--landmarks", type=Path, required=True, help="footage_replay.py's landmark folder")
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    if not (a.landmarks / "orig").is_dir():
        print(f"no landmarks at {a.landmarks}/orig: run bench/footage_replay.py --make first")
        return 0
    rows = measure(a.landmarks)
    if not rows:
        print("no clip with both original and mirrored landmarks")
        return 0
    diffs = np.array([d for r in rows for d in r["diffs"]])
    p90s = sorted(r["diff_p90"] for r in rows)
    q = np.percentile(p90s, [25, 50, 75])
    summary = {"clips": len(rows), "frames": int(diffs.size), "median": round(float(np.median(diffs)), 1),
               "p75": round(float(np.percentile(diffs, 75)), 1), "p90": round(float(np.percentile(diffs, 90)), 1),
               "clip_p90_median": round(float(q[1]), 1), "clip_p90_q1": round(float(q[0]), 1),
               "clip_p90_q3": round(float(q[2]), 1), "hysteresis": SessionConfig().view_hysteresis}
    for r in rows:
        del r["diffs"]
    report = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "commit": git_commit(),
              "summary": summary, "rows": rows}
    save_results(a.out, "yaw_mirror", report, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
