#!/usr/bin/env python3
"""Every form fault measured: caught on faulty reps, quiet on good ones (issue 13).

    .venv/bin/python bench/bench_faults.py [--uiprmd DIR] [--landmarks DIR] [--only SECTION]

Three sources, each in its own table of bench/results/faults.md (and faults.json):

1. **UI-PRMD** (``../shared/keypoints/UI-PRMD``, read in place: real people, every repetition
   in its own file, labelled correct or incorrect by the dataset).  Deep squat -> ``squat``,
   sit-to-stand -> ``sit_to_stand``, standing straight-leg raise -> ``standing_leg_raise``.
   Each file is turned into posecoach poses by ``bench/uiprmd.py``'s forward kinematics and a
   virtual camera, **side-on and in front** (the leg raise only side-on, its exercise's view),
   and judged by ``Session`` twice:

   * *textbook*: the exercise file's limits, no reference;
   * *personal*: as the app does for a patient with a therapist's reference: three other
     correct repetitions of the same person (episodes k+1..k+3, never the judged file) are
     recorded as the reference (``clinic.references.reference_from_frames``), turned into
     targets (``clinic.targets.derive_targets`` -> ``targets_for``: rest/peak thresholds and
     ``rule_refs``), and the file is judged with them.

   A repetition is *flagged* when the coach said a form cue for it: a fault on the rep or on a
   partial attempt, or the partial-rep cue ("bend a little deeper").  Balanced agreement = mean
   of the share of incorrect repetitions flagged and the share of correct ones left clean.  The
   dataset does not say which fault each incorrect repetition shows; the per-fault rows give how
   often each fault fired on correct and incorrect repetitions, and ``describe`` gives what the
   incorrect sets differ in (medians of the measured values, correct vs incorrect).

2. **Generated** (``posecoach.testing`` scenarios): each fault a generator can produce, faulty
   reps mixed with good ones, both facing directions, in each view the fault is judged in:
   faulty reps caught, good reps left clean.

3. **Shared clips** (``--landmarks``: the model's landmarks saved by ``bench/footage_replay.py
   --make``, original and mirrored): fault events per counted rep on the good-form clips
   (MANIFEST ``form`` says good), the issue's limit being 0.2.

Exits 0 with a message for a source that is missing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import FOOTAGE, RESULTS, git_commit, save_results

import uiprmd as U

from posecoach.clinic.references import reference_from_frames
from posecoach.clinic.targets import derive_targets, targets_for
from posecoach.core.engine import Targets
from posecoach.core.exercise import Exercise, find_exercise
from posecoach.core.session import Session
from posecoach.core.types import Pose
from posecoach.errors import PosecoachError

MOVEMENTS = {  # UI-PRMD movement -> (exercise, name, camera views)
    "m01": ("squat", "deep squat", ("front", "side")),
    "m05": ("sit_to_stand", "sit-to-stand", ("front", "side")),
    "m06": ("standing_leg_raise", "standing straight-leg raise", ("side",)),
}
PAD_S = 0.75
REF_FILES = 3
GAP_S = 0.5  # between the reference's repetitions (standing still)


# --------------------------------------------------------------------------- UI-PRMD
def _file_poses(data: Path, mov: str, subj: int, ep: int, correct: bool, view: str) -> list[Pose] | None:
    pp = U.file_path(data, mov, subj, ep, correct, "positions")
    if not pp.is_file():
        return None
    k = U.forward_kinematics(U.read_csv(pp), U.read_csv(U.file_path(data, mov, subj, ep, correct, "angles"))) / 100.0
    near = "left"
    if mov == "m06":  # film the working leg: the ankle that moves most
        move = {s: float(np.linalg.norm(k[:, U.J[f"{s[0]}_ankle"]] - k[0, U.J[f"{s[0]}_ankle"]], axis=1).max())
                for s in ("left", "right")}
        near = max(move, key=lambda s: move[s])
    poses, _ = U.make_poses(k, near, 3.0, view=view)
    return U.pad(poses, PAD_S)


def _judge(ex: Exercise, poses: list[Pose], targets: Targets | None, t0: float = 0.0) -> dict:
    s = Session(ex, targets=targets)
    for i, p in enumerate(poses):
        s.process(t0 + i / U.FPS, p)
    return s.summary()


def _flags(summary: dict) -> dict:
    reps = summary["rep_details"]
    parts = summary["partial_reps"]
    faults = sorted({f for r in reps + parts for f in r["faults"]})
    partial_cue = any(p.get("why_not_counted") == "short of the peak" for p in parts)
    return {
        "reps": summary["reps"],
        "attempts": len(parts),
        "faults": faults,
        "partial_cue": partial_cue,
        "flagged": bool(faults) or partial_cue,
        "details": [d for r in reps + parts for d in r.get("fault_details", [])],
        "measured": [r.get("measured", {}) for r in reps + parts],
        "limits": summary.get("fault_limits", {}),
    }


def _reference(ex: Exercise, streams: list[list[Pose]]) -> tuple[Targets | None, dict | None]:
    """The targets a therapist's reference of these repetitions gives (None: no rep counted)."""
    frames, t = [], 0.0
    for poses in streams:
        for p in poses:
            frames.append((t, p, False))
            t += 1 / U.FPS
        for _ in range(int(GAP_S * U.FPS)):
            frames.append((t, poses[-1], False))
            t += 1 / U.FPS
    trace, reps, _ = reference_from_frames(ex, frames)
    try:
        stored = derive_targets(ex, trace, reps)
    except PosecoachError:
        return None, None
    return targets_for(ex, stored), stored


def run_uiprmd(data: Path, only: str | None = None) -> dict:
    out: dict = {}
    for mov, (ex_id, name, views) in MOVEMENTS.items():
        if only and only != mov:
            continue
        ex = find_exercise(ex_id)
        for view in views:
            t0 = time.time()
            rows: list[dict] = []
            for subj in range(1, 11):
                correct = {ep: _file_poses(data, mov, subj, ep, True, view) for ep in range(1, 11)}
                for ep in range(1, 11):
                    ref_eps = [(ep + i - 1) % 10 + 1 for i in range(1, REF_FILES + 1)]
                    ref_streams = [correct[e] for e in ref_eps if correct[e] is not None]
                    targets, stored = _reference(ex, ref_streams) if ref_streams else (None, None)
                    for is_correct in (True, False):
                        poses = correct[ep] if is_correct else _file_poses(data, mov, subj, ep, False, view)
                        if poses is None:
                            continue
                        row = {"subject": subj, "episode": ep, "correct": is_correct, "reference": ref_eps,
                               "textbook": _flags(_judge(ex, poses, None)),
                               "personal": _flags(_judge(ex, poses, targets)) if targets is not None else None,
                               "rule_refs": (stored or {}).get("rule_refs", {})}
                        rows.append(row)
            out[f"{mov}/{view}"] = {"movement": mov, "exercise": ex_id, "name": name, "view": view,
                                    "rules": [r.id for r in ex.form_rules], "rows": rows,
                                    "seconds": round(time.time() - t0, 1)}
            print(f"UI-PRMD {mov} {view}: {len(rows)} files in {time.time() - t0:.0f} s", flush=True)
    return out


def _share(rows: list[dict], correct: bool, mode: str, pred: Callable[[dict], bool]) -> float:
    rs = [r for r in rows if r["correct"] == correct and r[mode] is not None]
    return sum(1 for r in rs if pred(r[mode])) / len(rs) if rs else math.nan


def agreement(rows: list[dict], mode: str, pred: Callable[[dict], bool] | None = None) -> dict:
    pred = pred or (lambda f: f["flagged"])
    caught = _share(rows, False, mode, pred)
    clean = 1.0 - _share(rows, True, mode, pred)
    return {"caught": round(caught, 3), "clean": round(clean, 3), "balanced": round((caught + clean) / 2, 3)}


def describe(rows: list[dict], mode: str = "textbook") -> dict:
    """Per rule: the median measured value on correct and on incorrect repetitions (what differs)."""
    vals: dict[str, dict[bool, list[float]]] = {}
    for r in rows:
        for m in r[mode]["measured"]:
            for k, v in m.items():
                if v is not None:
                    vals.setdefault(k, {True: [], False: []})[r["correct"]].append(v)
    return {k: {"correct": round(statistics.median(v[True]), 3) if v[True] else None,
                "incorrect": round(statistics.median(v[False]), 3) if v[False] else None}
            for k, v in vals.items()}


def summarise_uiprmd(res: dict) -> dict:
    table: dict = {}
    for key, block in res.items():
        rows = block["rows"]
        entry = {"movement": block["movement"], "exercise": block["exercise"], "view": block["view"]}
        for mode in ("textbook", "personal"):
            entry[mode] = {
                "any": agreement(rows, mode),
                "faults_only": agreement(rows, mode, lambda f: bool(f["faults"])),
                "per_fault": {rid: agreement(rows, mode, lambda f, rid=rid: rid in f["faults"]) for rid in block["rules"]},
                "partial_cue": agreement(rows, mode, lambda f: f["partial_cue"]),
            }
        entry["describe"] = describe(rows)
        table[key] = entry
    # overall: each movement in each of its views, and the mean over the three movements per view choice
    for mode in ("textbook", "personal"):
        for view in ("side", "front"):
            picks = [table.get(f"{m}/{view}") or table.get(f"{m}/side") for m in MOVEMENTS]
            picks = [p for p in picks if p is not None]
            if picks:
                vals = [p[mode]["any"]["balanced"] for p in picks]
                table.setdefault("overall", {})[f"{mode}/{view}"] = {
                    "balanced": round(float(np.mean(vals)), 3),
                    "parts": {p["movement"] + "/" + p["view"]: p[mode]["any"]["balanced"] for p in picks},
                }
    return table


# --------------------------------------------------------------------------- generated
def _generated_cases() -> list[tuple[str, str, Callable[..., object], dict]]:
    """(exercise, fault, generator, extra kwargs) for every fault a generator can produce."""
    from posecoach.testing import synth as S
    from posecoach.testing.scenarios import functional as F
    from posecoach.testing.scenarios import quadruped as Q
    from posecoach.testing.scenarios import supine as P

    cases: list[tuple[str, str, Callable[..., object], dict]] = [
        ("squat", "knees_cave", S.squat, {}),
        ("squat", "trunk_forward", S.squat, {}),
        ("glute_bridge", "hips_low", S.glute_bridge, {}),
        ("glute_bridge", "over_arch", S.glute_bridge, {}),
        ("sit_to_stand", "hands_push", F.sit_to_stand, {}),
        ("sit_to_stand", "trunk_forward", F.sit_to_stand, {}),
        ("sit_to_stand", "knees_cave", F.sit_to_stand, {}),
        ("sit_to_stand", "sit_fast", F.sit_to_stand, {}),
        ("standing_leg_raise", "knee_bent", F.standing_leg_raise, {}),
        ("standing_leg_raise", "trunk_lean", F.standing_leg_raise, {}),
        ("lift_from_floor", "stoop", F.lift_from_floor, {}),
        ("bird_dog", "hips_rotating", Q.bird_dog, {}),
        ("bird_dog", "leg_too_high", Q.bird_dog, {}),
        ("dead_bug", "leg_too_low", P.dead_bug, {}),
        ("dead_bug", "other_leg_drifting", P.dead_bug, {}),
    ]
    return cases


def _overlaps(rec: dict, window: tuple[float, float]) -> bool:
    a, b = window
    return rec["start_s"] < b and (rec["end_s"] if rec["end_s"] is not None else rec["start_s"]) > a


def run_generated() -> dict:
    """Each generator-made fault: 4 reps, the 2nd and 4th faulty, both facings, each judging view.
    A rep of the truth is matched to the reps and attempts the session found overlapping its window."""
    import inspect

    from posecoach.testing.synth import Camera

    out: dict = {}
    for ex_id, fault, gen, kw in _generated_cases():
        ex = find_exercise(ex_id)
        rule = next((r for r in ex.form_rules if r.id == fault), None)
        if rule is None:
            continue
        params = inspect.signature(gen).parameters
        direct = "facing" in params  # else the view and facing go in a Camera (the floor exercises' builders)
        views = list(rule.views or [ex.view if ex.view != "any" else "side"])
        caught = clean = n_bad = n_good = 0
        runs = []
        for view in views:
            for facing in ("left", "right"):
                args: dict = dict(fault=fault, fault_reps=[1, 3], noise_px=1.5, seed=3, **kw)
                if direct:
                    args.update(facing=facing, **({"view": view} if "view" in params else {}))
                else:
                    args["camera"] = Camera(view=view, facing=facing)
                sc = gen(4, **args)
                s = Session(ex)
                for t, p in sc.poses:  # type: ignore[attr-defined]
                    s.process(t, p)
                sm = s.summary()
                found = sm["rep_details"] + sm["partial_reps"]
                truth = sc.truth  # type: ignore[attr-defined]
                windows = truth.get("all_windows") or truth["rep_windows"]
                faults = truth["faults"]
                if len(windows) != len(faults):  # (a near miss left out of rep_windows)
                    windows = [w for w, f in zip(truth["rep_windows"], [f for f in faults if f != "half"])]
                    faults = [f for f in faults if f != "half"]
                got = [any(fault in r["faults"] for r in found if _overlaps(r, w)) for w in windows]
                for want, g in zip(faults, got):
                    if want == fault:
                        n_bad += 1
                        caught += g
                    else:
                        n_good += 1
                        clean += not g
                runs.append({"view": view, "facing": facing, "got": got, "reps": sm["reps"]})
        out[f"{ex_id}/{fault}"] = {
            "exercise": ex_id, "fault": fault, "views": views,
            "caught": round(caught / n_bad, 3) if n_bad else None,
            "clean": round(clean / n_good, 3) if n_good else None,
            "n_faulty": n_bad, "n_good": n_good, "runs": runs,
        }
    return out


# --------------------------------------------------------------------------- shared clips
VISIBLE_WORDS = ("sag", "lean", "shallow", "faulty", "swing", "drift")  # a form note naming a visible fault


def _visible(landmarks: Path, r: dict, replay: Callable[..., dict]) -> dict:
    """A clip whose MANIFEST form note names a fault a physiotherapist can see: what the coach said."""
    ex = find_exercise(r["exercise_id"])
    out: dict = {"clip": r["file"], "exercise": r["exercise_id"], "form": r["form"], "view": r.get("view", "")}
    for kind, prefix in (("orig", ""), ("mirror", "mirror_")):
        p = landmarks / kind / r["exercise_id"] / f"{prefix}{Path(r['file']).stem}_landmarks.jsonl"
        if p.exists():
            sm = replay(p, ex)
            out[kind] = {"reps": sm["reps"], "faults": sm["faults"], "view_notes": sm["view_notes"],
                         "details": [x for rep in sm["rep_details"] for x in rep["fault_details"]]}
    return out


def run_clips(landmarks: Path, footage: Path) -> dict:
    from posecoach.cli.batch import replay_recording

    manifest = footage / "MANIFEST.tsv"
    if not manifest.is_file() or not landmarks.is_dir():
        return {}
    out: dict = {"clips": [], "events": 0, "said": 0, "reps": 0, "by_fault": {}}
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    out["visible"] = []
    for r in rows:
        form = r.get("form", "")
        if r.get("exercise_id") and any(w in form for w in VISIBLE_WORDS):
            out["visible"].append(_visible(landmarks, r, replay_recording))
        if not r.get("exercise_id") or "good" not in form or "faulty" in form:
            continue
        ex = find_exercise(r["exercise_id"])
        for kind, prefix in (("orig", ""), ("mirror", "mirror_")):
            p = landmarks / kind / r["exercise_id"] / f"{prefix}{Path(r['file']).stem}_landmarks.jsonl"
            if not p.exists():
                continue
            sm = replay_recording(p, ex)
            n = sum(sm["faults"].values())
            said = sum(1 for c in sm["cues"] if c["kind"] in ("form", "safety"))
            out["events"] += n
            out["said"] += said
            out["reps"] += sm["reps"]
            for k, v in sm["faults"].items():
                out["by_fault"][f"{r['exercise_id']}/{k}"] = out["by_fault"].get(f"{r['exercise_id']}/{k}", 0) + v
            out["clips"].append({"clip": r["file"], "variant": kind, "exercise": r["exercise_id"], "reps": sm["reps"],
                                 "fault_events": n, "form_cues_said": said, "faults": sm["faults"],
                                 "view_notes": sm["view_notes"],
                                 "attempts": len(sm["partial_reps"])})
    out["per_rep"] = round(out["events"] / out["reps"], 3) if out["reps"] else None
    out["said_per_rep"] = round(out["said"] / out["reps"], 3) if out["reps"] else None
    return out


# --------------------------------------------------------------------------- report
def _pct(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.0f}%"


def markdown(report: dict) -> str:
    L = ["# Form faults: caught on faulty reps, quiet on good ones\n",
         f"Run {report['date']} on commit {report['commit']}, `bench/bench_faults.py` ({report['seconds']:.0f} s).  "
         "Balanced agreement = (share of faulty reps flagged + share of good reps left clean) / 2.\n"]
    ui = report.get("uiprmd_summary")
    if ui:
        L.append("## UI-PRMD (real people; every repetition labelled correct or incorrect)\n")
        ov = ui.get("overall", {})
        words = {"side": "every movement side-on", "front": "squat and sit-to-stand from the front, the leg raise side-on "
                 "(its exercise's view)"}
        for k, v in ov.items():
            mode, view = k.split("/")
            L.append(f"- overall, **{mode} limits, {words.get(view, view)}**: balanced agreement **{v['balanced']:.2f}** "
                     f"({', '.join(f'{a} {b:.2f}' for a, b in v['parts'].items())})")
        L.append("")
        L.append("| movement | view | limits | flagged incorrect | clean correct | balanced | faults only: caught / clean |")
        L.append("|---|---|---|---|---|---|---|")
        for key, e in ui.items():
            if key == "overall":
                continue
            for mode in ("textbook", "personal"):
                a, fo = e[mode]["any"], e[mode]["faults_only"]
                L.append(f"| {e['movement']} {e['exercise']} | {e['view']} | {mode} | {_pct(a['caught'])} | "
                         f"{_pct(a['clean'])} | **{a['balanced']:.2f}** | {_pct(fo['caught'])} / {_pct(fo['clean'])} |")
        L.append("\nPer fault (fired on incorrect / left clean on correct; textbook -> personal limits):\n")
        L.append("| movement | view | fault | textbook: fired I / clean C | personal: fired I / clean C "
                 "| median measured C / I |")
        L.append("|---|---|---|---|---|---|")
        for key, e in ui.items():
            if key == "overall":
                continue
            for rid, a in e["textbook"]["per_fault"].items():
                b = e["personal"]["per_fault"][rid]
                d = e["describe"].get(rid, {})
                L.append(f"| {e['movement']} | {e['view']} | {rid} | {_pct(a['caught'])} / {_pct(a['clean'])} | "
                         f"{_pct(b['caught'])} / {_pct(b['clean'])} | {d.get('correct', '-')} / {d.get('incorrect', '-')} |")
            pc_t, pc_p = e["textbook"]["partial_cue"], e["personal"]["partial_cue"]
            L.append(f"| {e['movement']} | {e['view']} | (partial-rep cue) | {_pct(pc_t['caught'])} / {_pct(pc_t['clean'])} | "
                     f"{_pct(pc_p['caught'])} / {_pct(pc_p['clean'])} | |")
        L.append("")
    gen = report.get("generated")
    if gen:
        L.append("## Generated data (both facing directions, each view the fault is judged in)\n")
        L.append("| exercise | fault | views | faulty reps caught | good reps clean | notes |")
        L.append("|---|---|---|---|---|---|")
        for e in gen.values():
            errs = [f"{r['view']}/{r['facing']}: {r['error']}" for r in e["runs"] if "error" in r]
            L.append(f"| {e['exercise']} | {e['fault']} | {', '.join(e['views'])} | {_pct(e['caught'])} ({e['n_faulty']}) | "
                     f"{_pct(e['clean'])} ({e['n_good']}) | {'; '.join(errs)} |")
        L.append("")
    clips = report.get("clips")
    if clips:
        L.append("## Shared clips: good form stays quiet (original and mirrored)\n")
        by_fault = ", ".join(f"{k} {v}" for k, v in sorted(clips["by_fault"].items())) or "none"
        L.append(f"**{clips['events']} fault events over {clips['reps']} counted reps = {clips['per_rep']} per rep** "
                 f"(limit 0.2).  By fault: {by_fault}.  Form cues said (what the patient hears, after the cue "
                 f"policy's cooldowns; the partial-rep cue included): {clips['said']} = {clips['said_per_rep']} per rep.\n")
        if clips.get("visible"):
            L.append("Clips whose MANIFEST form note names something a physiotherapist can see, and what the coach said:\n")
            L.append("| clip | view | form note | original: faults | mirrored: faults | view note |")
            L.append("|---|---|---|---|---|---|")
            for v in clips["visible"]:
                cells = []
                for kind in ("orig", "mirror"):
                    got = v.get(kind)
                    cells.append("-" if got is None else (", ".join(f"{k} {n}" for k, n in got["faults"].items()) or "none"))
                note = next((n for kind in ("orig", "mirror") for n in (v.get(kind) or {}).get("view_notes", [])), "")
                L.append(f"| {v['clip']} | {v['view']} | {v['form']} | {cells[0]} | {cells[1]} | {note} |")
            L.append("")
        L.append("| clip | variant | reps | fault events | form cues said | faults | attempts | view notes |")
        L.append("|---|---|---|---|---|---|---|---|")
        for c in clips["clips"]:
            faults = ", ".join(f"{k} {v}" for k, v in c["faults"].items()) or "-"
            L.append(f"| {c['clip']} | {c['variant']} | {c['reps']} | {c['fault_events']} | {c['form_cues_said']} | "
                     f"{faults} | {c['attempts']} | {len(c['view_notes'])} |")
        L.append("")
    return "\n".join(L) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--uiprmd", type=Path, default=U.DATA)
    ap.add_argument("--landmarks", type=Path, default=Path("/work/lm"),
                    help="the shared clips' saved landmarks (bench/footage_replay.py --make)")
    ap.add_argument("--footage", type=Path, default=FOOTAGE)
    ap.add_argument("--only", choices=["uiprmd", "generated", "clips"])
    ap.add_argument("--movement", choices=sorted(MOVEMENTS))
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args(argv)
    t0 = time.time()
    report: dict = {"date": dt.datetime.now().isoformat(timespec="seconds"), "commit": git_commit()}
    if a.only in (None, "uiprmd"):
        if (a.uiprmd / U.FOLDERS[True]).is_dir():
            raw = run_uiprmd(a.uiprmd, a.movement)
            report["uiprmd_summary"] = summarise_uiprmd(raw)
            report["uiprmd_rows"] = {k: v["rows"] for k, v in raw.items()}
        else:
            print(f"skipped UI-PRMD: no data at {a.uiprmd}")
    if a.only in (None, "generated"):
        report["generated"] = run_generated()
    if a.only in (None, "clips"):
        clips = run_clips(a.landmarks, a.footage)
        if clips:
            report["clips"] = clips
        else:
            print(f"skipped the shared clips: no landmarks at {a.landmarks} or no footage at {a.footage}")
    report["seconds"] = round(time.time() - t0, 1)
    def write_md(rep: dict, path: Path) -> str:
        text = markdown(rep)
        path.write_text(text)
        return text

    save_results(a.out, "faults", report, write_md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
