"""A frame rate too low to coach reliably (issue 12 item 5): below ``MIN_COACH_FPS`` (measured by
bench/bench_low_fps.py) the patient is told so in plain words, with what to do; the skipped
pictures are explained; the count stays exact at and above the threshold."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import random

import pytest

import posecoach.app  # noqa: F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.app import coaching
from posecoach.app.main import make_app

make_app()

from app_helpers import (  # noqa: E402
    RecordingBackend, bridge_clip,
    no_thread_left,  # noqa: F401 - autouse fixture
    window_maker,
)
from posecoach.app._qt.main_window import MainWindow  # noqa: E402
from posecoach.app.coaching import LiveStats  # noqa: E402
from posecoach.core.exercise import find_exercise  # noqa: E402
from posecoach.core.session import Session  # noqa: E402
from posecoach.io.speech import Speaker  # noqa: E402
from posecoach.testing import synth as S  # noqa: E402

MIN = getattr(coaching, "MIN_COACH_FPS", 8.0)


def analysed(seq, rate: float, rng: random.Random, jitter: float = 0.25):
    """The frames a pipeline analysing ``rate`` a second takes (the newest at each analysis)."""
    out, due = [], rng.uniform(0.0, 1.0 / rate)
    for t, pose in seq:
        if t + 1e-9 >= due:
            out.append((t, pose))
            due = t + (1.0 / rate) * (1.0 + rng.uniform(-jitter, jitter))
    return out


@pytest.mark.parametrize("rep_s", [1.5, 2.5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_count_stays_exact_at_the_threshold(rep_s, seed):
    sc = S.squat(5, rep_s=rep_s, rest_s=0.6, fps=60.0, noise_px=1.5, seed=seed)
    for rate in (MIN, MIN + 2.0, 15.0):
        session = Session(find_exercise("squat"))
        for t, pose in analysed(sc.poses, rate, random.Random(seed * 100 + int(rate))):
            session.process(t, pose)
        assert session.summary()["reps"] == 5, (rate, rep_s, seed)


def test_analysed_rate_and_the_warning_in_plain_words():
    s = LiveStats()
    for i in range(60):  # 2 s at 30 frames a second: too early to judge
        s.analysed(i / 30)
    assert s.analysed_fps() is None
    for i in range(60, 150):
        s.analysed(i / 30)
    assert s.analysed_fps() == pytest.approx(30.0, rel=0.02)
    assert coaching.frame_rate_warning(s.analysed_fps(), False) == ""
    slow = LiveStats()
    for i in range(30):  # 4 a second for 7.5 s
        slow.analysed(i / 4)
    rate = slow.analysed_fps()
    assert rate == pytest.approx(4.0, rel=0.05)
    text = coaching.frame_rate_warning(rate, False)
    assert "only 4 pictures a second" in text and "missed" in text
    assert "Close other programs" in text and "plug" in text and "light" in text
    # no flicker: once shown it stays until the rate is clearly back
    assert coaching.frame_rate_warning(MIN + 0.5, True) and not coaching.frame_rate_warning(MIN + 0.5, False)
    assert coaching.frame_rate_warning(MIN + 3.0, True) == ""
    assert coaching.frame_rate_warning(None, True) == ""


def test_skipped_pictures_are_explained():
    s = LiveStats()
    s.dropped = 312
    line = s.status_line(0.0)
    assert "312 pictures skipped" in line and "slower than the camera" in line
    assert "newest picture" in coaching.DROPPED_EXPLAINED and "skips" in coaching.DROPPED_EXPLAINED


# --------------------------------------------------------------------------- in the window


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return bridge_clip(tmp_path_factory.mktemp("clips") / "bridges.mp4", [180.0, 180.0, 180.0])


@pytest.fixture
def make_window(qtbot, tmp_path):
    def build(clip, *, cost_s: float, lossless: bool, speed: float = 1.0) -> MainWindow:
        speaker = Speaker(backend=RecordingBackend())
        speaker.start()
        return MainWindow(settings_path=tmp_path / "settings.json", speaker=speaker,
                          estimator_factory=clip.estimator_factory(cost_s), speed=speed, lossless=lossless)

    yield from window_maker(qtbot, build, wait_active=False)


def test_a_slow_computer_is_told_in_plain_words(make_window, qtbot, clip):
    # inference 0.2 s a frame on a 30 frames/s video in real time: about 5 analysed a second
    w = make_window(clip, cost_s=0.2, lossless=False)
    w.start_session(str(clip.path), "glute_bridge", 1, patient_id=None)
    qtbot.waitUntil(lambda: w.coach.rate_label.isVisible(), timeout=12000)
    text = w.coach.rate_label.text()
    assert "pictures a second" in text and "Close other programs" in text
    assert "skipped" in w.stats_label.text() and w.stats_label.toolTip()
    w.stop()
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=10000)
    assert not w.coach.rate_label.isVisible() or not w._running
    assert any("pictures a second could be analysed" in n for n in w.last_summary["warnings"])
    assert "pictures a second could be analysed" in w.summary.text.toPlainText()
    # back on the set-up screen the status bar no longer shows that session's frame rate
    w.back_to_setup()
    assert w.stats_label.text() == ""


def test_no_warning_at_a_good_frame_rate(make_window, qtbot, clip):
    w = make_window(clip, cost_s=0.0, lossless=True, speed=1.0)
    w.start_session(str(clip.path), "glute_bridge", 1, patient_id=None)
    qtbot.wait(4500)
    assert not w.coach.rate_label.isVisible()
    w.stop()
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=10000)
    assert not any("pictures a second" in n for n in w.last_summary["warnings"])
