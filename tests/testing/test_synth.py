"""Checks of the synthetic landmark generator itself (the other tests rely on its ground truth)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecoach.testing import synth as S
from posecoach.core.landmarks import INDEX
from posecoach.core.types import Pose


def angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    v1, v2 = a - b, c - b
    cos = float(v1 @ v2 / (np.linalg.norm(v1) * np.linalg.norm(v2)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def pt(p: Pose, name: str) -> np.ndarray:
    return p.xy[INDEX[name]]


def pose_at(seq: S.Seq, t: float) -> Pose:
    tt, p = min(seq, key=lambda fp: abs(fp[0] - t))
    assert p is not None
    return p


@pytest.mark.parametrize("facing", ["left", "right"])
def test_side_squat_bottom_knee_angle_matches_posture(facing: str) -> None:
    sc = S.squat(n_reps=2, depth_knee_deg=100, facing=facing)
    assert sc.truth["reps"] == 2 and len(sc.truth["rep_windows"]) == 2
    p = pose_at(sc.poses, sc.truth["peak_windows"][0][0])
    s = facing
    knee = angle(pt(p, f"{s}_hip"), pt(p, f"{s}_knee"), pt(p, f"{s}_ankle"))
    assert knee == pytest.approx(180 - 100, abs=2)
    # trunk inclination from vertical (image y down) ~ the posture's trunk pitch
    d = pt(p, f"{s}_shoulder") - pt(p, f"{s}_hip")
    incl = math.degrees(math.atan2(abs(d[0]), -d[1]))
    assert incl == pytest.approx(45, abs=3)
    # standing at the start: straight knee, near-side more visible than far side
    p0 = sc.poses[0][1]
    assert p0 is not None
    assert angle(pt(p0, f"{s}_hip"), pt(p0, f"{s}_knee"), pt(p0, f"{s}_ankle")) > 178
    far = "right" if s == "left" else "left"
    assert p0.visibility[INDEX[f"{s}_knee"]] > 0.9
    assert p0.visibility[INDEX[f"{far}_knee"]] < 0.8
    assert sc.truth["side"] == s


def test_body_fills_frame_and_faces_direction() -> None:
    sc = S.squat(n_reps=1)
    xy = np.concatenate([p.xy for _, p in sc.poses if p is not None])
    assert xy[:, 0].min() > 0 and xy[:, 0].max() < 640 and xy[:, 1].min() > 0 and xy[:, 1].max() < 480
    assert 0.6 * 480 < xy[:, 1].max() - xy[:, 1].min() < 0.85 * 480
    p0 = sc.poses[0][1]
    assert p0 is not None
    # facing="left": the person's left side is toward the camera, so they face image-left
    assert pt(p0, "nose")[0] < pt(p0, "left_ear")[0]
    front = S.squat(1, view="front").poses[0][1]
    assert front is not None
    assert pt(front, "left_shoulder")[0] > pt(front, "right_shoulder")[0]  # their left on image right
    mirrored = S.squat(1, view="front", camera=S.Camera(view="front", mirror=True)).poses[0][1]
    assert mirrored is not None
    assert pt(mirrored, "left_shoulder")[0] < pt(mirrored, "right_shoulder")[0]


def test_squat_faults() -> None:
    def trunk(sc: S.Scenario) -> float:
        p = pose_at(sc.poses, sc.truth["peak_windows"][0][0])
        d = pt(p, "left_shoulder") - pt(p, "left_hip")
        return math.degrees(math.atan2(abs(d[0]), -d[1]))

    assert trunk(S.squat(1, fault="trunk_forward")) > 60
    shallow = S.squat(1, fault="shallow")
    p = pose_at(shallow.poses, shallow.truth["peak_windows"][0][0])
    assert angle(pt(p, "left_hip"), pt(p, "left_knee"), pt(p, "left_ankle")) > 120

    def knee_vs_ankle(sc: S.Scenario) -> float:
        p = pose_at(sc.poses, sc.truth["peak_windows"][0][0])
        knees = abs(pt(p, "left_knee")[0] - pt(p, "right_knee")[0])
        ankles = abs(pt(p, "left_ankle")[0] - pt(p, "right_ankle")[0])
        return knees / ankles

    ok = S.squat(1, view="front")
    cave = S.squat(3, view="front", fault="knees_cave", fault_reps=[1])
    assert cave.truth["faults"] == [None, "knees_cave", None]
    assert knee_vs_ankle(ok) > 0.95
    p = pose_at(cave.poses, cave.truth["peak_windows"][1][0])
    knees = abs(pt(p, "left_knee")[0] - pt(p, "right_knee")[0])
    ankles = abs(pt(p, "left_ankle")[0] - pt(p, "right_ankle")[0])
    assert knees / ankles < 0.6
    # ankles stay where they stood
    p0 = cave.poses[0][1]
    assert p0 is not None
    assert ankles == pytest.approx(abs(pt(p0, "left_ankle")[0] - pt(p0, "right_ankle")[0]), rel=0.05)


def test_bone_lengths_constant_and_world_convention() -> None:
    bones = [("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("right_hip", "right_knee"),
             ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"), ("left_hip", "right_hip"),
             ("left_shoulder", "right_shoulder")]
    for sc in (S.squat(2, fault="knees_cave", view="oblique"), S.glute_bridge(2), S.pelvic_tilt(2)):
        L = np.array([[np.linalg.norm(p.world[INDEX[a]] - p.world[INDEX[b]]) for a, b in bones]
                      for _, p in sc.poses if p is not None and p.world is not None])
        assert np.ptp(L, axis=0).max() < 1e-6
        p = sc.poses[0][1]
        assert p is not None and p.world is not None
        assert np.allclose((p.world[INDEX["left_hip"]] + p.world[INDEX["right_hip"]]) / 2, 0, atol=1e-9)
    stand = S.squat(1).poses[0][1]
    assert stand is not None and stand.world is not None
    assert stand.world[INDEX["nose"], 1] < 0 < stand.world[INDEX["left_ankle"], 1]  # y down
    assert stand.world[INDEX["left_hip"], 2] < stand.world[INDEX["right_hip"], 2]  # left nearer


def _shk_top(sc: S.Scenario, i: int = 0) -> tuple[float, Pose]:
    a, b = sc.truth["peak_windows"][i]
    p = pose_at(sc.poses, (a + b) / 2)
    return angle(pt(p, "left_shoulder"), pt(p, "left_hip"), pt(p, "left_knee")), p


def test_glute_bridge_geometry() -> None:
    sc = S.glute_bridge(2, hold_s=2.0)
    assert sc.truth["hold_s"] == 2.0
    top, p = _shk_top(sc)
    assert top == pytest.approx(180, abs=2)
    p0 = sc.poses[0][1]
    assert p0 is not None
    # hips rise (image y up = smaller), shoulders and ankles stay on the floor
    assert pt(p, "left_hip")[1] < pt(p0, "left_hip")[1] - 40
    for n in ("left_shoulder", "left_ankle", "left_heel"):
        assert np.linalg.norm(pt(p, n) - pt(p0, n)) < 3
    # the whole rep is held for hold_s at the top
    a, b = sc.truth["peak_windows"][0]
    assert b - a == pytest.approx(2.0)
    start = angle(pt(p0, "left_shoulder"), pt(p0, "left_hip"), pt(p0, "left_knee"))
    assert start < 140

    low, _ = _shk_top(S.glute_bridge(1, fault="hips_low"))
    assert low == pytest.approx(150, abs=2)
    arch_sc = S.glute_bridge(1, fault="over_arch")
    arch, pa = _shk_top(arch_sc)
    assert arch == pytest.approx(360 - 210, abs=2)
    # over-arch: hip above the shoulder-knee line (image y smaller than the line's y at the hip)
    s, h, k = pt(pa, "left_shoulder"), pt(pa, "left_hip"), pt(pa, "left_knee")
    line_y = s[1] + (k[1] - s[1]) * (h[0] - s[0]) / (k[0] - s[0])
    assert h[1] < line_y


def test_pelvic_tilt_small_motion() -> None:
    sc = S.pelvic_tilt(3, hold_s=3.0)
    info = sc.truth["peak"]
    # as MediaPipe reports real tilts: the hip barely rises, the joint angles move a degree or two
    assert 0.0 < info["hip_rise_m"] < 0.01
    assert 0.5 < info["thigh_rot_deg"] < 3
    assert 0.5 < info["shk_change_deg"] < 3
    top, _ = _shk_top(sc)
    p0 = sc.poses[0][1]
    assert p0 is not None
    start = angle(pt(p0, "left_shoulder"), pt(p0, "left_hip"), pt(p0, "left_knee"))
    assert top - start == pytest.approx(info["shk_change_deg"], abs=1.5)


def test_rep_keyframes_and_dither() -> None:
    kf, win = S.reps(S.standing(), S.squat_posture(90), 3, rep_s=2, hold_s=1, rest_s=0.5, start_rest=1)
    assert win == [(1.0, 4.0), (4.5, 7.5), (8.0, 11.0)]
    seq = S.keyframe_sequence(kf, fps=10)
    assert len(seq) == int(kf[-1][0] * 10) + 1
    d = S.dither(S.squat_posture(90), "knee_flex", amplitude=3, duration_s=2, period_s=0.5)
    vals = [p.left.knee_flex for _, p in d]
    assert max(vals) == pytest.approx(93) and min(vals) == pytest.approx(87)
    seq = S.keyframe_sequence(d, fps=30, camera=S.Camera())
    knees = [180 - angle(pt(p, "left_hip"), pt(p, "left_knee"), pt(p, "left_ankle")) for _, p in seq if p]
    assert 86 < min(knees) < 88 and 92 < max(knees) < 94


def test_perturbations() -> None:
    base = S.squat(2).poses
    noisy = S.add_noise(base, 2.0, seed=1)
    diff = np.concatenate([a[1].xy - b[1].xy for a, b in zip(base, noisy)])
    assert 1.5 < diff.std() < 2.5
    assert np.array_equal(S.add_noise(base, 2.0, seed=1)[5][1].xy, noisy[5][1].xy)

    dropped = S.drop_frames(base, fraction=0.2, ranges=[(2.0, 2.5)], seed=3)
    assert all(p is None for t, p in dropped if 2.0 <= t <= 2.5)
    n_none = sum(p is None for _, p in dropped)
    assert 0.1 * len(base) < n_none < 0.4 * len(base)

    occ = S.occlude(base, ["left_knee", "left_ankle"], [(1.0, 2.0)])
    for (t, a), (_, b) in zip(base, occ):
        if 1.0 <= t <= 2.0:
            assert b.visibility[INDEX["left_knee"]] == pytest.approx(0.05)
            assert b.visibility[INDEX["left_hip"]] == a.visibility[INDEX["left_hip"]]
        else:
            assert b is a

    cut = S.cut(base, at_t=3.0, shift_px=(50, -20))
    for (t, a), (_, b) in zip(base, cut):
        expect = np.array([50, -20]) if t >= 3.0 else np.zeros(2)
        assert np.allclose(b.xy - a.xy, expect)
    scaled = S.cut(base, at_t=0.0, shift_px=(0, 0), scale=0.5)
    a, b = base[0][1], scaled[0][1]
    span = lambda p: np.ptp(p.xy[:, 1])  # noqa: E731
    assert span(b) == pytest.approx(0.5 * span(a))

    two = S.second_person(base, [(1.0, 1.5)])
    assert {p.n_people for t, p in two if 1.0 <= t <= 1.5} == {2}
    assert two[0][1].n_people == 1


def test_out_of_frame_visibility_and_base_postures() -> None:
    for post in (S.supine(), S.prone(), S.quadruped(), S.side_lying(), S.plank(), S.sitting(), S.hook_lying()):
        L = S.landmarks_lab(post)
        assert L[:, 1].min() > -1e-6  # nothing below the floor
    cam = S.Camera(focal=2000.0, target=(0.0, 0.9, 0.0))  # too zoomed: feet and head out of frame
    p = S.render(S.standing(), cam)
    assert p.visibility[INDEX["left_ankle"]] == pytest.approx(0.1)
    assert p.visibility[INDEX["left_hip"]] > 0.9


def test_jsonl_roundtrip(tmp_path) -> None:
    seq = S.drop_frames(S.glute_bridge(1, hold_s=0.5).poses, ranges=[(0.5, 0.6)])
    seq = S.second_person(seq, [(1.0, 1.2)])
    path = tmp_path / "bridge.jsonl"
    S.save_jsonl(path, seq, {"exercise": "glute_bridge"})
    back, meta = S.load_jsonl(path)
    assert meta == {"exercise": "glute_bridge"}
    assert len(back) == len(seq)
    for (t1, a), (t2, b) in zip(seq, back):
        assert t1 == pytest.approx(t2)
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            assert np.allclose(a.xy, b.xy, atol=1e-3)
            assert np.allclose(a.visibility, b.visibility, atol=1e-4)
            assert np.allclose(a.world, b.world, atol=1e-5)
            assert a.size_wh == b.size_wh and a.n_people == b.n_people
