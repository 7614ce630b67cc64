"""Coaching: the live picture, counters, hold timer, the current cue and the big buttons.

The patient reads the side panel from 2 m away: its text is sized for a 1366x768 laptop (the cue
at least 36 px there) and grows with the window, and the panel takes a share of the width
(bounded) so that in full screen the picture grows too (``posecoach.app._qt.sizing``)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from posecoach.app._qt.sizing import FitLabel, scale, set_font_px
from posecoach.app._qt.video_view import VideoView

# Pixel sizes at a 1366x768 laptop (``sizing.BASE``); each grows with the window.
FONT_PX = {"exercise_label": 22, "set_label": 24, "reps_caption": 15, "reps_label": 80, "hold_label": 34,
           "rest_label": 26, "progress_label": 17, "notice_label": 17, "speech_label": 15,
           "stop_button": 27, "hurt_button": 20, "mute_button": 15, "skip_rest_button": 17, "rate_label": 17}
HEIGHT_PX = {"stop_button": 62, "hurt_button": 50, "mute_button": 50}  # the buttons grow too
CUE_PX, CUE_FLOOR_PX = 40, 24  # a long cue shrinks rather than be cut (to 36 px at most at 1366x768: tested)
SIDE_SHARE, SIDE_MIN, SIDE_MAX = 0.3, 360, 640  # the side panel's share of the page's width, in px
MIN_PAGE = QSize(1100, 660)  # the page's minimum size is never more (a 1366x768 screen less the bars)


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
        self.cue_label = FitLabel("")
        self.cue_label.setObjectName("cueText")
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
        self.mute_button.setMinimumHeight(54)

        panel = QVBoxLayout()
        panel.setSpacing(4)
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
        buttons = QHBoxLayout()  # side by side: the cue keeps the height on a low screen
        buttons.addWidget(self.mute_button, 2)
        buttons.addWidget(self.hurt_button, 3)
        panel.addLayout(buttons)
        panel.addWidget(self.stop_button)
        side = self.side = QFrame()
        side.setObjectName("sidePanel")
        side.setLayout(panel)
        side.setFixedWidth(SIDE_MIN)

        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.video, 1)
        lay.addWidget(side)

        self.fit_to(1366, 700)

    def minimumSizeHint(self) -> QSize:
        """At most what fits a laptop screen: in a big window the big text would otherwise keep the
        window from being made smaller again (it shrinks with the window: ``fit_to``)."""
        return super().minimumSizeHint().boundedTo(MIN_PAGE)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_to(event.size().width(), event.size().height())

    def fit_to(self, width: int, height: int) -> None:
        """Size the side panel and its text for a page of ``width`` x ``height``."""
        k = scale(width, height)
        self.side.setFixedWidth(int(min(SIDE_MAX, max(SIDE_MIN, SIDE_SHARE * width))))
        for name, px in FONT_PX.items():
            set_font_px(getattr(self, name), round(px * k))
        for name, px in HEIGHT_PX.items():
            getattr(self, name).setMinimumHeight(round(px * min(max(k, 1.0), 1.6)))
        self.cue_label.setMinimumHeight(round(110 * min(k, 1.0)))
        self.cue_label.set_sizes(round(CUE_PX * k), round(CUE_FLOOR_PX * min(k, 1.0)))

    def set_running(self, running: bool) -> None:
        self.stop_button.setEnabled(running)
        self.hurt_button.setEnabled(running)

    def set_notice(self, text: str) -> None:
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))
