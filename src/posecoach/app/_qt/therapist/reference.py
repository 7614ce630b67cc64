"""The "Reference and targets" tab: record a reference movement (camera or video) in a worker thread,
then show the targets derived from it (``TargetsBox``) and the references recorded so far.

While it records, the tab shows how far the analysis is (frames, percent, time left), a preview of
the frame being analysed with its skeleton (``posecoach.app.overlay``, the coaching screen's
drawing) and a Cancel button that abandons the recording at the next frame and stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from posecoach.app._qt.therapist.common import PageContext, exercise_combo
from posecoach.app._qt.therapist.jobs import RecordWorker
from posecoach.app._qt.therapist.targets import TargetsBox
from posecoach.io.sources import VIDEO_SUFFIXES

__all__ = ["ReferenceTab", "preview_pixmap", "progress_text"]


def _duration(s: float) -> str:
    """ "about 1 min 30 s", "about 40 s", "a few seconds" """
    s = max(0.0, float(s))
    if s < 5:
        return "a few seconds"
    if s < 60:
        return f"about {s:.0f} s"
    m, rest = divmod(round(s / 5) * 5, 60)
    return f"about {m:.0f} min" + (f" {rest:.0f} s" if rest else "")


def progress_text(p: Any) -> str:
    """How far a recording is (a ``RecordProgress``), in one line for the therapist."""
    share, left = p.share, p.left_s
    pct = "" if share is None else f" ({100 * share:.0f}%)"
    rest = "" if left is None else f", {_duration(left)} left"
    if p.seconds and not p.total_frames:  # a camera: the time recorded
        return f"Recording: {p.t:.0f} of {p.seconds:g} s{pct}{rest}, {p.frames} frames analysed."
    if p.total_frames and p.frames >= p.total_frames:  # what is left is finding the reps
        return f"Analysed all {p.frames} frames: finding the reps and the targets..."
    of = f" of {p.total_frames}" if p.total_frames else ""
    return f"Analysing the video: frame {p.frames}{of}{pct}{rest}."


def preview_pixmap(p: Any) -> QPixmap:
    """The frame being analysed (BGR) with its skeleton drawn as on the coaching screen."""
    from posecoach.app.overlay import paint_skeleton

    img = np.ascontiguousarray(p.image[:, :, ::-1])  # BGR -> RGB
    h, w = img.shape[:2]
    qimg = QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    if p.pose is not None:
        painter = QPainter(qimg)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        paint_skeleton(painter, p.pose.xy, p.pose.visibility, QRectF(0, 0, w, h), 0.6, True)
        painter.end()
    return QPixmap.fromImage(qimg)


class ReferenceTab(QWidget):
    """``record(**kwargs)`` is the reference recorder (``posecoach.clinic.references.record_reference``
    or a test's fake); it is always given ``stop``.  Emits ``recorded(result)``."""

    recorded = Signal(object)

    def __init__(self, ctx: PageContext, record: Callable[..., dict], record_kwargs: dict) -> None:
        super().__init__()
        self.ctx = ctx
        self._record = record
        self._record_kwargs = dict(record_kwargs)
        self.recorder: RecordWorker | None = None
        self.last_reference: dict | None = None
        self.video_path: str | None = None
        self.ref_exercise = exercise_combo(ctx.exercises)
        self.ref_exercise.currentIndexChanged.connect(lambda _i: self.show_targets())
        self.targets = TargetsBox(ctx, self.ref_exercise.currentData)
        self.targets.save_targets_button.clicked.connect(self.save_targets)
        self.ref_list = QListWidget()
        self.ref_list.setMaximumHeight(90)
        v = QVBoxLayout(self)
        v.addWidget(self._source_box())
        v.addWidget(self.targets)
        v.addWidget(QLabel("References recorded for this exercise (newest first)"))
        v.addWidget(self.ref_list)
        v.addStretch(1)

    def _source_box(self) -> QGroupBox:
        self.ref_camera = QRadioButton("Camera number")
        self.ref_camera_index = QSpinBox()
        self.ref_camera_index.setRange(0, 9)
        self.ref_seconds = QSpinBox()
        self.ref_seconds.setRange(5, 300)
        self.ref_seconds.setValue(30)
        self.ref_seconds.setSuffix(" s")
        self.ref_video = QRadioButton("Video file")
        self.ref_camera.setChecked(True)
        self.ref_video_button = QPushButton("Choose...")
        self.ref_video_button.clicked.connect(self._choose_video)
        self.ref_video_label = QLabel("no video chosen")
        self.ref_video_label.setObjectName("hint")
        self.ref_notes = QLineEdit()
        self.ref_notes.setPlaceholderText("notes (who demonstrated, anything to remember)")
        self.ref_keep_video = QCheckBox("Keep the video too (otherwise only the landmarks are kept)")
        self.ref_share = QDoubleSpinBox()
        self.ref_share.setRange(0.3, 1.5)
        self.ref_share.setSingleStep(0.05)
        self.ref_share.setValue(0.8)
        self.ref_share.setToolTip("Targets as a share of the reference's own range of motion")
        self.record_button = QPushButton("Record reference")
        self.record_button.clicked.connect(self.record_reference)
        self.stop_record_button = QPushButton("Stop recording")
        self.stop_record_button.setEnabled(False)
        self.stop_record_button.clicked.connect(self.stop_recording)
        self.cancel_record_button = QPushButton("Cancel")
        self.cancel_record_button.setToolTip("Stop now and store nothing")
        self.cancel_record_button.setEnabled(False)
        self.cancel_record_button.clicked.connect(self.cancel_recording)
        self.ref_progress = QProgressBar()
        self.ref_progress.setRange(0, 1000)
        self.ref_progress.setTextVisible(False)
        self.ref_progress.hide()
        self.ref_preview = QLabel("")
        self.ref_preview.setFixedSize(320, 240)
        self.ref_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ref_preview.setStyleSheet("background: #222; color: #ddd;")
        self.ref_preview.hide()
        self.ref_status = QLabel("")
        self.ref_status.setWordWrap(True)
        src = QGroupBox("Record a reference movement")
        g = QGridLayout(src)
        for w, row, col, span in (
            (QLabel("Exercise"), 0, 0, 1), (self.ref_exercise, 0, 1, 2), (self.ref_camera, 1, 0, 1),
            (self.ref_camera_index, 1, 1, 1), (self.ref_seconds, 1, 2, 1), (self.ref_video, 2, 0, 1),
            (self.ref_video_button, 2, 1, 1), (self.ref_video_label, 2, 2, 1),
            (QLabel("Targets: share of its range"), 3, 0, 1), (self.ref_share, 3, 1, 1), (self.ref_notes, 4, 0, 3),
            (self.ref_keep_video, 5, 0, 3), (self.record_button, 6, 0, 1), (self.stop_record_button, 6, 1, 1),
            (self.cancel_record_button, 6, 2, 1), (self.ref_progress, 7, 0, 3), (self.ref_status, 8, 0, 3),
        ):
            g.addWidget(w, row, col, 1, span)
        g.addWidget(self.ref_preview, 0, 3, 9, 1, Qt.AlignmentFlag.AlignTop)
        return src

    # ------------------------------------------------------------- targets

    def show_targets(self, targets: dict | None = None) -> None:
        """The stored targets of the chosen exercise (or ``targets``) and its references."""
        pid, ex_id = self.ctx.patient_id(), self.ref_exercise.currentData()
        if pid is None or ex_id is None:
            return
        stored, refs = self.ctx.db(lambda c: (c.targets(pid, ex_id), c.references(pid, ex_id)))
        self.targets.show_targets(self.ctx.exercises[ex_id], targets if targets is not None else stored)
        self.ref_list.clear()
        for r in refs:
            self.ref_list.addItem(f"#{r.id}  {r.recorded_at[:16]}  {len(r.reps)} reps  {r.notes or ''}")

    def save_targets(self) -> bool:
        if not self.targets.save():
            return False
        self.ref_status.setText("Targets saved.")
        self.show_targets()
        return True

    # ----------------------------------------------------------- recording

    def _choose_video(self) -> None:
        pattern = " ".join(f"*{s}" for s in sorted(VIDEO_SUFFIXES))
        path, _ = QFileDialog.getOpenFileName(self, "Reference video", "", f"Videos ({pattern});;All files (*)")
        if path:
            self.set_reference_video(path)

    def set_reference_video(self, path: str) -> None:
        self.video_path = path
        self.ref_video_label.setText(Path(path).name)
        self.ref_video.setChecked(True)

    def record_reference(self) -> bool:
        """Start recording in a worker thread; the derived targets appear when it is done."""
        pid = self.ctx.patient_id()
        if pid is None or self.recorder is not None:
            return False
        source: str | int
        if self.ref_video.isChecked():
            if not self.video_path:
                self.ref_status.setText("Choose the video file first.")
                return False
            source, extra = self.video_path, {}
        else:
            source, extra = int(self.ref_camera_index.value()), {"seconds": float(self.ref_seconds.value())}
        kwargs = dict(source=source, exercise_id=self.ref_exercise.currentData(), patient=pid,
                      notes=self.ref_notes.text().strip(), keep_video=self.ref_keep_video.isChecked(),
                      clinic=self.ctx.clinic, rom_share=float(self.ref_share.value()), **extra, **self._record_kwargs)
        self.recorder = RecordWorker(self._record, kwargs, self)
        self.recorder.progress.connect(self._show_progress)
        self.recorder.done.connect(self._recorded)
        self.recorder.failed.connect(self._record_failed)
        self.recorder.finished.connect(self._recorder_finished)
        self.record_button.setEnabled(False)
        self.stop_record_button.setEnabled(isinstance(source, int))
        self.cancel_record_button.setEnabled(True)
        self.ref_progress.setValue(0)
        self.ref_progress.show()
        self.ref_preview.setPixmap(QPixmap())
        self.ref_preview.setText("Starting...")
        self.ref_preview.show()
        self.ref_status.setText("Recording... do the exercise a few times, well, in view of the camera."
                                if isinstance(source, int) else "Analysing the video...")
        self.recorder.start()
        return True

    def _show_progress(self, p: Any) -> None:
        """A ``RecordProgress`` from the worker: the bar, the line, the preview."""
        if self.recorder is None or self.recorder.cancelled:
            return
        share = p.share
        if share is None:
            self.ref_progress.setRange(0, 0)  # busy, length unknown
        else:
            self.ref_progress.setRange(0, 1000)
            self.ref_progress.setValue(round(1000 * share))
        self.ref_status.setText(progress_text(p))
        if getattr(p, "image", None) is not None:
            self.ref_preview.setPixmap(preview_pixmap(p).scaled(
                self.ref_preview.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))

    def cancel_recording(self) -> None:
        """Abandon the recording: the worker stops at its next frame and stores nothing."""
        if self.recorder is not None:
            self.recorder.cancel()
            self.cancel_record_button.setEnabled(False)
            self.stop_record_button.setEnabled(False)
            self.ref_status.setText("Cancelling...")

    def _recorder_finished(self) -> None:
        w, self.recorder = self.recorder, None
        if w is not None:
            w.wait(2000)
            w.deleteLater()
        self.record_button.setEnabled(True)
        self.stop_record_button.setEnabled(False)
        self.cancel_record_button.setEnabled(False)
        self.ref_progress.hide()
        self.ref_preview.hide()

    def stop_recording(self) -> None:
        if self.recorder is not None:
            self.recorder.request_stop()
            self.ref_status.setText("Stopping... the reference is being analysed.")

    def _recorded(self, res: dict) -> None:
        self.last_reference = res
        reps = len(res.get("reps") or [])
        self.ref_status.setText(f"Reference saved ({reps} reps). The derived targets are below (already in use): "
                                "adjust them if needed and press Save targets.")
        self.show_targets(res.get("targets"))
        self.recorded.emit(res)

    def _record_failed(self, message: str) -> None:
        if self.recorder is not None and self.recorder.cancelled:
            self.ref_status.setText("Cancelled: nothing was stored.")
            return
        self.ref_status.setText(f"Not recorded: {message}")

    def shutdown(self) -> None:
        if self.recorder is not None:
            self.recorder.cancel()  # the window is closing: nobody is there to review the targets
            self.recorder.wait(10000)
