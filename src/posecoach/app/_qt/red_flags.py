"""The red-flag screen before a patient exercises, and the gate that asks it.

``RedFlagDialog`` asks the guidance's questions (``posecoach.clinic.red_flags.QUESTIONS``) with a
Yes and a No for each; "Continue" is grey until every one is answered.  ``RedFlagGate`` is what the
main window asks before a patient's session: it lets the session start when the patient has
answered lately (``SCREEN_EVERY_DAYS``) with no "yes"; it opens the screen when one is due and
starts the session once every answer is "no"; on any "yes" (now or earlier, not yet cleared by
the therapist) coaching stays stopped with the advice on the set-up screen.  The rules and the
storage are the clinic's; this module only asks and shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup, QDialog, QDialogButtonBox, QFrame, QGridLayout, QLabel, QMessageBox, QRadioButton, QVBoxLayout,
    QWidget,
)

from posecoach.clinic.red_flags import QUESTIONS, Outcome, assess

__all__ = ["RedFlagDialog", "RedFlagGate", "blocked_text"]

INTRO = ("Before you exercise, please answer these questions. They check for signs that your back "
         "needs a doctor's look first. Answer each one yes or no.")


def blocked_text(outcome: Outcome, since: str = "") -> str:
    """What the set-up screen says while a "yes" stops coaching."""
    when = f" on {since[:10]}" if since else ""
    see = ("Do not exercise: see a doctor today." if outcome.urgent
           else "See your doctor or physiotherapist before exercising.")
    return (f"Coaching is stopped: you answered yes to a safety question{when}. {see} "
            "Your therapist can let you exercise again once they have reviewed it.")


class RedFlagDialog(QDialog):
    """The questions, each with Yes/No.  ``answers()``: {question id: bool}, or None until all are answered."""

    def __init__(self, parent: QWidget | None = None, *, name: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Safety questions")
        self.setModal(True)
        # Read at arm's length, maybe with reading glasses: larger than the window's 11 pt.
        self.setStyleSheet("QLabel, QRadioButton, QPushButton { font-size: 13pt; }"
                           " QLabel#exerciseName { font-size: 16pt; font-weight: bold; }")
        lay = QVBoxLayout(self)
        title = QLabel(f"Safety questions for {name}" if name else "Safety questions")
        title.setObjectName("exerciseName")
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        lay.addWidget(title)
        lay.addWidget(intro)
        grid = QGridLayout()
        self.groups: dict[str, QButtonGroup] = {}
        self.yes_buttons: dict[str, QRadioButton] = {}
        self.no_buttons: dict[str, QRadioButton] = {}
        for row, q in enumerate(QUESTIONS):
            text = QLabel(q.text)
            text.setWordWrap(True)
            text.setMinimumWidth(420)
            yes, no = QRadioButton("Yes"), QRadioButton("No")
            grp = QButtonGroup(self)
            grp.addButton(yes)
            grp.addButton(no)
            grp.buttonToggled.connect(lambda *_: self._update())
            self.groups[q.id], self.yes_buttons[q.id], self.no_buttons[q.id] = grp, yes, no
            grid.addWidget(text, row, 0)
            grid.addWidget(yes, row, 1)
            grid.addWidget(no, row, 2)
        box = QFrame()
        box.setLayout(grid)
        lay.addWidget(box)
        self.buttons = QDialogButtonBox()
        self.continue_button = self.buttons.addButton("Continue", QDialogButtonBox.ButtonRole.AcceptRole)
        self.later_button = self.buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._update()

    def answers(self) -> dict[str, bool] | None:
        out = {}
        for q in QUESTIONS:
            if self.yes_buttons[q.id].isChecked():
                out[q.id] = True
            elif self.no_buttons[q.id].isChecked():
                out[q.id] = False
            else:
                return None
        return out

    def answer(self, question_id: str, yes: bool) -> None:
        (self.yes_buttons if yes else self.no_buttons)[question_id].setChecked(True)

    def _update(self) -> None:
        self.continue_button.setEnabled(self.answers() is not None)

    def _accept(self) -> None:
        if self.answers() is not None:
            self.accept()


class RedFlagGate:
    """Asks the screen before a patient's session (see the module docstring).

    ``clinic``: a ``Clinic`` (or None: nothing is asked); ``setup``: the ``SetupPage`` (its
    ``set_blocked`` shows why coaching is stopped); ``parent``: the dialogs' window; ``status``:
    a one-line message sink (the status bar)."""

    def __init__(self, parent: QWidget, setup: Any, status: Callable[[str], None]) -> None:
        self.parent, self.setup, self.status = parent, setup, status
        self.dialog: RedFlagDialog | None = None
        self.advice_box: QMessageBox | None = None
        self._asked_for: int | None = None
        self._local_stop: dict[int, Outcome] = {}  # a yes that could not be stored: stopped for this run

    def _rf(self, clinic: Any) -> Any:
        return getattr(clinic, "red_flags", None) if clinic is not None else None

    def show_state(self, clinic: Any, pid: int | None) -> None:
        """The set-up screen's notice for this patient (an open flag) or none."""
        self.setup.set_blocked(self.stop_text(clinic, pid))

    def stop_text(self, clinic: Any, pid: int | None) -> str:
        """Why this patient may not exercise ("" when they may)."""
        if pid is None:
            return ""
        if pid in self._local_stop:
            return blocked_text(self._local_stop[pid])
        rf = self._rf(clinic)
        if rf is None:
            return ""
        try:
            flag = rf.open_flag(int(pid))
        except Exception:  # an unreadable database: the screen is asked again instead
            return ""
        return blocked_text(flag.outcome(), flag.answered_at) if flag is not None else ""

    def allow(self, clinic: Any, pid: int | None, resume: Callable[[], object]) -> bool:
        """True when the patient's session may start now.  False when coaching is stopped (the set-up
        screen says why) or the screen is due: it is opened, and ``resume()`` is called once all is "no"."""
        rf = self._rf(clinic)
        if pid is None or rf is None:
            return True
        stop = self.stop_text(clinic, pid)
        if stop:
            self.setup.set_blocked(stop)
            return False
        try:
            due = rf.due(int(pid))
        except Exception:
            due = True
        if not due:
            return True
        if self.dialog is None:
            try:
                name = str(clinic.patient(int(pid)).name)
            except Exception:
                name = ""
            self._ask(clinic, int(pid), name, resume)
        return False

    def _ask(self, clinic: Any, pid: int, name: str, resume: Callable[[], object]) -> None:
        dlg = self.dialog = RedFlagDialog(self.parent, name=name)
        self._asked_for = pid

        def done(result: int) -> None:
            self.dialog = None
            answers = dlg.answers() if result == QDialog.DialogCode.Accepted else None
            dlg.deleteLater()
            if answers is not None:
                self._answered(clinic, pid, answers, resume)

        dlg.finished.connect(done)
        dlg.open()

    def _answered(self, clinic: Any, pid: int, answers: dict[str, bool], resume: Callable[[], object]) -> None:
        outcome = assess(answers)
        try:
            self._rf(clinic).record(pid, answers)
        except Exception as exc:  # the answers count for this run even when they cannot be stored
            self.status(f"The safety answers could not be saved ({exc}).")
            if outcome.flagged:
                self._local_stop[pid] = outcome
        if outcome.flagged:
            self.setup.set_blocked(blocked_text(outcome))
            self._tell(outcome)
            return
        resume()

    def _tell(self, outcome: Outcome) -> None:
        """The advice in a box the patient must acknowledge (not blocking the event loop)."""
        icon = QMessageBox.Icon.Critical if outcome.urgent else QMessageBox.Icon.Warning
        title = "See a doctor today" if outcome.urgent else "See a clinician before exercising"
        box = self.advice_box = QMessageBox(icon, title, outcome.advice, QMessageBox.StandardButton.Ok, self.parent)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.finished.connect(lambda _r: setattr(self, "advice_box", None))
        box.open()
