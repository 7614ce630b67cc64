"""Synthetic BlazePose landmark sequences with known ground truth (pure numpy).

Tests never use real footage: they build sequences here (known rep counts, holds,
injected faults) and perturb them (noise, dropped frames, occlusion, camera cuts).

Conventions
-----------
* **Lab frame** (metres): X = the person's forward direction at yaw 0, Y = up
  (floor is y = 0), Z = the person's own left at yaw 0 (a left-handed frame: only the
  camera's cross products care).
* **Angles** are degrees. The all-zero :class:`Posture` is standing upright,
  arms hanging, feet flat, heels on the floor.
* Trunk: ``trunk_pitch`` is the inclination of the trunk (lumbar pivot -> neck) from
  vertical, + leaning forward; +90 = prone/face down, -90 = supine/face up.
  ``trunk_roll`` + tilts toward the person's left (+90 = lying on the left side).
  ``trunk_yaw`` + turns the front from +X toward +Z (turning to their left).
  Rotation order: yaw(lab vertical) . pitch . roll.
* ``lumbar_flex`` + = lumbar flexion = posterior pelvic tilt relative to the trunk
  (pelvis rotates about a pivot ``LUMBAR_PIVOT`` m above the hip centre).
* Per side (:class:`Side`), all relative to the parent segment: ``hip_flex`` (+ thigh
  forward), ``hip_abd`` (+ away from midline), ``hip_rot`` (+ internal rotation),
  ``knee_flex`` (0 straight, + shank folds back), ``ankle`` (+ dorsiflexion, 0 = foot at
  90 deg to the shank), ``shoulder_flex`` (0 hanging, 90 forward, 180 overhead),
  ``shoulder_abd``, ``elbow_flex`` (0 straight).  Order at hip/shoulder: flexion, then
  abduction in the flexed frame (so abduction = sideways component), then rotation.  So the 2D hip-knee-ankle angle in a
  pure sagittal view is ``180 - knee_flex``.
* ``anchor`` says which point is put at ``root``: ``"mid_hip"``, ``"mid_heel"``,
  ``"mid_shoulder"`` or ``"floor"`` (mid-hip at root's x/z, lowest landmark at root's y).
* **Camera**: ``view="side", facing="left"`` = the person's left side is toward the
  camera (MediaPipe "left" = person's own left), so they face image-LEFT (facing="right":
  image-right); ``view="front"`` shows their left on image-right (``mirror`` flips x,
  like a selfie preview).  Pixels x right, y down.
  ``Pose.world`` is MediaPipe-like: origin mid-hip, x image-right, y down, z away from
  the camera.
* A **sequence** is ``list[tuple[t_seconds, Pose | None]]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Self
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from posecoach.core.landmarks import INDEX, LANDMARK_NAMES, N_LANDMARKS
from posecoach.core.types import Pose

__all__ = [
    "Camera",
    "Keyframes",
    "Posture",
    "Scenario",
    "Seq",
    "Side",
    "add_noise",
    "blend",
    "cut",
    "dither",
    "dither_param",
    "drop_frames",
    "glute_bridge",
    "hide",
    "hook_lying",
    "keyframe_sequence",
    "landmarks_lab",
    "load_jsonl",
    "mirror",
    "occlude",
    "pelvic_tilt",
    "plank",
    "prone",
    "quadruped",
    "render",
    "reps",
    "save_jsonl",
    "second_person",
    "side_lying",
    "signed_shk",
    "sitting",
    "squat",
    "squat_posture",
    "standing",
    "supine",
]

THIGH, SHANK, TRUNK = 0.45, 0.43, 0.52
UPPER_ARM, FOREARM = 0.30, 0.27
HIP_W, SHOULDER_W = 0.26, 0.36
LUMBAR_PIVOT = 0.15
HEEL_OFS = (-0.05, -0.05)  # in the foot frame (forward, up)
TOE_OFS = (0.15, -0.05)
HEEL_H = 0.03  # heel landmark height when standing
LYING_H = 0.08  # joint-centre height of shoulders/hips/ankles lying on the floor

Seq = list[tuple[float, "Pose | None"]]
Keyframes = list[tuple[float, "Posture"]]


def _rx(d: float) -> np.ndarray:
    c, s = math.cos(math.radians(d)), math.sin(math.radians(d))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _ry(d: float) -> np.ndarray:
    c, s = math.cos(math.radians(d)), math.sin(math.radians(d))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(d: float) -> np.ndarray:
    c, s = math.cos(math.radians(d)), math.sin(math.radians(d))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _wrap(d: float) -> float:
    return (d + 180.0) % 360.0 - 180.0


# --------------------------------------------------------------------------- postures


@dataclass(frozen=True)
class Side:
    """Joint angles of one side (degrees, see module conventions)."""

    hip_flex: float = 0.0
    hip_abd: float = 0.0
    hip_rot: float = 0.0
    knee_flex: float = 0.0
    ankle: float = 0.0
    shoulder_flex: float = 0.0
    shoulder_abd: float = 0.0
    elbow_flex: float = 0.0


_SIDE_FIELDS = {f.name for f in fields(Side)}


@dataclass(frozen=True)
class Posture:
    """A whole-body posture; ``with_`` edits it ("knee_flex" = both sides, "left_knee_flex" = one)."""

    trunk_pitch: float = 0.0
    trunk_roll: float = 0.0
    trunk_yaw: float = 0.0
    lumbar_flex: float = 0.0
    neck_flex: float = 0.0
    left: Side = field(default_factory=Side)
    right: Side = field(default_factory=Side)
    root: tuple[float, float, float] = (0.0, HEEL_H, 0.0)
    anchor: str = "mid_heel"

    def with_(self, **kw: Any) -> Self:
        top: dict[str, Any] = {}
        sides: dict[str, dict[str, float]] = {"left": {}, "right": {}}
        for k, v in kw.items():
            if k in _SIDE_FIELDS:
                sides["left"][k] = sides["right"][k] = v
            elif k.startswith(("left_", "right_")) and k.split("_", 1)[1] in _SIDE_FIELDS:
                s, name = k.split("_", 1)
                sides[s][name] = v
            else:
                top[k] = v
        return replace(self, left=replace(self.left, **sides["left"]),
                       right=replace(self.right, **sides["right"]), **top)

    def get(self, name: str) -> Any:
        if name in _SIDE_FIELDS:
            return getattr(self.left, name)
        if name.startswith(("left_", "right_")) and name.split("_", 1)[1] in _SIDE_FIELDS:
            s, n = name.split("_", 1)
            return getattr(getattr(self, s), n)
        return getattr(self, name)


def landmarks_lab(p: Posture) -> np.ndarray:
    """Forward kinematics: the 33 landmarks of ``p`` in lab metres, shape (33, 3)."""
    T = _ry(-p.trunk_yaw) @ _rz(-p.trunk_pitch) @ _rx(p.trunk_roll)
    pel = T @ _rz(p.lumbar_flex)
    out = np.zeros((N_LANDMARKS, 3))
    lumbar = pel @ np.array([0.0, LUMBAR_PIVOT, 0.0])  # hip centre at the origin for now
    neck = lumbar + T @ np.array([0.0, TRUNK - LUMBAR_PIVOT, 0.0])
    for name, s, sg in (("left", p.left, 1.0), ("right", p.right, -1.0)):
        hip = pel @ np.array([0.0, 0.0, sg * HIP_W / 2])
        thigh = pel @ _rz(s.hip_flex) @ _rx(-sg * s.hip_abd) @ _ry(sg * s.hip_rot)
        knee = hip + thigh @ np.array([0.0, -THIGH, 0.0])
        shank = thigh @ _rz(-s.knee_flex)
        ankle = knee + shank @ np.array([0.0, -SHANK, 0.0])
        foot = shank @ _rz(s.ankle)
        sh = neck + T @ np.array([0.0, 0.0, sg * SHOULDER_W / 2])
        upper = T @ _rz(s.shoulder_flex) @ _rx(-sg * s.shoulder_abd)
        elbow = sh + upper @ np.array([0.0, -UPPER_ARM, 0.0])
        fore = upper @ _rz(s.elbow_flex)
        wrist = elbow + fore @ np.array([0.0, -FOREARM, 0.0])
        pts = {
            "hip": hip, "knee": knee, "ankle": ankle,
            "heel": ankle + foot @ np.array([*HEEL_OFS, 0.0]),
            "foot_index": ankle + foot @ np.array([*TOE_OFS, 0.0]),
            "shoulder": sh, "elbow": elbow, "wrist": wrist,
            "index": wrist + fore @ np.array([0.02, -0.09, 0.0]),
            "pinky": wrist + fore @ np.array([-0.03, -0.08, 0.0]),
            "thumb": wrist + fore @ np.array([0.04, -0.05, 0.0]),
        }
        for k, v in pts.items():
            out[INDEX[f"{name}_{k}"]] = v
    head_r = T @ _rz(-p.neck_flex)
    head_c = neck + head_r @ np.array([0.0, 0.15, 0.0])
    out[INDEX["nose"]] = head_c + head_r @ np.array([0.10, -0.01, 0.0])
    for name, sg in (("left", 1.0), ("right", -1.0)):
        for k, ofs in (("eye_inner", (0.085, 0.03, 0.015)), ("eye", (0.08, 0.03, 0.032)),
                       ("eye_outer", (0.07, 0.03, 0.045)), ("ear", (0.0, 0.01, 0.075))):
            out[INDEX[f"{name}_{k}"]] = head_c + head_r @ np.array([ofs[0], ofs[1], sg * ofs[2]])
        out[INDEX[f"mouth_{name}"]] = head_c + head_r @ np.array([0.085, -0.04, sg * 0.025])
    root = np.asarray(p.root, dtype=float)
    mid = lambda a, b: (out[INDEX[a]] + out[INDEX[b]]) / 2  # noqa: E731
    if p.anchor == "mid_hip":
        ref = mid("left_hip", "right_hip")
    elif p.anchor == "mid_heel":
        ref = mid("left_heel", "right_heel")
    elif p.anchor == "mid_shoulder":
        ref = mid("left_shoulder", "right_shoulder")
    elif p.anchor == "floor":
        ref = mid("left_hip", "right_hip").copy()
        ref[1] = out[:, 1].min()
    else:
        raise ValueError(f"unknown anchor {p.anchor!r}")
    return out + (root - ref)


def blend(a: Any, b: Any, w: float) -> Any:
    """Linear blend of two postures (recursively over fields); strings switch at w=0.5."""
    if is_dataclass(a) and not isinstance(a, type):
        return replace(a, **{f.name: blend(getattr(a, f.name), getattr(b, f.name), w) for f in fields(a)})
    if isinstance(a, tuple):
        return tuple(blend(x, y, w) for x, y in zip(a, b))
    if isinstance(a, (int, float)):
        return a + (b - a) * w
    return a if w < 0.5 else b


# --------------------------------------------------------------------------- named postures


def standing(arms_abd: float = 8.0) -> Posture:
    """Standing upright, feet hip-width (under the hips), arms hanging slightly abducted."""
    return Posture().with_(shoulder_abd=arms_abd)


def squat_posture(knee_deg: float, trunk_deg: float | None = None, shank_lean_deg: float | None = None,
                  valgus_deg: float = 0.0, arms_flex: float | None = None) -> Posture:
    """Feet-flat squat with knee flexion ``knee_deg``; trunk pitch defaults to 0.45*knee.

    ``shank_lean_deg`` (shank forward inclination, default 0.3*knee) equals ankle dorsiflexion
    so the feet stay flat.  ``valgus_deg`` > 0 = knees cave: hip internal rotation plus the
    hip adduction that keeps the ankles where they were (knees move medially).
    """
    trunk = 0.45 * knee_deg if trunk_deg is None else trunk_deg
    lean = 0.3 * knee_deg if shank_lean_deg is None else shank_lean_deg
    hip_flex = knee_deg - lean + trunk
    arms = min(90.0, 0.9 * knee_deg) if arms_flex is None else arms_flex
    p = standing().with_(trunk_pitch=trunk, hip_flex=hip_flex, knee_flex=knee_deg, ankle=lean,
                         shoulder_flex=arms)
    if valgus_deg:
        def ankle_z(abd: float) -> float:
            q = p.with_(hip_rot=valgus_deg, hip_abd=abd, anchor="mid_hip", root=(0.0, 0.0, 0.0))
            return float(landmarks_lab(q)[INDEX["left_ankle"], 2]) - HIP_W / 2
        lo, hi = -40.0, 20.0
        for _ in range(50):
            m = (lo + hi) / 2
            lo, hi = (m, hi) if ankle_z(m) < 0 else (lo, m)
        p = p.with_(hip_rot=valgus_deg, hip_abd=(lo + hi) / 2)
    return p


def _ik2(h: np.ndarray, a: np.ndarray, l1: float, l2: float) -> np.ndarray:
    """Knee (2D) for a two-link chain hip h -> ankle a, choosing the higher solution."""
    v = a - h
    d = float(np.clip(np.linalg.norm(v), abs(l1 - l2) + 1e-6, l1 + l2 - 1e-6))
    ang = math.acos((l1 * l1 + d * d - l2 * l2) / (2 * l1 * d))
    base = math.atan2(v[1], v[0])
    cands = [h + l1 * np.array([math.cos(base + s * ang), math.sin(base + s * ang)]) for s in (1, -1)]
    return max(cands, key=lambda k: k[1])


def signed_shk(s: np.ndarray, h: np.ndarray, k: np.ndarray) -> float:
    """Shoulder-hip-knee angle (2D, y UP) measured counter-clockwise from hip->knee to
    hip->shoulder, in [0, 360): for a supine person with the head toward -x, 180 = straight
    line, < 180 hips below the line, > 180 hips above it (over-arch)."""
    v1, v2 = k - h, s - h
    ang = math.degrees(math.atan2(v1[0] * v2[1] - v1[1] * v2[0], float(v1 @ v2)))
    return ang % 360.0


_HOOK_S = np.array([-TRUNK, LYING_H])


SACRUM = np.array([-0.03, -LYING_H])  # where the pelvis rests on the floor, from the hip centre (trunk frame)


def _hook_geom(lift: float, tilt: float, knee_deg: float) -> tuple[np.ndarray, ...]:
    kin = math.radians(180.0 - knee_deg)
    foot = np.array([math.sqrt(THIGH**2 + SHANK**2 - 2 * THIGH * SHANK * math.cos(kin)), 0.0])
    a = np.array([0.0, LYING_H]) + foot
    b = math.radians(lift)
    h = _HOOK_S + TRUNK * np.array([math.cos(b), math.sin(b)])
    if tilt:
        # posterior tilt: the pelvis rolls on the sacrum, so the hip centre slides toward the
        # head (about 1% of the body length for 8 deg) and barely rises; the shoulders stay put
        c = h + _rot2(b) @ SACRUM
        h = c + _rot2(math.radians(tilt)) @ (h - c)
    return _HOOK_S, h, _ik2(h, a, THIGH, SHANK), a


def _rot2(rad: float) -> np.ndarray:
    return np.array([[math.cos(rad), -math.sin(rad)], [math.sin(rad), math.cos(rad)]])


def _frame_deg(v: np.ndarray) -> float:
    """The frame angle (about +Z) whose y axis points along the 2D direction ``v``."""
    return math.degrees(math.atan2(-v[0], v[1]))


def hook_lying(lift_deg: float = 0.0, pelvic_tilt_deg: float = 0.0, knee_deg: float = 100.0,
               shk_deg: float | None = None) -> Posture:
    """Supine, knees bent, feet flat; shoulders and feet stay put on the floor.

    ``lift_deg``: the trunk pivots about the shoulders, raising the hips (glute bridge).
    ``pelvic_tilt_deg``: posterior pelvic tilt: the pelvis rolls on the sacrum and the
    lumbar spine flexes, so the hip centre slides toward the shoulders (as MediaPipe's hip
    point does on real tilts) while the shoulders stay put.
    ``shk_deg``: instead of ``lift_deg``, lift until :func:`signed_shk` equals this
    (180 = shoulder-hip-knee straight).  ``knee_deg`` fixes the feet position (knee flexion
    when lying flat).  Head toward -x; mid-hip at x=0 when flat.
    """
    if shk_deg is not None:
        lo, hi = -5.0, 80.0
        for _ in range(60):
            m = (lo + hi) / 2
            s, h, k, _ = _hook_geom(m, pelvic_tilt_deg, knee_deg)
            lo, hi = (m, hi) if signed_shk(s, h, k) < shk_deg else (lo, m)
        lift_deg = (lo + hi) / 2
    s, h, k, a = _hook_geom(lift_deg, pelvic_tilt_deg, knee_deg)
    lum = _ik2(h, s, LUMBAR_PIVOT, TRUNK - LUMBAR_PIVOT)  # the spine bends where the hips came closer
    g_t, g_p = _frame_deg(s - lum), _frame_deg(lum - h)  # trunk and pelvis frame angles in the lab
    dt, ds = (k - h), (a - k)
    psi = math.degrees(math.atan2(dt[0], -dt[1]))
    psi_s = math.degrees(math.atan2(ds[0], -ds[1]))
    return Posture(trunk_pitch=-g_t, lumbar_flex=_wrap(g_p - g_t),
                   root=(float(h[0]), float(h[1]), 0.0), anchor="mid_hip").with_(
        hip_flex=_wrap(psi - g_p), knee_flex=_wrap(psi - psi_s), ankle=_wrap(-psi_s),
        shoulder_flex=-lift_deg, shoulder_abd=10.0)


def supine() -> Posture:
    """Lying on the back, legs straight, arms by the sides, head toward -x."""
    return Posture(trunk_pitch=-90.0, root=(0.0, 0.02, 0.0), anchor="floor").with_(
        ankle=-20.0, shoulder_abd=10.0)


def prone() -> Posture:
    """Lying face down, legs straight (toes pointing down/back), arms by the sides, head toward +x."""
    return Posture(trunk_pitch=90.0, root=(0.0, 0.02, 0.0), anchor="floor").with_(
        ankle=-70.0, shoulder_abd=10.0)


def _level(make: Callable[[float], Posture], a: str, b: str, lo: float, hi: float) -> Posture:
    """Bisect the parameter of ``make`` so landmarks ``a`` and ``b`` are at the same height."""
    def f(x: float) -> float:
        L = landmarks_lab(make(x))
        return float(L[INDEX[a], 1] - L[INDEX[b], 1])
    flo = f(lo)
    for _ in range(50):
        m = (lo + hi) / 2
        lo, hi = (m, hi) if (f(m) > 0) == (flo > 0) else (lo, m)
    return make((lo + hi) / 2)


def quadruped() -> Posture:
    """Hands and knees: thighs and arms vertical, trunk near horizontal (head slightly higher)."""
    return _level(lambda p: Posture(trunk_pitch=p, root=(0.0, 0.02, 0.0), anchor="floor").with_(
        hip_flex=p, knee_flex=90.0, ankle=-90.0, shoulder_flex=p), "left_wrist", "left_knee", 45.0, 90.0)


def plank() -> Posture:
    """High plank: arms vertical, body straight from shoulders to ankles, on the toes."""
    return _level(lambda p: Posture(trunk_pitch=p, root=(0.0, 0.02, 0.0), anchor="floor").with_(
        shoulder_flex=p), "left_wrist", "left_foot_index", 45.0, 90.0)


def side_lying(down: str = "left", hip_flex: float = 45.0, knee_flex: float = 90.0) -> Posture:
    """Lying on one side (``down``), hips and knees bent (clamshell start), front toward +z."""
    sg = 1.0 if down == "left" else -1.0
    return Posture(trunk_roll=sg * 90.0, trunk_yaw=sg * 90.0, root=(0.0, 0.02, 0.0), anchor="floor").with_(
        hip_flex=hip_flex, knee_flex=knee_flex, shoulder_flex=60.0, elbow_flex=60.0)


def sitting(knee_deg: float = 90.0) -> Posture:
    """Sitting upright on a chair: thighs horizontal, feet flat."""
    return standing().with_(hip_flex=90.0, knee_flex=knee_deg, ankle=knee_deg - 90.0)


# --------------------------------------------------------------------------- camera


@dataclass(frozen=True)
class Camera:
    """Pinhole camera looking at ``target`` (lab metres) from ``distance`` m, level unless
    ``elevation_deg``.  ``focal``/``target`` None = fitted to the sequence so the body fills
    ``fill`` of the frame in its limiting dimension."""

    view: str = "side"  # "side" | "front" | "oblique"
    facing: str = "left"  # the person's side toward the camera
    distance: float = 3.5
    size: tuple[int, int] = (640, 480)
    focal: float | None = None
    target: tuple[float, float, float] | None = None
    mirror: bool = False
    elevation_deg: float = 0.0
    fill: float = 0.7
    yaw_deg: float | None = None  # instead of ``view``: 90 side-on, 45 oblique, 0 from the front

    def _axes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self._basis

    @cached_property
    def _basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(camera centre, right, up, forward) in the lab: worked out once per camera (every
        frame of a sequence projects through it twice)."""
        sz = 1.0 if self.facing == "left" else -1.0
        if self.yaw_deg is not None:
            y = math.radians(self.yaw_deg)
            horiz = np.array([math.cos(y), 0.0, sz * math.sin(y)])
        else:
            horiz = {"side": np.array([0.0, 0.0, sz]), "front": np.array([1.0, 0.0, 0.0]),
                     "oblique": np.array([1.0, 0.0, sz]) / math.sqrt(2)}[self.view]
        e = math.radians(self.elevation_deg)
        back = math.cos(e) * horiz + np.array([0.0, math.sin(e), 0.0])
        fwd = -back
        # The lab frame (X fwd, Y up, Z left) is left-handed, so right = up x forward here.
        right = np.cross([0.0, 1.0, 0.0], fwd)
        right /= np.linalg.norm(right)
        up = np.cross(fwd, right)
        tgt = np.zeros(3) if self.target is None else np.asarray(self.target, float)
        return tgt + self.distance * back, right, up, fwd

    def fit(self, points: np.ndarray) -> Camera:
        """Fill in target/focal from lab points (N, 3) that should all be in view."""
        pts = points.reshape(-1, 3)
        cam = self
        if cam.target is None:
            c = (pts.min(0) + pts.max(0)) / 2
            cam = replace(cam, target=(float(c[0]), float(c[1]), float(c[2])))
        if cam.focal is None:
            c, r, u, f = cam._axes()
            d = pts - c
            z = d @ f
            x, y = (d @ r) / z, (d @ u) / z
            w, h = cam.size
            ext_x = 2 * max(abs(x.min()), abs(x.max())) + 1e-9
            ext_y = 2 * max(abs(y.min()), abs(y.max())) + 1e-9
            cam = replace(cam, focal=float(min(cam.fill * w / ext_x, cam.fill * h / ext_y)))
        return cam

    def project(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lab points (N, 3) -> (pixels (N, 2), depth (N,))."""
        if self.focal is None:
            raise ValueError("Camera.focal is None: call fit() first")
        c, r, u, f = self._axes()
        d = pts - c
        z = d @ f
        w, h = self.size
        px = w / 2 + self.focal * (d @ r) / z
        py = h / 2 - self.focal * (d @ u) / z
        if self.mirror:
            px = w - px
        return np.stack([px, py], axis=1), z

    def world(self, pts: np.ndarray) -> np.ndarray:
        """MediaPipe-like world landmarks: origin mid-hip, x image-right, y down, z away."""
        _, r, u, f = self._axes()
        d = pts - (pts[INDEX["left_hip"]] + pts[INDEX["right_hip"]]) / 2
        wd = np.stack([d @ r, -(d @ u), d @ f], axis=1)
        if self.mirror:
            wd[:, 0] = -wd[:, 0]
        return wd


_PARTNER = np.array([
    INDEX[n.replace("left", "right")] if "left" in n else INDEX[n.replace("right", "left")] if "right" in n else i
    for i, n in enumerate(LANDMARK_NAMES)])


def render(p: Posture, camera: Camera, *, to_lab: Callable[[Posture], np.ndarray] = landmarks_lab) -> Pose:
    """One posture through a (fitted) camera.  Visibility: ~0.97 for near/midline points,
    down to ~0.57 for points of a left/right pair lying >= 0.2 m farther than their partner,
    0.1 outside the frame.  ``to_lab`` places the landmarks (a posture type with more
    joints than :class:`Posture`, e.g. ``scenarios.quadruped``, passes its own)."""
    pts = to_lab(p)
    xy, z = camera.project(pts)
    behind = np.clip(z - (z + z[_PARTNER]) / 2, 0.0, 0.2)
    vis = 0.97 - 2.0 * behind
    w, h = camera.size
    out = (xy[:, 0] < 0) | (xy[:, 0] > w) | (xy[:, 1] < 0) | (xy[:, 1] > h)
    vis[out] = 0.1
    return Pose(xy=xy, visibility=vis, world=camera.world(pts), size_wh=(int(w), int(h)))


# --------------------------------------------------------------------------- sequences


def keyframe_sequence(keyframes: Sequence[tuple[float, Posture]], fps: float = 30.0,
                      camera: Camera | None = None, *,
                      to_lab: Callable[[Posture], np.ndarray] = landmarks_lab) -> Seq:
    """Sample keyframes at ``fps`` with cosine easing between consecutive keyframes.

    The camera is fitted (target/focal) on all keyframe postures when not given.
    ``to_lab`` places the landmarks, as in :func:`render`.
    """
    kf = sorted(keyframes, key=lambda k: k[0])
    cam = (camera or Camera()).fit(np.concatenate([to_lab(p) for _, p in kf]))
    t0, t1 = kf[0][0], kf[-1][0]
    times = [float(k[0]) for k in kf]
    seq: Seq = []
    for i in range(int(math.floor((t1 - t0) * fps + 1e-9)) + 1):
        t = t0 + i / fps
        if len(kf) == 1:
            p = kf[0][1]
        else:
            j = max(0, min(len(kf) - 2, int(np.searchsorted(times, t, side="right")) - 1))
            ta, tb = times[j], times[j + 1]
            u = 1.0 if tb <= ta else min(1.0, max(0.0, (t - ta) / (tb - ta)))
            p = blend(kf[j][1], kf[j + 1][1], (1 - math.cos(math.pi * u)) / 2)
        seq.append((round(t, 6), render(p, cam, to_lab=to_lab)))
    return seq


def reps(base: Posture, peak: Posture | Sequence[Posture], n: int, rep_s: float = 2.0,
         hold_s: float = 0.0, rest_s: float = 1.0, start_rest: float = 1.0,
         end_rest: float | None = None) -> tuple[Keyframes, list[tuple[float, float]]]:
    """Keyframes for ``n`` reps base -> peak -> hold -> base -> rest, and each rep's
    (start, end) window.  ``peak`` may be one posture per rep (fault injection)."""
    peaks = [peak] * n if isinstance(peak, Posture) else list(peak)
    kf: Keyframes = [(0.0, base)]
    windows: list[tuple[float, float]] = []
    t = start_rest
    for i in range(n):
        if t > kf[-1][0]:
            kf.append((t, base))
        start = t
        t += rep_s / 2
        kf.append((t, peaks[i]))
        if hold_s > 0:
            t += hold_s
            kf.append((t, peaks[i]))
        t += rep_s / 2
        kf.append((t, base))
        windows.append((round(start, 6), round(t, 6)))
        t += rest_s if i < n - 1 else (rest_s if end_rest is None else end_rest)
    if t > kf[-1][0]:
        kf.append((t, base))
    return kf, windows


def dither_param(make: Callable[[float], Posture], value: float, amplitude: float = 3.0,
                 duration_s: float = 3.0, period_s: float = 0.5, t0: float = 0.0) -> Keyframes:
    """Keyframes hovering ``make(value +- amplitude)`` for ``duration_s`` (threshold chatter)."""
    kf: Keyframes = [(t0, make(value))]
    t, sgn = t0 + period_s / 4, 1.0
    while t < t0 + duration_s - period_s / 4:
        kf.append((round(t, 6), make(value + sgn * amplitude)))
        t, sgn = t + period_s / 2, -sgn
    kf.append((t0 + duration_s, make(value)))
    return kf


def dither(posture: Posture, name: str, amplitude: float = 3.0, duration_s: float = 3.0,
           period_s: float = 0.5, t0: float = 0.0) -> Keyframes:
    """:func:`dither_param` on one posture field (``Posture.with_`` name, e.g. "knee_flex")."""
    return dither_param(lambda v: posture.with_(**{name: v}), float(posture.get(name)),
                        amplitude, duration_s, period_s, t0)


# --------------------------------------------------------------------------- perturbations


def _in(t: float, ranges: Iterable[tuple[float, float]]) -> bool:
    return any(a <= t <= b for a, b in ranges)


def add_noise(seq: Seq, px_sigma: float = 2.0, seed: int = 0, world_sigma: float | None = None) -> Seq:
    """Gaussian noise on pixels (and world, default 0.005 m per pixel of sigma)."""
    rng = np.random.default_rng(seed)
    ws = 0.005 * px_sigma if world_sigma is None else world_sigma
    out: Seq = []
    for t, p in seq:
        if p is None:
            out.append((t, None))
            continue
        world = None if p.world is None else p.world + rng.normal(0.0, ws, p.world.shape)
        out.append((t, replace(p, xy=p.xy + rng.normal(0.0, px_sigma, p.xy.shape), world=world)))
    return out


def drop_frames(seq: Seq, fraction: float = 0.0, ranges: Sequence[tuple[float, float]] = (),
                seed: int = 0) -> Seq:
    """Frames become None: a random ``fraction`` of them, plus all in the time ``ranges``."""
    rng = np.random.default_rng(seed)
    drop = rng.random(len(seq)) < fraction
    return [(t, None if (drop[i] or _in(t, ranges)) else p) for i, (t, p) in enumerate(seq)]


def occlude(seq: Seq, names: Sequence[str], t_ranges: Sequence[tuple[float, float]] | None = None,
            seed: int = 0) -> Seq:
    """Landmarks ``names`` get visibility 0.05 and garbage positions (all frames if no ranges)."""
    rng = np.random.default_rng(seed)
    idx = [INDEX[n] for n in names]
    out: Seq = []
    for t, p in seq:
        if p is None or (t_ranges is not None and not _in(t, t_ranges)):
            out.append((t, p))
            continue
        xy, vis = p.xy.copy(), p.visibility.copy()
        xy[idx] = rng.uniform(0, 1, (len(idx), 2)) * np.array(p.size_wh)
        vis[idx] = 0.05
        world = None
        if p.world is not None:
            world = p.world.copy()
            world[idx] = rng.uniform(-0.8, 0.8, (len(idx), 3))
        out.append((t, replace(p, xy=xy, visibility=vis, world=world)))
    return out


def mirror(seq: Seq) -> Seq:
    """The sequence as MediaPipe reports the same video flipped left-right.

    A flipped picture shows a person facing the other way with left and right exchanged,
    and the model labels them by what it sees: each landmark takes its partner's label
    (the near left knee becomes the near right knee), image x runs the other way and so
    does world x.  A coach must count the same and report the sides exchanged."""
    out: Seq = []
    for t, p in seq:
        if p is None:
            out.append((t, p))
            continue
        xy = p.xy[_PARTNER].copy()
        xy[:, 0] = p.size_wh[0] - xy[:, 0]
        world = None
        if p.world is not None:
            world = p.world[_PARTNER].copy()
            world[:, 0] = -world[:, 0]
        out.append((t, replace(p, xy=xy, visibility=p.visibility[_PARTNER].copy(), world=world)))
    return out


def hide(seq: Seq, names: Sequence[str], when: Callable[[float, Pose], bool] | None = None,
         *, visibility: float = 0.15, copy_partner: bool = False) -> Seq:
    """Landmarks ``names`` are hidden (low ``visibility``) on frames where ``when(t, pose)``
    holds (all frames if None), with MediaPipe's kind of guess for their position: where
    they are (``copy_partner=False``), or on top of their left/right partner, as the model
    tends to place a far limb it cannot see (``copy_partner=True``)."""
    idx = np.array([INDEX[n] for n in names])
    out: Seq = []
    for t, p in seq:
        if p is None or (when is not None and not when(t, p)):
            out.append((t, p))
            continue
        xy, vis = p.xy.copy(), p.visibility.copy()
        world = None if p.world is None else p.world.copy()
        if copy_partner:
            xy[idx] = p.xy[_PARTNER[idx]]
            if world is not None and p.world is not None:
                world[idx] = p.world[_PARTNER[idx]]
        vis[idx] = visibility
        out.append((t, replace(p, xy=xy, visibility=vis, world=world)))
    return out


def cut(seq: Seq, at_t: float, shift_px: tuple[float, float] = (80.0, 0.0), scale: float = 1.0) -> Seq:
    """Camera cut: from ``at_t`` on, pixels are scaled about the image centre and shifted."""
    out: Seq = []
    for t, p in seq:
        if p is None or t < at_t:
            out.append((t, p))
            continue
        c = np.array(p.size_wh, float) / 2
        out.append((t, replace(p, xy=c + scale * (p.xy - c) + np.asarray(shift_px, float))))
    return out


def second_person(seq: Seq, t_ranges: Sequence[tuple[float, float]] | None = None, n: int = 2) -> Seq:
    """Frames (all, or in ``t_ranges``) report ``n_people = n``."""
    return [(t, p if p is None or (t_ranges is not None and not _in(t, t_ranges)) else replace(p, n_people=n))
            for t, p in seq]


# --------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    """A generated sequence with its ground truth."""

    poses: Seq
    fps: float
    truth: dict[str, Any]
    camera: Camera
    keyframes: Keyframes = field(default_factory=list, repr=False)


def _scenario(exercise: str, base: Posture, peaks: list[Posture], faults: list[str | None],
              fps: float, camera: Camera, rep_s: float, hold_s: float, rest_s: float,
              start_rest: float, noise_px: float, seed: int, extra: dict[str, Any]) -> Scenario:
    kf, windows = reps(base, peaks, len(peaks), rep_s, hold_s, rest_s, start_rest)
    kf_cam = camera.fit(np.concatenate([landmarks_lab(p) for _, p in kf]))
    seq = keyframe_sequence(kf, fps, kf_cam)
    if noise_px > 0:
        seq = add_noise(seq, noise_px, seed)
    truth = {
        "exercise": exercise, "reps": len(peaks), "rep_windows": windows,
        "peak_windows": [(round(a + rep_s / 2, 6), round(a + rep_s / 2 + hold_s, 6)) for a, _ in windows],
        "hold_s": hold_s, "faults": faults, "side": camera.facing, "view": camera.view,
        "duration_s": kf[-1][0], **extra,
    }
    return Scenario(seq, fps, truth, kf_cam, kf)


def _faults(n: int, fault: str | None, fault_reps: Sequence[int] | None) -> list[str | None]:
    which = set(range(n)) if fault_reps is None else set(fault_reps)
    return [fault if (fault and i in which) else None for i in range(n)]


def squat(n_reps: int = 5, depth_knee_deg: float = 100.0, fault: str | None = None,
          fault_reps: Sequence[int] | None = None, view: str = "side", facing: str = "left",
          fps: float = 30.0, rep_s: float = 2.5, hold_s: float = 0.0, rest_s: float = 1.0,
          start_rest: float = 1.0, noise_px: float = 0.0, seed: int = 0,
          camera: Camera | None = None, shallow_knee_deg: float = 50.0, shift_deg: float = 20.0) -> Scenario:
    """Bodyweight squats.  Faults: "knees_cave" (valgus, visible in front/oblique view),
    "trunk_forward" (trunk 70 deg from vertical at the bottom), "shallow" (knee ``shallow_knee_deg``:
    50, short of a rep; 75 with the default depth is a counted rep shallower than the person's own),
    "weight_shift" (the trunk tilted ``shift_deg`` to the person's left at the bottom, seen from the front).
    Truth "peak": per-rep knee flexion / trunk pitch / valgus / side tilt at the bottom."""
    faults = _faults(n_reps, fault, fault_reps)
    peaks, info = [], []
    for f in faults:
        knee = min(depth_knee_deg, shallow_knee_deg) if f == "shallow" else depth_knee_deg
        trunk = 70.0 if f == "trunk_forward" else 0.45 * knee
        valgus = 8.0 if f == "knees_cave" else 0.0
        roll = shift_deg if f == "weight_shift" else 0.0
        peaks.append(squat_posture(knee, trunk, valgus_deg=valgus).with_(trunk_roll=roll))
        info.append({"knee_flex": knee, "trunk_pitch": trunk, "valgus_rot": valgus, "trunk_roll": roll})
    cam = camera or Camera(view=view, facing=facing)
    return _scenario("squat", standing(), peaks, faults, fps, cam, rep_s, hold_s, rest_s, start_rest,
                     noise_px, seed, {"peak": info})


def glute_bridge(n_reps: int = 5, hold_s: float = 2.0, fault: str | None = None,
                 fault_reps: Sequence[int] | None = None, view: str = "side", facing: str = "left",
                 fps: float = 30.0, rep_s: float = 2.0, rest_s: float = 1.5, start_rest: float = 1.0,
                 noise_px: float = 0.0, seed: int = 0, camera: Camera | None = None,
                 top_deg: float = 180.0, fault_top_deg: float | None = None) -> Scenario:
    """Glute bridges from hook lying; top = shoulder-hip-knee ``top_deg`` (``signed_shk``; 180 =
    straight).  Faults: "hips_low" (top at 150), "over_arch" (top at 210, hips above the line);
    ``fault_top_deg`` sets the faulty reps' top instead (any size, for tests at the limit)."""
    faults = _faults(n_reps, fault, fault_reps)
    default = {"hips_low": 150.0, "over_arch": 210.0}
    tops = [top_deg if not f else (fault_top_deg if fault_top_deg is not None else default.get(f, top_deg))
            for f in faults]
    peaks = [hook_lying(shk_deg=a) for a in tops]
    cam = camera or Camera(view=view, facing=facing)
    return _scenario("glute_bridge", hook_lying(), peaks, faults, fps, cam, rep_s, hold_s, rest_s,
                     start_rest, noise_px, seed,
                     {"peak": [{"shk": a, "lift": -90.0 - p.trunk_pitch} for a, p in zip(tops, peaks)]})


def pelvic_tilt(n_reps: int = 8, hold_s: float = 3.0, tilt_deg: float = 8.0, view: str = "side",
                facing: str = "left", fps: float = 30.0, rep_s: float = 0.8, rest_s: float = 1.5,
                start_rest: float = 1.0, noise_px: float = 0.0, seed: int = 0,
                camera: Camera | None = None) -> Scenario:
    """Posterior pelvic tilts in hook lying: the pelvis rolls ``tilt_deg`` on the sacrum, so the
    hip point slides toward the shoulders (1% of the ankle-shoulder length at 8 deg, what
    MediaPipe reports on real tilts), rises ~3 mm, and the shoulder-hip-knee angle opens
    ~1.6 deg; tilting and releasing take ~0.4 s each (``rep_s``), as on the real clip.
    Truth "peak" has the resulting changes (hip rise m, thigh rotation deg,
    shoulder-hip-knee change deg)."""
    base, top = hook_lying(), hook_lying(pelvic_tilt_deg=tilt_deg)

    def geo(p: Posture) -> tuple[float, float, float]:
        L = landmarks_lab(p)
        s, h, k = (L[INDEX[f"left_{n}"], :2] for n in ("shoulder", "hip", "knee"))
        return float(h[1]), math.degrees(math.atan2(k[1] - h[1], k[0] - h[0])), signed_shk(s, h, k)

    (h0, th0, a0), (h1, th1, a1) = geo(base), geo(top)
    info = {"tilt_deg": tilt_deg, "hip_rise_m": h1 - h0, "thigh_rot_deg": th0 - th1, "shk_change_deg": a1 - a0}
    cam = camera or Camera(view=view, facing=facing)
    return _scenario("pelvic_tilt", base, [top] * n_reps, [None] * n_reps, fps, cam, rep_s, hold_s,
                     rest_s, start_rest, noise_px, seed, {"peak": info})


# --------------------------------------------------------------------------- JSON lines


def save_jsonl(path: str | Path, seq: Seq, meta: dict[str, Any] | None = None) -> None:
    """One line per frame (optionally a first ``{"meta": {...}}`` line); see ``posecoach.io.recording``."""
    from posecoach.io.recording import write_recording

    write_recording(path, seq, meta)


def load_jsonl(path: str | Path) -> tuple[Seq, dict[str, Any]]:
    """Read :func:`save_jsonl` output: (sequence, meta or {})."""
    from posecoach.io.recording import read_recording

    frames, meta = read_recording(path)
    return [(t, p) for t, p, _ in frames], meta
