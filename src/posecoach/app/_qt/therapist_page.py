"""The therapist's page: patients, references and targets, programmes, progress.

Everything is read from and written to ``posecoach.clinic.patients.Clinic`` (the same local database as
the session history).  Recording a reference runs ``posecoach.clinic.references.record_reference`` in a
``QThread`` (the window stays responsive); the targets it derives are shown in editable fields
for the therapist to review, adjust and save.  Progress charts are the report's plots
(``posecoach.clinic.report.progress_figure_png``), and "Export report..." writes the printable HTML
report with its CSV files where the therapist chooses.
"""

from __future__ import annotations

import html
import inspect
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox,
    QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPushButton, QRadioButton,
    QScrollArea, QSpinBox, QTableWidget, QTabWidget, QVBoxLayout, QWidget,
)

from posecoach.core.exercise.schema import Exercise
from posecoach.io.sources import VIDEO_SUFFIXES

__all__ = ["TherapistPage", "RecordWorker"]


class RecordWorker(QThread):
    """Runs ``record(**kwargs)`` off the Qt thread; ``done(result)`` or ``failed(message)``."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, record: Callable[..., dict], kwargs: dict, parent=None) -> None:
        super().__init__(parent)
        self._record = record
        self._kwargs = dict(kwargs)
        self._stop = threading.Event()
        try:
            if "stop" in inspect.signature(record).parameters:
                self._kwargs["stop"] = self._stop.is_set
        except (TypeError, ValueError):
            pass

    def request_stop(self) -> None:
        """End a camera recording now (what was recorded is kept)."""
        self._stop.set()

    def run(self) -> None:
        try:
            res = self._record(**self._kwargs)
        except Exception as exc:  # noqa: BLE001 - shown in the page, one line
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.failed.emit(first)
            return
        self.done.emit(res)


def _spin(lo: float, hi: float, decimals: int = 1, suffix: str = "") -> QDoubleSpinBox:
    w = QDoubleSpinBox()
    w.setRange(lo, hi)
    w.setDecimals(decimals)
    w.setSuffix(suffix)
    w.setSpecialValueText("-")  # the minimum means "not set"
    return w


class TherapistPage(QWidget):
    """Emits ``back_requested`` (to the patient's set-up screen) and ``patients_changed``.

    ``clinic``: a ``Clinic``; ``record``: the reference recorder (default
    ``posecoach.clinic.references.record_reference``; tests give a fake or an ``estimator_factory``);
    ``confirm(title, text) -> bool`` asks before deleting (tests answer it);
    ``choose_dir(title) -> str`` picks the report folder.
    """

    back_requested = Signal()
    patients_changed = Signal()
    reference_recorded = Signal(object)

    def __init__(self, clinic: Any, exercises: list[Exercise], *, record: Callable[..., dict] | None = None,
                 record_kwargs: dict | None = None, parent=None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.exercises = {e.id: e for e in exercises}
        if record is None:
            from posecoach.clinic.references import record_reference as record
        self._record = record
        self._record_kwargs = dict(record_kwargs or {})
        self.recorder: RecordWorker | None = None
        self.last_reference: dict | None = None
        self.confirm: Callable[[str, str], bool] = self._confirm_dialog
        self.choose_dir: Callable[[str], str] = lambda title: QFileDialog.getExistingDirectory(self, title)
        self.video_path: str | None = None

        title = QLabel("Therapist")
        title.setObjectName("pageTitle")
        self.back_button = QPushButton("Back to exercising")
        self.back_button.clicked.connect(self.back_requested.emit)
        privacy = QLabel("Patient data stays on this computer (the local database). Exports are written only "
                         "where you choose.")
        privacy.setObjectName("hint")
        privacy.setWordWrap(True)

        # -- patients ---------------------------------------------------------------
        self.patient_list = QListWidget()
        self.patient_list.setMinimumWidth(200)
        self.patient_list.setMaximumWidth(260)
        self.patient_list.currentItemChanged.connect(lambda *_: self._patient_selected())
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("New patient's name")
        self.new_name.returnPressed.connect(self.add_patient)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add_patient)
        self.delete_button = QPushButton("Delete patient and all their data...")
        self.delete_button.clicked.connect(self.delete_patient)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setObjectName("error")
        left = QVBoxLayout()
        left.addWidget(title)
        left.addWidget(QLabel("Patients"))
        left.addWidget(self.patient_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_name, 1)
        row.addWidget(self.add_button)
        left.addLayout(row)
        left.addWidget(self.delete_button)
        left.addWidget(privacy)
        left.addWidget(self.back_button)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._reference_tab(), "Reference and targets")
        self.tabs.addTab(self._programme_tab(), "Programme")
        self.tabs.addTab(self._progress_tab(), "Progress")

        right = QVBoxLayout()
        self.patient_title = QLabel("")
        self.patient_title.setObjectName("exerciseName")
        self.patient_notes = QLabel("")
        self.patient_notes.setObjectName("hint")
        self.patient_notes.setWordWrap(True)
        right.addWidget(self.patient_title)
        right.addWidget(self.patient_notes)
        right.addWidget(self.tabs, 1)
        right.addWidget(self.message)

        lay = QHBoxLayout(self)
        lay.addLayout(left)
        lay.addLayout(right, 1)
        self.refresh()

    # ------------------------------------------------------------------ tabs

    def _exercise_combo(self) -> QComboBox:
        c = QComboBox()
        for e in self.exercises.values():
            c.addItem(e.name, e.id)
        return c

    def _reference_tab(self) -> QWidget:
        w = QWidget()
        self.ref_exercise = self._exercise_combo()
        self.ref_exercise.currentIndexChanged.connect(lambda _i: self._show_targets())
        self.ref_camera = QRadioButton("Camera number")
        self.ref_camera_index = QSpinBox()
        self.ref_camera_index.setRange(0, 9)
        self.ref_seconds = QSpinBox()
        self.ref_seconds.setRange(5, 300)
        self.ref_seconds.setValue(30)
        self.ref_seconds.setSuffix(" s")
        self.ref_video = QRadioButton("Video file")
        self.ref_camera.setChecked(True)
        self.ref_video_button = QPushButton("Choose...")
        self.ref_video_button.clicked.connect(self._choose_video)
        self.ref_video_label = QLabel("no video chosen")
        self.ref_video_label.setObjectName("hint")
        self.ref_notes = QLineEdit()
        self.ref_notes.setPlaceholderText("notes (who demonstrated, anything to remember)")
        self.ref_keep_video = QCheckBox("Keep the video too (otherwise only the landmarks are kept)")
        self.ref_share = QDoubleSpinBox()
        self.ref_share.setRange(0.3, 1.5)
        self.ref_share.setSingleStep(0.05)
        self.ref_share.setValue(0.8)
        self.ref_share.setToolTip("Targets as a share of the reference's own range of motion")
        self.record_button = QPushButton("Record reference")
        self.record_button.clicked.connect(self.record_reference)
        self.stop_record_button = QPushButton("Stop recording")
        self.stop_record_button.setEnabled(False)
        self.stop_record_button.clicked.connect(self.stop_recording)
        self.ref_status = QLabel("")
        self.ref_status.setWordWrap(True)

        src = QGroupBox("Record a reference movement")
        g = QGridLayout(src)
        g.addWidget(QLabel("Exercise"), 0, 0)
        g.addWidget(self.ref_exercise, 0, 1, 1, 2)
        g.addWidget(self.ref_camera, 1, 0)
        g.addWidget(self.ref_camera_index, 1, 1)
        g.addWidget(self.ref_seconds, 1, 2)
        g.addWidget(self.ref_video, 2, 0)
        g.addWidget(self.ref_video_button, 2, 1)
        g.addWidget(self.ref_video_label, 2, 2)
        g.addWidget(QLabel("Targets: share of its range"), 3, 0)
        g.addWidget(self.ref_share, 3, 1)
        g.addWidget(self.ref_notes, 4, 0, 1, 3)
        g.addWidget(self.ref_keep_video, 5, 0, 1, 3)
        g.addWidget(self.record_button, 6, 0)
        g.addWidget(self.stop_record_button, 6, 1)
        g.addWidget(self.ref_status, 7, 0, 1, 3)

        tg = QGroupBox("Targets the coach judges this patient against (review, adjust, save)")
        f = QFormLayout(tg)
        self.t_rest = _spin(-1, 360, 1, " deg")
        self.t_peak = _spin(-1, 360, 1, " deg")
        self.t_hold = _spin(-0.1, 120, 1, " s")
        self.t_tempo = _spin(-0.1, 60, 1, " s/rep")
        self.t_note = QLineEdit()
        self.t_source = QLabel("")
        self.t_source.setObjectName("hint")
        self.t_source.setWordWrap(True)
        self.save_targets_button = QPushButton("Save targets")
        self.save_targets_button.clicked.connect(self.save_targets)
        self.clear_targets_button = QPushButton("Use the exercise's defaults")
        self.clear_targets_button.clicked.connect(self.clear_targets)
        f.addRow("Rest (main angle)", self.t_rest)
        f.addRow("Peak (main angle)", self.t_peak)
        f.addRow("Hold", self.t_hold)
        f.addRow("Tempo", self.t_tempo)
        f.addRow("Note", self.t_note)
        f.addRow(self.t_source)
        b = QHBoxLayout()
        b.addWidget(self.save_targets_button)
        b.addWidget(self.clear_targets_button)
        f.addRow(b)

        self.ref_list = QListWidget()
        self.ref_list.setMaximumHeight(90)
        v = QVBoxLayout(w)
        v.addWidget(src)
        v.addWidget(tg)
        v.addWidget(QLabel("References recorded for this exercise (newest first)"))
        v.addWidget(self.ref_list)
        v.addStretch(1)
        return w

    def _programme_tab(self) -> QWidget:
        w = QWidget()
        self.prog_table = QTableWidget(0, 4)
        self.prog_table.setHorizontalHeaderLabels(["Exercise", "Sets", "Reps", "Hold (s)"])
        self.prog_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.prog_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.add_item_button = QPushButton("Add exercise")
        self.add_item_button.clicked.connect(lambda: self.add_programme_row())
        self.remove_item_button = QPushButton("Remove selected")
        self.remove_item_button.clicked.connect(self._remove_programme_row)
        self.days = QSpinBox()
        self.days.setRange(1, 7)
        self.days.setValue(5)
        self.rule_add = QSpinBox()
        self.rule_add.setRange(0, 5)
        self.rule_add.setValue(1)
        self.rule_every = QSpinBox()
        self.rule_every.setRange(1, 30)
        self.rule_every.setValue(3)
        self.rule_max = QSpinBox()
        self.rule_max.setRange(1, 100)
        self.rule_max.setValue(15)
        self.rule_hold_back = QCheckBox("Hold back when pain rises (drop a step if it rose by 2 or more)")
        self.rule_hold_back.setChecked(True)
        self.save_prog_button = QPushButton("Save programme")
        self.save_prog_button.clicked.connect(self.save_programme)
        self.today_label = QLabel("")
        self.today_label.setWordWrap(True)
        self.today_label.setObjectName("hint")

        rule = QGroupBox("Days and progression")
        f = QFormLayout(rule)
        f.addRow("Days per week", self.days)
        f.addRow("Add reps", self.rule_add)
        f.addRow("...after this many sessions without more pain", self.rule_every)
        f.addRow("...up to reps", self.rule_max)
        f.addRow(self.rule_hold_back)
        btns = QHBoxLayout()
        btns.addWidget(self.add_item_button)
        btns.addWidget(self.remove_item_button)
        btns.addStretch(1)
        v = QVBoxLayout(w)
        v.addWidget(self.prog_table, 1)
        v.addLayout(btns)
        v.addWidget(rule)
        v.addWidget(self.save_prog_button)
        v.addWidget(self.today_label)
        return w

    def _progress_tab(self) -> QWidget:
        w = QWidget()
        self.prog_exercise = QComboBox()
        self.prog_exercise.currentIndexChanged.connect(lambda _i: self.show_progress())
        self.export_button = QPushButton("Export report (HTML + CSV)...")
        self.export_button.clicked.connect(self.export_report)
        self.chart = QLabel("")
        self.chart.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.chart_table = QLabel("")
        self.chart_table.setTextFormat(Qt.TextFormat.RichText)
        self.chart_table.setWordWrap(True)
        scroll = QScrollArea()
        inner = QWidget()
        iv = QVBoxLayout(inner)
        iv.addWidget(self.chart)
        iv.addWidget(self.chart_table)
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Exercise"))
        top.addWidget(self.prog_exercise, 1)
        top.addWidget(self.export_button)
        v = QVBoxLayout(w)
        v.addLayout(top)
        v.addWidget(scroll, 1)
        return w

    # --------------------------------------------------------------- patients

    def refresh(self, select: int | None = None) -> None:
        """Reload the patient list (keeping the selection, or selecting ``select``)."""
        current = select if select is not None else self.patient_id()
        self.patient_list.blockSignals(True)
        self.patient_list.clear()
        for p in self.clinic.patients():
            item = QListWidgetItem(str(p["name"]))
            item.setData(Qt.ItemDataRole.UserRole, int(p["id"]))
            if p.get("notes"):
                item.setToolTip(str(p["notes"]))
            self.patient_list.addItem(item)
            if p["id"] == current:
                self.patient_list.setCurrentItem(item)
        self.patient_list.blockSignals(False)
        if self.patient_list.currentItem() is None and self.patient_list.count():
            self.patient_list.setCurrentRow(0)
        self._patient_selected()

    def patient_id(self) -> int | None:
        item = self.patient_list.currentItem() if hasattr(self, "patient_list") else None
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def select_patient(self, patient_id: int) -> None:
        for i in range(self.patient_list.count()):
            if self.patient_list.item(i).data(Qt.ItemDataRole.UserRole) == patient_id:
                self.patient_list.setCurrentRow(i)
                return

    def _say(self, text: str) -> None:
        self.message.setText(text)

    def add_patient(self) -> int | None:
        name = self.new_name.text().strip()
        if not name:
            self._say("Type the new patient's name first.")
            return None
        try:
            pid = self.clinic.add_patient(name)
        except (ValueError, KeyError) as exc:
            self._say(str(exc))
            return None
        self.new_name.clear()
        self._say("")
        self.refresh(select=pid)
        self.patients_changed.emit()
        return pid

    def _confirm_dialog(self, title: str, text: str) -> bool:
        ans = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                   QMessageBox.StandardButton.No)
        return ans == QMessageBox.StandardButton.Yes

    def delete_patient(self) -> dict | None:
        pid = self.patient_id()
        if pid is None:
            return None
        name = self.clinic.patient(pid)["name"]
        if not self.confirm("Delete patient",
                            f"Delete {name} and ALL their data (sessions, references and their files, "
                            "targets, programmes)? This cannot be undone; back up first if unsure."):
            return None
        counts = self.clinic.delete_patient(pid)
        self._say(f"Deleted {name}.")
        self.refresh()
        self.patients_changed.emit()
        return counts

    def _patient_selected(self) -> None:
        pid = self.patient_id()
        enabled = pid is not None
        self.tabs.setEnabled(enabled)
        self.delete_button.setEnabled(enabled)
        if not enabled:
            self.patient_title.setText("Add a patient to start")
            self.patient_notes.hide()
            return
        p = self.clinic.patient(pid)
        self.patient_title.setText(str(p["name"]))
        self.patient_notes.setText(str(p.get("notes") or ""))
        self.patient_notes.setVisible(bool(p.get("notes")))
        prog = self.clinic.programme(pid)
        ids = [i["exercise_id"] for i in (prog or {}).get("items", [])]
        if ids and self.ref_exercise.currentData() not in ids:
            i = self.ref_exercise.findData(ids[0])
            if i >= 0:
                self.ref_exercise.blockSignals(True)
                self.ref_exercise.setCurrentIndex(i)
                self.ref_exercise.blockSignals(False)
        self._show_targets()
        self._show_programme()
        self._fill_progress_exercises()

    # ---------------------------------------------------- reference and targets

    def _choose_video(self) -> None:
        pattern = " ".join(f"*{s}" for s in sorted(VIDEO_SUFFIXES))
        path, _ = QFileDialog.getOpenFileName(self, "Reference video", "", f"Videos ({pattern});;All files (*)")
        if path:
            self.set_reference_video(path)

    def set_reference_video(self, path: str) -> None:
        self.video_path = path
        self.ref_video_label.setText(Path(path).name)
        self.ref_video.setChecked(True)

    def record_reference(self) -> bool:
        """Start recording in a worker thread; the derived targets appear when it is done."""
        pid = self.patient_id()
        if pid is None or self.recorder is not None:
            return False
        ex_id = self.ref_exercise.currentData()
        if self.ref_video.isChecked():
            if not self.video_path:
                self.ref_status.setText("Choose the video file first.")
                return False
            source: str | int = self.video_path
            extra: dict = {}
        else:
            source = int(self.ref_camera_index.value())
            extra = {"seconds": float(self.ref_seconds.value())}
        kwargs = dict(source=source, exercise_id=ex_id, patient=pid, notes=self.ref_notes.text().strip(),
                      keep_video=self.ref_keep_video.isChecked(), clinic=self.clinic,
                      rom_share=float(self.ref_share.value()), **extra, **self._record_kwargs)
        self.recorder = RecordWorker(self._record, kwargs, self)
        self.recorder.done.connect(self._recorded)
        self.recorder.failed.connect(self._record_failed)
        self.recorder.finished.connect(self._recorder_finished)
        self.record_button.setEnabled(False)
        self.stop_record_button.setEnabled(isinstance(source, int))
        self.ref_status.setText("Recording... do the exercise a few times, well, in view of the camera."
                                if isinstance(source, int) else "Analysing the video...")
        self.recorder.start()
        return True

    def _recorder_finished(self) -> None:
        w, self.recorder = self.recorder, None
        if w is not None:
            w.wait(2000)
            w.deleteLater()
        self.record_button.setEnabled(True)
        self.stop_record_button.setEnabled(False)

    def stop_recording(self) -> None:
        if self.recorder is not None:
            self.recorder.request_stop()
            self.ref_status.setText("Stopping... the reference is being analysed.")

    def _recorded(self, res: dict) -> None:
        self.last_reference = res
        reps = len(res.get("reps") or [])
        self.ref_status.setText(f"Reference saved ({reps} reps). The derived targets are below (already in use): "
                                "adjust them if needed and press Save targets.")
        self._show_targets(res.get("targets"))
        self.reference_recorded.emit(res)

    def _record_failed(self, message: str) -> None:
        self.ref_status.setText(f"Not recorded: {message}")

    def _set_spin(self, w: QDoubleSpinBox, v: Any) -> None:
        w.setValue(w.minimum() if v is None else float(v))

    def _spin_value(self, w: QDoubleSpinBox) -> float | None:
        return None if w.value() <= w.minimum() else round(float(w.value()), 2)

    def _show_targets(self, targets: dict | None = None) -> None:
        pid = self.patient_id()
        ex_id = self.ref_exercise.currentData()
        if pid is None or ex_id is None:
            return
        t = targets if targets is not None else (self.clinic.targets(pid, ex_id) or {})
        self._shown_targets = dict(t)
        self._set_spin(self.t_rest, t.get("rest"))
        self._set_spin(self.t_peak, t.get("peak"))
        self._set_spin(self.t_hold, t.get("hold_s"))
        self._set_spin(self.t_tempo, t.get("tempo_s"))
        self.t_note.setText(str(t.get("note") or ""))
        ex = self.exercises[ex_id]
        default = f"The exercise's own thresholds: rest {ex.rep.rest:g}, peak {ex.rep.peak:g}"
        if ex.hold is not None:
            default += f", hold {ex.hold.seconds:g} s"
        if t.get("reference_id"):
            share = t.get("rom_share")
            src = f"From reference #{t['reference_id']}" + (f" at {100 * float(share):.0f}% of its range" if share else "")
        elif t:
            src = "Set by hand"
        else:
            src = "No targets yet"
        self.t_source.setText(f"{src}. {default}.")
        self.ref_list.clear()
        for r in self.clinic.references(pid, ex_id):
            n = len(r.get("reps") or [])
            self.ref_list.addItem(f"#{r['id']}  {str(r['recorded_at'])[:16]}  {n} reps  {r.get('notes') or ''}")

    def targets_from_form(self) -> dict:
        t = {k: v for k, v in (getattr(self, "_shown_targets", {}) or {}).items()}
        t.update(rest=self._spin_value(self.t_rest), peak=self._spin_value(self.t_peak),
                 hold_s=self._spin_value(self.t_hold), tempo_s=self._spin_value(self.t_tempo),
                 note=self.t_note.text().strip())
        return t

    def save_targets(self) -> bool:
        pid = self.patient_id()
        ex_id = self.ref_exercise.currentData()
        if pid is None:
            return False
        t = self.targets_from_form()
        try:
            from posecoach.clinic.references import targets_for

            targets_for(self.exercises[ex_id], t)  # the same check the coach makes
            self.clinic.set_targets(pid, ex_id, t)
        except (ValueError, KeyError) as exc:
            self._say(f"Targets not saved: {exc}")
            return False
        self._say("")
        self.ref_status.setText("Targets saved.")
        self._show_targets()
        return True

    def clear_targets(self) -> None:
        for w in (self.t_rest, self.t_peak, self.t_hold, self.t_tempo):
            self._set_spin(w, None)

    # -------------------------------------------------------------- programme

    def add_programme_row(self, item: dict | None = None) -> int:
        item = item or {}
        r = self.prog_table.rowCount()
        self.prog_table.insertRow(r)
        combo = self._exercise_combo()
        if item.get("exercise_id"):
            i = combo.findData(item["exercise_id"])
            if i >= 0:
                combo.setCurrentIndex(i)
        ex = self.exercises.get(combo.currentData())
        sets, reps, hold = QSpinBox(), QSpinBox(), QDoubleSpinBox()
        sets.setRange(1, 20)
        reps.setRange(1, 100)
        hold.setRange(0, 120)
        hold.setDecimals(0)
        sets.setValue(int(item.get("sets") or (ex.dosage.sets if ex else 2)))
        reps.setValue(int(item.get("reps") or (ex.dosage.reps if ex else 10)))
        hold.setValue(float(item.get("hold_s") if item.get("hold_s") is not None else (ex.dosage.hold_s if ex else 0)))
        for c, w in enumerate((combo, sets, reps, hold)):
            self.prog_table.setCellWidget(r, c, w)
        return r

    def _remove_programme_row(self) -> None:
        rows = sorted({i.row() for i in self.prog_table.selectionModel().selectedRows()}, reverse=True)
        if not rows and self.prog_table.currentRow() >= 0:
            rows = [self.prog_table.currentRow()]
        for r in rows:
            self.prog_table.removeRow(r)

    def programme_items(self) -> list[dict]:
        out = []
        for r in range(self.prog_table.rowCount()):
            combo, sets, reps, hold = (self.prog_table.cellWidget(r, c) for c in range(4))
            out.append({"exercise_id": combo.currentData(), "sets": int(sets.value()), "reps": int(reps.value()),
                        "hold_s": float(hold.value())})
        return out

    def programme_rule(self) -> dict:
        return {"add_reps": int(self.rule_add.value()), "every_n_sessions": int(self.rule_every.value()),
                "max_reps": int(self.rule_max.value()), "hold_back_if_pain_rises": self.rule_hold_back.isChecked()}

    def _show_programme(self) -> None:
        pid = self.patient_id()
        self.prog_table.setRowCount(0)
        prog = self.clinic.programme(pid) if pid is not None else None
        if prog:
            for it in prog["items"]:
                self.add_programme_row(it)
            self.days.setValue(int(prog.get("days_per_week") or 5))
            rule = prog.get("rule") or {}
            self.rule_add.setValue(int(rule.get("add_reps", 1)))
            self.rule_every.setValue(int(rule.get("every_n_sessions", 3)))
            self.rule_max.setValue(int(rule.get("max_reps", 15)))
            self.rule_hold_back.setChecked(bool(rule.get("hold_back_if_pain_rises", True)))
        self._show_today()

    def _show_today(self) -> None:
        pid = self.patient_id()
        plan = self.clinic.todays_plan(pid) if pid is not None else []
        if not plan:
            self.today_label.setText("No programme yet: add exercises and save.")
            return
        lines = [f"{self.exercises[i['exercise_id']].name if i['exercise_id'] in self.exercises else i['exercise_id']}"
                 f" {i['sets']} x {i['reps']}" + (f", hold {float(i['hold_s']):g} s" if i.get("hold_s") else "")
                 for i in plan]
        self.today_label.setText("Today, after progression: " + "; ".join(lines))

    def save_programme(self) -> bool:
        pid = self.patient_id()
        if pid is None:
            return False
        items = self.programme_items()
        if not items:
            self._say("Add at least one exercise to the programme.")
            return False
        try:
            self.clinic.set_programme(pid, items, days_per_week=int(self.days.value()), rule=self.programme_rule())
        except (ValueError, KeyError) as exc:
            self._say(f"Programme not saved: {exc}")
            return False
        self._say("")
        self._show_programme()
        self._fill_progress_exercises()
        self.patients_changed.emit()
        return True

    # --------------------------------------------------------------- progress

    def _fill_progress_exercises(self) -> None:
        pid = self.patient_id()
        rows = self.clinic.progress(pid) if pid is not None else []
        ids = list(dict.fromkeys(r["exercise_id"] for r in rows))
        self.prog_exercise.blockSignals(True)
        cur = self.prog_exercise.currentData()
        self.prog_exercise.clear()
        for ex_id in ids:
            ex = self.exercises.get(ex_id)
            self.prog_exercise.addItem(ex.name if ex else ex_id, ex_id)
        i = self.prog_exercise.findData(cur)
        self.prog_exercise.setCurrentIndex(max(i, 0))
        self.prog_exercise.blockSignals(False)
        self.show_progress()

    def show_progress(self) -> bytes | None:
        """Draw the progress charts of the chosen exercise; returns the PNG (None without sessions)."""
        from posecoach.clinic.report import progress_figure_png

        pid = self.patient_id()
        ex_id = self.prog_exercise.currentData()
        if pid is None or ex_id is None:
            self.chart.setPixmap(QPixmap())
            self.chart.setText("No finished sessions yet.")
            self.chart_table.setText("")
            return None
        rows = self.clinic.progress(pid, ex_id)
        png = progress_figure_png(rows, ex_id)
        pm = QPixmap()
        pm.loadFromData(png, "PNG")
        self.chart.setPixmap(pm)
        cells = []
        for r in reversed(rows[-10:]):  # newest first
            faults = ", ".join(f"{k} {v}" for k, v in (r.get("faults") or {}).items()) or "-"
            sim = r.get("similarity_median")
            peak = r.get("peak_median")
            cells.append(
                f"<tr><td>{html.escape(str(r['date']))}</td><td>{r['reps_done']} / {r.get('reps_prescribed') or '-'}"
                f"</td><td>{'-' if peak is None else f'{peak:.0f}'}</td><td>{'-' if sim is None else f'{sim:.0f}'}</td>"
                f"<td>{html.escape(faults)}</td><td>{r.get('pain_before', '-')} → {r.get('pain_after', '-')}</td></tr>")
        self.chart_table.setText(
            "<table cellpadding='3'><tr><th>date</th><th>reps</th><th>range</th><th>similarity</th><th>faults</th>"
            f"<th>pain</th></tr>{''.join(cells)}</table>")
        return png

    def export_report(self, out_dir: str | None = None) -> Path | None:
        pid = self.patient_id()
        if pid is None:
            return None
        out = out_dir or self.choose_dir("Folder for the report (it holds the patient's data)")
        if not out:
            return None
        from posecoach.clinic.report import programme_for_report, render_report

        try:
            p = self.clinic.patient(pid)
            rows = self.clinic.progress(pid)
            programme = programme_for_report(self.clinic, pid)
            ids = {r["exercise_id"] for r in rows} | {i["exercise_id"] for i in (programme or {}).get("items", [])}
            targets = {e: t for e in sorted(ids) if (t := self.clinic.targets(pid, e))}
            path = render_report(p, rows, Path(out), programme=programme, targets=targets)
        except Exception as exc:  # noqa: BLE001 - an unwritable folder, say so
            self._say(f"Report not written: {exc}")
            return None
        self._say(f"Report written: {path}")
        return path

    def shutdown(self) -> None:
        if self.recorder is not None:
            self.recorder.request_stop()
            self.recorder.wait(10000)
