"""Work off the GUI thread: the therapist page's database reads and writes, plots and recordings.

``Job`` runs one callable on its own ``QThread`` and reports ``done(result)`` or ``failed(one line)``
on the GUI thread.  ``off_gui(fn)`` runs ``fn`` in a ``Job`` and waits for it in a local event loop
that keeps painting the window but holds back user input (so a click cannot start a second
database call in the middle of the first); it returns ``fn``'s result or raises its exception, so a
button handler still reads top to bottom.  ``RecordWorker`` records a reference and can be stopped.
"""

from __future__ import annotations

import threading
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
    """Runs ``record(**kwargs, stop=...)`` off the GUI thread; ``request_stop`` ends a camera
    recording early (what was recorded is kept).  ``record`` must accept ``stop``."""

    def __init__(self, record: Callable[..., dict], kwargs: dict, parent: QObject | None = None) -> None:
        self._stop = threading.Event()
        args = {**kwargs, "stop": self._stop.is_set}
        super().__init__(lambda: record(**args), parent)

    def request_stop(self) -> None:
        self._stop.set()
