"""Posture education in the window (``posecoach.app._qt.posture``): the "how to sit, stand and
lift" page is reachable from the set-up screen with its three illustrated sections, and the small
always-on-top posture check window shows the state and gives one gentle reminder (shown and
spoken) when generated poses keep the head forward long enough."""

from __future__ import annotations

import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

import posecoach.app  # noqa: F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.app.main import make_app

make_app()

from PySide6.QtCore import Qt  # noqa: E402

from app_helpers import RecordingBackend, no_thread_left, window_maker  # noqa: E402,F401
from posecoach.app._qt.main_window import MainWindow  # noqa: E402
from posecoach.app._qt.posture import PostureGuidePage, PostureWindow, stick_figure  # noqa: E402
from posecoach.core.posture import PostureState, load_posture_settings  # noqa: E402
from posecoach.io.speech import Speaker  # noqa: E402
from posecoach.paths import posture_file  # noqa: E402
from posecoach.testing import synth as S  # noqa: E402
from posecoach.testing.scenarios.posture import laptop_session, seated  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def make_window(qtbot, tmp_path):
    def build(**kw) -> MainWindow:
        speaker = Speaker(backend=RecordingBackend())
        speaker.start()
        return MainWindow(settings_path=tmp_path / "settings.json", speaker=speaker, **kw)

    yield from window_maker(qtbot, build, wait_active=False)


def test_the_guide_is_reachable_from_set_up_and_back(make_window, qtbot):
    w = make_window()
    qtbot.mouseClick(w.setup.posture_guide_button, Qt.MouseButton.LeftButton)
    page = w.pages.currentWidget()
    assert isinstance(page, PostureGuidePage)
    assert page.section_titles == ["Sitting at a laptop", "Standing", "Lifting from the floor"]
    w.resize(1366, 768)
    qtbot.wait(50)
    assert page.scroll_area.verticalScrollBar().maximum() == 0  # all three sections in view on a laptop screen
    qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    assert w.pages.currentWidget() is w.setup


def test_the_stick_figures_are_drawn_green_for_good_and_red_to_avoid(qtbot):
    good = stick_figure(seated(), True, "chair").toImage()
    bad = stick_figure(seated(head_deg=30.0), False, "chair").toImage()

    def count(img, rgb):
        return sum(img.pixelColor(x, y).getRgb()[:3] == rgb for x in range(0, img.width(), 2)
                   for y in range(0, img.height(), 2))

    assert count(good, (0x2E, 0x7D, 0x32)) > 50 and count(good, (0xC6, 0x28, 0x28)) == 0
    assert count(bad, (0xC6, 0x28, 0x28)) > 50 and count(bad, (0x2E, 0x7D, 0x32)) == 0
    # a standing figure is taller than it is wide on the picture
    stand = stick_figure(S.standing(), True).toImage()
    rows = [y for y in range(stand.height()) if any(
        stand.pixelColor(x, y).getRgb()[:3] == (0x2E, 0x7D, 0x32) for x in range(0, stand.width(), 2))]
    assert rows[-1] - rows[0] > 120


def poses_of(sc):
    def feed(stop):
        for t, p in sc.poses:
            if stop():
                return
            yield t, p
    return feed


def test_the_check_window_reminds_once_shown_and_spoken(qtbot):
    settings = load_posture_settings(posture_file())
    sc = laptop_session([(15.0, seated()), (settings.poor_s + 30.0, seated(head_deg=25.0))], fps=5.0, seed=1)
    backend = RecordingBackend()
    speaker = Speaker(backend=backend)
    speaker.start()
    win = PostureWindow(settings=settings, poses=poses_of(sc), speaker=speaker)
    qtbot.addWidget(win)
    win.show()
    try:
        assert win.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
        qtbot.waitUntil(lambda: win.last is not None and win.last.t >= sc.poses[-1][0] - 1e-6, timeout=15000)
        assert win.last.state == PostureState.POOR
        assert win.reminders == [settings.reminder]
        assert win.reminder_label.isVisible() and settings.reminder in win.reminder_label.text()
        assert "head forward" in win.detail_label.text()
        qtbot.waitUntil(lambda: backend.said == [settings.reminder], timeout=5000)
    finally:
        win.close()
        speaker.stop()
    assert not win.thread_.isRunning()


def test_good_posture_in_the_window_stays_quiet(qtbot):
    sc = laptop_session([(90.0, seated(head_deg=2.0))], fps=5.0, noise_px=1.0, seed=2)
    win = PostureWindow(poses=poses_of(sc))
    qtbot.addWidget(win)
    try:
        qtbot.waitUntil(lambda: win.last is not None and win.last.t >= sc.poses[-1][0] - 1e-6, timeout=15000)
        assert win.last.state == PostureState.GOOD and win.reminders == []
        assert win.state_label.text() == "Good posture" and not win.reminder_label.isVisibleTo(win)
    finally:
        win.close()


def test_recalibrate_makes_the_new_posture_the_upright_one(qtbot):
    sc = laptop_session([(10.0, seated()), (600.0, seated(head_deg=25.0))], fps=5.0)
    gate = {"open": False}

    def feed(stop):
        for t, p in sc.poses:
            while t > 30.0 and not gate["open"] and not stop():
                time.sleep(0.005)  # the worker thread waits here until the baseline is retaken
            if stop():
                return
            yield t, p

    win = PostureWindow(poses=feed)
    qtbot.addWidget(win)
    try:
        qtbot.waitUntil(lambda: win.last is not None and win.last.state == PostureState.POOR, timeout=10000)
        win.recalibrate()
        gate["open"] = True
        qtbot.waitUntil(lambda: win.last is not None and win.last.t > 60.0, timeout=15000)
        assert win.last.state == PostureState.GOOD
    finally:
        win.close()


def test_the_check_starts_from_set_up_and_closes_with_the_app(make_window, qtbot, tmp_path):
    from posecoach.io.recording import write_recording

    sc = laptop_session([(8.0, seated())], fps=5.0)
    rec = tmp_path / "desk_landmarks.jsonl"
    write_recording(rec, [(t, p, False) for t, p in sc.poses])
    w = make_window()
    w.setup.set_video(str(rec))
    qtbot.mouseClick(w.setup.posture_check_button, Qt.MouseButton.LeftButton)
    win = w.posture.window
    assert win is not None and win.isVisible()
    qtbot.waitUntil(lambda: win.last is not None and win.last.state == PostureState.GOOD, timeout=15000)
    w.close()
    assert w.posture.window is None and not win.thread_.isRunning()


def test_a_broken_settings_file_is_told_on_set_up(make_window, qtbot, tmp_path, monkeypatch):
    bad = tmp_path / "posture.yaml"
    bad.write_text(posture_file().read_text().replace("poor_s: 60", "poor_s: lots"))
    monkeypatch.setenv("POSECOACH_POSTURE", str(bad))
    w = make_window()
    qtbot.mouseClick(w.setup.posture_check_button, Qt.MouseButton.LeftButton)
    assert w.posture.window is None
    assert "poor_s: expected a number" in w.setup.error_label.text()


def test_starting_an_exercise_ends_the_posture_check(make_window, qtbot, tmp_path):
    """The exercise takes the camera: a posture check still open would hold it."""
    from app_helpers import bridge_clip
    from posecoach.io.recording import write_recording

    sc = laptop_session([(600.0, seated())], fps=5.0)
    rec = tmp_path / "desk_landmarks.jsonl"
    write_recording(rec, [(t, p, False) for t, p in sc.poses])
    clip = bridge_clip(tmp_path / "bridges.mp4", [180.0])
    w = make_window(estimator_factory=clip.estimator_factory(), speed=6.0, lossless=True)
    w.setup.set_video(str(rec))
    qtbot.mouseClick(w.setup.posture_check_button, Qt.MouseButton.LeftButton)
    win = w.posture.window
    assert win is not None
    qtbot.waitUntil(lambda: win.last is not None, timeout=10000)
    assert w.start_session(str(clip.path), "glute_bridge")
    assert w.posture.window is None and not win.thread_.isRunning()
    w.stop("user")
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=15000)
