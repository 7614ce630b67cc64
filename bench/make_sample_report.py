"""Build the sample progress report in docs/sample-report/ from a synthetic patient.

No real patient data: "Sample Patient" is simulated.  Four weeks of a home programme (glute
bridge and squat, 5 days a week, a few days missed), every session's reps generated with
``posecoach.testing.synth`` (rendered 2-D/3-D landmarks with noise) and judged by the real ``Session``
against the patient's targets.  The story: a stiff patient asked for 60 % of the therapist's range
(the reference: the therapist's demonstration at the first visit, simulated the same way; targets
from ``posecoach.clinic.references.derive_targets`` with ``rom_share=0.6``) whose range grows toward the
reference over the weeks, hips that stay low at the top in the first weeks (``hips_low``), a squat
whose trunk leans too far now and then, pain going from 5-6 to 2, one session stopped for pain.
Each rep is scored against the reference (``posecoach.core.similarity``), the programme progresses by its rule
(``Clinic.todays_plan``), and everything is stored through ``Clinic`` in a throwaway database
before ``posecoach.clinic.report.render_report`` writes the page.

    .venv/bin/python bench/make_sample_report.py [--out docs/sample-report] [--days 28] [--seed 5]

Takes about a minute.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from posecoach.clinic import Clinic, progress_plan  # noqa: E402
from posecoach.clinic.records import PlannedItem  # noqa: E402
from posecoach.clinic.report import render_report  # noqa: E402
from posecoach.core.engine import Targets  # noqa: E402
from posecoach.core.exercise import find_exercise  # noqa: E402
from posecoach.core.session import Session  # noqa: E402
from posecoach.core.similarity import rep_similarity, rep_trajectory  # noqa: E402
from posecoach.testing import synth as S  # noqa: E402

FPS = 20.0
ROM_SHARE = 0.6  # a stiff patient: 60 % of the therapist's range to start with
PATIENT = "Sample Patient"


def _bridge_scenario(tops: list[float], hold_s: float, rep_s: float, seed: int) -> S.Scenario:
    peaks = [S.hook_lying(shk_deg=a) for a in tops]
    kf, windows = S.reps(S.hook_lying(), peaks, len(peaks), rep_s, hold_s, 1.5, 1.0)
    cam = S.Camera(view="side", facing="left").fit(np.concatenate([S.landmarks_lab(p) for _, p in kf]))
    seq = S.add_noise(S.keyframe_sequence(kf, FPS, cam), 1.2, seed)
    return S.Scenario(seq, FPS, {"reps": len(peaks), "rep_windows": windows}, cam, kf)


def _squat_scenario(depths: list[float], leans: list[bool], rep_s: float, seed: int) -> S.Scenario:
    peaks = [S.squat_posture(d, 66.0 if lean else None) for d, lean in zip(depths, leans)]
    kf, windows = S.reps(S.standing(), peaks, len(peaks), rep_s, 0.0, 1.0, 1.0)
    cam = S.Camera(view="side", facing="left").fit(np.concatenate([S.landmarks_lab(p) for _, p in kf]))
    seq = S.add_noise(S.keyframe_sequence(kf, FPS, cam), 1.2, seed)
    return S.Scenario(seq, FPS, {"reps": len(peaks), "rep_windows": windows}, cam, kf)


def _run(exercise_id: str, sc: S.Scenario, targets: Targets | None) -> Session:
    s = Session(find_exercise(exercise_id), targets=targets)
    for t, pose in sc.poses:
        s.process(t, pose)
    s.finish()
    return s


def _targets_from(exercise_id: str, s: Session) -> dict:
    """Targets derived from a reference session (engineer B's derive_targets when present)."""
    ex = find_exercise(exercise_id)
    summary = s.summary()
    trace = list(zip(s.trace_t, s.trace_main))
    try:
        from posecoach.clinic.references import derive_targets

        return dict(derive_targets(ex, trace, summary["rep_details"], rom_share=ROM_SHARE))
    except ImportError:  # a fallback with the same idea, so the script runs on its own
        first = summary["rep_details"][0]["start_s"]
        vals = np.array([v for t, v in trace if t < first and v is not None and math.isfinite(v)])
        peaks = np.array([d["peak_angle"] for d in summary["rep_details"]])
        rest = float(np.median(vals)) if vals.size else ex.rep.rest
        peak = float(np.median(peaks))
        sign = 1.0 if peak > rest else -1.0
        rest_t = rest + sign * ex.rep.hysteresis
        durs = [d["duration_s"] for d in summary["rep_details"]]
        return {"rest": round(rest_t, 1), "peak": round(rest_t + ROM_SHARE * (peak - rest_t), 1),
                "hold_s": ex.hold.seconds if ex.hold else None, "tempo_s": round(float(np.median(durs)), 2),
                "rom_share": ROM_SHARE}


def _reference_rep(s: Session) -> np.ndarray:
    reps = s.summary()["rep_details"]
    mid = reps[len(reps) // 2]
    return rep_trajectory(s.trace_t, s.trace_main, mid["start_s"], mid["end_s"])


def _score(s: Session, ref: np.ndarray, details: list[dict]) -> None:
    bounds = [(d["start_s"], d["end_s"]) for d in details]
    for i, d in enumerate(details):
        lo = bounds[i - 1][1] if i else -math.inf
        hi = bounds[i + 1][0] if i + 1 < len(bounds) else math.inf
        try:
            d["similarity"], d["differs_most"] = rep_similarity(
                ref, rep_trajectory(s.trace_t, s.trace_main, d["start_s"], d["end_s"], lo_s=lo, hi_s=hi))
        except ValueError:
            pass


def _first_visit(clinic: Clinic, pid: int, seed: int) -> dict[str, np.ndarray]:
    """The therapist demonstrates each exercise, recorded as the reference; returns the reference reps."""
    refs: dict[str, np.ndarray] = {}
    for ex_id, sc in (("glute_bridge", _bridge_scenario([180.0] * 4, 3.0, 2.4, seed)),
                      ("squat", _squat_scenario([90.0] * 4, [False] * 4, 3.0, seed))):
        s = _run(ex_id, sc, None)
        summary = s.summary()
        tg = _targets_from(ex_id, s)
        ref_id = clinic.add_reference(
            pid, ex_id, source="synthetic first-visit recording", notes="therapist demonstration, first visit",
            landmarks_file=None, video_file=None, trace=[(float(t), float(v)) for t, v in
                                                         zip(s.trace_t, s.trace_main) if v is not None],
            reps=summary["rep_details"], summary={k: summary[k] for k in ("reps", "duration_s", "faults")})
        tg.update(reference_id=ref_id, note=f"{ROM_SHARE:.0%} of the reference range to start with")
        clinic.set_targets(pid, ex_id, tg)
        refs[ex_id] = _reference_rep(s)
    return refs


def _set_reps(rng: random.Random, ex_id: str, plan: PlannedItem, set_i: int, f: float, hurt: bool,
              seed_i: int) -> Any:
    """The synthetic scenario of one set: more range and fewer faults as the weeks go by (``f``)."""
    n = plan.reps
    if f < 0.3 and set_i == 2:
        n = max(3, n - rng.randint(1, 3))  # tired in the first weeks
    if hurt:
        n = 3
    if ex_id == "glute_bridge":
        top = 164.0 + 15.0 * f
        tops = [top + rng.uniform(-3, 3) - (6 if rng.random() < 0.25 * (1 - f) else 0) for _ in range(n)]
        return _bridge_scenario(tops, plan.hold_s or 0.0, 2.4 - 0.3 * f + rng.uniform(0, 0.3), seed_i)
    depth = 62.0 + 28.0 * f
    depths = [depth + rng.uniform(-3, 3) for _ in range(n)]
    leans = [rng.random() < 0.04 + 0.16 * (1 - f) for _ in range(n)]
    return _squat_scenario(depths, leans, 3.0 + rng.uniform(-0.3, 0.3), seed_i)


def _session(clinic: Clinic, pid: int, rng: random.Random, plan: PlannedItem, ref: np.ndarray, *, when: datetime,
             f: float, pain_before: int, hurt: bool, seed_i: int) -> int:
    """One exercise session of the patient, stored; returns the pain after it."""
    ex_id = plan.exercise_id
    tg = clinic.targets(pid, ex_id) or {}
    targets = Targets(rest=tg.get("rest"), peak=tg.get("peak"), hold_s=tg.get("hold_s"))
    sid = clinic.start_session(pid, ex_id, source="synthetic", pain_before=pain_before,
                               planned_sets=plan.sets, planned_reps=plan.reps, started_at=when)
    for set_i in range(1, plan.sets + 1):
        s = _run(ex_id, _set_reps(rng, ex_id, plan, set_i, f, hurt, seed_i + set_i), targets)
        details = s.summary()["rep_details"]
        _score(s, ref, details)
        for rep in details:
            clinic.history.add_rep(sid, rep, set_index=set_i)
        if hurt:
            break
    if hurt:
        stopped, pain_after = "pain", min(10, pain_before + 2)
    else:
        stopped = "completed"
        pain_after = max(0, pain_before - (1 if rng.random() < 0.6 else 0) + (1 if rng.random() < 0.1 else 0))
    clinic.history.finish_session(
        sid, summary={"exercise": ex_id, "source": "synthetic",
                      "targets": {"rest": tg.get("rest"), "peak": tg.get("peak"), "hold_s": tg.get("hold_s")}},
        pain_after=pain_after, stopped=stopped)
    return pain_after


def build(db: Path, out: Path, days: int = 28, seed: int = 5) -> Path:
    rng = random.Random(seed)
    start = date(2026, 9, 7)  # a Monday; fixed so the sample does not change between runs
    with Clinic(db) as clinic:
        pid = clinic.add_patient(PATIENT, notes="Synthetic patient for the sample report: chronic low back "
                                 "pain, stiff hips; home programme reviewed weekly.")
        refs = _first_visit(clinic, pid, seed)
        clinic.set_programme(
            pid,
            [{"exercise_id": "glute_bridge", "sets": 2, "reps": 8, "hold_s": 3},
             {"exercise_id": "squat", "sets": 2, "reps": 6, "hold_s": 0}],
            days_per_week=5,
            rule={"add_reps": 1, "every_n_sessions": 3, "max_reps": 12, "hold_back_if_pain_rises": True},
        )
        # The programme was set at the first visit: its created_at is now; sessions are dated in the
        # past, so todays_plan would not count them.  The plan is therefore followed by hand below
        # with the same rule (posecoach.clinic.progression.progress_plan).
        prog = clinic.programme(pid)
        assert prog is not None
        done_rows: dict[str, list[dict]] = {i.exercise_id: [] for i in prog.items}
        n_sessions = 0
        for day in range(days):
            d = start + timedelta(days=day)
            if d.weekday() >= 5 or rng.random() < 0.1:  # weekends off, a missed day now and then
                continue
            f = day / max(days - 1, 1)  # 0 -> 1 over the weeks
            pain_after = max(1, round(6 - 4 * f + rng.uniform(-0.6, 0.6)))
            for k, item in enumerate(prog.items):
                ex_id = item.exercise_id
                plan = progress_plan(item, done_rows[ex_id], prog.rule)
                when = datetime.combine(d, time(9, 30)) + timedelta(minutes=12 * k)
                pain_after = _session(clinic, pid, rng, plan, refs[ex_id], when=when, f=f, pain_before=pain_after,
                                      hurt=n_sessions == 9 and ex_id == "squat",  # one session stopped for pain
                                      seed_i=seed * 1000 + day * 10 + k * 3)
                done_rows[ex_id] = list(clinic.progress(pid, ex_id))
            n_sessions += 1
        patient = clinic.patient(pid)
        rows = clinic.progress(pid)
        targets = {ex: clinic.targets(pid, ex) for ex in ("glute_bridge", "squat")}
    last = max(date.fromisoformat(r["date"]) for r in rows)
    return render_report(patient.to_dict(), rows, out, programme=prog.to_dict(), targets=targets,
                         generated_at=datetime.combine(last, time(18, 0)))  # reproducible output


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "sample-report"))
    ap.add_argument("--days", type=int, default=28)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--db", default=None, help="keep the synthetic database here (default: a temporary one)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "sample.db"
        path = build(db, Path(args.out), args.days, args.seed)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
