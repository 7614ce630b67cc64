"""``rep.start: either``: a cycle may start at either end of the movement.

The engine takes the end the person is first seen at (after the start or a camera cut)
as this session's rest: a sit-to-stand filmed from standing (UI-PRMD's files are cut
stand -> sit -> stand) counts stand -> sit -> stand cycles.  ``up_s``/``down_s`` keep their
meaning (toward the file's peak / toward its rest).

Breaks tried: the flip in ``ExerciseEngine._place`` removed fails
``test_cycles_from_the_peak_end_count`` and the session tests from standing; the up/down swap
in ``_close`` removed fails ``test_up_and_down_keep_their_meaning``; the validation lines removed
fail ``test_either_is_refused_where_the_peak_may_be_the_start``; flipping again after a
counted rep fails ``test_the_orientation_of_counted_reps_is_kept_after_a_cut`` (and the
dead bug cut test); judging the peak rules from the peak end fails
``test_rules_on_the_peak_are_judged_only_from_the_files_rest``.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from posecoach.core.engine import ExerciseEngine, Phase
from posecoach.core.exercise import find_exercise
from posecoach.core.session import Session
from posecoach.testing.scenarios import functional as F

REST, PEAK = 170.0, 110.0  # the made-up exercise of conftest (falling)


def either(make_exercise):
    return make_exercise(rep={"start": "either"})


@pytest.mark.parametrize("n", [1, 3])
def test_cycles_from_the_peak_end_count(make_exercise, sig, feed, n):
    eng = ExerciseEngine(either(make_exercise))
    seq = sig.hold(PEAK, 1.0)
    for _ in range(n):
        seq += sig.cycle(PEAK, REST, up_s=1.0, hold_s=0.3, down_s=1.0)
    feed(eng, seq)
    assert eng.count == n
    assert eng.partials == []


def test_without_it_a_clip_opening_at_the_peak_counts_nothing_of_those_cycles(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise())
    feed(eng, sig.hold(PEAK, 1.0) + sig.cycle(PEAK, REST) + sig.cycle(PEAK, REST))
    # rest is 170: the cycles peak -> rest -> peak end at the peak; one is seen rest -> peak -> rest
    assert eng.count == 1


def test_cycles_from_the_rest_end_still_count_as_before(make_exercise, sig, feed):
    seq = sig.hold(REST, 1.0) + sig.cycle(REST, PEAK) + sig.cycle(REST, PEAK)
    a, b = ExerciseEngine(either(make_exercise)), ExerciseEngine(make_exercise())
    feed(a, seq)
    feed(b, seq)
    assert a.count == b.count == 2
    assert [(r.start_s, r.end_s) for r in a.reps] == [(r.start_s, r.end_s) for r in b.reps]


def test_the_orientation_of_counted_reps_is_kept_after_a_cut(make_exercise, sig, feed):
    """Once this person's reps were counted from the peak end, a shot that opens at the other end
    shows them mid-rep (the real dead bug clip cuts into a rep): nothing counts until they are
    back at their own rest, then cycles count as before."""
    eng = ExerciseEngine(either(make_exercise))
    first = sig.hold(PEAK, 0.5) + sig.cycle(PEAK, REST) + sig.cycle(PEAK, REST)
    feed(eng, first)
    assert eng.count == 2
    t = len(first) / sig.fps
    eng.reset(t, "camera cut")
    assert eng.phase == Phase.UNKNOWN
    second = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, 0.5)
    feed(eng, second, t0=t + 0.1)
    assert eng.count == 2  # the half rep after the cut is not a rep
    feed(eng, sig.cycle(PEAK, REST), t0=t + 0.1 + len(second) / sig.fps)
    assert eng.count == 3


def test_the_end_is_chosen_again_after_a_cut_until_a_rep_counts(make_exercise, sig, feed):
    eng = ExerciseEngine(either(make_exercise))
    first = sig.hold(PEAK, 0.5) + sig.ramp(PEAK, 150.0, 0.5)  # seen at the peak end, no rep yet
    feed(eng, first)
    t = len(first) / sig.fps
    eng.reset(t, "camera cut")
    feed(eng, sig.hold(REST, 0.5) + sig.cycle(REST, PEAK), t0=t + 0.1)
    assert eng.count == 1


def test_up_and_down_keep_their_meaning(make_exercise, sig, feed):
    """From the peak end: the way to the file's rest took 2 s, the way back to its peak 0.5 s."""
    eng = ExerciseEngine(either(make_exercise))
    feed(eng, sig.hold(PEAK, 1.0) + sig.ramp(PEAK, REST, 2.0) + sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 0.5)
         + sig.hold(PEAK, 1.0))
    assert eng.count == 1
    rep = eng.reps[0]
    assert rep.down_s > 1.5 and rep.up_s < 0.8, (rep.up_s, rep.down_s)


def test_no_partial_cue_from_the_peak_end(make_exercise, sig, feed, event_kinds):
    eng = ExerciseEngine(either(make_exercise))
    events = feed(eng, sig.hold(PEAK, 1.0) + sig.ramp(PEAK, 135, 1.0) + sig.ramp(135, PEAK, 1.0) + sig.hold(PEAK, 1))
    partials = [e for ev in events for e in ev if e.kind == "partial"]
    assert eng.count == 0
    assert all(e.detail == "" for e in partials)


def test_either_is_refused_where_the_peak_may_be_the_start(make_exercise):
    with pytest.raises(ValidationError, match="relative"):
        make_exercise(rep={"start": "either", "relative": True, "rest": 0, "peak": 20})
    with pytest.raises(ValidationError, match="either"):
        make_exercise(rep={"start": "either"}, hold={"seconds": 2})
    with pytest.raises(ValidationError, match="either"):
        make_exercise(rep={"start": "either"}, form_rules=[{"id": "x", "cue": "c", "metric": "peak", "below": 90}])
    # rules on the peak or moving phase and timing metrics other than the peak value are fine
    make_exercise(rep={"start": "either"}, form_rules=[
        {"id": "w", "cue": "c", "angle": "aux", "below": 90},
        {"id": "x", "cue": "c", "angle": "aux", "phase": "moving", "below": 90},
        {"id": "y", "cue": "c", "metric": "down_s", "below": 0.3}])


def test_rules_on_the_peak_are_judged_only_from_the_files_rest(make_exercise, sig, feed):
    """From the peak end, the peak phase is the file's rest: its rules are not judged there."""
    # "low" is broken at the file's peak (110), "high" would be at its rest (170)
    ex = make_exercise(rep={"start": "either"}, form_rules=[
        {"id": "low", "cue": "c", "angle": "main", "below": 130},
        {"id": "high", "cue": "c", "angle": "main", "above": 150}])
    from_rest = ExerciseEngine(ex)
    feed(from_rest, sig.hold(REST, 0.5) + sig.cycle(REST, PEAK))
    assert [r.faults for r in from_rest.reps] == [["low"]]
    from_peak = ExerciseEngine(ex)
    feed(from_peak, sig.hold(PEAK, 0.5) + sig.cycle(PEAK, REST))
    assert [r.faults for r in from_peak.reps] == [[]]


# --------------------------------------------------------------------------- sit to stand, end to end


def run(exercise: str, poses) -> dict:
    session = Session(find_exercise(exercise))
    for t, p in poses:
        session.process(t, p)
    return session.summary()


@pytest.mark.parametrize("view, facing", [("side", "left"), ("side", "right"), ("front", "left")])
def test_sit_to_stand_from_standing_counts_every_cycle(view, facing):
    sc = F.stand_to_sit(4, view=view, facing=facing, noise_px=1.5, seed=2)
    s = run("sit_to_stand", sc.poses)
    assert s["reps"] == sc.truth["reps"] == 4
    for got, (a, b) in zip(s["rep_details"], sc.truth["rep_windows"]):
        assert a - 0.1 <= got["start_s"] <= a + 0.9 and b - 0.9 <= got["end_s"] <= b + 0.3
        # down_s is still the sit-down (the rise is 1.5 s, the sit-down 1.8 s, both eased)
        assert got["faults"] == []


def test_sit_to_stand_from_sitting_unchanged_and_half_rate_the_same():
    sc = F.sit_to_stand(4, noise_px=1.5, seed=3)
    assert run("sit_to_stand", sc.poses)["reps"] == 4
    sc2 = F.stand_to_sit(3, noise_px=1.5, seed=4)
    assert run("sit_to_stand", sc2.poses[::2])["reps"] == 3


def test_sit_fast_still_judges_the_sit_down_from_standing():
    # (0.3 s from standing to seated: the knee window 155 -> 115 then takes 0.13 s, under the file's 0.15)
    sc = F.stand_to_sit(2, down_s=0.3, up_s=1.5, noise_px=0.0)
    s = run("sit_to_stand", sc.poses)
    assert s["reps"] == 2
    assert all("sit_fast" in d["faults"] for d in s["rep_details"]), s["rep_details"]
    slow = run("sit_to_stand", F.stand_to_sit(2, down_s=1.8, up_s=0.5).poses)
    assert all("sit_fast" not in d["faults"] for d in slow["rep_details"]), slow["rep_details"]
