"""Signals that carry small movements on real people (issue 9), checked on generated data.

Measured on the shared real clips (MediaPipe landmarks, see bench/results/footage.md):

- **pelvic tilt, side view**: the joint angles barely move (shoulder-hip-knee +1.4 deg on
  the clip, +0.8 deg on its mirror, frame noise ~0.1 deg), but the hip point slides about
  1% of the body length toward the shoulder while shoulder and planted foot stay put.  The
  exercise counts an ``offset``: where the hip lies along ankle -> shoulder (fraction,
  rising).  The synthetic tilt (``synth.pelvic_tilt``) rolls the pelvis on the sacrum so
  the hip point does the same.
- **cat-cow, side view**: the shoulder-hip-knee angle opens 6-12 deg in the cat (the pelvis
  tucks under with the lumbar spine) and closes in the cow, also when the head stays down.

These tests pin the properties the signals rely on: the direction of the change, the same
value facing left or right (a mirrored video), and the same count at half the frame rate.
"""

from __future__ import annotations

from typing import Any

import pytest

from posecoach.core.exercise import Exercise
from posecoach.core.features import FeatureSet
from posecoach.testing import synth as S
from posecoach.testing.scenarios import quadruped as Q

BACK_ANGLE: dict[str, Any] = {"points": ["near_shoulder", "near_hip", "near_knee"]}


def _with_signal(base: Exercise, name: str, feature: dict[str, Any], rep: dict[str, Any] | None) -> Exercise:
    """``base`` with one more feature (and, given ``rep``, counting on it)."""
    data = base.model_dump()
    data["angles"][name] = feature
    if rep is not None:
        data["rep"] = {**data["rep"], **rep}
    return Exercise.model_validate(data)


def _value_at(ex: Exercise, sc: S.Scenario, name: str, t: float) -> float:
    """The feature ``name`` on the near side of the frame closest to ``t``."""
    fs = FeatureSet(ex)
    _, pose = min(sc.poses, key=lambda tp: abs(tp[0] - t))
    assert pose is not None
    side = "left" if pose.visibility[11] >= pose.visibility[12] else "right"
    return fs.values(pose, side)[name]


@pytest.fixture
def pelvic(exercise) -> Exercise:
    ex = exercise("pelvic_tilt")
    assert ex.rep.angle == "pelvis_slide" and ex.angles["pelvis_slide"].kind == "offset"
    return ex


@pytest.mark.parametrize("facing", ["left", "right"])
def test_pelvis_slide_rises_with_a_posterior_tilt(pelvic, facing):
    """A bigger tilt slides the hip further toward the shoulder; facing does not matter."""
    got = []
    for tilt in (4.0, 8.0, 12.0):
        sc = S.pelvic_tilt(1, tilt_deg=tilt, facing=facing)
        a, b = sc.truth["peak_windows"][0]
        got.append(_value_at(pelvic, sc, "pelvis_slide", (a + b) / 2) - _value_at(pelvic, sc, "pelvis_slide", 0.0))
    assert 0 < got[0] < got[1] < got[2]
    assert got[1] > pelvic.rep.peak + pelvic.rep.hysteresis  # an 8 deg tilt (1% slide) counts


def test_pelvis_slide_is_the_same_facing_left_or_right(pelvic):
    """A mirrored video gives the same value (the offset is a ratio of lengths along the body)."""
    vals = []
    for facing in ("left", "right"):
        sc = S.pelvic_tilt(1, facing=facing)
        vals.append(_value_at(pelvic, sc, "pelvis_slide", 0.0))
    assert vals[0] == pytest.approx(vals[1], abs=1e-3)


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("stride", [1, 2])
def test_pelvis_slide_counts_each_tilt_and_times_its_hold(run_session, pelvic, facing, stride):
    """Four held tilts count four, facing either way and at half the frame rate (stride 2)."""
    sc = S.pelvic_tilt(4, hold_s=3.0, facing=facing)
    session, _ = run_session(pelvic, sc.poses[::stride])
    s = session.summary()
    assert s["reps"] == 4, s["rep_details"]
    for got in s["rep_details"]:
        assert got["hold_s"] == pytest.approx(3.0, abs=0.75)


def test_pelvis_slide_does_not_count_lying_still(run_session, pelvic):
    """No tilt (the same posture throughout), a little pixel noise: nothing counts."""
    sc = S.pelvic_tilt(4, tilt_deg=0.0, noise_px=0.3, seed=3)
    session, _ = run_session(pelvic, sc.poses)
    assert session.summary()["reps"] == 0


@pytest.mark.parametrize("facing", ["left", "right"])
def test_back_angle_opens_in_the_cat_and_closes_in_the_cow(exercise, facing):
    """The shoulder-hip-knee angle carries cat-cow from the side, whichever way the person faces."""
    ex = _with_signal(exercise("cat_cow"), "back", BACK_ANGLE, None)
    sc = Q.cat_cow(1, camera=S.Camera(view="side", facing=facing))
    a, b = sc.truth["peak_windows"][0]
    cow = _value_at(ex, sc, "back", 0.0)
    cat = _value_at(ex, sc, "back", (a + b) / 2)
    assert cat - cow > 6.0  # 8.5 in the model; 6-12 on the two real clips


@pytest.mark.parametrize("start", ["cow", "cat"])
@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("stride", [1, 2])
def test_cat_cow_counts_each_cycle_from_either_end(run_session, start, facing, stride):
    """Four cycles, started in the cow or in the cat (real clips do both), facing either way, at
    30 and 15 fps: four reps.  Counted from the person's own start (rep.relative); a clip that
    ends in the cat after the last cycle counts it (the end of the stream, held a second)."""
    cam = S.Camera(view="side", facing=facing)
    if start == "cow":
        sc = Q.cat_cow(4, camera=cam, noise_px=1.5)
    else:
        sc = Q.make_scenario("cat_cow", Q.cat(), [Q.cow()] * 4, [None] * 4, rep_s=[5.0] * 4, hold_s=0.5,
                             noise_px=1.5, camera=cam)
    session, _ = run_session("cat_cow", sc.poses[::stride])
    s = session.summary()
    assert s["reps"] == 4, s["rep_details"]
    assert s["faults"] == {}
