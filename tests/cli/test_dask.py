"""`posecoach analyze --dask`: the same per-video job on a Dask cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posecoach.cli.batch import AnalyzeOptions, run_batch
from posecoach.cli.main import main

from test_cli import assert_clean_errors, no_model_needed, pose_model, tiny_video  # noqa: F401

distributed = pytest.importorskip("distributed")


@pytest.mark.model
def test_batch_runs_on_a_cluster_and_keeps_going_past_a_bad_video(tmp_path, pose_model):  # noqa: F811
    good = tiny_video(tmp_path / "good.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        results = run_batch([good, bad], AnalyzeOptions(exercise="squat"), out,
                            show_progress=False, dask=cluster.scheduler_address)
    assert [Path(r["source"]).name for r in results] == ["good.mp4", "bad.mp4"]
    assert results[0]["frames"] == 12 and results[0]["reps"] == 0
    assert "error" in results[1] and "cannot open as a video" in results[1]["error"]
    assert json.loads((out / "good.mp4.json").read_text())["frames"] == 12
    assert (out / "good.mp4_reps.csv").exists() and (out / "summary.csv").exists()


def test_unreachable_scheduler_is_one_line(tmp_path, capsys, no_model_needed):  # noqa: F811
    video = tiny_video(tmp_path / "a.mp4")
    code = main(["analyze", str(video), "-e", "squat", "--out", str(tmp_path / "out"), "-q",
                 "--dask", "tcp://127.0.0.1:9"])
    assert code == 2
    lines = assert_clean_errors(capsys.readouterr())
    assert len(lines) == 1 and lines[0].startswith("ERROR cannot reach the Dask scheduler at tcp://127.0.0.1:9")
