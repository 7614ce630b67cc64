"""The progression rule (``posecoach.clinic.patients.progress_plan``) and today's plan."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from posecoach.clinic.patients import Clinic, progress_plan

RULE = {"add_reps": 2, "every_n_sessions": 3, "max_reps": 14, "hold_back_if_pain_rises": True}
ITEM = {"exercise_id": "squat", "sets": 2, "reps": 8, "hold_s": None}


def s(before=2, after=2, stopped="completed", ex="squat", day=1) -> dict:
    return {"exercise_id": ex, "pain_before": before, "pain_after": after, "stopped": stopped,
            "date": f"2026-03-{day:02d}"}


def reps(rows, rule=RULE, item=ITEM) -> int:
    return progress_plan(item, rows, rule).reps


def test_reps_go_up_after_n_sessions_without_more_pain():
    assert reps([]) == 8
    assert reps([s()] * 2) == 8
    out = progress_plan(ITEM, [s()] * 3, RULE)
    assert out.reps == 10 and out.base_reps == 8 and out.sets == 2 and "+2" in out.progression
    assert reps([s()] * 5) == 10
    assert reps([s()] * 6) == 12
    assert reps([s(before=5, after=3)] * 3) == 10  # pain went down: counts too
    assert progress_plan(ITEM, [s()] * 4, RULE).sessions_to_next == 2
    assert ITEM["reps"] == 8  # the item is not changed in place


def test_capped_at_max_reps():
    assert reps([s()] * 9) == 14
    assert reps([s()] * 30) == 14
    out = progress_plan(ITEM, [s()] * 30, RULE)
    assert out.sessions_to_next is None
    assert reps([s()] * 3, {**RULE, "add_reps": 5}) == 13
    assert reps([s()] * 6, {**RULE, "add_reps": 5}) == 14
    # prescribed above the cap: kept, never raised
    assert reps([s()] * 6, item={**ITEM, "reps": 20}) == 20


def test_pain_rising_holds_back():
    # two good sessions, then pain rises by one: no step, and the count starts again
    assert reps([s(), s(), s(2, 3)]) == 8
    out = progress_plan(ITEM, [s(), s(), s(2, 3, day=4)], RULE)
    assert "held back" in out.progression and "2->3" in out.progression and out.sessions_counted == 0
    assert reps([s(), s(), s(2, 3), s(), s()]) == 8
    assert reps([s(), s(), s(2, 3), s(), s(), s()]) == 10
    # after a step, a rise of one keeps the reps where they are
    assert reps([s()] * 3 + [s(1, 2)]) == 10


def test_pain_rising_by_two_or_stopping_for_pain_drops_one_step():
    assert reps([s()] * 6 + [s(2, 4)]) == 10
    assert "dropped one step" in progress_plan(ITEM, [s()] * 6 + [s(2, 4)], RULE).progression
    assert reps([s()] * 6 + [s(2, 4), s(3, 6)]) == 8
    assert reps([s()] * 6 + [s(2, 2, stopped="pain")]) == 10
    # never below what the therapist prescribed
    assert reps([s(1, 7)]) == 8 and reps([s(1, 7)] * 3) == 8
    out = progress_plan(ITEM, [s(1, 7)], RULE)
    assert "prescribed" in out.progression


def test_sessions_that_do_not_count():
    # not finished, or ended by a technical problem: skipped entirely
    skipped = [s(stopped=None), s(stopped="error"), s(stopped="camera_lost", after=9)]
    assert reps([s(), s()] + skipped + [s()]) == 10
    # pain not asked: neither counts nor resets the count
    assert reps([s(), s(None, 3), s(4, None), s()]) == 8
    assert reps([s(), s(None, 3), s(), s()]) == 10
    # another exercise's sessions are ignored
    assert reps([s(), s(ex="glute_bridge", before=1, after=8), s(), s()]) == 10
    # stopped by the user but pain did not rise: counts
    assert reps([s(stopped="user")] * 3) == 10


def test_pain_can_be_ignored():
    rule = {**RULE, "hold_back_if_pain_rises": False}
    assert reps([s(1, 5)] * 3, rule) == 10
    assert reps([s(None, None)] * 3, rule) == 10


def test_rule_defaults_and_validation():
    assert progress_plan(ITEM, [s()] * 3, None).reps == 9  # add 1 every 3 sessions
    with pytest.raises(ValueError, match="unknown progression rule key"):
        progress_plan(ITEM, [], {"add": 1})
    with pytest.raises(ValueError, match="every_n_sessions"):
        progress_plan(ITEM, [], {"every_n_sessions": 0})


# ------------------------------------------------------------- today's plan


def run(c, pid, ex, when, before=2, after=2, n=8):
    sid = c.start_session(pid, ex, source="cam", pain_before=before, planned_sets=2, planned_reps=n, started_at=when)
    for i in range(n):
        c.history.add_rep(sid, {"index": i + 1, "peak_angle": 100.0, "faults": []}, set_index=0)
    c.history.finish_session(sid, summary={}, pain_after=after, stopped="completed")


def test_todays_plan_follows_the_programme(tmp_path):
    d0 = datetime(2026, 3, 2, 9, 0)
    with Clinic(tmp_path / "c.db") as c:
        pid = c.add_patient("Ann")
        other = c.add_patient("Bob")
        assert c.todays_plan(pid) == []
        run(c, pid, "squat", d0 - timedelta(days=3))  # before the programme: not counted
        c.set_programme(pid, [ITEM, {"exercise_id": "glute_bridge", "sets": 3, "reps": 10, "hold_s": 2}],
                        days_per_week=3, rule=RULE, created_at=d0 - timedelta(hours=1))
        prog = c.programme(pid)
        assert prog.days_per_week == 3 and prog.rule.to_dict() == {**RULE, "add_hold_s": 5.0, "max_hold_s": 60.0} and prog.items[1].hold_s == 2.0
        for k in range(3):
            run(c, pid, "squat", d0 + timedelta(days=k))
            run(c, other, "squat", d0 + timedelta(days=k), before=1, after=9)  # Bob's pain is not Ann's
        run(c, pid, "glute_bridge", d0, before=2, after=5)
        day4 = (d0 + timedelta(days=3)).date()
        plan = {p.exercise_id: p for p in c.todays_plan(pid, today=day4)}
        assert plan["squat"].reps == 10 and plan["squat"].sets == 2 and plan["squat"].done_today == 0
        assert plan["glute_bridge"].reps == 10 and plan["glute_bridge"].hold_s == 2.0
        # a session today does not change today's plan, only tomorrow's
        run(c, pid, "squat", datetime.combine(day4, datetime.min.time()) + timedelta(hours=10), before=2, after=6)
        plan = {p.exercise_id: p for p in c.todays_plan(pid, today=day4)}
        assert plan["squat"].reps == 10 and plan["squat"].done_today == 1
        tomorrow = {p.exercise_id: p for p in c.todays_plan(pid, today=day4 + timedelta(days=1))}
        assert tomorrow["squat"].reps == 8  # pain rose by 4: one step back
        # a new programme starts counting again
        c.set_programme(pid, [{"exercise_id": "squat", "sets": 1, "reps": 12}], rule=RULE)
        assert [p.reps for p in c.todays_plan(pid, today=date.today())] == [12]


def test_programme_validation(tmp_path):
    with Clinic(tmp_path / "c.db") as c:
        pid = c.add_patient("Ann")
        for items, kw, match in (
            ([], {}, "at least one"),
            ([{"sets": 1}], {}, "exercise_id"),
            ([{"exercise_id": "squat", "reps": 0}], {}, "reps must be"),
            ([{"exercise_id": "squat", "sets": 1.5}], {}, "sets must be"),
            ([{"exercise_id": "squat", "hold_s": -1}], {}, "hold_s"),
            ([ITEM, ITEM], {}, "twice"),
            ([ITEM], {"days_per_week": 8}, "from 1 to 7"),
            ([ITEM], {"rule": {"max_reps": 0}}, "max_reps"),
        ):
            with pytest.raises(ValueError, match=match) as e:
                c.set_programme(pid, items, **kw)
            assert "\n" not in str(e.value)
        with pytest.raises(KeyError):
            c.set_programme(99, [ITEM])
        assert c.programme(pid) is None
