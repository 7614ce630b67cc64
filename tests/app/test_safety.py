"""Issue 12, safety in the window (pytest-qt, offscreen): the red-flag screen before a patient's
first session and weekly, a "yes" stopping coaching until the therapist clears it, and the
warnings that were wrong (item 11).

Same approach as test_app_therapist.py: generated stick-figure videos, a fake estimator replaying
the poses they were drawn from, the real worker, Session and Clinic."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

from datetime import datetime, timedelta  # noqa: E402

import pytest  # noqa: E402

import posecoach.app  # noqa: E402,F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.app.main import make_app  # noqa: E402

make_app()

from PySide6.QtCore import Qt  # noqa: E402

from app_helpers import (  # noqa: E402
    coaching_window,
    bridge_clip,
    no_thread_left,  # noqa: F401 - autouse fixture
    window_maker,
)
from posecoach.app._qt.main_window import MainWindow  # noqa: E402
from posecoach.clinic.red_flags import QUESTIONS  # noqa: E402

pytestmark = pytest.mark.gui

NO = {q.id: False for q in QUESTIONS}


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return bridge_clip(tmp_path_factory.mktemp("clips") / "bridges.mp4", [180.0, 180.0], hold_s=1.0)


@pytest.fixture
def make_window(qtbot, tmp_path, clinic):
    def build(clip=None, **kw) -> MainWindow:
        return coaching_window(tmp_path, clinic, clip, speed=6.0, **kw)

    yield from window_maker(qtbot, build, wait_active=False)


def _ready(w: MainWindow, pid: int, clip) -> None:
    w.refresh_patients()
    w.setup.select_patient(pid)
    w.setup.select_exercise("glute_bridge")
    w.setup.set_video(str(clip.path))


def test_the_first_session_asks_the_red_flags_and_starts_when_all_are_no(make_window, qtbot, clinic, clip):
    pid = clinic.add_patient("Ann")
    w = make_window(clip)
    _ready(w, pid, clip)
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    dlg = w.red_flags.dialog
    assert dlg is not None and dlg.isVisible() and w.pages.currentWidget() is w.setup  # not coaching yet
    assert "Ann" in dlg.windowTitle() + "".join(lbl.text() for lbl in dlg.findChildren(type(w.setup.pain_label)))
    assert not dlg.continue_button.isEnabled()
    for q in QUESTIONS[:-1]:
        dlg.answer(q.id, False)
    assert not dlg.continue_button.isEnabled()  # every question needs an answer
    dlg.answer(QUESTIONS[-1].id, False)
    assert dlg.continue_button.isEnabled()
    qtbot.mouseClick(dlg.continue_button, Qt.MouseButton.LeftButton)
    assert w.pages.currentWidget() is w.coach and w.patient_id == pid  # the session started
    last = clinic.red_flags.last(pid)
    assert last is not None and last.answers == NO and not last.flagged
    w.stop("user")
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)
    w.back_to_setup()
    # answered today: the next session starts at once
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    assert w.red_flags.dialog is None and w.pages.currentWidget() is w.coach
    w.stop("user")
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)
    assert len(clinic.red_flags.screens(pid)) == 1


def test_not_now_starts_nothing_and_records_nothing(make_window, qtbot, clinic, clip):
    pid = clinic.add_patient("Cy")
    w = make_window(clip)
    _ready(w, pid, clip)
    assert not w.start_session(str(clip.path), "glute_bridge", 2, 1, 2)
    dlg = w.red_flags.dialog
    dlg.answer("legs", True)
    qtbot.mouseClick(dlg.later_button, Qt.MouseButton.LeftButton)
    assert w.red_flags.dialog is None and w.pages.currentWidget() is w.setup
    assert clinic.red_flags.screens(pid) == [] and w.session_id is None


def test_the_screen_is_asked_again_a_week_later(make_window, clinic, clip):
    pid = clinic.add_patient("Di")
    clinic.red_flags.record(pid, NO, answered_at=datetime.now() - timedelta(days=8))
    w = make_window(clip)
    _ready(w, pid, clip)
    assert not w.start_session(str(clip.path), "glute_bridge", 2, 1, 2)
    assert w.red_flags.dialog is not None
    w.red_flags.dialog.reject()


def test_a_yes_stops_coaching_until_the_therapist_clears_it(make_window, qtbot, clinic, clip, tmp_path):
    pid, other = clinic.add_patient("Bo"), clinic.add_patient("Eve")
    clinic.red_flags.record(other, NO)
    w = make_window(clip)
    _ready(w, pid, clip)
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    dlg = w.red_flags.dialog
    for q in QUESTIONS:
        dlg.answer(q.id, q.id == "bladder_bowel")
    qtbot.mouseClick(dlg.continue_button, Qt.MouseButton.LeftButton)
    # no coaching; the advice says: the same day
    assert w.pages.currentWidget() is w.setup and w.session_id is None
    box = w.red_flags.advice_box
    assert box is not None and "today" in box.text() and "Do not exercise" in box.text()
    box.accept()
    flag = clinic.red_flags.open_flag(pid)
    assert flag is not None and flag.urgent and flag.answers["bladder_bowel"] is True
    # the set-up screen says why and Start stays grey, even with the pain confirmation ticked
    assert w.setup.blocked_label.isVisibleTo(w.setup) and "Coaching is stopped" in w.setup.blocked_label.text()
    assert not w.setup.start_button.isEnabled()
    w.setup.pain.setValue(9)
    w.setup.confirm.setChecked(True)
    assert not w.setup.start_button.isEnabled()
    w.setup.pain.setValue(2)
    assert not w.start_session(str(clip.path), "glute_bridge", 2, 1, 2) and w.red_flags.dialog is None
    # another patient may still exercise
    w.setup.select_patient(other)
    assert not w.setup.blocked_label.isVisibleTo(w.setup) and w.setup.start_button.isEnabled()
    # the therapist sees a clear flag, on the patient list too
    w.setup.select_patient(pid)
    w.show_therapist()
    t = w.therapist
    assert t.patient_id() == pid and t.safety.flagged and t.safety.clear_button.isVisibleTo(t)
    assert "loss of bladder or bowel control" in t.safety.state.text() and "urgent" in t.safety.state.text()
    names = {t.patient_list.item(i).text() for i in range(t.patient_list.count())}
    assert "⚠ Bo" in names and "Eve" in names
    # the report says so
    report = t.export_report(str(tmp_path / "report"))
    assert report is not None and "Open red flag" in report.read_text()
    # clearing is recorded with who did it
    assert not t.safety.clear_flag() and "Reviewed by" in t.message.text()
    t.safety.reviewer.setText("Dr Lee")
    t.safety.note.setText("seen today, referred and reviewed")
    qtbot.mouseClick(t.safety.clear_button, Qt.MouseButton.LeftButton)
    cleared = clinic.red_flags.last(pid)
    assert cleared is not None and cleared.cleared_by == "Dr Lee" and not cleared.open
    assert not t.safety.flagged and "cleared by Dr Lee" in t.safety.state.text()
    assert "Bo" in {t.patient_list.item(i).text() for i in range(t.patient_list.count())}
    t.back_requested.emit()
    assert not w.setup.blocked_label.isVisibleTo(w.setup) and w.setup.start_button.isEnabled()
    assert w.start_session(str(clip.path), "glute_bridge", 2, 1, 2)  # answered this week: no new screen
    w.stop("user")
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)


def test_a_report_written_is_news_not_an_error(make_window, clinic, tmp_path):
    pid = clinic.add_patient("Flo")
    w = make_window()
    w.show_therapist()
    t = w.therapist
    t.select_patient(pid)
    assert t.export_report(str(tmp_path / "r")) is not None
    assert t.message.text().startswith("Report written")
    colour = t.message.palette().color(t.message.foregroundRole())
    assert colour.green() > colour.red(), colour.name()  # green, not the error red
    t.new_name.setText("")
    t.add_patient()  # a problem is still red
    colour = t.message.palette().color(t.message.foregroundRole())
    assert colour.red() > colour.green(), colour.name()


def test_answers_that_cannot_be_saved_still_count_for_this_run(make_window, qtbot, clinic, clip, monkeypatch):
    from posecoach.errors import OutputError

    pid = clinic.add_patient("Gus")
    w = make_window(clip)
    _ready(w, pid, clip)

    def full(*_a, **_kw):
        raise OutputError("the disk is full")

    monkeypatch.setattr(clinic.red_flags, "record", full)
    assert not w.start_session(str(clip.path), "glute_bridge", 2, 1, 2)
    dlg = w.red_flags.dialog
    for q in QUESTIONS:
        dlg.answer(q.id, q.id == "fever_weight")
    dlg.accept()
    assert "could not be saved" in w.statusBar().currentMessage()
    assert w.pages.currentWidget() is w.setup and not w.setup.start_button.isEnabled()
    assert "Coaching is stopped" in w.setup.blocked_label.text()
    w.red_flags.advice_box.accept()
    w.setup.select_patient(None)
    w.setup.select_patient(pid)  # still stopped for this patient while the app runs
    assert not w.setup.start_button.isEnabled()
