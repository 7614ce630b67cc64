"""``standing_leg_raise`` (UI-PRMD's m06, the standing active straight-leg raise) end to end on
synthetic sequences (``posecoach.testing.scenarios.functional.standing_leg_raise``).

Each lift counts once for the lifted leg's side, whichever way the person faces; the standing
leg never counts; faults land on the faulty reps; a small lift is not a rep.
Breaks tried: ``sides: near`` instead of ``both`` fails ``test_alternating_legs_count_per_side``
(the far leg's lifts are lost); a peak of 120 fails ``test_correct_lifts_count`` (the 50 degree
lift reads about 130).
"""

from __future__ import annotations

import pytest

from posecoach.core.exercise import find_exercise
from posecoach.core.session import Session
from posecoach.testing.scenarios import functional as F


def run(sc) -> dict:
    session = Session(find_exercise("standing_leg_raise"))
    for t, p in sc.poses:
        session.process(t, p)
    return session.summary()


@pytest.mark.parametrize("leg, facing", [("left", "left"), ("right", "right"), ("left", "right")])
def test_correct_lifts_count(leg, facing):
    sc = F.standing_leg_raise(4, leg=leg, facing=facing, noise_px=2.0, seed=1)
    s = run(sc)
    assert s["reps"] == 4
    assert s["reps_by_side"] == {leg: 4, "left" if leg == "right" else "right": 0}
    assert s["faults"] == {}
    for got, (a, b) in zip(s["rep_details"], sc.truth["rep_windows"]):
        assert a - 0.1 <= got["start_s"] <= a + 0.9 and b - 0.9 <= got["end_s"] <= b + 0.3


def test_alternating_legs_count_per_side():
    legs = ["left", "right", "left", "right", "left"]
    s = run(F.standing_leg_raise(5, leg=legs, noise_px=1.5, seed=2))
    assert s["reps"] == 5
    assert s["reps_by_side"] == {"left": 3, "right": 2}
    assert [d["side"] for d in s["rep_details"]] == legs


@pytest.mark.parametrize("fault", ["knee_bent", "trunk_lean"])
def test_faults_on_the_faulty_reps_only(fault):
    s = run(F.standing_leg_raise(4, fault=fault, fault_reps=[1, 3], noise_px=1.0, seed=3))
    assert s["reps"] == 4
    assert [fault in d["faults"] for d in s["rep_details"]] == [False, True, False, True]


def test_a_small_lift_is_not_a_rep():
    sc = F.standing_leg_raise(3, fault="half", fault_reps=[1], noise_px=1.0, seed=4)
    assert sc.truth["reps"] == 2
    assert run(sc)["reps"] == 2
