#!/usr/bin/env python3
"""Counts and holds on the shared footage, its mirror and half its frame rate, from saved landmarks.

    .venv/bin/python bench/footage_replay.py --landmarks DIR [--make] [--only EXERCISE] [--analysis-fps N]

The model is the slow part of `score_footage.py --mirror --half-fps` (90 clip
variants through MediaPipe take an hour here); the counting is not.  So this
bench keeps MediaPipe's landmarks once and replays them through the current
code in seconds:

* ``--make`` runs ``posecoach analyze --save-landmarks`` (the model) on every
  counted clip of ../shared/footage/MANIFEST.tsv, on a left-right mirrored copy
  and on a copy with every second frame dropped (made with OpenCV exactly as
  ``score_footage.py`` makes them), into ``DIR/{orig,mirror,half}/<exercise>/``;
  clips already there are skipped.
* Then every ``*_landmarks.jsonl`` found is replayed (``replay_recording``: the
  same session, landmarks and shot-cut flags as ``analyze``, without the model)
  and scored like ``score_footage.py``: reps exact when inside the hand count;
  each labelled hold (``hold_s``) matched by a reported hold within
  max(1 s, 15 %); unmatched reported holds of 2 s or more are spurious.

Writes bench/results/footage.md and .json: the per-clip table, then what changed per
exercise and why (kept by hand in ``bench/footage_changes.md``, included as it stands).
The clips and landmarks are never copied into the project (their licences are not ours).
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import FOOTAGE, RESULTS, git_commit, save_results  # noqa: E402 - also puts src/ on the path
from footage import read_manifest  # noqa: E402
from posecoach.cli.batch import replay_recording  # noqa: E402
from posecoach.core.exercise import find_exercise  # noqa: E402
from posecoach.testing.video import write_variant  # noqa: E402

VARIANTS = ("orig", "mirror", "half")
PREFIX = {"orig": "", "mirror": "mirror_", "half": "half_"}


def counted(rows: list[dict], only: str | None) -> list[dict]:
    out = []
    for r in rows:
        has_reps = r.get("reps_min", "").strip().isdigit()
        if r.get("exercise_id") and (has_reps or holds_of(r)) and (not only or r["exercise_id"] == only):
            out.append(r)
    return out


def holds_of(row: dict) -> list[float]:
    return [float(x) for x in (row.get("hold_s") or "").split(";") if x.strip()]


def hold_match(want: list[float], got: list[float]) -> tuple[int, list[float], list[str]]:
    """As score_footage.py: each wanted hold takes the closest unused reported one within tolerance."""
    got = [g for g in got if isinstance(g, (int, float)) and g > 0]
    used: set[int] = set()
    pairs = []
    for w in want:
        tol = max(1.0, 0.15 * w)
        best = min((i for i in range(len(got)) if i not in used and abs(got[i] - w) <= tol),
                   key=lambda i: abs(got[i] - w), default=None)
        if best is not None:
            used.add(best)
        pairs.append(f"{w:g}->{'-' if best is None else round(got[best], 1)}")
    spurious = [round(g, 1) for i, g in enumerate(got) if i not in used and g >= 2.0]
    return len(used), spurious, pairs


def variant_video(src: Path, kind: str, work: Path) -> Path:
    """A mirrored or half-frame-rate copy of ``src`` (as score_footage.py makes it), made once."""
    if kind == "orig":
        return src
    dst = work / f"{kind}_{src.stem}.mp4"
    return dst if dst.exists() else write_variant(src, dst, kind)


def landmarks_path(root: Path, kind: str, row: dict) -> Path:
    stem = Path(row["file"]).stem
    return root / kind / row["exercise_id"] / f"{PREFIX[kind]}{stem}_landmarks.jsonl"


def make(root: Path, rows: list[dict], footage: Path) -> None:
    posecoach = Path(sys.executable).with_name("posecoach")
    videos = root / "videos"
    videos.mkdir(parents=True, exist_ok=True)
    for r in rows:
        for kind in VARIANTS:
            if landmarks_path(root, kind, r).exists():
                continue
            clip = variant_video(footage / r["file"], kind, videos)
            print(f"model: {clip.name}", flush=True)
            subprocess.run([str(posecoach), "analyze", str(clip), "-e", r["exercise_id"], "--out",
                            str(root / kind / r["exercise_id"]), "--save-landmarks"],
                           check=False, stdout=subprocess.DEVNULL)


def score_row(root: Path, r: dict, rate: float | None = None) -> dict:
    ex = find_exercise(r["exercise_id"])
    has_reps = r["reps_min"].strip().isdigit()
    want = holds_of(r)
    row: dict = {"clip": r["file"], "exercise": r["exercise_id"],
                 "reps_want": [int(r["reps_min"]), int(r["reps_max"] or r["reps_min"])] if has_reps else None,
                 "holds_want": want}
    for kind in VARIANTS:
        path = landmarks_path(root, kind, r)
        if not path.exists():
            row[kind] = None
            continue
        res = replay_recording(path, ex, rate)
        got: dict = {"reps": res["reps"], "reps_by_side": res.get("reps_by_side")}
        if has_reps:
            lo, hi = row["reps_want"]
            got["exact"] = lo <= res["reps"] <= hi
            got["within_one"] = lo - 1 <= res["reps"] <= hi + 1
        if want:
            n, spurious, pairs = hold_match(want, [d.get("hold_s") for d in res["rep_details"]])
            got.update(holds_matched=n, holds_spurious=spurious, holds=pairs)
        row[kind] = got
    return row


def cell(got: dict | None, key: str) -> str:
    if got is None:
        return "n/a"
    if key == "reps":
        return f"{got['reps']}" + ("" if got.get("exact", True) else " ✗")
    if "holds" not in got:
        return ""
    return " ".join(got["holds"]) + (f" (spurious {got['holds_spurious']})" if got["holds_spurious"] else "")


def summary(rows: list[dict]) -> dict:
    s = {"reps_exact": 0, "reps_scored": 0, "within_one": 0, "holds_matched": 0, "holds_wanted": 0, "spurious": 0}
    for row in rows:
        for kind in VARIANTS:
            got = row.get(kind)
            if got is None:
                continue
            if row["reps_want"]:
                s["reps_scored"] += 1
                s["reps_exact"] += got["exact"]
                s["within_one"] += got["within_one"]
            if row["holds_want"]:
                s["holds_wanted"] += len(row["holds_want"])
                s["holds_matched"] += got["holds_matched"]
                s["spurious"] += len(got["holds_spurious"])
    return s


def markdown(report: dict, path: Path) -> str:
    rows, s, when = report["rows"], report["summary"], report["when"]
    rate = report.get("analysis_fps")
    lines = [
        "# Counts and holds on the shared footage, mirrored and at half frame rate (replayed landmarks)"
        + ("" if rate is None else f", judged at {rate:g} frames a second"),
        "",
        f"{when}, commit {report['commit']}. MediaPipe's landmarks of each clip variant were saved once "
        "(`bench/footage_replay.py --make`) and replayed through this commit's code: the same session, "
        "landmarks and shot-cut flags as `posecoach analyze`, without re-running the model."
        + ("" if rate is None else f" Only the frames `analyze --analysis-fps {rate:g}` analyses are judged "
           "(`--analysis-fps`); the landmarks are still those the model found with every frame, so the "
           "model's own tracking from fewer frames is not in these figures."),
        "",
        f"**Reps exact {s['reps_exact']}/{s['reps_scored']}, within one {s['within_one']}/{s['reps_scored']}; "
        f"holds matched {s['holds_matched']}/{s['holds_wanted']}, spurious holds {s['spurious']}.**",
        "",
        "| clip | exercise | reps want | got | got mirrored | got at half fps | holds want | holds got (orig / mirror / half) |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        want = "-" if not row["reps_want"] else (
            f"{row['reps_want'][0]}" if row["reps_want"][0] == row["reps_want"][1] else "{}-{}".format(*row["reps_want"]))
        reps = [cell(row.get(k), "reps") if row["reps_want"] else "-" for k in VARIANTS]
        holds = " / ".join(cell(row.get(k), "holds") for k in VARIANTS) if row["holds_want"] else "-"
        hw = ", ".join(f"{h:g}" for h in row["holds_want"]) or "-"
        lines.append(f"| {row['clip']} | {row['exercise']} | {want} | {' | '.join(reps)} | {hw} | {holds} |")
    lines += ["", "✗ = outside the hand count; n/a = landmarks of that variant not made yet.", ""]
    changes = Path(__file__).resolve().parent / "footage_changes.md"
    if changes.exists() and rate is None:  # the second table: what changed per exercise, and why (kept by hand)
        lines += ["#" + ln if ln.startswith("#") else ln for ln in changes.read_text(encoding="utf-8").splitlines()]
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--landmarks", type=Path, required=True, help="where the landmarks are (or are made)")
    ap.add_argument("--footage", type=Path, default=FOOTAGE)
    ap.add_argument("--make", action="store_true", help="run the model for variants not saved yet")
    ap.add_argument("--only", help="only this exercise id")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--analysis-fps", type=float, help="judge only the frames `analyze --analysis-fps N` analyses "
                    "(writes footage_<N>fps.md; the landmarks stay the full-rate model's)")
    a = ap.parse_args()
    if not (a.footage / "MANIFEST.tsv").exists():
        print(f"no footage at {a.footage}: nothing to score")
        return 0
    rows = counted(read_manifest(a.footage), a.only)
    if a.make:
        make(a.landmarks, rows, a.footage)
    scored = [score_row(a.landmarks, r, a.analysis_fps) for r in rows]
    report = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "commit": git_commit(),
              "analysis_fps": a.analysis_fps, "summary": summary(scored), "rows": scored}
    save_results(a.out, "footage" if a.analysis_fps is None else f"footage_{a.analysis_fps:g}fps", report, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
