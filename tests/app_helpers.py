"""Builders for the app tests: generated stick-figure videos with their poses, fake
speech backends and a fake camera.  No real footage, no MediaPipe (except the
``model`` test)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from posecoach.testing import synth
from posecoach.app.synthvideo import ReplayEstimator, render_frame, write_video
from posecoach.core.types import Frame

FPS = 30.0


@dataclass
class SynthClip:
    path: Path
    poses: list
    fps: float

    def estimator_factory(self, cost_s: float = 0.0):
        return lambda: ReplayEstimator(self.poses, self.fps, cost_s=cost_s)


def bridge_clip(path: Path, tops: list[float], *, hold_s: float = 2.6, rest_s: float = 1.0,
                start_rest: float = 1.0, end_rest: float = 1.5) -> SynthClip:
    """Glute bridges with these shoulder-hip-knee angles at the top (180 = good; the
    exercise counts from 155 and calls hips_low under 166)."""
    base = synth.hook_lying()
    peaks = [synth.hook_lying(shk_deg=a) for a in tops]
    kf, _ = synth.reps(base, peaks, len(peaks), rep_s=2.0, hold_s=hold_s, rest_s=rest_s,
                       start_rest=start_rest, end_rest=end_rest)
    seq = synth.keyframe_sequence(kf, FPS, synth.Camera(view="side", facing="left"))
    seq = synth.add_noise(seq, 0.8, seed=3)
    write_video(path, seq, FPS)
    return SynthClip(path, seq, FPS)


def blank_video(path: Path, seconds: float = 2.0, level: int = 150, size=(320, 240)) -> Path:
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, size)
    assert w.isOpened()
    img = np.full((size[1], size[0], 3), level, np.uint8)
    for _ in range(int(seconds * FPS)):
        w.write(img)
    w.release()
    return path


class RecordingBackend:
    """A speech backend that only notes what it was asked to say."""

    audio = True

    def __init__(self) -> None:
        self.said: list[str] = []

    def speak(self, text: str) -> None:
        self.said.append(text)


class FailingBackend:
    """A speech backend whose every utterance fails (a broken audio device)."""

    audio = True

    def __init__(self) -> None:
        self.calls = 0

    def speak(self, text: str) -> None:
        self.calls += 1
        raise OSError("audio device unplugged")


class FakeCamera:
    """Frames of a synthetic clip at its frame rate, then the camera 'is unplugged'."""

    def __init__(self, clip: SynthClip, seconds: float) -> None:
        self.clip = clip
        self.seconds = seconds
        self.name = "camera 0"
        self.fps = clip.fps
        self.lost = False
        self.closed = False

    def __iter__(self):
        t0 = time.monotonic()
        n = int(self.seconds * self.fps)
        for i, (t, pose) in enumerate(self.clip.poses[:n]):
            wait = t0 + t / 4 - time.monotonic()  # 4x real time: the test stays short
            if wait > 0:
                time.sleep(wait)
            yield Frame(render_frame(pose), t, i)
        self.lost = True

    def close(self) -> None:
        self.closed = True


class IndexedCamera:
    """A camera showing ``poses[start:stop]`` at 4x real time, each tiny frame carrying its pose's
    index in its pixels (so ``IndexReplay`` finds the pose whatever time the frame is given), then
    'unplugged' (``lost``)."""

    def __init__(self, poses: list, start: int, stop: int, fps: float = FPS) -> None:
        self.poses, self.start, self.stop = poses, start, stop
        self.name, self.fps, self.lost, self.closed = "camera 0", fps, False, False

    def __iter__(self):
        t0 = time.monotonic()
        for i in range(self.start, self.stop):
            t = (i - self.start) / self.fps
            wait = t0 + t / 4 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            img = np.zeros((8, 8, 3), np.uint8)
            img[0, 0, 0], img[0, 0, 1] = i % 256, i // 256
            yield Frame(img, t, i - self.start)
        self.lost = True

    def close(self) -> None:
        self.closed = True


class IndexReplay:
    """The estimator for ``IndexedCamera``: the pose whose index the frame carries (``seq``: the
    clip's (t, pose) pairs)."""

    def __init__(self, seq: list) -> None:
        self.poses = [pose for _, pose in seq]

    def detect(self, image, t_s: float = 0.0):
        return self.poses[int(image[0, 0, 0]) + 256 * int(image[0, 0, 1])]

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def no_thread_left():
    """Fail a test that leaves a Python thread (reader, speech) running."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    while True:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()
                 and not isinstance(t, threading._DummyThread)]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not extra, f"threads left running: {[t.name for t in extra]}"


def coaching_window(tmp_path: Path, clinic, clip: SynthClip | None = None, *, speed: float | None = 6.0, **kw):
    """The window the app tests drive: settings in ``tmp_path``, records in ``clinic``, speech
    recorded (``RecordingBackend``); with ``speed``, ``clip``'s poses stand in for the model (none:
    no pictures at all) and play that many times as fast, no frame skipped.  ``speed=None``: the
    window as the app opens it (the layout tests)."""
    from posecoach.app._qt.main_window import MainWindow
    from posecoach.io.speech import Speaker

    speaker = Speaker(backend=RecordingBackend())
    speaker.start()
    if speed is not None:
        kw = {"estimator_factory": clip.estimator_factory() if clip is not None else None, "speed": speed,
              "lossless": True, **kw}
    return MainWindow(settings_path=tmp_path / "settings.json", speaker=speaker, clinic=clinic, **kw)


def window_maker(qtbot, build, *, wait_active: bool):
    """Body of the ``make_window`` fixtures: ``make(...)`` builds a window with ``build(...)``,
    shows it offscreen at 1366x768 (waiting for it to become the active window when
    ``wait_active``) and, at teardown, closes every window made and checks its worker stopped."""
    made = []

    def make(*args, **kw):
        w = build(*args, **kw)
        qtbot.addWidget(w)
        w.resize(1366, 768)
        if wait_active:
            with qtbot.waitActive(w):  # shortcuts need the window to be the active one
                w.show()
        else:
            w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()
        assert w.worker is None


class HangingBackend:
    """A speech engine whose ``speak`` never returns (a stuck ``runAndWait``) until ``release`` is set."""

    audio = True

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def speak(self, text: str) -> None:
        self.calls += 1
        self.release.wait(30.0)
