"""What is painted over the picture, with QPainter: one module for the live window and the
annotated videos of ``posecoach analyze --annotate``, so both show the same skeleton, the same
angle labels and the same banner.

The functions paint on any ``QPainter`` (a widget's or one over a ``QImage``) given where the
picture is (``rect``) and how much it is scaled there (``scale``: displayed pixels per image
pixel; the pose is in image pixels).  Fonts come in from the caller (``base``): the window passes
its own, the annotator one sized for the video.  The figures themselves (which angles, where) are
``posecoach.app.coaching``'s; nothing here decides what to show.

The annotator's HUD (rep counter, hold timer, cue) is shown beside the picture in the window, in
labels: ``paint_counter`` and ``paint_cue`` draw the same facts into the video, where there is no
window around it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from posecoach.app.coaching import angle_anchors, angle_unit, bone_indices
from posecoach.core.exercise.schema import Exercise

__all__ = ["paint_angles", "paint_banner", "paint_counter", "paint_cue", "paint_skeleton", "sized"]

_BONES = bone_indices()
_JOINTS = sorted({i for ab in _BONES for i in ab})
_MIN_VIS = 0.3  # joints less visible than this are the model's guesses: not drawn
_BOX = QColor(0, 0, 0, 170)


def sized(base: QFont, points: float, bold: bool = True) -> QFont:
    """``base`` at ``points`` (bold by default): every text of the overlay."""
    f = QFont(base)
    f.setPointSizeF(points)
    f.setBold(bold)
    return f


def paint_skeleton(p: QPainter, xy: np.ndarray, vis: np.ndarray, rect: QRectF, scale: float, ok: bool) -> None:
    """The bones (green when the frame counts, amber when it does not) and white joints."""
    pts = [QPointF(rect.x() + x * scale, rect.y() + y * scale) for x, y in xy]
    width = max(3.0, 5.0 * scale)
    color = QColor(80, 220, 120) if ok else QColor(240, 190, 60)
    pen = QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    for a, b in _BONES:
        if vis[a] < _MIN_VIS or vis[b] < _MIN_VIS:
            continue
        p.setPen(pen)
        p.drawLine(pts[a], pts[b])
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(255, 255, 255))
    rad = max(3.0, 4.0 * scale)
    for i in _JOINTS:
        if vis[i] >= _MIN_VIS:
            p.drawEllipse(pts[i], rad, rad)


def paint_angles(p: QPainter, exercise: Exercise, result, rect: QRectF, scale: float, base: QFont, *,
                 patient: bool = False) -> None:
    """Each angle that matters (``angle_anchors``) in a box by its joint: the rep angle yellow,
    the form rules' blue.  ``result``: a ``FrameResult`` with a pose and values.  ``patient``: only
    the angles a patient reads as 0-180 degrees (the coaching window; annotated videos show all)."""
    side = result.side if result.side in ("left", "right") else "left"
    p.setFont(sized(base, max(11.0, 15.0 * min(1.4, max(scale, 0.8)))))
    fm = p.fontMetrics()
    for name, value, x, y, is_rep in angle_anchors(exercise, result.pose.xy, side, result.values, patient=patient):
        unit = angle_unit(exercise, name)
        text = f"{value:.0f}{unit}" if unit else f"{value:.2f}"
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
        p.setBrush(_BOX)
        p.drawRoundedRect(box, 6, 6)
        p.setPen(QColor(255, 230, 90) if is_rep else QColor(150, 210, 255))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)


def paint_banner(p: QPainter, text: str, width: float, font: QFont, *, top: float = 16.0,
                 color: QColor | None = None) -> float:
    """A wide box of wrapped white text across the top (set-up guidance, messages, a camera
    cut); returns its bottom edge."""
    p.setFont(font)
    margin = 16
    box = QRectF(margin, top, width - 2 * margin, 10)
    flags = Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter
    # Measured by the font, in a rect as tall as the text may need: the painter's boundingRect of
    # the 10 px box's inside (a negative height) came back 0 high on a real screen (xcb), and the
    # text was cut to a 4 px strip (offscreen it measured right).
    br = QFontMetricsF(font).boundingRect(QRectF(0, 0, box.width() - 32, 10_000), int(flags), text)
    box.setHeight(br.height() + 16)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color if color is not None else QColor(200, 120, 0, 215))
    p.drawRoundedRect(box, 10, 10)
    p.setPen(QColor(255, 255, 255))
    p.drawText(box.adjusted(16, 8, -16, -8), flags, text)
    return box.bottom()


def paint_counter(p: QPainter, big: str, small: list[str], at: QPointF, base: QFont, *, below: bool) -> QRectF:
    """The rep counter: ``big`` ("Rep 3") over ``small`` lines (hold timer, time), in a dark box
    with its top-left (``below``) or bottom-left corner at ``at``; returns the box."""
    big_f, small_f = sized(base, 26), sized(base, 14, bold=False)
    p.setFont(big_f)
    bw, bh = p.fontMetrics().horizontalAdvance(big), p.fontMetrics().height()
    p.setFont(small_f)
    sfm = p.fontMetrics()
    sw = max((sfm.horizontalAdvance(s) for s in small), default=0)
    pad = 10
    box = QRectF(0, 0, max(bw, sw) + 2 * pad, bh + len(small) * sfm.height() + 2 * pad)
    box.moveTopLeft(at) if below else box.moveBottomLeft(at)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(_BOX)
    p.drawRoundedRect(box, 8, 8)
    p.setFont(big_f)
    p.setPen(QColor(255, 230, 90))
    p.drawText(QRectF(box.x() + pad, box.y() + pad, bw + 2, bh), Qt.AlignmentFlag.AlignLeft, big)
    p.setFont(small_f)
    p.setPen(QColor(235, 235, 235))
    for i, s in enumerate(small):
        line = QRectF(box.x() + pad, box.y() + pad + bh + i * sfm.height(), sw + 2, sfm.height())
        p.drawText(line, Qt.AlignmentFlag.AlignLeft, s)
    return box


def paint_cue(p: QPainter, text: str, area: QRectF, base: QFont, *, below: bool) -> None:
    """The cue the patient just heard, as the cue box of the window shows it: white text in a
    dark box as wide as the text (wrapped to ``area``'s width), at the left of ``area``, at its
    top (``below``) or its bottom: as little of the picture as it can."""
    p.setFont(sized(base, 18))
    flags = Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter
    br = p.boundingRect(area.adjusted(14, 8, -14, -8), flags, text)
    box = QRectF(area.x(), 0, min(area.width(), br.width() + 28), br.height() + 16)
    box.moveTop(area.top()) if below else box.moveBottom(area.bottom())
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(20, 60, 110, 215))
    p.drawRoundedRect(box, 8, 8)
    p.setPen(QColor(255, 255, 255))
    p.drawText(box.adjusted(14, 8, -14, -8), flags, text)
