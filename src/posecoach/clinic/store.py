"""The one SQLite layer under the session history and the clinic: connection, schema, transactions.

The database is ``home_dir()/posecoach.db`` (``POSECOACH_HOME`` overrides the folder).  WAL
journal, ``synchronous=FULL`` (a committed write survives an app crash and a power cut), foreign
keys on.  One connection, usable from any thread: every call holds one lock, so the history (written
by the app's worker) and the clinic (read by the therapist page) never interleave inside a
transaction.

The public transaction API is ``Store.write(fn)`` (``fn(connection)`` inside ``BEGIN IMMEDIATE``;
committed when it returns, rolled back when it raises), ``Store.read(fn)`` and the equivalent
context manager ``Store.transaction()``.  Every ``sqlite3`` error becomes an ``OutputError`` whose
one-line message says what to do; a broken constraint (no such session...) an ``InvalidValue``.

Opening never silently replaces or empties a file: a new database is built in a temporary file and
given its name only if none exists; an existing 0-byte file is refused (it may be what is left of a
history); a damaged database (``PRAGMA quick_check`` fails on opening, or SQLite reports it
malformed later) can still be read, but every write is refused with the way to restore a backup.
Backups and restores are ``posecoach.clinic.backup``.

The value helpers the history and clinic modules share live here too: ``now``, ``iso``, ``clean``
(JSON-safe), ``num`` (a finite number or None), ``pain`` (0-10 or None) and ``loads``.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from posecoach.clinic import backup as backups
from posecoach.clinic.schema import (
    APPLICATION_ID,
    MIGRATIONS,
    REQUIRED_TABLES,
    SCHEMA_VERSION,
)
from posecoach.errors import InvalidValue, OutputError
from posecoach.io.atomic import publish_new
from posecoach.paths import home_dir

__all__ = [
    "DB_NAME",
    "Store",
    "clean",
    "db_message",
    "default_db_path",
    "iso",
    "loads",
    "now",
    "num",
    "pain",
]

DB_NAME = "posecoach.db"
T = TypeVar("T")


def default_db_path() -> Path:
    """Where the app, the CLI and the therapist page all find the same database."""
    return home_dir() / DB_NAME


# ------------------------------------------------------------------ values


def now() -> str:
    """The current local time, ISO 8601 with the UTC offset (what every ``*_at`` column holds)."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def iso(dt: datetime | None) -> str:
    """``dt`` as stored (a naive time is local time); ``now()`` for None."""
    if dt is None:
        return now()
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return dt.isoformat(timespec="seconds")


def num(v: Any) -> float | None:
    """A finite number, or None (also for bools and NaN): one definition for the history and the report."""
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def pain(v: int | None, name: str) -> int | None:
    """A pain score 0-10 or None; ``InvalidValue`` otherwise."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10:
        raise InvalidValue(f"{name} must be 0-10 or None, got {v!r}")
    return v


def clean(v: Any) -> Any:
    """JSON-safe copy: NaN/inf become None, unknown objects their str()."""
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, dict):
        return {str(k): clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    if v is None or isinstance(v, (str, int, bool)):
        return v
    return str(v)


def loads(s: str | None, default: Any) -> Any:
    """A JSON column's value, or ``default`` when it is empty or unreadable."""
    if not s:
        return default
    try:
        return json.loads(s)
    except ValueError:
        return default


# ------------------------------------------------------------------ errors


#: what reading a damaged file can raise: SQLite's errors, and text (or an error message) that is not UTF-8
DB_ERRORS = (sqlite3.Error, UnicodeDecodeError)


def _is_damage(e: BaseException) -> bool:
    text = str(e).lower()
    return isinstance(e, UnicodeDecodeError) or "not a database" in text or "malformed" in text or "corrupt" in text


def db_message(path: Path, e: BaseException) -> str:
    """One line saying what went wrong with the database at ``path`` and what to do."""
    text = str(e).lower()
    where = f"session history {path}"
    if _is_damage(e):
        return (
            f"{where} is damaged or not a posecoach database: restore your last backup with "
            "`posecoach db restore BACKUP` (the damaged file is kept aside), or move the file aside "
            "to start a new, empty history"
        )
    if "disk is full" in text or "disk full" in text or "no space" in text:
        return f"{where}: the disk is full; free some space and try again (recorded reps are kept)"
    if "readonly" in text or "read-only" in text or "permission" in text:
        return f"{where} cannot be written (read-only or no permission): check the folder's permissions or set POSECOACH_HOME"
    if "unable to open" in text:
        return f"{where} cannot be opened: check that the folder exists and is writable, or set POSECOACH_HOME"
    if "locked" in text or "busy" in text:
        return f"{where} is busy (another posecoach is writing it): close it and try again"
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return f"{where}: {first}"


def kind_of(con: sqlite3.Connection) -> tuple[str, int]:
    """("empty" | "ours" | "foreign", schema version) of the database behind ``con``."""
    app_id = con.execute("PRAGMA application_id").fetchone()[0]
    version = int(con.execute("PRAGMA user_version").fetchone()[0])
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if app_id == 0 and version == 0 and not tables:
        return "empty", 0
    if app_id != APPLICATION_ID or (version >= 1 and not tables >= REQUIRED_TABLES):
        return "foreign", version
    return "ours", version


def check_ours(con: sqlite3.Connection, path: Path, version_known: int = SCHEMA_VERSION) -> None:
    """``OutputError`` unless the file is empty or a posecoach database this code can read."""
    kind, version = kind_of(con)
    if kind == "foreign":
        raise OutputError(
            f"{path} is not a posecoach session history: choose another file, or move it aside "
            "so a new history is created"
        )
    if version > version_known:
        raise OutputError(
            f"session history {path} was written by a newer posecoach (schema {version}, this one "
            f"knows {version_known}): update posecoach"
        )


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


# ------------------------------------------------------------------- store


class Store:
    """One open database; see the module docstring.  ``with Store(path) as s: s.write(fn)``.

    ``migrations``/``version``: the schema steps and the version to migrate up to (default:
    ``schema.MIGRATIONS``, all of them; a test can stop earlier to make an old database)."""

    def __init__(self, path: Path | None = None, *,
                 migrations: Sequence[Callable[[sqlite3.Connection], None]] | None = None,
                 version: int | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.migrations = list(MIGRATIONS if migrations is None else migrations)
        self.version = SCHEMA_VERSION if version is None else int(version)
        self._lock = threading.RLock()
        self._con: sqlite3.Connection | None = None
        self._damaged: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(
                f"session history folder {self.path.parent} cannot be created ({e.strerror or e}): "
                "check permissions or set POSECOACH_HOME"
            ) from e
        try:
            if not self.path.exists():
                self._create()
            self._open()
        except DB_ERRORS as e:
            self.close()
            raise OutputError(db_message(self.path, e)) from e
        except OSError as e:
            self.close()
            raise OutputError(f"session history {self.path} cannot be opened ({e.strerror or e}): "
                              "check the folder's permissions or set POSECOACH_HOME") from e
        except OutputError:
            self.close()
            raise

    def _create(self) -> None:
        """A new database built in a temporary file beside ``path`` and given that name only if it is
        still free (a crash leaves no half-made history, another process's new one is kept)."""
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".new", dir=self.path.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            self._con = self._connect(tmp)
            self.migrate()
            self._con.execute("PRAGMA journal_mode = DELETE")  # one file, nothing left in a WAL
            self.close()
            publish_new(tmp, self.path)
        finally:
            self.close()
            for f in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
                f.unlink(missing_ok=True)

    def _open(self) -> None:
        """Connect to the existing file, check it is ours and whole, migrate it if it is."""
        if self.path.is_file() and self.path.stat().st_size == 0:
            raise OutputError(
                f"session history {self.path} is an empty (0-byte) file: if it held records, restore "
                "your last backup with `posecoach db restore BACKUP`; if not, delete it and a new one is created"
            )
        self._con = self._connect(self.path, tune=False)  # nothing written before the checks
        check_ours(self._con, self.path, self.version)
        self._damaged = backups.health(self._con)
        if self._damaged is None:
            self._tune(self._con)
            self.migrate()

    @property
    def damaged(self) -> str | None:
        """None, or why the database is damaged (then every write is refused)."""
        return self._damaged

    def reopen(self, between: Callable[[], object]) -> None:
        """Close the connection, run ``between()`` (a restore replacing the file), open it again."""
        with self._lock:
            self.close()
            self._damaged = None
            between()
            try:
                self._open()
            except DB_ERRORS as e:
                self.close()
                raise OutputError(db_message(self.path, e)) from e

    def _refuse_if_damaged(self) -> None:
        if self._damaged is not None:
            raise OutputError(backups.damaged_message(self.path, self._damaged, ": nothing more is written to it"))

    @staticmethod
    def _connect(path: Path, *, tune: bool = True) -> sqlite3.Connection:
        con = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5.0)
        con.row_factory = sqlite3.Row
        con.text_factory = _text  # a damaged text value reads as text with U+FFFD, not a crash
        con.execute("PRAGMA foreign_keys = ON")
        if tune:
            Store._tune(con)
        return con

    @staticmethod
    def _tune(con: sqlite3.Connection) -> None:
        """WAL and full syncs (switching to WAL writes the file header: only once it is known ours)."""
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = FULL")

    def migrate(self) -> None:
        """Bring the file up to ``self.version``, one transaction per migration."""
        with self._lock:
            con = self.connection
            current = con.execute("PRAGMA user_version").fetchone()[0]
            for i in range(current, self.version):
                con.execute("BEGIN IMMEDIATE")
                try:
                    self.migrations[i](con)
                    con.execute(f"PRAGMA user_version = {i + 1}")
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection (for pragmas and backups); ``OutputError`` once closed."""
        if self._con is None:
            raise OutputError(f"session history {self.path} is closed: open it again")
        return self._con

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """The connection with the lock held, outside any transaction (pragmas around a write)."""
        with self._lock:
            yield self.connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``with store.transaction() as con: ...``: committed at the end, rolled back on any error."""
        with self._lock:
            con = self.connection
            self._refuse_if_damaged()
            try:
                con.execute("BEGIN IMMEDIATE")
                try:
                    yield con
                    con.execute("COMMIT")
                except BaseException:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    raise
            except sqlite3.IntegrityError as e:
                raise InvalidValue(f"session history: {e}") from e
            except DB_ERRORS as e:
                if _is_damage(e):
                    self._damaged = " ".join(str(e).split())
                raise OutputError(db_message(self.path, e)) from e

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(connection)`` in one transaction; its result, once committed."""
        with self.transaction() as con:
            return fn(con)

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(connection)`` under the lock, without a write transaction."""
        with self._lock:
            try:
                return fn(self.connection)
            except DB_ERRORS as e:
                raise OutputError(db_message(self.path, e)) from e

    @property
    def schema_version(self) -> int:
        return int(self.read(lambda c: c.execute("PRAGMA user_version").fetchone()[0]))

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                try:
                    self._con.close()
                except sqlite3.Error:
                    pass
                self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------ backup/restore

    def backup(self, dest: Path) -> Path:
        """A consistent, checked copy at ``dest`` (``posecoach.clinic.backup.backup``: never
        overwrites; a folder gets a new ``posecoach-YYYYmmdd-HHMMSS[-n].db`` inside).  The file written."""
        return backups.backup(self, dest)

    @staticmethod
    def validate(src: Path) -> int:
        """Check that ``src`` is an undamaged posecoach database this code reads; its schema version."""
        return backups.validate(src)

    def restore(self, src: Path) -> Path:
        """Replace the database with the backup ``src`` (validated first, then migrated).  The current
        one is kept next to it as ``posecoach.db.before-restore-<time>[-n]``; that copy's path is returned."""
        return backups.restore(self, src)
