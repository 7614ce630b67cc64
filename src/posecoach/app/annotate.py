"""Annotated videos (``posecoach analyze --annotate``): each analysed frame with what the
coach saw and said, for a physiotherapist to watch rather than read.

Every frame gets the app's overlay (``posecoach.app.overlay``: the skeleton, the angles that
matter at their joints, the banner), and what the window shows beside the picture: the rep
count, the hold timer (``posecoach.app.run.hold_text``) and the cue just said
(``cue_shown``), kept on screen for ``CUE_SHOW_S`` as a patient would have heard it.  A camera
cut gets a banner for ``CUT_SHOW_S``; a frame that could not be judged says why.  All of it
comes from the pipeline's ``Step`` of that frame (``step.result``: the session's own count,
hold time, cue, cut and status); nothing is worked out again here.

The frames are painted with QPainter on a ``QImage`` over the frame's pixels, then encoded
with OpenCV's ``VideoWriter`` (``mp4v``: this OpenCV's FFmpeg has no H.264 encoder, and VP9
encodes at about 6 frames a second).  Each frame goes to the slot of its timestamp at the
source's frame rate, the last one repeated over a gap: the video keeps the source's length
and timing whichever frames were analysed.  The file is written under a temporary name and
renamed when complete (``posecoach.io.atomic.atomic_path``).

Text needs a ``QGuiApplication``: ``qt_ready`` makes an offscreen one in a process that has
none (a batch worker, a Dask worker), without a window or a display.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter

from posecoach.app.overlay import paint_angles, paint_banner, paint_counter, paint_cue, paint_skeleton, sized
from posecoach.app.run import cue_shown, hold_text
from posecoach.core.exercise.schema import Exercise
from posecoach.core.pipeline import Step
from posecoach.core.types import Status
from posecoach.errors import OutputError
from posecoach.io.atomic import atomic_path, os_error_message

__all__ = ["ANNOTATED_SUFFIX", "CUE_SHOW_S", "CUT_SHOW_S", "FOURCC", "TMP_SUFFIX", "VideoAnnotator",
           "annotated_video", "qt_ready"]

ANNOTATED_SUFFIX = "_annotated.mp4"  # <name>_annotated.mp4 beside <name>.json
TMP_SUFFIX = ".tmp.mp4"  # the temporary name's ending: the container is chosen by it
FOURCC = "mp4v"
CUE_SHOW_S = 2.5  # about as long as a short cue takes to say, and a moment to read it
CUT_SHOW_S = 1.0

_NOT_JUDGED = {
    Status.NO_PERSON: "No person found: not judged",
    Status.NOT_VISIBLE: "Not judged: the joints this exercise needs are hidden or out of frame",
    Status.WRONG_VIEW_SIDE: "Not judged: the camera does not see the person side-on",
    Status.WRONG_VIEW_FRONT: "Not judged: the person does not face the camera",
    Status.UNSTEADY: "Not judged: the pose is unsteady",
}
_CUT_COLOR = QColor(170, 40, 150, 215)


def qt_ready() -> None:
    """A Qt application (text needs one), offscreen unless ``QT_QPA_PLATFORM`` says otherwise;
    the process's own when it has one (the app).  A ``QApplication``, not the smaller
    ``QGuiApplication``: whatever in the same process wants widgets later (the window, its
    tests) can use it.  One made here is deleted at exit, in the main thread, also when it was
    made in another (a Dask worker's task thread)."""
    if QGuiApplication.instance() is not None:
        return
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_NO_GLIB", "1")  # no GLib main loop to tear down from another thread
    from PySide6.QtWidgets import QApplication

    app = QApplication(["posecoach-annotate"])

    def _delete() -> None:
        import shiboken6

        shiboken6.Shiboken.delete(app)

    atexit.register(_delete)


def _frame_dpi(height: int) -> float:
    """Text is sized in points; a video's points follow its height (96 dpi at 720 lines), so
    the labels take the same share of the picture at any size (not under 60 dpi: small videos
    keep readable text)."""
    return 96.0 * min(2.0, max(0.625, height / 720.0))


class VideoAnnotator:
    """Paints each ``Step`` onto its frame and writes it to ``path`` (an ``.mp4`` name), at the
    slot of its timestamp at ``fps``.  ``release`` closes the file; ``check`` then raises
    ``OutputError`` if it did not come out whole."""

    def __init__(self, path: Path, exercise: Exercise, fps: float) -> None:
        self.path = path
        self.exercise = exercise
        self.fps = fps
        self.written = 0
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, int] | None = None
        self._t0: float | None = None
        self._last: np.ndarray | None = None
        self._cue = ("", -1e9)  # text, when said
        self._cut_t = -1e9
        self._hud_top = True  # the counter and cue go to the edge away from the person
        self._font = QFont()

    # -- per frame -----------------------------------------------------------------------
    def add(self, step: Step) -> None:
        img = np.ascontiguousarray(step.frame.image).copy()
        self._open(img)
        assert self._size is not None
        if (img.shape[1], img.shape[0]) != self._size:
            img = cv2.resize(img, self._size, interpolation=cv2.INTER_AREA)
        self.paint(img, step)
        t = float(step.frame.t)
        if self._t0 is None:
            self._t0 = t
        slot = round((t - self._t0) * self.fps)
        while self._last is not None and self.written < slot:  # frames not analysed: the last one stays
            self._write(self._last)
        self._write(img)
        self._last = img

    def paint(self, img: np.ndarray, step: Step) -> None:
        """The overlay and the HUD of ``step``, in place on ``img`` (BGR, contiguous)."""
        r = step.result
        self._follow(r)
        h, w = img.shape[:2]
        qimg = QImage(img.data, w, h, img.strides[0], QImage.Format.Format_BGR888)
        dpm = round(_frame_dpi(h) / 0.0254)
        qimg.setDotsPerMeterX(dpm)
        qimg.setDotsPerMeterY(dpm)
        p = QPainter(qimg)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            rect = QRectF(0, 0, w, h)
            if r.pose is not None:
                paint_skeleton(p, r.pose.xy, r.pose.visibility, rect, 1.0, ok=r.status == "ok")
                if r.values:
                    paint_angles(p, self.exercise, r, rect, 1.0, self._font)
            self._paint_hud(p, r, w, h)
        finally:
            p.end()

    def _follow(self, r) -> None:
        """What stays on screen for a while (the cue, a cut), and which edge is clear of the person."""
        text = cue_shown(r.cue)
        if text:
            self._cue = (text, r.t)
        if r.cut:
            self._cut_t = r.t
        if r.pose is not None:
            vis = r.pose.visibility >= 0.5
            if vis.any():  # the edge with more room beyond the person; a clear margin to change sides
                h = max(r.pose.size_wh[1], 1)
                above, below = float(r.pose.xy[vis, 1].min()) / h, 1.0 - float(r.pose.xy[vis, 1].max()) / h
                if above > below + 0.1:
                    self._hud_top = True
                elif below > above + 0.1:
                    self._hud_top = False

    def _paint_hud(self, p: QPainter, r, w: int, h: int) -> None:
        """The counter and the cue at one edge; a cut or "not judged" banner beside them."""
        n = r.reps
        unit = "hold" if self.exercise.counting == "hold" else "rep"
        small = [s for s in (hold_text(self.exercise, r), f"{r.t:.1f} s") if s]
        margin = 16.0
        at = QPointF(margin, margin) if self._hud_top else QPointF(margin, h - margin)
        box = paint_counter(p, f"{n} {unit}{'s' if n != 1 else ''}", small, at, self._font, below=self._hud_top)
        text, said = self._cue
        if text and r.t - said < CUE_SHOW_S:
            area = QRectF(box.right() + 12, box.top(), max(w - box.right() - 12 - margin, 40), box.height())
            paint_cue(p, text, area, self._font, below=self._hud_top)
        banner, color = self._banner(r)
        if banner:
            top = box.bottom() + 10 if self._hud_top else margin
            paint_banner(p, banner, w, sized(self._font, 16), top=top, color=color)

    def _banner(self, r) -> tuple[str, QColor | None]:
        if r.t - self._cut_t < CUT_SHOW_S:
            return "Camera cut: no rep is counted across it", _CUT_COLOR
        if r.status != Status.OK:
            return _NOT_JUDGED.get(r.status, "Not judged"), None
        return "", None

    # -- the file ------------------------------------------------------------------------
    def _open(self, img: np.ndarray) -> None:
        if self._writer is not None:
            return
        h, w = img.shape[:2]
        self._size = (w, h)
        self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter.fourcc(*FOURCC), float(self.fps), (w, h))
        if not self._writer.isOpened():
            raise OutputError(f"{self.path}: OpenCV cannot write an MP4 ({FOURCC}) video here; "
                              "run without --annotate, or install opencv-python with its FFmpeg")

    def _write(self, img: np.ndarray) -> None:
        assert self._writer is not None
        self._writer.write(img)
        self.written += 1

    def release(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def check(self, dest: Path) -> None:
        """The closed file holds every frame written (a full disk fails silently in OpenCV)."""
        cap = cv2.VideoCapture(str(self.path))
        try:
            n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if cap.isOpened() else 0
        finally:
            cap.release()
        if self.written == 0 or n != self.written:
            raise OutputError(f"{dest}: the annotated video could not be written whole ({n} of {self.written} "
                              "frames); check the free space in the output folder")


@contextmanager
def annotated_video(dest: Path, exercise: Exercise, fps: float) -> Iterator[Callable[[Step], None]]:
    """Gives the function that paints and writes each ``Step``; on a clean exit ``dest`` is
    the complete video, on any error nothing is left (``OutputError`` for a folder that
    cannot be written)."""
    qt_ready()
    dest = Path(dest)
    stack = ExitStack()
    try:
        tmp = stack.enter_context(atomic_path(dest, suffix=TMP_SUFFIX))
    except OSError as e:
        raise OutputError(os_error_message(dest, e)) from None
    with stack:
        annotator = VideoAnnotator(tmp, exercise, fps)
        try:
            yield annotator.add
        finally:
            annotator.release()
        annotator.check(dest)
        try:
            stack.close()  # the complete file gets its name now
        except OSError as e:
            raise OutputError(os_error_message(dest, e)) from None
