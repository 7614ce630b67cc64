"""'It hurts': how much, and what to do about it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QButtonGroup, QDialog, QDialogButtonBox, QGridLayout, QLabel, QPushButton, QVBoxLayout

from posecoach.app.coaching import SAFETY_ADVICE


class PainDialog(QDialog):
    """Asks the pain level 0-10 (buttons) and shows the safety advice; ``value()`` after accept."""

    def __init__(self, parent=None, initial: int | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("It hurts")
        self.setModal(True)
        head = QLabel("The session is stopped. How bad is the pain now?")
        head.setObjectName("dialogHead")
        head.setWordWrap(True)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        grid = QGridLayout()
        self.buttons: list[QPushButton] = []
        for v in range(11):
            b = QPushButton(str(v))
            b.setCheckable(True)
            b.setMinimumSize(44, 44)
            self.group.addButton(b, v)
            grid.addWidget(b, 0, v)
            self.buttons.append(b)
        grid.addWidget(QLabel("no pain"), 1, 0, 1, 3, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(QLabel("worst pain"), 1, 8, 1, 3, Qt.AlignmentFlag.AlignRight)
        if initial is not None and 0 <= initial <= 10:
            self.buttons[initial].setChecked(True)
        advice = QLabel(SAFETY_ADVICE)
        advice.setObjectName("safety")
        advice.setWordWrap(True)
        self.box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.box.button(QDialogButtonBox.StandardButton.Ok).setText("Save and show the summary")
        self.box.accepted.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addLayout(grid)
        lay.addWidget(advice)
        lay.addWidget(self.box)
        self.setMinimumWidth(620)

    def set_value(self, v: int) -> None:
        self.buttons[v].setChecked(True)

    def value(self) -> int | None:
        v = self.group.checkedId()
        return None if v < 0 else v
