"""The therapist's page: the patient list on the left, three tabs on the right.

Everything is read from and written to ``posecoach.clinic.Clinic`` (the same local database as the
session history), always off the GUI thread (``jobs.off_gui``).  One file per part: ``patients``
(the list), ``reference`` + ``targets`` (recording a reference; reviewing the targets derived from
it), ``programme``, ``progress`` (the report's plots and the report export, the same function as
``posecoach report``).  The widgets the main window and the tests drive are reachable under the
names they had when this page was one file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from posecoach.app._qt.sizing import scrolling
from posecoach.app._qt.therapist.common import PageContext
from posecoach.app._qt.therapist.jobs import RecordWorker
from posecoach.app._qt.therapist.patients import PatientsPanel
from posecoach.app._qt.therapist.programme import ProgrammeTab
from posecoach.app._qt.therapist.progress import ProgressTab
from posecoach.app._qt.therapist.red_flags import RedFlagPanel, mark_flagged
from posecoach.app._qt.therapist.reference import ReferenceTab
from posecoach.core.exercise.schema import Exercise

__all__ = ["TherapistPage"]


class TherapistPage(QWidget):
    """Emits ``back_requested`` (to the patient's set-up screen) and ``patients_changed``.

    ``clinic``: a ``Clinic``; ``record``: the reference recorder (default
    ``posecoach.clinic.references.record_reference``; it is given ``stop``); ``confirm(title, text)
    -> bool`` asks before deleting and ``choose_dir(title) -> str`` picks the report folder (tests
    set both).
    """

    back_requested = Signal()
    patients_changed = Signal()
    reference_recorded = Signal(object)

    def __init__(self, clinic: Any, exercises: list[Exercise], *, record: Callable[..., dict] | None = None,
                 record_kwargs: dict | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if record is None:
            from posecoach.clinic.references import record_reference

            record = record_reference
        self.clinic = clinic
        self.exercises = {e.id: e for e in exercises}
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setObjectName("error")
        self.ctx = PageContext(clinic, self.exercises, self.patient_id, self._say)
        self.patients = PatientsPanel(self.ctx)
        self.reference = ReferenceTab(self.ctx, record, record_kwargs or {})
        self.programme = ProgrammeTab(self.ctx)
        self.progress = ProgressTab(self.ctx, lambda title: QFileDialog.getExistingDirectory(self, title))
        self.safety = RedFlagPanel(self.ctx)
        self.safety.cleared.connect(self._flags_changed)
        self.patients.selected.connect(self._patient_selected)
        self.patients.changed.connect(self.patients_changed.emit)
        self.reference.recorded.connect(self.reference_recorded.emit)
        self.programme.saved.connect(self._programme_saved)
        self._alias_widgets()
        self._layout()
        self.refresh()

    def _alias_widgets(self) -> None:
        """The earlier one-file page's attribute names (the main window, screenshots and tests use them)."""
        p, r, t, g, s = self.patients, self.reference, self.reference.targets, self.programme, self.progress
        self.patient_list, self.new_name, self.add_button, self.delete_button = (
            p.patient_list, p.new_name, p.add_button, p.delete_button)
        (self.ref_exercise, self.ref_camera, self.ref_camera_index, self.ref_seconds, self.ref_video,
         self.ref_notes, self.ref_keep_video, self.ref_share, self.ref_status, self.ref_list, self.record_button,
         self.stop_record_button) = (
            r.ref_exercise, r.ref_camera, r.ref_camera_index, r.ref_seconds, r.ref_video, r.ref_notes,
            r.ref_keep_video, r.ref_share, r.ref_status, r.ref_list, r.record_button, r.stop_record_button)
        self.t_rest, self.t_peak, self.t_hold, self.t_tempo, self.t_note, self.t_source = (
            t.t_rest, t.t_peak, t.t_hold, t.t_tempo, t.t_note, t.t_source)
        self.save_targets_button, self.clear_targets_button = t.save_targets_button, t.clear_targets_button
        self.prog_table, self.days, self.rule_add, self.rule_every, self.rule_max, self.rule_hold_back = (
            g.prog_table, g.days, g.rule_add, g.rule_every, g.rule_max, g.rule_hold_back)
        self.save_prog_button, self.today_label = g.save_prog_button, g.today_label
        self.prog_exercise, self.export_button, self.chart, self.chart_table = (
            s.prog_exercise, s.export_button, s.chart, s.chart_table)
        self.add_patient, self.delete_patient, self.select_patient = (
            p.add_patient, p.delete_patient, p.select_patient)
        self.record_reference, self.stop_recording, self.set_reference_video = (
            r.record_reference, r.stop_recording, r.set_reference_video)
        self.save_targets, self.clear_targets = r.save_targets, t.clear
        self.add_programme_row, self.save_programme, self._remove_programme_row = (
            g.add_programme_row, g.save_programme, g.remove_selected_rows)
        self.programme_items, self.programme_rule = g.programme_items, g.programme_rule
        self.show_progress, self.export_report = s.show_progress, s.export_report

    def _layout(self) -> None:
        title = QLabel("Therapist")
        title.setObjectName("pageTitle")
        self.back_button = QPushButton("Back to exercising")
        self.back_button.clicked.connect(self.back_requested.emit)
        privacy = QLabel("Patient data stays on this computer (the local database). Exports are written only "
                         "where you choose.")
        privacy.setObjectName("hint")
        privacy.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(title)
        left.addWidget(self.patients, 1)
        left.addWidget(privacy)
        left.addWidget(self.back_button)
        self.tabs = QTabWidget()  # each tab scrolls: the window fits a 1366x768 laptop (sizing.scrolling)
        self.tabs.addTab(scrolling(self.reference), "Reference and targets")
        self.tabs.addTab(scrolling(self.programme), "Programme")
        self.tabs.addTab(scrolling(self.progress), "Progress")
        self.patient_title = QLabel("")
        self.patient_title.setObjectName("exerciseName")
        self.patient_notes = QLabel("")
        self.patient_notes.setObjectName("hint")
        self.patient_notes.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.patient_title)
        right.addWidget(self.patient_notes)
        right.addWidget(self.safety)
        right.addWidget(self.tabs, 1)
        right.addWidget(self.message)
        lay = QHBoxLayout(self)
        lay.addLayout(left)
        lay.addLayout(right, 1)

    # ------------------------------------------------------------------ state

    @property
    def confirm(self) -> Callable[[str, str], bool]:
        return self.patients.confirm

    @confirm.setter
    def confirm(self, fn: Callable[[str, str], bool]) -> None:
        self.patients.confirm = fn

    @property
    def choose_dir(self) -> Callable[[str], str]:
        return self.progress.choose_dir

    @choose_dir.setter
    def choose_dir(self, fn: Callable[[str], str]) -> None:
        self.progress.choose_dir = fn

    @property
    def recorder(self) -> RecordWorker | None:
        return self.reference.recorder

    @property
    def last_reference(self) -> dict | None:
        return self.reference.last_reference

    def patient_id(self) -> int | None:
        return self.patients.patient_id() if hasattr(self, "patients") else None

    def refresh(self, select: int | None = None) -> None:
        """Reload the patient list (keeping the selection, or selecting ``select``) and the tabs."""
        self.patients.refresh(select)

    def _patient_selected(self) -> None:
        pid = self.patient_id()
        self.tabs.setEnabled(pid is not None)
        self.delete_button.setEnabled(pid is not None)
        self._flags_changed(pid)
        if pid is None:
            self.patient_title.setText("Add a patient to start")
            self.patient_notes.hide()
            return
        p, prog = self.ctx.db(lambda c: (c.patient(pid), c.programme(pid)))
        self.patient_title.setText(p.name)
        self.patient_notes.setText(p.notes or "")
        self.patient_notes.setVisible(bool(p.notes))
        ids = [i.exercise_id for i in prog.items] if prog else []
        if ids and self.ref_exercise.currentData() not in ids:
            i = self.ref_exercise.findData(ids[0])
            if i >= 0:
                self.ref_exercise.blockSignals(True)
                self.ref_exercise.setCurrentIndex(i)
                self.ref_exercise.blockSignals(False)
        self.reference.show_targets()
        self.programme.show_programme()
        self.progress.fill_exercises()

    def _say(self, text: str, *, ok: bool = False) -> None:
        """A message under the tabs: a problem in red, news (``ok``: a report written) in green."""
        self.message.setObjectName("info" if ok else "error")
        self.message.setStyleSheet("color: #1b5e20; font-weight: normal;" if ok else "")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)

    def _flags_changed(self, pid: int | None = None) -> None:
        """The red flags: marked in the patient list, the chosen patient's in the panel."""
        pid = self.patient_id() if pid is None else pid
        mark_flagged(self.patient_list, self.ctx.db(lambda c: c.red_flags.open_patients()))
        self.safety.show_patient(pid)

    def _programme_saved(self) -> None:
        self.progress.fill_exercises()
        self.patients_changed.emit()

    def shutdown(self) -> None:
        self.reference.shutdown()
