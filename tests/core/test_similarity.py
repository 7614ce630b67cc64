"""Similarity of a rep to a reference rep (DTW on normalised trajectories), on synthetic sequences."""

from __future__ import annotations

import numpy as np
import pytest

from posecoach.testing import synth
from posecoach.clinic.references import reference_from_frames, session_rep_trajectories
from posecoach.core.similarity import dtw, prepare, rep_similarity, rep_trajectory


def _reps(exercise, scenario):
    trace, reps, _ = reference_from_frames(exercise, [(t, p, False) for t, p in scenario.poses])
    t = [x[0] for x in trace]
    v = [x[1] for x in trace]
    return [traj for _, traj in session_rep_trajectories(t, v, reps)]


@pytest.fixture(scope="module")
def bridge_ref():
    from posecoach.core.exercise import find_exercise

    return _reps(find_exercise("glute_bridge"), synth.glute_bridge(3, noise_px=1.0, seed=1))[1]


def test_identical_rep_scores_100(bridge_ref):
    score, _ = rep_similarity(bridge_ref, bridge_ref)
    assert score == 100.0
    score, _ = rep_similarity(bridge_ref[:, 1], bridge_ref[:, 1])  # plain 1-D values work too
    assert score == 100.0


def test_good_reps_score_high_faulty_ones_lower(exercise, bridge_ref):
    ex = exercise("glute_bridge")
    good = _reps(ex, synth.glute_bridge(3, noise_px=1.0, seed=2))
    # hips well below the line at the top (still counted: 162 > the 155 peak threshold)
    low_peak = [synth.hook_lying(shk_deg=162.0)] * 3
    kf, _ = synth.reps(synth.hook_lying(), low_peak, 3, rep_s=2.0, hold_s=2.0, rest_s=1.5)
    low = _reps(ex, synth.Scenario(synth.keyframe_sequence(kf, 30.0, synth.Camera(view="side", facing="left")), 30.0, {}, synth.Camera()))
    fast = _reps(ex, synth.glute_bridge(3, rep_s=1.0, hold_s=0.5, noise_px=1.0, seed=3))
    assert len(good) == len(low) == len(fast) == 3
    g = [rep_similarity(bridge_ref, r) for r in good]
    lo = [rep_similarity(bridge_ref, r) for r in low]
    fa = [rep_similarity(bridge_ref, r) for r in fast]
    assert min(s for s, _ in g) >= 90
    assert max(s for s, _ in lo) < min(s for s, _ in g) - 20
    assert max(s for s, _ in fa) < min(s for s, _ in g) - 20
    assert all(phase == "top" for _, phase in lo)  # hips low: the top differs most


def test_shallow_squat_ranks_below_a_full_one(exercise):
    ex = exercise("squat")
    ref = _reps(ex, synth.squat(3, noise_px=1.0, seed=1))[0]
    good = _reps(ex, synth.squat(3, noise_px=1.0, seed=4))
    shallow = _reps(ex, synth.squat(3, depth_knee_deg=65, noise_px=1.0, seed=4))
    sg = [rep_similarity(ref, r)[0] for r in good]
    ss = [rep_similarity(ref, r)[0] for r in shallow]
    assert min(sg) > 90 and max(ss) < min(sg) - 15


def test_tempo_counts_only_with_times(bridge_ref):
    # The same shape, twice as slow: the 1-D (untimed) comparison cannot tell; the timed one does.
    slow = bridge_ref.copy()
    slow[:, 0] *= 2
    assert rep_similarity(bridge_ref[:, 1], slow[:, 1])[0] == 100.0
    assert rep_similarity(bridge_ref, slow)[0] == pytest.approx(70.0, abs=0.5)  # 100 * (1 - 0.15 / 0.5)


def test_mapping_and_baseline():
    t = np.linspace(0, 2, 61)
    ref = np.column_stack([t, 100 + 50 * np.sin(np.pi * t / 2) ** 2])
    # the same movement from another resting angle scores 100: each rep's own rest is the baseline
    assert rep_similarity(ref, ref + [0, 7])[0] == 100.0
    # half the range everywhere: mean gap ~ a third of the range along the movement -> a low score
    half = np.column_stack([t, 100 + 25 * np.sin(np.pi * t / 2) ** 2])
    s, _ = rep_similarity(ref, half)
    assert 20 < s < 70
    # a falling angle (squat-like) is handled by the reference's direction
    assert rep_similarity(ref * [1, -1], ref * [1, -1])[0] == 100.0


def test_too_few_frames_is_a_value_error():
    with pytest.raises(ValueError):
        rep_similarity(np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError):
        rep_similarity(np.full(20, 5.0), np.arange(20.0))  # the reference does not move


def test_dtw_band_and_prepare():
    a = np.sin(np.linspace(0, np.pi, 50))
    cost, path = dtw(a, a, 5)
    assert cost == 0 and path[0][:2] == (0, 0) and path[-1][:2] == (49, 49)
    assert all(abs(i - j) <= 5 for i, j, _ in path)
    y, dur = prepare(np.column_stack([np.linspace(0, 3, 91), np.r_[np.zeros(30), np.sin(np.linspace(0, np.pi, 31)) * 40, np.zeros(30)]]), 1.0, 40.0)
    assert len(y) == 50 and dur < 1.2  # the rest before and after the movement is trimmed


def test_rep_trajectory_pads_into_rest_but_not_into_the_next_rep():
    t = np.arange(0, 10, 0.1)
    v = np.where((t > 2) & (t < 4), 150.0, 120.0)
    tr = rep_trajectory(t, v, 2.0, 4.0, hi_s=4.3, pad_s=0.75)
    assert tr[0, 0] == pytest.approx(-0.7, abs=0.051) and tr[-1, 0] <= 2.3 + 1e-9
    v[25] = np.nan
    assert not np.isnan(rep_trajectory(t, v, 2.0, 4.0)).any()
