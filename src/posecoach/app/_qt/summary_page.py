"""The end of a session: what was done, pain before and after, safety advice."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QPushButton, QSlider, QTextBrowser, QVBoxLayout, QWidget,
)

from posecoach.app.coaching import SAFETY_ADVICE


class SummaryPage(QWidget):
    """Emits ``pain_after_saved(int)``, ``new_session()`` and ``quit_requested()``."""

    pain_after_saved = Signal(int)
    new_session = Signal()
    quit_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.title = QLabel("Session summary")
        self.title.setObjectName("pageTitle")
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.hide()
        self.text = QTextBrowser()
        self.text.setObjectName("summaryText")
        self.safety = QLabel(SAFETY_ADVICE)
        self.safety.setObjectName("safety")
        self.safety.setWordWrap(True)
        self.safety.hide()

        self.pain = QSlider(Qt.Orientation.Horizontal)
        self.pain.setRange(0, 10)
        self.pain.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.pain.setTickInterval(1)
        self.pain_value = QLabel("0 / 10")
        self.pain.valueChanged.connect(lambda v: self.pain_value.setText(f"<b>{v}</b> / 10"))
        self.save_pain = QPushButton("Save pain level")
        self.save_pain.clicked.connect(lambda: self.pain_after_saved.emit(int(self.pain.value())))
        self.saved_label = QLabel("")
        self.saved_label.setObjectName("hint")
        prow = QHBoxLayout()
        prow.addWidget(QLabel("Pain now (0-10):"))
        prow.addWidget(self.pain, 1)
        prow.addWidget(self.pain_value)
        prow.addWidget(self.save_pain)

        self.again = QPushButton("New session")
        self.again.setMinimumHeight(48)
        self.again.clicked.connect(self.new_session.emit)
        self.quit = QPushButton("Quit")
        self.quit.setMinimumHeight(48)
        self.quit.clicked.connect(self.quit_requested.emit)
        brow = QHBoxLayout()
        brow.addStretch(1)
        brow.addWidget(self.again)
        brow.addWidget(self.quit)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(40, 20, 40, 20)
        lay.addWidget(self.title)
        lay.addWidget(self.message)
        lay.addWidget(self.safety)
        lay.addWidget(self.text, 1)
        lay.addLayout(prow)
        lay.addWidget(self.saved_label)
        lay.addLayout(brow)

    def show_summary(self, text: str, *, message: str = "", pain_after: int | None = None,
                     safety: bool = False) -> None:
        self.text.setHtml(text)
        self.message.setText(message)
        self.message.setVisible(bool(message))
        self.safety.setVisible(safety)
        if pain_after is not None:
            self.pain.setValue(pain_after)
            self.saved_label.setText(f"Pain after the session saved: {pain_after}/10")
        else:
            self.saved_label.setText("How is your back now? Set the slider and save.")
