"""Which side a rep went to (``rep.side_from``) and the signed ``offset`` feature."""

from __future__ import annotations

import numpy as np
import pytest

from posecoach.core.exercise import find_exercise
from posecoach.core.features import FeatureSet
from posecoach.core.landmarks import INDEX
from posecoach.testing.scenarios import supine
from posecoach.core.session import Session
from posecoach.core.types import Pose


def test_offset_is_signed_along_the_axis():
    ex = find_exercise("trunk_rotation")
    xy = np.zeros((33, 2))
    world = np.zeros((33, 3))
    world[INDEX["left_hip"]] = (0.13, 0, 0)
    world[INDEX["right_hip"]] = (-0.13, 0, 0)
    for name in ("left_knee", "right_knee"):
        world[INDEX[name]] = (0.26, -0.3, -0.2)  # knees one hip width to the left
    pose = Pose(xy=xy, visibility=np.ones(33), world=world)
    fs = FeatureSet(ex)
    assert fs.values(pose, "left")["roll_direction"] == pytest.approx(1.0)
    world[INDEX["left_knee"], 0] = world[INDEX["right_knee"], 0] = -0.13
    pose = Pose(xy=xy, visibility=np.ones(33), world=world)
    assert fs.values(pose, "left")["roll_direction"] == pytest.approx(-0.5)


@pytest.mark.parametrize("legs", ["hook", "tabletop"])
@pytest.mark.parametrize("view, facing", [("side", "left"), ("side", "right"), ("front", "left")])
def test_knee_rolls_are_reported_left_and_right(legs, view, facing):
    sc = supine.trunk_rotation(n_reps=5, legs=legs, view=view, facing=facing, noise_px=1.0, seed=2)
    s = Session(find_exercise("trunk_rotation"))
    for t, p in sc.poses:
        s.process(t, p)
    out = s.summary()
    assert out["reps"] == 5
    assert [d["side"] for d in out["rep_details"]] == ["left", "right", "left", "right", "left"]
    assert out["reps_by_side"] == {"left": 3, "right": 2}
