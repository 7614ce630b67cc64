"""Every form rule at its limit, facing both ways: just inside is silent, just outside is caught.

For each form rule of the exercises below (``posecoach.testing.scenarios.knobs`` gives each a
magnitude knob), ``posecoach.testing.limits.check_rule`` moves the knob until one generated rep
measures just inside the limit in force and another just outside it ("just": within one degree
for an angle, 3 % of the limit for a ratio or height, 3 % or 1.5 frames for a duration;
``limits.margin_for``), and checks that the fault is raised exactly on the reps beyond it, with
the measured value and the limit in its details.  Limits in force:

- the textbook limit of the exercise file (no reference);
- a reference (``Targets.rule_refs``) for the rules with personal limits: limit = reference +-
  the rule's tolerance; the reference is chosen so that limit falls halfway between the good
  rep's value and the textbook limit (it must differ from the textbook one);
- the session's own earlier reps for the rules with only personal limits (no textbook one).

Each in the views the rule declares (else the exercise's usual view), facing left and right
(from the front: the mirror image); and in a view a rule cannot judge, its fault is not raised
and the coach notes it exactly once.  The plank, glute bridge, bird dog and dead bug are tested
elsewhere.
"""

from __future__ import annotations

import pytest

from posecoach.core.exercise import Exercise, FormRule, find_exercise
from posecoach.testing import limits as L
from posecoach.testing import synth as S
from posecoach.testing.scenarios import functional as F
from posecoach.testing.scenarios.knobs import KNOBS, SCENES, Knob, Scene

FPS = 30.0

#: rules that cannot be brought to their limit inside a counted rep, and why (see the report)
NOT_AT_LIMIT = {
    ("cat_cow", "sitting_back"): (
        "sitting back toward the heels closes the shoulder-hip-knee angle the cycle is counted on: "
        "the knee reaches 60 degrees only after the cycle has ended (back at rest), where no rule is judged"),
}

CASES = [(ex, rule) for ex, knobs in KNOBS.items() for rule in knobs]


def _rule(ex: Exercise, rule_id: str) -> FormRule:
    return next(r for r in ex.form_rules if r.id == rule_id)


PERSONAL = [(ex, r) for ex, r in CASES
            if _rule(find_exercise(ex), r).personal and _rule(find_exercise(ex), r).own == "reference"]
VIEW_LIMITED = [(ex, r) for ex, r in CASES if _rule(find_exercise(ex), r).views is not None]


def _setup(ex_id: str, rule_id: str) -> tuple[Exercise, FormRule, Scene, Knob]:
    ex = find_exercise(ex_id)
    return ex, _rule(ex, rule_id), SCENES[ex_id], KNOBS[ex_id][rule_id]


def _views(rule: FormRule, scene: Scene, ex: Exercise | None = None) -> list[str]:
    """The views the rule declares; else the scene's own, and for an exercise filmed side-on or
    obliquely (``view: oblique``, every angle in 3D) both."""
    if rule.views:
        return list(rule.views)
    return ["side", "oblique"] if ex is not None and ex.view == "oblique" else [scene.view]


def _check_both_ways(ex: Exercise, rule: FormRule, scene: Scene, knob: Knob, *, before: int,
                     refs: dict[str, float] | None = None, source: str) -> list[L.LimitResult]:
    """Bracket the limit in each view and facing; assert it was found and judged right."""
    out = []
    for view in _views(rule, scene, ex):
        start = None
        for facing in ("left", "right"):
            def build(reps, view=view, facing=facing):
                return scene.sequence(reps, view, facing, FPS)

            res = L.check_rule(ex, rule, build, param=knob.param, good=knob.good, bad=knob.bad, before=before,
                               refs=refs, fps=FPS, start=start)
            where = f"{ex.id}.{rule.id} {view} facing {facing}"
            assert res.ok, f"{where}: " + "; ".join(res.problems)
            assert res.inside is not None and res.outside is not None
            assert res.source == source, (where, res.source)
            inside, outside = res.inside, res.outside
            sign = 1 if (rule.above is not None or rule.above_own is not None) else -1
            # just inside: silent; just outside: caught, with the value and the limit it crossed
            # (a value at the limit to rounding, such as a duration of whole frames, may go either way)
            assert -res.margin <= sign * (inside.value - res.limit) <= L.AT_LIMIT and not inside.raised, (where, inside)
            assert -L.AT_LIMIT <= sign * (outside.value - res.limit) <= res.margin and outside.raised, (where, outside)
            assert outside.detail is not None and outside.detail["limit_from"] == source, (where, outside.detail)
            assert outside.detail["limit"] == pytest.approx(res.limit, abs=2e-3)
            start = (inside.knob, outside.knob)
            out.append(res)
    return out


@pytest.mark.parametrize("ex_id, rule_id", CASES)
def test_fault_at_textbook_limit(ex_id: str, rule_id: str) -> None:
    ex, rule, scene, knob = _setup(ex_id, rule_id)
    if (ex_id, rule_id) in NOT_AT_LIMIT:
        pytest.skip(NOT_AT_LIMIT[ex_id, rule_id])
    if rule.own == "rest":  # the person's own value at rest just before the rep, reference or not
        _check_both_ways(ex, rule, scene, knob, before=1, source="rest")
    elif rule.own == "hold_start":  # where this hold started: its first second at the peak
        _check_both_ways(ex, rule, scene, knob, before=1, source="hold start")
    elif not rule.absolute:  # only personal limits: the session's own earlier reps
        _check_both_ways(ex, rule, scene, knob, before=rule.own_reps, source="earlier reps")
    else:
        _check_both_ways(ex, rule, scene, knob, before=1, source="textbook")


@pytest.mark.parametrize("ex_id, rule_id", PERSONAL)
def test_fault_at_reference_limit(ex_id: str, rule_id: str) -> None:
    """With a reference the limit is the patient's value +- the rule's tolerance."""
    ex, rule, scene, knob = _setup(ex_id, rule_id)
    view = _views(rule, scene)[0]
    good = L.run_reps(ex, rule, scene.sequence([{knob.param: knob.good}], view, "left", FPS), knob.good)
    textbook = rule.above if rule.above is not None else rule.below
    tolerance = rule.above_own if rule.above_own is not None else -(rule.below_own or 0.0)
    # the personal limit halfway between the good rep and the textbook limit (none: the good rep is the reference)
    ref = good.value if textbook is None else (good.value + textbook) / 2 - tolerance
    results = _check_both_ways(ex, rule, scene, knob, before=1, refs={rule.id: ref}, source="reference")
    below, above = rule.limits(ref)
    assert results[0].limit == pytest.approx(above if above is not None else below)
    if textbook is not None:
        assert results[0].limit != pytest.approx(textbook, abs=results[0].margin)


@pytest.mark.parametrize("ex_id, rule_id", VIEW_LIMITED)
def test_fault_not_judged_in_a_view_that_cannot_see_it(ex_id: str, rule_id: str) -> None:
    """Filmed from a view the rule does not list, a clearly faulty rep is not flagged and the coach
    says once what it cannot check from there."""
    ex, rule, scene, knob = _setup(ex_id, rule_id)
    assert rule.views is not None
    blind = [v for v in ("front", "side", "oblique") if v not in rule.views]
    for view in blind:
        for facing in ("left", "right"):
            seq = scene.sequence([{knob.param: knob.good}, {knob.param: knob.bad}], view, facing, FPS)
            assert L.unjudged_view(ex, rule, seq) == [], (view, facing)


def test_every_rule_has_a_knob() -> None:
    """The table covers every form rule of these exercises (a new rule needs a knob)."""
    for ex_id, knobs in KNOBS.items():
        assert set(knobs) == {r.id for r in find_exercise(ex_id).form_rules}, ex_id


NAMED = [
    ("squat", lambda: S.squat(3, fault="weight_shift", fault_reps=[2], view="front"), "weight_shift"),
    ("squat", lambda: S.squat(4, fault="shallow", fault_reps=[3], shallow_knee_deg=75.0), "shallow"),
    ("sit_to_stand", lambda: F.sit_to_stand(3, fault="weight_shift", fault_reps=[2], view="front"), "weight_shift"),
    ("standing_leg_raise", lambda: F.standing_leg_raise(3, fault="standing_knee_bent", fault_reps=[2]),
     "standing_knee_bent"),
    ("standing_leg_raise", lambda: F.standing_leg_raise(4, fault="low_lift", fault_reps=[3], lift_deg=70.0),
     "low_lift"),
]


@pytest.mark.parametrize("ex_id, make, fault", NAMED, ids=[f"{e}-{f}" for e, _, f in NAMED])
def test_named_fault_of_the_scenario_generators(run_session, ex_id: str, make, fault: str) -> None:
    """The scenario generators' named faults for the new rules land on the faulty rep only (the
    shallow squat and the low lift against the person's own earlier reps)."""
    sc = make()
    session, _ = run_session(ex_id, sc.poses)
    s = session.summary()
    assert [d["faults"] for d in s["rep_details"]] == [[f] if f else [] for f in sc.truth["faults"]], s
    assert s["partial_reps"] == []
