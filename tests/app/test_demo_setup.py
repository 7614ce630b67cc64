""""Try the demo" on the set-up screen (issue 12 item 12): with no camera and no model, the demo
coaches a generated video from the window, and nothing of it is stored (pytest-qt, offscreen)."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import pytest

import posecoach.app  # noqa: F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.app.main import make_app

make_app()

from PySide6.QtCore import Qt  # noqa: E402

from app_helpers import RecordingBackend, no_thread_left, window_maker  # noqa: E402,F401 - autouse fixture
from posecoach.app._qt.main_window import MainWindow  # noqa: E402
from posecoach.clinic.patients import Clinic  # noqa: E402
from posecoach.io.speech import Speaker  # noqa: E402

pytestmark = pytest.mark.gui


def _no_model():
    raise AssertionError("the demo must not load the pose model")


@pytest.fixture
def make_window(qtbot, tmp_path):
    clinic = Clinic()  # POSECOACH_HOME is a temporary folder (conftest)

    def build() -> MainWindow:
        speaker = Speaker(backend=RecordingBackend())
        speaker.start()
        return MainWindow(settings_path=tmp_path / "settings.json", speaker=speaker, clinic=clinic,
                          estimator_factory=_no_model, speed=8.0)

    yield from window_maker(qtbot, build, wait_active=False)
    clinic.close()


def test_try_the_demo_coaches_without_a_camera_and_stores_nothing(qtbot, make_window):
    w = make_window()
    clinic = w.clinic
    pid = clinic.add_patient("Ann")
    w.refresh_patients()
    w.setup.select_patient(pid)
    w.setup.select_exercise("squat")
    assert w.setup.demo_button.isVisible() and w.setup.demo_button.isEnabled()
    qtbot.mouseClick(w.setup.demo_button, Qt.MouseButton.LeftButton)
    assert w.pages.currentWidget() is w.coach and w.worker is not None
    assert w.exercise is not None and w.exercise.id == "squat"  # the chosen exercise has a demo
    assert w.patient_id is None  # a demo is nobody's session
    assert w._estimator_factory is _no_model  # lent to the demo's worker only
    qtbot.waitUntil(lambda: w.view is not None and w.view.reps >= 2, timeout=20000)
    w.stop("user")
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=10000)
    assert w.last_summary is not None and w.last_summary["reps"] >= 2 and w.plan.sets == 1 and w.plan.reps == 4
    assert w.history.sessions(10) == [] and clinic.progress(pid) == []  # nothing stored
    assert w.settings.video_path in (None, "") or "posecoach_demo" not in str(w.settings.video_path)


def test_a_demo_of_an_exercise_without_one_plays_the_bridges(qtbot, make_window):
    w = make_window()
    w.setup.select_exercise("plank")
    w.setup.demo_requested.emit()
    assert w.worker is not None and w.exercise is not None and w.exercise.id == "glute_bridge"
    w.stop("user")
    qtbot.waitUntil(lambda: w.worker is None, timeout=10000)
