"""``plausible`` on a feature: a value no body can take in the exercise is a failed detection.

Instructional videos cut to close-ups of part of the body; MediaPipe then fits a skeleton to
half a person, and the glute bridge's signed shoulder-hip-knee angle reads 300-350 (the knee
"behind" the trunk) in bursts.  Such a burst rose past the peak and fell back: a rep nobody
made.  With ``plausible: [60, 240]`` (hip flexion about 120 degrees, extension about 30 past
the trunk line, with room for the lower back) those frames count as frames without a pose.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecoach.core.exercise import find_exercise
from posecoach.core.features import FeatureSet
from posecoach.core.session import Session
from posecoach.core.types import Pose
from posecoach.testing import synth

FPS = 30.0
L_HIP, L_KNEE, L_ANKLE, L_HEEL, L_FOOT = 23, 25, 27, 29, 31


def _turned_leg(pose: Pose, deg: float) -> Pose:
    """The near (left) leg turned ``deg`` about the hip in the picture: a skeleton gone wrong."""
    xy = pose.xy.copy()
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    rot = np.array([[c, -s], [s, c]])
    hip = xy[L_HIP]
    for i in (L_KNEE, L_ANKLE, L_HEEL, L_FOOT):
        xy[i] = hip + rot @ (xy[i] - hip)
    return Pose(xy=xy, visibility=pose.visibility, world=pose.world, size_wh=pose.size_wh, n_people=1)


def _bursts(ex, garbage_deg: float | None) -> list[tuple[float, Pose]]:
    """Rest, a 1.5 s burst of a wrong skeleton (or nothing wrong), rest; no real bridge."""
    rest = synth.render(synth.hook_lying(), synth.Camera(view="side", facing="left").fit(
        synth.landmarks_lab(synth.hook_lying())))
    out = []
    for i in range(int(5.0 * FPS)):
        t = i / FPS
        pose = rest
        if garbage_deg is not None and 1.5 <= t < 3.0:
            pose = _turned_leg(rest, garbage_deg)
        out.append((t, pose))
    return out


def _find_turn(ex) -> float:
    """The leg turn that makes the signed hip angle read about 320 (a value no bridge has)."""
    spec = ex.angles["hip"]
    raw = ex.model_copy(update={"angles": {**ex.angles, "hip": spec.model_copy(update={"plausible": None})}})
    fs = FeatureSet(raw)
    rest = synth.render(synth.hook_lying(), synth.Camera(view="side", facing="left").fit(
        synth.landmarks_lab(synth.hook_lying())))
    for deg in range(-180, 180, 2):
        if abs(fs.values(_turned_leg(rest, deg), "left")["hip"] - 320) < 2:
            return float(deg)
    raise AssertionError("no turn gives 320")


def _count(ex, frames) -> int:
    s = Session(ex)
    for t, pose in frames:
        s.process(t, pose)
    return s.summary()["reps"]


def test_a_burst_of_impossible_angles_is_not_a_rep():
    ex = find_exercise("glute_bridge")
    assert ex.angles["hip"].plausible == (60.0, 240.0)
    turn = _find_turn(ex)
    assert _count(ex, _bursts(ex, turn)) == 0
    # the mechanism, removed: the same burst counts a rep nobody made
    spec = ex.angles["hip"]
    without = ex.model_copy(update={"angles": {**ex.angles, "hip": spec.model_copy(update={"plausible": None})}})
    assert _count(without, _bursts(without, turn)) == 1


def test_values_outside_the_plausible_range_read_as_unmeasured():
    ex = find_exercise("glute_bridge")
    fs = FeatureSet(ex)
    rest = synth.render(synth.hook_lying(), synth.Camera(view="side", facing="left").fit(
        synth.landmarks_lab(synth.hook_lying())))
    assert 60 <= fs.values(rest, "left")["hip"] <= 240
    assert math.isnan(fs.values(_turned_leg(rest, _find_turn(ex)), "left")["hip"])


def test_plausible_must_be_an_ordered_pair():
    from posecoach.core.exercise.schema import Feature

    Feature(points=["near_shoulder", "near_hip", "near_knee"], plausible=(60, 240))
    with pytest.raises(ValueError, match="plausible"):
        Feature(points=["near_shoulder", "near_hip", "near_knee"], plausible=(240, 60))
