"""Landmark recordings: saved poses replay through the same session without the model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from posecoach.testing import synth
from posecoach.cli.batch import replay_recording
from posecoach.cli.main import main
from posecoach.core.exercise import find_exercise
from posecoach.io.recording import read_recording, write_recording
from posecoach.core.session import Session


def _scenario_with_cut():
    sc = synth.glute_bridge(n_reps=3, hold_s=1.0, noise_px=1.0, seed=3)
    # a shot cut between rep 1 and rep 2 (at rest: loses nothing); the body moves with it
    (_, end1), (start2, _), _ = sc.truth["rep_windows"]
    t_cut = next(t for t, _ in sc.poses if t > (end1 + start2) / 2)
    poses = synth.cut(sc.poses, t_cut, shift_px=(40.0, 20.0), scale=0.8)
    frames = [(t, p, t == t_cut) for t, p in poses]
    return sc, frames


def test_roundtrip_keeps_poses_gaps_and_cuts(tmp_path):
    sc, frames = _scenario_with_cut()
    frames[5] = (frames[5][0], None, False)
    path = tmp_path / "rec.jsonl"
    write_recording(path, frames, {"source": "synthetic", "fps": sc.fps})
    back, meta = read_recording(path)
    assert meta == {"source": "synthetic", "fps": sc.fps}
    assert len(back) == len(frames)
    assert back[5][1] is None
    assert [c for _, _, c in back] == [c for _, _, c in frames]
    t, p, _ = back[10]
    assert t == frames[10][0]
    np.testing.assert_allclose(p.xy, frames[10][1].xy, atol=1e-3)
    np.testing.assert_allclose(p.visibility, frames[10][1].visibility, atol=1e-4)


def test_replay_judges_like_the_live_session(tmp_path):
    sc, frames = _scenario_with_cut()
    path = tmp_path / "rec.jsonl"
    write_recording(path, frames)
    direct = Session(find_exercise("glute_bridge"))
    for t, p, c in read_recording(path)[0]:
        direct.process(t, p, c)
    res = replay_recording(path, find_exercise("glute_bridge"))
    assert res["reps"] == sc.truth["reps"] == direct.summary()["reps"] == 3
    assert res["cuts"] == 1


def test_replay_at_an_analysis_rate_judges_those_frames_and_keeps_a_cut_on_a_frame_left_out(tmp_path):
    sc, frames = _scenario_with_cut()
    i_cut = next(i for i, f in enumerate(frames) if f[2])
    if i_cut % 3 == 0:  # the cut must fall on a frame that 10 of 30 a second leaves out
        frames = frames[1:]
        i_cut -= 1
    assert i_cut % 3 != 0 and sc.fps == 30
    path = tmp_path / "rec.jsonl"
    write_recording(path, frames, {"source": "synthetic", "fps": sc.fps})
    full = replay_recording(path, find_exercise("glute_bridge"))
    tenth = replay_recording(path, find_exercise("glute_bridge"), rate=10)
    assert full["frames"] == len(frames)
    assert tenth["frames"] == pytest.approx(len(frames) / 3, abs=1)
    assert tenth["cuts"] == full["cuts"] == 1
    assert tenth["reps"] == full["reps"] == 3


def test_replay_cli_writes_results_and_reports_a_corrupt_file(tmp_path, capsys):
    _, frames = _scenario_with_cut()
    good = tmp_path / "clip_landmarks.jsonl"
    write_recording(good, frames)
    bad = tmp_path / "broken_landmarks.jsonl"
    bad.write_text(json.dumps({"t": 0.0, "xy": [[1, 2]], "vis": [1]}) + "\n")
    out = tmp_path / "out"
    rc = main(["replay", str(good), str(bad), "--exercise", "glute_bridge", "--out", str(out)])
    assert rc == 1
    assert json.loads((out / "clip.json").read_text())["reps"] == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ERROR ") and "line 1 is not a landmark frame" in err[0]
    assert "error" in json.loads((out / "broken.json").read_text())
