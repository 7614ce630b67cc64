"""The app's therapist page and the patient following today's programme (pytest-qt, offscreen).

Same approach as test_app.py: generated stick-figure videos, a fake estimator replaying the poses
they were drawn from, the real worker, Session, Clinic and reference recorder."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import time  # noqa: E402

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

SPEED = 6.0


@pytest.fixture(scope="module")
def good_clip(tmp_path_factory):
    """The therapist's reference: three full bridges."""
    return bridge_clip(tmp_path_factory.mktemp("clips") / "reference.mp4", [180.0, 180.0, 180.0], hold_s=1.0)


@pytest.fixture(scope="module")
def stiff_clip(tmp_path_factory):
    """A stiff patient: bridges topping at 150 deg (the exercise's own threshold, 155, misses them)."""
    return bridge_clip(tmp_path_factory.mktemp("clips") / "stiff.mp4", [150.0, 150.0, 150.0], hold_s=1.0)


@pytest.fixture
def make_window(qtbot, tmp_path, clinic):
    def build(clip=None, **kw) -> MainWindow:
        return coaching_window(tmp_path, clinic, clip, speed=SPEED, **kw)

    yield from window_maker(qtbot, build, wait_active=False)


def screened(clinic, *pids) -> None:
    """The red-flag screen answered "no" throughout (it is asked before a patient's first session)."""
    for pid in pids:
        clinic.red_flags.record(pid, {q.id: False for q in QUESTIONS})


def _therapist(w: MainWindow):
    w.show_therapist()
    assert w.pages.currentWidget() is w.therapist
    return w.therapist


def test_patients_add_and_delete(make_window, clinic):
    w = make_window()
    t = _therapist(w)
    assert t.patient_list.count() == 0 and not t.tabs.isEnabled()
    t.new_name.setText("Ann Example")
    pid = t.add_patient()
    assert pid and t.patient_id() == pid and t.tabs.isEnabled()
    t.new_name.setText("ann example")  # names are unique (case-insensitive)
    assert t.add_patient() is None and t.message.text()
    t.new_name.setText("Bob")
    bob = t.add_patient()
    assert t.patient_list.count() == 2
    # the set-up screen lists them
    t.back_requested.emit()
    assert w.pages.currentWidget() is w.setup
    assert [w.setup.patient.itemText(i) for i in range(w.setup.patient.count())][1:] == ["Ann Example", "Bob"]
    # delete asks first
    w.show_therapist()
    t.select_patient(bob)
    asked = []
    t.confirm = lambda title, text: asked.append(text) or False
    assert t.delete_patient() is None and len(clinic.patients()) == 2
    assert "ALL their data" in asked[0]
    t.confirm = lambda title, text: True
    assert t.delete_patient() is not None
    assert [p.name for p in clinic.patients()] == ["Ann Example"]


def test_record_reference_from_video_review_and_save_targets(make_window, qtbot, clinic, good_clip):
    pid = clinic.add_patient("Carol")
    w = make_window(record_kwargs={"estimator_factory": good_clip.estimator_factory()})
    t = _therapist(w)
    t.select_patient(pid)
    t.ref_exercise.setCurrentIndex(t.ref_exercise.findData("glute_bridge"))
    t.ref_share.setValue(0.6)
    t.ref_notes.setText("therapist demo")
    t.ref_video.setChecked(True)
    assert not t.record_reference()  # no video chosen yet
    t.set_reference_video(str(good_clip.path))
    assert t.record_reference()
    assert not t.record_button.isEnabled()
    qtbot.waitUntil(lambda: t.recorder is None, timeout=30000)
    assert t.last_reference is not None, t.ref_status.text()
    assert "Reference saved (3 reps)" in t.ref_status.text()
    derived = t.last_reference["targets"]
    assert derived["rom_share"] == pytest.approx(0.6)
    assert t.t_peak.value() == pytest.approx(derived["peak"], abs=0.05)
    assert len(clinic.references(pid, "glute_bridge")) == 1 and t.ref_list.count() == 1
    # the therapist lowers the peak a little and saves
    t.t_peak.setValue(derived["peak"] - 3)
    t.t_note.setText("a little less to start")
    assert t.save_targets()
    stored = clinic.targets(pid, "glute_bridge")
    assert stored["peak"] == pytest.approx(derived["peak"] - 3, abs=0.05)
    assert stored["reference_id"] == t.last_reference["reference_id"] and stored["note"] == "a little less to start"
    # a peak on the wrong side of rest is refused with a message
    t.t_peak.setValue(stored["rest"] - 10)
    assert not t.save_targets() and "not saved" in t.message.text()


def test_record_failure_is_shown(make_window, qtbot, clinic):
    clinic.add_patient("Dan")

    def broken(**kw):
        raise RuntimeError("camera 0 cannot be opened\nmore")

    w = make_window(record_reference=broken)
    t = _therapist(w)
    t.ref_camera.setChecked(True)
    assert t.record_reference()
    qtbot.waitUntil(lambda: t.recorder is None, timeout=5000)
    assert t.ref_status.text() == "Not recorded: camera 0 cannot be opened"
    assert t.record_button.isEnabled()


def test_programme_edit_and_todays_plan(make_window, clinic):
    pid = clinic.add_patient("Eve")
    w = make_window()
    t = _therapist(w)
    t.select_patient(pid)
    assert "No programme" in t.today_label.text()
    t.add_programme_row({"exercise_id": "glute_bridge", "sets": 2, "reps": 8, "hold_s": 3})
    r = t.add_programme_row({"exercise_id": "squat"})
    t.prog_table.cellWidget(r, 2).setValue(6)
    t.days.setValue(4)
    t.rule_every.setValue(2)
    t.rule_max.setValue(12)
    assert t.save_programme()
    prog = clinic.programme(pid)
    assert [(i.exercise_id, i.sets, i.reps) for i in prog.items] == [("glute_bridge", 2, 8), ("squat", 2, 6)]
    assert prog.days_per_week == 4 and prog.rule.every_n_sessions == 2 and prog.rule.max_reps == 12
    assert "Glute bridge 2 x 8, hold 3 s" in t.today_label.text()
    # remove a row and save again; reloading shows the saved programme
    t.prog_table.selectRow(1)
    t._remove_programme_row()
    assert t.save_programme()
    assert [i.exercise_id for i in clinic.programme(pid).items] == ["glute_bridge"]
    t.refresh()
    assert t.prog_table.rowCount() == 1


def test_patient_follows_todays_plan_with_their_targets(make_window, qtbot, clinic, stiff_clip, tmp_path):
    pid = clinic.add_patient("Fay")
    screened(clinic, pid)
    clinic.set_targets(pid, "glute_bridge", {"rest": 138.0, "peak": 146.0, "hold_s": None, "tempo_s": None,
                                             "rom_share": 0.6, "reference_id": None, "note": "stiff"})
    clinic.set_programme(pid, [{"exercise_id": "squat", "sets": 1, "reps": 5, "hold_s": 0},
                               {"exercise_id": "glute_bridge", "sets": 1, "reps": 3, "hold_s": 1}],
                         days_per_week=5)
    w = make_window(stiff_clip)
    w.setup.select_patient(pid)
    assert w.setup.plan_list.count() == 2 and w.setup.plan_list.isVisibleTo(w.setup)
    assert "Squat: 1 x 5" in w.setup.plan_list.item(0).text()
    assert w.setup.exercise_id() == "squat"  # the first item not done today
    w.setup.plan_list.setCurrentRow(1)
    assert w.setup.exercise_id() == "glute_bridge"
    assert (w.setup.sets.value(), w.setup.reps.value()) == (1, 3)
    w.setup.set_video(str(stiff_clip.path))
    w.setup.pain.setValue(4)
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    assert w.pages.currentWidget() is w.coach and w.patient_id == pid
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)
    # counted against her targets (the default 155 would count none of these 150-degree bridges)
    assert w.last_summary["reps"] == 3, w.last_summary
    assert w.last_summary["targets"]["peak"] == 146.0
    assert clinic.session_patient(w.session_id) == pid
    rows = clinic.progress(pid)
    assert len(rows) == 1 and rows[0]["reps_done"] == 3 and rows[0]["reps_prescribed"] == 3
    assert rows[0]["target_peak"] == 146.0 and rows[0]["pain_before"] == 4
    # back on the set-up screen the plan shows it done
    w.back_to_setup()
    assert "done" in w.setup.plan_list.item(1).text()
    assert w.setup.exercise_id() == "squat"
    # the therapist sees the progress and exports the report
    t = _therapist(w)
    assert t.patient_id() == pid
    assert t.prog_exercise.currentData() == "glute_bridge"
    png = t.show_progress()
    assert png and png[:4] == b"\x89PNG" and not t.chart.pixmap().isNull()
    out = t.export_report(str(tmp_path / "report"))
    assert out is not None and out.exists() and (tmp_path / "report" / "progress.csv").exists()
    assert "Fay" in out.read_text()


def test_without_a_patient_the_app_works_as_before(make_window, qtbot, clinic, stiff_clip):
    w = make_window(stiff_clip)
    assert w.setup.patient_id() is None and not w.setup.plan_list.isVisibleTo(w.setup)
    assert w.start_session(str(stiff_clip.path), "glute_bridge", 3, 1, 3)
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)
    assert w.last_summary["reps"] == 0  # the default thresholds: 150 deg bridges are partial
    assert "targets" not in w.last_summary and clinic.session_patient(w.session_id) is None


def test_camera_recording_can_be_stopped(make_window, qtbot, clinic):
    clinic.add_patient("Gil")
    seen = {}

    def fake(source, exercise_id, patient, *, stop, seconds=None, **kw):
        seen.update(source=source, seconds=seconds)
        while not stop():
            time.sleep(0.01)
        return {"reference_id": 1, "targets": {"rest": 140.0, "peak": 160.0}, "reps": [{}, {}]}

    w = make_window(record_reference=fake)
    t = _therapist(w)
    t.ref_camera_index.setValue(1)
    assert t.record_reference() and t.stop_record_button.isEnabled()
    qtbot.mouseClick(t.stop_record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: t.recorder is None, timeout=5000)
    assert seen == {"source": 1, "seconds": 30.0}
    assert "Reference saved (2 reps)" in t.ref_status.text() and t.t_peak.value() == 160.0


def test_patient_reps_are_scored_against_their_reference(make_window, qtbot, clinic, good_clip, stiff_clip):
    from posecoach.clinic.references import record_reference

    pid = clinic.add_patient("Hal")
    screened(clinic, pid)
    res = record_reference(str(good_clip.path), "glute_bridge", pid, clinic=clinic, rom_share=0.5,
                           estimator_factory=good_clip.estimator_factory())
    # the therapist lowers the peak target so the stiff patient's 150-degree bridges count
    clinic.set_targets(pid, "glute_bridge", {**res["targets"], "peak": 146.0})
    w = make_window(stiff_clip)
    w.setup.select_patient(pid)
    assert w.start_session(str(stiff_clip.path), "glute_bridge", 2, 1, 3)
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)
    assert w.last_summary["reps"] == 3
    rows = clinic.progress(pid)
    sim = rows[0]["similarity_median"]
    assert sim is not None and 0 < sim < 95  # 150-degree bridges against 180-degree ones
    assert "Like your therapist's reference movement" in w.summary.text.toPlainText()


def test_targets_back_to_the_exercise_defaults(make_window, clinic):
    pid = clinic.add_patient("Ivy")
    clinic.set_targets(pid, "glute_bridge", {"rest": 138.0, "peak": 150.0, "hold_s": 2.0})
    w = make_window()
    t = _therapist(w)
    t.select_patient(pid)
    t.ref_exercise.setCurrentIndex(t.ref_exercise.findData("glute_bridge"))
    assert t.t_peak.value() == 150.0 and "Set by hand" in t.t_source.text()
    t.clear_targets_button.click()
    assert t.t_peak.text() == "-"
    assert t.save_targets()
    stored = clinic.targets(pid, "glute_bridge")
    assert stored is None or (stored.get("peak") is None and stored.get("rest") is None)


def test_the_patient_is_remembered_between_runs(make_window, clinic):
    clinic.add_patient("Ann Example")
    pid = clinic.add_patient("Bo Example")
    w = make_window()
    w.refresh_patients()
    w.setup.select_patient(pid)
    assert w.setup.patient_id() == pid
    w.save_settings()
    again = make_window()  # a new run reads the saved settings (the clinic stays open: it is the fixture's)
    assert again.settings.patient_id == pid
    assert again.setup.patient_id() == pid


class ThreadSpy:
    """A Clinic that notes, for every method call, whether it ran on the GUI (main) thread."""

    def __init__(self, clinic):
        self._clinic = clinic
        self.calls: list[tuple[str, bool]] = []

    def __getattr__(self, name):
        import threading

        attr = getattr(self._clinic, name)
        if not callable(attr):
            return attr

        def call(*a, **kw):
            self.calls.append((name, threading.current_thread() is threading.main_thread()))
            return attr(*a, **kw)

        return call


def test_database_and_plotting_work_runs_off_the_gui_thread(qtbot, clinic, tmp_path, monkeypatch):
    import threading

    from posecoach.app._qt.therapist import TherapistPage
    from posecoach.clinic import report
    from posecoach.core.exercise import list_exercises

    pid = clinic.add_patient("Off Thread")
    sid = clinic.start_session(pid, "glute_bridge", source="t", pain_before=2, planned_sets=1, planned_reps=3)
    clinic.history.add_rep(sid, {"index": 1, "start_s": 0.0, "end_s": 2.0, "peak_angle": 170.0, "faults": []},
                           set_index=1)
    clinic.history.finish_session(sid, summary={}, pain_after=2, stopped="completed")
    plots: list[bool] = []
    real_png, real_render = report.progress_figure_png, report.render_report

    def png(*a, **kw):
        plots.append(threading.current_thread() is threading.main_thread())
        return real_png(*a, **kw)

    def render(*a, **kw):
        plots.append(threading.current_thread() is threading.main_thread())
        return real_render(*a, **kw)

    monkeypatch.setattr(report, "progress_figure_png", png)
    monkeypatch.setattr(report, "render_report", render)
    spy = ThreadSpy(clinic)
    t = TherapistPage(spy, list_exercises()[0])
    qtbot.addWidget(t)
    t.select_patient(pid)
    t.new_name.setText("Second")
    assert t.add_patient()
    t.select_patient(pid)
    t.ref_exercise.setCurrentIndex(t.ref_exercise.findData("glute_bridge"))
    t.t_peak.setValue(160.0)
    t.t_rest.setValue(140.0)
    assert t.save_targets()
    t.add_programme_row({"exercise_id": "glute_bridge", "sets": 1, "reps": 5})
    assert t.save_programme()
    assert t.show_progress() is not None
    assert t.export_report(str(tmp_path / "report")) is not None
    names = {n for n, _ in spy.calls}
    assert {"patients", "patient", "add_patient", "targets", "references", "set_targets", "programme",
            "set_programme", "todays_plan", "progress"} <= names
    assert [n for n, on_gui in spy.calls if on_gui] == []
    assert plots and not any(plots)  # the progress chart and the report drawn on a worker thread


def test_a_plan_item_is_done_only_when_its_prescribed_work_is(make_window, qtbot, clinic, good_clip):
    """Issue 12 item 2: a session stopped at 0 reps, or 3 of 16 reps, does not tick the item done."""
    pid = clinic.add_patient("Hal")
    screened(clinic, pid)
    clinic.set_programme(pid, [{"exercise_id": "glute_bridge", "sets": 2, "reps": 8, "hold_s": 1}], days_per_week=5)
    w = make_window(good_clip)
    w.setup.select_patient(pid)
    w.setup.set_video(str(good_clip.path))
    # stopped before any rep
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    w.stop("user")
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)
    assert w.last_summary["reps"] == 0
    w.back_to_setup()
    assert "done" not in w.setup.plan_list.item(0).text()
    assert "Everything on today's plan is done" not in w.setup.plan_hint.text()
    # the whole clip: 3 of the 16 prescribed reps
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)
    assert w.last_summary["reps"] == 3
    w.back_to_setup()
    text = w.setup.plan_list.item(0).text()
    assert "done" not in text and "3 of 16 today" in text, text
    assert "Everything on today's plan is done" not in w.setup.plan_hint.text()
    assert w.setup.exercise_id() == "glute_bridge"  # still the item to do
    plan = clinic.todays_plan(pid)
    # (the session stopped before any rep was too short to keep: only the whole clip's is stored)
    assert (plan[0].done_today, plan[0].reps_today, plan[0].complete) == (1, 3, False)


def test_after_it_hurts_a_new_session_today_needs_a_confirmation_and_pain_is_per_patient(
        make_window, qtbot, clinic, good_clip):
    """Issue 12 item 6: after "It hurts" at 7/10, "New session" does not simply offer Start at the
    old 3/10; 10/10 needs the confirmation too; one patient's pain is not shown for another."""
    ann, bob = clinic.add_patient("Ann"), clinic.add_patient("Bob")
    screened(clinic, ann, bob)
    w = make_window(good_clip)
    w.setup.select_patient(ann)
    w.setup.select_exercise("glute_bridge")
    w.setup.set_video(str(good_clip.path))
    assert w.setup.start_button.isEnabled()
    w.setup.pain.setValue(3)
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    assert w.pages.currentWidget() is w.coach
    qtbot.waitUntil(lambda: w.stats.shown > 2, timeout=10000)
    w.it_hurts()
    dlg = w.pain_dialog
    dlg.set_value(7)
    dlg.accept()
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary and w.pain_after == 7, timeout=10000)
    qtbot.mouseClick(w.summary.again, Qt.MouseButton.LeftButton)  # "New session"
    assert w.pages.currentWidget() is w.setup
    assert not w.setup.start_button.isEnabled()  # not straight back to Start
    assert w.setup.pain.value() == 7  # her pain now, not the 3 from before the session
    why = w.setup.caution_label.text()
    assert w.setup.caution_label.isVisibleTo(w.setup) and "stopped a session because it hurt" in why, why
    assert not w.setup.start_button.isEnabled() and w.setup.confirm.isVisibleTo(w.setup)
    w.setup.confirm.setChecked(True)
    assert w.setup.start_button.isEnabled()
    # Bob has no pain of his own recorded: nothing of Ann's shows, no confirmation is asked
    w.setup.select_patient(bob)
    assert w.setup.pain.value() == 0 and not w.setup.caution_label.isVisibleTo(w.setup)
    assert w.setup.start_button.isEnabled()
    # 10/10 on the slider: Start only after the confirmation
    w.setup.pain.setValue(10)
    assert not w.setup.start_button.isEnabled() and w.setup.pain_warning.isVisibleTo(w.setup)
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    assert w.pages.currentWidget() is w.setup
    w.setup.confirm.setChecked(True)
    assert w.setup.start_button.isEnabled()
    w.setup.pain.setValue(2)
    assert w.setup.start_button.isEnabled() and not w.setup.confirm.isVisibleTo(w.setup)
    # back to Ann: her reason and her pain again, the box unticked
    w.setup.select_patient(ann)
    assert w.setup.pain.value() == 7 and not w.setup.confirm.isChecked() and not w.setup.start_button.isEnabled()
