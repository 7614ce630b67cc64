"""Sizes that follow the window: what a patient reads from 2 m grows with the screen, and pages
whose content is taller than a laptop screen scroll instead of making the window taller than it.

A 1366x768 laptop, less a taskbar and a title bar, leaves about 1366x700 for the window's
content; that is the size everything is laid out for (``BASE``).  ``scale(width, height)`` is how
much bigger a window is than that (never below ``MIN_SCALE``: a small window keeps readable
text).  Fonts are set in pixels through the widget's own style sheet, which wins over the
window's (``STYLE`` in ``main_window``), so the colours and borders stay the window's.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QWidget

__all__ = ["BASE", "MIN_SCALE", "FitLabel", "font_px", "scale", "scrolling", "set_font_px"]

BASE = QSize(1366, 680)  # a 1366x768 screen less the taskbar, title bar and status bar
MIN_SCALE = 0.75


def scale(width: int, height: int) -> float:
    """How much bigger than ``BASE`` a page of this size is (the smaller of the two ratios)."""
    return max(MIN_SCALE, min(width / BASE.width(), height / BASE.height()))


def set_font_px(widget: QWidget, px: int) -> None:
    """Give ``widget`` a font of ``px`` pixels (its own style sheet: the window's cannot override it)."""
    sheet = f"font-size: {int(px)}px;"
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def font_px(widget: QWidget) -> int:
    """The pixel size of the font ``widget`` is drawn with (as the font database resolved it)."""
    return widget.fontInfo().pixelSize()


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area that scrolls only downwards: on a low screen its lower
    part scrolls into view instead of the window growing taller than the screen (or the text being
    squashed).  It is never narrower than ``widget`` can be."""
    area = _DownScroll()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


class _DownScroll(QScrollArea):
    """A scroll area as narrow as its widget allows (plus the scroll bar), and low."""

    def minimumSizeHint(self) -> QSize:
        inner = self.widget()
        if inner is None:
            return super().minimumSizeHint()
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(inner.minimumSizeHint().width() + bar, min(120, inner.minimumSizeHint().height()))


class FitLabel(QLabel):
    """A word-wrapped label whose text is as big as ``target_px`` when it fits its box, and smaller
    (down to ``floor_px``) when a long text would be cut off.  Its size hint does not follow the
    text (that would make the box, and with it the font, jump with every new text): the layout
    gives it the room that is left, and the font fills that room."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.target_px = 40
        self.floor_px = 14

    def set_sizes(self, target_px: int, floor_px: int) -> None:
        self.target_px, self.floor_px = int(target_px), int(min(floor_px, target_px))
        self._fit()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def sizeHint(self) -> QSize:
        return QSize(200, self.minimumHeight())

    def minimumSizeHint(self) -> QSize:
        return QSize(100, self.minimumHeight())

    def hasHeightForWidth(self) -> bool:
        return False

    def fitting_px(self) -> int:
        """The largest size from ``target_px`` down to ``floor_px`` at which the text fits the box."""
        px = self.target_px
        while px > self.floor_px and not self._fits(px, self._box()):
            px -= 1
        return px

    def text_fits(self) -> bool:
        """Whether all of the text, at the size it is drawn, is inside the box."""
        return self._fits(self.fontInfo().pixelSize(), self._box())

    def _box(self) -> QRect:
        m = self.margin()
        return self.contentsRect().adjusted(m, m, -m, -m)

    def _fits(self, px: int, box: QRect) -> bool:
        if not self.text() or box.width() <= 0:
            return True
        f = QFont(self.font())
        f.setPixelSize(px)
        flags = int(Qt.TextFlag.TextWordWrap | self.alignment())
        need = QFontMetrics(f).boundingRect(QRect(0, 0, box.width(), 100000), flags, self.text())
        return need.width() <= box.width() and need.height() <= box.height()

    def _fit(self) -> None:
        set_font_px(self, self.fitting_px())
