"""Frame sources: video files, image folders, cameras; clear one-line errors."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from posecoach.core.types import Frame
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


# ---------------------------------------------------------------- a camera unplugged and back


class _FlakyCamera:
    """``n`` frames 1/30 s apart from time 0, then it stops delivering (``lost``), like CameraSource."""

    def __init__(self, n: int, tag: int) -> None:
        self.n, self.tag, self.lost, self.closed = n, tag, False, False
        self.fps, self.name = 30.0, "camera 0"

    def __iter__(self):
        for i in range(self.n):
            yield Frame(np.full((2, 2, 3), self.tag, np.uint8), i / 30.0, i)
        self.lost = True

    def close(self) -> None:
        self.closed = True


def test_a_lost_camera_is_opened_again_and_the_frames_go_on():
    from posecoach.io.sources import ReconnectingSource

    cams = [_FlakyCamera(5, 1)]
    calls = {"n": 0}

    def reopen():
        calls["n"] += 1
        if calls["n"] != 4:  # unplugged for three tries, back on the fourth, then gone for good
            raise SourceError("camera 0: no camera found")
        cams.append(_FlakyCamera(5, 2))
        return cams[-1]

    told: list[str] = []
    src = ReconnectingSource(cams[0], reopen, retry_s=0.01, give_up_s=0.3,
                             on_lost=lambda: told.append("lost"), on_back=lambda: told.append("back"))
    frames = list(src)
    # the first camera's frames, then the second's, as one stream; after the second loss nothing comes
    # back within give_up_s: the frames end and the source says it is lost
    assert [int(f.image[0, 0, 0]) for f in frames] == [1] * 5 + [2] * 5
    assert [f.index for f in frames] == list(range(10))
    ts = [f.t for f in frames]
    assert all(b > a for a, b in itertools.pairwise(ts)), ts  # time runs on across the gap
    assert ts[5] - ts[4] >= 0.03  # the gap lasted at least three retries
    assert told == ["lost", "back", "lost"] and src.lost and src.losses == 2
    assert cams[0].closed and cams[1].closed


def test_a_camera_that_ends_without_being_lost_just_ends():
    from posecoach.io.sources import ReconnectingSource

    class Ends(_FlakyCamera):
        def __iter__(self):
            yield from list(super().__iter__())
            self.lost = False

    src = ReconnectingSource(Ends(3, 1), lambda: pytest.fail("not reopened"), retry_s=0.01)
    assert len(list(src)) == 3 and not src.lost and src.losses == 0


def test_stopping_while_waiting_for_the_camera_ends_at_once():
    import threading
    import time

    from posecoach.io.sources import ReconnectingSource

    stop = threading.Event()

    def reopen():
        stop.set()  # the user pressed Stop while the camera was missing
        raise SourceError("camera 0: no camera found")

    src = ReconnectingSource(_FlakyCamera(2, 1), reopen, retry_s=0.01, give_up_s=60.0, stop=stop)
    t0 = time.monotonic()
    assert len(list(src)) == 2 and src.lost
    assert time.monotonic() - t0 < 1.0
