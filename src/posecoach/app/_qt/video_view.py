"""The live picture with the skeleton and the angles that matter, painted with QPainter
(``posecoach.app.overlay``, which annotated videos are painted with too)."""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from posecoach.app.overlay import paint_angles, paint_banner, paint_skeleton, sized
from posecoach.core.exercise.schema import Exercise


class VideoView(QWidget):
    """Shows the newest ``LiveFrame``; emits ``shown(captured_at, now)`` after painting it."""

    shown = Signal(float, float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(480, 360)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.exercise: Exercise | None = None
        self._frame = None
        self._painted_index = -1
        self.banner = ""  # big text over the picture (set-up guidance, messages)
        self.placeholder = "Starting the camera..."

    def set_exercise(self, exercise: Exercise) -> None:
        self.exercise = exercise

    def show_frame(self, live) -> None:
        self._frame = live
        self.update()

    def clear(self, placeholder: str = "") -> None:
        self._frame = None
        self._painted_index = -1
        self.placeholder = placeholder
        self.update()

    # -- painting -------------------------------------------------------------
    def _target_rect(self, w: int, h: int) -> QRectF:
        W, H = self.width(), self.height()
        s = min(W / max(w, 1), H / max(h, 1))
        return QRectF((W - w * s) / 2, (H - h * s) / 2, w * s, h * s)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(self.rect(), QColor(20, 22, 26))
        live = self._frame
        if live is None:
            self._text_center(p, self.placeholder)
            p.end()
            return
        img: QImage = live.image
        rect = self._target_rect(img.width(), img.height())
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.drawImage(rect, img)
        scale = rect.width() / max(img.width(), 1)
        r = live.result
        if r.pose is not None:  # the overlay is posecoach.app.overlay's, as in annotated videos
            paint_skeleton(p, r.pose.xy, r.pose.visibility, rect, scale, ok=r.status == "ok")
            if self.exercise is not None and r.values:
                paint_angles(p, self.exercise, r, rect, scale, self.font(), patient=True)
        banner = self.banner or live.guidance
        if banner:
            # 20 pt in the picture of a 1366x768 laptop (about 940x670), bigger in a bigger window
            grow = max(1.0, min(self.width() / 940, self.height() / 670))
            paint_banner(p, banner, self.width(), sized(self.font(), 20 * grow))
        p.end()
        if live.index != self._painted_index:
            self._painted_index = live.index
            self.shown.emit(live.captured_at, time.monotonic())

    def _text_center(self, p: QPainter, text: str) -> None:
        if not text:
            return
        f = QFont(self.font())
        f.setPointSizeF(18)
        p.setFont(f)
        p.setPen(QColor(220, 220, 220))
        p.drawText(self.rect().adjusted(30, 30, -30, -30), Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter, text)
