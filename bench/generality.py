#!/usr/bin/env python3
"""Held-out check of the counting thresholds: chosen on one clip, scored on the other.

    .venv/bin/python bench/generality.py --landmarks DIR

For every exercise with two or more counted clips in ../shared/footage, and for each clip in
turn: try a grid of the rep thresholds (``rest``, ``peak`` around the file's values, same
hysteresis), keep those that count every variant of that clip (original, mirrored, half frame
rate) inside its hand count, and report how the *other* clips count with them, next to how
they count with the file's own values.  A threshold that only works on the clip it was chosen
on shows up here as a miss on the others.  Replays the landmarks ``bench/footage_replay.py
--make`` saved (DIR/{orig,mirror,half}); nothing is copied.

Writes bench/results/generality.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import FOOTAGE, RESULTS, git_commit, save_results
from footage import read_manifest
from footage_replay import VARIANTS, landmarks_path
from posecoach.cli.batch import replay_recording
from posecoach.core.exercise import Exercise, find_exercise


def clips_by_exercise(footage: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in read_manifest(footage):
        if r.get("exercise_id") and r.get("reps_min", "").strip().isdigit():
            out.setdefault(r["exercise_id"], []).append(r)
    return {k: v for k, v in out.items() if len(v) >= 2}


def variant_files(landmarks: Path, row: dict) -> list[Path]:
    return [f for f in (landmarks_path(landmarks, v, row) for v in VARIANTS) if f.exists()]


def counts(ex: Exercise, files: list[Path]) -> list[int]:
    return [replay_recording(f, ex)["reps"] for f in files]


def grid(ex: Exercise) -> list[tuple[float, float]]:
    """(rest, peak) pairs around the file's: the rest-to-peak distance from 0.5x to 1.5x, the rest
    line moved by up to a third of it; peak beyond rest as in the file."""
    rest, peak = ex.rep.rest, ex.rep.peak
    d = peak - rest
    out = []
    for scale in (0.5, 0.75, 1.0, 1.25, 1.5):
        for shift in (-1 / 3, 0.0, 1 / 3):
            r = rest + shift * abs(d)
            p = r + scale * d
            if abs(p - r) > 2 * ex.rep.hysteresis:
                out.append((round(r, 6), round(p, 6)))
    return out


def with_thresholds(ex: Exercise, rest: float, peak: float) -> Exercise:
    return ex.model_copy(update={"rep": ex.rep.model_copy(update={"rest": rest, "peak": peak})})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--landmarks", type=Path, required=True)
    ap.add_argument("--footage", type=Path, default=FOOTAGE)
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    if not (a.footage / "MANIFEST.tsv").exists():
        print(f"no footage at {a.footage}: nothing to check")
        return 0
    rows = []
    for exercise_id, clips in sorted(clips_by_exercise(a.footage).items()):
        ex = find_exercise(exercise_id)
        files = {c["file"]: variant_files(a.landmarks, c) for c in clips}
        want = {c["file"]: (int(c["reps_min"]), int(c["reps_max"])) for c in clips}
        table = {}  # (rest, peak) -> {clip: counts}
        for rp in grid(ex):
            e = with_thresholds(ex, *rp)
            table[rp] = {c: counts(e, f) for c, f in files.items()}

        def exact(c: str, got: list[int], want: dict[str, tuple[int, int]] = want) -> bool:
            return all(want[c][0] <= n <= want[c][1] for n in got)

        own = (ex.rep.rest, ex.rep.peak)
        own_counts = table.get(own) or {c: counts(ex, f) for c, f in files.items()}
        for chosen_on in files:
            fits = [rp for rp, by in table.items() if exact(chosen_on, by[chosen_on])]
            for other in files:
                if other == chosen_on:
                    continue
                ok = [exact(other, table[rp][other]) for rp in fits]
                rows.append({
                    "exercise": exercise_id, "chosen_on": chosen_on, "scored_on": other,
                    "want": "{}-{}".format(*want[other]), "grid": len(table), "fit_chosen": len(fits),
                    "exact_on_other": int(sum(ok)),
                    "share": round(float(np.mean(ok)), 2) if ok else None,
                    "file_values": f"rest {own[0]:g}, peak {own[1]:g}: {own_counts[other]}",
                })
    report = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "commit": git_commit(), "rows": rows}
    save_results(a.out, "generality", report, markdown)
    return 0


def markdown(report: dict, path: Path) -> str:
    lines = [
        "# Thresholds chosen on one clip, scored on another (held out)",
        "",
        f"{report['when']}, commit {report['commit']}. For each exercise with two or more counted clips: "
        "a grid of (rest, peak) around the file's values (rest-to-peak distance 0.5x-1.5x, rest moved "
        "by up to a third of it); the thresholds that count every variant of one clip (original, mirrored, "
        "half frame rate) inside its hand count are kept, and the other clip is counted with each of "
        "them.  A share near 1 means what fits one clip carries to the other; near 0, it was the clip.",
        "",
        "| exercise | chosen on | scored on (want) | grid | fit the first | of those, exact on the other | "
        "the file's values on the other (orig, mirror, half) |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for r in report["rows"]:
        share = "-" if r["share"] is None else f"{r['exact_on_other']} ({r['share']:.0%})"
        lines.append(f"| {r['exercise']} | {r['chosen_on']} | {r['scored_on']} ({r['want']}) | {r['grid']} | "
                     f"{r['fit_chosen']} | {share} | {r['file_values']} |")
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    raise SystemExit(main())
