"""A reference movement, the targets derived from it, and judging a patient against them.

Synthetic sequences only (``posecoach.testing.synth``); the video tests draw stick-figure videos with OpenCV
and replay the poses they were drawn from instead of running MediaPipe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posecoach.testing import synth
from posecoach.app.synthvideo import ReplayEstimator, write_video
from posecoach.clinic.patients import Clinic
from posecoach.core.engine import Targets
from posecoach.clinic.references import (
    derive_targets,
    record_reference,
    reference_from_frames,
    reference_reps,
    reference_template,
    targets_for,
)
from posecoach.core.session import Session


def _frames(scenario):
    return [(t, p, False) for t, p in scenario.poses]


def _count(exercise, scenario, targets=None) -> dict:
    s = Session(exercise, targets=targets)
    for t, p in scenario.poses:
        s.process(t, p)
    return s.summary()


# ------------------------------------------------------------------------------ pure parts


def test_reference_targets_count_a_slower_smaller_range_patient(exercise):
    ex = exercise("squat")
    # The patient's guided best: knees to about 118 deg (the default peak is 120: it just counts).
    ref = synth.squat(4, depth_knee_deg=62, noise_px=1.0, seed=1)
    trace, reps, summary = reference_from_frames(ex, _frames(ref))
    assert summary["reps"] == 4 and summary["segmented_by"] == "exercise thresholds"
    t = derive_targets(ex, trace, reps)
    assert t["rom_share"] == 0.8 and t["reference_id"] is None and t["hold_s"] is None
    assert 175 < t["rest"] + 0.2 * 60 < 180  # rest: the resting value (~178) moved 20 % of the range toward the peak
    assert t["peak"] == pytest.approx(178 - 0.8 * 60, abs=2.5)  # 80 % of the ~60 deg range
    assert t["tempo_s"] == pytest.approx(1.3, abs=0.3)
    # Later, on a stiff day: slower (5 s a rep) and less deep (knees to 127 deg).
    patient = synth.squat(5, depth_knee_deg=53, rep_s=5.0, rest_s=1.5, noise_px=1.0, seed=2)
    default = _count(ex, patient)
    assert default["reps"] == 0 and len(default["partial_reps"]) == 5  # "go deeper" every time
    judged = _count(ex, patient, targets_for(ex, t))
    assert judged["reps"] == 5 and judged["partial_reps"] == []
    # ...and a real half-hearted attempt is still not a rep with those targets
    half = synth.squat(3, depth_knee_deg=30, rep_s=5.0, noise_px=1.0, seed=3)
    assert _count(ex, half, targets_for(ex, t))["reps"] == 0


def test_a_reference_the_defaults_do_not_count_is_segmented_by_its_own_range(exercise):
    ex = exercise("glute_bridge")
    # A stiff patient's best bridge: hips to 152 deg, never the default 155 peak.
    kf, _ = synth.reps(synth.hook_lying(), synth.hook_lying(shk_deg=152.0), 4, rep_s=3.0, hold_s=2.0, rest_s=1.5)
    seq = synth.add_noise(synth.keyframe_sequence(kf, 30.0, synth.Camera(view="side", facing="left")), 1.0, seed=1)
    ref = synth.Scenario(seq, 30.0, {}, synth.Camera())
    assert _count(ex, ref)["reps"] == 0
    trace, reps, summary = reference_from_frames(ex, _frames(ref))
    assert summary["reps"] == 4 and summary["segmented_by"].startswith("its own range")
    t = derive_targets(ex, trace, reps)
    assert 140 < t["peak"] < 150 and t["rest"] < t["peak"] - 8
    # hold: the time the reference spent beyond the derived peak (2 s still at the top, plus the
    # slow last part of the lift and the first part of the lowering)
    assert 2.0 <= t["hold_s"] <= 3.5
    # Judged against their targets, the same movement is counted and meets its hold.
    judged = _count(ex, ref, targets_for(ex, t))
    assert judged["reps"] == 4 and all(d["hold_s"] >= t["hold_s"] for d in judged["rep_details"])
    # Hips low is judged against the patient's own top in the reference (152, limit 142), not the
    # textbook 166: the therapist accepted this bridge, so the same bridges are not "hips low".
    assert t["rule_refs"]["hips_low"] == pytest.approx(152.0, abs=2.0)
    assert judged["faults"].get("hips_low", 0) == 0 and judged["fault_limits"]["hips_low"] == "reference"


def test_relative_exercise_gets_offsets(exercise):
    ex = exercise("pelvic_tilt")
    trace, reps, _ = reference_from_frames(ex, _frames(synth.pelvic_tilt(4, tilt_deg=15, noise_px=0.5, seed=1)))
    t = derive_targets(ex, trace, reps, rom_share=0.6)
    assert t["relative"] is True and t["rest"] == ex.rep.rest
    assert ex.rep.rest < t["peak"] < 10  # an offset, not an absolute angle
    s = _count(ex, synth.pelvic_tilt(4, tilt_deg=12, noise_px=0.5, seed=2), targets_for(ex, t))
    assert s["reps"] == 4
    with pytest.raises(ValueError, match="relative"):
        targets_for(ex, {"rest": 140.0, "peak": 160.0})  # absolute angles for a relative exercise


def test_targets_for_checks_the_direction(exercise):
    ex = exercise("squat")
    assert targets_for(ex, None) is None
    assert targets_for(ex, {"peak": 130.0, "hold_s": None}) == Targets(peak=130.0)
    with pytest.raises(ValueError, match="must be below"):
        targets_for(ex, {"rest": 120.0, "peak": 150.0})
    with pytest.raises(ValueError, match="no squat rep"):
        derive_targets(ex, [(0.0, 170.0), (0.1, 171.0)], [])
    with pytest.raises(ValueError, match="rom_share"):
        derive_targets(ex, [], [], rom_share=0)


def test_reference_template_is_a_rep_of_the_reference(exercise):
    ex = exercise("glute_bridge")
    trace, reps, _ = reference_from_frames(ex, _frames(synth.glute_bridge(3, noise_px=1.0, seed=1)))
    ref = {"trace": trace, "reps": reps}
    trajs = reference_reps(ref)
    assert len(trajs) == 3 and all(tr.shape[1] == 2 and len(tr) > 60 for tr in trajs)
    tpl = reference_template(ref)
    assert any(tpl is tr or (tpl.shape == tr.shape and (tpl == tr).all()) for tr in trajs)
    assert reference_template({"trace": trace, "reps": []}) is None


# ------------------------------------------------------------------ recording from a video


def _squat_video(path: Path, depth: float, n: int, rep_s: float, seed: int):
    sc = synth.squat(n, depth_knee_deg=depth, rep_s=rep_s, rest_s=1.5, noise_px=0.8, seed=seed)
    write_video(path, sc.poses, sc.fps)
    return sc


@pytest.fixture
def fake_model(monkeypatch):
    """`PoseEstimator` replays the poses a video was drawn from (set ``.seq``); no model file needed."""
    from posecoach.io import estimator, pose_model as model

    class Fake:
        seq: list = []

        def __call__(self, *a, **k):
            return ReplayEstimator(self.seq, 30.0)

    fake = Fake()
    monkeypatch.setattr(estimator, "PoseEstimator", fake)
    monkeypatch.setattr(model, "find_model", lambda path=None: Path("pose_landmarker.task"))
    return fake


def test_record_reference_from_a_video(tmp_path, posecoach_home):
    sc = _squat_video(tmp_path / "ref.mp4", 62, 3, 2.5, 1)
    with Clinic() as c:
        pid = c.add_patient("Ann")
        res = record_reference(str(tmp_path / "ref.mp4"), "squat", "Ann", notes="guided", clinic=c,
                               estimator_factory=lambda: ReplayEstimator(sc.poses, sc.fps))
        assert len(res["reps"]) == 3 and res["video_file"] is None
        ref = c.reference(res["reference_id"])
        assert ref.patient_id == pid and ref.notes == "guided" and len(ref.trace) == len(sc.poses)
        lm = Path(ref.landmarks_file)
        assert lm.parent == posecoach_home / "references" / str(pid) and lm.is_file()
        stored = c.targets(pid, "squat")
        assert stored["reference_id"] == res["reference_id"] and stored["peak"] == res["targets"]["peak"]
        # keep_video copies the file next to the landmarks
        res2 = record_reference(str(tmp_path / "ref.mp4"), "squat", pid, keep_video=True, clinic=c,
                                estimator_factory=lambda: ReplayEstimator(sc.poses, sc.fps))
        assert Path(res2["video_file"]).is_file() and Path(res2["video_file"]).parent == lm.parent
        assert [r.id for r in c.references(pid, "squat")] == [res2["reference_id"], res["reference_id"]]


def test_cli_reference_then_analyze_with_patient(tmp_path, capsys, fake_model):
    from posecoach.cli.main import main

    ref = _squat_video(tmp_path / "ref.mp4", 62, 3, 2.5, 1)
    fake_model.seq = ref.poses
    assert main(["reference", "record", "--source", str(tmp_path / "ref.mp4"), "--exercise", "squat",
                 "--patient", "Bob Smith"]) == 0
    out = capsys.readouterr().out
    assert "added patient Bob Smith" in out and "rest" in out and "peak" in out
    assert main(["reference", "list", "--patient", "Bob Smith"]) == 0
    assert "squat" in capsys.readouterr().out

    # The patient later: slower, not as deep (not counted with the exercise's own thresholds).
    later = _squat_video(tmp_path / "later.mp4", 53, 4, 5.0, 2)
    fake_model.seq = later.poses
    out_dir = tmp_path / "out"
    assert main(["analyze", str(tmp_path / "later.mp4"), "-e", "squat", "-q", "-o", str(out_dir)]) == 0
    assert json.loads((out_dir / "later.json").read_text())["reps"] == 0
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "later.mp4"), "-e", "squat", "-q", "-o", str(out_dir),
                 "--patient", "Bob Smith"]) == 0
    assert "similarity to the reference" in capsys.readouterr().out
    res = json.loads((out_dir / "later.json").read_text())
    assert res["reps"] == 4 and res["patient"] == "Bob Smith" and res["targets"]["reference_id"] is not None
    for d in res["rep_details"]:
        assert 0 <= d["similarity"] <= 100 and d["differs_most"] in ("rise", "top", "return")
    header = (out_dir / "later_reps.csv").read_text().splitlines()[0].split(",")
    assert header[-5:] == ["similarity", "differs_most", "counted", "why_not_counted", "fault_details"]
    # the faults with a personal limit were judged against this patient's reference
    assert res["fault_limits"]["trunk_forward"] == res["fault_limits"]["shallow"] == "reference"
    with Clinic() as c:
        p = c.patient("Bob Smith")
        rows = c.progress(p.id, "squat")
        assert len(rows) == 1 and rows[0]["reps_done"] == 4 and rows[0]["session_id"] == res["session_id"]
        assert rows[0]["similarity_median"] == pytest.approx(res["similarity_median"])
        assert rows[0]["target_peak"] == res["targets"]["peak"]
        # The result's trace draws report.html; the patient's record keeps the summary without it.
        assert res["trace"]["t"] and "trace" not in c.history.session(res["session_id"])["summary"]
    page = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "similarity (0-100)" in page  # the rep table shows each rep's score

    # The same video as the reference scores ~100; a shallower patient lower.
    fake_model.seq = ref.poses
    assert main(["analyze", str(tmp_path / "ref.mp4"), "-e", "squat", "-q", "-o", str(out_dir), "-p", "Bob Smith"]) == 0
    same = json.loads((out_dir / "ref.json").read_text())
    assert same["reps"] == 3 and min(d["similarity"] for d in same["rep_details"]) > 95
    assert max(d["similarity"] for d in res["rep_details"]) < min(d["similarity"] for d in same["rep_details"])


def test_cli_targets_show_and_set(capsys, exercise):
    from posecoach.cli.main import main

    with Clinic() as c:
        c.add_patient("Cy")
    assert main(["targets", "show", "-p", "Cy", "-e", "glute_bridge"]) == 0
    assert "no targets" in capsys.readouterr().out
    assert main(["targets", "set", "-p", "Cy", "-e", "glute_bridge", "--peak", "150", "--hold", "2"]) == 0
    assert "peak 150" in capsys.readouterr().out
    with Clinic() as c:
        t = c.targets(c.patient("Cy").id, "glute_bridge")
    assert t["peak"] == 150 and t["rest"] == 140 and t["hold_s"] == 2 and t["note"] == "adjusted by the therapist"
    assert targets_for(exercise("glute_bridge"), t) == Targets(rest=140, peak=150, hold_s=2)
    # the wrong way round: refused, nothing stored
    assert main(["targets", "set", "-p", "Cy", "-e", "glute_bridge", "--peak", "130"]) == 2
    assert "must be above" in capsys.readouterr().err
    assert main(["targets", "show", "-p", "Nobody", "-e", "squat"]) == 2
    assert "unknown patient Nobody" in capsys.readouterr().err


def test_analyze_unknown_patient_is_one_line(tmp_path, capsys, fake_model):
    from posecoach.cli.main import main

    sc = _squat_video(tmp_path / "v.mp4", 62, 1, 2.5, 1)
    fake_model.seq = sc.poses
    argv = ["analyze", str(tmp_path / "v.mp4"), str(tmp_path / "v.mp4"), "-e", "squat", "-q", "-o", str(tmp_path / "o")]
    assert main(argv + ["-p", "Zed"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown patient Zed" in err[0]
    assert not (tmp_path / "o").exists()
    # A video judged for a patient who has neither targets nor a reference: the exercise's thresholds, a warning
    with Clinic() as c:
        c.add_patient("Zed")
    assert main(argv[:2] + argv[3:] + ["-p", "Zed"]) == 0
    res = json.loads((tmp_path / "o" / "v.json").read_text())
    assert res["reps"] == 1 and res["rep_details"][0]["similarity"] is None and res["targets"] is None
    assert any("no targets for Zed" in w for w in res["warnings"])


def test_record_reference_from_a_camera(tmp_path, monkeypatch):
    """A camera reference: recorded for ``seconds``, the video kept only when asked."""
    from app_helpers import FakeCamera, bridge_clip

    from posecoach.io import sources

    clip = bridge_clip(tmp_path / "b.mp4", [180.0, 180.0, 180.0], hold_s=1.0)
    monkeypatch.setattr(sources, "CameraSource", lambda index, **kw: FakeCamera(clip, seconds=60))
    lines: list[str] = []
    with Clinic() as c:
        c.add_patient("Di")
        res = record_reference(0, "glute_bridge", "Di", clinic=c, seconds=8.0, keep_video=True, log=lines.append,
                               estimator_factory=lambda: ReplayEstimator(clip.poses, clip.fps))
        ref = c.reference(res["reference_id"])
    assert "camera 0" in lines[0] and ref.source == "0"
    assert 2 <= len(res["reps"]) <= 3  # what fitted in 8 s
    assert max(t for t, _ in ref.trace) <= 8.0
    assert Path(res["video_file"]).stat().st_size > 0 and res["targets"]["hold_s"] >= 1.0


def test_nothing_is_stored_when_the_reference_has_no_rep(tmp_path, posecoach_home):
    # Standing still: no squat to take targets from.
    seq = synth.keyframe_sequence([(0.0, synth.standing()), (4.0, synth.standing())], 30.0, synth.Camera(view="side"))
    write_video(tmp_path / "still.mp4", seq, 30.0)
    with Clinic() as c:
        pid = c.add_patient("Ed")
        with pytest.raises(ValueError, match="no squat rep"):
            record_reference(str(tmp_path / "still.mp4"), "squat", "Ed", clinic=c, keep_video=True,
                             estimator_factory=lambda: ReplayEstimator(seq, 30.0))
        assert c.references(pid) == [] and c.targets(pid, "squat") is None
    folder = posecoach_home / "references" / str(pid)
    assert not folder.exists() or not any(folder.iterdir())


def test_stop_ends_a_recording_early(tmp_path):
    sc = _squat_video(tmp_path / "ref.mp4", 62, 4, 2.5, 1)
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 150  # 5 s of 30 fps

    with Clinic() as c:
        c.add_patient("Flo")
        res = record_reference(str(tmp_path / "ref.mp4"), "squat", "Flo", clinic=c, stop=stop,
                               estimator_factory=lambda: ReplayEstimator(sc.poses, sc.fps))
        assert len(c.reference(res["reference_id"]).trace) == 150 and len(res["reps"]) == 1


def test_targets_read_in_the_features_unit(exercise):
    """The pelvic tilt's slide is a fraction of the body length (4 decimals, no degrees); angle
    exercises stay in degrees; the minimum gap between targets follows the unit."""
    from posecoach.clinic.targets import value_unit

    assert value_unit(exercise("pelvic_tilt")) == (" of the body length", 4)
    assert value_unit(exercise("squat")) == (" deg", 1)
    with pytest.raises(ValueError, match="0.0014 of the body length apart"):
        targets_for(exercise("pelvic_tilt"), {"rest": 0.0015, "peak": 0.002, "relative": True})
    assert targets_for(exercise("pelvic_tilt"), {"rest": 0.0015, "peak": 0.004, "relative": True}).peak == 0.004
