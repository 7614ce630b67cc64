"""The continuity guard (``posecoach.core.continuity``): one row per case, then through ``Session``.

The table feeds the guard frame by frame (a body box, a shot-change flag, whether
the needed joints are visible, and the main angle per side) and checks the verdict
of every frame.  The session tests check the consequences on counting, on
synthetic landmarks (``posecoach.testing.synth``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from posecoach.core.continuity import (
    ContinuityConfig,
    ContinuityGuard,
    Verdict,
    body_box,
    body_moved,
)
from posecoach.core.landmarks import N_LANDMARKS
from posecoach.testing import synth as S

CFG = ContinuityConfig()
DT = 1 / 30


def body(cx: float = 300.0, cy: float = 200.0, size: float = 200.0) -> np.ndarray:
    """Landmarks filling a square box of diagonal ``size`` centred on (cx, cy)."""
    half = size / math.sqrt(2) / 2
    xy = np.tile([cx, cy], (N_LANDMARKS, 1)).astype(float)
    xy[0] = (cx - half, cy - half)
    xy[1] = (cx + half, cy + half)
    return xy


@dataclass(frozen=True)
class F:
    """One frame fed to the guard: ``xy`` None = no person; ``mains`` None = the angles are not checked."""

    t: float
    xy: np.ndarray | None = None
    cut: bool = False
    visible: bool = True
    mains: dict[str, float] | None = None


B = body()
MOVED = body(cx=300.0 + 0.6 * 200.0)  # the body jumped 0.6 box diagonals (> cut_jump)
NUDGED = body(cx=300.0 + 0.05 * 200.0)  # moved 0.05 diagonals: in place (<= shot_jump)
SHIFTED = body(cx=300.0 + 0.3 * 200.0)  # moved 0.3: not in place for a shot change, not a jump


def frames(*specs: tuple) -> list[F]:
    """(xy, cut, visible, mains) per frame at 30 fps."""
    return [F(i * DT, *s) for i, s in enumerate(specs)]


def near(v: float) -> dict[str, float]:
    return {"near": v}


def lr(left: float, right: float) -> dict[str, float]:
    return {"left": left, "right": right}


# Each row: frames, then the expected verdict of each frame as "body" or "body/angle"
# (for both-sided rows, "body/left,right").
CASES = {
    "steady body": (frames((B,), (B,), (B,)), ["ok", "ok", "ok"]),
    "jitter under the thresholds": (frames((B, False, True, near(150)), (NUDGED, False, True, near(149)),
                                           (B, False, True, near(151))), ["ok/ok", "ok/ok", "ok/ok"]),
    "lone glitch frame dropped": (frames((B,), (B,), (MOVED,), (B,)), ["ok", "ok", "drop", "ok"]),
    "jump confirmed by the next frame = cut": (frames((B,), (MOVED,), (MOVED,), (MOVED,)),
                                               ["ok", "drop", "restart", "ok"]),
    "gap longer than max dt: no comparison": ([F(0.0, B), F(0.0 + CFG.max_dt + 0.05, MOVED)], ["ok", "ok"]),
    "shot change, body in place, main angle steady = refilter, no restart": (
        frames((B, False, True, near(150)), (NUDGED, True, True, near(148)), (NUDGED, False, True, near(147))),
        ["ok/ok", "refilter/ok", "ok/ok"]),
    "shot change, body in place, main angle jumps = restart": (
        frames((B, False, True, near(150)), (NUDGED, True, True, near(150 - CFG.shot_angle - 5))),
        ["ok/ok", "refilter/restart"]),
    "shot change, body in place, main angle unmeasured: judged at the next measured frame": (
        frames((B, False, True, near(150)), (B, True, True, near(math.nan)), (B, False, True, near(120))),
        ["ok/ok", "refilter/ok", "ok/restart"]),
    "shot change, body in place, last main angle too old = restart": (
        [F(0.0, B, False, True, near(150)), F(CFG.shot_max_dt + 0.05, B, False, True, near(math.nan))]
        + [F(CFG.shot_max_dt + 0.05 + DT, B, True, True, near(150))],
        ["ok/ok", "ok/ok", "refilter/restart"]),
    "shot change, body gone = restart": (frames((B,), (SHIFTED, True)), ["ok", "restart"]),
    "shot change, no person = restart": (frames((B,), (None, True)), ["ok", "restart"]),
    "hidden joints reappearing = refilter": (frames((B, False, True), (B, False, False), (B, False, False),
                                                    (B, False, True), (B, False, True)),
                                             ["ok", "ok", "ok", "refilter", "ok"]),
    "main-angle lone spike dropped": (frames((B, False, True, near(150)), (B, False, True, near(150 - 70)),
                                             (B, False, True, near(149))), ["ok/ok", "ok/drop", "ok/ok"]),
    "main-angle jump confirmed = accepted": (
        frames((B, False, True, near(150)), (B, False, True, near(80)), (B, False, True, near(82)),
               (B, False, True, near(150))),
        ["ok/ok", "ok/drop", "ok/ok", "ok/drop"]),
    "main-angle gap longer than max dt: no comparison": (
        [F(0.0, B, False, True, near(150)), F(0.0 + CFG.max_dt + 0.05, B, False, True, near(60))],
        ["ok/ok", "ok/ok"]),
    "both sides: a spike on one side drops that side only": (
        frames((B, False, True, lr(150, 150)), (B, False, True, lr(70, 151)), (B, False, True, lr(149, 152))),
        ["ok/ok,ok", "ok/drop,ok", "ok/ok,ok"]),
    "both sides: shot change, body in place, one side's angle jumps = restart": (
        frames((B, False, True, lr(150, 150)), (B, True, True, lr(149, 120))),
        ["ok/ok,ok", "refilter/restart,restart"]),
    "both sides: shot change, body in place, both steady = refilter only": (
        frames((B, False, True, lr(150, 140)), (B, True, True, lr(149, 141))),
        ["ok/ok,ok", "refilter/ok,ok"]),
}


def run_guard(rows: list[F]) -> list[str]:
    sides = tuple((rows[0].mains or {"near": 0.0}).keys()) if any(r.mains for r in rows) else ("near",)
    guard = ContinuityGuard(CFG, sides)
    out = []
    for f in rows:
        v = guard.check_body(f.t, f.xy, scene_cut=f.cut, needed_visible=f.visible)
        got = str(v)
        if f.mains is not None and v is not Verdict.DROP:
            angles = guard.check_angles(f.t, f.mains)
            got += "/" + ",".join(str(angles[s]) for s in f.mains)
        out.append(got)
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_continuity_table(case):
    rows, want = CASES[case]
    assert run_guard(rows) == want


def test_the_jump_test_is_one_function_with_two_sets_of_limits():
    a, b = body_box(B), body_box(SHIFTED)
    assert body_moved(a, b, CFG.shot_jump, CFG.shot_scale)  # a shot change moved the body
    assert not body_moved(a, b, CFG.cut_jump, CFG.cut_scale)  # but it is no jump without one
    assert body_moved(a, body_box(body(size=200 * (CFG.cut_scale + 0.1))), CFG.cut_jump, CFG.cut_scale)


def test_shot_limits_may_not_exceed_jump_limits():
    with pytest.raises(ValueError):
        ContinuityConfig(shot_jump=0.6)


# --------------------------------------------------------------------------- through Session


def spliced_rep(exercise_knee: tuple[float, float]) -> tuple[S.Seq, float]:
    """Rest -> half-way down, then a shot change where the body stays in place but the knee is
    suddenly near the bottom (another take's phase), then back up to rest: half a rep from each
    shot.  Returns the poses and the time of the shot change."""
    rest, peak = exercise_knee
    half = S.squat_posture(180.0 - (rest + peak) / 2)  # knee angle half-way between rest and peak
    deep = S.squat_posture(180.0 - (peak - 2.0))  # just past the peak line
    stand = S.standing()
    cam = S.Camera().fit(np.concatenate([S.landmarks_lab(p) for p in (stand, half, deep)]))
    first = S.keyframe_sequence([(0.0, stand), (1.0, stand), (2.0, half)], camera=cam)
    t_cut = round(first[-1][0] + DT, 6)
    second = S.keyframe_sequence([(0.0, deep), (0.5, deep), (1.5, stand), (2.5, stand)], camera=cam)
    return first + [(round(t_cut + t, 6), p) for t, p in second], t_cut


def _assert_body_in_place(poses: S.Seq, t_cut: float) -> None:
    before = next(p for t, p in reversed(poses) if t < t_cut)
    after = next(p for t, p in poses if t >= t_cut)
    assert before is not None and after is not None
    assert not body_moved(body_box(before.xy), body_box(after.xy), CFG.shot_jump, CFG.shot_scale)


def test_rep_spliced_across_a_shot_change_with_the_body_in_place_is_one_rep_cut_there(run_session, exercise):
    """Half a rep, a shot change with the body in the same place to the bottom of the rep, the
    other half.  The shot change is seen as a cut (fails if the shot-change-with-body-in-place
    check is skipped); the next shot shows the rep at its bottom, so it goes on across the cut,
    as someone watching counts it: one rep, starting before the cut and ending after it."""
    ex = exercise("squat")
    poses, t_cut = spliced_rep((ex.rep.rest, ex.rep.peak))
    _assert_body_in_place(poses, t_cut)
    session, results = run_session(ex, poses, scene_cuts=[t_cut])
    assert session.cuts == 1
    assert [r.t for r in results if r.cut] == [t_cut]
    (rep,) = session.summary()["rep_details"]
    assert rep["start_s"] < t_cut < rep["end_s"]
    # the same frames without the shot-change flag are one (fast) movement: one rep, no cut
    control, _ = run_session(ex, poses)
    assert control.summary()["reps"] == 1 and control.cuts == 0


def test_a_shot_that_opens_elsewhere_in_the_rep_counts_nothing_across_the_cut(run_session, exercise):
    """Half-way down, a cut to a shot that opens half-way (not at the bottom) and rises: the rep in
    progress does not go on (the next shot may be another take), and nothing is counted."""
    ex = exercise("squat")
    rest, peak = ex.rep.rest, ex.rep.peak
    half = S.squat_posture(180.0 - (rest + peak) / 2)
    stand = S.standing()
    cam = S.Camera().fit(np.concatenate([S.landmarks_lab(p) for p in (stand, half)]))
    first = S.keyframe_sequence([(0.0, stand), (1.0, stand), (2.0, half)], camera=cam)
    t_cut = round(first[-1][0] + DT, 6)
    second = S.keyframe_sequence([(0.0, half), (0.5, half), (1.5, stand), (2.5, stand)], camera=cam)
    poses = S.cut(first + [(round(t_cut + t, 6), p) for t, p in second], t_cut, shift_px=(60.0, 30.0), scale=0.5)
    session, _ = run_session(ex, poses, scene_cuts=[t_cut])
    assert session.cuts == 1
    assert session.summary()["reps"] == 0


def test_both_sided_exercise_gets_the_same_shot_change_check(run_session, make_exercise):
    """A both-sided exercise sees the shot change too (the angle check runs per side): each side's
    rep goes on across the cut, once."""
    ex = make_exercise(sides="both", rep={"rest": 150, "peak": 120, "min_duration_s": 0.8})
    poses, t_cut = spliced_rep((150.0, 120.0))
    _assert_body_in_place(poses, t_cut)
    session, _ = run_session(ex, poses, scene_cuts=[t_cut])
    assert session.cuts == 1
    assert session.summary()["reps_by_side"] == {"left": 1, "right": 1}
    assert all(d["start_s"] < t_cut < d["end_s"] for d in session.summary()["rep_details"])
    control, _ = run_session(ex, poses)
    assert control.summary()["reps_by_side"] == {"left": 1, "right": 1}


def _spike(poses: S.Seq, at_t: float, side: str) -> S.Seq:
    """One frame whose ``side`` leg is thrown straight (the knee angle jumps for one frame)."""
    from dataclasses import replace

    from posecoach.core.landmarks import INDEX

    out = []
    for t, p in poses:
        if p is not None and math.isclose(t, at_t, abs_tol=1e-6):
            xy = p.xy.copy()
            knee, hip = xy[INDEX[f"{side}_knee"]], xy[INDEX[f"{side}_hip"]]
            xy[INDEX[f"{side}_ankle"]] = knee + (knee - hip)
            p = replace(p, xy=xy)
        out.append((t, p))
    return out


@pytest.mark.parametrize("sides", ["near", "both"])
def test_lone_main_angle_spike_is_dropped_on_either_kind_of_exercise(run_session, make_exercise, sides):
    ex = make_exercise(sides=sides, rep={"rest": 150, "peak": 120, "min_duration_s": 0.8})
    sc = S.squat(2, depth_knee_deg=100.0)  # facing left: the left leg is the near one
    a, b = sc.truth["peak_windows"][0]
    i = next(i for i, (t, _) in enumerate(sc.poses) if t >= (a + b) / 2)
    session, results = run_session(ex, _spike(sc.poses, sc.poses[i][0], "left"), smoothing=False)
    assert session.glitches == 1
    r = results[i]
    if sides == "near":
        assert r.status == "unsteady" and r.values == {}
    else:
        assert r.status == "ok" and r.values["main"] == pytest.approx(80.0, abs=3.0)  # the right side's value
    assert session.summary()["reps"] == 2 * (2 if sides == "both" else 1)
