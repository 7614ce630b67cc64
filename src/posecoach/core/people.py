"""Which person is doing the exercise, when the camera sees more than one (pure).

A clinician kneeling behind a patient, a partner walking through, an instructor beside
the demonstrator: the pose tracker follows whoever it found first, which may not be the
person exercising.  An exercise file may say the posture its whole movement is done in
(``posture``): lying (on the back, front or side) and on all fours keep the trunk near
horizontal in the picture from any side; nobody standing or kneeling upright does.  So
when several people are seen and the one followed is not in that posture, the person
who is (the nearest to the one chosen before, else the largest) is taken instead.

Only the trunk line is used (mid-shoulder to mid-hip, in pixels), because it is what the
posture fixes whichever way the person faces and whatever the limbs do.  Postures that
move the trunk through wide angles (a squat leans forward, a sit-to-stand too) say
``any`` and keep the tracker's choice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from posecoach.core.types import Pose

__all__ = ["HORIZONTAL_WITHIN_DEG", "choose_person", "fits_posture", "trunk_tilt_deg"]

# Within this many degrees of the image horizontal the trunk reads as lying / on all fours:
# a glute bridge's top (~25 deg), a crunch (~30), a side plank (~25) stay inside, a kneeling
# or standing person (60-90) does not.
HORIZONTAL_WITHIN_DEG = 45.0
_MIN_VISIBILITY = 0.3
_SHOULDERS, _HIPS = (11, 12), (23, 24)


def trunk_tilt_deg(pose: Pose) -> float | None:
    """The trunk line's angle from the image horizontal (0-90), or None if it cannot be seen."""
    idx = list(_SHOULDERS + _HIPS)
    if float(np.min(pose.visibility[idx])) < _MIN_VISIBILITY:
        return None
    d = pose.xy[list(_HIPS)].mean(axis=0) - pose.xy[list(_SHOULDERS)].mean(axis=0)
    if float(np.hypot(*d)) < 1e-6:
        return None
    return math.degrees(math.atan2(abs(float(d[1])), abs(float(d[0]))))


def fits_posture(pose: Pose, posture: str) -> bool:
    """Is this person in the exercise's posture?  ``any`` (and an unseen trunk) always fits."""
    if posture == "any":
        return True
    tilt = trunk_tilt_deg(pose)
    if tilt is None:
        return True  # cannot tell: do not hold it against them
    horizontal = tilt <= HORIZONTAL_WITHIN_DEG
    return horizontal if posture in ("lying", "all_fours") else not horizontal


def _centre(pose: Pose) -> np.ndarray:
    return pose.xy.mean(axis=0)


def _size(pose: Pose) -> float:
    lo, hi = pose.xy.min(axis=0), pose.xy.max(axis=0)
    return float(np.hypot(*(hi - lo)))


def choose_person(candidates: Sequence[Pose], posture: str, previous: Pose | None = None) -> int | None:
    """The index of the candidate doing the exercise: in ``posture``, then the nearest to
    ``previous`` (the person chosen last), else the largest.  None when nobody fits."""
    fitting = [i for i, p in enumerate(candidates) if fits_posture(p, posture)]
    if not fitting:
        return None
    if previous is not None:
        ref = _centre(previous)
        return min(fitting, key=lambda i: float(np.linalg.norm(_centre(candidates[i]) - ref)))
    return max(fitting, key=lambda i: _size(candidates[i]))
