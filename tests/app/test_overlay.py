"""The overlay (``posecoach.app.overlay``) as the window paints it: the skeleton on the joints, the
angle labels, the banner; and the same drawing in an annotated frame (``posecoach.app.annotate``).

A generated frame of the demo bridge is shown in a ``VideoView`` and grabbed; the pose it was
drawn from says where the skeleton must be.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import posecoach.app  # noqa: F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.core.exercise import find_exercise
from posecoach.core.landmarks import INDEX
from posecoach.core.session import Session
from posecoach.testing.demo import demo_scenario

pytest.importorskip("PySide6")


@pytest.fixture(scope="module")
def judged():
    """A frame of the demo bridge at the top of a rep (the session has judged it: ok, with angles)."""
    sc = demo_scenario("glute_bridge", n_reps=1)
    session = Session(find_exercise("glute_bridge"))
    result = None
    for t, pose in sc.poses[:101]:
        result = session.process(t, pose)
    assert result is not None and result.status == "ok" and result.values
    return result


def _grab(qtbot, result, banner: str = ""):
    from PySide6.QtGui import QImage

    from posecoach.app._qt.video_view import VideoView
    from posecoach.app.synthvideo import render_frame
    from posecoach.app.worker import LiveFrame

    rgb = cv2.cvtColor(render_frame(result.pose, (640, 480)), cv2.COLOR_BGR2RGB)
    img = QImage(rgb.data, 640, 480, 3 * 640, QImage.Format.Format_RGB888).copy()
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(640, 480)  # the picture fills the view: image pixels are view pixels
    view.set_exercise(find_exercise("glute_bridge"))
    view.banner = banner
    view.show_frame(LiveFrame(image=img, t=result.t, index=0, captured_at=0.0, result=result, brightness=120.0,
                              guidance="", infer_ms=1.0, dropped=0, processed=1))
    shot = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(shot.constBits(), np.uint8).reshape(shot.height(), shot.bytesPerLine())[:, : 3 * shot.width()]
    return arr.reshape(shot.height(), shot.width(), 3).copy(), rgb


def test_the_window_paints_the_skeleton_on_the_joints_and_the_labels(qtbot, judged):
    shot, plain = _grab(qtbot, judged)
    for joint in ("left_hip", "left_knee", "left_shoulder", "left_ankle"):
        x, y = (int(round(v)) for v in judged.pose.xy[INDEX[joint]])
        assert shot[y, x].min() > 200, joint  # a white joint dot on the dark stick figure
        assert plain[y, x].max() < 100
    changed = np.abs(shot.astype(int) - plain).sum(axis=2) > 60
    green = (shot[..., 1] > 180) & (shot[..., 0] < 140) & (shot[..., 2] < 160)
    assert green.sum() > 2000  # the bones
    assert changed[380:, :].sum() == 0  # the floor: no overlay
    # the knee's angle (a form rule's: blue text) is drawn by the knee; the bridge's hip angle runs
    # 0-360 (signed), which a patient cannot read: no yellow rep-angle label in the window (issue 12)
    kx, ky = (int(round(v)) for v in judged.pose.xy[INDEX["left_knee"]])
    near = shot[max(ky - 60, 0): ky + 60, max(kx - 20, 0): kx + 200]
    assert ((near[..., 0] < 190) & (near[..., 1] > 180) & (near[..., 2] > 220)).sum() > 20
    yellow = (shot[..., 0] > 220) & (shot[..., 1] > 200) & (shot[..., 2] < 140)
    assert yellow.sum() == 0


def test_the_banner_goes_across_the_top(qtbot, judged):
    shot, _ = _grab(qtbot, judged, banner="Move back so your whole body is visible")
    top = shot[20:50, 40:600].astype(int)
    orange = (top[..., 0] > 150) & (top[..., 1] > 80) & (top[..., 1] < 150) & (top[..., 2] < 60)
    assert orange.mean() > 0.5


def test_the_banner_holds_its_whole_text(qtbot, monkeypatch):
    """The box is as tall as the wrapped text: one line fits, three lines make it taller.  The
    text is measured by the font: on a real screen (xcb) the painter measured the box's inside
    (a negative height) as 0 high and the banner showed a 4 px strip of its text; the painter's
    measure is made to fail that way here."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QFont, QImage, QPainter, QFontMetricsF

    monkeypatch.setattr(QPainter, "boundingRect", lambda self, *a: QRectF())

    from posecoach.app.overlay import paint_banner

    img = QImage(600, 400, QImage.Format.Format_RGB32)
    img.fill(0)
    font = QFont()
    font.setPointSizeF(20)
    font.setBold(True)
    p = QPainter(img)
    one = paint_banner(p, "Move back", 600, font, top=16.0) - 16.0
    three = paint_banner(p, "Move back so your whole body is visible, " * 3, 600, font, top=16.0) - 16.0
    p.end()
    line = QFontMetricsF(font).lineSpacing()
    assert one >= line + 16 - 1
    assert three >= 3 * line + 16 - 1 > one
