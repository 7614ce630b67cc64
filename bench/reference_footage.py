#!/usr/bin/env python3
"""A reference taken from one real clip, used to judge the other clips of the same exercise.

    .venv/bin/python bench/reference_footage.py [--cache DIR]

For each pair below, the reference clip is judged as ``record_reference`` would (the exercise's
thresholds; its own range if they count nothing), targets are derived from it (``derive_targets``,
rom_share 0.8) and its most typical rep is the template (``reference_template``).  Every other clip
of that exercise is then judged twice: with the exercise's own thresholds and with the reference's
targets; each counted rep gets its similarity to the template (0-100) and the phase that differs
most.  The reference's own reps against the template are listed too (how alike one person's reps
are).

Landmarks: ``DIR/<stem>.npz`` caches (arrays t, xy, vis, world, n, size; and ``<stem>_cut.npy``, the
scene-cut score per frame) when present (default /tmp/pc/cache), otherwise the clip is run through
the model once (``analyze_video`` with ``record_to``).  Clips are read in place from
../shared/footage/; nothing is copied.  Writes bench/results/reference_footage.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FOOTAGE = ROOT.parent / "shared" / "footage"
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "src"))

import posecoach.clinic.targets as targets_mod  # noqa: E402  (derive_targets reads its REST_MARGIN)
from posecoach.core.exercise import find_exercise  # noqa: E402
from posecoach.clinic.references import (  # noqa: E402
    derive_targets,
    reference_from_frames,
    reference_template,
    score_reps,
    targets_for,
)
from posecoach.core.session import Session  # noqa: E402
from posecoach.core.types import Pose  # noqa: E402

# (exercise, reference clip, other clips)
PAIRS = [
    ("squat", "squat__yuyoujiang", ["squat_overlay__postop", "wall_squat__joelo", "squat__powerpwa",
                                    "squat__sagor", "cable_squat__joelo", "overhead_band_squat__rnhrn"]),
    ("squat", "squat_overlay__postop", ["squat__yuyoujiang", "wall_squat__joelo", "squat__powerpwa"]),
    ("glute_bridge", "glute_bridge__malikmrllh", ["glute_bridge__powerpwa"]),
    ("glute_bridge", "glute_bridge__powerpwa", ["glute_bridge__malikmrllh"]),
]


def manifest() -> dict[str, dict]:
    import csv

    with open(FOOTAGE / "MANIFEST.tsv", newline="", encoding="utf-8") as f:
        return {Path(r["file"]).stem: r for r in csv.DictReader(f, delimiter="\t")}


def frames_from_cache(npz: Path) -> list[tuple[float, Pose | None, bool]]:
    from posecoach.io.scenecut import SceneCutDetector

    d = np.load(npz)
    size = tuple(int(v) for v in d["size"])
    cut_file = npz.with_name(npz.stem + "_cut.npy")
    scores = np.load(cut_file) if cut_file.exists() else np.zeros(len(d["t"]))
    det = SceneCutDetector()
    out = []
    for i, t in enumerate(d["t"]):
        cut = bool(det.decide(float(scores[i]))) if 0 < i < len(scores) else False
        if d["n"][i] == 0:
            out.append((float(t), None, cut))
        else:
            out.append((float(t), Pose(xy=d["xy"][i], visibility=d["vis"][i], world=d["world"][i], size_wh=size,
                                       n_people=int(d["n"][i])), cut))
    return out


def frames_from_model(video: Path, exercise: str) -> list[tuple[float, Pose | None, bool]]:
    from posecoach.cli.batch import AnalyzeOptions, analyze_video
    from posecoach.io.recording import read_recording

    with tempfile.TemporaryDirectory() as tmp:
        rec = Path(tmp) / "landmarks.jsonl"
        analyze_video(video, AnalyzeOptions(exercise=exercise), record_to=rec)
        frames, _ = read_recording(rec)
    return frames


def load(stem: str, exercise: str, cache: Path) -> tuple[list, str]:
    npz = cache / f"{stem}.npz"
    if npz.exists():
        return frames_from_cache(npz), "cache"
    return frames_from_model(FOOTAGE / f"{stem}.mp4", exercise), "model"


def judge(ex, frames, targets, template) -> dict:
    s = Session(ex, targets=targets)
    for t, p, cut in frames:
        s.process(t, p, cut)
    sm = s.summary()
    score_reps(sm["rep_details"], s.trace_t, s.trace_main, template)
    sims = [d["similarity"] for d in sm["rep_details"] if d["similarity"] is not None]
    return {
        "reps": sm["reps"],
        "partials": len(sm["partial_reps"]),
        "similarity": sims,
        "similarity_median": round(statistics.median(sims), 1) if sims else None,
        "differs_most": dict(Counter(d["differs_most"] for d in sm["rep_details"] if d["differs_most"])),
        "peaks": [d["peak_angle"] for d in sm["rep_details"]],
    }


SPLIT = [("squat", "squat_overlay__postop"), ("squat", "wall_squat__joelo"), ("squat", "squat__powerpwa"),
         ("squat", "squat__sagor"), ("squat", "cable_squat__joelo"), ("glute_bridge", "glute_bridge__malikmrllh")]


def split_clips(loaded: dict, out: dict) -> list[str]:
    """The same person: the reference is the first two reps of a clip, the rest of the clip is judged."""
    lines = [
        "## The same person: reference from the first two reps of a clip, the rest of the clip judged",
        "",
        "The clip is cut halfway between its 2nd and 3rd rep (counted with the exercise's thresholds); the first",
        "part is the reference, the second part is judged with the exercise's thresholds and with the targets.",
        "",
        "| clip | reps after the cut (exercise thresholds) | reps (reference targets) | targets (rest / peak) | "
        "similarity | phase that differs most |",
        "|---|---:|---:|---|---|---|",
    ]
    out["split"] = []
    for exercise_id, stem in SPLIT:
        if stem not in loaded:
            continue
        ex = find_exercise(exercise_id)
        frames, _ = loaded[stem]
        _, reps, _ = reference_from_frames(ex, frames)
        if len(reps) < 4:
            continue
        cut_t = (reps[1]["end_s"] + reps[2]["start_s"]) / 2
        first = [f for f in frames if f[0] < cut_t]
        second = [f for f in frames if f[0] >= cut_t]
        trace, ref_reps, _ = reference_from_frames(ex, first)
        try:
            targets = derive_targets(ex, trace, ref_reps)
        except ValueError as e:
            lines.append(f"| {stem} | - | - | no targets: {e} | - | - |")
            continue
        template = reference_template({"trace": trace, "reps": ref_reps})
        d = judge(ex, second, None, template)
        t = judge(ex, second, targets_for(ex, targets), template)
        phases = ", ".join(f"{k} {v}" for k, v in sorted(t["differs_most"].items(), key=lambda kv: -kv[1])) or "-"
        lines.append(f"| {stem} | {d['reps']} | {t['reps']} | {targets['rest']} / {targets['peak']} | "
                     f"{fmt_sims(t['similarity'])} | {phases} |")
        out["split"].append({"clip": stem, "cut_s": round(cut_t, 2), "targets": targets, "default": d,
                             "reference_targets": t})
    return lines + [""]


def fmt_sims(s: list[float]) -> str:
    return "-" if not s else f"{statistics.median(s):.0f} ({min(s):.0f}-{max(s):.0f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", default="/tmp/pc/cache", help="folder of <stem>.npz landmark caches")
    args = ap.parse_args()
    if not (FOOTAGE / "MANIFEST.tsv").exists():
        print(f"no footage at {FOOTAGE}: nothing to do")
        return 0
    cache = Path(args.cache)
    man = manifest()
    loaded: dict[str, tuple[list, str]] = {}
    out = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "pairs": []}
    lines = [
        "# A reference from one clip, scored against the other clips of the exercise",
        "",
        f"`bench/reference_footage.py`, {out['date'][:10]}.  For each reference clip: the targets derived from it",
        "(rom_share 0.8) and its most typical rep as the template; every other clip of the exercise judged with the",
        "exercise's own thresholds and with the reference's targets.  Similarity: 0-100 per counted rep, median",
        "(min-max) over the clip's reps (see `posecoach.core.similarity` for the mapping: 90 = off by 5 % of the",
        "reference's range on average, 50 = off by a quarter of it; a rep twice as fast or slow loses 30).",
        "\"expected\" is the count made by eye (MANIFEST.tsv; '-' = held back or none).",
        "\"reps (rest target at hysteresis)\": the same targets but with the rest target only the exercise's",
        "hysteresis away from the reference's resting value (instead of `max(hysteresis, 0.2 x range)`): the",
        "comparison that made `REST_MARGIN` 0.2 (another person, or another day, rests a few degrees differently).",
        "These are other people than the reference's, so the counts with the reference's targets say how",
        "strict a target from someone else's movement is, not how well a patient's own targets work.",
        "",
    ]
    for exercise_id, ref_stem, others in PAIRS:
        ex = find_exercise(exercise_id)
        for stem in [ref_stem, *others]:
            if stem not in loaded and (FOOTAGE / f"{stem}.mp4").exists():
                loaded[stem] = load(stem, exercise_id, cache)
        if ref_stem not in loaded:
            continue
        frames, origin = loaded[ref_stem]
        trace, reps, summary = reference_from_frames(ex, frames)
        try:
            targets = derive_targets(ex, trace, reps)
        except ValueError as e:
            lines += [f"## {ref_stem} ({exercise_id}): no targets ({e})", ""]
            continue
        template = reference_template({"trace": trace, "reps": reps})
        # For comparison: the rest target only the hysteresis away from the resting value.
        margin, targets_mod.REST_MARGIN = targets_mod.REST_MARGIN, 0.0
        try:
            narrow = targets_for(ex, derive_targets(ex, trace, reps))
        finally:
            targets_mod.REST_MARGIN = margin
        own = judge(ex, frames, None, template)
        pair = {"exercise": exercise_id, "reference": ref_stem, "landmarks": origin, "reference_reps": len(reps),
                "segmented_by": summary["segmented_by"], "targets": targets, "reference_self": own, "clips": []}
        lines += [
            f"## Reference {ref_stem} ({exercise_id})",
            "",
            f"{len(reps)} reps (segmented by {summary['segmented_by']}); targets: rest {targets['rest']}, "
            f"peak {targets['peak']} (exercise: rest {ex.rep.rest:g}, peak {ex.rep.peak:g}), "
            f"hold {targets['hold_s']}, tempo {targets['tempo_s']} s/rep.  {targets['note']}.",
            f"Its own reps against the template: {fmt_sims(own['similarity'])}.",
            "",
            "| clip | expected | reps (exercise thresholds) | similarity | reps (reference targets) | similarity | "
            "phase that differs most | reps (rest target at hysteresis) | peaks (exercise thresholds) |",
            "|---|---:|---:|---|---:|---|---|---:|---|",
        ]
        eng = targets_for(ex, targets)
        for stem in others:
            if stem not in loaded:
                continue
            frames, origin = loaded[stem]
            row = man.get(stem, {})
            exp = row.get("reps_min", "").strip()
            exp = exp if exp == row.get("reps_max", "").strip() or not exp else f"{exp}-{row['reps_max'].strip()}"
            d = judge(ex, frames, None, template)
            t = judge(ex, frames, eng, template)
            n = judge(ex, frames, narrow, template)
            pair["clips"].append({"clip": stem, "landmarks": origin, "expected": exp or None, "default": d,
                                  "reference_targets": t, "rest_at_hysteresis": n})
            phases = ", ".join(f"{k} {v}" for k, v in sorted(t["differs_most"].items(), key=lambda kv: -kv[1])) or "-"
            peaks = ", ".join(f"{p:.0f}" for p in d["peaks"] if p is not None) or "-"
            lines.append(
                f"| {stem} | {exp or '-'} | {d['reps']} | {fmt_sims(d['similarity'])} | {t['reps']} | "
                f"{fmt_sims(t['similarity'])} | {phases} | {n['reps']} | {peaks} |"
            )
        lines.append("")
        out["pairs"].append(pair)
    lines += split_clips(loaded, out)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reference_footage.json").write_text(json.dumps(out, indent=1) + "\n")
    (RESULTS / "reference_footage.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
