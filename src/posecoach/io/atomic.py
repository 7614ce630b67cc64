"""Atomic file writes: a temporary file in the same folder, flushed, then renamed over the target.

A crash, a full disk or a kill mid-write leaves either the old file or the new one, never half of
one, and no temporary file behind.  Every file posecoach writes (results, reports, settings, the
pose model) goes through ``atomic_open``; ``write_output`` adds the one-line error a user sees.
``publish_new`` gives a finished temporary file its name only if no file has that name yet (backups
of the database, which must never overwrite anything).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from posecoach.errors import OutputError

__all__ = ["atomic_open", "atomic_path", "os_error_message", "publish_new", "remove_leftovers", "write_output"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", *, newline: str | None = None,
                fsync: bool = True, make_parents: bool = False) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``.

    ``mode`` is ``"w"`` (text, UTF-8) or ``"wb"``.  On any exception the temporary file is removed
    and the exception propagates unchanged (callers turn ``OSError`` into their own message).
    The result gets ordinary permissions (``mkstemp`` makes 0600).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        if mode == "wb":
            f: IO[Any] = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding="utf-8", newline=newline)
        with f:
            yield f
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str = ".tmp") -> Iterator[Path]:
    """``atomic_open`` for a writer that opens its file by name: a temporary file name beside
    ``path`` ending in ``suffix`` (OpenCV's ``VideoWriter`` picks the container by the ending:
    ``.tmp.mp4``); on a clean exit the file written there replaces ``path``, on any exception it
    is removed.  ``OSError`` propagate (``remove_leftovers(path, suffix)`` finds what a kill left)."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_leftovers(path: str | os.PathLike[str], suffix: str = ".tmp") -> int:
    """Delete the temporary files ``atomic_open`` (or ``atomic_path`` with this ``suffix``) left
    beside ``path`` when its process was killed (``SIGKILL``, a power cut: no ``except`` ran);
    returns how many.  Only for a file no other process is writing now (a re-run of a killed
    batch, before it writes anything)."""
    import glob

    path = Path(path)
    removed = 0
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.{'[a-z0-9_]' * 8}{glob.escape(suffix)}"):
        try:
            leftover.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def os_error_message(path: Path, e: OSError) -> str:
    """One line that names the file and what to do."""
    if e.errno == errno.ENOSPC:
        return f"{path}: the disk is full; free some space and run again"
    return f"{path}: cannot write ({e.strerror or e}); check the folder and its permissions"


def write_output(path: str | os.PathLike[str], text: str) -> None:
    """Write a result file atomically (creating its folder); ``OutputError`` with one line on failure."""
    path = Path(path)
    try:
        with atomic_open(path, "w", newline="", fsync=False, make_parents=True) as f:
            f.write(text)
    except OSError as e:
        raise OutputError(os_error_message(path, e)) from None


#: errors of ``os.link`` on file systems without hard links (FAT, some network shares)
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS, errno.EXDEV}


def publish_new(tmp: str | os.PathLike[str], dest: str | os.PathLike[str]) -> bool:
    """Give the finished file ``tmp`` (in ``dest``'s folder) the name ``dest``, only if nothing has
    that name: True (``tmp`` is then gone), or False (``dest`` exists and is untouched; ``tmp`` is kept).

    A hard link makes the name appear whole in one step and fails if it exists (no check-then-write
    race).  Without hard links the name is first reserved with an exclusive create, then our own
    empty placeholder is replaced.  Other ``OSError`` propagate."""
    tmp, dest = Path(tmp), Path(dest)
    try:
        os.link(tmp, dest)
    except FileExistsError:
        return False
    except OSError as e:
        if e.errno not in _NO_LINKS:
            raise
        try:
            os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        os.replace(tmp, dest)
    else:
        tmp.unlink()
    _fsync_dir(dest.parent)
    return True


def _fsync_dir(folder: Path) -> None:
    """Make a new name in ``folder`` durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
