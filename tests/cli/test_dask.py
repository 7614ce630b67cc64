"""`posecoach analyze --dask`: the same per-video job on a Dask cluster."""

from __future__ import annotations

import json
import os
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
    assert json.loads((out / "good.json").read_text())["frames"] == 12
    assert (out / "good_reps.csv").exists() and (out / "summary.csv").exists()


def test_unreachable_scheduler_is_one_line(tmp_path, capsys, no_model_needed):  # noqa: F811
    video = tiny_video(tmp_path / "a.mp4")
    code = main(["analyze", str(video), "-e", "squat", "--out", str(tmp_path / "out"), "-q",
                 "--dask", "tcp://127.0.0.1:9"])
    assert code == 2
    lines = assert_clean_errors(capsys.readouterr())
    assert len(lines) == 1 and lines[0].startswith("ERROR cannot reach the Dask scheduler at tcp://127.0.0.1:9")


# --------------------------------------------------------------------------- the same bytes as a local run


def _outputs(out: Path) -> dict[str, bytes]:
    """Every file a run wrote but timing.csv (wall times) and the hash cache (local file times);
    report.html without the minute it was generated in."""
    import re

    files = {p.name: p.read_bytes() for p in sorted(out.iterdir())
             if p.is_file() and p.name not in ("timing.csv", ".posecoach-hashes")}
    if "report.html" in files:
        files["report.html"] = re.sub(rb"generated \d{4}-\d\d-\d\d \d\d:\d\d", b"generated -", files["report.html"])
    return files


def _clip(path: Path, frames: int) -> Path:
    """A plain 10 frames/s video (no person: the stand-in estimator supplies one)."""
    import cv2
    import numpy as np

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 120))
    for i in range(frames):
        w.write(np.full((120, 160, 3), 60 + 4 * (i % 40), np.uint8))
    w.release()
    return path


def _videos(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "videos"
    folder.mkdir()
    videos = [_clip(folder / f"v{i}.mp4", frames=40 + 10 * i) for i in range(4)]
    bad = folder / "v2_broken.mp4"
    bad.write_bytes(b"\x00" * 100)  # in the middle of the batch
    return [*videos[:2], bad, *videos[2:]]


def _loopback_cluster(n_workers: int):
    return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                    host="127.0.0.1", dashboard_address=None,
                                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})


def test_dask_writes_the_same_bytes_as_a_local_run(tmp_path):
    """Through the whole batch path (frames, session, outputs), with a stand-in for the model that
    works in the Dask worker processes: every file is the same, byte for byte, as one process's
    and two local processes', and each worker built its estimator once for all its videos."""
    from posecoach.testing.fakes import SyntheticSquats

    videos = _videos(tmp_path)
    opts = AnalyzeOptions(exercise="squat", estimator=SyntheticSquats)
    local = run_batch(videos, opts, tmp_path / "local", show_progress=False)
    assert [r.get("reps") for r in local] == [1, 2, None, 2, 3]  # the stand-in's squats were counted
    assert "error" in local[2]
    run_batch(videos, opts, tmp_path / "procs", show_progress=False, workers=2)
    with _loopback_cluster(2) as cluster, distributed.Client(cluster) as client:
        dask = run_batch(videos, opts, tmp_path / "dask", show_progress=False, dask=cluster.scheduler_address)

        def built() -> list[tuple[int, int]]:
            from posecoach.cli import batch

            return [(e.pid, e.videos) for idle in batch._idle_estimators.values() for e in idle]

        per_worker = client.run(built)
    assert dask == local
    expected = _outputs(tmp_path / "local")
    assert len(expected) == 3 + 4 * 2 + 1  # summary.csv, report.md/.html; JSON and CSV per video; the bad one's JSON
    assert _outputs(tmp_path / "procs") == expected
    assert _outputs(tmp_path / "dask") == expected
    assert not any(b"processing_s" in data for data in expected.values())
    # the model (here its stand-in) was prepared once per worker, in the worker, for all its videos
    estimators = [e for found in per_worker.values() for e in found]
    assert sum(n for _, n in estimators) == 4 and len(estimators) <= 2
    assert all(pid != os.getpid() for pid, _ in estimators)
    # the time each took is kept beside them
    timing = (tmp_path / "dask" / "timing.csv").read_text().splitlines()
    assert timing[0] == "source,processing_s" and len(timing) == 6
    assert timing[3] == f"{videos[2]},"  # the bad video: no time


FOOTAGE = Path(__file__).resolve().parents[2].parent / "shared" / "footage"


def _first_seconds(src: Path, dst: Path, seconds: float) -> Path:
    """The start of a clip, re-encoded (the shared footage is read, never copied whole)."""
    import cv2

    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    out = None
    for _ in range(int(seconds * fps)):
        ok, frame = cap.read()
        if not ok:
            break
        if out is None:
            h, w = frame.shape[:2]
            out = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        out.write(frame)
    cap.release()
    assert out is not None
    out.release()
    return dst


@pytest.mark.model
@pytest.mark.slow
def test_with_the_model_a_video_gives_the_same_bytes_first_or_after_another_and_on_dask(tmp_path, pose_model):  # noqa: F811
    """The real test of preparing the model once: the estimator a worker keeps from one video to
    the next must carry nothing over (MediaPipe's tracker and its filters would); a video's JSON is
    the same alone, after another in the same process, and on a Dask worker after another."""
    if not FOOTAGE.is_dir():
        pytest.skip(f"no shared footage at {FOOTAGE}")
    a = _first_seconds(FOOTAGE / "squat__yuyoujiang.mp4", tmp_path / "a.mp4", 2.5)
    b = _first_seconds(FOOTAGE / "lunge_band__rnhrn.mp4", tmp_path / "b.mp4", 2.0)
    opts = AnalyzeOptions(exercise="squat")
    run_batch([b], opts, tmp_path / "alone", show_progress=False)
    run_batch([a, b], opts, tmp_path / "after", show_progress=False)  # one process: b after a
    with _loopback_cluster(1) as cluster:
        run_batch([a, b], opts, tmp_path / "dask", show_progress=False, dask=cluster.scheduler_address)
    alone = (tmp_path / "alone" / "b.json").read_bytes()
    assert json.loads(alone)["frames_with_pose"] > 0
    assert (tmp_path / "after" / "b.json").read_bytes() == alone
    assert (tmp_path / "dask" / "b.json").read_bytes() == alone
    assert (tmp_path / "dask" / "a.json").read_bytes() == (tmp_path / "after" / "a.json").read_bytes()
