"""How a form fault is judged (issue 13): which limit is in force (the textbook one, the patient's
reference, the person's own earlier reps, their own rest), which view can judge it (and the one
note said when it cannot), faults on attempts that do not count, and the value and limit recorded.

The engine tests feed plain feature values (``main`` is the rep's angle, rest 170 -> peak 110);
the session tests use the generated squat."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from posecoach.clinic.db.targets import check as check_targets
from posecoach.clinic.references import reference_from_frames
from posecoach.clinic.targets import derive_targets, targets_for
from posecoach.core.engine import ExerciseEngine, Targets
from posecoach.core.engine.rules import view_note
from posecoach.core.session import Session
from posecoach.errors import InvalidValue
from posecoach.testing import synth as S


def rep_frames(sig, peak: float, aux: float, *, up_s: float = 0.8, hold_s: float = 0.3, rest_aux: float | None = None):
    """One rep of ``main`` from 170 to ``peak`` and back, ``aux`` held at ``aux`` inside the rep
    (and at ``rest_aux`` at rest, if given)."""
    ra = aux if rest_aux is None else rest_aux
    rest = [{"main": v, "aux": ra} for v in sig.hold(170, 1.2)]
    move = [{"main": v, "aux": aux} for v in sig.ramp(170, peak, up_s) + sig.hold(peak, hold_s) + sig.ramp(peak, 170, up_s)]
    return rest + move + [{"main": v, "aux": ra} for v in sig.hold(170, 0.5)]


def aux_rule(**kw):
    return {"id": "aux_fault", "angle": "aux", "phase": "peak", "cue": "Mind the aux", **kw}


# --------------------------------------------------------------------------- limits in force
def test_the_textbook_limit_applies_without_a_reference(make_exercise, sig, feed):
    ex = make_exercise(form_rules=[aux_rule(above=30, above_own=5)])
    eng = ExerciseEngine(ex)
    feed(eng, rep_frames(sig, 100, 29) + rep_frames(sig, 100, 31))
    assert [r.faults for r in eng.reps] == [[], ["aux_fault"]]
    d = eng.reps[1].fault_details[0]
    assert d == {"id": "aux_fault", "value": 31.0, "limit": 30.0, "limit_from": "textbook", "cue": "Mind the aux"}
    assert eng.reps[0].measured == {"aux_fault": 29.0}


def test_a_reference_replaces_the_textbook_limit_both_ways(make_exercise, sig, feed):
    """A stiff patient's accepted 40 is not a fault against the textbook 30; 46 is (40 + 5)."""
    ex = make_exercise(form_rules=[aux_rule(above=30, above_own=5)])
    eng = ExerciseEngine(ex, targets=Targets(rule_refs={"aux_fault": 40.0}))
    feed(eng, rep_frames(sig, 100, 44) + rep_frames(sig, 100, 46))
    assert [r.faults for r in eng.reps] == [[], ["aux_fault"]]
    assert eng.reps[1].fault_details[0]["limit"] == 45.0
    assert eng.reps[1].fault_details[0]["limit_from"] == "reference"
    # and a stricter personal limit than the textbook one: a flexible patient's 20 + 5
    eng = ExerciseEngine(ex, targets=Targets(rule_refs={"aux_fault": 20.0}))
    feed(eng, rep_frames(sig, 100, 24) + rep_frames(sig, 100, 26))
    assert [r.faults for r in eng.reps] == [[], ["aux_fault"]]
    assert eng.rules.limit_sources() == {"aux_fault": "reference"}


def test_without_a_textbook_limit_the_persons_own_earlier_reps_set_it(make_exercise, sig, feed):
    """Depth has no textbook value: a rep 15 shallower than the person's own counts as shallow,
    once there are ``own_reps`` reps to compare with (none judged before)."""
    ex = make_exercise(form_rules=[{"id": "shallow", "metric": "peak", "above_own": 15, "own_reps": 2,
                                    "cue": "Bend a little deeper"}])
    eng = ExerciseEngine(ex)
    feed(eng, rep_frames(sig, 80, 0) + rep_frames(sig, 82, 0) + rep_frames(sig, 96, 0) + rep_frames(sig, 98, 0))
    # the 3rd: own = median(80, 82) = 81, 96 is just inside (limit 96); the 4th: own = median(80, 82, 96)
    # = 82, 98 is outside (limit 97); the first two are not judged at all
    assert [r.faults for r in eng.reps] == [[], [], [], ["shallow"]]
    d = eng.reps[3].fault_details[0]
    assert d["limit_from"] == "earlier reps" and d["limit"] == pytest.approx(97.0, abs=0.2)
    assert eng.rules.limit_sources() == {"shallow": "earlier reps"}


def test_own_rest_compares_with_the_value_just_before_the_rep(make_exercise, sig, feed):
    """``own: rest``: a lean of 12 in the rep is no fault for someone who stands at 8 (limit 8 + 6),
    and is one for someone who stands at 4."""
    ex = make_exercise(form_rules=[aux_rule(phase="moving", stat="max", own="rest", above_own=6)])
    eng = ExerciseEngine(ex)
    feed(eng, rep_frames(sig, 100, 12, rest_aux=8) + rep_frames(sig, 100, 12, rest_aux=4))
    assert [r.faults for r in eng.reps] == [[], ["aux_fault"]]
    assert eng.reps[1].fault_details[0]["limit_from"] == "rest"
    assert eng.reps[1].fault_details[0]["limit"] == pytest.approx(10.0, abs=0.1)


# --------------------------------------------------------------------------- views
@pytest.mark.parametrize("view, judged", [("front", True), ("side", False), (None, False)])
def test_a_fault_is_judged_only_in_the_views_it_names(make_exercise, sig, feed, view, judged):
    ex = make_exercise(form_rules=[aux_rule(above=30, views=["front"], label="knees caving in")])
    eng = ExerciseEngine(ex)
    eng.set_view(view)
    events = [e for f in feed(eng, rep_frames(sig, 100, 40) * 3) for e in f]
    assert [r.faults for r in eng.reps] == ([["aux_fault"]] * 3 if judged else [[], [], []])
    notes = [e.detail for e in events if e.kind == "view_note"]
    # from the side it says once what it cannot check and how to turn; with no view known, nothing
    assert notes == ([] if judged or view is None else [view_note("side", ex.form_rules)])
    if view == "side":
        assert notes[0] == "From the side I cannot check knees caving in: face the camera to have it checked"
        assert eng.rules.unjudged == {"aux_fault": 3}


def test_the_session_says_the_view_note_once_and_reports_the_faults_it_could_not_judge(exercise):
    sc = S.squat(4, fault="knees_cave", view="side", noise_px=1.0, seed=2)
    s = Session(exercise("squat"))
    for t, p in sc.poses:
        s.process(t, p)
    sm = s.summary()
    assert sm["reps"] == 4 and sm["faults"] == {}
    assert len(sm["view_notes"]) == 1 and "knees caving in" in sm["view_notes"][0]
    assert [c["kind"] for c in sm["cues"]].count("note") == 1
    assert sm["faults_not_judged_in_view"]["knees_cave"] == 4
    # the same squats from the front: caught on every rep, no note
    sc = S.squat(4, fault="knees_cave", view="front", noise_px=1.0, seed=2)
    s = Session(exercise("squat"))
    for t, p in sc.poses:
        s.process(t, p)
    sm = s.summary()
    assert sm["faults"].get("knees_cave") == 4 and not any("knees" in n for n in sm["view_notes"])


# --------------------------------------------------------------------------- attempts that do not count
def test_a_shallow_attempt_is_judged_at_its_own_deepest_point(make_exercise, sig, feed, event_kinds):
    """Not deep enough to count (peak 110 not reached), but the aux fault at its bottom is told."""
    ex = make_exercise(form_rules=[aux_rule(above=30)])
    eng = ExerciseEngine(ex)
    events = feed(eng, rep_frames(sig, 125, 40))
    assert eng.count == 0 and len(eng.partials) == 1
    p = eng.partials[0]
    assert p.faults == ["short_of_peak", "aux_fault"] and p.why == "short of the peak"
    assert p.to_dict()["why_not_counted"] == "short of the peak"
    # how far it went, against the peak it did not reach, and what was said
    assert p.fault_details[0] == {"id": "short_of_peak", "value": 125.0, "limit": 110.0, "limit_from": "textbook",
                                  "cue": "Go a bit further"}
    assert event_kinds(events).count("fault") == 1 and "partial" in event_kinds(events)
    assert eng.fault_counts == {"aux_fault": 1}  # (the tally keeps to the file's rules)


def test_an_attempt_too_fast_to_count_hears_slow_down(make_exercise, sig, feed):
    ex = make_exercise(rep={"min_duration_s": 1.0},
                       form_rules=[{"id": "too_fast", "metric": "duration_s", "below": 1.5, "cue": "Slow down"}])
    eng = ExerciseEngine(ex)
    events = [e for f in feed(eng, rep_frames(sig, 100, 0, up_s=0.3, hold_s=0.1)) for e in f]
    assert eng.count == 0
    assert [(p.why, p.faults) for p in eng.partials] == [("too fast to count", ["too_fast"])]
    assert [e.detail for e in events if e.kind == "reset"] == ["too short to be a rep"]
    # a blip of noise (under half the minimum) is no attempt
    eng = ExerciseEngine(ex)
    feed(eng, rep_frames(sig, 100, 0, up_s=0.1, hold_s=0.0))
    assert eng.partials == []


def test_a_shallow_attempt_is_not_told_to_slow_down(make_exercise, sig, feed):
    """Half a movement is quicker than a whole one at the same pace: no duration rule on it."""
    ex = make_exercise(form_rules=[{"id": "too_fast", "metric": "duration_s", "below": 5.0, "cue": "Slow down"}])
    eng = ExerciseEngine(ex)
    feed(eng, rep_frames(sig, 125, 0))
    assert len(eng.partials) == 1 and eng.partials[0].faults == ["short_of_peak"]


# --------------------------------------------------------------------------- the reference gives the limits
def test_a_reference_recording_gives_personal_limits_that_reach_the_engine(exercise):
    ex = exercise("squat")
    ref = S.squat(3, view="front", noise_px=0.5, seed=1)
    trace, reps, _ = reference_from_frames(ex, [(t, p, False) for t, p in ref.poses])
    stored = derive_targets(ex, trace, reps)
    refs = stored["rule_refs"]
    assert set(refs) >= {"knees_cave", "weight_shift", "shallow"}
    assert refs["shallow"] == pytest.approx(min(r["peak_angle"] for r in reps), abs=3)
    tg = targets_for(ex, check_targets(stored))
    assert tg is not None and tg.rule_refs == pytest.approx(refs)
    # a rule id the exercise does not have (an older file) is dropped, not passed on
    assert "gone" not in targets_for(ex, {**stored, "rule_refs": {**refs, "gone": 1.0}}).rule_refs


def test_stored_rule_refs_are_checked():
    with pytest.raises(InvalidValue, match="rule_refs"):
        check_targets({"rule_refs": [1, 2]})
    with pytest.raises(InvalidValue):
        check_targets({"rule_refs": {"x": float("nan")}})


# --------------------------------------------------------------------------- the file format
@pytest.mark.parametrize("rule, message", [
    (aux_rule(), "below"),
    (aux_rule(own="rest", above=3), "own: rest"),
    ({"id": "m", "metric": "duration_s", "own": "rest", "above_own": 1, "cue": "x"}, "own: rest"),
    (aux_rule(above=3, views=[]), "views"),
    (aux_rule(above=3, views=["front", "front"]), "views"),
])
def test_bad_fault_limits_are_refused(make_exercise, rule, message):
    with pytest.raises(ValidationError, match=message):
        make_exercise(form_rules=[rule])


def test_a_fault_no_view_of_the_exercise_can_judge_is_refused(make_exercise):
    with pytest.raises(ValidationError, match="never"):
        make_exercise(view="side", form_rules=[aux_rule(above=3, views=["front"])])


def test_a_feature_minus_another(make_exercise):
    ex = make_exercise(angles={"main": {"points": ["near_hip", "near_knee", "near_ankle"]},
                               "aux": {"points": ["near_shoulder", "near_hip", "near_knee"], "minus": "main"}})
    from posecoach.core.features import FeatureSet

    pose = S.render(S.squat_posture(90.0), S.Camera().fit(S.landmarks_lab(S.standing())))
    v = FeatureSet(ex).values(pose, "left")
    plain = FeatureSet(make_exercise()).values(pose, "left")
    assert v["aux"] == pytest.approx(plain["aux"] - plain["main"])
    with pytest.raises(ValidationError, match="minus"):
        make_exercise(angles={"main": {"points": ["near_hip", "near_knee", "near_ankle"], "minus": "nope"}})


def test_todays_planned_hold_keeps_the_personal_limits(exercise):
    """The app adds the plan's hold to the patient's targets; the reference's limits stay."""
    from types import SimpleNamespace

    from posecoach.app.run import patient_targets

    judge = SimpleNamespace(engine_targets=Targets(rest=150.0, peak=165.0, rule_refs={"hips_low": 170.0}),
                            targets={"rest": 150.0, "peak": 165.0})
    tg, stored = patient_targets(exercise("glute_bridge"), judge, 8.0)
    assert tg is not None and tg.hold_s == 8.0 and tg.rule_refs == {"hips_low": 170.0} and tg.rest == 150.0
    assert stored is not None and stored["hold_s"] == 8.0


def test_the_view_for_faults_is_left_only_past_its_boundary_by_the_hysteresis(exercise):
    """A front-on squat read at yaw 28-36 (a mirrored picture reads a few degrees off) stays front;
    only past 38 (30 + 8) is it oblique, and back to front only under 22 (30 - 8)."""
    s = Session(exercise("squat"))
    seen = []
    for yaw in (25, 33, 36, 28, 37, 39, 31, 25, 21, 65, 55, 51):
        s._yaw = float(yaw)
        seen.append(s._judge_fault_view())
    assert seen == ["front"] * 5 + ["oblique"] * 3 + ["front", "side", "side", "oblique"]
    s._yaw = None  # (a cut: the view is judged afresh)
    assert s._judge_fault_view() is None and s.view is None


def test_a_hold_sinking_from_where_it_started_is_told_and_still_timed(make_exercise, sig, feed):
    """``own: hold_start``: the position of the first second at the peak is the patient's own; a
    sink of more than 10 from it for a second is a fault, and (``pause_hold: false``) the hold goes on."""
    rule = aux_rule(phase="always", own="hold_start", below_own=10, persist_s=1.0, pause_hold=False)
    ex = make_exercise(hold={"seconds": 20}, form_rules=[rule])

    def hold(sink_to: float) -> list:
        frames = [{"main": v, "aux": 180.0} for v in sig.hold(170, 1.0) + sig.ramp(170, 100, 0.5)]
        frames += [{"main": 100.0, "aux": 180.0} for _ in sig.hold(100, 1.5)]  # the first second: 180
        frames += [{"main": 100.0, "aux": a} for a in sig.ramp(180, sink_to, 2.0) + sig.hold(sink_to, 2.0)]
        return frames + [{"main": v, "aux": sink_to} for v in sig.ramp(100, 170, 0.5) + sig.hold(170, 0.5)]

    inside, outside = ExerciseEngine(ex), ExerciseEngine(ex)
    feed(inside, hold(170.5))
    feed(outside, hold(169.0))
    assert inside.reps[0].faults == [] and outside.reps[0].faults == ["aux_fault"]
    d = outside.reps[0].fault_details[0]
    assert d["limit_from"] == "hold start" and d["limit"] == pytest.approx(170.0) and d["value"] < 170.0
    assert outside.reps[0].hold_s == pytest.approx(inside.reps[0].hold_s, abs=0.05)  # still timed
    # the same rule stopping the clock (the default) times less
    paused = ExerciseEngine(make_exercise(hold={"seconds": 20}, form_rules=[{**rule, "pause_hold": True}]))
    feed(paused, hold(169.0))
    assert paused.reps[0].hold_s < outside.reps[0].hold_s - 0.5


@pytest.mark.parametrize("rule, message", [
    (aux_rule(own="hold_start", below_own=5), "hold_start"),
    (aux_rule(phase="always", own="hold_start", below=5), "hold_start"),
    (aux_rule(above=3, pause_hold=False), "pause_hold"),
])
def test_hold_start_and_pause_hold_are_for_always_rules(make_exercise, rule, message):
    with pytest.raises(ValidationError, match=message):
        make_exercise(form_rules=[rule])
