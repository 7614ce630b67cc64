"""The patient's sessions of one exercise, newest first, with "Delete session...": a session
started by mistake, on the wrong patient or with the camera pointing elsewhere should not stay in
the charts, the report and today's plan.  Deleting asks first and cannot be undone."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from posecoach.app._qt.therapist.common import PageContext
from posecoach.errors import PosecoachError

__all__ = ["SessionsPanel", "session_line"]

_ID = Qt.ItemDataRole.UserRole
_STOPPED = {"completed": "completed", "user": "stopped", "pain": "stopped: it hurt",
            "camera_lost": "camera lost", "error": "source failed", None: "not finished"}


def session_line(r: dict) -> str:
    """One session as the list shows it: "2026-12-06 10:42  12 of 16 reps  pain 2 -> 3  stopped"."""
    when = str(r.get("started_at") or "")[:16].replace("T", " ")
    planned = (r.get("planned_sets") or 0) * (r.get("planned_reps") or 0)
    reps = f"{r.get('reps', 0)} of {planned} reps" if planned else f"{r.get('reps', 0)} reps"
    pb, pa = r.get("pain_before"), r.get("pain_after")
    pain = f"  pain {'-' if pb is None else pb} -> {'-' if pa is None else pa}" if pb is not None or pa is not None \
        else ""
    return f"{when}  {reps}{pain}  {_STOPPED.get(r.get('stopped'), str(r.get('stopped')))}"


class SessionsPanel(QWidget):
    """Emits ``deleted(session_id)`` after a deletion.  ``confirm(title, text) -> bool`` asks
    first (tests answer it)."""

    deleted = Signal(int)

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.confirm: Callable[[str, str], bool] = self._confirm_dialog
        self._shown: tuple[int, str] | None = None
        self.title = QLabel("Sessions")
        self.title.setObjectName("hint")
        self.session_list = QListWidget()
        self.session_list.setMinimumHeight(120)
        self.session_list.currentItemChanged.connect(lambda *_: self._enable())
        self.delete_button = QPushButton("Delete session...")
        self.delete_button.clicked.connect(lambda: self.delete_session())
        self.delete_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.title, 1)
        row.addWidget(self.delete_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(row)
        lay.addWidget(self.session_list)

    def show_sessions(self, patient_id: int | None, exercise_id: str | None) -> None:
        """List the patient's sessions of the exercise, newest first (empty without either)."""
        self.session_list.clear()
        self._shown = None if patient_id is None or exercise_id is None else (patient_id, exercise_id)
        if self._shown is not None:
            pid, ex_id = self._shown
            rows = self.ctx.db(lambda c: c.sessions(pid, ex_id))
            for r in reversed(rows):
                item = QListWidgetItem(session_line(r))
                item.setData(_ID, int(r["id"]))
                self.session_list.addItem(item)
        self.title.setText(f"Sessions ({self.session_list.count()})")
        self._enable()

    def selected_id(self) -> int | None:
        item = self.session_list.currentItem()
        return None if item is None else int(item.data(_ID))

    def select(self, session_id: int) -> None:
        for i in range(self.session_list.count()):
            if self.session_list.item(i).data(256) == session_id:
                self.session_list.setCurrentRow(i)
                return

    def _enable(self) -> None:
        self.delete_button.setEnabled(self.selected_id() is not None)

    def _confirm_dialog(self, title: str, text: str) -> bool:
        ans = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                   QMessageBox.StandardButton.No)
        return ans == QMessageBox.StandardButton.Yes

    def delete_session(self) -> bool:
        """Delete the chosen session after the confirmation; True if it was deleted."""
        sid, item = self.selected_id(), self.session_list.currentItem()
        if sid is None or item is None or self._shown is None:
            return False
        pid = self._shown[0]
        if not self.confirm("Delete session",
                            f"Delete this session ({item.text().strip()}) with its reps? It goes from the "
                            "charts, the report and today's plan. This cannot be undone."):
            return False
        try:
            self.ctx.db(lambda c: c.delete_session(pid, sid))
        except (PosecoachError, OSError) as exc:
            self.ctx.say(f"The session was not deleted: {exc}")
            return False
        self.ctx.say("Session deleted.")
        self.deleted.emit(sid)
        return True
