"""The therapist page's left column: the patient list, adding a patient, deleting one (and all their data)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from posecoach.app._qt.therapist.common import PageContext
from posecoach.clinic.records import DeletedPatient
from posecoach.errors import PosecoachError

__all__ = ["PatientsPanel"]


class PatientsPanel(QWidget):
    """Emits ``selected`` when the chosen patient changes and ``changed`` after an add or delete.
    ``confirm(title, text) -> bool`` asks before deleting (tests answer it)."""

    selected = Signal()
    changed = Signal()

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.confirm: Callable[[str, str], bool] = self._confirm_dialog
        self.patient_list = QListWidget()
        self.patient_list.setMinimumWidth(200)
        self.patient_list.setMaximumWidth(260)
        self.patient_list.currentItemChanged.connect(lambda *_: self.selected.emit())
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("New patient's name")
        self.new_name.returnPressed.connect(self.add_patient)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add_patient)
        self.delete_button = QPushButton("Delete patient and all their data...")
        self.delete_button.clicked.connect(self.delete_patient)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Patients"))
        lay.addWidget(self.patient_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_name, 1)
        row.addWidget(self.add_button)
        lay.addLayout(row)
        lay.addWidget(self.delete_button)

    def patient_id(self) -> int | None:
        item = self.patient_list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def refresh(self, select: int | None = None) -> None:
        """Reload the list (keeping the selection, or selecting ``select``); always emits ``selected``."""
        current = select if select is not None else self.patient_id()
        patients = self.ctx.db(lambda c: c.patients())
        self.patient_list.blockSignals(True)
        self.patient_list.clear()
        for p in patients:
            item = QListWidgetItem(p.name)
            item.setData(Qt.ItemDataRole.UserRole, int(p.id))
            if p.notes:
                item.setToolTip(p.notes)
            self.patient_list.addItem(item)
            if p.id == current:
                self.patient_list.setCurrentItem(item)
        self.patient_list.blockSignals(False)
        if self.patient_list.currentItem() is None and self.patient_list.count():
            self.patient_list.setCurrentRow(0)
        self.selected.emit()

    def select_patient(self, patient_id: int) -> None:
        for i in range(self.patient_list.count()):
            if self.patient_list.item(i).data(Qt.ItemDataRole.UserRole) == patient_id:
                self.patient_list.setCurrentRow(i)
                return

    def add_patient(self) -> int | None:
        name = self.new_name.text().strip()
        if not name:
            self.ctx.say("Type the new patient's name first.")
            return None
        try:
            pid = self.ctx.db(lambda c: c.add_patient(name))
        except PosecoachError as exc:
            self.ctx.say(str(exc))
            return None
        self.new_name.clear()
        self.ctx.say("")
        self.refresh(select=pid)
        self.changed.emit()
        return pid

    def _confirm_dialog(self, title: str, text: str) -> bool:
        ans = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                   QMessageBox.StandardButton.No)
        return ans == QMessageBox.StandardButton.Yes

    def delete_patient(self) -> DeletedPatient | None:
        pid = self.patient_id()
        if pid is None:
            return None
        name = self.ctx.db(lambda c: c.patient(pid)).name
        if not self.confirm("Delete patient",
                            f"Delete {name} and ALL their data (sessions, references and their files, "
                            "targets, programmes)? This cannot be undone; back up first if unsure."):
            return None
        counts = self.ctx.db(lambda c: c.delete_patient(pid))
        self.ctx.say(f"Deleted {name}.")
        self.refresh()
        self.changed.emit()
        return counts
