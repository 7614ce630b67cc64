"""A history that notes which thread made each write (for the "reps are written off the GUI
thread" tests), then passes the write on to the real one."""

from __future__ import annotations

import errno
import threading
from typing import Any

__all__ = ["FullDisk", "ThreadNotingHistory"]


class ThreadNotingHistory:
    WRITES = ("start_session", "add_rep", "add_event", "finish_session")

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.writes: list[tuple[str, threading.Thread]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name not in self.WRITES:
            return attr

        def write(*a: Any, **kw: Any) -> Any:
            self.writes.append((name, threading.current_thread()))
            return attr(*a, **kw)

        return write

    def threads(self, name: str) -> list[threading.Thread]:
        return [th for n, th in self.writes if n == name]


class FullDisk:
    """A real history whose every write fails with ENOSPC while ``full`` is set (the data folder is full)."""

    WRITES = ("start_session", "add_rep", "add_event", "finish_session")

    def __init__(self, inner, full: bool = True) -> None:
        self.inner, self.full, self.refused = inner, full, 0

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if name not in self.WRITES:
            return attr

        def write(*a, **kw):
            if self.full:
                self.refused += 1
                raise OSError(errno.ENOSPC, "No space left on device")
            return attr(*a, **kw)

        return write
