"""Posture education in the window: the "how to sit, stand and lift" page and the posture check.

- ``PostureGuidePage``: three short sections in plain language, each with a pair of stick figures
  (good, and what to avoid) drawn here with QPainter from the project's own generated postures
  (``posecoach.testing.synth`` and its scenarios): nothing from outside.
- ``PostureWindow``: a small window that stays on top of the others and runs the posture check
  (``posecoach.core.posture``) on the camera (or a video, played in real time) in the
  background: the state in a colour, the measures, the seconds poor lately, and a gentle reminder
  (shown, spoken when speech is on, and the window asks for attention) when posture stays poor.
  "I am sitting upright now" takes the baseline again.
- ``PostureLauncher``: what the main window needs (a few wiring lines there): opens the page and
  the window, and closes the window with the app.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QThread, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QApplication, QFrame, QGridLayout, QHBoxLayout, QLabel, QLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from posecoach.core.landmarks import INDEX
from posecoach.core.posture import PostureCoach, PostureReading, PostureSettings, PostureState, load_posture_settings
from posecoach.core.types import Pose
from posecoach.testing import synth as S

__all__ = ["PostureGuidePage", "PostureLauncher", "PostureWindow", "stick_figure"]

PoseStream = Iterable[tuple[float, Pose | None]]

# --------------------------------------------------------------------------- illustrations

_SIDE_BONES = (("left_shoulder", "left_hip"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
               ("left_ankle", "left_foot_index"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"))
_GOOD, _BAD = QColor("#2e7d32"), QColor("#c62828")


def stick_figure(posture: S.Posture, good: bool, prop: str = "", size: int = 200) -> QPixmap:
    """``posture`` seen from its left side as a stick figure on a ``size`` square: green when
    ``good``, red otherwise, with a ``prop`` ("chair", "box") drawn in grey."""
    pts = S.landmarks_lab(posture)[:, :2]  # lab x forward, y up: the side view
    xs, ys = pts[:, 0], pts[:, 1]
    lo = np.array([min(xs.min() - 0.14, -0.35), min(ys.min(), 0.0)])  # room for the head's circle
    hi = np.array([max(xs.max() + 0.14, 0.45), max(ys.max() + 0.14, 1.0)])
    scale = (size - 24) / float(max(hi - lo))
    centre = (lo + hi) / 2

    def at(p: np.ndarray) -> QPointF:
        return QPointF(size / 2 + (p[0] - centre[0]) * scale, size / 2 - (p[1] - centre[1]) * scale)

    pm = QPixmap(size, size)
    pm.fill(QColor("white"))
    qp = QPainter(pm)
    qp.setRenderHint(QPainter.RenderHint.Antialiasing)
    grey = QPen(QColor("#9e9e9e"), 4)
    qp.setPen(grey)
    qp.drawLine(at(np.array([lo[0] - 1, 0.0])), at(np.array([hi[0] + 1, 0.0])))  # the floor
    hip = pts[INDEX["left_hip"]]
    if prop == "chair":
        sx, sy = float(hip[0]) - 0.05, float(hip[1]) - 0.08  # the seat under the hips

        def seat(dx: float, dy: float) -> QPointF:
            return at(np.array([sx + dx, sy + dy]))

        qp.drawLine(seat(-0.2, 0), seat(0.25, 0))
        qp.drawLine(seat(-0.2, 0), seat(-0.2, 0.5))
        qp.drawLine(seat(-0.15, 0), seat(-0.15, -sy))
        qp.drawLine(seat(0.2, 0), seat(0.2, -sy))
    elif prop == "box":
        # on the floor in front of the toes, under the hands where they reach that far
        x0 = max(float(pts[INDEX["left_wrist"], 0]) - 0.12, float(pts[INDEX["left_foot_index"], 0]) + 0.03)
        corner = at(np.array([x0, 0.28]))
        far = at(np.array([x0 + 0.28, 0.0]))
        qp.drawRect(QRectF(corner, far))
    colour = _GOOD if good else _BAD
    qp.setPen(QPen(colour, 7, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    for a, b in _SIDE_BONES:
        qp.drawLine(at(pts[INDEX[a]]), at(pts[INDEX[b]]))
    neck = (pts[INDEX["left_shoulder"]] + pts[INDEX["right_shoulder"]]) / 2
    head = (pts[INDEX["left_ear"]] + pts[INDEX["nose"]]) / 2
    qp.drawLine(at(neck), at(head))
    r = 0.11 * scale
    qp.setBrush(QColor("white"))
    qp.drawEllipse(at(head), r, r)
    qp.setPen(QPen(colour, 3))
    qp.setFont(qp.font())
    qp.drawText(QRectF(4, 2, size - 8, 24), Qt.AlignmentFlag.AlignLeft, "Good" if good else "Avoid")
    qp.end()
    return pm


def _sections() -> list[tuple[str, S.Posture, S.Posture, str, list[str]]]:
    """(title, good posture, posture to avoid, prop, plain-language points) per section."""
    from posecoach.testing.scenarios.functional import lift_posture
    from posecoach.testing.scenarios.posture import seated

    stand = S.standing()
    slouch = stand.with_(trunk_pitch=15.0, neck_flex=35.0, lumbar_flex=15.0, hip_flex=-5.0, knee_flex=8.0)
    return [
        ("Sitting at a laptop", seated(), seated(head_deg=30.0, slump_deg=20.0), "chair", [
            "Sit back in the chair so it supports your lower back (a small cushion helps).",
            "Keep your head over your shoulders: raise the screen to about eye level.",
            "Feet flat on the floor, knees at about hip height.",
            "Get up and move for a minute or two every half hour.",
        ]),
        ("Standing", stand, slouch, "", [
            "Stand tall, as if a string pulled the top of your head up.",
            "Let your shoulders relax down and back; keep your chin in.",
            "Weight on both feet; change position often rather than standing still for long.",
        ]),
        # the arms reach forward to the box (the generated lifts let them hang)
        ("Lifting from the floor", lift_posture().with_(shoulder_flex=80.0),
         lift_posture(stoop=True).with_(shoulder_flex=95.0), "box", [
            "Stand close to the object, feet apart.",
            "Bend your knees and hips, keep your back straight and your chest up.",
            "Hold it close to your body and stand up with your legs; do not twist.",
            "Avoid bending over with straight knees: that loads your back.",
        ]),
    ]


class PostureGuidePage(QWidget):
    """How to sit, stand and lift: three illustrated sections.  ``back_requested`` and
    ``check_requested`` (start the posture check)."""

    back_requested = Signal()
    check_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("How to sit, stand and lift")
        title.setObjectName("pageTitle")
        intro = QLabel("Small habits through the day matter for a sore back as much as the exercises. "
                       "Green is the way to do it; red is what to avoid.")
        intro.setWordWrap(True)
        body = QWidget()
        grid = QGridLayout(body)  # a column per section: all three in view at 1366x768
        self.section_titles: list[str] = []
        for i, (name, good, bad, prop, points) in enumerate(_sections()):
            self.section_titles.append(name)
            head = QLabel(name)
            head.setObjectName("exerciseName")
            grid.addWidget(head, 0, i)
            row = QHBoxLayout()
            for posture, ok in ((good, True), (bad, False)):
                pic = QLabel()
                pic.setPixmap(stick_figure(posture, ok, prop, size=190))
                pic.setFixedSize(190, 190)
                row.addWidget(pic)
            row.addStretch(1)
            grid.addLayout(row, 1, i)
            text = QLabel("\n".join(f"•  {p}" for p in points))  # plain text: wraps to its full height
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setWordWrap(True)
            text.setStyleSheet("font-size: 13pt;")  # read from a chair, not leaning in
            text.setAlignment(Qt.AlignmentFlag.AlignTop)
            text.setMaximumWidth(430)
            grid.addWidget(text, 2, i)
        grid.setRowStretch(3, 1)
        scroll = self.scroll_area = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.back_button = QPushButton("Back")
        self.back_button.clicked.connect(self.back_requested.emit)
        self.check_button = QPushButton("Start a posture check at my laptop")
        self.check_button.setToolTip("A small window watches your head and shoulders on the camera and "
                                     "reminds you gently when you have slumped for a while")
        self.check_button.clicked.connect(self.check_requested.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.check_button)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(intro)
        lay.addWidget(scroll, 1)
        lay.addLayout(buttons)


# --------------------------------------------------------------------------- the check


class _CheckThread(QThread):
    """Runs the poses through a ``PostureCoach`` off the GUI thread; ``reading`` per frame."""

    reading = Signal(object)
    failed = Signal(str)

    def __init__(self, coach: PostureCoach, poses: Callable[[Callable[[], bool]], PoseStream]) -> None:
        super().__init__()
        self.coach = coach
        self._poses = poses
        self._stop = False
        self._recalibrate = False

    def stop(self) -> None:
        self._stop = True

    def recalibrate(self) -> None:
        self._recalibrate = True  # taken up on the worker thread, between frames

    def run(self) -> None:
        try:
            for t, pose in self._poses(lambda: self._stop):
                if self._stop:
                    return
                if self._recalibrate:
                    self._recalibrate = False
                    self.coach.recalibrate()
                self.reading.emit(self.coach.update(t, pose))
        except Exception as e:  # a camera or model problem ends the check, with its message
            self.failed.emit(str(e) or type(e).__name__)


_COLOURS = {PostureState.GOOD: ("#1b5e20", "#e8f5e9"), PostureState.FAIR: ("#8d6e00", "#fff8e1"),
            PostureState.POOR: ("#b71c1c", "#ffebee"), PostureState.CALIBRATING: ("#0d47a1", "#e3f2fd"),
            PostureState.AWAY: ("#555555", "#eeeeee")}
_WORDS = {PostureState.GOOD: "Good posture", PostureState.FAIR: "Watch your posture",
          PostureState.POOR: "Sit back, head up", PostureState.CALIBRATING: "Sit upright: measuring...",
          PostureState.AWAY: "Not seen: face the camera"}


class PostureWindow(QWidget):
    """The small always-on-top posture check window (see the module docstring).

    ``poses(stop) -> iterable of (t, pose)`` feeds it (default: ``io.poses.iter_poses`` on
    ``source`` at 5 a second, a video paced in real time); ``speaker``: a ``Speaker`` for the
    reminder (None: shown only).  ``reading_shown(PostureReading)`` after each update."""

    reading_shown = Signal(object)

    def __init__(self, source: str | int = 0, *, settings: PostureSettings | None = None,
                 poses: Callable[[Callable[[], bool]], PoseStream] | None = None, model: str | None = None,
                 speaker: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        if settings is None:
            from posecoach.paths import posture_file

            settings = load_posture_settings(posture_file())
        self.settings = settings
        self.speaker = speaker
        self.setWindowTitle("posecoach: posture check")
        self.coach = PostureCoach(settings)
        self.last: PostureReading | None = None
        self.reminders: list[str] = []
        self.state_label = QLabel(_WORDS[PostureState.CALIBRATING])
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state_label.setMinimumHeight(48)
        self.state_label.setWordWrap(True)
        self.detail_label = QLabel("")
        self.detail_label.setObjectName("hint")
        self.detail_label.setWordWrap(True)
        self.poor_label = QLabel("")
        self.poor_label.setObjectName("hint")
        self.reminder_label = QLabel("")
        self.reminder_label.setWordWrap(True)
        self.reminder_label.setObjectName("safety")
        self.reminder_label.hide()
        self.recalibrate_button = QPushButton("I am sitting upright now")
        self.recalibrate_button.setToolTip("Take your posture now as your upright baseline")
        self.recalibrate_button.clicked.connect(self.recalibrate)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.close)
        g = QGridLayout(self)
        g.addWidget(self.state_label, 0, 0, 1, 2)
        g.addWidget(self.detail_label, 1, 0, 1, 2)
        g.addWidget(self.poor_label, 2, 0, 1, 2)
        g.addWidget(self.reminder_label, 3, 0, 1, 2)
        g.addWidget(self.recalibrate_button, 4, 0)
        g.addWidget(self.stop_button, 4, 1)
        g.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows with a reminder's lines
        self.setMinimumWidth(380)
        self._paint_state(PostureState.CALIBRATING)
        if poses is None:
            from posecoach.io.poses import iter_poses

            def poses(stop: Callable[[], bool]) -> Iterator[tuple[float, Pose | None]]:
                return iter_poses(source, 5.0, model, realtime=True, stop=stop)

        self.thread_ = _CheckThread(self.coach, poses)
        self.thread_.reading.connect(self.show_reading)
        self.thread_.failed.connect(self._failed)
        self.thread_.start()

    def show_reading(self, r: PostureReading) -> None:
        self.last = r
        reminder_shown = self.reminder_label.isVisible()
        if self.state_label.text() != _WORDS[r.state]:
            self.state_label.setText(_WORDS[r.state])
            self._paint_state(r.state)
        if r.state in (PostureState.GOOD, PostureState.FAIR, PostureState.POOR):
            parts = [f"head forward {r.head:.2f} (poor from {self.settings.head_forward.poor:g})"]
            parts.append("lean not seen" if math.isnan(r.lean) else f"lean {r.lean:.0f}°")
            parts.append(f"tilt {r.tilt:.0f}°")
            self.detail_label.setText("  ·  ".join(parts) + (f"  ({r.why})" if r.why else ""))
            window_min = self.settings.window_s / 60
            self.poor_label.setText(f"poor {r.poor_s:.0f} s of the last {window_min:g} min")
        if r.reminder:
            self.reminders.append(r.reminder)
            self.reminder_label.setText(f"{time.strftime('%H:%M')}  {r.reminder}")
            self.reminder_label.show()
            self._speak(r)
            QApplication.alert(self)
        elif r.state == PostureState.GOOD and self.reminder_label.isVisible():
            self.reminder_label.hide()  # done: back upright
        if self.reminder_label.isVisible() != reminder_shown or self.height() < self.sizeHint().height():
            self.adjustSize()  # a small window: it grows for the reminder's lines and shrinks after
        self.reading_shown.emit(r)

    def recalibrate(self) -> None:
        self.thread_.recalibrate()
        self.reminder_label.hide()

    def _speak(self, r: PostureReading) -> None:
        if self.speaker is None:
            return
        from posecoach.core.cues import Cue, CueKind

        try:
            self.speaker.say(Cue(r.t, r.reminder or "", CueKind.SETUP, "posture"))
        except Exception:  # speech is a nicety; the reminder is on screen
            pass

    def _paint_state(self, state: PostureState) -> None:
        fg, bg = _COLOURS[state]
        self.state_label.setStyleSheet(f"font-size: 16pt; font-weight: bold; color: {fg}; background: {bg};"
                                       "border-radius: 8px; padding: 6px;")

    def _failed(self, message: str) -> None:
        self.state_label.setText("The posture check stopped")
        self._paint_state(PostureState.AWAY)
        self.detail_label.setText(message)
        self.poor_label.setText("")
        self.recalibrate_button.setEnabled(False)
        self.stop_button.setText("Close")

    def showEvent(self, event: Any) -> None:
        """The first time: in the top right corner of the screen, out of the way of the work."""
        super().showEvent(event)
        if not getattr(self, "_placed", False):
            self._placed = True
            screen = self.screen().availableGeometry() if self.screen() is not None else None
            if screen is not None:
                self.move(screen.right() - self.frameGeometry().width() - 16, screen.top() + 16)

    def stop(self) -> None:
        """Stop the check and wait for its thread (idempotent)."""
        self.thread_.stop()
        self.thread_.wait(5000)

    def closeEvent(self, event: Any) -> None:
        self.stop()
        super().closeEvent(event)


class PostureLauncher:
    """The main window's posture education: ``show_guide`` puts the page in ``pages`` (a
    QStackedWidget) and ``start_check`` opens the small window on ``source()`` (the set-up page's
    camera or video); ``shutdown`` closes it."""

    def __init__(self, pages: Any, back: Callable[[], None], source: Callable[[], str | int | None], *,
                 model: str | None = None, speaker: Any = None,
                 on_error: Callable[[str], None] = lambda _m: None) -> None:
        self.pages = pages
        self.page: PostureGuidePage | None = None
        self.window: PostureWindow | None = None
        self._back, self._source, self._model, self._speaker, self._on_error = back, source, model, speaker, on_error

    def show_guide(self) -> None:
        if self.page is None:
            self.page = PostureGuidePage()
            self.page.back_requested.connect(self._back)
            self.page.check_requested.connect(self.start_check)
            self.pages.addWidget(self.page)
        self.pages.setCurrentWidget(self.page)

    def start_check(self) -> PostureWindow | None:
        """The check on the set-up page's camera (or video file)."""
        source = self._source()
        if source is None:
            self._on_error("Choose a camera (or a video file) for the posture check.")
            return None
        from posecoach.errors import PosecoachError

        self.shutdown()
        try:
            self.window = PostureWindow(source, model=self._model, speaker=self._speaker)
        except PosecoachError as e:  # the settings file is broken: say which field
            self._on_error(str(e))
            return None
        self.window.show()
        return self.window

    def shutdown(self) -> None:
        if self.window is not None:
            self.window.close()
            self.window = None
