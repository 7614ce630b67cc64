"""Angle features (``posecoach.core.features``): conventions, both facings, degenerate input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecoach.core.features import FeatureSet, joint_angle, signed_joint_angle
from posecoach.core.landmarks import INDEX, N_LANDMARKS
from posecoach.core.types import Pose

W, H = 640, 480


def pose(points: dict[str, tuple[float, float]], world: dict[str, tuple[float, float, float]] | None = None,
         vis: dict[str, float] | None = None) -> Pose:
    """A pose with the named landmarks placed (pixels); others at the image centre."""
    xy = np.tile([W / 2, H / 2], (N_LANDMARKS, 1)).astype(float)
    for name, p in points.items():
        xy[INDEX[name]] = p
    v = np.full(N_LANDMARKS, 0.99)
    for name, x in (vis or {}).items():
        v[INDEX[name]] = x
    w = None
    if world is not None:
        w = np.zeros((N_LANDMARKS, 3))
        for name, p in world.items():
            w[INDEX[name]] = p
    return Pose(xy=xy, visibility=v, world=w, size_wh=(W, H))


def mirrored(points: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """The same body seen facing the other way: x flipped."""
    return {k: (W - x, y) for k, (x, y) in points.items()}


def features(make_exercise, **angles) -> FeatureSet:
    spec = {"main": {"points": ["near_hip", "near_knee", "near_ankle"]}, **angles}
    return FeatureSet(make_exercise(angles=spec))


# --------------------------------------------------------------------------- plain functions


@pytest.mark.parametrize("deg", [0.0, 30.0, 90.0, 135.0, 180.0])
def test_joint_angle_matches_construction(deg):
    b = np.array([0.0, 0.0])
    a = np.array([1.0, 0.0])
    c = np.array([math.cos(math.radians(deg)), math.sin(math.radians(deg))]) * 2.5
    assert joint_angle(a, b, c) == pytest.approx(deg, abs=1e-6)
    assert joint_angle(c, b, a) == pytest.approx(deg, abs=1e-6)


def test_joint_angle_3d_and_scale_free():
    a, b, c = np.array([1.0, 0, 0]), np.zeros(3), np.array([0, 0, 3.0])
    assert joint_angle(a, b, c) == pytest.approx(90.0)
    assert joint_angle(10 * a, 10 * b, 10 * c) == pytest.approx(90.0)


@pytest.mark.parametrize("a, b, c", [
    ((1, 1), (1, 1), (3, 4)),  # first segment has zero length
    ((0, 0), (1, 1), (1, 1)),  # second segment has zero length
])
def test_joint_angle_degenerate_is_nan(a, b, c):
    assert math.isnan(joint_angle(np.array(a, float), np.array(b, float), np.array(c, float)))
    assert math.isnan(signed_joint_angle(np.array(a, float), np.array(b, float), np.array(c, float)))


@pytest.mark.parametrize("lift", [5.0, 20.0, 60.0])
def test_signed_up_is_above_180_when_the_vertex_is_above_the_line(lift):
    a, c = np.array([100.0, 300.0]), np.array([500.0, 300.0])
    above, below = np.array([300.0, 300.0 - lift]), np.array([300.0, 300.0 + lift])
    plain = joint_angle(a, above, c)
    assert plain < 180
    assert signed_joint_angle(a, above, c, "up") == pytest.approx(360.0 - plain)
    assert signed_joint_angle(a, below, c, "up") == pytest.approx(plain)
    # 'down' is the mirror convention
    assert signed_joint_angle(a, below, c, "down") == pytest.approx(360.0 - plain)
    assert signed_joint_angle(a, above, c, "down") == pytest.approx(plain)


def test_signed_angle_is_continuous_through_straight():
    a, c = np.array([100.0, 300.0]), np.array([500.0, 300.0])
    vals = [signed_joint_angle(a, np.array([300.0, 300.0 - d]), c, "up") for d in np.linspace(-30, 30, 61)]
    assert np.all(np.diff(vals) > 0)  # rising hips: the angle only grows, through 180
    assert vals[30] == pytest.approx(180.0)


# --------------------------------------------------------------------------- feature sets


BRIDGE = {"left_shoulder": (100.0, 300.0), "left_hip": (300.0, 270.0), "left_knee": (480.0, 240.0),
          "left_ankle": (560.0, 330.0)}


@pytest.mark.parametrize("hip_y, above", [(270.0, False), (255.0, True), (230.0, True), (290.0, False)])
def test_signed_feature_is_the_same_facing_left_or_right(make_exercise, hip_y, above):
    fs = features(make_exercise, hip={"points": ["near_shoulder", "near_hip", "near_knee"], "signed": "up"})
    pts = {**BRIDGE, "left_hip": (300.0, hip_y)}
    # the same pose as seen with the right side toward the camera, facing the other way
    right = {k.replace("left", "right"): v for k, v in mirrored(pts).items()}
    v_left = fs.values(pose(pts), "left")["hip"]
    v_right = fs.values(pose(right), "right")["hip"]
    assert v_left == pytest.approx(v_right)
    # shoulder-knee line at x=300 is y=270 (from 300 to 240 over 380 px)
    line_y = 300.0 + (240.0 - 300.0) * (300.0 - 100.0) / (480.0 - 100.0)
    assert (v_left > 180.0) == (hip_y < line_y) == above


def test_near_and_far_resolve_by_side(make_exercise):
    fs = features(make_exercise, far_knee={"points": ["far_hip", "far_knee", "far_ankle"]})
    straight_left = {"left_hip": (300, 100), "left_knee": (300, 200), "left_ankle": (300, 300)}
    bent_right = {"right_hip": (400, 100), "right_knee": (450, 200), "right_ankle": (400, 300)}
    p = pose({**straight_left, **bent_right})
    left = fs.values(p, "left")
    right = fs.values(p, "right")
    assert left["main"] == pytest.approx(180.0) and left["far_knee"] < 180.0
    assert right["far_knee"] == pytest.approx(180.0) and right["main"] < 180.0
    assert right["main"] == pytest.approx(left["far_knee"])


@pytest.mark.parametrize("pick, want, sign", [("max", 180.0, 1.0), ("min", None, -1.0)])
def test_pick_takes_either_sides_value_and_says_which(make_exercise, pick, want, sign):
    """``pick``: both sides measured, the larger (smaller) value taken, whichever side asked,
    with ``<name>:side`` +1 for the left, -1 for the right; a hidden side is not taken."""
    fs = features(make_exercise, knee={"points": ["near_hip", "near_knee", "near_ankle"], "pick": pick})
    straight_left = {"left_hip": (300, 100), "left_knee": (300, 200), "left_ankle": (300, 300)}
    bent_right = {"right_hip": (400, 100), "right_knee": (450, 200), "right_ankle": (400, 300)}
    p = pose({**straight_left, **bent_right})
    bent = fs.values(p, "right")["main"]
    for side in ("left", "right"):
        v = fs.values(p, side)
        assert v["knee"] == pytest.approx(want if want is not None else bent)
        assert v["knee:side"] == sign
    hidden = pose({**straight_left, **bent_right}, vis={"left_knee": 0.1} if pick == "max" else {"right_knee": 0.1})
    v = fs.values(hidden, "left", 0.5)
    assert v["knee:side"] == -sign  # the other side, the only one seen


def test_pick_needs_a_side(make_exercise):
    with pytest.raises(Exception, match="pick"):
        make_exercise(angles={"main": {"points": ["mid_hip", "left_knee", "left_ankle"], "pick": "max"}})


@pytest.mark.parametrize("dx, dy, vertical, horizontal", [
    (0, -100, 0.0, 90.0),  # b straight above a
    (100, 0, 90.0, 0.0),  # level
    (-100, 0, 90.0, 0.0),  # level, facing the other way
    (100, -100, 45.0, 45.0),
    (-100, -100, 45.0, 45.0),
    (0, 100, 180.0, 90.0),  # b straight below a
])
def test_inclination(make_exercise, dx, dy, vertical, horizontal):
    fs = features(make_exercise,
                  v={"kind": "inclination", "points": ["mid_hip", "mid_shoulder"], "reference": "vertical"},
                  h={"kind": "inclination", "points": ["mid_hip", "mid_shoulder"], "reference": "horizontal"})
    hip = (300.0, 300.0)
    sh = (300.0 + dx, 300.0 + dy)
    p = pose({"left_hip": hip, "right_hip": hip, "left_shoulder": sh, "right_shoulder": sh})
    vals = fs.values(p, "left")
    assert vals["v"] == pytest.approx(vertical)
    assert vals["h"] == pytest.approx(horizontal)


def test_mid_points_are_the_average(make_exercise):
    fs = features(make_exercise, v={"kind": "inclination", "points": ["mid_hip", "mid_shoulder"]})
    p = pose({"left_hip": (280, 300), "right_hip": (320, 300), "left_shoulder": (300, 200), "right_shoulder": (500, 200)})
    # mid hip (300, 300), mid shoulder (400, 200): 45 degrees from vertical
    assert fs.values(p, "left")["v"] == pytest.approx(45.0)


def test_world_inclination_uses_depth(make_exercise):
    fs = features(make_exercise, lean={"kind": "inclination", "points": ["mid_hip", "mid_shoulder"], "space": "world"})
    hip = (0.0, 0.0, 0.0)
    sh = (0.0, -0.5, -0.5)  # up (y down in world) and toward the camera: 45 deg lean seen from the front
    p = pose({}, world={"left_hip": hip, "right_hip": hip, "left_shoulder": sh, "right_shoulder": sh})
    assert fs.values(p, "left")["lean"] == pytest.approx(45.0)


def test_ratio_and_height(make_exercise):
    fs = features(make_exercise,
                  r={"kind": "ratio", "points": ["left_knee", "right_knee", "left_ankle", "right_ankle"]},
                  ht={"kind": "height", "points": ["mid_hip", "mid_shoulder", "left_ankle", "right_ankle"]})
    p = pose({"left_knee": (300, 300), "right_knee": (340, 300), "left_ankle": (280, 400), "right_ankle": (360, 400),
              "left_hip": (320, 250), "right_hip": (320, 250), "left_shoulder": (320, 150), "right_shoulder": (320, 150)})
    vals = fs.values(p, "left")
    assert vals["r"] == pytest.approx(40 / 80)
    # hip (y=250) is below the shoulder (y=150): height of hip above shoulder is negative, in ankle widths
    assert vals["ht"] == pytest.approx((150 - 250) / 80)
    p2 = pose({"left_hip": (320, 150), "right_hip": (320, 150), "left_shoulder": (320, 250), "right_shoulder": (320, 250),
               "left_ankle": (280, 400), "right_ankle": (360, 400)})
    assert fs.values(p2, "left")["ht"] == pytest.approx(100 / 80)


def test_degenerate_features_are_nan(make_exercise):
    fs = features(make_exercise,
                  r={"kind": "ratio", "points": ["left_knee", "right_knee", "left_ankle", "right_ankle"]},
                  ht={"kind": "height", "points": ["mid_hip", "mid_shoulder", "left_ankle", "right_ankle"]},
                  inc={"kind": "inclination", "points": ["mid_hip", "mid_shoulder"]},
                  w={"points": ["near_hip", "near_knee", "near_ankle"], "space": "world"})
    same = (320.0, 240.0)
    p = pose({"left_ankle": same, "right_ankle": same, "left_hip": same, "right_hip": same,
              "left_shoulder": same, "right_shoulder": same, "left_knee": same})
    vals = fs.values(p, "left")
    assert math.isnan(vals["r"]) and math.isnan(vals["ht"]) and math.isnan(vals["inc"])
    assert math.isnan(vals["main"])  # hip == knee
    assert math.isnan(vals["w"])  # no world landmarks in this pose


def test_hidden_landmarks_give_nan(make_exercise):
    fs = features(make_exercise, aux={"points": ["near_shoulder", "near_hip", "near_knee"]})
    p = pose({"left_hip": (300, 100), "left_knee": (300, 200), "left_ankle": (300, 300), "left_shoulder": (300, 0)},
             vis={"left_ankle": 0.2})
    vals = fs.values(p, "left", min_visibility=0.5)
    assert math.isnan(vals["main"])
    assert vals["aux"] == pytest.approx(180.0)
    assert fs.min_visibility(p, "left") == pytest.approx(0.2)
    assert sorted(int(i) for i in fs.needed_landmarks("left")) == sorted(INDEX[n] for n in ("left_hip", "left_knee", "left_ankle"))
