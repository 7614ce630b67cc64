#!/usr/bin/env python3
"""Rep counts on the team's real footage (../shared/footage), against the counts made by eye.

    .venv/bin/python bench/footage.py [--only EXERCISE] [--workers 2]

For every clip in ../shared/footage/MANIFEST.tsv whose ``exercise_id`` is one
that ``posecoach exercises`` lists, runs ``analyze_video`` (through
``run_batch``, in worker processes) and reports the reps found.  Clips with a
count (``reps_min``..``reps_max``) are scored: exact (inside the range) and
within one.  Clips without one (counts held back for evaluation, or holds) are
run too and only what was found is reported.  Writes bench/results/footage_model.md
and footage_model.json (``bench/footage_replay.py`` writes footage.md: every counted clip,
mirrored and at half frame rate).  The clips are never copied: they are read in place, and the
script exits cleanly with a message when the folder is missing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import FOOTAGE, RESULTS, git_commit, save_results  # noqa: E402 - also puts src/ on the path
from posecoach.cli.batch import AnalyzeOptions, run_batch  # noqa: E402
from posecoach.core.exercise import list_exercises  # noqa: E402


def read_manifest(folder: Path) -> list[dict]:
    with open(folder / "MANIFEST.tsv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def expected(row: dict) -> tuple[int, int] | None:
    lo, hi = row.get("reps_min", "").strip(), row.get("reps_max", "").strip()
    if not lo.isdigit():
        return None
    return int(lo), int(hi) if hi.isdigit() else int(lo)


def score(row: dict, res: dict) -> dict:
    exp = expected(row)
    out = {
        "clip": row["file"],
        "exercise": row["exercise_id"],
        "expected": list(exp) if exp else None,
        "why_no_count": None if exp else ("held back" if "held back" in row.get("note", "") else (row.get("note") or "no count")),
        "error": res.get("error"),
    }
    if "error" in res:
        out.update(got=None, exact=False if exp else None, within_one=False if exp else None)
        return out
    got = res["reps"]
    frames = max(res["frames"], 1)
    out.update(
        got=got,
        exact=(exp[0] <= got <= exp[1]) if exp else None,
        within_one=(exp[0] - 1 <= got <= exp[1] + 1) if exp else None,
        partial_reps=len(res.get("partial_reps", [])),
        faults=res["faults"],
        warnings=res["warnings"],
        usable_pct=round(100 * res["frames_usable"] / frames, 1),
        pose_pct=round(100 * res["frames_with_pose"] / frames, 1),
        several_people_pct=round(100 * res.get("frames_several_people", 0) / frames, 1),
        cuts=res.get("cuts"),
        duration_s=res["duration_s"],
        processing_s=res["processing_s"],
    )
    return out


def _cell(s: str) -> str:
    return s.replace("|", "/").replace("\n", " ")


def write_md(report: dict, path: Path) -> str:
    rows = report["clips"]
    s = report["summary"]
    L = [
        "# posecoach on the shared footage",
        "",
        f"{report['date']}, commit {report['commit']}, exercises listed: {', '.join(report['exercises_listed'])}. "
        f"{len(rows)} clips, {report['wall_s']:.0f} s with {report['workers']} workers.",
        "",
        f"**Counted clips: exact {s['exact']}/{s['scored']}, within one {s['within_one']}/{s['scored']}.**",
        "",
        "| clip | exercise | expected | got | exact? | within one? | faults | warnings | usable frames |",
        "|---|---|---:|---:|:-:|:-:|---|---|---:|",
    ]

    def yn(v):
        return "-" if v is None else ("yes" if v else "**no**")

    for r in sorted(rows, key=lambda r: (r["expected"] is None, r["exercise"], r["clip"])):
        if r["expected"]:
            lo, hi = r["expected"]
            exp = f"{lo}" if lo == hi else f"{lo}-{hi}"
        else:
            exp = f"({r['why_no_count']})"
        if r["error"]:
            L.append(f"| {r['clip']} | {r['exercise']} | {exp} | - | {yn(r['exact'])} | {yn(r['within_one'])} | - | "
                     f"ERROR: {_cell(r['error'])} | - |")
            continue
        faults = ", ".join(f"{k} x{v}" for k, v in r["faults"].items()) or "none"
        warns = "; ".join(r["warnings"]) or "-"
        L.append(f"| {r['clip']} | {r['exercise']} | {exp} | {r['got']} | {yn(r['exact'])} | {yn(r['within_one'])} | "
                 f"{_cell(faults)} | {_cell(warns)} | {r['usable_pct']:.0f}% |")
    if report["skipped"]:
        L += ["", "Not run (exercise not listed by `posecoach exercises`): "
              + ", ".join(f"{c} ({e or 'no id'})" for c, e in report["skipped"]) + "."]
    text = "\n".join(L) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--footage", type=Path, default=FOOTAGE)
    ap.add_argument("--only", help="run only this exercise id")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--model", default=None)
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args(argv)

    if not (a.footage / "MANIFEST.tsv").is_file():
        print(f"skipped: no footage at {a.footage} (MANIFEST.tsv missing); nothing to score")
        return 0
    good, bad = list_exercises()
    listed = sorted(x.id for x in good)
    for err in bad:
        print(f"warning: {err}", file=sys.stderr)

    by_ex: dict[str, list[dict]] = {}
    skipped = []
    for row in read_manifest(a.footage):
        ex = row["exercise_id"].strip()
        if a.only and ex != a.only:
            continue
        if ex not in listed:
            skipped.append((row["file"], ex))
            continue
        if not (a.footage / row["file"]).is_file():
            print(f"warning: {row['file']} is in the manifest but not in {a.footage}", file=sys.stderr)
            continue
        by_ex.setdefault(ex, []).append(row)

    rows = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        for ex, manifest_rows in sorted(by_ex.items()):
            paths = [a.footage / r["file"] for r in manifest_rows]
            print(f"{ex}: {len(paths)} clips", flush=True)
            results = run_batch(paths, AnalyzeOptions(exercise=ex, model=a.model), Path(out) / ex,
                                workers=a.workers, show_progress=False)
            with open(Path(out) / ex / "timing.csv", newline="", encoding="utf-8") as f:
                seconds = [row["processing_s"] for row in csv.DictReader(f)]  # in input order
            for r, res, took in zip(manifest_rows, results, seconds):
                s = score(r, {**res, "processing_s": float(took) if took else None})
                rows.append(s)
                exp = "-".join(map(str, sorted(set(s["expected"])))) if s["expected"] else "?"
                mark = "" if s["exact"] is None else ("  exact" if s["exact"] else ("  within one" if s["within_one"] else "  MISS"))
                print(f"  {s['clip']:45} want {exp:>5}  got {s['got']}{mark}" + (f"  ERROR {s['error']}" if s["error"] else ""),
                      flush=True)
    wall = time.perf_counter() - t0
    scored = [r for r in rows if r["expected"]]
    report = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": git_commit(),
        "exercises_listed": listed,
        "workers": a.workers,
        "wall_s": round(wall, 1),
        "cpu_count": os.cpu_count(),
        "summary": {
            "scored": len(scored),
            "exact": sum(bool(r["exact"]) for r in scored),
            "within_one": sum(bool(r["within_one"]) for r in scored),
            "unscored": len(rows) - len(scored),
        },
        "skipped": skipped,
        "clips": rows,
    }
    save_results(a.out, "footage_model", report, write_md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
