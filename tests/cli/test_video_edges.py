"""``posecoach analyze`` on edge-case videos: a one-frame video is analysed, a tiny one refused in one line.

The frame-source side of these (and variable frame rate, rotation, 4K) is in ``tests/io/test_sources_edge.py``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from posecoach.cli.main import main
from posecoach.io.sources import MIN_SIDE

from test_cli import assert_clean_errors, no_model_needed, pose_model  # noqa: F401


def write_video(path, frames: int, size: tuple[int, int]):
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, size)
    for i in range(frames):
        w.write(np.full((size[1], size[0], 3), 40 + 10 * i, np.uint8))
    w.release()
    return path


def test_tiny_video_is_one_error_line(tmp_path, capsys, no_model_needed):  # noqa: F811
    tiny = write_video(tmp_path / "tiny.mp4", 3, (16, 16))
    code = main(["analyze", str(tiny), "--exercise", "squat", "--out", str(tmp_path / "out"), "-q"])
    assert code == 1
    lines = assert_clean_errors(capsys.readouterr())
    assert lines == [f"ERROR {tiny}: the video is 16x16 pixels, too small to find a pose in; it needs at least "
                     f"{MIN_SIDE} pixels on its short side: record or export it larger"]
    assert "too small" in json.loads((tmp_path / "out" / "tiny.json").read_text())["error"]


@pytest.mark.model
@pytest.mark.slow
def test_one_frame_video_is_analysed(tmp_path, capsys, pose_model):  # noqa: F811
    one = write_video(tmp_path / "one.mp4", 1, (160, 120))
    assert main(["analyze", str(one), "--exercise", "squat", "--out", str(tmp_path / "out"), "-q"]) == 0
    res = json.loads((tmp_path / "out" / "one.json").read_text())
    assert res["frames"] == 1 and res["reps"] == 0 and res["duration_s"] == pytest.approx(0.1)
