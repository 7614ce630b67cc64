"""The supine exercises on synthetic sequences (``posecoach.testing.scenarios.supine``).

dead_bug, partial_crunch, knee_to_chest, trunk_rotation, hamstring_stretch and
straight_leg_raise: a clean noisy set counts exactly, every fault is reported on
exactly the faulty rep (or hold) and nowhere else, a movement that stops short
does not count, both-sides exercises report left and right apart, and hold
times match the time the position was held (a fault pauses the timer).
Fault sizes in the scenarios are set clearly past each exercise file's limits.
"""

from __future__ import annotations

import numpy as np
import pytest

from posecoach.core.features import FeatureSet
from posecoach.testing import synth as S
from posecoach.testing.scenarios import supine as P

NOISE = 2.0


def faults_per_rep(session) -> list[list[str]]:
    return [d["faults"] for d in session.summary()["rep_details"]]


def expected(sc) -> list[list[str]]:
    return [[f] if f else [] for f in sc.truth["faults"]]


def check_windows(sc, session, skip: set[int] = frozenset()) -> None:
    """Every counted rep lies in its truth window (same order), with its side."""
    truth = [(w, s) for i, (w, s) in enumerate(zip(sc.truth["rep_windows"], sc.truth["sides"])) if i not in skip]
    got = session.summary()["rep_details"]
    assert len(got) == len(truth)
    for d, ((a, b), side) in zip(got, truth):
        assert a - 0.1 <= d["start_s"] <= a + 1.2, (d, (a, b))
        assert b - 1.2 <= d["end_s"] <= b + 0.3, (d, (a, b))


def time_past_peak(sc, exercise, side: str, window: tuple[float, float]) -> float:
    """Seconds the noise-free main angle of ``side`` is past the exercise's peak line in ``window``:
    the hold a stopwatch would give."""
    fs = FeatureSet(exercise)
    rep = exercise.rep
    dt = 1.0 / sc.fps
    vals = [fs.values(p, side)[rep.angle] for t, p in sc.poses if window[0] <= t <= window[1]]
    # A relative peak is an offset from the person's rest: the median of the window's first frames.
    base = float(np.median(vals[:5])) if rep.relative else 0.0
    peak = base + rep.peak
    n = sum((v <= peak) if rep.peak < rep.rest else (v >= peak) for v in vals)
    return n * dt


# --------------------------------------------------------------------------- dead bug


@pytest.mark.parametrize("facing", ["left", "right"])
def test_dead_bug_counts_each_side(run_session, facing):
    sc = P.dead_bug(6, facing=facing, noise_px=NOISE, seed=1)
    session, _ = run_session("dead_bug", sc.poses)
    s = session.summary()
    assert s["reps"] == 6 and s["reps_by_side"] == {"left": 3, "right": 3}
    assert s["faults"] == {} and s["warnings"] == []
    check_windows(sc, session)
    assert [d["side"] for d in s["rep_details"]] == sc.truth["sides"]


@pytest.mark.parametrize("fault, reps", [("leg_too_low", [1]), ("other_leg_drifting", [2]), ("too_fast", [0, 3])])
def test_dead_bug_faults(run_session, fault, reps):
    sc = P.dead_bug(4, fault=fault, fault_reps=reps, noise_px=NOISE, seed=2)
    session, _ = run_session("dead_bug", sc.poses)
    assert session.summary()["reps_by_side"] == {"left": 2, "right": 2}
    assert faults_per_rep(session) == expected(sc)


def test_dead_bug_short_lowering_does_not_count(run_session):
    sc = P.dead_bug(4, fault="short", fault_reps=[1], noise_px=NOISE, seed=3)
    session, _ = run_session("dead_bug", sc.poses)
    s = session.summary()
    assert s["reps_by_side"] == {"left": 2, "right": 1}
    check_windows(sc, session, skip={1})
    assert [p["side"] for p in s["partial_reps"]] in ([], ["right"])


# --------------------------------------------------------------------------- partial crunch


@pytest.mark.parametrize("facing", ["left", "right"])
def test_partial_crunch_counts(run_session, facing):
    sc = P.partial_crunch(5, facing=facing, noise_px=NOISE, seed=4)
    session, _ = run_session("partial_crunch", sc.poses)
    s = session.summary()
    assert s["reps"] == 5 and s["faults"] == {} and s["warnings"] == []
    check_windows(sc, session)


@pytest.mark.parametrize("fault, reps", [("neck_pull", [1]), ("too_high", [2]), ("too_fast", [0, 3])])
def test_partial_crunch_faults(run_session, fault, reps):
    sc = P.partial_crunch(4, fault=fault, fault_reps=reps, noise_px=NOISE, seed=5)
    session, _ = run_session("partial_crunch", sc.poses)
    assert session.summary()["reps"] == 4
    assert faults_per_rep(session) == expected(sc)


def test_partial_crunch_head_nod_does_not_count(run_session):
    sc = P.partial_crunch(4, fault="short", fault_reps=[1, 2], noise_px=NOISE, seed=6)
    session, _ = run_session("partial_crunch", sc.poses)
    assert session.summary()["reps"] == 2
    check_windows(sc, session, skip={1, 2})


def test_partial_crunch_counts_on_a_tilted_floor_line(run_session):
    """Counted relative to the person's own resting angle: a camera looking down a little
    (elevated 15 degrees) changes the absolute trunk angle, not the count."""
    from posecoach.testing.synth import Camera

    sc = P.partial_crunch(4, camera=Camera(elevation_deg=15.0), noise_px=NOISE, seed=7)
    session, _ = run_session("partial_crunch", sc.poses)
    assert session.summary()["reps"] == 4 and session.summary()["faults"] == {}


# --------------------------------------------------------------------------- knee to chest


@pytest.mark.parametrize("facing", ["left", "right"])
def test_knee_to_chest_hold_times_per_side(run_session, exercise, facing):
    ex = exercise("knee_to_chest")
    sc = P.knee_to_chest((("left", 6.0), ("right", 8.0), ("left", 3.0)), facing=facing, noise_px=NOISE, seed=8)
    session, _ = run_session(ex, sc.poses)
    s = session.summary()
    assert s["reps"] == 3 and s["reps_by_side"] == {"left": 2, "right": 1}
    assert s["faults"] == {}
    assert [h["side"] for h in s["holds"]] == ["left", "right", "left"]
    for h, w, side in zip(s["holds"], sc.truth["rep_windows"], sc.truth["sides"]):
        assert h["hold_s"] == pytest.approx(time_past_peak(sc, ex, side, w), abs=0.5)
        assert h["hold_s"] >= 3.0
    done = [e for e in session.events if e.kind == "hold_done"]
    assert len(done) == 2  # the 5 s target reached on the 6 s and 8 s holds, not the 3 s one


@pytest.mark.parametrize("fault", ["shoulders_lifting", "head_lifting"])
def test_knee_to_chest_fault_pauses_the_hold(run_session, exercise, fault):
    ex = exercise("knee_to_chest")
    holds = (("left", 8.0), ("right", 8.0))
    clean = P.knee_to_chest(holds, noise_px=NOISE, seed=9)
    bad = P.knee_to_chest(holds, fault=fault, fault_holds=[1], fault_s=2.5, noise_px=NOISE, seed=9)
    s_clean = run_session(ex, clean.poses)[0].summary()
    session, _ = run_session(ex, bad.poses)
    s = session.summary()
    assert s["reps_by_side"] == {"left": 1, "right": 1}
    assert faults_per_rep(session) == [[], [fault]]
    lost = s_clean["holds"][1]["hold_s"] - s["holds"][1]["hold_s"]
    assert lost == pytest.approx(2.5 + 0.3 - 1.0, abs=0.5)  # the fault time minus its 1 s persistence
    assert s["holds"][0]["hold_s"] == pytest.approx(s_clean["holds"][0]["hold_s"], abs=0.2)


def test_knee_to_chest_half_pull_is_no_hold(run_session):
    sc = P.knee_to_chest((("left", 5.0),), pull_deg=95.0, noise_px=NOISE, seed=10)  # hip angle ~85
    session, _ = run_session("knee_to_chest", sc.poses)
    s = session.summary()
    assert s["reps"] == 0 and s["holds"] == []


# --------------------------------------------------------------------------- trunk rotation


@pytest.mark.parametrize("legs, facing", [("hook", "left"), ("hook", "right"), ("tabletop", "left")])
def test_trunk_rotation_counts_every_roll(run_session, legs, facing):
    sc = P.trunk_rotation(6, legs=legs, facing=facing, noise_px=NOISE, seed=11)
    session, _ = run_session("trunk_rotation", sc.poses)
    s = session.summary()
    assert s["reps"] == 6 and s["faults"] == {} and s["warnings"] == []
    check_windows(sc, session)


def test_trunk_rotation_counts_from_the_feet(run_session):
    sc = P.trunk_rotation(4, view="front", noise_px=NOISE, seed=12)
    session, _ = run_session("trunk_rotation", sc.poses)
    assert session.summary()["reps"] == 4 and session.summary()["faults"] == {}


@pytest.mark.parametrize("legs", ["hook", "tabletop"])
@pytest.mark.parametrize("fault, reps", [("shoulders_lifting", [1]), ("too_fast", [2])])
def test_trunk_rotation_faults(run_session, legs, fault, reps):
    sc = P.trunk_rotation(4, legs=legs, fault=fault, fault_reps=reps, noise_px=NOISE, seed=13)
    session, _ = run_session("trunk_rotation", sc.poses)
    assert session.summary()["reps"] == 4
    assert faults_per_rep(session) == expected(sc)


def test_trunk_rotation_small_sway_does_not_count(run_session):
    sc = P.trunk_rotation(4, fault="short", fault_reps=[1, 2], noise_px=NOISE, seed=14)
    session, _ = run_session("trunk_rotation", sc.poses)
    assert session.summary()["reps"] == 2
    check_windows(sc, session, skip={1, 2})


# --------------------------------------------------------------------------- hamstring stretch


@pytest.mark.parametrize("facing", ["left", "right"])
def test_hamstring_stretch_hold_times_per_side(run_session, exercise, facing):
    ex = exercise("hamstring_stretch")
    sc = P.hamstring_stretch((("left", 8.0), ("right", 12.0)), facing=facing, noise_px=NOISE, seed=15)
    session, _ = run_session(ex, sc.poses)
    s = session.summary()
    assert s["reps_by_side"] == {"left": 1, "right": 1} and s["faults"] == {}
    for h, w, side in zip(s["holds"], sc.truth["rep_windows"], sc.truth["sides"]):
        assert h["side"] == side
        assert h["hold_s"] == pytest.approx(time_past_peak(sc, ex, side, w), abs=0.5)


@pytest.mark.parametrize("fault, persist", [("knee_bent", 0.5), ("other_leg_lifting", 1.0), ("hips_lifting", 1.0)])
def test_hamstring_stretch_fault_pauses_the_hold(run_session, exercise, fault, persist):
    ex = exercise("hamstring_stretch")
    holds = (("left", 8.0), ("right", 8.0))
    clean = run_session(ex, P.hamstring_stretch(holds, noise_px=NOISE, seed=16).poses)[0].summary()
    bad = P.hamstring_stretch(holds, fault=fault, fault_holds=[0], fault_s=2.5, noise_px=NOISE, seed=16)
    session, _ = run_session(ex, bad.poses)
    s = session.summary()
    assert s["reps_by_side"] == {"left": 1, "right": 1}
    assert faults_per_rep(session) == [[fault], []]
    lost = clean["holds"][0]["hold_s"] - s["holds"][0]["hold_s"]
    assert lost == pytest.approx(2.5 + 0.3 - persist, abs=0.5)


@pytest.mark.parametrize("facing", ["left", "right"])
def test_double_knee_to_chest_is_one_hold(run_session, exercise, facing):
    """Both knees hugged together is one stretch (side ``both``), between single-leg holds
    that still count for their own side; with ``sides_together: each`` it would be two."""
    ex = exercise("knee_to_chest")
    sc = P.knee_to_chest((("left", 5.0), ("both", 6.0), ("right", 5.0)), facing=facing, noise_px=NOISE, seed=23)
    session, _ = run_session(ex, sc.poses)
    s = session.summary()
    assert s["reps"] == 3 and s["reps_by_side"] == {"left": 1, "right": 1, "both": 1}
    assert [h["side"] for h in s["holds"]] == ["left", "both", "right"]
    assert s["holds"][1]["hold_s"] >= 5.0
    each, _ = run_session(ex.model_copy(update={"sides_together": "each"}), sc.poses)
    assert each.summary()["reps"] == 4


@pytest.mark.parametrize("facing", ["left", "right"])
def test_hamstring_stretch_seated_fold_is_one_hold(run_session, exercise, facing):
    """Sitting, leaning forward over both straight legs: both legs' hip angles fold together,
    which is one stretch (side ``both``), not a hold per leg; sitting up is not the lying
    stretch's hips_lifting, and the legs on the floor are not other_leg_lifting."""
    ex = exercise("hamstring_stretch")
    sc = P.seated_fold((6.0, 5.0), facing=facing, noise_px=NOISE, seed=22)
    session, _ = run_session(ex, sc.poses)
    s = session.summary()
    assert s["reps"] == 2 and s["reps_by_side"] == {"left": 0, "right": 0, "both": 2}
    assert s["faults"] == {} and s["warnings"] == []
    for h, w in zip(s["holds"], sc.truth["rep_windows"]):
        assert h["side"] == "both"
        assert h["hold_s"] == pytest.approx(time_past_peak(sc, ex, "left", w), abs=0.5)


def test_hamstring_stretch_seated_fold_counted_per_side_without_sides_together(run_session, exercise):
    """The same fold with ``sides_together: each`` is timed once per leg: the merge is what makes it one."""
    ex = exercise("hamstring_stretch").model_copy(update={"sides_together": "each"})
    sc = P.seated_fold((6.0,), noise_px=NOISE, seed=22)
    session, _ = run_session(ex, sc.poses)
    assert session.summary()["reps_by_side"] == {"left": 1, "right": 1}


def test_hamstring_stretch_small_lift_is_no_hold(run_session):
    sc = P.hamstring_stretch((("left", 6.0),), raise_deg=20.0, noise_px=NOISE, seed=17)  # 20 deg: short of the 30
    session, _ = run_session("hamstring_stretch", sc.poses)
    assert session.summary()["reps"] == 0


# --------------------------------------------------------------------------- straight leg raise


@pytest.mark.parametrize("facing", ["left", "right"])
def test_straight_leg_raise_counts_each_side(run_session, facing):
    sc = P.straight_leg_raise(3, facing=facing, noise_px=NOISE, seed=18)
    session, _ = run_session("straight_leg_raise", sc.poses)
    s = session.summary()
    assert s["reps"] == 6 and s["reps_by_side"] == {"left": 3, "right": 3}
    assert s["faults"] == {} and s["warnings"] == []
    check_windows(sc, session)
    assert [d["side"] for d in s["rep_details"]] == sc.truth["sides"]


@pytest.mark.parametrize("fault, reps", [("knee_bent", [1]), ("too_high", [4]), ("too_fast", [0, 5])])
def test_straight_leg_raise_faults(run_session, fault, reps):
    sc = P.straight_leg_raise(3, fault=fault, fault_reps=reps, noise_px=NOISE, seed=19)
    session, _ = run_session("straight_leg_raise", sc.poses)
    assert session.summary()["reps_by_side"] == {"left": 3, "right": 3}
    assert faults_per_rep(session) == expected(sc)


def test_straight_leg_raise_small_lift_does_not_count(run_session):
    sc = P.straight_leg_raise(3, fault="short", fault_reps=[1, 3], noise_px=NOISE, seed=20)
    session, _ = run_session("straight_leg_raise", sc.poses)
    assert session.summary()["reps_by_side"] == {"left": 2, "right": 2}
    check_windows(sc, session, skip={1, 3})


@pytest.mark.parametrize("facing", ["left", "right"])
def test_straight_leg_raise_from_below_the_hip_line(run_session, exercise, facing):
    """A leg resting 8 degrees below the hip line and lifted 16 passes through straight: the plain
    0-180 shoulder-hip-ankle angle reads 172 at rest and 172 at the top (no rep), the signed one
    188 (breaks when ``signed: down`` is removed from the file).  A 3 s hold at the top is timed."""
    clean = P.straight_leg_raise(2, rest_deg=-8.0, lift_deg=16.0, hold_s=3.0, facing=facing, seed=21)
    sc = P.straight_leg_raise(2, rest_deg=-8.0, lift_deg=16.0, hold_s=3.0, facing=facing, noise_px=1.0, seed=21)
    ex = exercise("straight_leg_raise")
    session, _ = run_session(ex, sc.poses)
    s = session.summary()
    assert s["reps_by_side"] == {"left": 2, "right": 2}
    check_windows(sc, session)
    fs = FeatureSet(ex)
    rest = fs.values(clean.poses[0][1], "left")["leg"]
    top = max(fs.values(p, "left")["leg"] for _, p in clean.poses)
    assert rest == pytest.approx(172.0, abs=1.0) and top == pytest.approx(188.0, abs=1.0)
    for d, w, side in zip(s["rep_details"], sc.truth["rep_windows"], sc.truth["sides"]):
        # A stopwatch on the noise-free lift: the time it is past the file's peak above rest.
        held = sum(1 for t, p in clean.poses
                   if w[0] <= t <= w[1] and fs.values(p, side)["leg"] - rest >= ex.rep.peak) / sc.fps
        assert held > 3.0
        assert d["hold_s"] == pytest.approx(held, abs=0.5)


# --------------------------------------------------------------------------- shared


@pytest.mark.parametrize("name, build", [
    ("dead_bug", lambda: P.dead_bug(2, view="front")),
    ("straight_leg_raise", lambda: P.straight_leg_raise(1, view="front")),
    ("knee_to_chest", lambda: P.knee_to_chest((("left", 5.0),), view="front")),
])
def test_side_exercises_refuse_a_front_view(run_session, name, build):
    session, results = run_session(name, build().poses)
    s = session.summary()
    assert s["reps"] == 0
    assert any("side-on" in w for w in s["warnings"])


@pytest.mark.parametrize("yaw", [35.0, 60.0, 90.0])
def test_hamstring_stretch_seated_fold_timed_from_an_angle(run_session, exercise, yaw):
    """``view: oblique``: the fold is measured in 3D, so a camera turned 35-60 degrees from
    side-on times the same hold as side-on.  The same file measuring in the picture with the
    side-view gate refuses the turned camera (it would read a distorted angle)."""
    from posecoach.testing.synth import Camera

    ex = exercise("hamstring_stretch")
    assert ex.view == "oblique"
    sc = P.seated_fold((6.0,), camera=Camera(yaw_deg=yaw), noise_px=NOISE, seed=22)
    session, results = run_session(ex, sc.poses)
    s = session.summary()
    assert s["reps"] == 1 and s["holds"][0]["side"] == "both" and s["warnings"] == []
    side_on = P.seated_fold((6.0,), noise_px=NOISE, seed=22)
    assert s["holds"][0]["hold_s"] == pytest.approx(time_past_peak(side_on, ex, "left", side_on.truth["rep_windows"][0]),
                                                    abs=0.5)
    flat = ex.model_copy(update={"view": "side", "angles": {
        k: f.model_copy(update={"space": "image"}) for k, f in ex.angles.items()}})
    refused, _ = run_session(flat, sc.poses)
    assert (refused.summary()["reps"] == 0) == (yaw < 40.0)


def test_hamstring_stretch_from_the_front_is_refused(run_session, exercise):
    """Seen from the front the fold is along the line of sight: not judged, and the person is
    asked to turn."""
    from posecoach.testing.synth import Camera

    sc = P.seated_fold((6.0,), camera=Camera(yaw_deg=10.0), noise_px=NOISE, seed=22)
    session, results = run_session(exercise("hamstring_stretch"), sc.poses)
    assert session.summary()["reps"] == 0
    assert {r.status for r in results} == {"wrong_view_side"}
    assert any("side-on or at an angle" in w for w in session.summary()["warnings"])


def test_both_sides_hold_is_as_long_as_the_side_that_saw_it_all(run_session, exercise):
    """A fold over both legs where one leg's joints go out of sight half-way: that side's record
    closes early; the one movement is timed by the side that saw all of it."""
    from posecoach.core.landmarks import LANDMARK_NAMES

    ex = exercise("hamstring_stretch")
    sc = P.seated_fold((8.0,), noise_px=NOISE, seed=22)
    a, b = sc.truth["rep_windows"][0]
    whole, _ = run_session(ex, sc.poses)
    right = [n for n in LANDMARK_NAMES if n.startswith("right_") and n.split("_", 1)[1] in ("shoulder", "hip", "ankle")]
    hidden = S.occlude(sc.poses, right, [((a + b) / 2, b + 3.0)])
    session, _ = run_session(ex, hidden)
    s = session.summary()
    assert s["reps"] == 1 and s["reps_by_side"]["both"] == 1
    assert s["holds"][0]["hold_s"] == pytest.approx(whole.summary()["holds"][0]["hold_s"], abs=0.3)
