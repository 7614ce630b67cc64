"""Coaching: the live picture, counters, hold timer, the current cue and the big buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from posecoach.app._qt.video_view import VideoView


def _label(name: str, text: str = "", wrap: bool = False) -> QLabel:
    lab = QLabel(text)
    lab.setObjectName(name)
    lab.setWordWrap(wrap)
    return lab


class CoachPage(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.video = VideoView()

        self.exercise_label = _label("exerciseName", wrap=True)
        self.set_label = _label("setCounter")
        self.reps_caption = _label("caption", "Reps in this set")
        self.reps_label = _label("repCounter", "0")
        self.reps_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hold_label = _label("holdTimer")
        self.rest_label = _label("restLabel", wrap=True)
        self.rest_label.hide()
        self.skip_rest_button = QPushButton("I'm ready: skip the rest  (R)")  # shown while resting
        self.skip_rest_button.setObjectName("skipRest")
        self.skip_rest_button.hide()
        self.cue_label = _label("cueText", "", wrap=True)
        self.cue_label.setMinimumHeight(110)
        self.cue_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress_label = _label("progressLine", wrap=True)
        self.notice_label = _label("notice", wrap=True)
        self.notice_label.hide()
        self.rate_label = _label("notice", wrap=True)  # "frame rate too low to coach reliably"
        self.rate_label.hide()
        self.speech_label = _label("hint", wrap=True)
        self.speech_label.hide()

        self.stop_button = QPushButton("Stop  (Space)")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setMinimumHeight(70)
        self.hurt_button = QPushButton("It hurts  (H)")
        self.hurt_button.setObjectName("hurtButton")
        self.hurt_button.setMinimumHeight(54)
        self.mute_button = QPushButton("Mute  (M)")
        self.mute_button.setCheckable(True)
        self.mute_button.setMinimumHeight(40)

        panel = QVBoxLayout()
        panel.setSpacing(6)
        panel.addWidget(self.exercise_label)
        panel.addWidget(self.set_label)
        panel.addWidget(self.reps_caption)
        panel.addWidget(self.reps_label)
        panel.addWidget(self.hold_label)
        panel.addWidget(self.rest_label)
        panel.addWidget(self.skip_rest_button)
        panel.addWidget(self.cue_label, 1)
        panel.addWidget(self.progress_label)
        panel.addWidget(self.notice_label)
        panel.addWidget(self.rate_label)
        panel.addWidget(self.speech_label)
        panel.addWidget(self.mute_button)
        panel.addWidget(self.hurt_button)
        panel.addWidget(self.stop_button)
        side = QFrame()
        side.setObjectName("sidePanel")
        side.setLayout(panel)
        side.setFixedWidth(360)

        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.video, 1)
        lay.addWidget(side)

    def set_running(self, running: bool) -> None:
        self.stop_button.setEnabled(running)
        self.hurt_button.setEnabled(running)

    def set_notice(self, text: str) -> None:
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))
