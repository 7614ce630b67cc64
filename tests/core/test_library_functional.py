"""Exercise library, functional group: plank, side plank, side-lying leg raise, clamshell,
sit to stand and lunge, end to end through ``Session`` on synthetic sequences
(``posecoach.testing.scenarios.functional``).

For each exercise: a correct set counts exactly (with pixel noise), each fault is
reported on exactly the faulty rep(s), and a near miss does not count.  Holds are timed
within about half a second and a fault during the hold pauses the timer.  Fault sizes are
checked against the exercise file's own thresholds where they are injected.
"""

from __future__ import annotations

import pytest

from posecoach.testing import synth as S
from posecoach.testing.scenarios import functional as F


def rule(ex, rule_id: str):
    return next(r for r in ex.form_rules if r.id == rule_id)


def check_reps(sc: S.Scenario, session) -> dict:
    s = session.summary()
    windows = sc.truth["rep_windows"]
    assert s["reps"] == len(windows), s["rep_details"]
    for got, (a, b) in zip(s["rep_details"], windows):
        assert a - 0.1 <= got["start_s"] <= a + 0.9, (got, (a, b))
        assert b - 0.9 <= got["end_s"] <= b + 0.3, (got, (a, b))
    return s


def faults_per_rep(s: dict) -> list[list[str]]:
    return [d["faults"] for d in s["rep_details"]]


# --------------------------------------------------------------------------- plank


@pytest.mark.parametrize("start, facing, px", [("prone", "left", 2.0), ("sphinx", "right", 3.0)])
def test_plank_hold_is_timed(run_session, start, facing, px):
    sc = F.plank_hold(8.0, start=start, facing=facing, noise_px=px, seed=1)
    session, results = run_session("plank", sc.poses)
    s = session.summary()
    assert s["reps"] == 1 and len(s["holds"]) == 1
    assert abs(s["holds"][0]["hold_s"] - sc.truth["hold_truth_s"]) <= 0.5, s["holds"]
    assert s["faults"] == {} and s["warnings"] == []
    assert s["rep_details"][0]["side"] == facing
    # the timer never runs while lying down
    a, b = sc.truth["hold_window"]
    assert all(r.hold_s == 0 for r in results if r.t < a - 0.6)


def test_lying_propped_on_forearms_is_not_a_plank(run_session):
    kf = [(0.0, S.prone()), (2.0, S.prone()), (3.0, F.sphinx()), (9.0, F.sphinx()), (10.0, S.prone()), (12.0, S.prone())]
    seq = S.add_noise(S.keyframe_sequence(kf, 30.0, S.Camera()), 2.0, seed=2)
    session, results = run_session("plank", seq)
    s = session.summary()
    assert s["reps"] == 0 and s["hold_total_s"] == 0
    assert all(r.hold_s == 0 for r in results)


def test_kneeling_plank_is_not_timed_as_a_plank(run_session):
    sc = F.plank_hold(6.0, kneeling=True, noise_px=2.0)
    session, _ = run_session("plank", sc.poses)
    assert session.summary()["reps"] == 0


def test_standing_up_is_not_a_plank(run_session):
    kf = [(0.0, S.prone()), (2.0, S.prone()), (4.0, S.standing()), (10.0, S.standing())]
    session, _ = run_session("plank", S.keyframe_sequence(kf, 30.0, S.Camera()))
    assert session.summary()["reps"] == 0


def test_plank_too_short_is_not_a_hold(run_session, exercise):
    short = exercise("plank").rep.min_duration_s - 1.2
    sc = F.plank_hold(short, noise_px=2.0, move_s=0.6)
    session, _ = run_session("plank", sc.poses)
    assert session.summary()["reps"] == 0


@pytest.mark.parametrize("fault, deg", [("hips_sag", 22.0), ("hips_piked", 30.0)])
def test_plank_fault_pauses_the_timer(run_session, exercise, fault, deg):
    ex = exercise("plank")
    sc = F.plank_hold(12.0, fault=fault, fault_window=(3.0, 7.0), fault_deg=deg, noise_px=2.0)
    # the injected bend crosses the file's threshold
    p = F.forearm_plank(-deg if fault == "hips_sag" else deg)
    from posecoach.core.features import FeatureSet
    cam = S.Camera().fit(S.landmarks_lab(p))
    hip = FeatureSet(ex).values(S.render(p, cam), "left")["hip"]
    assert rule(ex, fault).violated(hip)
    session, _ = run_session("plank", sc.poses)
    s = session.summary()
    assert s["reps"] == 1, s["holds"]
    # (a sag from a straight start also sinks from where the hold started: told, the timer going on)
    sinks = {"hips_sinking": 1} if fault == "hips_sag" else {}
    assert s["faults"] == {fault: 1, **sinks}
    assert sorted(s["rep_details"][0]["faults"]) == sorted([fault, *sinks])
    hold = s["holds"][0]["hold_s"]
    # 4 s window: the bend ramps in (0.5 s) and the rule waits 1 s, so the timer stops
    # for at least 2 s of it, never for longer than the window
    good = sc.truth["hold_truth_s"]
    assert good - 0.5 <= hold <= good + sc.truth["fault_s"] - 2.0 + 0.5, hold


def test_plank_held_across_a_camera_cut_is_one_hold(run_session):
    """The shot after the cut opens mid-plank: the plank held on both sides of it is one hold (as a
    hand count times it), its time kept per shot (hold_segments_s)."""
    sc = F.plank_hold(10.0, noise_px=1.0)
    a, b = sc.truth["hold_window"]
    t_cut = min(t for t, _ in sc.poses if t >= a + 4.0)
    poses = S.cut(sc.poses, t_cut, shift_px=(60.0, 30.0), scale=0.5)
    session, _ = run_session("plank", poses)
    s = session.summary()
    assert s["reps"] == 1, s["holds"]
    first, second = s["rep_details"][0]["hold_segments_s"]
    assert abs(first - (t_cut - a)) <= 0.5
    assert abs(first + second - sc.truth["hold_truth_s"]) <= 0.6


# --------------------------------------------------------------------------- side plank


@pytest.mark.parametrize("down", ["left", "right"])
def test_side_plank_hold_is_timed_per_side(run_session, down):
    sc = F.side_plank_hold(8.0, down=down, noise_px=2.0, seed=3)
    session, _ = run_session("side_plank", sc.poses)
    s = session.summary()
    other = "right" if down == "left" else "left"
    assert s["reps_by_side"] == {down: 1, other: 0}
    assert abs(s["holds"][0]["hold_s"] - sc.truth["hold_truth_s"]) <= 0.5, s["holds"]
    assert s["holds"][0]["side"] == down
    assert s["faults"] == {}


def test_side_plank_hips_drop_pauses_the_timer(run_session, exercise):
    sc = F.side_plank_hold(12.0, fault="hips_drop", fault_window=(3.0, 7.0), drop=0.5, noise_px=1.0)
    session, _ = run_session("side_plank", sc.poses)
    s = session.summary()
    # (a drop under the textbook line is also a sink from where the hold started: both are told)
    assert s["reps"] == 1 and s["faults"] == {"hips_drop": 1, "hips_sinking": 1}
    hold = s["holds"][0]["hold_s"]
    good = sc.truth["hold_truth_s"]
    assert good - 0.5 <= hold <= good + sc.truth["fault_s"] - 2.0 + 0.5, hold


def test_side_lying_is_not_a_side_plank(run_session):
    kf = [(0.0, F.side_lying_flat()), (8.0, F.side_lying_flat())]
    seq = S.add_noise(S.keyframe_sequence(kf, 30.0, S.Camera(view="front")), 2.0)
    session, _ = run_session("side_plank", seq)
    assert session.summary()["reps"] == 0


# --------------------------------------------------------------------------- side-lying leg raise


@pytest.mark.parametrize("down, px", [("left", 2.0), ("right", 3.0)])
def test_leg_raise_counts_the_top_leg(run_session, down, px):
    sc = F.side_lying_leg_raise(5, down=down, noise_px=px, seed=4)
    session, _ = run_session("side_lying_leg_raise", sc.poses)
    s = check_reps(sc, session)
    top = sc.truth["side"]
    bottom = "left" if top == "right" else "right"
    assert s["reps_by_side"] == {top: 5, bottom: 0}
    assert {d["side"] for d in s["rep_details"]} == {top}
    assert s["faults"] == {}


@pytest.mark.parametrize("fault", ["leg_forward", "too_high", "too_fast"])
def test_leg_raise_faults_on_the_faulty_rep_only(run_session, fault):
    sc = F.side_lying_leg_raise(4, fault=fault, fault_reps=[1], noise_px=2.0)
    session, _ = run_session("side_lying_leg_raise", sc.poses)
    s = check_reps(sc, session)
    assert faults_per_rep(s) == [[], [fault], [], []]


def test_leg_raise_small_lift_is_not_a_rep(run_session):
    sc = F.side_lying_leg_raise(3, fault="short", fault_reps=[1], noise_px=2.0)
    session, _ = run_session("side_lying_leg_raise", sc.poses)
    s = session.summary()
    assert s["reps"] == 2


# --------------------------------------------------------------------------- clamshell


@pytest.mark.parametrize("down, px", [("left", 2.0), ("right", 3.0)])
def test_clamshell_counts_the_top_knee(run_session, down, px):
    sc = F.clamshell(5, down=down, noise_px=px, seed=5)
    session, _ = run_session("clamshell", sc.poses)
    s = check_reps(sc, session)
    top = sc.truth["side"]
    bottom = "left" if top == "right" else "right"
    assert s["reps_by_side"] == {top: 5, bottom: 0}
    assert s["faults"] == {}


@pytest.mark.parametrize("fault", ["feet_apart", "roll_back"])
def test_clamshell_faults_on_the_faulty_rep_only(run_session, fault):
    sc = F.clamshell(4, fault=fault, fault_reps=[2], noise_px=1.0)
    session, _ = run_session("clamshell", sc.poses)
    s = check_reps(sc, session)
    assert faults_per_rep(s) == [[], [], [fault], []]


def test_clamshell_too_fast(run_session):
    sc = F.clamshell(3, fault="too_fast", noise_px=1.0)
    session, _ = run_session("clamshell", sc.poses)
    s = check_reps(sc, session)
    assert faults_per_rep(s) == [["too_fast"]] * 3


def test_clamshell_small_opening_is_not_a_rep(run_session):
    sc = F.clamshell(3, fault="short", fault_reps=[0, 2], noise_px=2.0)
    session, _ = run_session("clamshell", sc.poses)
    assert session.summary()["reps"] == 1


# --------------------------------------------------------------------------- sit to stand


@pytest.mark.parametrize("view, facing, px", [("side", "left", 2.0), ("side", "right", 3.0), ("front", "left", 2.0)])
def test_sit_to_stand_counts(run_session, view, facing, px):
    sc = F.sit_to_stand(4, view=view, facing=facing, noise_px=px, seed=6)
    session, _ = run_session("sit_to_stand", sc.poses)
    s = check_reps(sc, session)
    assert s["faults"] == {}


@pytest.mark.parametrize("fault, view", [("hands_push", "side"), ("trunk_forward", "side"),
                                         ("knees_cave", "front"), ("sit_fast", "side")])
def test_sit_to_stand_faults_on_the_faulty_rep_only(run_session, fault, view):
    sc = F.sit_to_stand(4, fault=fault, fault_reps=[1], view=view, noise_px=1.0)
    session, _ = run_session("sit_to_stand", sc.poses)
    s = check_reps(sc, session)
    assert faults_per_rep(s) == [[], [fault], [], []]


def test_sit_to_stand_half_rise_is_not_a_rep(run_session):
    sc = F.sit_to_stand(3, fault="half_rise", fault_reps=[1], noise_px=2.0)
    session, _ = run_session("sit_to_stand", sc.poses)
    s = check_reps(sc, session)
    assert s["reps"] == 2 and s["faults"] == {}


# --------------------------------------------------------------------------- lunge


@pytest.mark.parametrize("view, back, px", [("side", "left", 2.0), ("front", "right", 2.0),
                                            ("side", ["left", "right", "left"], 3.0)])
def test_lunge_counts(run_session, view, back, px):
    sc = F.lunge(3, back=back, view=view, noise_px=px, seed=7)
    session, _ = run_session("lunge", sc.poses)
    s = check_reps(sc, session)
    assert s["faults"] == {}


@pytest.mark.parametrize("fault", ["trunk_forward", "shallow"])
def test_lunge_faults_on_the_faulty_rep_only(run_session, fault):
    sc = F.lunge(3, fault=fault, fault_reps=[1], noise_px=1.0)
    session, _ = run_session("lunge", sc.poses)
    s = check_reps(sc, session)
    assert faults_per_rep(s) == [[], [fault], []]


def test_lunge_half_step_is_not_a_rep(run_session):
    sc = F.lunge(3, fault="half", fault_reps=[1], noise_px=2.0)
    session, _ = run_session("lunge", sc.poses)
    s = check_reps(sc, session)
    assert s["reps"] == 2 and len(s["partial_reps"]) == 1
