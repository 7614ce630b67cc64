"""Backups of the database and restoring one: nothing is ever overwritten, nothing damaged is copied.

- ``backup(store, dest)``: a consistent copy (SQLite backup API) of a database that passes
  ``PRAGMA quick_check`` (a damaged one is refused: its copy would be damaged too, found only at
  restore), checked again once written, then given its name with ``publish_new`` (a name that
  exists is never overwritten).  ``dest`` a folder: ``posecoach-YYYYmmdd-HHMMSS.db`` inside, or
  ``...-2.db``, ``...-3.db`` when backups come within the same second.  ``dest`` a file name that
  exists: refused (a posecoach backup or not, it is left alone).
- ``validate(src)``: the backup file is a posecoach database this code can read and passes
  ``PRAGMA integrity_check``; its schema version.
- ``restore(store, src)``: the current database is first kept beside it as
  ``posecoach.db.before-restore-<time>`` (``-2``... within one second; never overwritten), then
  replaced: through the backup API when it is healthy, as a file when it is damaged (a SQLite
  copy of a damaged database could fail or carry the damage along).
- ``restore_file(path, src)``: the same for the CLI, also when the current file cannot be opened
  at all (damaged, empty, foreign, from a newer posecoach): it is kept aside as it is.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from posecoach.errors import OutputError, PosecoachError
from posecoach.io.atomic import publish_new

if TYPE_CHECKING:
    from posecoach.clinic.store import Store

__all__ = ["backup", "health", "restore", "restore_file", "validate"]

_MAX_NAMES = 1000
T = TypeVar("T")
_WAL = ("-wal", "-shm")


def health(con: sqlite3.Connection, pragma: str = "quick_check") -> str | None:
    """None when ``PRAGMA quick_check`` (or ``integrity_check``) passes, else its first finding, one line."""
    try:
        rows = con.execute(f"PRAGMA {pragma}(1)").fetchall()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
        return " ".join(str(e).split()) or type(e).__name__
    first = str(rows[0][0]) if rows else "no answer"
    return None if first == "ok" else " ".join(first.replace("***", " ").split())[:160]


def _series(folder: Path, stem: str, ext: str) -> Iterator[Path]:
    """``folder/stem.ext``, then ``stem-2.ext``, ``stem-3.ext``...: new names for files made within one second."""
    yield folder / f"{stem}{ext}"
    for n in range(2, _MAX_NAMES):
        yield folder / f"{stem}-{n}{ext}"


def _candidates(dest: Path) -> Iterator[Path]:
    """Where a backup into ``dest`` may go: the name itself, or new names in a folder."""
    if dest.is_dir():
        return _series(dest, f"posecoach-{datetime.now():%Y%m%d-%H%M%S}", ".db")
    return iter([dest])


def _is_posecoach(path: Path) -> bool:
    from posecoach.clinic.schema import APPLICATION_ID

    try:
        con = _read_only(path)
        try:
            return bool(con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID)
        finally:
            con.close()
    except (sqlite3.Error, UnicodeDecodeError):
        return False


def _exists_message(dest: Path) -> str:
    if _is_posecoach(dest):
        return (f"backup {dest} already exists and is kept: give a new file name, or a folder "
                "(each backup then gets its own name)")
    return f"{dest} exists and is not a posecoach backup: it is left alone; give another file name or a folder"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_into(tmp: Path, source: sqlite3.Connection) -> None:
    """The database behind ``source`` copied into the (empty) file ``tmp``, checked and on disk."""
    out = sqlite3.connect(str(tmp))
    try:
        source.backup(out)
        out.execute("PRAGMA journal_mode = DELETE")
        why = health(out)
    finally:
        out.close()
    if why:
        raise OutputError(f"the copy in {tmp.parent} came out damaged ({why}): check the disk, then try again")
    _fsync(tmp)


def _publish(tmp: Path, names: Iterator[Path], dest: Path, *, only: bool) -> Path:
    """``tmp`` under the first free name of ``names``; ``OutputError`` when it is ``only`` ``dest`` and taken."""
    for name in names:
        if publish_new(tmp, name):
            return name
        if only:
            raise OutputError(_exists_message(dest))
    raise OutputError(f"{dest.parent} already holds {_MAX_NAMES} copies from this second: try again")


def _write_new(dest: Path, fill: Callable[[Path], None], names: Iterator[Path] | None = None) -> Path:
    """A new file for ``dest`` made by ``fill(tmp)``, named by ``names`` (default ``_candidates``);
    never overwrites anything."""
    folder = dest if dest.is_dir() else dest.parent
    only = names is None and not dest.is_dir()
    if names is None:
        if not dest.is_dir() and (dest.exists() or dest.is_symlink()):
            raise OutputError(_exists_message(dest))
        names = _candidates(dest)
    tmp: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=folder)
        os.close(fd)
        tmp = Path(name)
        fill(tmp)
        return _publish(tmp, names, dest, only=only)
    except OSError as e:
        raise OutputError(f"backup {dest} cannot be written ({e.strerror or e}): choose another place") from None
    except sqlite3.Error as e:
        raise OutputError(f"backup {dest} cannot be written ({e}): choose another place") from None
    finally:
        if tmp is not None:
            with suppress(OSError):
                tmp.unlink()


def damaged_message(path: Path, why: str, what: str = "") -> str:
    """One line for a damaged database at ``path``: what happened and how to restore a backup."""
    return (f"session history {path} is damaged ({why}){what}: restore your last backup with "
            "`posecoach db restore BACKUP` (the damaged file is kept aside)")


def backup(store: Store, dest: Path) -> Path:
    """See the module docstring.  Returns the file written."""
    dest = Path(dest)
    with store.locked() as con:
        why = store.damaged or health(con)
        if why:
            raise OutputError(damaged_message(store.path, why, ": it was not backed up, its copy would be damaged too"))
        return _write_new(dest, lambda tmp: _copy_into(tmp, con))


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection (a URI, so any file name works)."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def validate(src: Path) -> int:
    """Check that ``src`` is an undamaged posecoach database this code can read; its schema version."""
    from posecoach.clinic.store import SCHEMA_VERSION, kind_of

    src = Path(src)
    if not src.is_file():
        raise OutputError(f"{src} does not exist: choose a posecoach backup file")
    try:
        con = _read_only(src)
        try:
            kind, version = kind_of(con)
            if kind != "ours" or version < 1:
                raise OutputError(f"{src} is not a posecoach backup ({kind} database): choose a posecoach backup file")
            if version > SCHEMA_VERSION:
                raise OutputError(f"backup {src} was written by a newer posecoach (schema {version}, this one "
                                  f"knows {SCHEMA_VERSION}): update posecoach, then restore it")
            why = health(con, "integrity_check")
            if why:
                raise OutputError(f"backup {src} is damaged ({why}): choose another backup file")
            return version
        finally:
            con.close()
    except (sqlite3.Error, UnicodeDecodeError) as e:
        raise OutputError(f"{src} is not a usable posecoach backup ({' '.join(str(e).split())}): "
                          "choose another backup file") from None


def _keep_names(path: Path) -> Iterator[Path]:
    """``posecoach.db.before-restore-<time>``, ``-2``...: where the replaced database is kept."""
    return _series(path.parent, f"{path.name}.before-restore-{datetime.now():%Y%m%d-%H%M%S}", "")


def _keep_as_is(path: Path) -> Path:
    """The current file (and its WAL) copied byte for byte under a new keep name."""
    for name in _keep_names(path):
        try:
            with open(path, "rb") as f, open(name, "xb") as out:
                shutil.copyfileobj(f, out)
                out.flush()
                os.fsync(out.fileno())
        except FileExistsError:
            continue
        wal = Path(f"{path}-wal")
        if wal.is_file() and wal.stat().st_size:
            shutil.copyfile(wal, f"{name}-wal")
        return name
    raise OutputError(f"{path.parent} already holds {_MAX_NAMES} copies from this second: try again")


def _install_file(path: Path, src: Path) -> None:
    """Replace the file at ``path`` (closed) with a fresh copy of ``src``; its old WAL goes."""
    tmp = Path(tempfile.mkstemp(prefix=f".{path.name}.", suffix=".restore", dir=path.parent)[1])
    try:
        s = _read_only(src)
        try:
            _copy_into(tmp, s)
        finally:
            s.close()
        for ext in _WAL:
            Path(f"{path}{ext}").unlink(missing_ok=True)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def restore(store: Store, src: Path) -> Path:
    """See the module docstring; the kept copy's path."""
    src = Path(src)
    validate(src)
    with store.locked() as con:
        if store.damaged:
            keep = _guard(store.path, lambda: _keep_as_is(store.path))
            store.reopen(lambda: _guard(store.path, lambda: _install_file(store.path, src), keep))
            return keep
        first = next(_keep_names(store.path))
        keep = _write_new(first, lambda tmp: _copy_into(tmp, con), _keep_names(store.path))
        try:
            s = _read_only(src)
            try:
                s.backup(con)
            finally:
                s.close()
            con.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error as e:
            raise OutputError(f"session history {store.path} could not be replaced ({e}): "
                              f"the previous history is in {keep}") from None
    store.migrate()
    return keep


def _guard(path: Path, fn: Callable[[], T], keep: Path | None = None) -> T:
    """``fn()`` with an ``OSError``/``sqlite3.Error`` turned into one line about ``path``."""
    try:
        return fn()
    except (OSError, sqlite3.Error) as e:
        kept = f" (the previous history is in {keep})" if keep else ""
        raise OutputError(f"session history {path} could not be restored ({getattr(e, 'strerror', None) or e})"
                          f"{kept}: check the folder's permissions and free space") from None


def restore_file(path: Path, src: Path) -> Path:
    """Restore ``src`` into the database file at ``path``, also when that file cannot be opened (see
    the module docstring); the kept copy's path."""
    from posecoach.clinic.store import Store

    src, path = Path(src), Path(path)
    validate(src)
    try:
        store = Store(path)
    except PosecoachError:
        if not path.is_file():
            raise
        keep = _guard(path, lambda: _keep_as_is(path))
        _guard(path, lambda: _install_file(path, src), keep)
        Store(path).close()  # migrates it
        return keep
    with store:
        return restore(store, src)
