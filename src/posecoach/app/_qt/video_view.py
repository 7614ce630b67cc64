"""The live picture with the skeleton and the angles that matter, painted with QPainter."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from posecoach.core.exercise.schema import Exercise
from posecoach.app.coaching import angle_anchors, angle_unit, bone_indices

_BONES = bone_indices()


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
        if r.pose is not None:
            self._draw_skeleton(p, r.pose.xy, r.pose.visibility, rect, scale, ok=r.status == "ok")
            if self.exercise is not None and r.values:
                self._draw_angles(p, r, rect, scale)
        banner = self.banner or live.guidance
        if banner:
            self._banner(p, banner)
        p.end()
        if live.index != self._painted_index:
            self._painted_index = live.index
            self.shown.emit(live.captured_at, time.monotonic())

    def _draw_skeleton(self, p: QPainter, xy: np.ndarray, vis: np.ndarray, rect: QRectF, scale: float, ok: bool) -> None:
        pts = [QPointF(rect.x() + x * scale, rect.y() + y * scale) for x, y in xy]
        width = max(3.0, 5.0 * scale)
        color = QColor(80, 220, 120) if ok else QColor(240, 190, 60)
        pen = QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        for a, b in _BONES:
            if vis[a] < 0.3 or vis[b] < 0.3:
                continue
            p.setPen(pen)
            p.drawLine(pts[a], pts[b])
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(255, 255, 255))
        rad = max(3.0, 4.0 * scale)
        for i in {i for ab in _BONES for i in ab}:
            if vis[i] >= 0.3:
                p.drawEllipse(pts[i], rad, rad)

    def _draw_angles(self, p: QPainter, r, rect: QRectF, scale: float) -> None:
        ex = self.exercise
        assert ex is not None
        side = r.side if r.side in ("left", "right") else "left"
        f = QFont(self.font())
        f.setPointSizeF(max(11.0, 15.0 * min(1.4, max(scale, 0.8))))
        f.setBold(True)
        p.setFont(f)
        fm = p.fontMetrics()
        for name, value, x, y, is_rep in angle_anchors(ex, r.pose.xy, side, r.values):
            text = f"{value:.0f}{angle_unit(ex, name)}" if angle_unit(ex, name) else f"{value:.2f}"
            label = f"{name.replace('_', ' ')} {text}"
            px, py = rect.x() + x * scale, rect.y() + y * scale
            tw, th = fm.horizontalAdvance(label) + 12, fm.height() + 6
            box = QRectF(px + 12, py - th - 6, tw, th)
            # keep the label on the picture
            if box.right() > rect.right():
                box.moveRight(px - 12)
            if box.top() < rect.top():
                box.moveTop(py + 8)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, 170))
            p.drawRoundedRect(box, 6, 6)
            p.setPen(QColor(255, 230, 90) if is_rep else QColor(150, 210, 255))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)

    def _banner(self, p: QPainter, text: str) -> None:
        f = QFont(self.font())
        f.setPointSizeF(20)
        f.setBold(True)
        p.setFont(f)
        margin = 16
        box = QRectF(margin, margin, self.width() - 2 * margin, 10)
        br = p.boundingRect(box.adjusted(16, 8, -16, -8), Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter, text)
        box.setHeight(br.height() + 20)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(200, 120, 0, 215))
        p.drawRoundedRect(box, 10, 10)
        p.setPen(QColor(255, 255, 255))
        p.drawText(box.adjusted(16, 8, -16, -8), Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter, text)

    def _text_center(self, p: QPainter, text: str) -> None:
        if not text:
            return
        f = QFont(self.font())
        f.setPointSizeF(18)
        p.setFont(f)
        p.setPen(QColor(220, 220, 220))
        p.drawText(self.rect().adjusted(30, 30, -30, -30), Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter, text)
