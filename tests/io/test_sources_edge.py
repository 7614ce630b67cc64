"""Video files at the edges: variable frame rate, phone rotation, one frame, tiny, 4K.

Each is handled (true times, upright frames, bounded size) or refused in one line.  The
variable-frame-rate and rotated files are made with ``ffmpeg`` (skipped without it); the same
logic is also checked on a stand-in capture object, which always runs.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecoach.errors import SourceError
from posecoach.io import sources
from posecoach.io.sources import DEFAULT_MAX_SIDE, MIN_SIDE, VideoFileSource

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")


def write_video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert out.isOpened()
    for f in frames:
        out.write(f)
    out.release()
    return path


def marked(w: int = 96, h: int = 64) -> np.ndarray:
    """A dark frame with a red block in its top-left corner: shows which way is up."""
    img = np.full((h, w, 3), 30, np.uint8)
    img[: h // 4, : w // 4] = (0, 0, 255)
    return img


def red_centre(img: np.ndarray) -> tuple[float, float]:
    """Where the red block is, as fractions of the width and height."""
    ys, xs = np.nonzero((img[:, :, 2] > 150) & (img[:, :, 0] < 100))
    return float(xs.mean() / img.shape[1]), float(ys.mean() / img.shape[0])


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG or "ffmpeg", "-y", "-loglevel", "error", *args], check=True, timeout=60)


class FakeCapture:
    """Stands in for cv2.VideoCapture: given frames, container times (ms) and rotation metadata.

    ``applies_rotation=False`` is a backend that reports the rotation but cannot turn the frames.
    """

    def __init__(self, frames, msec, *, rotation=0, applies_rotation=True, fps=30.0):
        self.frames, self.msec, self.rotation = list(frames), list(msec), rotation
        self.applies_rotation, self.auto, self.fps, self.i = applies_rotation, False, fps, -1

    def isOpened(self):
        return True

    def get(self, prop):
        return {
            cv2.CAP_PROP_FPS: self.fps,
            cv2.CAP_PROP_FRAME_COUNT: len(self.frames),
            cv2.CAP_PROP_POS_MSEC: self.msec[self.i] if self.i >= 0 else 0.0,
            cv2.CAP_PROP_ORIENTATION_META: self.rotation,
            cv2.CAP_PROP_ORIENTATION_AUTO: float(self.auto),
        }.get(prop, 0.0)

    def set(self, prop, value):
        if prop == cv2.CAP_PROP_ORIENTATION_AUTO and self.applies_rotation:
            self.auto = bool(value)
            return True
        return False

    def grab(self):
        self.i += 1
        return self.i < len(self.frames)

    def retrieve(self):
        if not 0 <= self.i < len(self.frames):
            return False, None
        img = self.frames[self.i]
        if self.auto and self.rotation:
            img = cv2.rotate(img, sources._ROTATIONS[self.rotation])
        return True, img.copy()

    def read(self):
        return self.retrieve() if self.grab() else (False, None)

    def release(self):
        pass


@pytest.fixture
def fake_video(tmp_path, monkeypatch):
    """A non-empty file whose capture is a FakeCapture made with the given arguments."""

    def make(*args, **kw) -> Path:
        cap = FakeCapture(*args, **kw)
        monkeypatch.setattr(sources.cv2, "VideoCapture", lambda _path: cap)
        path = tmp_path / "fake.mp4"
        path.write_bytes(b"x")
        return path

    return make


# --------------------------------------------------------------------------- variable frame rate


VFR_TIMES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.8, 1.1, 1.4, 1.7]  # 10 frames/s, then 3.3


@needs_ffmpeg
def test_variable_frame_rate_video_keeps_the_container_times(tmp_path):
    cfr = write_video(tmp_path / "cfr.mp4", [marked() for _ in VFR_TIMES])
    vfr = tmp_path / "vfr.mp4"
    # the first 5 frames 0.1 s apart, the rest 0.3 s apart: a phone slowing down in dim light
    ffmpeg("-i", str(cfr), "-vf", "setpts='if(lt(N,6),N*0.1,0.5+(N-5)*0.3)/TB'", "-fps_mode", "vfr",
           "-c:v", "mpeg4", "-q:v", "5", str(vfr))
    with VideoFileSource(vfr) as src:
        times = [f.t for f in src]
    assert times == pytest.approx(VFR_TIMES, abs=0.002)
    assert not np.allclose(times, np.arange(len(times)) / src.fps, atol=0.05)  # index / fps would be wrong


def test_variable_frame_rate_times_come_from_the_container(fake_video):
    path = fake_video([marked()] * len(VFR_TIMES), [t * 1000 for t in VFR_TIMES], fps=10.0)
    with VideoFileSource(path) as src:
        assert [f.t for f in src] == pytest.approx(VFR_TIMES)


def test_a_variable_frame_rate_is_thinned_by_time_keeping_true_times(fake_video):
    """``--analysis-fps``: frames 30 ms apart, then 80 ms apart: kept by their times, not every k-th."""
    times = [i * 0.03 for i in range(20)] + [0.6 + i * 0.08 for i in range(1, 11)]
    path = fake_video([marked()] * len(times), [t * 1000 for t in times], fps=20.0)
    with VideoFileSource(path, analysis_fps=10.0) as src:
        kept = [(f.index, f.t) for f in src]
    assert all(t == pytest.approx(times[i]) for i, t in kept)  # each with its own container time
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(kept)]
    # On a 0.1 s grid: never closer than one source frame, never later than one source frame
    # interval past the grid (0.11 s here, where the spacing changes).
    assert all(0.03 - 1e-9 <= g <= 0.1 + 0.11 + 1e-9 for g in gaps)
    assert len(kept) == pytest.approx(times[-1] * 10, abs=1.5)  # 10 a second, not every k-th frame


# --------------------------------------------------------------------------- rotation


@needs_ffmpeg
@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_phone_video_frames_are_upright(tmp_path, rotate):
    """Upright as ffmpeg itself shows the file (it applies the rotation when it re-encodes)."""
    plain = write_video(tmp_path / "plain.mp4", [marked()] * 3)
    tagged = tmp_path / "tagged.mp4"
    ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", f"rotate={rotate}", str(tagged))
    shown = tmp_path / "shown.mp4"
    ffmpeg("-i", str(tagged), "-c:v", "mpeg4", "-q:v", "2", str(shown))
    cap = cv2.VideoCapture(str(shown))
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
    ok, expected = cap.read()
    cap.release()
    assert ok and (expected.shape[0] > expected.shape[1]) == (rotate != 180)  # portrait after 90/270
    with VideoFileSource(tagged) as src:
        frames = [f.image for f in src]
    assert len(frames) == 3 and frames[0].shape == expected.shape
    assert red_centre(frames[0]) == pytest.approx(red_centre(expected), abs=0.05)


@pytest.mark.parametrize("rotate, code", [(90, cv2.ROTATE_90_CLOCKWISE), (180, cv2.ROTATE_180),
                                          (270, cv2.ROTATE_90_COUNTERCLOCKWISE)])
def test_rotation_the_backend_cannot_apply_is_applied_here(fake_video, rotate, code):
    path = fake_video([marked()] * 2, [0.0, 100.0], rotation=rotate, applies_rotation=False)
    with VideoFileSource(path) as src:
        frames = [f.image for f in src]
    assert len(frames) == 2
    for f in frames:
        assert np.array_equal(f, cv2.rotate(marked(), code))


def test_rotation_the_backend_applies_is_not_applied_twice(fake_video):
    path = fake_video([marked()] * 2, [0.0, 100.0], rotation=90, applies_rotation=True)
    with VideoFileSource(path) as src:
        assert np.array_equal(next(iter(src)).image, cv2.rotate(marked(), cv2.ROTATE_90_CLOCKWISE))


# --------------------------------------------------------------------------- one frame, tiny, 4K


def test_one_frame_video(tmp_path):
    with VideoFileSource(write_video(tmp_path / "one.mp4", [marked()])) as src:
        frames = list(src)
    assert len(frames) == 1 and frames[0].t == 0.0 and frames[0].index == 0


@pytest.mark.parametrize("size", [(16, 16), (200, 40)])
def test_too_small_video_is_refused_in_one_line(tmp_path, size):
    w, h = size
    path = write_video(tmp_path / "small.mp4", [marked(w, h)] * 3)
    with pytest.raises(SourceError) as exc:
        VideoFileSource(path)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(f"{path}: the video is {w}x{h} pixels")
    assert f"at least {MIN_SIDE} pixels on its short side" in msg


def test_4k_frames_are_downscaled_by_default(tmp_path):
    path = write_video(tmp_path / "4k.mp4", [marked(3840, 2160)] * 2, fps=30.0)
    with VideoFileSource(path) as src:
        frames = list(src)
    assert len(frames) == 2 and all(f.size_wh == (DEFAULT_MAX_SIDE, 720) for f in frames)
    assert red_centre(frames[0].image) == pytest.approx((0.125, 0.125), abs=0.01)
    with VideoFileSource(path, max_side=None) as src:  # full size only when asked for
        assert next(iter(src)).size_wh == (3840, 2160)


def test_a_long_strip_is_not_downscaled_below_the_minimum(fake_video):
    path = fake_video([marked(4000, 100)], [0.0])
    with VideoFileSource(path, max_side=1280) as src:
        assert next(iter(src)).size_wh == (2560, MIN_SIDE)
