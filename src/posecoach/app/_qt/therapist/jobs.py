"""Work off the GUI thread: the therapist page's database reads and writes, plots and recordings.

``Job`` runs one callable on its own ``QThread`` and reports ``done(result)`` or ``failed(one line)``
on the GUI thread.  ``off_gui(fn)`` runs ``fn`` in a ``Job`` and waits for it in a local event loop
that keeps painting the window but holds back user input (so a click cannot start a second
database call in the middle of the first); it returns ``fn``'s result or raises its exception, so a
button handler still reads top to bottom.  ``RecordWorker`` records a reference and can be stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from PySide6.QtCore import QEventLoop, QObject, QThread, Signal

__all__ = ["Job", "RecordWorker", "first_line", "off_gui"]

T = TypeVar("T")


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type's name if it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Job(QThread):
    """``fn()`` on a worker thread; ``result`` or ``error`` afterwards, and ``done`` / ``failed``."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self.result: Any = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.result = self._fn()
        except Exception as exc:  # reported to the GUI thread, which shows it
            self.error = exc
            self.failed.emit(first_line(exc))
            return
        self.done.emit(self.result)


def off_gui(fn: Callable[[], T]) -> T:
    """``fn()`` on a worker thread; the GUI thread waits in an event loop (painting, no input)."""
    job = Job(fn)
    loop = QEventLoop()
    job.finished.connect(loop.quit)
    job.start()
    if not job.isFinished():
        loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    job.wait()
    if job.error is not None:
        raise job.error
    return cast(T, job.result)


class RecordWorker(Job):
    """Runs ``record(**kwargs, stop=..., progress=..., cancel=...)`` off the GUI thread (``record``
    must accept them: ``posecoach.clinic.references.record_reference`` does).  ``request_stop`` ends a
    camera recording early (what was recorded is kept); ``cancel`` abandons the recording (nothing is
    stored; ``cancelled`` says so afterwards).  ``progress`` carries a ``RecordProgress`` at most every
    ``every_s`` (and the first one), its frame shrunk to ``PREVIEW_SIDE`` pixels on the long side on
    this thread, so the GUI thread only paints it."""

    progress = Signal(object)
    PREVIEW_SIDE = 360

    def __init__(self, record: Callable[..., dict], kwargs: dict, parent: QObject | None = None, *,
                 every_s: float = 0.1) -> None:
        self._stop = threading.Event()
        self._cancel = threading.Event()
        self._every_s = every_s
        self._next = 0.0
        args = {**kwargs, "stop": self._stop.is_set, "progress": self._progress, "cancel": self._cancel.is_set}
        super().__init__(lambda: record(**args), parent)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def request_stop(self) -> None:
        self._stop.set()

    def cancel(self) -> None:
        self._cancel.set()

    def _progress(self, p: Any) -> None:
        """Called by ``record`` after every frame (on this thread): pass one on now and then."""
        now = time.monotonic()
        total = getattr(p, "total_frames", None)
        last = total is not None and getattr(p, "frames", 0) >= total > 0  # always shown: the bar reaches its end
        if (now < self._next and not last) or self._cancel.is_set():
            return
        self._next = now + self._every_s
        self.progress.emit(_with_small_image(p, self.PREVIEW_SIDE))


def _with_small_image(p: Any, side: int) -> Any:
    """``p`` (a ``RecordProgress``) with its frame and pose scaled to at most ``side`` pixels."""
    import dataclasses

    import cv2

    from posecoach.clinic.references import RecordProgress

    img = getattr(p, "image", None)
    if img is None or not isinstance(p, RecordProgress):  # a test's own progress object: as it is
        return p
    h, w = img.shape[:2]
    k = min(1.0, side / max(h, w, 1))
    if k >= 1.0:
        return dataclasses.replace(p, image=img.copy())
    small = cv2.resize(img, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)
    pose = p.pose
    if pose is not None:
        pose = dataclasses.replace(pose, xy=pose.xy * k, size_wh=(small.shape[1], small.shape[0]))
    return dataclasses.replace(p, image=small, pose=pose)
