"""The one demo session (``posecoach.testing.demo``): what the terminal demo, ``app --demo``, the
screenshots and the live benchmark play.  Each exercise counts its reps, with its one faulty rep
counted and faulted, and the terminal demo reports what a plain session over the poses gives."""

from __future__ import annotations

import json

import pytest

from posecoach.cli.live import run_demo
from posecoach.core.exercise import find_exercise
from posecoach.core.session import Session
from posecoach.errors import SourceError
from posecoach.testing import demo


def plain_summary(exercise_id: str) -> dict:
    sc = demo.demo_scenario(exercise_id)
    s = Session(find_exercise(exercise_id))
    for t, pose in sc.poses:
        s.process(t, pose)
    return s.summary()


@pytest.mark.parametrize("exercise_id, faulty", [("glute_bridge", {2: ["hips_low"]}), ("squat", {3: ["trunk_forward"]}),
                                                 ("pelvic_tilt", {})])
def test_each_demo_counts_its_reps_and_its_faulty_rep(exercise_id, faulty) -> None:
    s = plain_summary(exercise_id)
    assert s["reps"] == 4
    assert {d["index"]: d["faults"] for d in s["rep_details"] if d["faults"]} == faulty


def test_an_exercise_without_a_demo_is_one_line() -> None:
    with pytest.raises(SourceError, match="no demo recording for 'dead_bug'"):
        demo.demo_scenario("dead_bug")


def test_the_app_offers_the_same_demo() -> None:
    pytest.importorskip("cv2")
    from posecoach.app import synthvideo

    assert synthvideo.demo_scenario is demo.demo_scenario and synthvideo.ReplayEstimator is demo.ReplayEstimator


def test_the_terminal_demo_goes_through_the_pipeline_unchanged(tmp_path, capsys) -> None:
    out = tmp_path / "demo.json"
    assert run_demo("squat", speed=0, out=str(out)) == 0
    assert json.loads(out.read_text()) == json.loads(json.dumps(plain_summary("squat")))
    text = capsys.readouterr().out
    assert "Summary: 4 reps of Squat" in text and "faults: trunk_forward" in text


def test_replay_estimator_returns_the_pose_of_the_frame_time() -> None:
    sc = demo.demo_scenario("glute_bridge")
    est = demo.ReplayEstimator(sc.poses, sc.fps)
    frames = list(demo.blank_frames(sc.poses))
    assert [f.t for f in frames] == [t for t, _ in sc.poses]
    assert est.detect(frames[10].image, frames[10].t) is sc.poses[10][1]
    assert est.detect(frames[0].image, len(sc.poses) / sc.fps + 1.0) is None
    with est:
        pass
    assert est.closed and est.calls == 2
