"""Angle features from named landmarks (pure numpy).

Conventions, fixed so values never jump between them:

- ``joint``: angle at the middle point between the two outer points, in
  degrees 0-180 (180 = straight).  ``signed="up"``: 0-360, values above 180
  when the middle point lies above the line through the outer points in the
  image (image "up" is gravity's up for an upright camera), so a joint bent
  past straight reads e.g. 195 instead of folding back to 165.
- ``inclination``: angle of the segment a->b from straight up (``vertical``)
  or from horizontal, 0-180 (vertical: 0 = b straight above a, 90 = level).
  For ``horizontal`` it is the smaller angle to the horizontal line, 0-90.
- ``ratio``: |a-b| / |c-d| (dimensionless).
- ``height``: (y_b - y_a) / |c-d| in the image: positive when a is above b.
- ``offset``: ((b - a) . (d - c)) / |d - c|^2: how far b lies from a along c -> d.

``space="image"`` uses pixel coordinates (undistorted by aspect ratio);
``space="world"`` uses MediaPipe's metric 3D world landmarks (view-independent
but noisier in depth); without world landmarks a world feature is NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posecoach.core.exercise.schema import Exercise, Feature
from posecoach.core.landmarks import INDEX, side_name
from posecoach.core.types import Pose

__all__ = ["CompiledFeature", "FeatureSet", "joint_angle", "signed_joint_angle"]


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle ABC in degrees, 0-180 (works in 2D or 3D). NaN if a segment has zero length."""
    u = a - b
    v = c - b
    nu = math.sqrt(float(u @ u))
    nv = math.sqrt(float(v @ v))
    if nu < 1e-9 or nv < 1e-9:
        return math.nan
    cos = float(u @ v) / (nu * nv)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def signed_joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray, toward: str = "up") -> float:
    """Image-plane angle ABC, 0-360: above 180 when B lies on the ``toward`` side of line AC."""
    ang = joint_angle(a, b, c)
    if math.isnan(ang):
        return ang
    # y of the line AC at B's x (using the parametric projection of B on AC).
    ac = c - a
    denom = float(ac @ ac)
    if denom < 1e-9:
        return ang
    s = float((b - a) @ ac) / denom
    proj = a + s * ac
    above = b[1] < proj[1]  # image y grows downwards
    beyond = above if toward == "up" else not above
    return 360.0 - ang if beyond else ang


def _points_index(name: str, side: str) -> tuple[int, int]:
    """(i, j) so that the point is the mean of landmarks i and j."""
    if name.startswith("mid_"):
        base = name[4:]
        return INDEX[f"left_{base}"], INDEX[f"right_{base}"]
    i = INDEX[side_name(name, side)]
    return i, i


@dataclass(frozen=True)
class CompiledFeature:
    name: str
    spec: Feature
    idx: np.ndarray  # (n_points, 2) landmark indices

    def points(self, arr: np.ndarray) -> np.ndarray:
        return 0.5 * (arr[self.idx[:, 0]] + arr[self.idx[:, 1]])

    def value(self, pose: Pose) -> float:
        """The feature's value; NaN when it cannot be measured, or lies outside the range a body
        can take (``plausible``): such a frame is a failed detection, not a movement."""
        v = self._measure(pose)
        lim = self.spec.plausible
        if lim is not None and not lim[0] <= v <= lim[1]:
            return math.nan
        return v

    def _measure(self, pose: Pose) -> float:
        spec = self.spec
        if spec.space == "world":
            if pose.world is None:
                return math.nan
            p = self.points(pose.world)
        else:
            p = self.points(pose.xy)
        if spec.kind == "joint":
            if spec.signed:
                return signed_joint_angle(p[0], p[1], p[2], spec.signed)
            return joint_angle(p[0], p[1], p[2])
        if spec.kind == "inclination":
            d = p[1] - p[0]
            if spec.space == "world":
                # world y points down; "up" is -y.  Horizontal length from x and z.
                up = -float(d[1])
                horiz = math.hypot(float(d[0]), float(d[2]))
            else:
                up = -float(d[1])
                horiz = abs(float(d[0]))
            if up == 0 and horiz == 0:
                return math.nan
            from_vertical = math.degrees(math.atan2(horiz, up))  # 0..180
            if spec.reference == "vertical":
                return from_vertical
            return abs(90.0 - from_vertical) if from_vertical <= 180 else math.nan
        if spec.kind == "offset":
            axis = p[3] - p[2]
            den = float(axis @ axis)
            return float((p[1] - p[0]) @ axis) / den if den > 1e-12 else math.nan
        if spec.kind == "ratio":
            den = float(np.linalg.norm(p[2] - p[3]))
            return float(np.linalg.norm(p[0] - p[1])) / den if den > 1e-9 else math.nan
        # height
        den = float(np.linalg.norm(p[2] - p[3]))
        if den <= 1e-9:
            return math.nan
        return float(p[1][1] - p[0][1]) / den  # y points down in both spaces


class FeatureSet:
    """All features of one exercise, compiled for both sides of the body.

    ``values(pose, side)`` returns ``{name: value}``.  The landmarks of the
    main (rep) feature are the ones a frame *needs* to be usable; other
    features are NaN on frames where their landmarks are hidden, and the form
    rules that use them are then not judged.
    """

    def __init__(self, exercise: Exercise) -> None:
        self.exercise = exercise
        self._compiled: dict[str, list[CompiledFeature]] = {}
        self._needed: dict[str, np.ndarray] = {}
        main = exercise.rep.angle
        for side in ("left", "right"):
            feats = []
            for name, spec in exercise.angles.items():
                idx = np.array([_points_index(n, side) for n in spec.points], dtype=np.intp)
                feats.append(CompiledFeature(name, spec, idx))
                if name == main:
                    self._needed[side] = np.unique(idx.ravel())
            self._compiled[side] = feats
        # ``pick`` features: each side's value, the larger (or smaller) taken (see ``Feature``).
        self._pick = {
            f.name: (f, g) for f, g in zip(self._compiled["left"], self._compiled["right"]) if f.spec.pick
        }
        self._main_picks = main in self._pick
        self._minus = [(name, spec.minus) for name, spec in exercise.angles.items() if spec.minus]

    @property
    def names(self) -> list[str]:
        return list(self.exercise.angles)

    def needed_landmarks(self, side: str, pose: Pose | None = None) -> np.ndarray:
        """The main feature's landmarks on ``side`` (for a ``pick`` main feature: on the side
        better seen in ``pose``, as either side's limb may be the one that moves)."""
        return self._needed[self._main_side(pose, side)]

    def _main_side(self, pose: Pose | None, side: str) -> str:
        if not self._main_picks or pose is None:
            return side
        left, right = (float(pose.visibility[self._needed[s]].min()) for s in ("left", "right"))
        return "left" if left >= right else "right"

    def values(self, pose: Pose, side: str, min_visibility: float = 0.0) -> dict[str, float]:
        """Every feature's value; NaN for a feature whose landmarks are not visible enough.

        A ``pick`` feature also gives ``<name>:side``: +1 when the left side's value was taken,
        -1 the right's (``rep.side_from`` reads it)."""
        vis = pose.visibility
        out: dict[str, float] = {}
        for f in self._compiled[side]:
            if f.name in self._pick:
                out[f.name], out[f"{f.name}:side"] = self._picked(pose, f.name, min_visibility)
            else:
                out[f.name] = f.value(pose) if vis[f.idx].min() >= min_visibility else math.nan
        for name, other in self._minus:
            out[name] -= out[other]  # (NaN stays NaN)
        return out

    def _picked(self, pose: Pose, name: str, min_visibility: float) -> tuple[float, float]:
        """(value, +1 left / -1 right) of the side whose value is the larger (``pick: max``) or
        the smaller, among the sides whose landmarks are visible enough."""
        seen = []
        for f, sign in zip(self._pick[name], (1.0, -1.0)):
            if pose.visibility[f.idx].min() >= min_visibility:
                v = f.value(pose)
                if not math.isnan(v):
                    seen.append((v, sign))
        if not seen:
            return math.nan, math.nan
        pick = max if self._pick[name][0].spec.pick == "max" else min
        return pick(seen, key=lambda vs: vs[0])

    def min_visibility(self, pose: Pose, side: str) -> float:
        return float(pose.visibility[self.needed_landmarks(side, pose)].min())
