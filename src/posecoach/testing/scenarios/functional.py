"""Synthetic scenarios for the plank, side plank, side-lying leg raise, clamshell,
sit-to-stand (from sitting or from standing), lunge, standing leg raise and lift from the floor
(``posecoach.testing.synth`` postures and cameras).

Each builder returns a :class:`posecoach.testing.synth.Scenario` whose ``truth`` has the reps
(or holds), their windows, the injected fault per rep and, for holds, the seconds
that should be timed (``hold_truth_s``: the time in position with good form).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from posecoach.testing import synth as S
from posecoach.core.landmarks import INDEX
from posecoach.testing.synth import Camera, Keyframes, Posture, Scenario

__all__ = [
    "clam_open",
    "clamshell",
    "forearm_plank",
    "kneeling_plank",
    "leg_raise_peak",
    "lift_from_floor",
    "lift_posture",
    "lunge",
    "lunge_posture",
    "plank_hold",
    "side_lying_flat",
    "side_lying_leg_raise",
    "side_plank_hold",
    "side_plank_posture",
    "sit_to_stand",
    "sphinx",
    "stand_to_sit",
    "standing_leg_raise",
    "standing_leg_raise_peak",
]


def _scen(exercise: str, kf: Keyframes, camera: Camera, fps: float, noise_px: float, seed: int,
          truth: dict) -> Scenario:
    cam = camera.fit(np.concatenate([S.landmarks_lab(p) for _, p in kf]))
    seq = S.keyframe_sequence(kf, fps, cam)
    if noise_px > 0:
        seq = S.add_noise(seq, noise_px, seed)
    return Scenario(seq, fps, {"exercise": exercise, "duration_s": kf[-1][0], **truth}, cam, kf)


def _reps_scen(exercise: str, base: Posture, peaks: list[Posture], faults: list[str | None], camera: Camera,
               fps: float, rep_s: float, hold_s: float, rest_s: float, start_rest: float, noise_px: float,
               seed: int, extra: dict | None = None) -> Scenario:
    kf, windows = S.reps(base, peaks, len(peaks), rep_s, hold_s, rest_s, start_rest)
    return _scen(exercise, kf, camera, fps, noise_px, seed,
                 {"reps": len(peaks), "rep_windows": windows, "faults": faults, "side": camera.facing,
                  "view": camera.view, **(extra or {})})


def _faults(n: int, fault: str | None, fault_reps: Sequence[int] | None) -> list[str | None]:
    which = set(range(n)) if fault_reps is None else set(fault_reps)
    return [fault if (fault and i in which) else None for i in range(n)]


# --------------------------------------------------------------------------- plank


def forearm_plank(hip_deg: float = 0.0) -> Posture:
    """Forearm plank: upper arms vertical, forearms on the floor, on the toes.

    ``hip_deg`` is hip flexion: + piked hips (the shoulder-hip-knee angle opens above
    180 on the top side), - sagging hips.  Elbows and toes stay on the floor."""
    def make(p: float) -> Posture:
        return Posture(trunk_pitch=p, root=(0.0, 0.02, 0.0), anchor="floor").with_(
            shoulder_flex=p, elbow_flex=90.0, hip_flex=hip_deg, ankle=0.0)
    return S._level(make, "left_elbow", "left_foot_index", 45.0, 100.0)


def sphinx() -> Posture:
    """Lying face down propped on the forearms (chest up, hips and legs on the floor): not a plank."""
    p = 65.0
    return Posture(trunk_pitch=p, root=(0.0, 0.02, 0.0), anchor="floor").with_(
        shoulder_flex=p, elbow_flex=90.0, hip_flex=p - 90.0, ankle=-70.0)


def kneeling_plank() -> Posture:
    """Plank on the forearms and knees (the easier version), shins on the floor."""
    def make(p: float) -> Posture:
        return Posture(trunk_pitch=p, root=(0.0, 0.02, 0.0), anchor="floor").with_(
            shoulder_flex=p, elbow_flex=90.0, knee_flex=90.0, ankle=-60.0)
    return S._level(make, "left_elbow", "left_knee", 45.0, 100.0)


def plank_hold(hold_s: float = 10.0, fault: str | None = None, fault_window: tuple[float, float] | None = None,
               fault_deg: float = 25.0, start: str = "prone", kneeling: bool = False, view: str = "side",
               facing: str = "left", fps: float = 30.0, lead_s: float = 2.0, move_s: float = 0.6,
               tail_s: float = 2.0, noise_px: float = 0.0, seed: int = 0, camera: Camera | None = None) -> Scenario:
    """Rest (``prone`` or ``sphinx``) -> forearm plank held ``hold_s`` -> rest.

    ``fault`` "hips_sag"/"hips_piked" bends the hips by ``fault_deg`` during
    ``fault_window`` (seconds from the start of the hold; 0.5 s in and out).
    ``kneeling`` holds a kneeling plank instead (not timed as a plank).
    Truth ``hold_truth_s``: the seconds in the plank with good form, from the middle of
    the move up to the middle of the move down; ``fault_s``: the length of the fault
    window (the timer pauses for part of it: the bend ramps in and the rule waits)."""
    rest = sphinx() if start == "sphinx" else S.prone()
    top = kneeling_plank() if kneeling else forearm_plank()
    t0 = lead_s + move_s
    kf: Keyframes = [(0.0, rest), (lead_s, rest), (t0, top)]
    bad = 0.0
    if fault and fault_window:
        a, b = fault_window
        bent = forearm_plank(-fault_deg if fault == "hips_sag" else fault_deg)
        kf += [(t0 + a, top), (t0 + a + 0.5, bent), (t0 + b - 0.5, bent), (t0 + b, top)]
        bad = b - a
    kf += [(t0 + hold_s, top), (t0 + hold_s + move_s, rest), (t0 + hold_s + move_s + tail_s, rest)]
    cam = camera or Camera(view=view, facing=facing)
    # the hold is timed from the middle of the move up to the middle of the move down
    truth = {"reps": 0 if kneeling else 1, "hold_window": (t0, t0 + hold_s), "fault": fault,
             "hold_truth_s": 0.0 if kneeling else hold_s + move_s / 2 - bad, "fault_s": bad}
    return _scen("plank", kf, cam, fps, noise_px, seed, truth)


# --------------------------------------------------------------------------- side plank


def side_plank_posture(hip_drop: float = 0.0, down: str = "left") -> Posture:
    """Side plank on the ``down`` forearm and the sides of the feet, front toward +x (a
    ``front`` camera sees the person's front).  ``hip_drop`` (0-1) lowers the hips
    toward the floor (the legs fold 30 deg per unit toward the floor at the hips)."""
    sg = 1.0 if down == "left" else -1.0
    d = down
    u = "right" if down == "left" else "left"

    def make(r: float) -> Posture:
        # r = roll; the legs fold toward the floor (hip adduction of the top leg, abduction
        # of the bottom one) by hip_drop * (90 - r) so the hips sink while the feet stay down.
        leg = -hip_drop * 30.0
        return Posture(trunk_roll=sg * r, root=(0.0, 0.02, 0.0), anchor="floor").with_(**{
            f"{d}_shoulder_abd": r, f"{d}_elbow_flex": 90.0, f"{u}_shoulder_abd": 10.0,
            f"{d}_hip_abd": leg, f"{u}_hip_abd": -leg})
    return S._level(make, f"{d}_elbow", f"{d}_ankle", 30.0, 89.9)


def side_lying_flat(down: str = "left") -> Posture:
    """Lying on the ``down`` side, legs straight, the lower arm stretched overhead on the floor."""
    sg = 1.0 if down == "left" else -1.0
    u = "right" if down == "left" else "left"
    return Posture(trunk_roll=sg * 90.0, root=(0.0, 0.02, 0.0), anchor="floor").with_(**{
        f"{down}_shoulder_abd": 170.0, f"{u}_shoulder_abd": 10.0})


def side_plank_hold(hold_s: float = 10.0, fault: str | None = None,
                    fault_window: tuple[float, float] | None = None, drop: float = 0.6, down: str = "left",
                    fps: float = 30.0, lead_s: float = 2.0, move_s: float = 0.6, tail_s: float = 2.0,
                    noise_px: float = 0.0, seed: int = 0, camera: Camera | None = None) -> Scenario:
    """Side lying -> side plank held ``hold_s`` -> side lying, filmed from the front.
    ``fault`` "hips_drop" lowers the hips by ``drop`` during ``fault_window``."""
    rest, top = side_lying_flat(down), side_plank_posture(0.0, down)
    t0 = lead_s + move_s
    kf: Keyframes = [(0.0, rest), (lead_s, rest), (t0, top)]
    bad = 0.0
    if fault and fault_window:
        a, b = fault_window
        low = side_plank_posture(drop, down)
        kf += [(t0 + a, top), (t0 + a + 0.5, low), (t0 + b - 0.5, low), (t0 + b, top)]
        bad = b - a
    kf += [(t0 + hold_s, top), (t0 + hold_s + move_s, rest), (t0 + hold_s + move_s + tail_s, rest)]
    cam = camera or Camera(view="front", facing="left")
    truth = {"reps": 1, "hold_window": (t0, t0 + hold_s), "fault": fault, "hold_truth_s": hold_s + move_s / 2 - bad,
             "fault_s": bad, "side": down}
    return _scen("side_plank", kf, cam, fps, noise_px, seed, truth)


# --------------------------------------------------------------------------- side-lying leg raise


def leg_raise_peak(down: str = "left", abd: float = 35.0, flex: float = 0.0) -> Posture:
    """Side lying (legs straight), the top leg abducted ``abd`` (and flexed ``flex``: drifting forward)."""
    top = "right" if down == "left" else "left"
    return S.side_lying(down, hip_flex=0.0, knee_flex=0.0).with_(**{f"{top}_hip_abd": abd, f"{top}_hip_flex": flex})


def side_lying_leg_raise(n_reps: int = 5, fault: str | None = None, fault_reps: Sequence[int] | None = None,
                         down: str = "left", abd: float = 35.0, fps: float = 30.0, rep_s: float = 2.5,
                         hold_s: float = 0.5, rest_s: float = 1.0, start_rest: float = 1.0,
                         noise_px: float = 0.0, seed: int = 0, camera: Camera | None = None) -> Scenario:
    """Top-leg raises lying on the ``down`` side, filmed from in front (the camera sees the
    person's front).  Faults: "leg_forward" (the leg swings 60 deg forward, 25 deg up),
    "too_high" (abducted 75 deg), "too_fast" (rep in 1.0 s), "short" (lifted only 10 deg: a near miss)."""
    faults = _faults(n_reps, fault, fault_reps)
    peaks = []
    for f in faults:
        a = {"too_high": 75.0, "short": 10.0}.get(f or "", abd)
        if f == "leg_forward":
            a = 25.0
        peaks.append(leg_raise_peak(down, a, 60.0 if f == "leg_forward" else 0.0))
    base = S.side_lying(down, hip_flex=0.0, knee_flex=0.0)
    cam = camera or Camera(view="side", facing="left" if down == "left" else "right")
    if fault == "too_fast":
        kf: Keyframes = [(0.0, base)]
        windows = []
        t = start_rest
        for i, f in enumerate(faults):
            r = 1.0 if f == "too_fast" else rep_s
            kf += [(t, base), (t + r / 2, peaks[i]), (t + r / 2 + (0.1 if f else hold_s), peaks[i])]
            end = t + r + (0.1 if f else hold_s)
            kf.append((end, base))
            windows.append((round(t, 6), round(end, 6)))
            t = end + rest_s
        kf.append((t, base))
        top = "right" if down == "left" else "left"
        return _scen("side_lying_leg_raise", kf, cam, fps, noise_px, seed,
                     {"reps": n_reps, "rep_windows": windows, "faults": faults, "side": top})
    sc = _reps_scen("side_lying_leg_raise", base, peaks, faults, cam, fps, rep_s, hold_s, rest_s, start_rest,
                    noise_px, seed)
    sc.truth["side"] = "right" if down == "left" else "left"
    sc.truth["reps"] = sum(f != "short" for f in faults)
    return sc


# --------------------------------------------------------------------------- clamshell


def _ankle_gap(p: Posture) -> float:
    L = S.landmarks_lab(p)
    return float(np.linalg.norm(L[INDEX["left_ankle"]] - L[INDEX["right_ankle"]]))


def clam_open(down: str = "left", open_deg: float = 40.0, feet_apart: bool = False) -> Posture:
    """Clamshell: side lying, hips 45 and knees 90 deg bent; the top knee opens by
    ``open_deg`` (hip abduction with the external rotation that keeps the feet together,
    unless ``feet_apart``)."""
    top = "right" if down == "left" else "left"
    base = S.side_lying(down)
    p = base.with_(**{f"{top}_hip_abd": open_deg})
    if feet_apart or open_deg == 0:
        return p
    best = min(np.arange(-90.0, 90.5, 0.5), key=lambda r: _ankle_gap(p.with_(**{f"{top}_hip_rot": float(r)})))
    return p.with_(**{f"{top}_hip_rot": float(best)})


def clamshell(n_reps: int = 5, fault: str | None = None, fault_reps: Sequence[int] | None = None,
              down: str = "left", open_deg: float = 40.0, fps: float = 30.0, rep_s: float = 2.5,
              hold_s: float = 0.5, rest_s: float = 1.0, start_rest: float = 1.0, noise_px: float = 0.0,
              seed: int = 0, camera: Camera | None = None) -> Scenario:
    """Clamshells lying on the ``down`` side, filmed from in front.  Faults: "feet_apart"
    (the top foot lifts with the knee), "roll_back" (the pelvis and trunk roll back 30 deg
    at the top), "too_fast" (1.0 s reps), "short" (opens only 10 deg: a near miss)."""
    faults = _faults(n_reps, fault, fault_reps)
    sg = 1.0 if down == "left" else -1.0
    base = S.side_lying(down)
    peaks = []
    for f in faults:
        p = clam_open(down, 10.0 if f == "short" else open_deg, feet_apart=(f == "feet_apart"))
        if f == "roll_back":
            # the knee opens further by rolling the whole body back 30 deg
            p = clam_open(down, open_deg + 10.0).with_(trunk_roll=sg * 60.0)
        peaks.append(p)
    cam = camera or Camera(view="side", facing="left" if down == "left" else "right")
    r = 1.0 if fault == "too_fast" else rep_s
    h = 0.0 if fault == "too_fast" else hold_s
    sc = _reps_scen("clamshell", base, peaks, faults, cam, fps, r, h, rest_s, start_rest, noise_px, seed)
    sc.truth["side"] = "right" if down == "left" else "left"
    sc.truth["reps"] = sum(f != "short" for f in faults)
    return sc


# --------------------------------------------------------------------------- sit to stand


def _hands_on_knees(p: Posture) -> Posture:
    """Arms placed so the wrists rest on the knees (grid search on shoulder flexion/elbow)."""
    best, err = p, math.inf
    for sf in range(0, 120, 4):
        for ef in range(0, 130, 5):
            q = p.with_(shoulder_flex=float(sf), elbow_flex=float(ef), shoulder_abd=8.0)
            L = S.landmarks_lab(q)
            e = float(np.linalg.norm(L[INDEX["left_wrist"]] - L[INDEX["left_knee"]]))
            if e < err:
                best, err = q, e
    return best


def sit_to_stand(n_reps: int = 4, fault: str | None = None, fault_reps: Sequence[int] | None = None,
                 view: str = "side", facing: str = "left", fps: float = 30.0, up_s: float = 1.5,
                 stand_s: float = 1.0, down_s: float = 1.8, rest_s: float = 1.5, start_rest: float = 1.0,
                 noise_px: float = 0.0, seed: int = 0, camera: Camera | None = None) -> Scenario:
    """Chair -> standing -> chair.  The rise passes a mid-rise posture (knee 60 deg bent,
    trunk 35 deg forward).  Faults: "hands_push" (hands on the knees until half-way up),
    "trunk_forward" (trunk 75 deg forward mid-rise), "knees_cave" (12 deg valgus mid-rise,
    visible from the front), "sit_fast" (drops into the chair in 0.35 s), "half_rise"
    (only to the mid-rise posture and back: a near miss), "weight_shift" (the trunk tilted 20 deg
    to the person's left mid-rise, seen from the front)."""
    faults = _faults(n_reps, fault, fault_reps)
    seat = S.sitting()
    stand = S.standing()
    kf: Keyframes = [(0.0, seat)]
    windows = []
    t = start_rest
    for f in faults:
        mid = S.squat_posture(60.0, 75.0 if f == "trunk_forward" else 35.0,
                              valgus_deg=12.0 if f == "knees_cave" else 0.0, arms_flex=0.0)
        if f == "weight_shift":
            mid = mid.with_(trunk_roll=20.0)
        if f == "hands_push":
            mid = _hands_on_knees(mid)
            kf.append((t, _hands_on_knees(seat)))
        else:
            kf.append((t, seat))
        start = t
        kf.append((t + up_s / 2, mid))
        if f == "half_rise":
            kf.append((t + up_s, seat))
            t += up_s
        else:
            kf.append((t + up_s, stand))
            kf.append((t + up_s + stand_s, stand))
            d = 0.35 if f == "sit_fast" else down_s
            kf.append((t + up_s + stand_s + d, seat))
            t += up_s + stand_s + d
        windows.append((round(start, 6), round(t, 6)))
        t += rest_s
    kf.append((t, seat))
    cam = camera or Camera(view=view, facing=facing)
    counted = [w for w, f in zip(windows, faults) if f != "half_rise"]
    return _scen("sit_to_stand", kf, cam, fps, noise_px, seed,
                 {"reps": len(counted), "rep_windows": counted, "faults": faults, "side": facing, "view": view})


# --------------------------------------------------------------------------- lunge


def lunge_posture(depth: float = 1.0, back: str = "left", trunk_deg: float = 5.0) -> Posture:
    """Reverse lunge bottom: the ``back`` leg stepped back, both knees bent about 90 deg
    at ``depth`` 1 (scaled down for a shallower lunge), trunk ``trunk_deg`` forward."""
    front = "right" if back == "left" else "left"
    k = 90.0 * depth
    return S.standing().with_(**{
        "trunk_pitch": trunk_deg,
        f"{front}_hip_flex": k + trunk_deg, f"{front}_knee_flex": k, f"{front}_ankle": 0.0,
        f"{back}_hip_flex": -0.2 * k + trunk_deg, f"{back}_knee_flex": k, f"{back}_ankle": -0.4 * k,
        "root": (0.0, 0.0, 0.0), "anchor": "floor"})


def lunge(n_reps: int = 3, fault: str | None = None, fault_reps: Sequence[int] | None = None,
          back: str | Sequence[str] = "left", view: str = "side", facing: str = "left", fps: float = 30.0,
          rep_s: float = 2.2, hold_s: float = 0.3, rest_s: float = 1.0, start_rest: float = 1.0,
          noise_px: float = 0.0, seed: int = 0, camera: Camera | None = None) -> Scenario:
    """Reverse lunges (``back`` leg per rep, or one for all).  Faults: "trunk_forward"
    (trunk 40 deg forward at the bottom), "shallow" (knees bent only 60 deg), "half"
    (knees bent 45 deg: a near miss that must not count)."""
    faults = _faults(n_reps, fault, fault_reps)
    backs = [back] * n_reps if isinstance(back, str) else list(back)
    peaks = []
    for f, b in zip(faults, backs):
        depth = {"shallow": 60.0 / 90.0, "half": 45.0 / 90.0}.get(f or "", 1.0)
        peaks.append(lunge_posture(depth, b, 40.0 if f == "trunk_forward" else 5.0))
    base = S.standing().with_(root=(0.0, 0.0, 0.0), anchor="floor")
    cam = camera or Camera(view=view, facing=facing)
    sc = _reps_scen("lunge", base, peaks, faults, cam, fps, rep_s, hold_s, rest_s, start_rest, noise_px, seed)
    sc.truth["reps"] = sum(f != "half" for f in faults)
    sc.truth["rep_windows"] = [w for w, f in zip(sc.truth["rep_windows"], faults) if f != "half"]
    sc.truth["backs"] = backs
    return sc


def stand_to_sit(n_reps: int = 4, view: str = "side", facing: str = "left", fps: float = 30.0,
                 down_s: float = 1.8, sit_s: float = 1.0, up_s: float = 1.5, rest_s: float = 1.5,
                 start_rest: float = 1.0, noise_px: float = 0.0, seed: int = 0,
                 camera: Camera | None = None) -> Scenario:
    """Sit-to-stand cycles started from standing, as UI-PRMD's files are cut: standing ->
    chair -> standing, through the same mid-rise posture as ``sit_to_stand``.  Truth windows
    run from leaving standing to standing again."""
    seat, stand = S.sitting(), S.standing()
    mid = S.squat_posture(60.0, 35.0, arms_flex=0.0)
    kf: Keyframes = [(0.0, stand)]
    windows = []
    t = start_rest
    for _ in range(n_reps):
        kf.append((t, stand))
        start = t
        kf += [(t + down_s / 2, mid), (t + down_s, seat), (t + down_s + sit_s, seat),
               (t + down_s + sit_s + up_s / 2, mid), (t + down_s + sit_s + up_s, stand)]
        t += down_s + sit_s + up_s
        windows.append((round(start, 6), round(t, 6)))
        t += rest_s
    kf.append((t, stand))
    cam = camera or Camera(view=view, facing=facing)
    return _scen("sit_to_stand", kf, cam, fps, noise_px, seed,
                 {"reps": n_reps, "rep_windows": windows, "faults": [None] * n_reps, "side": facing,
                  "view": view})


# --------------------------------------------------------------------------- standing leg raise


def standing_leg_raise_peak(leg: str = "left", lift_deg: float = 50.0, knee_deg: float = 0.0,
                            trunk_deg: float = 0.0) -> Posture:
    """Standing on one leg, the other (``leg``) lifted forward ``lift_deg`` at the hip, its
    knee bent ``knee_deg`` (0 = straight), the trunk ``trunk_deg`` from vertical (negative = back)."""
    return S.standing().with_(**{f"{leg}_hip_flex": lift_deg, f"{leg}_knee_flex": knee_deg,
                                 "trunk_pitch": trunk_deg, "root": (0.0, 0.0, 0.0), "anchor": "floor"})


def standing_leg_raise(n_reps: int = 4, fault: str | None = None, fault_reps: Sequence[int] | None = None,
                       leg: str | Sequence[str] = "left", lift_deg: float = 50.0, view: str = "side",
                       facing: str = "left", fps: float = 30.0, rep_s: float = 1.6, hold_s: float = 0.3,
                       rest_s: float = 1.0, start_rest: float = 1.0, noise_px: float = 0.0, seed: int = 0,
                       camera: Camera | None = None) -> Scenario:
    """Standing straight leg raises (UI-PRMD m06): ``leg`` per rep, or one for all.  Faults:
    "knee_bent" (knee bent 40 deg at the top, the hip 20 deg higher so the foot still rises as far),
    "trunk_lean" (trunk 35 deg back at the top), "standing_knee_bent" (the standing knee bent 35 deg
    at the top), "low_lift" (lifted 25 deg less than ``lift_deg``: still a rep when ``lift_deg`` is
    70 or so, lower than the person's own lifts),
    "half" (lifted 12 deg only: a near miss that must not count).  Truth "legs": the lifted leg per rep."""
    faults = _faults(n_reps, fault, fault_reps)
    legs = [leg] * n_reps if isinstance(leg, str) else list(leg)
    lifts = {"half": 12.0, "knee_bent": lift_deg + 20.0, "low_lift": lift_deg - 25.0}
    peaks = [standing_leg_raise_peak(g, lifts.get(f or "", lift_deg), 40.0 if f == "knee_bent" else 0.0,
                                     -35.0 if f == "trunk_lean" else 0.0).with_(
        **{f"{'right' if g == 'left' else 'left'}_knee_flex": 35.0 if f == "standing_knee_bent" else 0.0})
        for f, g in zip(faults, legs)]
    base = S.standing().with_(root=(0.0, 0.0, 0.0), anchor="floor")
    cam = camera or Camera(view=view, facing=facing)
    sc = _reps_scen("standing_leg_raise", base, peaks, faults, cam, fps, rep_s, hold_s, rest_s, start_rest,
                    noise_px, seed, {"legs": legs})
    sc.truth["reps"] = sum(f != "half" for f in faults)
    sc.truth["rep_windows"] = [w for w, f in zip(sc.truth["rep_windows"], faults) if f != "half"]
    return sc


# --------------------------------------------------------------------------- lift from the floor


def lift_posture(stoop: bool = False, knee_deg: float = 100.0) -> Posture:
    """The bottom of a lift from the floor, hands hanging down to the object.

    Good (``stoop`` False): a squat-style hip hinge, knees bent ``knee_deg``, the trunk 40 deg
    forward with a straight back.  Stooped: knees nearly straight (5 deg), the legs vertical and
    the trunk folded 80 deg forward from the hips."""
    if stoop:
        trunk = 80.0
        return S.standing().with_(trunk_pitch=trunk, hip_flex=trunk, knee_flex=5.0, shoulder_flex=trunk,
                                  root=(0.0, 0.0, 0.0), anchor="floor")
    trunk = 40.0
    return S.squat_posture(knee_deg, trunk, arms_flex=trunk).with_(root=(0.0, 0.0, 0.0), anchor="floor")


def lift_from_floor(n_reps: int = 4, fault: str | None = None, fault_reps: Sequence[int] | None = None,
                    view: str = "side", facing: str = "left", fps: float = 30.0, rep_s: float = 2.4,
                    hold_s: float = 0.4, rest_s: float = 1.2, start_rest: float = 1.0, noise_px: float = 0.0,
                    seed: int = 0, camera: Camera | None = None) -> Scenario:
    """Lifts from the floor: standing -> bottom (hands at the object) -> standing.  Faults:
    "stoop" (knees nearly straight, trunk folded 80 deg: bending over from the back),
    "half" (the trunk bent 40 deg forward only: a near miss that must not count)."""
    faults = _faults(n_reps, fault, fault_reps)
    base = S.standing().with_(root=(0.0, 0.0, 0.0), anchor="floor")
    peaks = [S.standing().with_(trunk_pitch=40.0, hip_flex=40.0, root=(0.0, 0.0, 0.0), anchor="floor")
             if f == "half" else lift_posture(stoop=f == "stoop") for f in faults]
    cam = camera or Camera(view=view, facing=facing)
    sc = _reps_scen("lift_from_floor", base, peaks, faults, cam, fps, rep_s, hold_s, rest_s, start_rest,
                    noise_px, seed)
    sc.truth["reps"] = sum(f != "half" for f in faults)
    sc.truth["rep_windows"] = [w for w, f in zip(sc.truth["rep_windows"], faults) if f != "half"]
    return sc
