"""Session history in SQLite: every rep is committed as it happens.

The database is ``home_dir()/posecoach.db`` (``POSECOACH_HOME`` overrides the
folder).  WAL journal, ``synchronous=FULL`` (a committed rep survives an app
crash and a power cut), foreign keys on.  One connection, usable from any
thread (calls are serialised by a lock); each write is its own transaction.

Schema versions live in ``PRAGMA user_version``; ``PRAGMA application_id``
marks the file as ours.  ``MIGRATIONS[i]`` takes a database from version ``i``
to ``i + 1``; each runs in one transaction together with the new
``user_version``, so a failure leaves the previous version intact.  Later
migrations add tables and nullable columns, e.g. (issue 5)::

    CREATE TABLE patients (id INTEGER PRIMARY KEY, ...);
    ALTER TABLE sessions ADD COLUMN patient_id INTEGER REFERENCES patients(id);

(SQLite allows ``ADD COLUMN ... REFERENCES`` when the default is NULL, so old
sessions simply have no patient.)

Tables (version 2):

- ``sessions``: id, exercise_id, source, started_at / ended_at (ISO 8601 with
  the local UTC offset), pain_before / pain_after (0-10 or NULL), planned_sets,
  planned_reps, stopped (NULL while running: "completed", "user", "pain",
  "camera_lost" or "error"), summary (JSON);
- ``reps``: one row per rep, written at once: session_id, set_index, the main
  numbers as columns and the whole ``RepRecord.to_dict()`` as JSON, recorded_at;
- ``events``: session_id, t (session seconds), kind, text -- cues, faults, "it hurts".

Every ``sqlite3`` error becomes an ``OutputError`` whose one-line message says
what to do; nothing already committed is ever deleted or overwritten (a
restore first keeps a copy of the database it replaces).
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from posecoach.errors import OutputError
from posecoach.paths import home_dir

__all__ = ["History", "default_db_path", "SCHEMA_VERSION", "STOPPED", "APPLICATION_ID"]

APPLICATION_ID = 0x50434F41  # "PCOA"
STOPPED = ("completed", "user", "pain", "camera_lost", "error")
DB_NAME = "posecoach.db"


def default_db_path() -> Path:
    return home_dir() / DB_NAME


# -------------------------------------------------------------- migrations


def _v1(con: sqlite3.Connection) -> None:
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute(
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            exercise_id TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL,
            ended_at TEXT,
            pain_before INTEGER,
            pain_after INTEGER,
            planned_sets INTEGER NOT NULL DEFAULT 0,
            planned_reps INTEGER NOT NULL DEFAULT 0,
            stopped TEXT,
            summary TEXT
        )"""
    )
    con.execute(
        """CREATE TABLE reps (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            set_index INTEGER NOT NULL,
            rep_index INTEGER,
            start_s REAL,
            end_s REAL,
            peak_angle REAL,
            hold_s REAL,
            faults TEXT NOT NULL DEFAULT '[]',
            counted INTEGER NOT NULL DEFAULT 1,
            data TEXT NOT NULL
        )"""
    )
    con.execute("CREATE INDEX reps_session ON reps(session_id)")
    con.execute(
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            t REAL NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL
        )"""
    )
    con.execute("CREATE INDEX events_session ON events(session_id)")


def _v2(con: sqlite3.Connection) -> None:
    # When each rep reached the disk (tells a crash's last moment), and the
    # newest-first listing by date.
    con.execute("ALTER TABLE reps ADD COLUMN recorded_at TEXT")
    con.execute("CREATE INDEX sessions_started ON sessions(started_at)")


def _v3(con: sqlite3.Connection) -> None:
    # Issue 5, the therapist's data (``posecoach.clinic.patients``): patients, their
    # reference recordings, per-exercise targets and programmes; a session
    # may belong to a patient (NULL for the sessions recorded before).
    # Tables are prefixed ``clinic_`` (``references`` is an SQL keyword).
    # AUTOINCREMENT: a deleted patient's id is never given to a new one, so
    # nothing left behind (a references/<id>/ folder) can be inherited.
    con.execute(
        """CREATE TABLE clinic_patients (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        )"""
    )
    con.execute("ALTER TABLE sessions ADD COLUMN patient_id INTEGER REFERENCES clinic_patients(id)")
    con.execute("CREATE INDEX sessions_patient ON sessions(patient_id, exercise_id)")
    con.execute(
        """CREATE TABLE clinic_references (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            patient_id INTEGER NOT NULL REFERENCES clinic_patients(id) ON DELETE CASCADE,
            exercise_id TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            landmarks_file TEXT,
            video_file TEXT,
            trace TEXT NOT NULL DEFAULT '[]',
            reps TEXT NOT NULL DEFAULT '[]',
            summary TEXT NOT NULL DEFAULT '{}',
            recorded_at TEXT NOT NULL
        )"""
    )
    con.execute("CREATE INDEX clinic_references_patient ON clinic_references(patient_id, exercise_id)")
    con.execute(
        """CREATE TABLE clinic_targets (
            patient_id INTEGER NOT NULL REFERENCES clinic_patients(id) ON DELETE CASCADE,
            exercise_id TEXT NOT NULL,
            data TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (patient_id, exercise_id)
        )"""
    )
    con.execute(
        """CREATE TABLE clinic_programmes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            patient_id INTEGER NOT NULL REFERENCES clinic_patients(id) ON DELETE CASCADE,
            items TEXT NOT NULL,
            days_per_week INTEGER NOT NULL,
            rule TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    con.execute("CREATE INDEX clinic_programmes_patient ON clinic_programmes(patient_id)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3]
SCHEMA_VERSION = len(MIGRATIONS)
_REQUIRED_TABLES = {"sessions", "reps", "events"}


# ------------------------------------------------------------------ errors


def _message(path: Path, e: BaseException) -> str:
    text = str(e).lower()
    where = f"session history {path}"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"{where} is damaged or not a posecoach database: move the file aside "
            "(a new one is then created) or restore a backup"
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


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _iso(dt: datetime | None) -> str:
    if dt is None:
        return _now()
    if dt.tzinfo is None:
        dt = dt.astimezone()  # naive: local time
    return dt.isoformat(timespec="seconds")


def _num(v: Any) -> float | None:
    """A finite number, or None (also for bools and NaN)."""
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _pain(v: int | None, name: str) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10:
        raise ValueError(f"{name} must be 0-10 or None, got {v!r}")
    return v


# ----------------------------------------------------------------- history


class History:
    """The session history; see the module docstring.  ``with History() as h: ...``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(
                f"session history folder {self.path.parent} cannot be created ({e.strerror or e}): "
                "check permissions or set POSECOACH_HOME"
            ) from e
        self._con: sqlite3.Connection | None = None
        try:
            self._con = self._connect(self.path)
            self._check_ours(self._con, self.path)
            self._migrate()
        except sqlite3.Error as e:
            self.close()
            raise OutputError(_message(self.path, e)) from e
        except OutputError:
            self.close()
            raise

    # ---------------------------------------------------------- plumbing

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        con = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5.0)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = FULL")
        return con

    @staticmethod
    def _check_ours(con: sqlite3.Connection, path: Path) -> None:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        version = con.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app_id == 0 and version == 0 and not tables:
            return  # new, empty database
        if app_id != APPLICATION_ID or (version >= 1 and not _REQUIRED_TABLES <= tables):
            raise OutputError(
                f"{path} is not a posecoach session history: choose another file, or move it aside "
                "so a new history is created"
            )
        if version > SCHEMA_VERSION:
            raise OutputError(
                f"session history {path} was written by a newer posecoach (schema {version}, this one "
                f"knows {SCHEMA_VERSION}): update posecoach"
            )

    def _migrate(self) -> None:
        con = self._db
        version = con.execute("PRAGMA user_version").fetchone()[0]
        for i in range(version, SCHEMA_VERSION):
            con.execute("BEGIN IMMEDIATE")
            try:
                MIGRATIONS[i](con)
                con.execute(f"PRAGMA user_version = {i + 1}")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    @property
    def _db(self) -> sqlite3.Connection:
        if self._con is None:
            raise OutputError(f"session history {self.path} is closed: open it again")
        return self._con

    def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        with self._lock:
            con = self._db
            try:
                con.execute("BEGIN IMMEDIATE")
                try:
                    out = fn(con)
                    con.execute("COMMIT")
                except BaseException:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    raise
                return out
            except sqlite3.IntegrityError as e:
                raise ValueError(f"session history: {e}") from e
            except sqlite3.Error as e:
                raise OutputError(_message(self.path, e)) from e

    def _read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        with self._lock:
            try:
                return fn(self._db)
            except sqlite3.Error as e:
                raise OutputError(_message(self.path, e)) from e

    @property
    def schema_version(self) -> int:
        return self._read(lambda c: c.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                try:
                    self._con.close()
                except sqlite3.Error:
                    pass
                self._con = None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- writes

    def start_session(
        self,
        exercise_id: str,
        *,
        source: str,
        pain_before: int | None,
        planned_sets: int,
        planned_reps: int,
        started_at: datetime | None = None,
    ) -> int:
        pain = _pain(pain_before, "pain_before")
        row = (exercise_id, str(source), _iso(started_at), pain, int(planned_sets), int(planned_reps))
        return self._write(
            lambda c: c.execute(
                "INSERT INTO sessions (exercise_id, source, started_at, pain_before, planned_sets, planned_reps) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                row,
            ).lastrowid
        )

    def add_rep(self, session_id: int, rep: dict, *, set_index: int) -> None:
        """Record one rep (``RepRecord.to_dict()``); committed before this returns."""
        faults = [str(f) for f in rep.get("faults", [])]
        row = (
            int(session_id),
            int(set_index),
            rep.get("index"),
            _num(rep.get("start_s")),
            _num(rep.get("end_s")),
            _num(rep.get("peak_angle")),
            _num(rep.get("hold_s")),
            json.dumps(faults),
            0 if rep.get("counted", True) is False else 1,
            json.dumps(_clean(rep)),
            _now(),
        )
        self._write(
            lambda c: c.execute(
                "INSERT INTO reps (session_id, set_index, rep_index, start_s, end_s, peak_angle, hold_s, "
                "faults, counted, data, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        )

    def add_event(self, session_id: int, t: float, kind: str, text: str) -> None:
        row = (int(session_id), float(t), str(kind), str(text))
        self._write(lambda c: c.execute("INSERT INTO events (session_id, t, kind, text) VALUES (?, ?, ?, ?)", row))

    def finish_session(self, session_id: int, *, summary: dict, pain_after: int | None, stopped: str) -> None:
        if stopped not in STOPPED:
            raise ValueError(f"stopped must be one of {', '.join(STOPPED)}, got {stopped!r}")
        pain = _pain(pain_after, "pain_after")
        blob = json.dumps(_clean(summary), default=str)

        def fn(c: sqlite3.Connection) -> None:
            cur = c.execute(
                "UPDATE sessions SET ended_at = ?, summary = ?, pain_after = ?, stopped = ? WHERE id = ?",
                (_now(), blob, pain, stopped, int(session_id)),
            )
            if cur.rowcount != 1:
                raise ValueError(f"session history: no session {session_id}")

        self._write(fn)

    # -------------------------------------------------------------- reads

    def _row(self, c: sqlite3.Connection, r: sqlite3.Row) -> dict:
        sid = r["id"]
        reps = c.execute(
            "SELECT set_index, faults, counted FROM reps WHERE session_id = ?", (sid,)
        ).fetchall()
        faults: Counter[str] = Counter()
        for rep in reps:
            faults.update(json.loads(rep["faults"] or "[]"))
        counted = [rep for rep in reps if rep["counted"]]
        return {
            "id": sid,
            "exercise_id": r["exercise_id"],
            "source": r["source"],
            "started_at": r["started_at"],
            "ended_at": r["ended_at"],
            "reps": len(counted),
            "sets": len({rep["set_index"] for rep in counted}),
            "planned_sets": r["planned_sets"],
            "planned_reps": r["planned_reps"],
            "pain_before": r["pain_before"],
            "pain_after": r["pain_after"],
            "stopped": r["stopped"],
            "faults": dict(faults),
        }

    def sessions(self, limit: int = 50) -> list[dict]:
        """Newest first: id, exercise_id, source, started_at, ended_at, reps, sets,
        planned_sets, planned_reps, pain_before, pain_after, stopped (None if never
        finished), faults ({fault id: count})."""

        def fn(c: sqlite3.Connection) -> list[dict]:
            rows = c.execute(
                "SELECT * FROM sessions ORDER BY started_at DESC, id DESC LIMIT ?", (int(limit),)
            ).fetchall()
            return [self._row(c, r) for r in rows]

        return self._read(fn)

    def session(self, session_id: int) -> dict:
        """One session as in ``sessions()`` plus ``summary``, ``reps`` (the rep dicts
        with ``set_index``) and ``events`` ({t, kind, text}).  KeyError if unknown."""

        def fn(c: sqlite3.Connection) -> dict:
            r = c.execute("SELECT * FROM sessions WHERE id = ?", (int(session_id),)).fetchone()
            if r is None:
                raise KeyError(f"no session {session_id} in the history")
            out = self._row(c, r)
            out["summary"] = json.loads(r["summary"]) if r["summary"] else None
            out["reps"] = [
                {**json.loads(x["data"]), "set_index": x["set_index"], "recorded_at": x["recorded_at"]}
                for x in c.execute(
                    "SELECT data, set_index, recorded_at FROM reps WHERE session_id = ? ORDER BY id", (r["id"],)
                )
            ]
            out["events"] = [
                {"t": x["t"], "kind": x["kind"], "text": x["text"]}
                for x in c.execute("SELECT t, kind, text FROM events WHERE session_id = ? ORDER BY id", (r["id"],))
            ]
            return out

        return self._read(fn)

    def unfinished(self) -> list[int]:
        """Sessions never finished (the app was closed or crashed), oldest first."""
        return self._read(
            lambda c: [r[0] for r in c.execute("SELECT id FROM sessions WHERE ended_at IS NULL ORDER BY id")]
        )

    # ------------------------------------------------------ backup/restore

    def backup(self, dest: Path) -> Path:
        """A consistent copy (SQLite backup API) at ``dest``; a folder gets
        ``posecoach-YYYYmmdd-HHMMSS.db`` inside.  Returns the file written."""
        dest = Path(dest)
        if dest.is_dir():
            dest = dest / f"posecoach-{datetime.now():%Y%m%d-%H%M%S}.db"
        tmp = dest.with_name(dest.name + ".part")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp.unlink(missing_ok=True)
            out = sqlite3.connect(str(tmp))
            try:
                with self._lock:
                    self._db.backup(out)
                out.execute("PRAGMA journal_mode = DELETE")
            finally:
                out.close()
            tmp.replace(dest)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise OutputError(f"backup {dest} cannot be written ({e.strerror or e}): choose another place") from e
        except sqlite3.Error as e:
            tmp.unlink(missing_ok=True)
            raise OutputError(_message(dest, e).replace("session history", "backup")) from e
        return dest

    @staticmethod
    def validate(src: Path) -> int:
        """Check that ``src`` is a readable posecoach history; return its schema version."""
        src = Path(src)
        if not src.is_file():
            raise OutputError(f"{src} does not exist: choose a posecoach backup file")
        try:
            con = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
            try:
                History._check_ours(con, src)
                version = con.execute("PRAGMA user_version").fetchone()[0]
                if version < 1:
                    raise OutputError(f"{src} is not a posecoach session history: choose a posecoach backup file")
                ok = con.execute("PRAGMA quick_check").fetchone()[0]
                if ok != "ok":
                    raise OutputError(f"{src} is damaged ({ok}): choose another backup")
                return int(version)
            finally:
                con.close()
        except sqlite3.Error as e:
            raise OutputError(_message(src, e).replace("session history ", "")) from e

    def restore(self, src: Path) -> Path:
        """Replace the history with the backup ``src`` (validated first).  The current
        history is kept next to it as ``posecoach.db.before-restore-<time>``; that
        copy's path is returned."""
        self.validate(src)
        keep = self.path.with_name(f"{self.path.name}.before-restore-{datetime.now():%Y%m%d-%H%M%S}")
        self.backup(keep)
        with self._lock:
            try:
                s = sqlite3.connect(f"file:{Path(src)}?mode=ro", uri=True)
                try:
                    s.backup(self._db)
                finally:
                    s.close()
                self._db.execute("PRAGMA journal_mode = WAL")
                self._migrate()
            except sqlite3.Error as e:
                raise OutputError(_message(self.path, e) + f" (the previous history is in {keep})") from e
        return keep


def _clean(v: Any) -> Any:
    """JSON-safe copy: NaN/inf become None, unknown objects their str()."""
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if v is None or isinstance(v, (str, int, bool)):
        return v
    return str(v)
