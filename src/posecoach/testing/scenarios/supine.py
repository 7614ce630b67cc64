"""Synthetic scenarios for the supine exercises (lying on the back).

dead_bug, partial_crunch, knee_to_chest, trunk_rotation, hamstring_stretch and
straight_leg_raise.  Each builder returns a :class:`posecoach.testing.synth.Scenario`
whose ``truth`` has ``reps``, ``rep_windows`` (start, end of each rep or hold),
``faults`` (one fault id or None per rep), ``sides`` (per rep: "left"/"right",
or "" for exercises that do not tell sides apart) and, for holds,
``hold_s`` (per hold: the seconds of correct form the timer should show).

Postures follow synth's conventions: lying on the back = ``trunk_pitch -90``,
head toward -x, ``hip_flex`` 90 = thigh pointing at the ceiling.  The body is
anchored at the mid-hip so moving a leg does not shift the rest of the body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Sequence

import numpy as np

from posecoach.testing import synth as S
from posecoach.testing.synth import Camera, Posture, Scenario

__all__ = [
    "Step",
    "arch_back",
    "build",
    "crunch_posture",
    "dead_bug",
    "dead_bug_from_extended",
    "hamstring_stretch",
    "hook",
    "knee_to_chest",
    "long_sitting",
    "lying",
    "partial_crunch",
    "roll_body",
    "roll_knees",
    "seated_fold",
    "straight_leg_raise",
    "tabletop",
    "trunk_rotation",
]

HIP_H = S.LYING_H


def lying(**kw: float) -> Posture:
    """Lying on the back, legs straight, arms by the sides; ``kw`` edits joints (``Posture.with_``)."""
    p = Posture(trunk_pitch=-90.0, root=(0.0, HIP_H, 0.0), anchor="mid_hip").with_(ankle=-20.0, shoulder_abd=10.0)
    return p.with_(**kw) if kw else p


def hook(**kw: float) -> Posture:
    """Hook lying: knees bent, feet flat on the floor (hip 50, knee 100)."""
    return lying(hip_flex=50.0, knee_flex=100.0, ankle=10.0).with_(**kw)


def tabletop(**kw: float) -> Posture:
    """Dead-bug start: hips and knees at 90 degrees, arms reaching to the ceiling."""
    return lying(hip_flex=90.0, knee_flex=90.0, ankle=0.0, shoulder_flex=90.0, shoulder_abd=0.0).with_(**kw)


def crunch_posture(rise_deg: float, neck_flex: float = 10.0, base: Posture | None = None) -> Posture:
    """``base`` (hook lying) with the trunk curled up ``rise_deg`` from the floor about the hips.

    The thighs keep their place (hip flexion grows by the same amount)."""
    b = base or hook()
    return b.with_(trunk_pitch=b.trunk_pitch + rise_deg, neck_flex=neck_flex,
                   left_hip_flex=b.left.hip_flex + rise_deg, right_hip_flex=b.right.hip_flex + rise_deg)


def roll_knees(base: Posture, deg: float) -> Posture:
    """Both knees rolled ``deg`` toward the person's left (negative: right); shoulders stay flat."""
    return base.with_(left_hip_abd=base.left.hip_abd + deg, right_hip_abd=base.right.hip_abd - deg)


def roll_body(p: Posture, deg: float) -> Posture:
    """The whole body (shoulders too) rolled ``deg`` about its long axis toward the person's
    left (negative: right), from a supine posture.  Supine is also ``trunk_yaw 90, trunk_roll
    90, trunk_pitch -90``; in that form the pitch rolls the body, so blends stay smooth."""
    return p.with_(trunk_yaw=90.0, trunk_roll=90.0, trunk_pitch=-90.0 + deg)


@dataclass
class Step:
    """One rep (or hold): base -> peak in ``move_s``, ``hold_s`` at the peak, back in ``move_s``.

    ``during``: postures visited while holding, as (seconds after the peak is reached,
    posture); the peak posture is taken again after the last one.  ``base`` overrides the
    resting posture for this rep (and after it)."""

    peak: Posture
    move_s: float = 1.5
    hold_s: float = 0.5
    rest_s: float = 1.5
    fault: str | None = None
    side: str = ""
    base: Posture | None = None
    during: list[tuple[float, Posture]] = field(default_factory=list)
    hold_truth: float | None = None


def build(exercise: str, base: Posture, steps: Sequence[Step], *, camera: Camera | None = None,
          fps: float = 30.0, start_rest: float = 1.5, noise_px: float = 0.0, seed: int = 0,
          view: str = "side", facing: str = "left", extra: dict[str, Any] | None = None) -> Scenario:
    """Keyframes for ``steps`` and their ground truth, rendered through a side camera."""
    kf: S.Keyframes = [(0.0, base)]
    t = start_rest
    cur = base
    windows, peaks = [], []
    for st in steps:
        if st.base is not None and st.base != cur:
            kf.append((t, cur))
            t += 1.0
            cur = st.base
            kf.append((t, cur))
            t += 1.0
        if t > kf[-1][0]:
            kf.append((t, cur))
        start = t
        t += st.move_s
        kf.append((t, st.peak))
        t_peak = t
        for dt, p in st.during:
            kf.append((t_peak + dt, p))
        if st.during:
            last = st.during[-1][0] + 0.3
            kf.append((t_peak + last, st.peak))
        t = t_peak + st.hold_s
        if t > kf[-1][0]:
            kf.append((t, st.peak))
        t += st.move_s
        kf.append((t, cur))
        windows.append((round(start, 6), round(t, 6)))
        peaks.append((round(t_peak, 6), round(t_peak + st.hold_s, 6)))
        t += st.rest_s
        kf.append((t, cur))
    cam = (camera or Camera(view=view, facing=facing)).fit(np.concatenate([S.landmarks_lab(p) for _, p in kf]))
    seq = S.keyframe_sequence(kf, fps, cam)
    if noise_px > 0:
        seq = S.add_noise(seq, noise_px, seed)
    truth = {
        "exercise": exercise, "reps": len(steps), "rep_windows": windows, "peak_windows": peaks,
        "faults": [st.fault for st in steps], "sides": [st.side for st in steps],
        "hold_s": [st.hold_s if st.hold_truth is None else st.hold_truth for st in steps],
        "view": cam.view, "facing": cam.facing, "duration_s": kf[-1][0], **(extra or {}),
    }
    return Scenario(seq, fps, truth, cam, kf)


def _fault_list(n: int, fault: str | None, fault_reps: Sequence[int] | None) -> list[str | None]:
    which = set(range(n)) if fault_reps is None else set(fault_reps)
    return [fault if (fault and i in which) else None for i in range(n)]


# --------------------------------------------------------------------------- dead bug


def arch_back(p: Posture, deg: float) -> Posture:
    """``p`` (lying on the back) with the hips lifted off the floor line: the trunk tilts ``deg``
    degrees about the shoulders, which stay on the floor, the hips rising; the legs and arms keep
    their place in the room (their angles to the trunk change by as much)."""
    return p.with_(trunk_pitch=p.trunk_pitch - deg,
                   root=(p.root[0], p.root[1] + S.TRUNK * math.sin(math.radians(deg)), p.root[2]),
                   **{f"{s}_{j}": getattr(getattr(p, s), j) - deg
                      for s in ("left", "right") for j in ("hip_flex", "shoulder_flex")})


def dead_bug(n_reps: int = 4, fault: str | None = None, fault_reps: Sequence[int] | None = None,
             first: str = "left", lower_deg: float = 15.0, rep_s: float = 3.0, arch_deg: float = 15.0,
             **kw: Any) -> Scenario:
    """Alternating dead bugs (first side ``first``): the leg straightens to ``lower_deg`` hip
    flexion (15 = hovering above the floor) while the opposite arm reaches overhead.
    Faults: "leg_too_low" (leg let down 12 degrees past the body line), "other_leg_drifting"
    (the other thigh drops 45 degrees from upright), "back_arching" (the hips lift off the floor
    line as the leg goes down: the trunk tilts ``arch_deg`` about the shoulders, any size, see
    :func:`arch_back`), "too_fast" (a 1.2 s rep), "short" (the leg only goes to 60 degrees: not a rep)."""
    faults = _fault_list(n_reps, fault, fault_reps)
    base = tabletop()
    steps = []
    for i, f in enumerate(faults):
        side = first if i % 2 == 0 else ("right" if first == "left" else "left")
        other = "right" if side == "left" else "left"
        hip = {"leg_too_low": -12.0, "short": 60.0}.get(f or "", lower_deg)
        peak = base.with_(**{f"{side}_hip_flex": hip, f"{side}_knee_flex": 0.0, f"{side}_ankle": -10.0,
                             f"{other}_shoulder_flex": 170.0})
        if f == "other_leg_drifting":
            peak = peak.with_(**{f"{other}_hip_flex": 45.0})
        if f == "back_arching":
            peak = arch_back(peak, arch_deg)
        move = 0.6 if f == "too_fast" else rep_s / 2
        steps.append(Step(peak, move_s=move, hold_s=0.5, rest_s=1.2, fault=f, side=side))
    return build("dead_bug", base, steps, **kw)


def dead_bug_from_extended(n_reps: int = 4, first: str = "left", lower_deg: float = 15.0,
                           rep_s: float = 3.0, **kw: Any) -> Scenario:
    """Dead bugs started the other way round (as some programmes teach it): lying with both
    legs straight above the floor (``lower_deg`` hip flexion) and both arms overhead, one knee
    comes up to the tabletop (hip and knee at 90) with the opposite arm, then extends again."""
    base = tabletop(hip_flex=lower_deg, knee_flex=0.0, ankle=-10.0, shoulder_flex=170.0)
    steps = []
    for i in range(n_reps):
        side = first if i % 2 == 0 else ("right" if first == "left" else "left")
        other = "right" if side == "left" else "left"
        peak = base.with_(**{f"{side}_hip_flex": 90.0, f"{side}_knee_flex": 90.0, f"{side}_ankle": 0.0,
                             f"{other}_shoulder_flex": 90.0})
        steps.append(Step(peak, move_s=rep_s / 2, hold_s=0.5, rest_s=1.2, side=side))
    return build("dead_bug", base, steps, **kw)


# --------------------------------------------------------------------------- partial crunch


def partial_crunch(n_reps: int = 4, fault: str | None = None, fault_reps: Sequence[int] | None = None,
                   rise_deg: float = 25.0, rep_s: float = 2.0, hold_s: float = 1.0, **kw: Any) -> Scenario:
    """Partial crunches from hook lying: the trunk curls up ``rise_deg`` and back.
    Faults: "neck_pull" (head bent 65 degrees onto the chest), "too_high" (trunk up 60
    degrees: a sit-up), "too_fast" (a 1.1 s rep), "short" (only 10 degrees: not a rep)."""
    faults = _fault_list(n_reps, fault, fault_reps)
    steps = []
    for f in faults:
        rise = {"too_high": 60.0, "short": 10.0}.get(f or "", rise_deg)
        neck = 65.0 if f == "neck_pull" else 10.0
        fast = f == "too_fast"
        steps.append(Step(crunch_posture(rise, neck), move_s=0.5 if fast else rep_s / 2,
                          hold_s=0.1 if fast else hold_s, rest_s=1.5, fault=f))
    return build("partial_crunch", hook(), steps, **kw)


# --------------------------------------------------------------------------- knee to chest


def knee_to_chest(holds: Sequence[tuple[str, float]] = (("left", 6.0), ("right", 6.0)),
                  fault: str | None = None, fault_holds: Sequence[int] | None = None,
                  fault_at: float = 2.0, fault_s: float = 2.0, pull_deg: float = 130.0,
                  **kw: Any) -> Scenario:
    """Knee-to-chest holds ``(side, seconds)`` from hook lying; the thigh is pulled to
    ``pull_deg`` hip flexion (shoulder-hip-knee about 180 - pull_deg); side ``both``: both knees
    hugged together (the double knee-to-chest).
    Faults held for ``fault_s`` seconds starting ``fault_at`` s into the hold:
    "shoulders_lifting" (trunk curls up 30 degrees), "head_lifting" (head bent 60 degrees).
    ``hold_truth`` per hold: the time with correct form (the fault minus its 1 s persistence
    is taken off)."""
    base = hook()
    steps = []
    which = set(range(len(holds))) if fault_holds is None else set(fault_holds)
    for i, (side, secs) in enumerate(holds):
        legs = ("left", "right") if side == "both" else (side,)
        pulled = {f"{s}_{j}": v for s in legs for j, v in (("hip_flex", pull_deg), ("knee_flex", 120.0), ("ankle", 0.0))}
        peak = base.with_(**pulled, shoulder_flex=40.0, elbow_flex=60.0)
        f = fault if (fault and i in which) else None
        during: list[tuple[float, Posture]] = []
        truth = secs
        if f == "shoulders_lifting":
            bad = crunch_posture(30.0, 10.0, base=peak)
        elif f == "head_lifting":
            bad = peak.with_(neck_flex=60.0)
        else:
            bad = None
        if bad is not None:
            during = [(fault_at, peak), (fault_at + 0.3, bad), (fault_at + 0.3 + fault_s, bad)]
            truth = secs - (fault_s + 0.3 - 1.0)
        steps.append(Step(peak, move_s=1.5, hold_s=secs, rest_s=2.0, fault=f, side=side, during=during,
                          hold_truth=truth))
    return build("knee_to_chest", base, steps, **kw)


# --------------------------------------------------------------------------- trunk rotation


def trunk_rotation(n_reps: int = 4, fault: str | None = None, fault_reps: Sequence[int] | None = None,
                   roll_deg: float = 60.0, legs: str = "hook", rep_s: float = 3.0, **kw: Any) -> Scenario:
    """Knee rolls alternating left, right...; ``legs`` "hook" (feet on the floor) or "tabletop"
    (legs lifted, as in the reference footage).  Faults: "shoulders_lifting" (the whole upper
    body rolls 50 degrees along with the knees), "too_fast" (a 1.0 s roll),
    "short" (a 12 degree roll: not a rep)."""
    faults = _fault_list(n_reps, fault, fault_reps)
    base = hook() if legs == "hook" else tabletop(shoulder_flex=0.0, shoulder_abd=80.0)
    # The same posture written so the trunk can roll about the body's long axis (see roll_body).
    base = base.with_(trunk_yaw=90.0, trunk_roll=90.0)
    steps = []
    for i, f in enumerate(faults):
        sgn = 1.0 if i % 2 == 0 else -1.0
        deg = 12.0 if f == "short" else roll_deg
        peak = roll_knees(base, sgn * deg)
        if f == "shoulders_lifting":
            peak = roll_body(peak, sgn * 50.0)
        move = 0.5 if f == "too_fast" else rep_s / 2
        steps.append(Step(peak, move_s=move, hold_s=0.3, rest_s=1.5, fault=f,
                          side="left" if sgn > 0 else "right"))
    return build("trunk_rotation", base, steps, **kw)


# --------------------------------------------------------------------------- hamstring stretch


def _raise_fault(fault: str | None, peak: Posture, side: str, other: str, raise_deg: float) -> Posture | None:
    """The raised-leg hold with ``fault`` (or ``None``: no fault)."""
    if fault == "knee_bent":
        return peak.with_(**{f"{side}_knee_flex": 50.0})
    if fault == "other_leg_lifting":
        return peak.with_(**{f"{other}_hip_flex": 40.0})
    if fault == "hips_lifting":
        return peak.with_(trunk_pitch=-90.0 - 25.0, **{f"{side}_hip_flex": raise_deg - 25.0, f"{other}_hip_flex": -25.0})
    return None


def hamstring_stretch(holds: Sequence[tuple[str, float]] = (("left", 8.0), ("right", 8.0)),
                      fault: str | None = None, fault_holds: Sequence[int] | None = None,
                      fault_at: float = 2.0, fault_s: float = 2.0, raise_deg: float = 75.0,
                      **kw: Any) -> Scenario:
    """Supine hamstring stretch holds ``(side, seconds)``: the straight leg is raised to
    ``raise_deg`` hip flexion, the other leg lies straight on the floor.
    Faults for ``fault_s`` s, ``fault_at`` s into the hold: "knee_bent" (knee bends 50
    degrees), "other_leg_lifting" (other leg up 40 degrees), "hips_lifting" (the hip-to-shoulder line
    tilts 25 degrees, hips up; both legs keep their place)."""
    base = lying()
    steps = []
    which = set(range(len(holds))) if fault_holds is None else set(fault_holds)
    for i, (side, secs) in enumerate(holds):
        other = "right" if side == "left" else "left"
        peak = base.with_(**{f"{side}_hip_flex": raise_deg, f"{side}_knee_flex": 0.0,
                             "shoulder_flex": 60.0, "elbow_flex": 40.0})
        f = fault if (fault and i in which) else None
        bad = _raise_fault(f, peak, side, other, raise_deg)
        during: list[tuple[float, Posture]] = []
        truth = secs
        if bad is not None:
            during = [(fault_at, peak), (fault_at + 0.3, bad), (fault_at + 0.3 + fault_s, bad)]
            persist = 0.5 if f == "knee_bent" else 1.0
            truth = secs - (fault_s + 0.3 - persist)
        steps.append(Step(peak, move_s=1.5, hold_s=secs, rest_s=2.0, fault=f, side=side, during=during,
                          hold_truth=truth))
    return build("hamstring_stretch", base, steps, **kw)


def long_sitting(**kw: float) -> Posture:
    """Sitting on the floor, legs straight out in front, trunk upright, hands on the thighs."""
    p = Posture(trunk_pitch=-5.0, root=(0.0, HIP_H, 0.0), anchor="mid_hip").with_(
        hip_flex=85.0, ankle=-20.0, shoulder_flex=30.0, elbow_flex=20.0)
    return p.with_(**kw) if kw else p


def seated_fold(holds: Sequence[float] = (6.0,), fold_deg: float = 45.0, **kw: Any) -> Scenario:
    """Seated (long-sitting) hamstring stretch: from sitting upright, lean forward from the hips
    ``fold_deg`` over both straight legs (both hips flex together, the legs stay on the floor)
    and hold each of ``holds`` seconds.  One movement of both sides: truth sides ``both``."""
    base = long_sitting()
    peak = base.with_(trunk_pitch=base.trunk_pitch + fold_deg, hip_flex=base.left.hip_flex + fold_deg,
                      shoulder_flex=70.0)
    steps = [Step(peak, move_s=1.5, hold_s=secs, rest_s=2.0, side="both") for secs in holds]
    return build("hamstring_stretch", base, steps, **kw)


# --------------------------------------------------------------------------- straight leg raise


def slr_base(side: str, rest_deg: float = 0.0) -> Posture:
    """Ready for a straight leg raise of ``side``: that leg straight (``rest_deg`` of hip flexion:
    below 0 the leg rests below the hip line), the other knee bent, foot flat."""
    other = "right" if side == "left" else "left"
    return lying(**{f"{other}_hip_flex": 50.0, f"{other}_knee_flex": 100.0, f"{other}_ankle": 10.0,
                    f"{side}_hip_flex": rest_deg})


def straight_leg_raise(per_side: int = 3, sides: Sequence[str] = ("left", "right"), fault: str | None = None,
                       fault_reps: Sequence[int] | None = None, lift_deg: float = 45.0, rep_s: float = 3.0,
                       rest_deg: float = 0.0, hold_s: float = 0.5, **kw: Any) -> Scenario:
    """``per_side`` straight leg raises on each of ``sides`` in turn (the other knee bent).
    Fault indices count over all reps.  Faults: "knee_bent" (knee bent 40 degrees),
    "too_high" (leg lifted 75 degrees), "too_fast" (a 1.2 s rep), "short" (a 6 degree lift:
    not a rep).  ``rest_deg``: the straight leg's hip flexion at rest (below 0: resting below the
    hip line, as a leg on the floor often looks from the side); lifts are measured from it."""
    n = per_side * len(sides)
    faults = _fault_list(n, fault, fault_reps)
    steps = []
    for i, f in enumerate(faults):
        side = sides[i // per_side]
        base = slr_base(side, rest_deg)
        lift = rest_deg + {"too_high": 75.0, "short": 6.0, "knee_bent": 58.0}.get(f or "", lift_deg)
        peak = base.with_(**{f"{side}_hip_flex": lift, f"{side}_knee_flex": 40.0 if f == "knee_bent" else 0.0})
        move = 0.6 if f == "too_fast" else rep_s / 2
        steps.append(Step(peak, move_s=move, hold_s=hold_s, rest_s=1.2, fault=f, side=side, base=base))
    return build("straight_leg_raise", slr_base(sides[0], rest_deg), steps, **kw)
