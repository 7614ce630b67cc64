"""Synthetic scenarios for the quadruped and prone exercises (known reps, sides, faults, holds).

Exercises: ``bird_dog``, ``cat_cow``, ``donkey_kick``, ``fire_hydrant`` (on hands and knees),
``prone_press_up`` and ``superman`` (lying face down).  Each builder returns a
:class:`posecoach.testing.synth.Scenario` whose ``truth`` has ``reps``, ``rep_windows``,
``faults`` (one entry per rep, ``None`` = clean), ``sides`` (the side each rep
belongs to, for the both-sides exercises) and, for holds, ``hold_s`` and
``hold_above_peak_s`` (how long the noise-free main angle stays at or past the peak
threshold of the exercise file in each rep: what the hold timer should read).

``synth.Posture`` has no rotation of the pelvis about the trunk's long axis (the hips
rotating open in a bird dog or donkey kick), so postures here are :class:`QPosture`, a
``Posture`` with ``pelvis_rot`` (degrees, + = the person's LEFT hip rises: the whole
lower body but the support leg's knee and foot turns about the line from mid-hip to
mid-shoulder), rendered by
:func:`sequence` (``synth.keyframe_sequence`` with that one extra step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from collections.abc import Sequence

import numpy as np

from posecoach.testing import synth as S
from posecoach.core.landmarks import INDEX
from posecoach.core.types import Pose

__all__ = [
    "QPosture",
    "all_fours",
    "bird_dog",
    "bird_dog_reach",
    "cat",
    "cat_cow",
    "cow",
    "donkey_kick",
    "fire_hydrant",
    "hydrant",
    "kick",
    "lab",
    "make_scenario",
    "press_up",
    "prone_flat",
    "prone_press_up",
    "render",
    "sequence",
    "superman",
    "superman_lift",
]


@dataclass(frozen=True)
class QPosture(S.Posture):
    """A posture with a pelvis rotation about the trunk axis (degrees, + = left hip up)."""

    pelvis_rot: float = 0.0


def q(p: S.Posture, **kw) -> QPosture:
    """``p`` as a :class:`QPosture` (then edited with ``with_``)."""
    base = p if isinstance(p, QPosture) else QPosture(**{f.name: getattr(p, f.name) for f in fields(p)})
    return base.with_(**kw) if kw else base


_LOWER = {s: [INDEX[f"{s}_{n}"] for n in ("hip", "knee", "ankle", "heel", "foot_index")]
          for s in ("left", "right")}


def _rotate(points: np.ndarray, origin: np.ndarray, axis: np.ndarray, deg: float) -> np.ndarray:
    """Rodrigues rotation of ``points`` about the line ``origin + s*axis``."""
    k = axis / np.linalg.norm(axis)
    th = math.radians(deg)
    v = points - origin
    return origin + (v * math.cos(th) + np.cross(k, v) * math.sin(th)
                     + np.outer(v @ k, k) * (1 - math.cos(th)))


def lab(p: S.Posture) -> np.ndarray:
    """``synth.landmarks_lab`` plus the pelvis rotation of a :class:`QPosture`."""
    pts = S.landmarks_lab(p)
    rot = getattr(p, "pelvis_rot", 0.0)
    if rot:
        mid_hip = (pts[INDEX["left_hip"]] + pts[INDEX["right_hip"]]) / 2
        mid_sh = (pts[INDEX["left_shoulder"]] + pts[INDEX["right_shoulder"]]) / 2
        axis = mid_sh - mid_hip
        # pick the sense that lifts the left hip for a positive angle
        test = _rotate(pts[[INDEX["left_hip"]]], mid_hip, axis, 10.0)[0]
        sign = 1.0 if test[1] > pts[INDEX["left_hip"], 1] else -1.0
        pts = pts.copy()
        keep = "right" if rot > 0 else "left"  # the support leg (its hip goes down) stays planted
        idx = [i for s in ("left", "right") for i in (_LOWER[s][:1] if s == keep else _LOWER[s])]
        pts[idx] = _rotate(pts[idx], mid_hip, axis, sign * rot)
    return pts


def render(p: S.Posture, camera: S.Camera) -> Pose:
    """``synth.render`` for a :class:`QPosture` (same visibility model)."""
    return S.render(p, camera, to_lab=lab)


def sequence(keyframes: S.Keyframes, fps: float, camera: S.Camera) -> S.Seq:
    """``synth.keyframe_sequence`` (cosine easing) rendered with :func:`render`."""
    return S.keyframe_sequence(keyframes, fps, camera, to_lab=lab)


# --------------------------------------------------------------------------- postures

_QUAD = S.quadruped()
PITCH = _QUAD.trunk_pitch  # ~77 deg: the trunk's pitch (and thigh flexion) on all fours


def all_fours(**kw) -> QPosture:
    """Hands and knees (``synth.quadruped``): thighs and arms vertical, head in line with the trunk."""
    return q(_QUAD, **kw)


def bird_dog_reach(leg: str = "left", leg_ext: float = 5.0, pelvis_rot: float = 0.0) -> QPosture:
    """Bird dog top: ``leg`` straight back, lifted ``leg_ext`` degrees past the trunk line
    (shoulder-hip-knee = 180 + leg_ext), the opposite arm reaching forward."""
    arm = "right" if leg == "left" else "left"
    sg = 1.0 if leg == "left" else -1.0
    return all_fours(**{f"{leg}_hip_flex": -leg_ext, f"{leg}_knee_flex": 0.0, f"{leg}_ankle": -30.0,
                        f"{arm}_shoulder_flex": 180.0}).with_(pelvis_rot=sg * pelvis_rot)


def cat(depth: float = 1.0, sit_back: float = 0.0) -> QPosture:
    """Rounded back: posterior pelvic tilt (lumbar flexion) and the head dropped.  ``sit_back``
    (0-1) rocks the hips back toward the heels (knee bend from 90 to about 40 degrees)."""
    p = all_fours(lumbar_flex=15.0 * depth, hip_flex=PITCH - 15.0 * depth, neck_flex=35.0 * depth)
    if sit_back:
        p = p.with_(knee_flex=90.0 + 50.0 * sit_back, hip_flex=PITCH - 15.0 * depth + 45.0 * sit_back,
                    trunk_pitch=PITCH + 5.0 * sit_back)
    return p


def cow(depth: float = 1.0, sit_back: float = 0.0) -> QPosture:
    """Sagging back: anterior pelvic tilt and the head lifted.  ``sit_back`` (0-1) rocks the
    hips back toward the heels (knee bend from 90 to about 40 degrees)."""
    p = all_fours(lumbar_flex=-15.0 * depth, hip_flex=PITCH + 15.0 * depth, neck_flex=-35.0 * depth)
    if sit_back:
        p = p.with_(knee_flex=90.0 + 50.0 * sit_back, hip_flex=PITCH + 15.0 * depth + 45.0 * sit_back,
                    trunk_pitch=PITCH + 5.0 * sit_back)
    return p


def kick(leg: str = "right", hip_ext: float = 10.0, pelvis_rot: float = 0.0) -> QPosture:
    """Donkey kick top: knee at 90, thigh lifted ``hip_ext`` past the trunk line
    (shoulder-hip-knee = 180 + hip_ext); ``pelvis_rot`` lifts that hip (opening the hips)."""
    sg = 1.0 if leg == "left" else -1.0
    return all_fours(**{f"{leg}_hip_flex": -hip_ext}).with_(pelvis_rot=sg * pelvis_rot)


def hydrant(leg: str = "left", abd: float = 45.0, pelvis_tilt: float = 0.0) -> QPosture:
    """Fire hydrant top: ``leg`` (knee bent, thigh vertical) abducted ``abd`` degrees;
    ``pelvis_tilt`` rotates the lower body so that hip rises (the trunk tipping over)."""
    sg = 1.0 if leg == "left" else -1.0
    return all_fours(**{f"{leg}_hip_abd": abd}).with_(pelvis_rot=sg * pelvis_tilt)


HIP_H = 0.12  # mid-hip height lying face down


def prone_flat(arms_overhead: bool = False) -> QPosture:
    """Face down, legs straight, hands under the shoulders (or arms reaching overhead)."""
    p = S.prone().with_(root=(0.0, HIP_H, 0.0), anchor="mid_hip", ankle=-70.0)
    if arms_overhead:
        return q(p, shoulder_flex=180.0, shoulder_abd=10.0)
    return q(p, shoulder_flex=150.0, elbow_flex=150.0, shoulder_abd=10.0)


def press_up(trunk_deg: float = 40.0, hip_lift: float = 0.0) -> QPosture:
    """Prone press-up: the trunk raised ``trunk_deg`` from horizontal about the hips, which
    stay on the floor; ``hip_lift`` (metres) lifts the hips off it, pivoting on the knees."""
    beta = math.degrees(math.asin(min(0.95, hip_lift / S.THIGH)))  # thigh angle up from the knee
    p = prone_flat().with_(trunk_pitch=90.0 - trunk_deg, hip_flex=-trunk_deg + beta, knee_flex=beta,
                           shoulder_flex=90.0 - trunk_deg + 10.0, elbow_flex=max(0.0, 60.0 - trunk_deg),
                           root=(0.0, HIP_H + hip_lift, 0.0))
    return p


def superman_lift(legs: Sequence[str] = ("left", "right"), leg: float = 25.0, chest: float = 10.0,
                  neck_ext: float = 30.0) -> QPosture:
    """Superman top: chest up ``chest`` deg, the ``legs`` lifted ``leg`` deg from the floor
    (the others stay flat), arms forward (lifted with the opposite leg), the head lifted
    ``neck_ext`` deg relative to the trunk."""
    kw: dict = {"trunk_pitch": 90.0 - chest, "neck_flex": -neck_ext, "hip_flex": -chest}
    for s in legs:
        kw[f"{s}_hip_flex"] = -chest - leg
        other = "right" if s == "left" else "left"
        kw[f"{other}_shoulder_flex"] = 180.0 + chest
    return prone_flat(arms_overhead=True).with_(**kw)


# --------------------------------------------------------------------------- scenarios


def make_scenario(exercise: str, base: S.Posture, peaks: Sequence[S.Posture], faults: Sequence[str | None],
                  *, sides: Sequence[str] | None = None, rep_s: float | Sequence[float] = 3.0,
                  hold_s: float | Sequence[float] = 1.0, rest_s: float = 1.5, start_rest: float = 1.5,
                  camera: S.Camera | None = None, fps: float = 30.0, noise_px: float = 0.0, seed: int = 0,
                  mid_hold: Sequence[S.Posture | None] | None = None, extra: dict | None = None) -> S.Scenario:
    """``base -> peak -> (hold) -> base`` per rep, each rep with its own duration and hold.

    ``mid_hold[i]``, if given, replaces the middle third of rep i's hold (a fault in the hold).
    """
    n = len(peaks)
    rs = [rep_s] * n if isinstance(rep_s, (int, float)) else list(rep_s)
    hs = [hold_s] * n if isinstance(hold_s, (int, float)) else list(hold_s)
    mids = list(mid_hold) if mid_hold is not None else [None] * n
    kf: S.Keyframes = [(0.0, base)]
    windows, peak_windows = [], []
    t = start_rest
    for i in range(n):
        kf.append((t, base))
        start = t
        t += rs[i] / 2
        kf.append((t, peaks[i]))
        p0 = t
        if hs[i] > 0:
            mid = mids[i]
            if mid is not None:
                third = hs[i] / 3
                kf += [(t + third - 0.25, peaks[i]), (t + third, mid), (t + 2 * third, mid),
                       (t + 2 * third + 0.25, peaks[i])]
            t += hs[i]
            kf.append((t, peaks[i]))
        peak_windows.append((round(p0, 6), round(t, 6)))
        t += rs[i] / 2
        kf.append((t, base))
        windows.append((round(start, 6), round(t, 6)))
        t += rest_s
    kf.append((t, base))
    cam = (camera or S.Camera(view="side", facing="left")).fit(np.concatenate([lab(p) for _, p in kf]))
    seq = sequence(kf, fps, cam)
    if noise_px > 0:
        seq = S.add_noise(seq, noise_px, seed)
    truth = {
        "exercise": exercise, "reps": n, "rep_windows": windows, "peak_windows": peak_windows,
        "faults": list(faults), "sides": list(sides) if sides is not None else None,
        "hold_s": hs, "side": cam.facing, "view": cam.view, "duration_s": t, **(extra or {}),
    }
    return S.Scenario(seq, fps, truth, cam, kf)


def _alternate(n: int, first: str = "left") -> list[str]:
    other = "right" if first == "left" else "left"
    return [first if i % 2 == 0 else other for i in range(n)]


def _faults(n: int, fault: str | None, fault_reps: Sequence[int] | None) -> list[str | None]:
    which = set(range(n)) if fault_reps is None else set(fault_reps)
    return [fault if (fault and i in which) else None for i in range(n)]


def bird_dog(n_reps: int = 4, fault: str | None = None, fault_reps: Sequence[int] | None = None,
             sides: Sequence[str] | None = None, near_miss: Sequence[int] = (), rep_s: float = 3.0,
             hold_s: float = 1.5, rotation_deg: float = 60.0, **kw) -> S.Scenario:
    """Alternating bird dogs (left leg first).  Faults: ``leg_too_high`` (leg 35 deg above the
    trunk line), ``hips_rotating`` (the reaching leg's hip rises: pelvis turned ``rotation_deg``
    about the trunk, any size, so a test can sit just either side of the limit), ``too_fast``
    (2 s, no hold).  ``near_miss`` reps only reach the leg 40 deg short of the trunk line (not a rep)."""
    sides = list(sides) if sides is not None else _alternate(n_reps)
    faults = _faults(n_reps, fault, fault_reps)
    peaks, rs, hs = [], [], []
    for i, (s, f) in enumerate(zip(sides, faults)):
        if i in near_miss:
            peaks.append(bird_dog_reach(s, leg_ext=-40.0).with_(**{f"{s}_knee_flex": 20.0}))
        else:
            peaks.append(bird_dog_reach(s, leg_ext=35.0 if f == "leg_too_high" else 5.0,
                                        pelvis_rot=rotation_deg if f == "hips_rotating" else 0.0))
        rs.append(2.0 if f == "too_fast" else rep_s)
        hs.append(0.0 if f == "too_fast" else hold_s)
    return make_scenario("bird_dog", all_fours(), peaks, faults, sides=sides, rep_s=rs, hold_s=hs,
                         extra={"near_miss": list(near_miss)}, **kw)


def cat_cow(n_reps: int = 4, fault: str | None = None, fault_reps: Sequence[int] | None = None,
            near_miss: Sequence[int] = (), rep_s: float = 5.0, **kw) -> S.Scenario:
    """Cat-cow cycles starting and ending in the cow (one rep = cow -> cat -> cow, as the
    exercise counts them: from where the person starts, round up, come back).  Faults:
    ``sitting_back`` (hips rocked back to the heels in the cat), ``too_fast`` (1 s round-up and back).
    ``near_miss`` cycles come up only to a flat back (no cat)."""
    faults = _faults(n_reps, fault, fault_reps)
    peaks, rs = [], []
    for i, f in enumerate(faults):
        if i in near_miss:
            peaks.append(cow(depth=0.0))  # up to a flat back, never rounded
        else:
            peaks.append(cat(sit_back=1.0 if f == "sitting_back" else 0.0))
        rs.append(1.0 if f == "too_fast" else rep_s)
    kw.setdefault("hold_s", 0.5)
    return make_scenario("cat_cow", cow(), peaks, faults, rep_s=rs, extra={"near_miss": list(near_miss)}, **kw)


def donkey_kick(n_reps: int = 5, fault: str | None = None, fault_reps: Sequence[int] | None = None,
                sides: Sequence[str] | None = None, near_miss: Sequence[int] = (), rep_s: float = 2.5,
                hold_s: float = 1.0, **kw) -> S.Scenario:
    """Donkey kicks (right leg unless ``sides``).  Faults: ``back_arch`` (thigh 60 deg past the
    trunk line), ``hips_open`` (pelvis turned 65 deg), ``too_fast`` (1.5 s kick, no pause).
    ``near_miss`` kicks stop with the thigh 25 deg short of the trunk line."""
    sides = list(sides) if sides is not None else ["right"] * n_reps
    faults = _faults(n_reps, fault, fault_reps)
    peaks, rs, hs = [], [], []
    for i, (s, f) in enumerate(zip(sides, faults)):
        if i in near_miss:
            peaks.append(kick(s, hip_ext=-25.0))
        else:
            peaks.append(kick(s, hip_ext=60.0 if f == "back_arch" else 10.0,
                              pelvis_rot=65.0 if f == "hips_open" else 0.0))
        rs.append(1.5 if f == "too_fast" else rep_s)
        hs.append(0.0 if f == "too_fast" else hold_s)
    return make_scenario("donkey_kick", all_fours(), peaks, faults, sides=sides, rep_s=rs, hold_s=hs,
                         extra={"near_miss": list(near_miss)}, **kw)


def fire_hydrant(n_reps: int = 4, fault: str | None = None, fault_reps: Sequence[int] | None = None,
                 sides: Sequence[str] | None = None, near_miss: Sequence[int] = (), rep_s: float = 2.5,
                 hold_s: float = 0.5, camera: S.Camera | None = None, **kw) -> S.Scenario:
    """Fire hydrants seen from the front (alternating, left first).  Faults: ``trunk_rotating``
    (pelvis tipped 40 deg toward the lifted side), ``too_fast`` (1.4 s lift, no pause).
    ``near_miss`` lifts stop at 26 deg of abduction (the peak needs 30)."""
    sides = list(sides) if sides is not None else _alternate(n_reps)
    faults = _faults(n_reps, fault, fault_reps)
    peaks, rs, hs = [], [], []
    for i, (s, f) in enumerate(zip(sides, faults)):
        if i in near_miss:
            peaks.append(hydrant(s, abd=26.0))
        else:
            peaks.append(hydrant(s, abd=45.0, pelvis_tilt=40.0 if f == "trunk_rotating" else 0.0))
        rs.append(1.4 if f == "too_fast" else rep_s)
        hs.append(0.0 if f == "too_fast" else hold_s)
    cam = camera or S.Camera(view="front", facing="left")
    return make_scenario("fire_hydrant", all_fours(), peaks, faults, sides=sides, rep_s=rs, hold_s=hs,
                         camera=cam, extra={"near_miss": list(near_miss)}, **kw)


def prone_press_up(n_reps: int = 3, fault: str | None = None, fault_reps: Sequence[int] | None = None,
                   near_miss: Sequence[int] = (), trunk_deg: float = 40.0, hold_s: float = 5.0,
                   rep_s: float = 3.0, hips_lift_in_hold: bool = False, **kw) -> S.Scenario:
    """Prone press-ups with a hold at the top.  Faults: ``hips_lifting`` (hips 25 cm up for the
    whole top, or with ``hips_lift_in_hold`` only in the middle third of the hold),
    ``too_fast`` (2 s press-up, no hold).  ``near_miss`` press-ups reach only 17 deg."""
    faults = _faults(n_reps, fault, fault_reps)
    peaks, rs, hs, mids = [], [], [], []
    for i, f in enumerate(faults):
        lifted = f == "hips_lifting" and not hips_lift_in_hold
        peaks.append(press_up(17.0 if i in near_miss else trunk_deg, hip_lift=0.25 if lifted else 0.0))
        mids.append(press_up(trunk_deg, hip_lift=0.25) if f == "hips_lifting" and hips_lift_in_hold else None)
        rs.append(2.0 if f == "too_fast" else rep_s)
        hs.append(0.0 if f == "too_fast" else hold_s)
    return make_scenario("prone_press_up", prone_flat(), peaks, faults, rep_s=rs, hold_s=hs, mid_hold=mids,
                         extra={"near_miss": list(near_miss)}, **kw)


def superman(n_reps: int = 4, fault: str | None = None, fault_reps: Sequence[int] | None = None,
             legs: Sequence[Sequence[str]] | None = None, near_miss: Sequence[int] = (),
             rep_s: float = 2.5, hold_s: float = 1.5, **kw) -> S.Scenario:
    """Supermans / swimmers.  ``legs[i]`` are the legs lifted in rep i (default: alternating
    single legs, a swimmer).  Faults: ``too_high`` (chest 25 and legs 45 deg up),
    ``neck_cranked`` (head tipped back 85 deg), ``too_fast`` (1.5 s, no hold).
    ``near_miss`` lifts raise the leg only 10 deg."""
    legs = [list(x) for x in legs] if legs is not None else [[s] for s in _alternate(n_reps)]
    faults = _faults(n_reps, fault, fault_reps)
    peaks, rs, hs = [], [], []
    for i, (lg, f) in enumerate(zip(legs, faults)):
        if i in near_miss:
            peaks.append(superman_lift(lg, leg=10.0, chest=3.0))
        elif f == "too_high":
            peaks.append(superman_lift(lg, leg=45.0, chest=25.0))
        else:
            peaks.append(superman_lift(lg, neck_ext=85.0 if f == "neck_cranked" else 30.0))
        rs.append(1.5 if f == "too_fast" else rep_s)
        hs.append(0.0 if f == "too_fast" else hold_s)
    sides = [lg[0] if len(lg) == 1 else "both" for lg in legs]
    return make_scenario("superman", prone_flat(arms_overhead=True), peaks, faults, sides=sides, rep_s=rs,
                         hold_s=hs, extra={"legs": legs, "near_miss": list(near_miss)}, **kw)
