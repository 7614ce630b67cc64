"""Frame sources: video files, image folders, cameras; clear one-line errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from posecoach.errors import SourceError
from posecoach.io.sources import CameraSource, ImageFolderSource, VideoFileSource, collect_videos, open_source


def write_video(path, n=15, fps=15.0, size=(96, 64)):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(n):
        w.write(np.full((size[1], size[0], 3), i * 10 % 255, np.uint8))
    w.release()
    return path


def test_video_frames_have_rising_timestamps_at_the_file_rate(tmp_path):
    with VideoFileSource(write_video(tmp_path / "v.mp4")) as src:
        frames = list(src)
    assert src.fps == pytest.approx(15.0)
    assert len(frames) == 15
    assert [f.index for f in frames] == list(range(15))
    assert np.allclose([f.t for f in frames], np.arange(15) / 15.0)
    assert frames[0].size_wh == (96, 64)


def test_large_frames_are_scaled_down(tmp_path):
    with VideoFileSource(write_video(tmp_path / "v.mp4", size=(320, 240)), max_side=160) as src:
        assert next(iter(src)).size_wh == (160, 120)


def test_image_folder_in_name_order_skipping_unreadable(tmp_path):
    for i in (2, 0, 1):
        cv2.imwrite(str(tmp_path / f"f{i}.png"), np.full((10, 12, 3), i, np.uint8))
    (tmp_path / "f3.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("ignored")
    src = open_source(tmp_path)
    assert isinstance(src, ImageFolderSource)
    frames = list(src)
    assert [int(f.image[0, 0, 0]) for f in frames] == [0, 1, 2]
    assert [f.t for f in frames] == pytest.approx([0, 1 / 30, 2 / 30])


def _file(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing.mp4", "no such file"),
        (lambda p: _file(p / "e.mp4", b""), "the file is empty"),
        (lambda p: _file(p / "c.mp4", b"\x00garbage" * 50), "cannot open as a video"),
    ],
)
def test_bad_video_files_are_one_line_errors(tmp_path, make, message):
    with pytest.raises(SourceError) as e:
        VideoFileSource(make(tmp_path))
    assert message in str(e.value) and "\n" not in str(e.value)


def test_empty_image_folder(tmp_path):
    with pytest.raises(SourceError, match="no images found"):
        ImageFolderSource(tmp_path)


def test_missing_camera_says_what_to_do():
    with pytest.raises(SourceError) as e:
        CameraSource(97)  # no machine here has 98 cameras
    assert str(e.value).startswith("camera 97: no camera found")
    assert "video file" in str(e.value)


def test_collect_videos_expands_folders_and_reports_problems(tmp_path):
    sub = tmp_path / "clips"
    sub.mkdir()
    a = write_video(sub / "a.mp4")
    b = write_video(sub / "b.MOV")
    (sub / "readme.txt").write_text("x")
    empty = tmp_path / "empty"
    empty.mkdir()
    doc = tmp_path / "doc.pdf"
    doc.write_text("x")
    videos, problems = collect_videos([sub, a, empty, doc, tmp_path / "nope.mp4"])
    assert videos == [a, b]  # a given twice is analysed once
    assert len(problems) == 3
    assert any("no video files in this folder" in p for p in problems)
    assert any("unsupported file type '.pdf'" in p for p in problems)
    assert any("no such file or folder" in p for p in problems)
