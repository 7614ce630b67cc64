"""Sets (``posecoach.core.sets``): the plan and the tracker that splits the running count."""

from __future__ import annotations

from posecoach.core.exercise import find_exercise
from posecoach.core.sets import SetMilestone, SetPlan, SetTracker


def test_plan_of_an_exercise_takes_todays_sets_and_reps():
    ex = find_exercise("glute_bridge")
    assert SetPlan.of(ex) == SetPlan(ex.dosage.sets, ex.dosage.reps, float(ex.dosage.rest_s))
    assert SetPlan.of(ex, 3, 4).total == 12


def test_milestones_and_the_rest():
    t = SetTracker(SetPlan(sets=3, reps=2, rest_s=20.0))
    assert [t.update(n, 10.0 * n) for n in (1, 2)] == [SetMilestone.NONE, SetMilestone.SET_DONE]
    assert t.rest_left(25.0) == 15.0 and t.current_set == 2
    assert t.update(3, 30.0) == "" and t.rest_until is None  # moving again: the rest is over
    assert t.update(6, 40.0) == SetMilestone.ALL_DONE and t.done  # a set and the plan in one frame
    assert t.set_line() == "Set 3 of 3: done" and t.rep_line() == "2 / 2"
    assert [t.set_of_rep(n) for n in (1, 2, 3, 6, 9)] == [1, 1, 2, 3, 3]
