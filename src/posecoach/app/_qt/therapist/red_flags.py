"""The therapist's view of a patient's red-flag screen: a clear flag when they answered "yes",
and clearing it after review (recorded with who, when and a note).

The answers and the rules are ``posecoach.clinic.red_flags``; the patient is asked by
``posecoach.app._qt.red_flags``.  While a flag is open the patient's coaching is stopped.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QListWidget, QPushButton, QWidget

from posecoach.app._qt.therapist.common import PageContext
from posecoach.clinic.red_flags import SCREEN_EVERY_DAYS
from posecoach.errors import PosecoachError

__all__ = ["FLAG_MARK", "RedFlagPanel", "mark_flagged"]

FLAG_MARK = "⚠ "
_OPEN_STYLE = ("QFrame#redFlagPanel { background: #ffebee; border: 2px solid #c62828; border-radius: 6px; }"
               " QLabel { color: #b71c1c; font-weight: bold; }")
_OK_STYLE = "QFrame#redFlagPanel { background: transparent; }"


def mark_flagged(patient_list: QListWidget, flagged: set[int]) -> None:
    """Mark the patients with an open red flag in the list: a warning sign and red text."""
    for i in range(patient_list.count()):
        item = patient_list.item(i)
        pid = int(item.data(Qt.ItemDataRole.UserRole))
        name = item.text().removeprefix(FLAG_MARK)
        if pid in flagged:
            item.setText(FLAG_MARK + name)
            item.setForeground(QBrush(QColor("#b71c1c")))
            item.setToolTip("Red flag: answered yes to a safety question; coaching is stopped until you clear it")
        else:
            item.setText(name)


class RedFlagPanel(QFrame):
    """The chosen patient's screen state, and "Reviewed: clear the flag".  Emits ``cleared``."""

    cleared = Signal()

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("redFlagPanel")
        self.state = QLabel("")
        self.state.setWordWrap(True)
        self.reviewer = QLineEdit()
        self.reviewer.setPlaceholderText("Reviewed by (your name)")
        self.note = QLineEdit()
        self.note.setPlaceholderText("Note (what you checked)")
        self.clear_button = QPushButton("Reviewed: clear the flag")
        self.clear_button.clicked.connect(self.clear_flag)
        g = QGridLayout(self)
        g.addWidget(self.state, 0, 0, 1, 3)
        g.addWidget(self.reviewer, 1, 0)
        g.addWidget(self.note, 1, 1)
        g.addWidget(self.clear_button, 1, 2)
        self.flagged = False
        self.show_patient(None)

    def show_patient(self, pid: int | None) -> None:
        screens = self.ctx.db(lambda c: c.red_flags.screens(pid)) if pid is not None else []
        flag = next((s for s in screens if s.open), None)
        self.flagged = flag is not None
        for w in (self.reviewer, self.note, self.clear_button):
            w.setVisible(self.flagged)
        self.setStyleSheet(_OPEN_STYLE if self.flagged else _OK_STYLE)
        if pid is None:
            self.state.setText("")
        elif flag is not None:
            urgent = " (urgent: advised to see a doctor the same day)" if flag.urgent else ""
            self.state.setText(f"{FLAG_MARK}Red flag on {flag.answered_at[:10]}: answered yes to "
                               f"{flag.yes_text()}{urgent}. Coaching is stopped until you have reviewed it.")
        elif screens:
            last = screens[0]
            cleared = (f"; the flag of {last.answered_at[:10]} was cleared by {last.cleared_by or 'a therapist'}"
                       if last.flagged else ", all no")
            self.state.setText(f"Safety questions last answered {last.answered_at[:10]}{cleared}. "
                               f"They are asked again every {SCREEN_EVERY_DAYS} days.")
        else:
            self.state.setText("Safety questions not answered yet: the patient is asked before their first session.")

    def clear_flag(self) -> bool:
        pid = self.ctx.patient_id()
        if pid is None or not self.flagged:
            return False
        by = self.reviewer.text().strip()
        if not by:
            self.ctx.say("Type your name in 'Reviewed by' first: clearing a red flag is recorded.")
            return False
        note = self.note.text().strip()
        try:
            self.ctx.db(lambda c: c.red_flags.clear(pid, by=by, note=note))
        except PosecoachError as exc:
            self.ctx.say(str(exc))
            return False
        self.note.clear()
        self.ctx.say("")
        self.show_patient(pid)
        self.cleared.emit()
        return True
