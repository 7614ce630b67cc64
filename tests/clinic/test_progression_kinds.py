"""The progression rule follows the exercise's kind (issue 12 item 8): a rep exercise gets more reps,
a hold exercise (a plank) holds longer and keeps its number of holds."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from posecoach.clinic.patients import Clinic
from posecoach.clinic.progression import holds_progress, progress_plan
from posecoach.clinic.records import ProgressionRule
from posecoach.errors import InvalidValue

RULE = {"add_reps": 2, "every_n_sessions": 3, "max_reps": 14, "add_hold_s": 5, "max_hold_s": 30}
PLANK = {"exercise_id": "plank", "sets": 3, "reps": 1, "hold_s": 20}
BRIDGE = {"exercise_id": "glute_bridge", "sets": 2, "reps": 8, "hold_s": 3}


def _s(ex: str, before: int = 2, after: int = 2, stopped: str = "completed", day: int = 1) -> dict:
    return {"exercise_id": ex, "pain_before": before, "pain_after": after, "stopped": stopped,
            "date": f"2026-03-{day:02d}"}


def test_the_kind_comes_from_the_exercise_file():
    assert holds_progress("plank") and holds_progress("side_plank")
    assert not holds_progress("glute_bridge") and not holds_progress("bird_dog")  # reps with a hold each
    assert not holds_progress("no_such_exercise")


def test_a_hold_exercise_holds_longer_and_keeps_its_holds():
    out = progress_plan(PLANK, [_s("plank")] * 3, RULE)
    assert (out.reps, out.hold_s, out.base_hold_s, out.base_reps) == (1, 25.0, 20, 1)
    assert "+5 s hold" in out.progression
    out = progress_plan(PLANK, [_s("plank")] * 12, RULE)
    assert (out.reps, out.hold_s) == (1, 30.0) and "maximum of 30 s" in out.progression
    assert out.sessions_to_next is None
    # pain rose by 2: one step (5 s) back, never below the prescribed 20 s
    out = progress_plan(PLANK, [_s("plank")] * 6 + [_s("plank", 2, 4)], RULE)
    assert (out.reps, out.hold_s) == (1, 25.0) and "dropped one step" in out.progression
    out = progress_plan(PLANK, [_s("plank", stopped="pain")], RULE)
    assert out.hold_s == 20.0


def test_a_rep_exercise_gets_more_reps_and_keeps_its_hold():
    out = progress_plan(BRIDGE, [_s("glute_bridge")] * 3, RULE)
    assert (out.reps, out.hold_s) == (10, 3) and "+2" in out.progression
    assert progress_plan(BRIDGE, [_s("glute_bridge")] * 30, RULE).reps == 14


def test_the_kind_can_be_given():
    assert progress_plan(BRIDGE, [_s("glute_bridge")] * 3, RULE, holds=True).hold_s == 8.0
    assert progress_plan(PLANK, [_s("plank")] * 3, RULE, holds=False).reps == 3


def test_hold_rule_validation():
    assert ProgressionRule.of(None).add_hold_s == 5.0 and ProgressionRule.of(None).max_hold_s == 60.0
    assert ProgressionRule.of({"add_reps": 1}).max_hold_s == 60.0  # a rule stored before has the defaults
    with pytest.raises(InvalidValue, match="max_hold_s"):
        ProgressionRule.of({"max_hold_s": 0})
    with pytest.raises(InvalidValue, match="add_hold_s"):
        ProgressionRule.of({"add_hold_s": -1})


def test_todays_plan_progresses_a_plank_by_its_hold(tmp_path):
    with Clinic(tmp_path / "c.sqlite") as c:
        pid = c.add_patient("P")
        c.set_programme(pid, [PLANK, BRIDGE], rule={**RULE, "every_n_sessions": 1},
                        created_at=datetime(2026, 3, 1, 8, 0))
        for ex, n in (("plank", 1), ("glute_bridge", 8)):
            c.save_session(pid, ex, source="t", reps=[{"index": i + 1, "hold_s": 21.0} for i in range(n)],
                           events=[], summary={}, pain_before=2, pain_after=2, planned_sets=1, planned_reps=n,
                           started_at=datetime(2026, 3, 2, 9, 0))
        plan = {i.exercise_id: i for i in c.todays_plan(pid, today=date(2026, 3, 3))}
        assert (plan["plank"].reps, plan["plank"].hold_s) == (1, 25.0)
        assert (plan["glute_bridge"].reps, plan["glute_bridge"].hold_s) == (10, 3)


def test_a_session_with_nothing_done_does_not_progress():
    empty = {**_s("glute_bridge"), "reps_done": 0}
    assert progress_plan(BRIDGE, [empty] * 6, RULE).reps == 8
    assert progress_plan(PLANK, [{**_s("plank"), "reps_done": 0}] * 6, RULE).hold_s == 20
    assert progress_plan(BRIDGE, [{**_s("glute_bridge"), "reps_done": 5}] * 3, RULE).reps == 10
    # stopped for pain at once still holds back
    out = progress_plan(BRIDGE, [{**_s("glute_bridge"), "reps_done": 5}] * 2 + [{**empty, "stopped": "pain"}]
                        + [{**_s("glute_bridge"), "reps_done": 5}], RULE)
    assert out.reps == 8 and out.sessions_counted == 1
